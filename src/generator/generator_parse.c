/*
 * generator_parse: JSON object -> struct generator, and YAML stream -> array
 * of generators (via yaml_json_load). Field paths in messages follow the API
 * (`spec.artifacts[2].copy[0].from`).
 */
#include "generator/generator_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define PATH_BUF 256
#define GEN_NAME_SHOWN 253	/* longer names are not quoted in messages */

const struct yaml_json_limits generator_limits = {
	.max_bytes = GENERATOR_MAX_BYTES,
	.max_depth = GENERATOR_MAX_DEPTH,
	.max_nodes = GENERATOR_MAX_NODES,
	.max_items = GENERATOR_MAX_ITEMS,
	.max_string = GENERATOR_MAX_STRING,
};

static const char *
json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "a mapping";
	case JSON_ARRAY: return "a list";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "unknown";
}

static char *
xstrdup(const char *s, struct err *e)
{
	char *p = strdup(s);

	if (p == NULL)
		err_set(e, "out of memory");
	return p;
}

/* The string at obj[key] into *out (NULL when absent or null and optional). */
static int
get_string(const json_t *obj, const char *key, const char *path,
    bool required, char **out, struct err *e)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (required)
			return err_set(e, "%s%s%s: required field is missing",
			    path, *path ? "." : "", key);
		return 0;
	}
	if (!json_is_string(v))
		return err_set(e, "%s%s%s: expected a string, got %s", path,
		    *path ? "." : "", key, json_type_name(v));
	if (strlen(json_string_value(v)) != json_string_length(v))
		return err_set(e, "%s%s%s: contains a NUL character", path,
		    *path ? "." : "", key);
	*out = xstrdup(json_string_value(v), e);
	return *out == NULL ? -1 : 0;
}

/* obj[key] must be absent, null or of the given type; *out is NULL if absent. */
static int
get_typed(const json_t *obj, const char *key, const char *path,
    json_type type, const json_t **out, struct err *e)
{
	const json_t *v = json_object_get(obj, key);
	const char *want = type == JSON_ARRAY ? "a list" : "a mapping";

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_typeof(v) != type)
		return err_set(e, "%s%s%s: expected %s, got %s", path,
		    *path ? "." : "", key, want, json_type_name(v));
	*out = v;
	return 0;
}

static int
parse_string_map(const json_t *obj, const char *key, const char *path,
    struct kv_list *out, struct err *e)
{
	const json_t *m, *v;
	const char *k;

	if (get_typed(obj, key, path, JSON_OBJECT, &m, e) < 0)
		return -1;
	if (m == NULL || json_object_size(m) == 0)
		return 0;
	out->items = calloc(json_object_size(m), sizeof(*out->items));
	if (out->items == NULL)
		return err_set(e, "out of memory");
	json_object_foreach((json_t *)m, k, v) {
		struct kv *kv = &out->items[out->len];

		if (!json_is_string(v))
			return err_set(e, "%s.%s[%s]: expected a string, got %s",
			    path, key, k, json_type_name(v));
		kv->key = strdup(k);
		kv->value = strdup(json_string_value(v));
		out->len++;
		if (kv->key == NULL || kv->value == NULL)
			return err_set(e, "out of memory");
	}
	return 0;
}

typedef int (*elem_parse_fn)(const json_t *v, const char *path, void *elem,
    struct err *e);

/*
 * obj[key], a list (absent or null: empty), into a calloc'd array of
 * elem_size items parsed by fn. *n counts the items started, so the caller
 * frees partially filled arrays on error; *items is set in all cases.
 */
static int
parse_list(const json_t *obj, const char *key, const char *path,
    size_t elem_size, void **items, size_t *n, elem_parse_fn fn,
    struct err *e)
{
	char sub[PATH_BUF];
	const json_t *arr, *item;
	size_t i;

	if (get_typed(obj, key, path, JSON_ARRAY, &arr, e) < 0)
		return -1;
	if (arr == NULL || json_array_size(arr) == 0)
		return 0;
	if ((*items = calloc(json_array_size(arr), elem_size)) == NULL)
		return err_set(e, "out of memory");
	json_array_foreach(arr, i, item) {
		snprintf(sub, sizeof(sub), "%s%s%s[%zu]", path, *path ? "." : "",
		    key, i);
		(*n)++;
		if (fn(item, sub, (char *)*items + i * elem_size, e) < 0)
			return -1;
	}
	return 0;
}

static int
parse_source(const json_t *v, const char *path, void *elem, struct err *e)
{
	struct gen_source *s = elem;

	if (!json_is_object(v))
		return err_set(e, "%s: expected a mapping, got %s", path,
		    json_type_name(v));
	if (get_string(v, "alias", path, true, &s->alias, e) < 0 ||
	    get_string(v, "kind", path, true, &s->kind, e) < 0 ||
	    get_string(v, "name", path, true, &s->name, e) < 0 ||
	    get_string(v, "namespace", path, false, &s->namespace, e) < 0)
		return -1;
	return 0;
}

static int
parse_strategy(const json_t *v, const char *path, enum copy_strategy *out,
    struct err *e)
{
	char *s;
	int rc = 0;

	if (get_string(v, "strategy", path, false, &s, e) < 0)
		return -1;
	if (s == NULL || strcmp(s, "Overwrite") == 0)
		*out = COPY_OVERWRITE;
	else if (strcmp(s, "Merge") == 0)
		*out = COPY_MERGE;
	else if (strcmp(s, "Extract") == 0)
		*out = COPY_EXTRACT;
	else
		rc = err_set(e, "%s.strategy: unknown strategy '%s' (expected "
		    "Overwrite, Merge or Extract)", path, s);
	free(s);
	return rc;
}

static int
parse_excludes(const json_t *v, const char *path, struct gen_copy *c,
    struct err *e)
{
	const json_t *arr, *item;
	size_t i;

	if (get_typed(v, "exclude", path, JSON_ARRAY, &arr, e) < 0)
		return -1;
	if (arr == NULL || json_array_size(arr) == 0)
		return 0;
	c->exclude = calloc(json_array_size(arr), sizeof(*c->exclude));
	if (c->exclude == NULL)
		return err_set(e, "out of memory");
	json_array_foreach(arr, i, item) {
		if (!json_is_string(item))
			return err_set(e, "%s.exclude[%zu]: expected a string, "
			    "got %s", path, i, json_type_name(item));
		if ((c->exclude[i] = xstrdup(json_string_value(item), e)) == NULL)
			return -1;
		c->n_exclude++;
	}
	return 0;
}

static int
parse_copy(const json_t *v, const char *path, void *elem, struct err *e)
{
	struct gen_copy *c = elem;

	if (!json_is_object(v))
		return err_set(e, "%s: expected a mapping, got %s", path,
		    json_type_name(v));
	if (get_string(v, "from", path, true, &c->from, e) < 0 ||
	    get_string(v, "to", path, true, &c->to, e) < 0 ||
	    parse_excludes(v, path, c, e) < 0)
		return -1;
	return parse_strategy(v, path, &c->strategy, e);
}

static int
parse_artifact(const json_t *v, const char *path, void *elem, struct err *e)
{
	struct gen_artifact *a = elem;
	void *copies = NULL;
	int rc;

	if (!json_is_object(v))
		return err_set(e, "%s: expected a mapping, got %s", path,
		    json_type_name(v));
	if (get_string(v, "name", path, true, &a->name, e) < 0 ||
	    get_string(v, "revision", path, false, &a->revision, e) < 0 ||
	    get_string(v, "originRevision", path, false, &a->origin_revision,
	    e) < 0)
		return -1;
	rc = parse_list(v, "copy", path, sizeof(*a->copy), &copies, &a->n_copy,
	    parse_copy, e);
	a->copy = copies;
	return rc;
}

static int
parse_lists(const json_t *spec, struct generator *g, struct err *e)
{
	void *sources = NULL, *artifacts = NULL;
	int rc;

	rc = parse_list(spec, "sources", "spec", sizeof(*g->sources), &sources,
	    &g->n_sources, parse_source, e);
	g->sources = sources;
	if (rc < 0)
		return -1;
	rc = parse_list(spec, "artifacts", "spec", sizeof(*g->artifacts),
	    &artifacts, &g->n_artifacts, parse_artifact, e);
	g->artifacts = artifacts;
	return rc;
}

static int
parse_spec(const json_t *obj, struct generator *g, struct err *e)
{
	const json_t *spec, *cm;

	if (get_typed(obj, "spec", "", JSON_OBJECT, &spec, e) < 0)
		return -1;
	if (spec == NULL)
		return err_set(e, "spec: required field is missing");
	if (get_string(spec, "pathPattern", "spec", false, &g->path_pattern,
	    e) < 0 ||
	    get_typed(spec, "commonMetadata", "spec", JSON_OBJECT, &cm, e) < 0)
		return -1;
	if (cm != NULL &&
	    (parse_string_map(cm, "labels", "spec.commonMetadata", &g->labels,
	    e) < 0 ||
	    parse_string_map(cm, "annotations", "spec.commonMetadata",
	    &g->annotations, e) < 0))
		return -1;
	return parse_lists(spec, g, e);
}

static int
parse_type_meta(const json_t *obj, struct err *e)
{
	const json_t *api = json_object_get(obj, "apiVersion");
	const json_t *kind = json_object_get(obj, "kind");

	if (!json_is_string(kind) ||
	    strcmp(json_string_value(kind), GENERATOR_KIND) != 0)
		return err_set(e, "kind '%s' is not %s",
		    json_is_string(kind) ? json_string_value(kind) : "",
		    GENERATOR_KIND);
	if (!json_is_string(api) ||
	    strcmp(json_string_value(api), GENERATOR_API_VERSION) != 0)
		return err_set(e, "apiVersion '%s' is not %s",
		    json_is_string(api) ? json_string_value(api) : "",
		    GENERATOR_API_VERSION);
	return 0;
}

static int
parse_metadata(const json_t *obj, struct generator *g, struct err *e)
{
	const json_t *md;

	if (get_typed(obj, "metadata", "", JSON_OBJECT, &md, e) < 0)
		return -1;
	if (md == NULL)
		return err_set(e, "metadata: required field is missing");
	if (get_string(md, "name", "metadata", true, &g->name, e) < 0 ||
	    get_string(md, "namespace", "metadata", false, &g->namespace,
	    e) < 0 ||
	    get_string(md, "uid", "metadata", false, &g->uid, e) < 0)
		return -1;
	if (g->namespace == NULL && (g->namespace = xstrdup("default", e)) == NULL)
		return -1;
	return 0;
}

/* metadata.<key> when it is a short string, else "?" (for messages). */
static const char *
meta_name(const json_t *obj, const char *key, const char *dflt)
{
	const json_t *v = json_object_get(json_object_get(obj, "metadata"),
	    key);

	if (v == NULL)
		return dflt;
	if (!json_is_string(v) || json_string_length(v) > GEN_NAME_SHOWN)
		return "?";
	return json_string_value(v);
}

int
generator_from_json(const json_t *obj, struct generator *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj))
		return err_set(e, "expected an %s object, got %s",
		    GENERATOR_KIND, json_type_name(obj));
	if (yaml_json_check(obj, &generator_limits, e) < 0)
		return err_prefix(e, "%s %s/%s is over a limit", GENERATOR_KIND,
		    meta_name(obj, "namespace", "default"),
		    meta_name(obj, "name", "?"));
	if (parse_type_meta(obj, e) < 0 || parse_metadata(obj, out, e) < 0)
		goto fail;
	if (parse_spec(obj, out, e) < 0) {
		err_prefix(e, "%s %s/%s", GENERATOR_KIND, out->namespace,
		    out->name);
		goto fail;
	}
	return 0;
fail:
	generator_free(out);
	return -1;
}

static void
generators_free(struct generator *gs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		generator_free(&gs[i]);
	free(gs);
}

int
generator_parse_yaml_docs(const char *buf, size_t len,
    struct generator **out, size_t *n_out, json_t **docs_out, struct err *e)
{
	struct generator *gs = NULL;
	json_t *docs, *doc, *kept;
	size_t i, n = 0;

	if (yaml_json_load(buf, len, &generator_limits, &docs, e) < 0)
		return -1;
	kept = json_array();
	if (json_array_size(docs) > 0 &&
	    (gs = calloc(json_array_size(docs), sizeof(*gs))) == NULL) {
		err_set(e, "out of memory");
		goto fail;
	}
	json_array_foreach(docs, i, doc) {
		if (json_is_null(doc))
			continue;
		if (generator_from_json(doc, &gs[n], e) < 0) {
			err_prefix(e, "document %zu", i + 1);
			goto fail;
		}
		json_array_append(kept, doc);
		n++;
	}
	json_decref(docs);
	*out = gs;
	*n_out = n;
	if (docs_out != NULL)
		*docs_out = kept;
	else
		json_decref(kept);
	return 0;
fail:
	generators_free(gs, n);
	json_decref(docs);
	json_decref(kept);
	return -1;
}

int
generator_parse_yaml(const char *buf, size_t len, struct generator **out,
    size_t *n_out, struct err *e)
{
	return generator_parse_yaml_docs(buf, len, out, n_out, NULL, e);
}
