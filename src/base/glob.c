/*
 * glob: compile and match path globs (see glob.h).
 *
 * Compilation validates the pattern on its original text (so error positions
 * are the user's) and expands '{..}' alternatives into plain patterns. Each
 * expansion is split into segments; equal segment texts are interned once
 * (struct glob_seg: the chunks between '*' runs) and the expansions become
 * chains of nodes (a segment or '**', then the next node) hash-consed so that
 * equal tails are one chain. The distinct chain heads are the start nodes.
 *
 * Matching walks the path one segment at a time with the set of live nodes
 * (a Thompson simulation over segments): a '**' node stays live and also
 * makes its successor live; a segment node makes its successor live when its
 * segment pattern matches the path segment, and that answer is memoised for
 * the path segment. Within a segment the first chunk is anchored at the
 * start, the last at the end, and the middle ones are found leftmost (the
 * classic greedy wildcard match, which is exact). The cost is bounded by
 * (live nodes + pattern text) per path segment; every step is charged to the
 * caller's struct glob_work, and running it out is an error, never a "no".
 */
#include "base/glob.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GLOB_NONE UINT32_MAX	/* no node: the end of a chain */
#define GLOB_STAR UINT32_MAX	/* the segment of a '**' node */

/* Lengths and offsets fit 32 bits: an expansion is at most
 * GLOB_PATTERN_MAX bytes and there are at most GLOB_ALT_MAX of them. */
struct glob_chunk {
	const char *p;		/* raw text (escapes kept), in a text */
	uint32_t len;
	uint32_t lit;		/* offset of the unescaped bytes in g->lits */
	uint32_t lit_len;
	bool plain;		/* no '?' or class: lit/lit_len are valid */
};

struct glob_seg {
	const char *p;		/* raw text, for interning */
	uint32_t len;
	uint32_t first, n;	/* chunks[first .. first + n) */
	bool lead, trail;	/* a '*' run before the first / after the last
				 * chunk */
};

struct glob_node {
	uint32_t seg;		/* index in segs, or GLOB_STAR */
	uint32_t next;		/* index in nodes, or GLOB_NONE */
};

struct glob {
	char *pattern;
	char *texts[GLOB_ALT_MAX];	/* the expansions; own segment text */
	size_t n_texts;
	struct glob_seg *segs;
	size_t n_segs, cap_segs;
	struct glob_chunk *chunks;
	size_t n_chunks, cap_chunks;
	char *lits;
	size_t n_lits, cap_lits;
	struct glob_node *nodes;
	size_t n_nodes, cap_nodes;
	uint32_t starts[GLOB_ALT_MAX];	/* distinct start nodes (or NONE) */
	size_t n_starts;
};

bool
glob_has_meta(const char *s)
{
	return strpbrk(s, "*?[{\\") != NULL;
}

/* Index just past the ']' closing the class opened at p[i], or 0 when the
 * class is not closed within the segment. */
static size_t
glob_class_end(const char *p, size_t n, size_t i)
{
	size_t k = i + 1;

	if (k < n && (p[k] == '!' || p[k] == '^'))
		k++;
	if (k < n && p[k] == ']')
		k++;
	while (k < n && p[k] != ']') {
		if (p[k] == '/')
			return 0;
		if (p[k] == '\\') {
			if (k + 1 >= n)
				return 0;
			k++;
		}
		k++;
	}
	return k < n ? k + 1 : 0;
}

static int
glob_validate(const char *pat, size_t n, struct err *e)
{
	size_t open[GLOB_NEST_MAX], depth = 0, i = 0, end;

	while (i < n) {
		switch (pat[i]) {
		case '\\':
			if (i + 1 >= n)
				return err_set(e, "invalid pattern '%s': trailing "
				    "'\\' at position %zu", pat, i + 1);
			i += 2;
			continue;
		case '[':
			if ((end = glob_class_end(pat, n, i)) == 0)
				return err_set(e, "invalid pattern '%s': "
				    "unterminated '[' at position %zu", pat, i + 1);
			i = end;
			continue;
		case '{':
			if (depth == GLOB_NEST_MAX)
				return err_set(e, "invalid pattern '%s': '{' "
				    "nested deeper than %d at position %zu", pat,
				    GLOB_NEST_MAX, i + 1);
			open[depth++] = i;
			break;
		case '}':
			if (depth > 0)
				depth--;
			break;
		}
		i++;
	}
	if (depth > 0)
		return err_set(e, "invalid pattern '%s': unterminated '{' at "
		    "position %zu", pat, open[depth - 1] + 1);
	return 0;
}

/* Skips an escape or a class starting at s[i]; returns the next index. */
static size_t
glob_skip(const char *s, size_t n, size_t i)
{
	size_t end;

	if (s[i] == '\\')
		return i + 2 <= n ? i + 2 : n;
	if (s[i] == '[' && (end = glob_class_end(s, n, i)) != 0)
		return end;
	return i + 1;
}

static int glob_expand(struct glob *g, const char *s, const char *orig,
    struct err *e);

/* Emits prefix + s[a..b) + suffix and expands it further. */
static int
glob_expand_alt(struct glob *g, const char *s, size_t open, size_t a,
    size_t b, size_t close, const char *orig, struct err *e)
{
	size_t n = strlen(s), len = open + (b - a) + (n - close - 1);
	char *t = malloc(len + 1);
	int rc;

	if (t == NULL)
		return err_set(e, "out of memory compiling '%s'", orig);
	memcpy(t, s, open);
	memcpy(t + open, s + a, b - a);
	memcpy(t + open + (b - a), s + close + 1, n - close - 1);
	t[len] = '\0';
	rc = glob_expand(g, t, orig, e);
	free(t);
	return rc;
}

static int
glob_add(struct glob *g, const char *s, const char *orig, struct err *e)
{
	if (g->n_texts == GLOB_ALT_MAX)
		return err_set(e, "invalid pattern '%s': more than %d "
		    "alternatives", orig, GLOB_ALT_MAX);
	if ((g->texts[g->n_texts] = strdup(s)) == NULL)
		return err_set(e, "out of memory compiling '%s'", orig);
	g->n_texts++;
	return 0;
}

/* Index of the '}' closing the group whose '{' is s[open]. */
static size_t
glob_group_close(const char *s, size_t n, size_t open)
{
	size_t i = open + 1, depth = 0;

	while (i < n) {
		if (s[i] == '{')
			depth++;
		else if (s[i] == '}' && depth-- == 0)
			return i;
		i = glob_skip(s, n, i);
	}
	return n;	/* not reached on validated input */
}

/* Expands the first top-level {..} group of s, recursively. */
static int
glob_expand(struct glob *g, const char *s, const char *orig, struct err *e)
{
	size_t n = strlen(s), i = 0, open, close, start, depth = 0;

	while (i < n && s[i] != '{')
		i = glob_skip(s, n, i);
	if (i >= n)
		return glob_add(g, s, orig, e);
	open = i;
	close = glob_group_close(s, n, open);
	if (close >= n)
		return err_set(e, "invalid pattern '%s': unterminated '{'", orig);
	start = open + 1;
	for (i = start; i <= close; ) {
		if (i < close && s[i] == '{')
			depth++;
		else if (i < close && s[i] == '}')
			depth--;
		else if (i == close || (s[i] == ',' && depth == 0)) {
			if (glob_expand_alt(g, s, open, start, i, close, orig,
			    e) != 0)
				return -1;
			start = i + 1;
		}
		i = i < close ? glob_skip(s, n, i) : i + 1;
	}
	return 0;
}

/* Grows *arr (elements of size sz) to hold need elements. */
static int
glob_grow(void **arr, size_t *cap, size_t need, size_t sz)
{
	size_t n = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	if ((p = realloc(*arr, n * sz)) == NULL)
		return -1;
	*arr = p;
	*cap = n;
	return 0;
}

/* Open-addressing tables that intern segments and nodes while compiling:
 * slots hold index + 1, 0 is empty. */
struct glob_build {
	uint32_t *seg_tab, *node_tab;
	size_t mask;
};

static uint64_t
glob_hash(const void *data, size_t n, uint64_t h)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* Appends one chunk p[0..n) (no unescaped '*') to g->chunks. */
static int
glob_add_chunk(struct glob *g, const char *p, size_t n)
{
	struct glob_chunk *c;
	size_t i = 0, end;

	if (glob_grow((void **)&g->chunks, &g->cap_chunks, g->n_chunks + 1,
	    sizeof(*g->chunks)) != 0 ||
	    glob_grow((void **)&g->lits, &g->cap_lits, g->n_lits + n + 1,
	    1) != 0)
		return -1;
	c = &g->chunks[g->n_chunks++];
	*c = (struct glob_chunk){ .p = p, .len = (uint32_t)n,
	    .lit = (uint32_t)g->n_lits, .plain = true };
	while (i < n) {
		if (p[i] == '?' || (p[i] == '[' &&
		    glob_class_end(p, n, i) != 0)) {
			c->plain = false;
			end = glob_skip(p, n, i);
		} else if (p[i] == '\\' && i + 1 < n) {
			g->lits[g->n_lits + c->lit_len++] = p[i + 1];
			end = i + 2;
		} else {
			g->lits[g->n_lits + c->lit_len++] = p[i];
			end = i + 1;
		}
		i = end;
	}
	g->n_lits += c->lit_len;
	return 0;
}

/* Splits a segment pattern into the chunks between its '*' runs. */
static int
glob_parse_seg(struct glob *g, struct glob_seg *sg)
{
	const char *p = sg->p;
	size_t n = sg->len, i = 0, start;

	sg->first = (uint32_t)g->n_chunks;
	sg->lead = n > 0 && p[0] == '*';
	while (i < n) {
		if (p[i] == '*') {
			sg->trail = true;
			i++;
			continue;
		}
		sg->trail = false;
		start = i;
		while (i < n && p[i] != '*')
			i = glob_skip(p, n, i);
		if (glob_add_chunk(g, p + start, i - start) != 0)
			return -1;
		sg->n++;
	}
	return 0;
}

/* The index of the segment pattern p[0..n), interned. */
static int
glob_intern_seg(struct glob *g, struct glob_build *b, const char *p,
    size_t n, uint32_t *out)
{
	size_t h = (size_t)glob_hash(p, n, 0xcbf29ce484222325ULL) & b->mask;
	struct glob_seg *sg;
	uint32_t k;

	while ((k = b->seg_tab[h]) != 0) {
		sg = &g->segs[k - 1];
		if (sg->len == n && memcmp(sg->p, p, n) == 0) {
			*out = k - 1;
			return 0;
		}
		h = (h + 1) & b->mask;
	}
	sg = &g->segs[g->n_segs];
	*sg = (struct glob_seg){ .p = p, .len = (uint32_t)n };
	if (glob_parse_seg(g, sg) != 0)
		return -1;
	b->seg_tab[h] = (uint32_t)++g->n_segs;
	*out = (uint32_t)(g->n_segs - 1);
	return 0;
}

/* The index of the node (seg, next), interned. */
static uint32_t
glob_intern_node(struct glob *g, struct glob_build *b, uint32_t seg,
    uint32_t next)
{
	uint32_t key[2] = { seg, next }, k;
	size_t h = (size_t)glob_hash(key, sizeof(key),
	    0x84222325cbf29ce4ULL) & b->mask;

	while ((k = b->node_tab[h]) != 0) {
		if (g->nodes[k - 1].seg == seg && g->nodes[k - 1].next == next)
			return k - 1;
		h = (h + 1) & b->mask;
	}
	g->nodes[g->n_nodes] = (struct glob_node){ seg, next };
	b->node_tab[h] = (uint32_t)++g->n_nodes;
	return (uint32_t)(g->n_nodes - 1);
}

/* Turns one expansion into a chain of nodes; *start is its head (NONE for
 * a pattern of no segment, such as "."). Empty and "." segments never
 * match a normalized path and are dropped; consecutive "**" are one. */
static int
glob_chain(struct glob *g, struct glob_build *b, const char *s,
    uint32_t *start)
{
	uint32_t ids[GLOB_PATTERN_MAX / 2 + 2], next = GLOB_NONE;
	size_t n = strlen(s), i = 0, begin = 0, k = 0, len;

	while (i <= n) {
		if (i < n && s[i] != '/') {
			i = glob_skip(s, n, i);
			continue;
		}
		len = i - begin;
		if (len == 2 && s[begin] == '*' && s[begin + 1] == '*') {
			if (k == 0 || ids[k - 1] != GLOB_STAR)
				ids[k++] = GLOB_STAR;
		} else if (len > 0 && !(len == 1 && s[begin] == '.')) {
			if (glob_intern_seg(g, b, s + begin, len, &ids[k]) != 0)
				return -1;
			k++;
		}
		begin = ++i;
	}
	while (k > 0)
		next = glob_intern_node(g, b, ids[--k], next);
	*start = next;
	return 0;
}

/* Gives back what the growing arrays over-allocated (a failed shrink keeps
 * the larger block). */
static void
glob_shrink(struct glob *g)
{
	void *p;

	if (g->n_segs > 0 &&
	    (p = realloc(g->segs, g->n_segs * sizeof(*g->segs))) != NULL)
		g->segs = p;
	if (g->n_nodes > 0 &&
	    (p = realloc(g->nodes, g->n_nodes * sizeof(*g->nodes))) != NULL)
		g->nodes = p;
	if (g->n_chunks > 0 && (p = realloc(g->chunks,
	    g->n_chunks * sizeof(*g->chunks))) != NULL)
		g->chunks = p;
	if (g->n_lits > 0 && (p = realloc(g->lits, g->n_lits)) != NULL)
		g->lits = p;
}

/* Interns every expansion's segments and chains, and keeps the distinct
 * chain heads as the start nodes. */
static int
glob_build_nodes(struct glob *g, struct err *e)
{
	struct glob_build b = { 0 };
	size_t i, k, total = 0, tab = 4;
	uint32_t start;
	int rc = -1;

	for (i = 0; i < g->n_texts; i++)
		for (k = 0, total++; g->texts[i][k] != '\0'; k++)
			total += g->texts[i][k] == '/';
	while (tab < 2 * total + 2)
		tab *= 2;
	b.mask = tab - 1;
	b.seg_tab = calloc(tab, sizeof(*b.seg_tab));
	b.node_tab = calloc(tab, sizeof(*b.node_tab));
	g->segs = calloc(total, sizeof(*g->segs));
	g->nodes = calloc(total, sizeof(*g->nodes));
	if (b.seg_tab == NULL || b.node_tab == NULL || g->segs == NULL ||
	    g->nodes == NULL)
		goto fail;
	for (i = 0; i < g->n_texts; i++) {
		if (glob_chain(g, &b, g->texts[i], &start) != 0)
			goto fail;
		for (k = 0; k < g->n_starts && g->starts[k] != start; k++)
			;
		if (k == g->n_starts)
			g->starts[g->n_starts++] = start;
	}
	glob_shrink(g);
	rc = 0;
fail:
	if (rc != 0)
		err_set(e, "out of memory compiling '%s'", g->pattern);
	free(b.seg_tab);
	free(b.node_tab);
	return rc;
}

int
glob_compile(const char *pattern, struct glob **out, struct err *e)
{
	size_t n = strlen(pattern);
	struct glob *g;

	*out = NULL;
	if (n == 0)
		return err_set(e, "invalid pattern '': empty");
	if (n > GLOB_PATTERN_MAX)
		return err_set(e, "invalid pattern '%.64s...': longer than %d "
		    "characters", pattern, GLOB_PATTERN_MAX);
	if (glob_validate(pattern, n, e) != 0)
		return -1;
	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->pattern = strdup(pattern)) == NULL) {
		free(g);
		return err_set(e, "out of memory compiling '%s'", pattern);
	}
	if (glob_expand(g, pattern, pattern, e) != 0 ||
	    glob_build_nodes(g, e) != 0)
		goto fail;
	*out = g;
	return 0;
fail:
	glob_free(g);
	return -1;
}

void
glob_free(struct glob *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->n_texts; i++)
		free(g->texts[i]);
	free(g->segs);
	free(g->chunks);
	free(g->lits);
	free(g->nodes);
	free(g->pattern);
	free(g);
}

const char *
glob_pattern(const struct glob *g)
{
	return g->pattern;
}

/* Decodes one UTF-8 character (an invalid byte stands for itself). */
static size_t
glob_utf8(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len, k;
	uint32_t c;

	if (s[0] < 0x80 || n < 2)
		goto byte;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else
		goto byte;
	if (len > n)
		goto byte;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			goto byte;
		c = (c << 6) | (s[k] & 0x3f);
	}
	*cp = c;
	return len;
byte:
	*cp = s[0];
	return 1;
}

/* One class member character at p[*k] (escape-aware); advances *k. */
static uint32_t
glob_class_char(const char *p, size_t n, size_t *k)
{
	uint32_t c;

	if (p[*k] == '\\' && *k + 1 < n)
		(*k)++;
	*k += glob_utf8(p + *k, n - *k, &c);
	return c;
}

/* Matches the class at p[*pi] against c; advances *pi past the class. */
static bool
glob_class_match(const char *p, size_t n, size_t *pi, uint32_t c)
{
	size_t k = *pi + 1;
	bool neg = false, hit = false, first = true;
	uint32_t lo, hi;

	if (p[k] == '!' || p[k] == '^') {
		neg = true;
		k++;
	}
	while (k < n && (first || p[k] != ']')) {
		first = false;
		lo = hi = glob_class_char(p, n, &k);
		if (k + 1 < n && p[k] == '-' && p[k + 1] != ']') {
			k++;
			hi = glob_class_char(p, n, &k);
		}
		if (c >= lo && c <= hi)
			hit = true;
	}
	*pi = k + 1;
	return hit != neg;
}

/* Matches chunk c at s[q..sn); *end is then the index just past it. */
static bool
glob_chunk_at(const struct glob *g, const struct glob_chunk *c,
    const char *s, size_t q, size_t sn, size_t *end, long *left)
{
	const char *p = c->p;
	size_t pn = c->len, pi = 0, si = q, lit, adv;
	uint32_t ch;

	if (c->plain) {
		*left -= (long)c->lit_len + 1;
		if (sn - q < c->lit_len ||
		    memcmp(s + q, g->lits + c->lit, c->lit_len) != 0)
			return false;
		*end = q + c->lit_len;
		return true;
	}
	while (pi < pn) {
		--*left;
		if (si >= sn)
			return false;
		if (p[pi] == '?' || (p[pi] == '[' &&
		    glob_class_end(p, pn, pi) != 0)) {
			adv = glob_utf8(s + si, sn - si, &ch);
			if (p[pi] == '?')
				pi++;
			else if (!glob_class_match(p, pn, &pi, ch))
				return false;
			si += adv;
			continue;
		}
		lit = p[pi] == '\\' && pi + 1 < pn ? pi + 1 : pi;
		if (p[lit] != s[si])
			return false;
		pi = lit + 1;
		si++;
	}
	*end = si;
	return true;
}

/* True for a UTF-8 continuation byte: a plain chunk starting with any other
 * byte can only be found at a character boundary. */
static bool
glob_cont(const struct glob *g, const struct glob_chunk *c)
{
	return c->lit_len > 0 &&
	    ((unsigned char)g->lits[c->lit] & 0xc0) == 0x80;
}

/* Finds chunk c leftmost at a character boundary of s[pos..sn) (after a
 * '*'); *end is then just past it. With at_end the chunk must end at sn. */
static bool
glob_chunk_find(const struct glob *g, const struct glob_chunk *c,
    const char *s, size_t pos, size_t sn, bool at_end, size_t *end,
    long *left)
{
	const char *f;
	uint32_t ch;

	if (c->plain && !glob_cont(g, c)) {
		if (at_end) {
			if (sn - pos < c->lit_len)
				return false;
			return glob_chunk_at(g, c, s, sn - c->lit_len, sn, end,
			    left);
		}
		/* memmem is linear: charge the bytes it scanned */
		f = memmem(s + pos, sn - pos, g->lits + c->lit, c->lit_len);
		if (f == NULL) {
			*left -= (long)(sn - pos + 1);
			return false;
		}
		*end = (size_t)(f - s) + c->lit_len;
		*left -= (long)(*end - pos + 1);
		return true;
	}
	for (;;) {
		if (glob_chunk_at(g, c, s, pos, sn, end, left) &&
		    (!at_end || *end == sn))
			return true;
		if (pos >= sn || *left < 0)
			return false;
		pos += glob_utf8(s + pos, sn - pos, &ch);
	}
}

/* Matches one segment pattern against one path segment s[0..sn). */
static bool
glob_seg_match(const struct glob *g, const struct glob_seg *sg,
    const char *s, size_t sn, long *left)
{
	const struct glob_chunk *c = g->chunks + sg->first;
	size_t i = 0, pos = 0, end;

	if (!sg->lead) {
		if (sg->n == 0)
			return sn == 0;
		if (!glob_chunk_at(g, &c[0], s, 0, sn, &end, left))
			return false;
		if (sg->n == 1 && !sg->trail)
			return end == sn;
		pos = end;
		i = 1;
	}
	/* a '*' run precedes c[i] */
	for (; i < sg->n; i++) {
		if (!glob_chunk_find(g, &c[i], s, pos, sn,
		    i + 1 == sg->n && !sg->trail, &end, left))
			return false;
		pos = end;
	}
	return true;
}

static void
glob_work_zero(struct glob_work *w)
{
	if (w->mark != NULL)
		memset(w->mark, 0, w->cap_nodes * sizeof(*w->mark));
	if (w->memo_gen != NULL)
		memset(w->memo_gen, 0, w->cap_segs * sizeof(*w->memo_gen));
}

void
glob_work_init(struct glob_work *w, long steps)
{
	*w = (struct glob_work){ .left = steps, .budget = steps };
}

void
glob_work_fini(struct glob_work *w)
{
	free(w->mark);
	free(w->set[0]);
	free(w->set[1]);
	free(w->memo_gen);
	free(w->memo);
	*w = (struct glob_work){ 0 };
}

/* Grows the scratch to g's sizes; new stamps are 0 (never current). */
static int
glob_work_fit(struct glob_work *w, const struct glob *g)
{
	size_t nn = g->n_nodes ? g->n_nodes : 1, ns = g->n_segs ? g->n_segs : 1;
	void *p;

	if (nn > w->cap_nodes) {
		if ((p = realloc(w->mark, nn * sizeof(*w->mark))) == NULL)
			return -1;
		w->mark = p;
		memset(w->mark + w->cap_nodes, 0,
		    (nn - w->cap_nodes) * sizeof(*w->mark));
		w->cap_nodes = nn;
		for (int k = 0; k < 2; k++) {
			free(w->set[k]);
			if ((w->set[k] = malloc(nn * sizeof(uint32_t))) == NULL)
				return -1;
		}
	}
	if (ns > w->cap_segs) {
		if ((p = realloc(w->memo_gen, ns * sizeof(*w->memo_gen))) ==
		    NULL)
			return -1;
		w->memo_gen = p;
		memset(w->memo_gen + w->cap_segs, 0,
		    (ns - w->cap_segs) * sizeof(*w->memo_gen));
		if ((p = realloc(w->memo, ns)) == NULL)
			return -1;
		w->memo = p;
		w->cap_segs = ns;
	}
	return 0;
}

/* A set of live nodes, stamped in the work's marks. */
struct glob_set {
	uint32_t *v;
	size_t n;
	uint32_t stamp;
	bool end;		/* a chain ran to its end: a complete match */
};

static void
glob_set_open(struct glob_work *w, struct glob_set *set, uint32_t *v)
{
	if (++w->gen == 0) {
		glob_work_zero(w);
		w->gen = 1;
	}
	*set = (struct glob_set){ .v = v, .stamp = w->gen };
}

/* Adds node x and, through '**' nodes, the nodes that follow them. */
static void
glob_set_add(const struct glob *g, struct glob_work *w, struct glob_set *set,
    uint32_t x)
{
	while (x != GLOB_NONE) {
		if (w->mark[x] == set->stamp)
			return;
		w->mark[x] = set->stamp;
		set->v[set->n++] = x;
		if (g->nodes[x].seg != GLOB_STAR)
			return;
		x = g->nodes[x].next;
	}
	set->end = true;
}

static void
glob_set_start(const struct glob *g, struct glob_work *w,
    struct glob_set *set)
{
	size_t i;

	for (i = 0; i < g->n_starts; i++)
		glob_set_add(g, w, set, g->starts[i]);
}

/* Consumes the path segment s[0..sn): from cur into next. */
static void
glob_step(const struct glob *g, struct glob_work *w,
    const struct glob_set *cur, struct glob_set *next, const char *s,
    size_t sn)
{
	const struct glob_node *nd;
	size_t i;

	for (i = 0; i < cur->n && w->left >= 0; i++) {
		nd = &g->nodes[cur->v[i]];
		w->left--;
		if (nd->seg == GLOB_STAR) {
			glob_set_add(g, w, next, cur->v[i]);
			continue;
		}
		if (w->memo_gen[nd->seg] != next->stamp) {
			w->memo[nd->seg] = glob_seg_match(g, &g->segs[nd->seg],
			    s, sn, &w->left);
			w->memo_gen[nd->seg] = next->stamp;
		}
		if (w->memo[nd->seg])
			glob_set_add(g, w, next, nd->next);
	}
}

static bool
glob_in(const size_t *skip, size_t n, size_t j)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (skip[i] == j)
			return true;
	return false;
}

/* Runs the path through the nodes; *out is the final set's answer. */
static int
glob_run(const struct glob *g, const char *path, const size_t *skip,
    size_t n_skip, bool below, struct glob_work *w, struct err *e)
{
	struct glob_set cur, next;
	const char *s = path, *end;
	size_t j = 0, i, last = 0;
	int k = 0;

	if (w->left < 0)
		goto exhausted;
	if (glob_work_fit(w, g) != 0)
		return err_set(e, "pattern '%s': out of memory matching '%s'",
		    g->pattern, path);
	for (i = 0; i < n_skip; i++)
		last = skip[i] > last ? skip[i] : last;
	glob_set_open(w, &cur, w->set[k]);
	if (*s == '\0' && glob_in(skip, n_skip, 0))
		glob_set_start(g, w, &cur);
	for (; *s != '\0'; j++) {
		if (glob_in(skip, n_skip, j))
			glob_set_start(g, w, &cur);
		if (cur.n == 0 && j >= last)
			return 0;
		end = strchrnul(s, '/');
		k ^= 1;
		glob_set_open(w, &next, w->set[k]);
		glob_step(g, w, &cur, &next, s, (size_t)(end - s));
		if (w->left < 0)
			goto exhausted;
		cur = next;
		s = *end ? end + 1 : end;
	}
	return below ? cur.n > 0 : cur.end;
exhausted:
	return err_set(e, "pattern '%s': work budget of %ld steps exhausted "
	    "matching '%s'", g->pattern, w->budget, path);
}

int
glob_match(const struct glob *g, const char *path, struct glob_work *w,
    struct err *e)
{
	static const size_t whole = 0;

	return glob_run(g, path, &whole, 1, false, w, e);
}

int
glob_match_tails(const struct glob *g, const char *path, const size_t *skip,
    size_t n_skip, struct glob_work *w, struct err *e)
{
	return glob_run(g, path, skip, n_skip, false, w, e);
}

int
glob_match_below(const struct glob *g, const char *dir, struct glob_work *w,
    struct err *e)
{
	static const size_t whole = 0;

	return glob_run(g, dir, &whole, 1, true, w, e);
}
