/*
 * pack: copies a tree of structs, arrays and strings into one allocation,
 * so an object kept for the process' life (an informer's projection) costs
 * one malloc chunk instead of one per string (glibc's chunks round every
 * string up to 32 bytes or more and add a header each).
 *
 * The caller writes one relocate function for its type, which walks an
 * object and replaces each of its pointers p with pack_mem(k, p, size) /
 * pack_str(k, p). pack_run calls it twice: first on the original to count
 * (pack_mem then returns p unchanged, so the walk reads the original), then
 * on a shallow copy at the start of the block, whose pointers it replaces
 * with copies inside the block. The block is freed with free(); nothing in
 * it may be freed alone or reallocated.
 *
 * Pure; any thread. Used by the controller's projections (gen_obj,
 * source_obj, ea_obj).
 */
#ifndef AG_PACK_H
#define AG_PACK_H

#include <stddef.h>

struct pack {
	char *base;		/* NULL while counting */
	size_t off;
};

typedef void (*pack_relocate_fn)(struct pack *k, void *obj);

/* n bytes at p copied into the block (8-byte aligned); NULL when p is NULL
 * or n is 0. While counting, p itself. */
void *pack_mem(struct pack *k, const void *p, size_t n);
/* A copy of the string s (NULL stays NULL). */
char *pack_str(struct pack *k, const char *s);
/* s as one of the strings of common (a NULL-terminated table of strings
 * that outlive every block, such as literals) when it equals one: most
 * objects share a kind, a reason, a finalizer, and keep only a pointer to
 * it. Else a copy, as pack_str. The result must not be written. */
char *pack_str_common(struct pack *k, const char *s,
    const char *const *common);
/* When the string within, packed before s in the same walk, ends with s:
 * a pointer to that tail of within's copy ("sha256:..." is the end of the
 * revision "latest@sha256:..."). Else a copy, as pack_str. */
char *pack_str_tail(struct pack *k, const char *s, const char *within);
/* One block holding a copy of the size bytes at obj and everything
 * relocate reaches from it; NULL when out of memory. obj is unchanged. */
void *pack_run(void *obj, size_t size, pack_relocate_fn relocate);

#endif
