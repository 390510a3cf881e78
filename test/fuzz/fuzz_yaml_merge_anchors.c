/*
 * Fuzz target for src/engine/yaml_merge.c with anchors and aliases: the
 * input is a little program, one byte per step, that writes two flow-style
 * YAML streams (base from the first half, overlay from the second) full of
 * anchored scalars and collections, aliases to them (and to undefined or
 * redefined anchors), alias keys, nesting and document breaks. The merge
 * may fail with a message; it must not crash, leak, hang or blow up, and a
 * successful result must merge back into itself unchanged and be no larger
 * than the budget allows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/yaml_merge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_MAX (1u << 17)
#define STACK_MAX 80		/* beyond YAML_MERGE_MAX_DEPTH on purpose */

struct gen {
	char buf[OUT_MAX];
	size_t len;
	char stack[STACK_MAX];	/* ']' or '}' to close */
	size_t keys[STACK_MAX];	/* next key number per open collection */
	size_t depth;
	unsigned anchors;	/* anchors defined so far */
	int first;		/* no item yet in the innermost collection */
};

static void
put(struct gen *g, const char *fmt, unsigned v)
{
	int n;

	if (g->len >= OUT_MAX - 64)
		return;
	n = snprintf(g->buf + g->len, OUT_MAX - g->len, fmt, v);
	if (n > 0)
		g->len += (size_t)n;
}

/* The separator and, inside a mapping, the key before a new item. */
static void
item(struct gen *g, unsigned arg)
{
	if (g->depth == 0)
		return;
	if (!g->first)
		put(g, ", ", 0);
	g->first = 0;
	if (g->stack[g->depth - 1] != '}')
		return;
	if ((arg & 7) == 7 && g->anchors > 0)
		put(g, "*a%u : ", (arg >> 3) % g->anchors);	/* alias key */
	else
		put(g, "k%u: ", (unsigned)g->keys[g->depth - 1]++ % 48);
}

static void
open_coll(struct gen *g, char kind, int anchored)
{
	if (g->depth == STACK_MAX)
		return;
	if (anchored)
		put(g, "&a%u ", g->anchors++ % 64);
	put(g, kind == '[' ? "[" : "{", 0);
	g->stack[g->depth] = kind == '[' ? ']' : '}';
	g->keys[g->depth++] = 0;
	g->first = 1;
}

static void
close_all(struct gen *g)
{
	while (g->depth > 0)
		put(g, g->stack[--g->depth] == ']' ? "]" : "}", 0);
	g->first = 0;
}

static void
step(struct gen *g, uint8_t b)
{
	unsigned arg = b >> 3;

	if (g->depth == 0 && (b & 7) != 6)
		open_coll(g, '{', 0);	/* documents are mappings */
	switch (b & 7) {
	case 0:
		item(g, arg);
		put(g, arg & 1 ? "'v%u'" : "v%u", arg % 5);
		break;
	case 1:
		item(g, arg);
		put(g, "&a%u ", g->anchors++ % 64);
		put(g, arg & 1 ? "!!str s%u" : "s%u", arg % 3);
		break;
	case 2:
		item(g, arg);
		put(g, "*a%u", arg % (g->anchors + 1));	/* may be undefined */
		break;
	case 3:
	case 4:
		item(g, arg);
		open_coll(g, (b & 7) == 3 ? '[' : '{', arg & 1);
		break;
	case 5:
		if (g->depth > 1) {
			put(g, g->stack[--g->depth] == ']' ? "]" : "}", 0);
			g->first = 0;
		}
		break;
	case 6:
		close_all(g);
		put(g, "\n---\n", 0);
		g->anchors = arg & 1 ? g->anchors : 0;	/* stale names too */
		break;
	case 7:		/* one of the last few anchors: laughs */
		item(g, arg);
		if (g->anchors == 0)
			put(g, "~", 0);
		else
			put(g, "*a%u", (g->anchors - 1 - arg % 4 %
			    g->anchors) % 64);
		break;
	}
}

static void
generate(struct gen *g, const uint8_t *data, size_t size)
{
	size_t i;

	memset(g, 0, sizeof(*g));
	for (i = 0; i < size; i++)
		step(g, data[i]);
	close_all(g);
	put(g, "\n", 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gen base, overlay;
	char *out = NULL, *again = NULL;
	size_t len, len2, half = size / 2;
	struct err e;

	if (size > 8192)
		return 0;
	generate(&base, data, half);
	generate(&overlay, data + half, size - half);
	if (yaml_merge(base.buf, base.len, "base", overlay.buf, overlay.len,
	    "overlay", &out, &len, &e) == 0) {
		if (len > 4 * (size_t)YAML_MERGE_MAX_BYTES)
			abort();
		if (yaml_merge(out, len, "merged", "", 0, "empty", &again,
		    &len2, &e) != 0)
			abort();	/* our own output must parse back */
		if (len2 != len || memcmp(out, again, len) != 0)
			abort();	/* and be a fixed point */
		free(again);
	}
	free(out);
	return 0;
}
