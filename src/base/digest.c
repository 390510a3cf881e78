/*
 * digest: streaming digests (see digest.h). sha1/sha256/sha512 go through
 * mbedTLS's generic md API; BLAKE3 goes through blake3.c. The context's
 * state is heap-allocated by digest_init and freed by digest_final or
 * digest_abort. No static mutable state: safe on any thread.
 */
#include "base/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/md.h>

#include "base/blake3.h"

#define DIGEST_FILE_BUF (64 * 1024)
/* Offending strings are quoted in messages up to this many bytes, each
 * non-printable byte as \xNN (so messages stay printable ASCII). */
#define DIGEST_QUOTE_MAX 80
#define DIGEST_QUOTE_BUF (4 * DIGEST_QUOTE_MAX + 4)

/* Indexed like digest_algo_names (the names live only there). */
struct digest_algo_desc {
	enum digest_algo algo;
	size_t size;
	mbedtls_md_type_t md;	/* MBEDTLS_MD_NONE for BLAKE3 */
};

static const struct digest_algo_desc digest_algos[] = {
	{ DIGEST_SHA1, 20, MBEDTLS_MD_SHA1 },
	{ DIGEST_SHA256, 32, MBEDTLS_MD_SHA256 },
	{ DIGEST_SHA512, 64, MBEDTLS_MD_SHA512 },
	{ DIGEST_BLAKE3, BLAKE3_OUT_LEN, MBEDTLS_MD_NONE },
};
static const char digest_hexdigits[] = "0123456789abcdef";

#define DIGEST_NALGOS (sizeof(digest_algos) / sizeof(digest_algos[0]))

const char *const digest_algo_names[] = { "sha1", "sha256", "sha512",
	"blake3", NULL };
_Static_assert(sizeof(digest_algo_names) / sizeof(digest_algo_names[0]) ==
    DIGEST_NALGOS + 1, "digest_algo_names and digest_algos disagree");

/* "sha1, sha256, ..." for error messages. */
#define DIGEST_VALID_MAX 64

static const char *
digest_desc_name(const struct digest_algo_desc *d)
{
	return digest_algo_names[d - digest_algos];
}

static const char *
digest_valid_names(char buf[DIGEST_VALID_MAX])
{
	size_t i, w = 0;

	buf[0] = '\0';
	for (i = 0; i < DIGEST_NALGOS && w < DIGEST_VALID_MAX; i++)
		w += (size_t)snprintf(buf + w, DIGEST_VALID_MAX - w, "%s%s",
		    i > 0 ? ", " : "", digest_algo_names[i]);
	return buf;
}

static const struct digest_algo_desc *
digest_algo_desc(enum digest_algo algo)
{
	size_t i;

	for (i = 0; i < DIGEST_NALGOS; i++)
		if (digest_algos[i].algo == algo)
			return &digest_algos[i];
	return NULL;
}

/* Finds an algorithm by the first len bytes of name (exact, lower case). */
static const struct digest_algo_desc *
digest_algo_lookup(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < DIGEST_NALGOS; i++)
		if (strlen(digest_algo_names[i]) == len &&
		    memcmp(digest_algo_names[i], name, len) == 0)
			return &digest_algos[i];
	return NULL;
}

/* Copies at most len bytes of s (less at a NUL) into out for quoting in a
 * message: printable ASCII as is, other bytes as \xNN, "..." when cut. */
static void
digest_quote(const char *s, size_t len, char out[DIGEST_QUOTE_BUF])
{
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; i < len && s[i] != '\0'; i++) {
		if (i == DIGEST_QUOTE_MAX) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = digest_hexdigits[c >> 4];
		out[o++] = digest_hexdigits[c & 0xf];
	}
	out[o] = '\0';
}

int
digest_algo_parse(const char *name, enum digest_algo *out, struct err *e)
{
	char quoted[DIGEST_QUOTE_BUF], valid[DIGEST_VALID_MAX];
	const struct digest_algo_desc *d;

	if (name == NULL)
		return err_set(e, "digest algorithm missing (valid: %s)",
		    digest_valid_names(valid));
	d = digest_algo_lookup(name, strlen(name));
	if (d == NULL) {
		digest_quote(name, SIZE_MAX, quoted);
		return err_set(e, "unknown digest algorithm '%s' (valid: %s)",
		    quoted, digest_valid_names(valid));
	}
	*out = d->algo;
	return 0;
}

const char *
digest_algo_name(enum digest_algo algo)
{
	const struct digest_algo_desc *d = digest_algo_desc(algo);

	return d ? digest_desc_name(d) : "unknown";
}

size_t
digest_algo_size(enum digest_algo algo)
{
	const struct digest_algo_desc *d = digest_algo_desc(algo);

	return d ? d->size : 0;
}

static int
digest_md_init(struct digest_ctx *ctx, mbedtls_md_type_t type, struct err *e)
{
	const mbedtls_md_info_t *info = mbedtls_md_info_from_type(type);
	mbedtls_md_context_t *md;

	if (info == NULL)
		return err_set(e, "%s: not supported by this mbedTLS build",
		    digest_algo_name(ctx->algo));
	md = malloc(sizeof(*md));
	if (md == NULL)
		return err_sys(e, ENOMEM, "%s", digest_algo_name(ctx->algo));
	mbedtls_md_init(md);
	if (mbedtls_md_setup(md, info, 0) != 0 || mbedtls_md_starts(md) != 0) {
		mbedtls_md_free(md);
		free(md);
		return err_set(e, "%s: cannot set up the mbedTLS digest",
		    digest_algo_name(ctx->algo));
	}
	ctx->state = md;
	return 0;
}

static int
digest_blake3_init(struct digest_ctx *ctx, struct err *e)
{
	struct blake3_hasher *h = malloc(sizeof(*h));

	if (h == NULL)
		return err_sys(e, ENOMEM, "blake3");
	blake3_hasher_init(h);
	ctx->state = h;
	return 0;
}

int
digest_init(struct digest_ctx *ctx, enum digest_algo algo, struct err *e)
{
	const struct digest_algo_desc *d = digest_algo_desc(algo);

	ctx->algo = algo;
	ctx->state = NULL;
	if (d == NULL)
		return err_set(e, "unknown digest algorithm #%d", (int)algo);
	if (algo == DIGEST_BLAKE3)
		return digest_blake3_init(ctx, e);
	return digest_md_init(ctx, d->md, e);
}

void
digest_update(struct digest_ctx *ctx, const void *data, size_t len)
{
	if (len == 0)
		return;
	if (ctx->algo == DIGEST_BLAKE3)
		blake3_hasher_update(ctx->state, data, len);
	else
		/* Cannot fail on a set-up context with the software hashes. */
		(void)mbedtls_md_update(ctx->state, data, len);
}

void
digest_abort(struct digest_ctx *ctx)
{
	if (ctx->state == NULL)
		return;
	if (ctx->algo != DIGEST_BLAKE3)
		mbedtls_md_free(ctx->state);
	free(ctx->state);
	ctx->state = NULL;
}

void
digest_final(struct digest_ctx *ctx, uint8_t raw[DIGEST_RAW_MAX])
{
	if (ctx->algo == DIGEST_BLAKE3)
		blake3_hasher_finalize(ctx->state, raw);
	else
		(void)mbedtls_md_finish(ctx->state, raw);
	digest_abort(ctx);
}

void
digest_format(enum digest_algo algo, const uint8_t *raw, char *out)
{
	const char *name = digest_algo_name(algo);
	size_t n = strlen(name), size = digest_algo_size(algo), i;

	memcpy(out, name, n);
	out[n++] = ':';
	for (i = 0; i < size; i++) {
		out[n++] = digest_hexdigits[raw[i] >> 4];
		out[n++] = digest_hexdigits[raw[i] & 0xf];
	}
	out[n] = '\0';
}

void
digest_final_string(struct digest_ctx *ctx, char out[DIGEST_STRING_MAX])
{
	uint8_t raw[DIGEST_RAW_MAX];
	enum digest_algo algo = ctx->algo;

	digest_final(ctx, raw);
	digest_format(algo, raw, out);
}

static int
digest_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes exactly 2 * size hex digits of hex into raw. */
static int
digest_parse_hex(const char *s, const char *hex, size_t size, uint8_t *raw,
    struct err *e)
{
	char quoted[DIGEST_QUOTE_BUF];
	size_t i;
	int hi, lo;

	for (i = 0; i < 2 * size; i++) {
		if (digest_hex_value(hex[i]) >= 0)
			continue;
		digest_quote(s, SIZE_MAX, quoted);
		if (hex[i] >= 0x20 && hex[i] < 0x7f)
			return err_set(e, "digest '%s': non-hex character "
			    "'%c' at offset %zu", quoted, hex[i],
			    (size_t)(hex - s) + i);
		return err_set(e, "digest '%s': non-hex byte 0x%02x at offset "
		    "%zu", quoted, (unsigned char)hex[i], (size_t)(hex - s) + i);
	}
	for (i = 0; i < size; i++) {
		hi = digest_hex_value(hex[2 * i]);
		lo = digest_hex_value(hex[2 * i + 1]);
		raw[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
digest_parse(const char *s, enum digest_algo *algo,
    uint8_t raw[DIGEST_RAW_MAX], struct err *e)
{
	char quoted[DIGEST_QUOTE_BUF], name[DIGEST_QUOTE_BUF];
	char valid[DIGEST_VALID_MAX];
	const struct digest_algo_desc *d;
	const char *colon, *hex;
	size_t hexlen;

	if (s == NULL)
		return err_set(e, "digest missing");
	colon = strchr(s, ':');
	if (colon == NULL) {
		digest_quote(s, SIZE_MAX, quoted);
		return err_set(e, "digest '%s': missing ':' between algorithm "
		    "and hex value", quoted);
	}
	d = digest_algo_lookup(s, (size_t)(colon - s));
	if (d == NULL) {
		digest_quote(s, SIZE_MAX, quoted);
		digest_quote(s, (size_t)(colon - s), name);
		return err_set(e, "digest '%s': unknown algorithm '%s' (valid: "
		    "%s)", quoted, name, digest_valid_names(valid));
	}
	hex = colon + 1;
	hexlen = strlen(hex);
	if (hexlen != 2 * d->size) {
		digest_quote(s, SIZE_MAX, quoted);
		return err_set(e, "digest '%s': wrong length: %s needs %zu hex "
		    "digits, got %zu", quoted, digest_desc_name(d), 2 * d->size, hexlen);
	}
	if (digest_parse_hex(s, hex, d->size, raw, e) != 0)
		return -1;
	*algo = d->algo;
	return 0;
}

int
digest_fd(struct digest_ctx *ctx, int fd, const char *path, struct err *e)
{
	uint8_t *buf = malloc(DIGEST_FILE_BUF);
	ssize_t n;

	if (buf == NULL)
		return path != NULL ? err_sys(e, ENOMEM, "digest '%s'", path) :
		    err_sys(e, ENOMEM, "digest");
	for (;;) {
		n = read(fd, buf, DIGEST_FILE_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (path != NULL)
				err_sys(e, errno, "read '%s'", path);
			else
				err_sys(e, errno, "read");
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		digest_update(ctx, buf, (size_t)n);
	}
	free(buf);
	return 0;
}

int
digest_file(const char *path, enum digest_algo algo,
    char out[DIGEST_STRING_MAX], struct err *e)
{
	struct digest_ctx ctx;
	int fd;

	do
		fd = open(path, O_RDONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return err_sys(e, errno, "open '%s'", path);
	if (digest_init(&ctx, algo, e) != 0)
		goto fail;
	if (digest_fd(&ctx, fd, path, e) != 0) {
		digest_abort(&ctx);
		goto fail;
	}
	close(fd);
	digest_final_string(&ctx, out);
	return 0;
fail:
	close(fd);
	return -1;
}

int
digest_file_verify(const char *path, const char *expected, struct err *e)
{
	char want[DIGEST_STRING_MAX], got[DIGEST_STRING_MAX];
	uint8_t raw[DIGEST_RAW_MAX];
	enum digest_algo algo;

	if (digest_parse(expected, &algo, raw, e) != 0)
		return err_prefix(e, "verify '%s'", path);
	if (digest_file(path, algo, got, e) != 0)
		return -1;
	/* Compare canonical forms so that upper-case hex matches too. */
	digest_format(algo, raw, want);
	if (strcmp(want, got) != 0)
		return err_set(e, "digest mismatch for '%s': expected %s, got %s",
		    path, want, got);
	return 0;
}
