/*
 * yaml_json: libyaml events <-> jansson trees. See yaml_json.h for the typing
 * rules and the bounds. The loader is a recursive descent over parser events
 * whose depth is bounded by limits->max_depth; the emitter walks a jansson
 * tree in insertion order.
 */
#include "base/yaml_json.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "base/yaml_emit.h"

#define YAML_STR_TAG "tag:yaml.org,2002:str"

struct loader {
	yaml_parser_t parser;
	size_t max_depth;
	size_t max_nodes;
	size_t nodes;
	struct err *e;
};

static int load_node(struct loader *l, yaml_event_t *ev, size_t depth,
    json_t **out);

static int
loader_next(struct loader *l, yaml_event_t *ev)
{
	if (yaml_parser_parse(&l->parser, ev))
		return 0;
	return err_set(l->e, "invalid YAML at line %zu column %zu: %s",
	    l->parser.problem_mark.line + 1,
	    l->parser.problem_mark.column + 1,
	    l->parser.problem ? l->parser.problem : "parse error");
}

static int
loader_err(struct loader *l, const yaml_event_t *ev, const char *what)
{
	return err_set(l->e, "invalid YAML at line %zu column %zu: %s",
	    ev->start_mark.line + 1, ev->start_mark.column + 1, what);
}

static bool
all_in(const char *s, const char *set)
{
	if (*s == '\0')
		return false;
	return s[strspn(s, set)] == '\0';
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool
is_float(const char *s)
{
	bool digits = false;

	if (*s == '+' || *s == '-')
		s++;
	while (*s >= '0' && *s <= '9') {
		s++;
		digits = true;
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			s++;
			digits = true;
		}
	}
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

static json_t *
resolve_int(const char *s)
{
	const char *p = s;
	int base = 10;
	long long v;
	char *end;

	if (strncmp(s, "0x", 2) == 0 && all_in(s + 2, "0123456789abcdefABCDEF")) {
		base = 16;
		p = s + 2;
	} else if (strncmp(s, "0o", 2) == 0 && all_in(s + 2, "01234567")) {
		base = 8;
		p = s + 2;
	} else {
		const char *d = (*s == '+' || *s == '-') ? s + 1 : s;

		if (!all_in(d, "0123456789"))
			return NULL;
	}
	errno = 0;
	v = strtoll(p, &end, base);
	if (errno == ERANGE || *end != '\0')
		return base == 10 ? json_real(strtod(s, NULL)) : NULL;
	return json_integer(v);
}

/*
 * The typed value of a plain scalar (YAML 1.2 core schema), or NULL when it
 * is a string.
 */
static json_t *
resolve_plain(const char *s)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	static const char *const trues[] = { "true", "True", "TRUE" };
	static const char *const falses[] = { "false", "False", "FALSE" };
	json_t *v;

	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(s, nulls[i]) == 0)
			return json_null();
	for (size_t i = 0; i < 3; i++) {
		if (strcmp(s, trues[i]) == 0)
			return json_true();
		if (strcmp(s, falses[i]) == 0)
			return json_false();
	}
	if ((v = resolve_int(s)) != NULL)
		return v;
	if (is_float(s))
		return json_real(strtod(s, NULL));
	return NULL;
}

static int
load_scalar(struct loader *l, yaml_event_t *ev, json_t **out)
{
	const char *text = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	json_t *v = NULL;

	bool has_nul = strlen(text) != len;

	if (has_nul || (tag != NULL && strcmp(tag, YAML_STR_TAG) == 0))
		v = NULL;
	else if (ev->data.scalar.plain_implicit)
		v = resolve_plain(text);
	else if (tag != NULL && strcmp(tag, "!") != 0)
		v = resolve_plain(text);	/* !!int, !!bool, ... */
	if (v == NULL)
		v = json_stringn(text, len);
	if (v == NULL)
		return loader_err(l, ev, "scalar is not valid UTF-8");
	*out = v;
	return 0;
}

static int
load_sequence(struct loader *l, size_t depth, json_t **out)
{
	json_t *arr = json_array();
	yaml_event_t ev;

	for (;;) {
		json_t *item;

		if (loader_next(l, &ev) < 0)
			goto fail;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (load_node(l, &ev, depth + 1, &item) < 0)
			goto fail;
		json_array_append_new(arr, item);
	}
	*out = arr;
	return 0;
fail:
	json_decref(arr);
	return -1;
}

static int
load_mapping(struct loader *l, size_t depth, json_t **out)
{
	json_t *obj = json_object();
	yaml_event_t ev;

	for (;;) {
		char *key;
		json_t *val;

		if (loader_next(l, &ev) < 0)
			goto fail;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			loader_err(l, &ev, "mapping keys must be scalars");
			yaml_event_delete(&ev);
			goto fail;
		}
		if (strlen((char *)ev.data.scalar.value) != ev.data.scalar.length) {
			loader_err(l, &ev, "mapping key contains a NUL byte");
			yaml_event_delete(&ev);
			goto fail;
		}
		if (json_object_get(obj, (char *)ev.data.scalar.value) != NULL) {
			err_set(l->e, "invalid YAML at line %zu column %zu: "
			    "duplicate mapping key '%s'",
			    ev.start_mark.line + 1, ev.start_mark.column + 1,
			    (char *)ev.data.scalar.value);
			yaml_event_delete(&ev);
			goto fail;
		}
		key = strdup((char *)ev.data.scalar.value);
		yaml_event_delete(&ev);
		if (key == NULL) {
			err_set(l->e, "out of memory");
			goto fail;
		}
		if (loader_next(l, &ev) < 0 ||
		    load_node(l, &ev, depth + 1, &val) < 0) {
			free(key);
			goto fail;
		}
		if (json_object_set_new(obj, key, val) < 0) {
			err_set(l->e, "mapping key '%s' is not valid UTF-8", key);
			free(key);
			goto fail;
		}
		free(key);
	}
	*out = obj;
	return 0;
fail:
	json_decref(obj);
	return -1;
}

/* Consumes (deletes) ev, which starts a node. */
static int
load_node(struct loader *l, yaml_event_t *ev, size_t depth, json_t **out)
{
	yaml_event_type_t type = ev->type;
	int rc;

	if (++l->nodes > l->max_nodes)
		rc = loader_err(l, ev, "too many nodes");
	else if (depth > l->max_depth)
		rc = loader_err(l, ev, "nesting too deep");
	else if (type == YAML_ALIAS_EVENT)
		rc = loader_err(l, ev, "aliases are not supported");
	else if (type == YAML_SCALAR_EVENT)
		rc = load_scalar(l, ev, out);
	else if (type == YAML_SEQUENCE_START_EVENT ||
	    type == YAML_MAPPING_START_EVENT)
		rc = 0;
	else
		rc = loader_err(l, ev, "unexpected event");
	yaml_event_delete(ev);
	if (rc < 0 || type == YAML_SCALAR_EVENT)
		return rc;
	if (type == YAML_SEQUENCE_START_EVENT)
		return load_sequence(l, depth, out);
	return load_mapping(l, depth, out);
}

static int
load_document(struct loader *l, json_t *docs)
{
	yaml_event_t ev;
	json_t *doc;

	if (loader_next(l, &ev) < 0)
		return -1;
	if (load_node(l, &ev, 1, &doc) < 0)
		return -1;
	json_array_append_new(docs, doc);
	if (loader_next(l, &ev) < 0)
		return -1;
	if (ev.type != YAML_DOCUMENT_END_EVENT) {
		loader_err(l, &ev, "expected the end of the document");
		yaml_event_delete(&ev);
		return -1;
	}
	yaml_event_delete(&ev);
	return 0;
}

static int
load_stream(struct loader *l, json_t *docs)
{
	yaml_event_t ev;

	for (;;) {
		yaml_event_type_t type;

		if (loader_next(l, &ev) < 0)
			return -1;
		type = ev.type;
		yaml_event_delete(&ev);
		if (type == YAML_STREAM_END_EVENT)
			return 0;
		if (type == YAML_DOCUMENT_START_EVENT &&
		    load_document(l, docs) < 0)
			return -1;
	}
}

int
yaml_json_load(const char *buf, size_t len,
    const struct yaml_json_limits *limits, json_t **out, struct err *e)
{
	struct loader l = { .e = e };
	size_t max_bytes = YAML_JSON_MAX_BYTES;
	json_t *docs;
	int rc;

	l.max_depth = YAML_JSON_MAX_DEPTH;
	l.max_nodes = YAML_JSON_MAX_NODES;
	if (limits != NULL) {
		if (limits->max_bytes)
			max_bytes = limits->max_bytes;
		if (limits->max_depth)
			l.max_depth = limits->max_depth;
		if (limits->max_nodes)
			l.max_nodes = limits->max_nodes;
	}
	if (len > max_bytes)
		return err_set(e, "YAML input of %zu bytes exceeds the limit "
		    "of %zu bytes", len, max_bytes);
	if (!yaml_parser_initialize(&l.parser))
		return err_set(e, "out of memory");
	yaml_parser_set_input_string(&l.parser, (const unsigned char *)buf,
	    len);
	docs = json_array();
	rc = load_stream(&l, docs);
	yaml_parser_delete(&l.parser);
	if (rc < 0) {
		json_decref(docs);
		return -1;
	}
	*out = docs;
	return 0;
}

/* Emitter. */

/* True when a plain rendering of s would be read back as a non-string by
 * YAML 1.2 or 1.1 readers (booleans like yes/on, sexagesimals, ...). */
static bool
needs_quotes(const char *s)
{
	static const char *const yaml11[] = { "y", "Y", "yes", "Yes", "YES",
	    "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
	    ".inf", ".Inf", ".INF", "-.inf", "+.inf", ".nan", ".NaN", ".NAN",
	    "<<", "=" };
	json_t *v = resolve_plain(s);

	if (v != NULL) {
		json_decref(v);
		return true;
	}
	for (size_t i = 0; i < sizeof(yaml11) / sizeof(yaml11[0]); i++)
		if (strcmp(s, yaml11[i]) == 0)
			return true;
	return strchr("0123456789+-.", s[0]) != NULL &&
	    all_in(s, "0123456789abcdefABCDEFxXoO_:.+-");
}

static int
emit_scalar(struct yaml_emit *y, const char *text, size_t len, bool quote,
    struct err *e)
{
	return yaml_emit_scalar(y, NULL, text, len,
	    quote ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE, e);
}

static int
emit_string(struct yaml_emit *y, const char *s, size_t len, struct err *e)
{
	bool quote = strlen(s) != len || needs_quotes(s);

	return emit_scalar(y, s, len, quote, e);
}

static int emit_node(struct yaml_emit *y, const json_t *v, struct err *e);

static int
emit_object(struct yaml_emit *y, const json_t *v, struct err *e)
{
	const char *key;
	json_t *val;

	if (yaml_emit_collection_start(y, true, e) < 0)
		return -1;
	json_object_foreach((json_t *)v, key, val) {
		if (emit_string(y, key, strlen(key), e) < 0 ||
		    emit_node(y, val, e) < 0)
			return -1;
	}
	return yaml_emit_collection_end(y, true, e);
}

static int
emit_array(struct yaml_emit *y, const json_t *v, struct err *e)
{
	size_t i;
	json_t *item;

	if (yaml_emit_collection_start(y, false, e) < 0)
		return -1;
	json_array_foreach(v, i, item) {
		if (emit_node(y, item, e) < 0)
			return -1;
	}
	return yaml_emit_collection_end(y, false, e);
}

static int
emit_number(struct yaml_emit *y, const json_t *v, struct err *e)
{
	char num[64];

	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	} else {
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		if (strpbrk(num, ".e") == NULL)
			strcat(num, ".0");
	}
	return emit_scalar(y, num, strlen(num), false, e);
}

static int
emit_node(struct yaml_emit *y, const json_t *v, struct err *e)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return emit_object(y, v, e);
	case JSON_ARRAY:
		return emit_array(y, v, e);
	case JSON_STRING:
		return emit_string(y, json_string_value(v),
		    json_string_length(v), e);
	case JSON_INTEGER:
	case JSON_REAL:
		return emit_number(y, v, e);
	case JSON_TRUE:
		return emit_scalar(y, "true", 4, false, e);
	case JSON_FALSE:
		return emit_scalar(y, "false", 5, false, e);
	case JSON_NULL:
		return emit_scalar(y, "null", 4, false, e);
	}
	return err_set(e, "cannot emit YAML: unknown JSON type");
}

int
yaml_json_dump(const json_t *docs, char **out, size_t *out_len,
    struct err *e)
{
	struct yaml_emit y;
	size_t i;
	json_t *doc;

	if (!json_is_array(docs))
		return err_set(e, "cannot emit YAML: expected an array of "
		    "documents");
	if (yaml_emit_open(&y, 0, e) < 0)
		goto fail;
	json_array_foreach(docs, i, doc) {
		if (yaml_emit_doc_start(&y, false, e) < 0 ||
		    emit_node(&y, doc, e) < 0 || yaml_emit_doc_end(&y, e) < 0)
			goto fail;
	}
	return yaml_emit_close(&y, out, out_len, e);
fail:
	yaml_emit_abort(&y);
	return -1;
}
