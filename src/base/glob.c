/*
 * glob: compile and match path globs (see glob.h).
 *
 * Compilation validates the pattern on its original text (so error positions
 * are the user's), expands '{..}' alternatives into plain patterns and splits
 * each one into segments. Matching runs the classic single-backtrack-point
 * loop twice: within a segment for '*', across segments for '**'. Both are
 * O(pattern x text) and share a step budget, so no input is exponential.
 */
#include "base/glob.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GLOB_STEP_BUDGET (1L << 22)

struct glob_seg {
	const char *p;		/* raw segment text, escapes kept */
	size_t len;
	bool globstar;		/* the segment is exactly "**" */
};

struct glob_alt {
	char *text;		/* the expanded pattern (owns the segments' text) */
	struct glob_seg *segs;
	size_t n;
};

struct glob {
	struct glob_alt alts[GLOB_ALT_MAX];
	size_t n;
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
	if (g->n == GLOB_ALT_MAX)
		return err_set(e, "invalid pattern '%s': more than %d "
		    "alternatives", orig, GLOB_ALT_MAX);
	if ((g->alts[g->n].text = strdup(s)) == NULL)
		return err_set(e, "out of memory compiling '%s'", orig);
	g->n++;
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

/* Splits alt->text at unescaped '/' into segments; empty and "." ones
 * are dropped. */
static int
glob_split(struct glob_alt *alt, const char *orig, struct err *e)
{
	const char *s = alt->text;
	size_t n = strlen(s), i = 0, start = 0, cap = 1;

	for (i = 0; i < n; i++)
		if (s[i] == '/')
			cap++;
	if ((alt->segs = calloc(cap, sizeof(*alt->segs))) == NULL)
		return err_set(e, "out of memory compiling '%s'", orig);
	for (i = 0; i <= n; ) {
		if (i < n && s[i] != '/') {
			i = glob_skip(s, n, i);
			continue;
		}
		/* empty and "." segments never match a normalized path */
		if (i > start && !(i - start == 1 && s[start] == '.')) {
			struct glob_seg *seg = &alt->segs[alt->n];

			seg->p = s + start;
			seg->len = i - start;
			seg->globstar = seg->len == 2 && s[start] == '*' &&
			    s[start + 1] == '*';
			/* consecutive "**" segments are one */
			if (!(seg->globstar && alt->n > 0 &&
			    alt->segs[alt->n - 1].globstar))
				alt->n++;
		}
		start = ++i;
	}
	return 0;
}

int
glob_compile(const char *pattern, struct glob **out, struct err *e)
{
	size_t n = strlen(pattern), i;
	struct glob *g;

	*out = NULL;
	if (n == 0)
		return err_set(e, "invalid pattern '': empty");
	if (n > GLOB_PATTERN_MAX)
		return err_set(e, "invalid pattern '%.64s...': longer than %d "
		    "characters", pattern, GLOB_PATTERN_MAX);
	if (glob_validate(pattern, n, e) != 0)
		return -1;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return err_set(e, "out of memory compiling '%s'", pattern);
	if (glob_expand(g, pattern, pattern, e) != 0)
		goto fail;
	for (i = 0; i < g->n; i++)
		if (glob_split(&g->alts[i], pattern, e) != 0)
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
	for (i = 0; i < g->n; i++) {
		free(g->alts[i].text);
		free(g->alts[i].segs);
	}
	free(g);
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

/* Matches one segment pattern against one name ('*' backtracking). */
static bool
glob_seg_match(const struct glob_seg *seg, const char *s, size_t sn,
    long *budget)
{
	const char *p = seg->p;
	size_t pn = seg->len, pi = 0, si = 0, star_p = 0, star_s = 0, adv;
	bool star = false;
	uint32_t c;

	while (si < sn) {
		if (--*budget < 0)
			return false;
		if (pi < pn && p[pi] == '*') {
			while (pi < pn && p[pi] == '*')
				pi++;
			star = true;
			star_p = pi;
			star_s = si;
			continue;
		}
		if (pi < pn) {
			adv = glob_utf8(s + si, sn - si, &c);
			if (p[pi] == '?') {
				pi++;
				si += adv;
				continue;
			}
			if (p[pi] == '[') {
				size_t next = pi;

				if (glob_class_match(p, pn, &next, c)) {
					pi = next;
					si += adv;
					continue;
				}
			} else {
				size_t lit = p[pi] == '\\' ? pi + 1 : pi;

				if (lit < pn && p[lit] == s[si]) {
					pi = lit + 1;
					si++;
					continue;
				}
			}
		}
		if (!star)
			return false;
		star_s += glob_utf8(s + star_s, sn - star_s, &c);
		si = star_s;
		pi = star_p;
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

static const char *
glob_seg_end(const char *s)
{
	return strchrnul(s, '/');
}

/* Matches one expansion against a path ('**' backtracking over segments). */
static bool
glob_alt_match(const struct glob_alt *alt, const char *path, long *budget)
{
	const char *s = path, *star_s = NULL, *end;
	size_t pi = 0, star_p = 0;

	for (;;) {
		if (--*budget < 0)
			return false;
		if (pi < alt->n && alt->segs[pi].globstar) {
			star_p = ++pi;
			star_s = s;
			continue;
		}
		if (*s == '\0') {
			if (pi == alt->n)
				return true;
		} else if (pi < alt->n) {
			end = glob_seg_end(s);
			if (glob_seg_match(&alt->segs[pi], s, (size_t)(end - s),
			    budget)) {
				pi++;
				s = *end ? end + 1 : end;
				continue;
			}
		}
		if (star_s == NULL || *star_s == '\0')
			return false;
		end = glob_seg_end(star_s);
		star_s = *end ? end + 1 : end;
		s = star_s;
		pi = star_p;
	}
}

bool
glob_match(const struct glob *g, const char *path)
{
	long budget = GLOB_STEP_BUDGET;
	size_t i;

	for (i = 0; i < g->n; i++)
		if (glob_alt_match(&g->alts[i], path, &budget))
			return true;
	return false;
}

static bool
glob_alt_match_below(const struct glob_alt *alt, const char *dir,
    long *budget)
{
	const char *s = dir, *end;
	size_t pi = 0;

	while (*s != '\0') {
		if (pi == alt->n)
			return false;
		if (alt->segs[pi].globstar)
			return true;
		end = glob_seg_end(s);
		if (!glob_seg_match(&alt->segs[pi], s, (size_t)(end - s),
		    budget))
			return false;
		pi++;
		s = *end ? end + 1 : end;
	}
	return pi < alt->n;
}

bool
glob_match_below(const struct glob *g, const char *dir)
{
	long budget = GLOB_STEP_BUDGET;
	size_t i;

	for (i = 0; i < g->n; i++)
		if (glob_alt_match_below(&g->alts[i], dir, &budget))
			return true;
	return false;
}
