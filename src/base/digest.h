/*
 * digest: streaming message digests for artifacts: sha1, sha256, sha512
 * (mbedTLS) and BLAKE3 (blake3.c, from the specification; 32-byte output).
 * Formats and parses the `<algo>:<lower-hex>` strings Flux uses, and verifies
 * a file against such a string.
 *
 * Pure and synchronous: safe on any thread. A digest_ctx owns library state
 * between digest_init and digest_final/digest_abort (one of them must be
 * called exactly once after a successful init).
 */
#ifndef AG_DIGEST_H
#define AG_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

enum digest_algo {
	DIGEST_SHA1,
	DIGEST_SHA256,
	DIGEST_SHA512,
	DIGEST_BLAKE3,
};

#define DIGEST_RAW_MAX 64
/* "sha512:" + 128 hex digits + NUL fits. */
#define DIGEST_STRING_MAX 144

struct digest_ctx {
	enum digest_algo algo;
	void *state;		/* owned: mbedTLS md context or BLAKE3 hasher */
};

/* The supported algorithm names, NULL-terminated, in enum order: the one
 * list flags, help texts and error messages are derived from. */
extern const char *const digest_algo_names[];

/* "sha256" -> DIGEST_SHA256; -1 with a message listing the valid names. */
int digest_algo_parse(const char *name, enum digest_algo *out, struct err *e);
const char *digest_algo_name(enum digest_algo algo);
/* Raw digest length in bytes (20, 32, 64, 32). */
size_t digest_algo_size(enum digest_algo algo);

int digest_init(struct digest_ctx *ctx, enum digest_algo algo, struct err *e);
void digest_update(struct digest_ctx *ctx, const void *data, size_t len);
/* Writes digest_algo_size() bytes to raw and releases the context. */
void digest_final(struct digest_ctx *ctx, uint8_t raw[DIGEST_RAW_MAX]);
/* Releases the context without producing a digest. */
void digest_abort(struct digest_ctx *ctx);

/* Formats "<algo>:<lower-hex>" into out (DIGEST_STRING_MAX bytes). */
void digest_format(enum digest_algo algo, const uint8_t *raw, char *out);
/* Finishes ctx and formats the result (digest_final + digest_format). */
void digest_final_string(struct digest_ctx *ctx, char out[DIGEST_STRING_MAX]);
/* Parses "<algo>:<hex>"; an unknown algorithm, wrong length or non-hex digit
 * is an error naming the problem. Upper-case hex is accepted. */
int digest_parse(const char *s, enum digest_algo *algo,
    uint8_t raw[DIGEST_RAW_MAX], struct err *e);

/* Feeds every byte left in fd into ctx through a heap buffer (callers run
 * on pool threads, whose touched stack pages stay resident); retries reads
 * interrupted by signals. path names the file in errors (NULL: unnamed). */
int digest_fd(struct digest_ctx *ctx, int fd, const char *path,
    struct err *e);
/* Streams a file through the digest; out gets "<algo>:<hex>". */
int digest_file(const char *path, enum digest_algo algo,
    char out[DIGEST_STRING_MAX], struct err *e);
/* 0 when the file's digest equals expected (any supported algorithm);
 * otherwise -1 with a message giving both digests. */
int digest_file_verify(const char *path, const char *expected, struct err *e);

#endif
