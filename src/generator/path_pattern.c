/*
 * path_pattern: parsing of spec.pathPattern, discovery of the directories it
 * matches (a bounded, symlink-free walk with openat) and rendering of the
 * artifact templates for each match. See path_pattern.h for the rules.
 */
#include "generator/path_pattern.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/dir_list.h"
#include "generator/kube_names.h"

#define REL_MAX 4096

/* One matched directory: its path relative to the source root and the
 * captured values, in the order of the pattern's captures. */
struct match {
	char *rel;
	char **values;
};

struct walk {
	const struct path_pattern *pp;
	size_t n_caps;
	struct match *matches;
	size_t n_matches;
	size_t cap_matches;
	size_t budget;		/* directory entries left to examine */
	const char *values[PATH_PATTERN_MAX_SEGMENTS];
	struct err *e;
};

void
path_pattern_free(struct path_pattern *p)
{
	if (p == NULL)
		return;
	free(p->alias);
	for (size_t i = 0; i < p->n_segs; i++)
		free(p->segs[i].text);
	free(p->segs);
	memset(p, 0, sizeof(*p));
}

bool
path_pattern_has_capture(const struct path_pattern *p, const char *name)
{
	for (size_t i = 0; i < p->n_segs; i++)
		if (p->segs[i].capture && strcmp(p->segs[i].text, name) == 0)
			return true;
	return false;
}

static bool
is_ident(const char *s, size_t n)
{
	if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

static int
parse_segment(struct path_pattern *p, const char *seg, size_t n,
    struct err *e)
{
	struct path_pattern_seg *s = &p->segs[p->n_segs];
	size_t opens = 0, closes = 0;

	for (size_t i = 0; i < n; i++) {
		opens += seg[i] == '{';
		closes += seg[i] == '}';
	}
	if (n == 0)
		return err_set(e, "empty path segment");
	if ((n == 1 && seg[0] == '.') || (n == 2 && memcmp(seg, "..", 2) == 0))
		return err_set(e, "'.' and '..' segments are not allowed");
	if (opens != closes)
		return err_set(e, "unbalanced braces in segment '%.*s'",
		    (int)n, seg);
	s->capture = opens > 0;
	if (s->capture && (opens != 1 || seg[0] != '{' || seg[n - 1] != '}'))
		return err_set(e, "a capture must be a whole path segment "
		    "'{name}', got '%.*s'", (int)n, seg);
	if (s->capture) {
		seg++;
		n -= 2;
	}
	if ((s->text = strndup(seg, n)) == NULL)
		return err_set(e, "out of memory");
	p->n_segs++;
	if (!s->capture)
		return 0;
	if (!is_ident(s->text, n) || !gen_is_label_key(s->text))
		return err_set(e, "capture name '%s' must match "
		    "[A-Za-z_][A-Za-z0-9_]* and be a valid label key", s->text);
	for (size_t i = 0; i + 1 < p->n_segs; i++)
		if (p->segs[i].capture && strcmp(p->segs[i].text, s->text) == 0)
			return err_set(e, "duplicate capture name '%s'", s->text);
	return 0;
}

static int
parse_segments(struct path_pattern *p, const char *rest, struct err *e)
{
	size_t len = strlen(rest);

	if (len > 0 && rest[len - 1] == '/')
		len--;			/* a trailing slash is allowed */
	if (len == 0)
		return err_set(e, "no path after the source alias");
	p->segs = calloc(PATH_PATTERN_MAX_SEGMENTS, sizeof(*p->segs));
	if (p->segs == NULL)
		return err_set(e, "out of memory");
	for (size_t start = 0; start <= len;) {
		const char *slash = memchr(rest + start, '/', len - start);
		size_t end = slash ? (size_t)(slash - rest) : len;

		if (p->n_segs == PATH_PATTERN_MAX_SEGMENTS)
			return err_set(e, "more than %d path segments",
			    PATH_PATTERN_MAX_SEGMENTS);
		if (parse_segment(p, rest + start, end - start, e) < 0)
			return -1;
		start = end + 1;
	}
	return 0;
}

int
path_pattern_parse(const char *pattern, struct path_pattern *out,
    struct err *e)
{
	const char *slash;

	memset(out, 0, sizeof(*out));
	slash = pattern[0] == '@' ? strchr(pattern, '/') : NULL;
	if (slash == NULL)
		return err_set(e, "must be '@<alias>/<path>'");
	if ((out->alias = strndup(pattern + 1, (size_t)(slash - pattern - 1)))
	    == NULL)
		return err_set(e, "out of memory");
	if (!gen_is_alias(out->alias)) {
		err_set(e, "invalid source alias '%s'", out->alias);
		goto fail;
	}
	if (parse_segments(out, slash + 1, e) < 0)
		goto fail;
	return 0;
fail:
	path_pattern_free(out);
	return -1;
}

int
path_pattern_check_template(const struct path_pattern *p, const char *tmpl,
    struct err *e)
{
	for (const char *c = tmpl; *c != '\0'; c++) {
		const char *close;
		char name[GEN_MAX_LABEL_LEN + 1];
		size_t n;

		if (*c == '}')
			return err_set(e, "unbalanced '}'");
		if (*c != '{')
			continue;
		close = strpbrk(c + 1, "{}");
		if (close == NULL || *close == '{')
			return err_set(e, "unbalanced '{'");
		n = (size_t)(close - c - 1);
		if (n > GEN_MAX_LABEL_LEN || !is_ident(c + 1, n))
			return err_set(e, "'%.*s' is not a capture reference",
			    (int)(n + 2), c);
		memcpy(name, c + 1, n);
		name[n] = '\0';
		if (!path_pattern_has_capture(p, name))
			return err_set(e, "unknown capture '{%s}' (not in "
			    "spec.pathPattern)", name);
		c = close;
	}
	return 0;
}

/* Index of capture name (n bytes) among p's captures, or -1. */
static int
capture_index(const struct path_pattern *p, const char *name, size_t n)
{
	int idx = 0;

	for (size_t i = 0; i < p->n_segs; i++) {
		if (!p->segs[i].capture)
			continue;
		if (strlen(p->segs[i].text) == n &&
		    memcmp(p->segs[i].text, name, n) == 0)
			return idx;
		idx++;
	}
	return -1;
}

/*
 * Writes tmpl with every `{capture}` replaced by the match's value
 * (lower-cased when lower) into out, when out is not NULL; other braces are
 * copied as they are. Returns the length of the result.
 */
static size_t
render_into(const struct path_pattern *p, const char *tmpl,
    const struct match *m, bool lower, char *out)
{
	size_t len = 0;

	for (const char *c = tmpl; *c != '\0'; c++) {
		const char *close = *c == '{' ? strchr(c, '}') : NULL;
		int idx = close ? capture_index(p, c + 1,
		    (size_t)(close - c - 1)) : -1;

		if (idx < 0) {
			if (out != NULL)
				out[len] = *c;
			len++;
			continue;
		}
		for (const char *v = m->values[idx]; *v; v++, len++)
			if (out != NULL)
				out[len] = lower ?
				    (char)tolower((unsigned char)*v) : *v;
		c = close;
	}
	if (out != NULL)
		out[len] = '\0';
	return len;
}

/* The rendered template, malloc'd (exactly sized), or NULL. */
static char *
render(const struct path_pattern *p, const char *tmpl,
    const struct match *m, bool lower)
{
	char *out = malloc(render_into(p, tmpl, m, lower, NULL) + 1);

	if (out != NULL)
		render_into(p, tmpl, m, lower, out);
	return out;
}

static int
walk_add_match(struct walk *w, const char *rel)
{
	struct match *m;

	if (w->n_matches == PATH_PATTERN_MAX_MATCHES)
		return err_set(w->e, "more than %d directories match",
		    PATH_PATTERN_MAX_MATCHES);
	if (w->n_matches == w->cap_matches) {
		size_t cap = w->cap_matches ? w->cap_matches * 2 : 16;
		struct match *p = realloc(w->matches, cap * sizeof(*p));

		if (p == NULL)
			return err_set(w->e, "out of memory");
		w->matches = p;
		w->cap_matches = cap;
	}
	m = &w->matches[w->n_matches];
	m->rel = strdup(rel);
	m->values = calloc(w->n_caps ? w->n_caps : 1, sizeof(char *));
	w->n_matches++;
	if (m->rel == NULL || m->values == NULL)
		return err_set(w->e, "out of memory");
	for (size_t i = 0; i < w->n_caps; i++)
		if ((m->values[i] = strdup(w->values[i])) == NULL)
			return err_set(w->e, "out of memory");
	return 0;
}

static int walk_dir(struct walk *w, int dirfd, size_t seg, char *rel,
    size_t ncap);

/* Descends into dirfd/name if it is a directory (not a symlink). */
static int
walk_into(struct walk *w, int dirfd, const char *name, size_t seg, char *rel,
    size_t ncap)
{
	size_t rlen = strlen(rel);
	struct stat st;
	int fd, rc;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISDIR(st.st_mode))
		return 0;
	if (rlen + strlen(name) + 2 > REL_MAX)
		return err_set(w->e, "path too long under '%s'", rel);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		return err_sys(w->e, errno, "cannot open '%s%s%s'", rel,
		    rlen ? "/" : "", name);
	snprintf(rel + rlen, REL_MAX - rlen, "%s%s", rlen ? "/" : "", name);
	rc = walk_dir(w, fd, seg + 1, rel, ncap);
	rel[rlen] = '\0';
	close(fd);
	return rc;
}

static int
walk_dir(struct walk *w, int dirfd, size_t seg, char *rel, size_t ncap)
{
	const struct path_pattern_seg *s;
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	if (seg == w->pp->n_segs)
		return walk_add_match(w, rel);
	s = &w->pp->segs[seg];
	if (!s->capture)
		return walk_into(w, dirfd, s->text, seg, rel, ncap);
	if (dir_list_sorted(dirfd, *rel ? rel : ".", true, &w->budget, &names,
	    &n, w->e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		w->values[ncap] = names[i];
		if (rc == 0)
			rc = walk_into(w, dirfd, names[i], seg, rel, ncap + 1);
	}
	dir_list_free(names, n);
	return rc;
}

static void
matches_free(struct walk *w)
{
	for (size_t i = 0; i < w->n_matches; i++) {
		for (size_t k = 0; w->matches[i].values && k < w->n_caps; k++)
			free(w->matches[i].values[k]);
		free(w->matches[i].values);
		free(w->matches[i].rel);
	}
	free(w->matches);
}

static int
check_values(const struct walk *w, const struct match *m, struct err *e)
{
	size_t idx = 0;

	for (size_t i = 0; i < w->pp->n_segs; i++) {
		if (!w->pp->segs[i].capture)
			continue;
		if (!gen_is_label_value(m->values[idx]))
			return err_set(e, "directory '%s': captured value '%s' "
			    "of {%s} is not a valid label value (at most 63 "
			    "characters of alphanumerics, '-', '_' and '.', "
			    "starting and ending alphanumeric)", m->rel,
			    m->values[idx], w->pp->segs[i].text);
		idx++;
	}
	return 0;
}

static char *
dup_or_null(const char *s, bool *oom)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		*oom = true;
	return p;
}

static int
render_copy(const struct path_pattern *pp, const struct gen_copy *t,
    const struct match *m, struct gen_copy *c)
{
	bool oom = false;

	c->strategy = t->strategy;
	c->from = render(pp, t->from, m, false);
	c->to = render(pp, t->to, m, false);
	if (t->n_exclude > 0 &&
	    (c->exclude = calloc(t->n_exclude, sizeof(char *))) == NULL)
		return -1;
	for (size_t i = 0; i < t->n_exclude; i++) {
		c->exclude[i] = dup_or_null(t->exclude[i], &oom);
		c->n_exclude += c->exclude[i] != NULL;
	}
	return (c->from == NULL || c->to == NULL || oom) ? -1 : 0;
}

/* s lower-cased, malloc'd, or NULL. */
static char *
lower_dup(const char *s)
{
	char *p = strdup(s);

	for (char *c = p; c != NULL && *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	return p;
}

/* The captures as labels: lower-cased, like the artifact names (the copy
 * paths keep the directory's own case), as source-watcher does. */
static int
render_captures(const struct walk *w, const struct match *m,
    struct kv_list *l)
{
	size_t idx = 0;

	if (w->n_caps == 0)
		return 0;
	if ((l->items = calloc(w->n_caps, sizeof(*l->items))) == NULL)
		return -1;
	for (size_t i = 0; i < w->pp->n_segs; i++) {
		if (!w->pp->segs[i].capture)
			continue;
		l->items[idx].key = strdup(w->pp->segs[i].text);
		l->items[idx].value = lower_dup(m->values[idx]);
		l->len++;
		if (l->items[idx].key == NULL || l->items[idx].value == NULL)
			return -1;
		idx++;
	}
	return 0;
}

/* Renders template t for match m into a (zeroed). */
static int
render_artifact(const struct walk *w, const struct gen_artifact *t,
    const struct match *m, struct gen_artifact *a, struct err *e)
{
	bool oom = false;

	a->name = render(w->pp, t->name, m, true);
	a->revision = dup_or_null(t->revision, &oom);
	a->origin_revision = dup_or_null(t->origin_revision, &oom);
	if (a->name == NULL || oom ||
	    (a->copy = calloc(t->n_copy ? t->n_copy : 1, sizeof(*a->copy)))
	    == NULL)
		return err_set(e, "out of memory");
	for (size_t i = 0; i < t->n_copy; i++) {
		a->n_copy++;
		if (render_copy(w->pp, &t->copy[i], m, &a->copy[i]) < 0)
			return err_set(e, "out of memory");
	}
	if (render_captures(w, m, &a->captures) < 0)
		return err_set(e, "out of memory");
	if (!gen_is_dns_subdomain(a->name))
		return err_set(e, "artifact name '%s' rendered from '%s' for "
		    "directory '%s' is not a DNS-1123 subdomain", a->name,
		    t->name, m->rel);
	return 0;
}

struct rendered {
	const char *name;
	const char *dir;
};

static int
cmp_rendered(const void *a, const void *b)
{
	const struct rendered *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->dir, y->dir);
}

/* Two rendered artifacts with the same name are a terminal error. */
static int
check_collisions(const struct gen_artifact *arts, const size_t *match_of,
    const struct walk *w, size_t n, struct err *e)
{
	struct rendered *r;
	int rc = 0;

	if (n < 2)
		return 0;
	if ((r = calloc(n, sizeof(*r))) == NULL)
		return err_set(e, "out of memory");
	for (size_t i = 0; i < n; i++) {
		r[i].name = arts[i].name;
		r[i].dir = w->matches[match_of[i]].rel;
	}
	qsort(r, n, sizeof(*r), cmp_rendered);
	for (size_t i = 1; i < n && rc == 0; i++)
		if (strcmp(r[i - 1].name, r[i].name) == 0)
			rc = err_set(e, "artifact name '%s' is rendered for both "
			    "directory '%s' and directory '%s'", r[i].name,
			    r[i - 1].dir, r[i].dir);
	free(r);
	return rc;
}

static int
expand_matches(const struct generator *g, const struct walk *w,
    struct gen_artifact **out, size_t *n_out, struct err *e)
{
	size_t total = w->n_matches * g->n_artifacts, n = 0;
	struct gen_artifact *arts;
	size_t *match_of;
	int rc = 0;

	if (total > PATH_PATTERN_MAX_ARTIFACTS)
		return err_set(e, "%zu matched directories x %zu artifact "
		    "templates = %zu artifacts, more than the limit of %d",
		    w->n_matches, g->n_artifacts, total,
		    PATH_PATTERN_MAX_ARTIFACTS);
	arts = calloc(total ? total : 1, sizeof(*arts));
	match_of = calloc(total ? total : 1, sizeof(*match_of));
	if (arts == NULL || match_of == NULL)
		rc = err_set(e, "out of memory");
	for (size_t i = 0; rc == 0 && i < w->n_matches; i++) {
		rc = check_values(w, &w->matches[i], e);
		for (size_t k = 0; rc == 0 && k < g->n_artifacts; k++) {
			match_of[n] = i;
			rc = render_artifact(w, &g->artifacts[k],
			    &w->matches[i], &arts[n++], e);
		}
	}
	if (rc == 0)
		rc = check_collisions(arts, match_of, w, n, e);
	free(match_of);
	if (rc < 0) {
		for (size_t i = 0; arts && i < n; i++)
			gen_artifact_free(&arts[i]);
		free(arts);
		return -1;
	}
	*out = arts;
	*n_out = n;
	return 0;
}

int
path_pattern_expand(const struct generator *g, const char *source_dir,
    struct gen_artifact **out, size_t *n_out, struct err *e)
{
	struct path_pattern pp;
	struct walk w = { .pp = &pp, .e = e,
	    .budget = PATH_PATTERN_MAX_ENTRIES };
	char rel[REL_MAX] = "";
	int fd, rc;

	if (g->path_pattern == NULL)
		return err_set(e, "spec.pathPattern is not set");
	if (path_pattern_parse(g->path_pattern, &pp, e) < 0)
		return err_prefix(e, "spec.pathPattern '%s'", g->path_pattern);
	for (size_t i = 0; i < pp.n_segs; i++)
		w.n_caps += pp.segs[i].capture;
	fd = open(source_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = err_sys(e, errno, "cannot open source directory '%s'",
		    source_dir);
	} else {
		rc = walk_dir(&w, fd, 0, rel, 0);
		close(fd);
	}
	if (rc == 0)
		rc = expand_matches(g, &w, out, n_out, e);
	if (rc < 0)
		err_prefix(e, "spec.pathPattern '%s'", g->path_pattern);
	matches_free(&w);
	path_pattern_free(&pp);
	return rc;
}
