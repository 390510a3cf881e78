/*
 * yaml_merge: parse (libyaml events -> a small node tree), merge, emit
 * (yaml_emit.c, shared with yaml_json.c). See yaml_merge.h for the semantics and bounds.
 *
 * Maps are kept sorted by key from the moment they are parsed, so a merge is
 * one linear merge-join per level and the output order is stable.
 */
#include "engine/yaml_merge.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/yaml_emit.h"

enum ym_kind { YM_SCALAR, YM_SEQ, YM_MAP };

struct ym_node {
	enum ym_kind kind;
	char *value;		/* scalar bytes (NUL-terminated) */
	size_t len;
	char *tag;		/* explicit tag or NULL */
	yaml_scalar_style_t style;
	struct ym_node **items;	/* seq: items; map: key, value, key, ... */
	size_t n, cap;
};

struct ym_anchor {
	char *name;
	struct ym_node *node;	/* borrowed from the document tree */
};

struct ym_parser {
	yaml_parser_t parser;
	const char *name;
	size_t nodes;
	struct ym_anchor *anchors;
	size_t n_anchors, cap_anchors;
};

static void
ym_free(struct ym_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++)
		ym_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n->tag);
	free(n);
}

static struct ym_node *
ym_new(struct ym_parser *p, enum ym_kind kind, struct err *e)
{
	struct ym_node *n;

	if (++p->nodes > YAML_MERGE_MAX_NODES) {
		err_set(e, "'%s' has more than %d YAML nodes", p->name,
		    YAML_MERGE_MAX_NODES);
		return NULL;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		err_set(e, "out of memory parsing '%s'", p->name);
		return NULL;
	}
	n->kind = kind;
	return n;
}

static int
ym_push(struct ym_node *n, struct ym_node *child, struct err *e)
{
	struct ym_node **grown;

	if (n->n == n->cap) {
		n->cap = n->cap ? n->cap * 2 : 8;
		if ((grown = realloc(n->items, n->cap * sizeof(*grown))) == NULL) {
			ym_free(child);
			return err_set(e, "out of memory");
		}
		n->items = grown;
	}
	n->items[n->n++] = child;
	return 0;
}

static char *
ym_strdup(const void *s, size_t len)
{
	char *d = malloc(len + 1);

	if (d != NULL) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

static struct ym_node *
ym_copy(struct ym_parser *p, const struct ym_node *src, struct err *e)
{
	struct ym_node *n = ym_new(p, src->kind, e), *c;
	size_t i;

	if (n == NULL)
		return NULL;
	n->style = src->style;
	if ((src->value && !(n->value = ym_strdup(src->value, src->len))) ||
	    (src->tag && !(n->tag = strdup(src->tag)))) {
		ym_free(n);
		err_set(e, "out of memory");
		return NULL;
	}
	n->len = src->len;
	for (i = 0; i < src->n; i++) {
		if ((c = ym_copy(p, src->items[i], e)) == NULL ||
		    ym_push(n, c, e) != 0) {
			ym_free(n);
			return NULL;
		}
	}
	return n;
}

static int
ym_anchor_add(struct ym_parser *p, const yaml_char_t *name,
    struct ym_node *n, struct err *e)
{
	struct ym_anchor *grown;

	if (name == NULL)
		return 0;
	if (p->n_anchors == p->cap_anchors) {
		p->cap_anchors = p->cap_anchors ? p->cap_anchors * 2 : 8;
		grown = realloc(p->anchors, p->cap_anchors * sizeof(*grown));
		if (grown == NULL)
			return err_set(e, "out of memory");
		p->anchors = grown;
	}
	if ((p->anchors[p->n_anchors].name = strdup((const char *)name)) ==
	    NULL)
		return err_set(e, "out of memory");
	p->anchors[p->n_anchors++].node = n;
	return 0;
}

static void
ym_anchors_clear(struct ym_parser *p)
{
	size_t i;

	for (i = 0; i < p->n_anchors; i++)
		free(p->anchors[i].name);
	p->n_anchors = 0;
}

static struct ym_node *
ym_alias(struct ym_parser *p, const yaml_char_t *name, struct err *e)
{
	size_t i;

	for (i = p->n_anchors; i > 0; i--)
		if (strcmp(p->anchors[i - 1].name, (const char *)name) == 0)
			return ym_copy(p, p->anchors[i - 1].node, e);
	err_set(e, "invalid YAML in '%s': unknown alias '*%s'", p->name,
	    (const char *)name);
	return NULL;
}

static int
ym_next(struct ym_parser *p, yaml_event_t *ev, struct err *e)
{
	if (yaml_parser_parse(&p->parser, ev))
		return 0;
	return err_set(e, "invalid YAML in '%s' at line %zu, column %zu: %s",
	    p->name, p->parser.problem_mark.line + 1,
	    p->parser.problem_mark.column + 1,
	    p->parser.problem ? p->parser.problem : "parse error");
}

static int
ym_key_cmp(const struct ym_node *a, const struct ym_node *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->value, b->value, n);

	if (c != 0)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

/* Sorts a map's pairs by key; duplicate keys are an error. */
static int
ym_map_sort(struct ym_parser *p, struct ym_node *m, struct err *e)
{
	size_t i, j, pairs = m->n / 2;
	struct ym_node *k, *v;

	for (i = 0; i < pairs; i++)
		if (m->items[2 * i]->kind != YM_SCALAR)
			return err_set(e, "'%s': mapping keys must be scalars",
			    p->name);
	/* insertion sort over pairs: maps are usually small and often sorted */
	for (i = 1; i < pairs; i++) {
		k = m->items[2 * i];
		v = m->items[2 * i + 1];
		for (j = i; j > 0 && ym_key_cmp(m->items[2 * (j - 1)], k) > 0;
		    j--) {
			m->items[2 * j] = m->items[2 * (j - 1)];
			m->items[2 * j + 1] = m->items[2 * (j - 1) + 1];
		}
		m->items[2 * j] = k;
		m->items[2 * j + 1] = v;
	}
	for (i = 1; i < pairs; i++)
		if (ym_key_cmp(m->items[2 * (i - 1)], m->items[2 * i]) == 0)
			return err_set(e, "'%s': duplicate mapping key '%s'",
			    p->name, m->items[2 * i]->value);
	return 0;
}

static int ym_parse_node(struct ym_parser *p, yaml_event_t *ev, int depth,
    struct ym_node **out, struct err *e);

/* Parses the children of a sequence or mapping until its end event. */
static int
ym_parse_children(struct ym_parser *p, struct ym_node *n, int depth,
    yaml_event_type_t end, struct err *e)
{
	struct ym_node *child;
	yaml_event_t ev;
	int rc;

	for (;;) {
		if (ym_next(p, &ev, e) != 0)
			return -1;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			return 0;
		}
		rc = ym_parse_node(p, &ev, depth + 1, &child, e);
		yaml_event_delete(&ev);
		if (rc != 0 || ym_push(n, child, e) != 0)
			return -1;
	}
}

static struct ym_node *
ym_scalar(struct ym_parser *p, const yaml_event_t *ev, struct err *e)
{
	struct ym_node *n = ym_new(p, YM_SCALAR, e);

	if (n == NULL)
		return NULL;
	n->value = ym_strdup(ev->data.scalar.value, ev->data.scalar.length);
	n->len = ev->data.scalar.length;
	n->style = ev->data.scalar.style;
	if (ev->data.scalar.tag != NULL)
		n->tag = strdup((const char *)ev->data.scalar.tag);
	if (n->value == NULL ||
	    (ev->data.scalar.tag != NULL && n->tag == NULL)) {
		ym_free(n);
		err_set(e, "out of memory");
		return NULL;
	}
	return n;
}

static int
ym_parse_node(struct ym_parser *p, yaml_event_t *ev, int depth,
    struct ym_node **out, struct err *e)
{
	struct ym_node *n = NULL;
	const yaml_char_t *anchor = NULL;

	*out = NULL;
	if (depth > YAML_MERGE_MAX_DEPTH)
		return err_set(e, "'%s' is nested deeper than %d levels",
		    p->name, YAML_MERGE_MAX_DEPTH);
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		*out = ym_alias(p, ev->data.alias.anchor, e);
		return *out ? 0 : -1;
	case YAML_SCALAR_EVENT:
		if ((n = ym_scalar(p, ev, e)) == NULL)
			return -1;
		anchor = ev->data.scalar.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		n = ym_new(p, ev->type == YAML_SEQUENCE_START_EVENT ? YM_SEQ :
		    YM_MAP, e);
		if (n == NULL)
			return -1;
		anchor = ev->type == YAML_SEQUENCE_START_EVENT ?
		    ev->data.sequence_start.anchor :
		    ev->data.mapping_start.anchor;
		if (ym_parse_children(p, n, depth, ev->type ==
		    YAML_SEQUENCE_START_EVENT ? YAML_SEQUENCE_END_EVENT :
		    YAML_MAPPING_END_EVENT, e) != 0 ||
		    (n->kind == YM_MAP && ym_map_sort(p, n, e) != 0))
			goto fail;
		break;
	default:
		return err_set(e, "invalid YAML in '%s': unexpected event",
		    p->name);
	}
	if (ym_anchor_add(p, anchor, n, e) != 0)
		goto fail;
	*out = n;
	return 0;
fail:
	ym_free(n);
	return -1;
}

static void ym_merge_into(struct ym_node **base, struct ym_node *over);

/* Merge-joins two sorted maps into a; b is consumed. */
static int
ym_merge_maps(struct ym_node *a, struct ym_node *b, struct err *e)
{
	struct ym_node **items;
	size_t i = 0, j = 0, n = 0;
	int c;

	if ((items = malloc((a->n + b->n + 1) * sizeof(*items))) == NULL) {
		ym_free(b);
		return err_set(e, "out of memory merging YAML");
	}
	while (i < a->n || j < b->n) {
		c = i >= a->n ? 1 : j >= b->n ? -1 :
		    ym_key_cmp(a->items[i], b->items[j]);
		if (c < 0) {
			items[n++] = a->items[i++];
			items[n++] = a->items[i++];
		} else if (c > 0) {
			items[n++] = b->items[j++];
			items[n++] = b->items[j++];
		} else {
			ym_free(b->items[j]);
			items[n++] = a->items[i];
			ym_merge_into(&a->items[i + 1], b->items[j + 1]);
			items[n++] = a->items[i + 1];
			i += 2;
			j += 2;
		}
	}
	free(a->items);
	a->items = items;
	a->n = a->cap = n;
	b->n = 0;
	ym_free(b);
	return 0;
}

/* Helm semantics: maps merge, anything else from the overlay replaces. */
static void
ym_merge_into(struct ym_node **base, struct ym_node *over)
{
	struct err ignored;

	if ((*base)->kind == YM_MAP && over->kind == YM_MAP) {
		if (ym_merge_maps(*base, over, &ignored) != 0) {
			/* out of memory: the overlay was freed; keep base */
		}
		return;
	}
	ym_free(*base);
	*base = over;
}

static bool
ym_is_null(const struct ym_node *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (n->kind != YM_SCALAR || n->tag != NULL ||
	    n->style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(n->value, nulls[i]) == 0)
			return true;
	return false;
}

/* Parses one document after its DOCUMENT_START and merges it into acc. */
static int
ym_load_document(struct ym_parser *p, int index, struct ym_node *acc,
    struct err *e)
{
	struct ym_node *root, *tmp = acc;
	yaml_event_t ev;
	int rc;

	if (ym_next(p, &ev, e) != 0)
		return -1;
	rc = ym_parse_node(p, &ev, 0, &root, e);
	yaml_event_delete(&ev);
	ym_anchors_clear(p);
	if (rc != 0)
		return -1;
	if (ym_next(p, &ev, e) != 0) {
		ym_free(root);
		return -1;
	}
	yaml_event_delete(&ev);		/* DOCUMENT_END */
	if (ym_is_null(root)) {
		ym_free(root);
		return 0;
	}
	if (root->kind != YM_MAP) {
		ym_free(root);
		return err_set(e, "document %d of '%s' is not a mapping",
		    index, p->name);
	}
	return ym_merge_maps(tmp, root, e);
}

/* Parses every document of text and merges them, in order, into *out. */
static int
ym_load(const char *text, size_t len, const char *name, struct ym_node **out,
    struct err *e)
{
	struct ym_parser p = { .name = name };
	struct ym_node *acc;
	yaml_event_t ev;
	int rc = 0, index = 0;
	bool done = false;

	*out = NULL;
	if (len > YAML_MERGE_MAX_BYTES)
		return err_set(e, "'%s' is larger than %u bytes", name,
		    YAML_MERGE_MAX_BYTES);
	if ((acc = ym_new(&p, YM_MAP, e)) == NULL)
		return -1;
	if (!yaml_parser_initialize(&p.parser)) {
		ym_free(acc);
		return err_set(e, "out of memory parsing '%s'", name);
	}
	yaml_parser_set_input_string(&p.parser, (const unsigned char *)text,
	    len);
	while (rc == 0 && !done) {
		if ((rc = ym_next(&p, &ev, e)) != 0)
			break;
		if (ev.type == YAML_STREAM_END_EVENT)
			done = true;
		else if (ev.type == YAML_DOCUMENT_START_EVENT)
			rc = ym_load_document(&p, ++index, acc, e);
		yaml_event_delete(&ev);
	}
	ym_anchors_clear(&p);
	free(p.anchors);
	yaml_parser_delete(&p.parser);
	if (rc != 0) {
		ym_free(acc);
		return -1;
	}
	*out = acc;
	return 0;
}

static int
ym_emit_node(struct yaml_emit *y, const struct ym_node *n, struct err *e)
{
	bool map = n->kind == YM_MAP;
	size_t i;

	if (n->kind == YM_SCALAR)
		return yaml_emit_scalar(y, n->tag, n->value, n->len, n->style,
		    e);
	if (yaml_emit_collection_start(y, map, e) != 0)
		return -1;
	for (i = 0; i < n->n; i++)
		if (ym_emit_node(y, n->items[i], e) != 0)
			return -1;
	return yaml_emit_collection_end(y, map, e);
}

/* One implicit document (no "---"), output bounded like the inputs. */
static int
ym_emit(const struct ym_node *root, const char *name, char **out,
    size_t *out_len, struct err *e)
{
	struct yaml_emit y;

	if (yaml_emit_open(&y, 4 * (size_t)YAML_MERGE_MAX_BYTES, e) != 0 ||
	    yaml_emit_doc_start(&y, true, e) != 0 ||
	    ym_emit_node(&y, root, e) != 0 ||
	    yaml_emit_doc_end(&y, e) != 0) {
		yaml_emit_abort(&y);
		return err_prefix(e, "cannot write merged YAML for '%s'", name);
	}
	if (yaml_emit_close(&y, out, out_len, e) != 0)
		return err_prefix(e, "cannot write merged YAML for '%s'", name);
	return 0;
}

int
yaml_merge(const char *base, size_t base_len, const char *base_name,
    const char *overlay, size_t overlay_len, const char *overlay_name,
    char **out, size_t *out_len, struct err *e)
{
	struct ym_node *b = NULL, *o = NULL;
	int rc;

	*out = NULL;
	*out_len = 0;
	rc = ym_load(base, base_len, base_name, &b, e);
	if (rc == 0)
		rc = ym_load(overlay, overlay_len, overlay_name, &o, e);
	if (rc == 0) {
		rc = ym_merge_maps(b, o, e);
		o = NULL;
	}
	if (rc == 0)
		rc = ym_emit(b, base_name, out, out_len, e);
	ym_free(b);
	ym_free(o);
	return rc;
}
