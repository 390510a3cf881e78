/*
 * run_writes: one reconcile's ExternalArtifact writes and the watch events
 * seen while it ran (see run_writes.h). Two growing arrays of strdup'd
 * strings, both freed by run_writes_free; a run makes a few writes per
 * artifact, so the linear match at the end is short.
 */
#include "controller/run_writes.h"

#include <stdlib.h>
#include <string.h>

static bool
rv_equal(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static void
run_writes_add(struct run_writes *w, struct run_write **v, size_t *n,
    size_t *cap, const char *ns, const char *name, const char *rv)
{
	struct run_write *e;

	if (w->overflow)
		return;
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 4;
		struct run_write *grown;

		if (c > RUN_WRITES_MAX ||
		    (grown = realloc(*v, c * sizeof(*grown))) == NULL) {
			w->overflow = true;
			return;
		}
		*v = grown;
		*cap = c;
	}
	e = &(*v)[*n];
	e->ns = strdup(ns);
	e->name = strdup(name);
	e->rv = rv != NULL ? strdup(rv) : NULL;
	if (e->ns == NULL || e->name == NULL || (rv != NULL && e->rv == NULL)) {
		free(e->ns);
		free(e->name);
		free(e->rv);
		w->overflow = true;
		return;
	}
	(*n)++;
}

void
run_writes_ours(struct run_writes *w, const char *ns, const char *name,
    const char *rv)
{
	run_writes_add(w, &w->ours, &w->n_ours, &w->cap_ours, ns, name, rv);
}

void
run_writes_seen(struct run_writes *w, const char *ns, const char *name,
    const char *rv)
{
	run_writes_add(w, &w->seen, &w->n_seen, &w->cap_seen, ns, name, rv);
}

static bool
run_writes_is_ours(const struct run_writes *w, const struct run_write *ev)
{
	for (size_t i = 0; i < w->n_ours; i++)
		if (strcmp(w->ours[i].ns, ev->ns) == 0 &&
		    strcmp(w->ours[i].name, ev->name) == 0 &&
		    rv_equal(w->ours[i].rv, ev->rv))
			return true;
	return false;
}

bool
run_writes_foreign(const struct run_writes *w)
{
	if (w->overflow)
		return true;
	for (size_t i = 0; i < w->n_seen; i++)
		if (!run_writes_is_ours(w, &w->seen[i]))
			return true;
	return false;
}

static void
run_write_list_free(struct run_write *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].ns);
		free(v[i].name);
		free(v[i].rv);
	}
	free(v);
}

void
run_writes_free(struct run_writes *w)
{
	run_write_list_free(w->ours, w->n_ours);
	run_write_list_free(w->seen, w->n_seen);
	memset(w, 0, sizeof(*w));
}
