/*
 * blake3: the BLAKE3 hash function in portable C, written from the BLAKE3
 * specification (hash mode only, no keyed hash or key derivation, 32-byte
 * output). Used by digest.c.
 *
 * A blake3_hasher is plain storage (about 1.9 KiB, no heap): the caller owns
 * it, initializes it with blake3_hasher_init, feeds it any number of updates
 * of any size, and reads the hash with blake3_hasher_finalize, which does not
 * modify the hasher (more input may follow). No static mutable state: safe on
 * any thread, one hasher per thread at a time.
 */
#ifndef AG_BLAKE3_H
#define AG_BLAKE3_H

#include <stddef.h>
#include <stdint.h>

#define BLAKE3_OUT_LEN 32
#define BLAKE3_BLOCK_LEN 64
#define BLAKE3_CHUNK_LEN 1024
/* Inputs up to 2^64 bytes have at most 2^54 chunks, hence 54 subtree CVs. */
#define BLAKE3_MAX_DEPTH 54

/* The chunk being absorbed: chaining value and the not yet compressed block. */
struct blake3_chunk {
	uint32_t cv[8];
	uint64_t counter;		/* index of this chunk in the input */
	uint8_t block[BLAKE3_BLOCK_LEN];
	uint8_t block_len;		/* bytes buffered in block */
	uint8_t blocks_done;		/* blocks of this chunk compressed */
};

struct blake3_hasher {
	struct blake3_chunk chunk;
	/* Chaining values of completed subtrees, largest (leftmost) first. */
	uint32_t stack[BLAKE3_MAX_DEPTH][8];
	uint8_t stack_len;
};

void blake3_hasher_init(struct blake3_hasher *h);
void blake3_hasher_update(struct blake3_hasher *h, const void *data,
    size_t len);
void blake3_hasher_finalize(const struct blake3_hasher *h,
    uint8_t out[BLAKE3_OUT_LEN]);

#endif
