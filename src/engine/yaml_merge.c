/*
 * yaml_merge: parse (libyaml events -> a small node tree), merge, emit
 * (yaml_emit.c, shared with yaml_json.c). See yaml_merge.h for the semantics and bounds.
 *
 * Maps are kept sorted by key from the moment they are parsed (qsort, once
 * per map), so a merge is one linear merge-join per level and the output
 * order is stable. Every node knows the nodes and scalar bytes of its
 * subtree, so an alias is charged what it expands to before it is copied;
 * anchors live in a hash table (open addressing), so each alias is found in
 * O(1). One budget covers both inputs of a merge call.
 */
#include "engine/yaml_merge.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/yaml_emit.h"
#include "base/yaml_pos.h"

enum ym_kind { YM_SCALAR, YM_SEQ, YM_MAP };

struct ym_node {
	enum ym_kind kind;
	int height;		/* levels below this node (a scalar: 0) */
	char *value;		/* scalar bytes (NUL-terminated) */
	size_t len;
	char *tag;		/* explicit tag or NULL */
	yaml_scalar_style_t style;
	struct ym_node **items;	/* seq: items; map: key, value, key, ... */
	size_t n, cap;
	size_t count;		/* nodes of the subtree, this one included */
	size_t bytes;		/* scalar and tag bytes of the subtree */
};

struct ym_anchor {
	char *name;		/* NULL: a free slot */
	struct ym_node *node;	/* borrowed from the document tree */
};

/* What one yaml_merge call may build, over both inputs and expansions. */
struct ym_budget {
	size_t nodes;
	size_t bytes;
};

struct ym_parser {
	yaml_parser_t parser;
	const char *name;
	const char *text;	/* the input, for error positions */
	size_t len;
	struct ym_budget *budget;
	struct ym_anchor *anchors;	/* hash table, cap_anchors a power of 2 */
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

/* Charges nodes and bytes to the budget; mark is where they come from. */
static int
ym_charge(struct ym_parser *p, size_t nodes, size_t bytes,
    const yaml_mark_t *mark, const char *alias, struct err *e)
{
	struct ym_budget *b = p->budget;

	if (nodes > YAML_MERGE_MAX_NODES - b->nodes) {
		if (alias != NULL)
			return err_set(e, "'%s' at line %zu, column %zu: alias "
			    "'*%s' expands beyond %d YAML nodes", p->name,
			    mark->line + 1, mark->column + 1, alias,
			    YAML_MERGE_MAX_NODES);
		return err_set(e, "'%s' at line %zu, column %zu: more than %d "
		    "YAML nodes in this merge", p->name, mark->line + 1,
		    mark->column + 1, YAML_MERGE_MAX_NODES);
	}
	if (bytes > YAML_MERGE_MAX_EXPANDED - b->bytes) {
		if (alias != NULL)
			return err_set(e, "'%s' at line %zu, column %zu: alias "
			    "'*%s' expands beyond %u bytes of YAML scalars",
			    p->name, mark->line + 1, mark->column + 1, alias,
			    YAML_MERGE_MAX_EXPANDED);
		return err_set(e, "'%s' at line %zu, column %zu: more than %u "
		    "bytes of YAML scalars in this merge", p->name,
		    mark->line + 1, mark->column + 1, YAML_MERGE_MAX_EXPANDED);
	}
	b->nodes += nodes;
	b->bytes += bytes;
	return 0;
}

static struct ym_node *
ym_alloc(enum ym_kind kind, struct err *e)
{
	struct ym_node *n;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		err_set(e, "out of memory parsing YAML");
		return NULL;
	}
	n->kind = kind;
	n->count = 1;
	return n;
}

/* A new node charged to the budget (one node, no bytes yet). */
static struct ym_node *
ym_new(struct ym_parser *p, enum ym_kind kind, const yaml_mark_t *mark,
    struct err *e)
{
	if (ym_charge(p, 1, 0, mark, NULL, e) != 0)
		return NULL;
	return ym_alloc(kind, e);
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
	n->count += child->count;
	n->bytes += child->bytes;
	if (child->height + 1 > n->height)
		n->height = child->height + 1;
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

/* A deep copy of src; the caller charged src->count and src->bytes. The
 * recursion is bounded by the depth of an anchored subtree. */
static struct ym_node *
ym_copy(const struct ym_node *src, struct err *e)
{
	struct ym_node *n = ym_alloc(src->kind, e), *c;
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
	n->bytes = src->kind == YM_SCALAR ? src->bytes : 0;
	for (i = 0; i < src->n; i++) {
		if ((c = ym_copy(src->items[i], e)) == NULL ||
		    ym_push(n, c, e) != 0) {
			ym_free(n);
			return NULL;
		}
	}
	return n;
}

/* FNV-1a over the anchor name. */
static size_t
ym_hash(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)h;
}

/* The slot of name: its entry, or the free slot where it belongs. */
static struct ym_anchor *
ym_anchor_slot(const struct ym_parser *p, const char *name)
{
	size_t mask = p->cap_anchors - 1, i = ym_hash(name) & mask;

	while (p->anchors[i].name != NULL &&
	    strcmp(p->anchors[i].name, name) != 0)
		i = (i + 1) & mask;
	return &p->anchors[i];
}

/* Doubles the table (kept at most half full). */
static int
ym_anchors_grow(struct ym_parser *p, struct err *e)
{
	struct ym_anchor *old = p->anchors, *slot;
	size_t i, old_cap = p->cap_anchors;

	p->cap_anchors = old_cap ? old_cap * 2 : 64;
	if ((p->anchors = calloc(p->cap_anchors, sizeof(*old))) == NULL) {
		p->anchors = old;
		p->cap_anchors = old_cap;
		return err_set(e, "out of memory");
	}
	for (i = 0; i < old_cap; i++) {
		if (old[i].name == NULL)
			continue;
		slot = ym_anchor_slot(p, old[i].name);
		*slot = old[i];
	}
	free(old);
	return 0;
}

/* Defines (or redefines: the later one wins, as in YAML) an anchor. */
static int
ym_anchor_add(struct ym_parser *p, const yaml_char_t *name,
    struct ym_node *n, struct err *e)
{
	struct ym_anchor *slot;

	if (name == NULL)
		return 0;
	if (2 * (p->n_anchors + 1) > p->cap_anchors &&
	    ym_anchors_grow(p, e) != 0)
		return -1;
	slot = ym_anchor_slot(p, (const char *)name);
	if (slot->name == NULL) {
		if ((slot->name = strdup((const char *)name)) == NULL)
			return err_set(e, "out of memory");
		p->n_anchors++;
	}
	slot->node = n;
	return 0;
}

/* Anchors are scoped to a document: the table goes with them, so each
 * document pays only for its own anchors. */
static void
ym_anchors_clear(struct ym_parser *p)
{
	size_t i;

	for (i = 0; i < p->cap_anchors; i++)
		free(p->anchors[i].name);
	free(p->anchors);
	p->anchors = NULL;
	p->n_anchors = p->cap_anchors = 0;
}

/* A copy of the anchored node, charged to the budget; at depth, its
 * expansion must stay within YAML_MERGE_MAX_DEPTH like parsed nodes. */
static struct ym_node *
ym_alias(struct ym_parser *p, const yaml_event_t *ev, int depth,
    struct err *e)
{
	const char *name = (const char *)ev->data.alias.anchor;
	const struct ym_anchor *a = p->n_anchors ? ym_anchor_slot(p, name) :
	    NULL;

	if (a == NULL || a->name == NULL) {
		err_set(e, "invalid YAML in '%s' at line %zu, column %zu: "
		    "unknown alias '*%s'", p->name, ev->start_mark.line + 1,
		    ev->start_mark.column + 1, name);
		return NULL;
	}
	if (depth + a->node->height > YAML_MERGE_MAX_DEPTH) {
		err_set(e, "'%s' at line %zu, column %zu: alias '*%s' nests "
		    "deeper than %d levels", p->name, ev->start_mark.line + 1,
		    ev->start_mark.column + 1, name, YAML_MERGE_MAX_DEPTH);
		return NULL;
	}
	if (ym_charge(p, a->node->count, a->node->bytes, &ev->start_mark,
	    name, e) != 0)
		return NULL;
	return ym_copy(a->node, e);
}

static int
ym_next(struct ym_parser *p, yaml_event_t *ev, struct err *e)
{
	size_t line, col;

	if (yaml_parser_parse(&p->parser, ev))
		return 0;
	yaml_pos_error(&p->parser, p->text, p->len, &line, &col);
	return err_set(e, "invalid YAML in '%s' at line %zu, column %zu: %s",
	    p->name, line, col,
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

struct ym_pair {
	struct ym_node *key, *value;
};

static int
ym_pair_cmp(const void *a, const void *b)
{
	return ym_key_cmp(((const struct ym_pair *)a)->key,
	    ((const struct ym_pair *)b)->key);
}

/* Sorts a map's pairs by key (O(n log n), nothing to do when sorted
 * already); duplicate keys are an error. */
static int
ym_map_sort(struct ym_parser *p, struct ym_node *m, struct err *e)
{
	size_t i, pairs = m->n / 2;
	struct ym_pair *tmp;
	bool sorted = true;

	for (i = 0; i < pairs; i++)
		if (m->items[2 * i]->kind != YM_SCALAR)
			return err_set(e, "'%s': mapping keys must be scalars",
			    p->name);
	for (i = 1; i < pairs && sorted; i++)
		sorted = ym_key_cmp(m->items[2 * (i - 1)], m->items[2 * i]) < 0;
	if (!sorted) {
		if ((tmp = malloc(pairs * sizeof(*tmp))) == NULL)
			return err_set(e, "out of memory sorting '%s'", p->name);
		for (i = 0; i < pairs; i++)
			tmp[i] = (struct ym_pair){ m->items[2 * i],
			    m->items[2 * i + 1] };
		qsort(tmp, pairs, sizeof(*tmp), ym_pair_cmp);
		for (i = 0; i < pairs; i++) {
			m->items[2 * i] = tmp[i].key;
			m->items[2 * i + 1] = tmp[i].value;
		}
		free(tmp);
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
	const char *tag = (const char *)ev->data.scalar.tag;
	size_t bytes = ev->data.scalar.length + (tag ? strlen(tag) : 0);
	struct ym_node *n;

	if (ym_charge(p, 1, bytes, &ev->start_mark, NULL, e) != 0 ||
	    (n = ym_alloc(YM_SCALAR, e)) == NULL)
		return NULL;
	n->bytes = bytes;
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
		*out = ym_alias(p, ev, depth, e);
		return *out ? 0 : -1;
	case YAML_SCALAR_EVENT:
		if ((n = ym_scalar(p, ev, e)) == NULL)
			return -1;
		anchor = ev->data.scalar.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		n = ym_new(p, ev->type == YAML_SEQUENCE_START_EVENT ? YM_SEQ :
		    YM_MAP, &ev->start_mark, e);
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
ym_load(const char *text, size_t len, const char *name,
    struct ym_budget *budget, struct ym_node **out, struct err *e)
{
	struct ym_parser p = { .name = name, .text = text, .len = len,
	    .budget = budget };
	const yaml_mark_t start = { 0, 0, 0 };
	struct ym_node *acc;
	yaml_event_t ev;
	int rc = 0, index = 0;
	bool done = false;

	*out = NULL;
	if (len > YAML_MERGE_MAX_BYTES)
		return err_set(e, "'%s' is larger than %u bytes", name,
		    YAML_MERGE_MAX_BYTES);
	if ((acc = ym_new(&p, YM_MAP, &start, e)) == NULL)
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
	struct ym_budget budget = { 0, 0 };
	int rc;

	*out = NULL;
	*out_len = 0;
	rc = ym_load(base, base_len, base_name, &budget, &b, e);
	if (rc == 0)
		rc = ym_load(overlay, overlay_len, overlay_name, &budget, &o,
		    e);
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
