/*
 * pack: one-block deep copies (see pack.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/pack.h"

#define PACK_ALIGN 8

static void *
pack_put(struct pack *k, const void *p, size_t n, size_t align)
{
	void *d;

	k->off = (k->off + align - 1) & ~(align - 1);
	if (k->base == NULL) {
		k->off += n;
		return (void *)(uintptr_t)p;
	}
	d = k->base + k->off;
	memcpy(d, p, n);
	k->off += n;
	return d;
}

void *
pack_mem(struct pack *k, const void *p, size_t n)
{
	if (p == NULL || n == 0)
		return NULL;
	return pack_put(k, p, n, PACK_ALIGN);
}

char *
pack_str(struct pack *k, const char *s)
{
	if (s == NULL)
		return NULL;
	return pack_put(k, s, strlen(s) + 1, 1);
}

char *
pack_str_common(struct pack *k, const char *s, const char *const *common)
{
	if (s == NULL)
		return NULL;
	for (; *common != NULL; common++)
		if (strcmp(s, *common) == 0)
			/* counting walks the original: s stays, uncounted */
			return (char *)(uintptr_t)(k->base == NULL ? s :
			    *common);
	return pack_str(k, s);
}

char *
pack_str_tail(struct pack *k, const char *s, const char *within)
{
	size_t n, w;

	if (s == NULL || within == NULL)
		return pack_str(k, s);
	n = strlen(s);
	w = strlen(within);
	if (n > w || memcmp(within + w - n, s, n) != 0)
		return pack_str(k, s);
	/* counting: within is the original, s unchanged and not counted;
	 * copying: within is already the block's copy */
	return k->base == NULL ? (char *)(uintptr_t)s :
	    (char *)(uintptr_t)(within + w - n);
}

void *
pack_run(void *obj, size_t size, pack_relocate_fn relocate)
{
	struct pack k = { NULL, size };
	void *d;

	relocate(&k, obj);
	if ((k.base = malloc(k.off)) == NULL)
		return NULL;
	d = memcpy(k.base, obj, size);
	k.off = size;
	relocate(&k, d);
	return d;
}
