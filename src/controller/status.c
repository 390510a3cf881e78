/*
 * status: condition composition, observedSourcesDigest and the status JSON
 * of a generator (see status.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/status.h"

void
status_rfc3339(int64_t now, char out[32])
{
	time_t tt = (time_t)now;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "<alias>=[digest=<d>,revision=<r>,url=<u>]" (malloc'd). */
static char *
observed_part(const struct observed_source *s)
{
	char *p = NULL;

	if (asprintf(&p, "%s=[digest=%s,revision=%s,url=%s]", s->alias,
	    s->digest ? s->digest : "", s->revision ? s->revision : "",
	    s->url ? s->url : "") < 0)
		return NULL;
	return p;
}

int
status_sources_digest(const struct observed_source *src, size_t n,
    char out[DIGEST_STRING_MAX])
{
	struct digest_ctx ctx;
	struct err e;
	char **parts = calloc(n ? n : 1, sizeof(char *));
	size_t i;
	int rc = -1;

	if (parts == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if ((parts[i] = observed_part(&src[i])) == NULL)
			goto out;
	qsort(parts, n, sizeof(char *), str_cmp);
	if (digest_init(&ctx, DIGEST_SHA256, &e) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (i > 0)
			digest_update(&ctx, "|", 1);
		digest_update(&ctx, parts[i], strlen(parts[i]));
	}
	digest_final_string(&ctx, out);
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(parts[i]);
	free(parts);
	return rc;
}

static char *
dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*oom = true;
	return d;
}

int
gen_status_copy(struct gen_status *dst, const struct gen_status *src)
{
	bool oom = false;

	memset(dst, 0, sizeof(*dst));
	if (src->n_inv > 0 &&
	    (dst->inv = calloc(src->n_inv, sizeof(*dst->inv))) == NULL)
		return -1;
	for (size_t i = 0; i < src->n_inv; i++, dst->n_inv++) {
		dst->inv[i].name = dup_or_null(src->inv[i].name, &oom);
		dst->inv[i].namespace = dup_or_null(src->inv[i].namespace, &oom);
		dst->inv[i].digest = dup_or_null(src->inv[i].digest, &oom);
		dst->inv[i].filename = dup_or_null(src->inv[i].filename, &oom);
	}
	dst->sources_digest = dup_or_null(src->sources_digest, &oom);
	dst->last_handled = dup_or_null(src->last_handled, &oom);
	for (int t = 0; t < GEN_COND_N; t++) {
		const struct gen_cond *c = &src->cond[t];
		struct gen_cond *d = &dst->cond[t];

		d->status = dup_or_null(c->status, &oom);
		d->reason = dup_or_null(c->reason, &oom);
		d->message = dup_or_null(c->message, &oom);
		d->last_transition = dup_or_null(c->last_transition, &oom);
		d->observed_generation = c->observed_generation;
	}
	if (oom) {
		gen_status_free(dst);
		return -1;
	}
	return 0;
}

int
status_cond_set(struct gen_status *st, enum gen_cond_type t,
    const char *status, const char *reason, const char *message,
    int64_t generation, int64_t now)
{
	struct gen_cond *c = &st->cond[t];
	struct gen_cond n = { .observed_generation = generation };
	char ts[32];
	bool oom = false;

	status_rfc3339(now, ts);
	n.status = dup_or_null(status, &oom);
	n.reason = dup_or_null(reason, &oom);
	n.message = dup_or_null(message, &oom);
	/* Flux keeps the transition time while the status stays the same */
	n.last_transition = dup_or_null(c->status && c->last_transition &&
	    strcmp(c->status, status) == 0 ? c->last_transition : ts, &oom);
	if (oom) {
		gen_cond_free(&n);
		return -1;
	}
	gen_cond_free(c);
	*c = n;
	return 0;
}

void
status_cond_delete(struct gen_status *st, enum gen_cond_type t)
{
	gen_cond_free(&st->cond[t]);
}

bool
status_cond_is(const struct gen_status *st, enum gen_cond_type t,
    const char *s)
{
	return st->cond[t].status != NULL && strcmp(st->cond[t].status, s) == 0;
}

int
status_mark_reconciling(struct gen_status *st, const char *reason,
    const char *message, int64_t generation, int64_t now)
{
	status_cond_delete(st, GEN_COND_STALLED);
	return status_cond_set(st, GEN_COND_RECONCILING, "True", reason,
	    message, generation, now);
}

int
status_mark_stalled(struct gen_status *st, const char *reason,
    const char *message, int64_t generation, int64_t now)
{
	status_cond_delete(st, GEN_COND_RECONCILING);
	return status_cond_set(st, GEN_COND_STALLED, "True", reason, message,
	    generation, now);
}

void
status_summarize(struct gen_status *st)
{
	struct gen_cond *rc = &st->cond[GEN_COND_RECONCILING];
	char *r;

	if (status_cond_is(st, GEN_COND_READY, "False") && rc->status != NULL &&
	    (r = strdup(REASON_PROGRESSING_RETRY)) != NULL) {
		free(rc->reason);
		rc->reason = r;
	}
	if (status_cond_is(st, GEN_COND_READY, "True") ||
	    status_cond_is(st, GEN_COND_STALLED, "True"))
		status_cond_delete(st, GEN_COND_RECONCILING);
}

static json_t *
cond_json(const struct gen_cond *c, enum gen_cond_type t)
{
	return json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}",
	    "type", gen_cond_name(t), "status", c->status,
	    "observedGeneration", (json_int_t)c->observed_generation,
	    "lastTransitionTime", c->last_transition ? c->last_transition : "",
	    "reason", c->reason ? c->reason : "",
	    "message", c->message ? c->message : "");
}

json_t *
status_json(const struct gen_status *st)
{
	json_t *o = json_object(), *conds = json_array(), *inv = json_array();

	if (o == NULL || conds == NULL || inv == NULL)
		goto fail;
	for (int t = 0; t < GEN_COND_N; t++)
		if (st->cond[t].status != NULL &&
		    json_array_append_new(conds, cond_json(&st->cond[t], t)) < 0)
			goto fail;
	for (size_t i = 0; i < st->n_inv; i++)
		if (json_array_append_new(inv, json_pack("{s:s, s:s, s:s, s:s}",
		    "name", st->inv[i].name, "namespace", st->inv[i].namespace,
		    "digest", st->inv[i].digest, "filename",
		    st->inv[i].filename)) < 0)
			goto fail;
	json_object_set_new(o, "conditions", conds);
	json_object_set_new(o, "inventory", inv);
	json_object_set_new(o, "observedSourcesDigest", st->sources_digest ?
	    json_string(st->sources_digest) : json_null());
	json_object_set_new(o, "lastHandledReconcileAt", st->last_handled ?
	    json_string(st->last_handled) : json_null());
	return o;
fail:
	json_decref(o);
	json_decref(conds);
	json_decref(inv);
	return NULL;
}

bool
status_equal(const struct gen_status *a, const struct gen_status *b)
{
	json_t *ja = status_json(a), *jb = status_json(b);
	bool eq = ja != NULL && jb != NULL && json_equal(ja, jb);

	json_decref(ja);
	json_decref(jb);
	return eq;
}
