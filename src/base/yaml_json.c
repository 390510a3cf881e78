/*
 * yaml_json: libyaml events <-> jansson trees. See yaml_json.h for the typing
 * rules and the bounds. The loader is a recursive descent over parser events
 * and the checker one over a jansson tree; both refuse to go deeper than
 * max_depth, so the recursion is bounded by the limit, not the input. Both
 * count through the same struct budget, so their limits agree. The emitter
 * walks a jansson tree in insertion order.
 */
#include "base/yaml_json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "base/yaml_emit.h"
#include "base/yaml_pos.h"

#define YAML_STR_TAG "tag:yaml.org,2002:str"

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

/* Limits and paths, shared by the loader and the checker. */

#define PATH_SEGS 32	/* innermost segments named in a message */

/* One step of a node's path: a mapping key, or (key NULL) a list index. */
struct path_seg {
	const struct path_seg *up;
	const char *key;
	size_t index;
};

struct budget {
	struct yaml_json_limits lim;	/* defaults filled in */
	size_t nodes;
	size_t bytes;			/* keys and strings so far */
	char what[160];			/* the limit that was hit */
};

static void
budget_init(struct budget *b, const struct yaml_json_limits *limits)
{
	static const struct yaml_json_limits none;
	const struct yaml_json_limits *l = limits ? limits : &none;

	memset(b, 0, sizeof(*b));
	b->lim.max_bytes = l->max_bytes ? l->max_bytes : YAML_JSON_MAX_BYTES;
	b->lim.max_depth = l->max_depth ? l->max_depth : YAML_JSON_MAX_DEPTH;
	b->lim.max_nodes = l->max_nodes ? l->max_nodes : YAML_JSON_MAX_NODES;
	b->lim.max_items = l->max_items ? l->max_items : YAML_JSON_MAX_ITEMS;
	b->lim.max_string = l->max_string ? l->max_string :
	    YAML_JSON_MAX_STRING;
}

/* Counts a node at depth; -1 with b->what set when over a limit. */
static int
budget_node(struct budget *b, size_t depth)
{
	if (++b->nodes > b->lim.max_nodes) {
		snprintf(b->what, sizeof(b->what), "too many nodes (more than "
		    "%zu)", b->lim.max_nodes);
		return -1;
	}
	if (depth > b->lim.max_depth) {
		snprintf(b->what, sizeof(b->what), "nesting too deep (more "
		    "than %zu levels)", b->lim.max_depth);
		return -1;
	}
	return 0;
}

/* Counts a key or string of len bytes. */
static int
budget_string(struct budget *b, size_t len)
{
	if (len > b->lim.max_string) {
		snprintf(b->what, sizeof(b->what), "a string of %zu bytes "
		    "(at most %zu)", len, b->lim.max_string);
		return -1;
	}
	b->bytes += len;
	if (b->bytes > b->lim.max_bytes) {
		snprintf(b->what, sizeof(b->what), "more than %zu bytes of "
		    "keys and strings", b->lim.max_bytes);
		return -1;
	}
	return 0;
}

/* Checks that a list or mapping may have n items. */
static int
budget_items(struct budget *b, size_t n, bool map)
{
	if (n <= b->lim.max_items)
		return 0;
	snprintf(b->what, sizeof(b->what), "%s with more than %zu %s",
	    map ? "a mapping" : "a list", b->lim.max_items,
	    map ? "entries" : "items");
	return -1;
}

/* "spec.artifacts[0].copy[0].exclude"; "" for a document's root. */
static void
path_format(const struct path_seg *s, char *buf, size_t size)
{
	const struct path_seg *segs[PATH_SEGS];
	size_t k = 0, off = 0;
	int n;

	for (; s != NULL && k < PATH_SEGS; s = s->up)
		segs[k++] = s;
	buf[0] = '\0';
	if (s != NULL)
		off = (size_t)snprintf(buf, size, "...");
	while (k-- > 0 && off < size) {
		if (segs[k]->key != NULL)
			n = snprintf(buf + off, size - off, "%s%s",
			    off ? "." : "", segs[k]->key);
		else
			n = snprintf(buf + off, size - off, "[%zu]",
			    segs[k]->index);
		off += n > 0 ? (size_t)n : 0;
	}
}

/* "PATH: WHAT" (or WHAT at the root) after prefix, into e. */
static int
budget_fail(const struct budget *b, const struct path_seg *at,
    const char *prefix, struct err *e)
{
	char path[512];

	path_format(at, path, sizeof(path));
	return err_set(e, "%s%s%s%s", prefix, path, *path ? ": " : "",
	    b->what);
}

/* Loader. */

struct loader {
	yaml_parser_t parser;
	const char *buf;	/* the input, for error positions */
	size_t len;
	struct budget b;
	struct err *e;
};

static int load_node(struct loader *l, yaml_event_t *ev, size_t depth,
    const struct path_seg *at, json_t **out);

static int
loader_next(struct loader *l, yaml_event_t *ev)
{
	size_t line, col;

	if (yaml_parser_parse(&l->parser, ev))
		return 0;
	yaml_pos_error(&l->parser, l->buf, l->len, &line, &col);
	return err_set(l->e, "invalid YAML at line %zu column %zu: %s", line,
	    col, l->parser.problem ? l->parser.problem : "parse error");
}

static int
loader_err(struct loader *l, const yaml_event_t *ev, const char *what)
{
	return err_set(l->e, "invalid YAML at line %zu column %zu: %s",
	    ev->start_mark.line + 1, ev->start_mark.column + 1, what);
}

/* The limit in l->b.what was hit by the node at (ev's position). */
static int
loader_limit(struct loader *l, const yaml_event_t *ev,
    const struct path_seg *at)
{
	char prefix[128];

	snprintf(prefix, sizeof(prefix), "YAML input over a limit at line %zu "
	    "column %zu: ", ev->start_mark.line + 1,
	    ev->start_mark.column + 1);
	return budget_fail(&l->b, at, prefix, l->e);
}

static int
load_scalar(struct loader *l, yaml_event_t *ev, const struct path_seg *at,
    json_t **out)
{
	const char *text = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	json_t *v = NULL;
	bool has_nul = strlen(text) != len;

	if (budget_string(&l->b, len) < 0)
		return loader_limit(l, ev, at);
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
load_sequence(struct loader *l, size_t depth, const struct path_seg *at,
    json_t **out)
{
	json_t *arr = json_array(), *item;
	yaml_event_t ev;
	size_t i;

	if (arr == NULL)
		return err_set(l->e, "out of memory");
	for (i = 0;; i++) {
		struct path_seg seg = { .up = at, .index = i };

		if (loader_next(l, &ev) < 0)
			goto fail;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (budget_items(&l->b, i + 1, false) < 0) {
			loader_limit(l, &ev, at);
			yaml_event_delete(&ev);
			goto fail;
		}
		if (load_node(l, &ev, depth + 1, &seg, &item) < 0)
			goto fail;
		if (json_array_append_new(arr, item) < 0) {
			err_set(l->e, "out of memory");
			goto fail;
		}
	}
	*out = arr;
	return 0;
fail:
	json_decref(arr);
	return -1;
}

/* Reads a mapping key event into a malloc'd string (*key). */
static int
load_key(struct loader *l, const json_t *obj, const struct path_seg *at,
    char **key)
{
	const yaml_char_t *v;
	yaml_event_t ev;
	int rc = -1;

	*key = NULL;
	if (loader_next(l, &ev) < 0)
		return -1;
	v = ev.data.scalar.value;
	if (ev.type == YAML_MAPPING_END_EVENT)
		rc = 0;
	else if (ev.type != YAML_SCALAR_EVENT)
		loader_err(l, &ev, "mapping keys must be scalars");
	else if (budget_items(&l->b, json_object_size(obj) + 1, true) < 0 ||
	    budget_string(&l->b, ev.data.scalar.length) < 0)
		loader_limit(l, &ev, at);
	else if (strlen((const char *)v) != ev.data.scalar.length)
		loader_err(l, &ev, "mapping key contains a NUL byte");
	else if (json_object_get(obj, (const char *)v) != NULL)
		err_set(l->e, "invalid YAML at line %zu column %zu: duplicate "
		    "mapping key '%s'", ev.start_mark.line + 1,
		    ev.start_mark.column + 1, (const char *)v);
	else if ((*key = strdup((const char *)v)) == NULL)
		err_set(l->e, "out of memory");
	else
		rc = 0;
	yaml_event_delete(&ev);
	return rc;
}

static int
load_mapping(struct loader *l, size_t depth, const struct path_seg *at,
    json_t **out)
{
	json_t *obj = json_object(), *val;
	yaml_event_t ev;
	char *key;

	if (obj == NULL)
		return err_set(l->e, "out of memory");
	for (;;) {
		struct path_seg seg = { .up = at };

		if (load_key(l, obj, at, &key) < 0)
			goto fail;
		if (key == NULL)
			break;		/* MAPPING_END */
		seg.key = key;
		if (loader_next(l, &ev) < 0 ||
		    load_node(l, &ev, depth + 1, &seg, &val) < 0) {
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

/* Consumes (deletes) ev, which starts the node at path at. */
static int
load_node(struct loader *l, yaml_event_t *ev, size_t depth,
    const struct path_seg *at, json_t **out)
{
	yaml_event_type_t type = ev->type;
	int rc;

	if (budget_node(&l->b, depth) < 0)
		rc = loader_limit(l, ev, at);
	else if (type == YAML_ALIAS_EVENT)
		rc = loader_err(l, ev, "aliases are not supported");
	else if (type == YAML_SCALAR_EVENT)
		rc = load_scalar(l, ev, at, out);
	else if (type == YAML_SEQUENCE_START_EVENT ||
	    type == YAML_MAPPING_START_EVENT)
		rc = 0;
	else
		rc = loader_err(l, ev, "unexpected event");
	yaml_event_delete(ev);
	if (rc < 0 || type == YAML_SCALAR_EVENT)
		return rc;
	if (type == YAML_SEQUENCE_START_EVENT)
		return load_sequence(l, depth, at, out);
	return load_mapping(l, depth, at, out);
}

static int
load_document(struct loader *l, json_t *docs)
{
	yaml_event_t ev;
	json_t *doc;

	if (loader_next(l, &ev) < 0)
		return -1;
	if (load_node(l, &ev, 1, NULL, &doc) < 0)
		return -1;
	if (json_array_append_new(docs, doc) < 0)
		return err_set(l->e, "out of memory");
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
	struct loader l = { .buf = buf, .len = len, .e = e };
	json_t *docs;
	int rc;

	budget_init(&l.b, limits);
	if (len > l.b.lim.max_bytes)
		return err_set(e, "YAML input of %zu bytes exceeds the limit "
		    "of %zu bytes", len, l.b.lim.max_bytes);
	if (!yaml_parser_initialize(&l.parser))
		return err_set(e, "out of memory");
	yaml_parser_set_input_string(&l.parser, (const unsigned char *)buf,
	    len);
	if ((docs = json_array()) == NULL) {
		yaml_parser_delete(&l.parser);
		return err_set(e, "out of memory");
	}
	rc = load_stream(&l, docs);
	yaml_parser_delete(&l.parser);
	if (rc < 0) {
		json_decref(docs);
		return -1;
	}
	*out = docs;
	return 0;
}

/* Checker: the loader's limits over a jansson tree. */

static int
check_value(struct budget *b, const json_t *v, size_t depth,
    const struct path_seg *at, struct err *e)
{
	struct path_seg seg = { .up = at };
	const char *key;
	json_t *item;
	size_t i;

	if (budget_node(b, depth) < 0 || (json_is_string(v) &&
	    budget_string(b, json_string_length(v)) < 0) ||
	    (json_is_array(v) && budget_items(b, json_array_size(v),
	    false) < 0) ||
	    (json_is_object(v) && budget_items(b, json_object_size(v),
	    true) < 0))
		return budget_fail(b, at, "", e);
	json_array_foreach(v, i, item) {
		seg.index = i;
		if (check_value(b, item, depth + 1, &seg, e) < 0)
			return -1;
	}
	json_object_foreach((json_t *)v, key, item) {
		seg.key = key;
		if (budget_string(b, strlen(key)) < 0)
			return budget_fail(b, &seg, "", e);
		if (check_value(b, item, depth + 1, &seg, e) < 0)
			return -1;
	}
	return 0;
}

int
yaml_json_check(const json_t *doc, const struct yaml_json_limits *limits,
    struct err *e)
{
	struct budget b;

	budget_init(&b, limits);
	return check_value(&b, doc, 1, NULL, e);
}

/* Bounded file reading. */

int
yaml_json_read_file(const char *path, size_t max, char **out, size_t *len,
    struct err *e)
{
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 65536, n = 0, limit = max < SIZE_MAX / 4 ? max + 1 :
	    SIZE_MAX / 4;
	char *buf = NULL, *grown;
	struct stat st;
	ssize_t r;

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return err_sys(e, errno, "cannot open");
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if ((uintmax_t)st.st_size > max) {
			err_set(e, "file of %jd bytes is larger than the limit "
			    "of %zu bytes", (intmax_t)st.st_size, max);
			goto fail;
		}
		cap = (size_t)st.st_size + 1;	/* one read sees the end */
	}
	if (cap > limit)
		cap = limit;
	for (;;) {
		if (buf == NULL || n == cap) {
			cap = buf == NULL ? cap : cap * 2 < limit ? cap * 2 :
			    limit;
			if ((grown = realloc(buf, cap + 1)) == NULL) {
				err_set(e, "out of memory");
				goto fail;
			}
			buf = grown;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_sys(e, errno, "cannot read");
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			err_set(e, "larger than the limit of %zu bytes", max);
			goto fail;
		}
	}
	if (!is_stdin)
		close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
fail:
	if (!is_stdin)
		close(fd);
	free(buf);
	return -1;
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
