/*
 * metrics: the registry and the text format 0.0.4 (see metrics.h).
 * A series is one malloc: the struct, its histogram bucket counts (not
 * cumulative; summed while rendering; 32-bit, saturating: one series per
 * generator, and a bucket never sees 4 billion reconciles) and its label
 * values. Families keep
 * their series in a creation-ordered list and a fixed hash table.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "controller/metrics.h"

#define TABLE_SIZE	256u
#define DROPPED_NAME	"metrics_series_dropped_total"

struct metric {
	struct metric *prev, *next;	/* creation order */
	struct metric *hnext;
	struct metric_family *f;
	uint32_t hash;
	double value;			/* counter, gauge; histogram sum */
	uint64_t count;			/* histogram observations */
	const char *values[METRICS_LABELS_MAX];
	uint32_t buckets[];		/* nbuckets, then the label text */
};

struct metric_family {
	struct metric_family *next;
	enum metric_type type;
	char *name, *help, *label_text;
	const char *labels[METRICS_LABELS_MAX];
	size_t nlabels;
	double bounds[METRICS_BUCKETS_MAX];
	size_t nbuckets;
	unsigned max_series;
	size_t nseries;
	uint64_t dropped;
	struct metric *head, *tail;
	struct metric *table[TABLE_SIZE];
};

struct metrics {
	struct metric_family *head, *tail;
	struct {
		metrics_collect_fn fn;
		void *data;
		bool owned;		/* data freed by metrics_free */
	} hooks[METRICS_HOOKS_MAX];
	size_t nhooks;
};

struct metrics *
metrics_new(void)
{
	return calloc(1, sizeof(struct metrics));
}

static void
family_free(struct metric_family *f)
{
	struct metric *s, *n;

	for (s = f->head; s != NULL; s = n) {
		n = s->next;
		free(s);
	}
	free(f->name);
	free(f->help);
	free(f->label_text);
	free(f);
}

void
metrics_free(struct metrics *m)
{
	struct metric_family *f, *n;
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nhooks; i++)
		if (m->hooks[i].owned)
			free(m->hooks[i].data);
	for (f = m->head; f != NULL; f = n) {
		n = f->next;
		family_free(f);
	}
	free(m);
}

/* ---- families ---- */

static bool
name_ok(const char *s, bool colon)
{
	if (*s == '\0' || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || (colon && *s == ':')))
			return false;
	return true;
}

static struct metric_family *
family_find(const struct metrics *m, const char *name)
{
	struct metric_family *f;

	for (f = m->head; f != NULL; f = f->next)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

/* Splits f->label_text (a copy of "a,b") into f->labels, checking each. */
static int
family_labels(struct metric_family *f, struct err *e)
{
	char *p = f->label_text, *c;

	while (p != NULL && *p != '\0') {
		if (f->nlabels == METRICS_LABELS_MAX)
			return err_set(e, "metric %s: more than %d labels",
			    f->name, METRICS_LABELS_MAX);
		c = strchr(p, ',');
		if (c != NULL)
			*c++ = '\0';
		if (!name_ok(p, false) || strncmp(p, "__", 2) == 0 ||
		    (f->type == METRIC_HISTOGRAM && strcmp(p, "le") == 0))
			return err_set(e, "metric %s: invalid label name \"%s\"",
			    f->name, p);
		f->labels[f->nlabels++] = p;
		p = c;
	}
	return 0;
}

static int
family_buckets(struct metric_family *f, const double *b, size_t n,
    struct err *e)
{
	size_t i;

	if (f->type != METRIC_HISTOGRAM)
		return 0;
	if (n == 0 || n > METRICS_BUCKETS_MAX)
		return err_set(e, "metric %s: %zu buckets (1 to %d)", f->name,
		    n, METRICS_BUCKETS_MAX);
	for (i = 0; i < n; i++) {
		if (!isfinite(b[i]) || (i > 0 && b[i] <= b[i - 1]))
			return err_set(e, "metric %s: bucket %zu is not finite "
			    "and increasing", f->name, i);
		f->bounds[i] = b[i];
	}
	f->nbuckets = n;
	return 0;
}

struct metric_family *
metrics_family_new(struct metrics *m, enum metric_type type,
    const char *name, const char *help, const char *labels,
    const double *buckets, size_t nbuckets, unsigned max_series,
    struct err *e)
{
	struct metric_family *f;

	if (!name_ok(name, true) || strcmp(name, DROPPED_NAME) == 0) {
		err_set(e, "metric name \"%s\" is invalid or reserved", name);
		return NULL;
	}
	if (family_find(m, name) != NULL) {
		err_set(e, "metric %s is registered twice", name);
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		goto oom;
	f->type = type;
	f->max_series = max_series != 0 ? max_series : METRICS_SERIES_MAX;
	f->name = strdup(name);
	f->help = strdup(help != NULL ? help : "");
	f->label_text = strdup(labels != NULL ? labels : "");
	if (f->name == NULL || f->help == NULL || f->label_text == NULL)
		goto oom;
	if (family_labels(f, e) < 0 ||
	    family_buckets(f, buckets, nbuckets, e) < 0)
		goto fail;
	if (m->tail != NULL)
		m->tail->next = f;
	else
		m->head = f;
	m->tail = f;
	return f;
oom:
	err_set(e, "metric %s: out of memory", name);
fail:
	if (f != NULL)
		family_free(f);
	return NULL;
}

size_t
metric_family_len(const struct metric_family *f)
{
	return f != NULL ? f->nseries : 0;
}

/* ---- series ---- */

/* Collects the family's label values from ap; false if one is too long. */
static bool
values_get(const struct metric_family *f, va_list ap,
    const char *v[METRICS_LABELS_MAX], uint32_t *hash)
{
	uint32_t h = 2166136261u;
	const char *p;
	size_t i;

	for (i = 0; i < f->nlabels; i++) {
		v[i] = va_arg(ap, const char *);
		if (v[i] == NULL)
			v[i] = "";
		if (strlen(v[i]) > METRICS_LABEL_MAX)
			return false;
		for (p = v[i]; *p != '\0'; p++)
			h = (h ^ (unsigned char)*p) * 16777619u;
		h = (h ^ 0xffu) * 16777619u;
	}
	*hash = h;
	return true;
}

static struct metric **
series_slot(struct metric_family *f, const char *const *v, uint32_t h)
{
	struct metric **pp = &f->table[h % TABLE_SIZE];
	size_t i;

	for (; *pp != NULL; pp = &(*pp)->hnext) {
		if ((*pp)->hash != h)
			continue;
		for (i = 0; i < f->nlabels; i++)
			if (strcmp((*pp)->values[i], v[i]) != 0)
				break;
		if (i == f->nlabels)
			return pp;
	}
	return pp;
}

static struct metric *
series_new(struct metric_family *f, const char *const *v, uint32_t h)
{
	size_t i, sz = sizeof(struct metric) + f->nbuckets * sizeof(uint32_t);
	struct metric *s;
	char *p;

	for (i = 0; i < f->nlabels; i++)
		sz += strlen(v[i]) + 1;
	s = calloc(1, sz);
	if (s == NULL)
		return NULL;
	p = (char *)&s->buckets[f->nbuckets];
	for (i = 0; i < f->nlabels; i++) {
		s->values[i] = p;
		p = stpcpy(p, v[i]) + 1;
	}
	s->f = f;
	s->hash = h;
	s->prev = f->tail;
	if (f->tail != NULL)
		f->tail->next = s;
	else
		f->head = s;
	f->tail = s;
	f->nseries++;
	return s;
}

struct metric *
metric_family_with(struct metric_family *f, ...)
{
	const char *v[METRICS_LABELS_MAX];
	struct metric **pp;
	uint32_t h;
	va_list ap;
	bool ok;

	if (f == NULL)
		return NULL;
	va_start(ap, f);
	ok = values_get(f, ap, v, &h);
	va_end(ap);
	if (!ok)
		goto drop;
	pp = series_slot(f, v, h);
	if (*pp != NULL)
		return *pp;
	if (f->nseries >= f->max_series || (*pp = series_new(f, v, h)) == NULL)
		goto drop;
	return *pp;
drop:
	f->dropped++;
	return NULL;
}

void
metric_family_remove(struct metric_family *f, ...)
{
	const char *v[METRICS_LABELS_MAX];
	struct metric **pp, *s;
	uint32_t h;
	va_list ap;
	bool ok;

	if (f == NULL)
		return;
	va_start(ap, f);
	ok = values_get(f, ap, v, &h);
	va_end(ap);
	if (!ok || *(pp = series_slot(f, v, h)) == NULL)
		return;
	s = *pp;
	*pp = s->hnext;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		f->head = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	else
		f->tail = s->prev;
	f->nseries--;
	free(s);
}

void
metric_inc(struct metric *s)
{
	metric_add(s, 1);
}

void
metric_add(struct metric *s, double v)
{
	if (s != NULL && s->f->type != METRIC_HISTOGRAM &&
	    (v >= 0 || s->f->type == METRIC_GAUGE))
		s->value += v;
}

void
metric_set(struct metric *s, double v)
{
	if (s != NULL && s->f->type != METRIC_HISTOGRAM)
		s->value = v;
}

void
metric_observe(struct metric *s, double v)
{
	size_t i;

	if (s == NULL || s->f->type != METRIC_HISTOGRAM || isnan(v))
		return;
	for (i = 0; i < s->f->nbuckets && v > s->f->bounds[i]; i++)
		;
	if (i < s->f->nbuckets && s->buckets[i] < UINT32_MAX)
		s->buckets[i]++;
	s->value += v;
	s->count++;
}

double
metric_value(const struct metric *s)
{
	return s != NULL ? s->value : 0;
}

uint64_t
metric_count(const struct metric *s)
{
	return s != NULL ? s->count : 0;
}

static int
hook_add(struct metrics *m, metrics_collect_fn fn, void *data, bool owned)
{
	if (m->nhooks == METRICS_HOOKS_MAX)
		return -1;
	m->hooks[m->nhooks].fn = fn;
	m->hooks[m->nhooks].owned = owned;
	m->hooks[m->nhooks++].data = data;
	return 0;
}

int
metrics_on_collect(struct metrics *m, metrics_collect_fn fn, void *data)
{
	return hook_add(m, fn, data, false);
}

int
metrics_on_collect_owned(struct metrics *m, metrics_collect_fn fn,
    void *data)
{
	return hook_add(m, fn, data, true);
}

void
metrics_exp_buckets(double start, double factor, size_t n, double *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = i == 0 ? start : out[i - 1] * factor;
}

/* ---- numbers ---- */

void
metrics_format_float(double v, char buf[32])
{
	char t[40];
	int p, x;

	if (isnan(v)) {
		strcpy(buf, "NaN");
		return;
	}
	if (isinf(v)) {
		strcpy(buf, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == 0) {
		strcpy(buf, signbit(v) ? "-0" : "0");
		return;
	}
	/* The shortest digits that read back as v, as Go's 'g' -1. */
	for (p = 1; p < 17; p++) {
		snprintf(t, sizeof(t), "%.*e", p - 1, v);
		if (strtod(t, NULL) == v)
			break;
	}
	snprintf(t, sizeof(t), "%.*e", p - 1, v);
	x = atoi(strchr(t, 'e') + 1);
	if (x < -4 || x >= 6) {		/* Go: eprec 6 for the shortest */
		memcpy(buf, t, strlen(t) < 31 ? strlen(t) + 1 : 32);
		buf[31] = '\0';
		return;
	}
	snprintf(buf, 32, "%.*f", p - 1 - x > 0 ? p - 1 - x : 0, v);
}

/* ---- the text format ---- */

struct obuf {
	char *p;
	size_t len, cap;
	bool over;			/* METRICS_OUT_MAX reached or OOM */
};

static void
ob_put(struct obuf *b, const char *s, size_t n)
{
	if (!b->over && bytes_append(&b->p, &b->len, &b->cap, 16384,
	    METRICS_OUT_MAX, s, n) < 0)
		b->over = true;
}

static void
ob_str(struct obuf *b, const char *s)
{
	ob_put(b, s, strlen(s));
}

/* HELP text escapes \ and newline; label values also ". */
static void
ob_escaped(struct obuf *b, const char *s, bool quote)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		if (*s != '\\' && *s != '\n' && !(quote && *s == '"'))
			continue;
		ob_put(b, run, (size_t)(s - run));
		ob_str(b, *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" : "\\\"");
		run = s + 1;
	}
	ob_put(b, run, (size_t)(s - run));
}

static void
ob_num(struct obuf *b, double v)
{
	char t[32];

	metrics_format_float(v, t);
	ob_str(b, t);
}

/* name{a="x",b="y",le="0.5"} value\n (le: NULL for none). */
static void
ob_sample(struct obuf *b, const struct metric_family *f,
    const struct metric *s, const char *suffix, const char *le, double v)
{
	size_t i;

	ob_str(b, f->name);
	ob_str(b, suffix);
	if (f->nlabels > 0 || le != NULL) {
		ob_str(b, "{");
		for (i = 0; i < f->nlabels; i++) {
			ob_str(b, i > 0 ? "," : "");
			ob_str(b, f->labels[i]);
			ob_str(b, "=\"");
			ob_escaped(b, s->values[i], true);
			ob_str(b, "\"");
		}
		if (le != NULL) {
			ob_str(b, f->nlabels > 0 ? ",le=\"" : "le=\"");
			ob_str(b, le);
			ob_str(b, "\"");
		}
		ob_str(b, "}");
	}
	ob_str(b, " ");
	ob_num(b, v);
	ob_str(b, "\n");
}

static void
ob_histogram(struct obuf *b, const struct metric_family *f,
    const struct metric *s)
{
	uint64_t cum = 0;
	char le[32];
	size_t i;

	for (i = 0; i < f->nbuckets; i++) {
		cum += s->buckets[i];
		metrics_format_float(f->bounds[i], le);
		ob_sample(b, f, s, "_bucket", le, (double)cum);
	}
	ob_sample(b, f, s, "_bucket", "+Inf", (double)s->count);
	ob_sample(b, f, s, "_sum", NULL, s->value);
	ob_sample(b, f, s, "_count", NULL, (double)s->count);
}

static void
ob_head(struct obuf *b, const char *name, const char *help, const char *type)
{
	ob_str(b, "# HELP ");
	ob_str(b, name);
	ob_str(b, " ");
	ob_escaped(b, help, false);
	ob_str(b, "\n# TYPE ");
	ob_str(b, name);
	ob_str(b, " ");
	ob_str(b, type);
	ob_str(b, "\n");
}

static void
ob_family(struct obuf *b, const struct metric_family *f)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	const struct metric *s;

	if (f->head == NULL)		/* as client_golang: no empty family */
		return;
	ob_head(b, f->name, f->help, types[f->type]);
	for (s = f->head; s != NULL; s = s->next) {
		if (f->type == METRIC_HISTOGRAM)
			ob_histogram(b, f, s);
		else
			ob_sample(b, f, s, "", NULL, s->value);
	}
}

/* The registry's own counter: series refused by full families. */
static void
ob_dropped(struct obuf *b, const struct metrics *m)
{
	const struct metric_family *f;
	bool head = false;

	for (f = m->head; f != NULL; f = f->next) {
		if (f->dropped == 0)
			continue;
		if (!head)
			ob_head(b, DROPPED_NAME, "Series not recorded because "
			    "their family reached its cardinality limit, or a "
			    "label value was too long.", "counter");
		head = true;
		ob_str(b, DROPPED_NAME "{family=\"");
		ob_str(b, f->name);
		ob_str(b, "\"} ");
		ob_num(b, (double)f->dropped);
		ob_str(b, "\n");
	}
}

int
metrics_render(struct metrics *m, char **out, size_t *len, struct err *e)
{
	struct obuf b = { 0 };
	const struct metric_family *f;
	size_t i;

	for (i = 0; i < m->nhooks; i++)
		m->hooks[i].fn(m->hooks[i].data, m);
	ob_put(&b, "", 0);
	for (f = m->head; f != NULL; f = f->next)
		ob_family(&b, f);
	ob_dropped(&b, m);
	if (b.over) {
		free(b.p);
		return err_set(e, "metrics: the rendering exceeds %u bytes or "
		    "memory ran out", METRICS_OUT_MAX);
	}
	*out = b.p;
	*len = b.len;
	return 0;
}
