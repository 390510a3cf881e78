/*
 * blake3: BLAKE3 hash mode from the specification (see blake3.h).
 *
 * The input is split into 1 KiB chunks of 64-byte blocks; each chunk is
 * compressed into a chaining value (CV) and the chunk CVs are merged pairwise
 * into a binary tree whose left subtrees are always complete. The hasher keeps
 * one partial chunk and a stack of completed subtree CVs; when the N-th chunk
 * completes, it is merged with the stack top once for every trailing zero bit
 * of N. The last block seen is always kept buffered so that finalization can
 * flag the root node (the only chunk, or the topmost parent).
 */
#include "base/blake3.h"

#include <string.h>

enum {
	BLAKE3_CHUNK_START = 1 << 0,
	BLAKE3_CHUNK_END = 1 << 1,
	BLAKE3_PARENT = 1 << 2,
	BLAKE3_ROOT = 1 << 3,
};

static const uint32_t blake3_iv[8] = {
	0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
	0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19,
};

/*
 * Message word order of each of the 7 rounds: round r+1 applies the
 * specification's permutation (2,6,3,10,7,0,4,13,1,11,12,5,9,14,15,8) to
 * round r, precomputed so the message never moves in memory.
 */
static const uint8_t blake3_schedule[7][16] = {
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8 },
	{ 3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1 },
	{ 10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6 },
	{ 12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4 },
	{ 9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7 },
	{ 11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13 },
};

static inline uint32_t
blake3_rotr(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static inline uint32_t
blake3_load32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline void
blake3_store32(uint8_t *p, uint32_t x)
{
	p[0] = (uint8_t)x;
	p[1] = (uint8_t)(x >> 8);
	p[2] = (uint8_t)(x >> 16);
	p[3] = (uint8_t)(x >> 24);
}

/* The quarter-round G on state words a, b, c, d with message words x, y. */
#define BLAKE3_G(v, a, b, c, d, x, y) do {				\
	v[a] = v[a] + v[b] + (x);					\
	v[d] = blake3_rotr(v[d] ^ v[a], 16);				\
	v[c] = v[c] + v[d];						\
	v[b] = blake3_rotr(v[b] ^ v[c], 12);				\
	v[a] = v[a] + v[b] + (y);					\
	v[d] = blake3_rotr(v[d] ^ v[a], 8);				\
	v[c] = v[c] + v[d];						\
	v[b] = blake3_rotr(v[b] ^ v[c], 7);				\
} while (0)

/* One round: G on the four columns, then on the four diagonals. */
#define BLAKE3_ROUND(v, m, r) do {					\
	const uint8_t *s_ = blake3_schedule[r];				\
	BLAKE3_G(v, 0, 4, 8, 12, m[s_[0]], m[s_[1]]);			\
	BLAKE3_G(v, 1, 5, 9, 13, m[s_[2]], m[s_[3]]);			\
	BLAKE3_G(v, 2, 6, 10, 14, m[s_[4]], m[s_[5]]);			\
	BLAKE3_G(v, 3, 7, 11, 15, m[s_[6]], m[s_[7]]);			\
	BLAKE3_G(v, 0, 5, 10, 15, m[s_[8]], m[s_[9]]);			\
	BLAKE3_G(v, 1, 6, 11, 12, m[s_[10]], m[s_[11]]);		\
	BLAKE3_G(v, 2, 7, 8, 13, m[s_[12]], m[s_[13]]);			\
	BLAKE3_G(v, 3, 4, 9, 14, m[s_[14]], m[s_[15]]);			\
} while (0)

/*
 * The compression function, truncated to the 8 words hash mode needs: the
 * new chaining value replaces cv.
 */
static void
blake3_compress(uint32_t cv[8], const uint32_t m[16], uint64_t counter,
    uint32_t block_len, uint32_t flags)
{
	uint32_t v[16];
	int i;

	for (i = 0; i < 8; i++)
		v[i] = cv[i];
	v[8] = blake3_iv[0];
	v[9] = blake3_iv[1];
	v[10] = blake3_iv[2];
	v[11] = blake3_iv[3];
	v[12] = (uint32_t)counter;
	v[13] = (uint32_t)(counter >> 32);
	v[14] = block_len;
	v[15] = flags;
	BLAKE3_ROUND(v, m, 0);
	BLAKE3_ROUND(v, m, 1);
	BLAKE3_ROUND(v, m, 2);
	BLAKE3_ROUND(v, m, 3);
	BLAKE3_ROUND(v, m, 4);
	BLAKE3_ROUND(v, m, 5);
	BLAKE3_ROUND(v, m, 6);
	for (i = 0; i < 8; i++)
		cv[i] = v[i] ^ v[i + 8];
}

/* Compresses a full 64-byte block of bytes into cv. */
static void
blake3_compress_bytes(uint32_t cv[8], const uint8_t *block, uint64_t counter,
    uint32_t flags)
{
	uint32_t m[16];
	int i;

	for (i = 0; i < 16; i++)
		m[i] = blake3_load32(block + 4 * i);
	blake3_compress(cv, m, counter, BLAKE3_BLOCK_LEN, flags);
}

/* ---- chunks ------------------------------------------------------------ */

static void
blake3_chunk_reset(struct blake3_chunk *c, uint64_t counter)
{
	memcpy(c->cv, blake3_iv, sizeof(c->cv));
	c->counter = counter;
	c->block_len = 0;
	c->blocks_done = 0;
}

static size_t
blake3_chunk_len(const struct blake3_chunk *c)
{
	return (size_t)c->blocks_done * BLAKE3_BLOCK_LEN + c->block_len;
}

static void
blake3_chunk_compress(struct blake3_chunk *c, const uint8_t *block)
{
	uint32_t flags = c->blocks_done == 0 ? BLAKE3_CHUNK_START : 0;

	blake3_compress_bytes(c->cv, block, c->counter, flags);
	c->blocks_done++;
}

/*
 * Absorbs len bytes, which must fit in the chunk. A block is compressed only
 * once a byte after it is known, so the final block stays buffered; blocks
 * that are not last are compressed straight from the input.
 */
static void
blake3_chunk_update(struct blake3_chunk *c, const uint8_t *in, size_t len)
{
	size_t take;

	while (len > 0) {
		if (c->block_len == BLAKE3_BLOCK_LEN) {
			blake3_chunk_compress(c, c->block);
			c->block_len = 0;
		}
		while (c->block_len == 0 && len > BLAKE3_BLOCK_LEN) {
			blake3_chunk_compress(c, in);
			in += BLAKE3_BLOCK_LEN;
			len -= BLAKE3_BLOCK_LEN;
		}
		take = BLAKE3_BLOCK_LEN - c->block_len;
		if (take > len)
			take = len;
		memcpy(c->block + c->block_len, in, take);
		c->block_len = (uint8_t)(c->block_len + take);
		in += take;
		len -= take;
	}
}

/* ---- tree nodes -------------------------------------------------------- */

/* A node's last compression, kept unevaluated until we know if it is root. */
struct blake3_node {
	uint32_t cv[8];
	uint32_t m[16];
	uint64_t counter;
	uint32_t block_len;
	uint32_t flags;
};

static void
blake3_node_of_chunk(const struct blake3_chunk *c, struct blake3_node *n)
{
	uint8_t block[BLAKE3_BLOCK_LEN] = { 0 };
	int i;

	memcpy(block, c->block, c->block_len);
	memcpy(n->cv, c->cv, sizeof(n->cv));
	for (i = 0; i < 16; i++)
		n->m[i] = blake3_load32(block + 4 * i);
	n->counter = c->counter;
	n->block_len = c->block_len;
	n->flags = BLAKE3_CHUNK_END |
	    (c->blocks_done == 0 ? BLAKE3_CHUNK_START : 0);
}

static void
blake3_node_of_parent(const uint32_t left[8], const uint32_t right[8],
    struct blake3_node *n)
{
	memcpy(n->cv, blake3_iv, sizeof(n->cv));
	memcpy(n->m, left, 8 * sizeof(uint32_t));
	memcpy(n->m + 8, right, 8 * sizeof(uint32_t));
	n->counter = 0;
	n->block_len = BLAKE3_BLOCK_LEN;
	n->flags = BLAKE3_PARENT;
}

/* The node's chaining value; extra_flags is BLAKE3_ROOT for the root. */
static void
blake3_node_cv(const struct blake3_node *n, uint32_t extra_flags,
    uint32_t out[8])
{
	memcpy(out, n->cv, 8 * sizeof(uint32_t));
	blake3_compress(out, n->m, n->counter, n->block_len,
	    n->flags | extra_flags);
}

/* ---- hasher ------------------------------------------------------------ */

void
blake3_hasher_init(struct blake3_hasher *h)
{
	blake3_chunk_reset(&h->chunk, 0);
	h->stack_len = 0;
}

/* Pushes the CV of chunk number total (1-based), merging complete subtrees. */
static void
blake3_hasher_push(struct blake3_hasher *h, uint32_t cv[8], uint64_t total)
{
	struct blake3_node parent;

	while ((total & 1) == 0) {
		h->stack_len--;
		blake3_node_of_parent(h->stack[h->stack_len], cv, &parent);
		blake3_node_cv(&parent, 0, cv);
		total >>= 1;
	}
	memcpy(h->stack[h->stack_len], cv, 8 * sizeof(uint32_t));
	h->stack_len++;
}

/* Closes the full current chunk (more input follows) and starts the next. */
static void
blake3_hasher_close_chunk(struct blake3_hasher *h)
{
	struct blake3_node node;
	uint32_t cv[8];
	uint64_t next = h->chunk.counter + 1;

	blake3_node_of_chunk(&h->chunk, &node);
	blake3_node_cv(&node, 0, cv);
	blake3_hasher_push(h, cv, next);
	blake3_chunk_reset(&h->chunk, next);
}

void
blake3_hasher_update(struct blake3_hasher *h, const void *data, size_t len)
{
	const uint8_t *in = data;
	size_t take;

	while (len > 0) {
		if (blake3_chunk_len(&h->chunk) == BLAKE3_CHUNK_LEN)
			blake3_hasher_close_chunk(h);
		take = BLAKE3_CHUNK_LEN - blake3_chunk_len(&h->chunk);
		if (take > len)
			take = len;
		blake3_chunk_update(&h->chunk, in, take);
		in += take;
		len -= take;
	}
}

void
blake3_hasher_finalize(const struct blake3_hasher *h,
    uint8_t out[BLAKE3_OUT_LEN])
{
	struct blake3_node node;
	uint32_t cv[8];
	size_t i = h->stack_len;
	int w;

	blake3_node_of_chunk(&h->chunk, &node);
	while (i > 0) {
		i--;
		blake3_node_cv(&node, 0, cv);
		blake3_node_of_parent(h->stack[i], cv, &node);
	}
	blake3_node_cv(&node, BLAKE3_ROOT, cv);
	for (w = 0; w < 8; w++)
		blake3_store32(out + 4 * w, cv[w]);
}
