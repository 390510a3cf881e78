/*
 * kube verbs: the public request functions of client.h. Each builds its URL
 * (path and query) and describes the call to the engine in client.c.
 */
#include "kube/client_internal.h"

#include <string.h>

/* Builds the path of r; on failure e names the verb. */
static int
verb_path(struct kube_buf *url, struct kube_client *c, const char *verb,
    const struct kube_resource *r, struct err *e)
{
	memset(url, 0, sizeof(*url));
	if (kube_url_path(url, kube_client_server(c), r, e) < 0) {
		kube_buf_free(url);
		return err_prefix(e, "%s", verb);
	}
	return 0;
}

static int
verb_start(struct kube_client *c, struct kube_call *call,
    struct kube_buf *url, struct err *e)
{
	if (url->failed) {
		kube_buf_free(url);
		return err_set(e, "%s %s: URL too long or out of memory",
		    call->verb, call->r->resource);
	}
	return kube_call_start(c, call, url, e);
}

int
kube_get(struct kube_client *c, const struct kube_resource *r,
    kube_done_fn done, void *data, struct kube_request **out, struct err *e)
{
	return kube_get_lane(c, r, KUBE_LANE_ORDINARY, done, data, out, e);
}

int
kube_get_lane(struct kube_client *c, const struct kube_resource *r,
    enum kube_lane lane, kube_done_fn done, void *data,
    struct kube_request **out, struct err *e)
{
	struct kube_call call = { .kind = KUBE_CALL_ONE, .verb = "get",
	    .method = "GET", .r = r, .idempotent = true, .lane = lane,
	    .done = done, .data = data, .out = out };
	struct kube_buf url;

	if (r->name == NULL)
		return err_set(e, "get %s: no object name", r->resource);
	if (verb_path(&url, c, call.verb, r, e) < 0)
		return -1;
	return verb_start(c, &call, &url, e);
}

static int
list_url(struct kube_buf *url, struct kube_client *c, const char *verb,
    const struct kube_resource *r, const struct kube_list_opts *o,
    unsigned limit, struct err *e)
{
	if (r->name != NULL)
		return err_set(e, "%s %s: a collection has no object name",
		    verb, r->resource);
	if (verb_path(url, c, verb, r, e) < 0)
		return -1;
	if (o != NULL) {
		kube_url_query(url, "labelSelector", o->label_selector);
		kube_url_query(url, "fieldSelector", o->field_selector);
		kube_url_query(url, "resourceVersion", o->resource_version);
		kube_url_query(url, "resourceVersionMatch",
		    o->resource_version_match);
	}
	if (limit > 0)
		kube_url_query_uint(url, "limit", limit);
	return 0;
}

int
kube_list(struct kube_client *c, const struct kube_resource *r,
    const struct kube_list_opts *o, kube_done_fn done, void *data,
    struct kube_request **out, struct err *e)
{
	struct kube_call call = { .kind = KUBE_CALL_ONE, .verb = "list",
	    .method = "GET", .r = r, .idempotent = true, .done = done,
	    .data = data, .out = out };
	struct kube_buf url;

	if (list_url(&url, c, call.verb, r, o, o ? o->limit : 0, e) < 0)
		return -1;
	if (o != NULL)
		kube_url_query(&url, "continue", o->continue_token);
	return verb_start(c, &call, &url, e);
}

int
kube_list_all(struct kube_client *c, const struct kube_resource *r,
    const struct kube_list_opts *o, kube_item_fn on_item, kube_done_fn done,
    void *data, struct kube_request **out, struct err *e)
{
	struct kube_call call = { .kind = KUBE_CALL_LIST_ALL, .verb = "list",
	    .method = "GET", .r = r, .idempotent = true, .done = done,
	    .on_item = on_item, .data = data, .out = out };
	struct kube_buf url;

	if (o != NULL && o->continue_token != NULL && *o->continue_token)
		return err_set(e, "list %s: kube_list_all starts at the first "
		    "page", r->resource);
	if (list_url(&url, c, call.verb, r, o, o && o->limit ? o->limit :
	    500, e) < 0)
		return -1;
	return verb_start(c, &call, &url, e);
}

int
kube_watch(struct kube_client *c, const struct kube_resource *r,
    const struct kube_watch_opts *o, kube_event_fn on_event,
    kube_done_fn done, void *data, struct kube_request **out, struct err *e)
{
	struct kube_call call = { .kind = KUBE_CALL_WATCH, .verb = "watch",
	    .method = "GET", .r = r, .done = done, .on_event = on_event,
	    .data = data, .out = out };
	struct kube_list_opts lo = { 0 };
	struct kube_buf url;

	if (o != NULL) {
		lo.label_selector = o->label_selector;
		lo.field_selector = o->field_selector;
		lo.resource_version = o->resource_version;
		call.watch_timeout_s = o->timeout_seconds;
	}
	if (list_url(&url, c, call.verb, r, &lo, 0, e) < 0)
		return -1;
	kube_url_query(&url, "watch", "true");
	if (o == NULL || !o->no_bookmarks)
		kube_url_query(&url, "allowWatchBookmarks", "true");
	if (call.watch_timeout_s > 0)
		kube_url_query_uint(&url, "timeoutSeconds",
		    call.watch_timeout_s);
	return verb_start(c, &call, &url, e);
}

/* A write: method, content type, name rule, query options. */
static int
write_verb(struct kube_client *c, struct kube_call *call,
    const json_t *body, const struct kube_write_opts *o, bool need_name,
    struct err *e)
{
	const struct kube_resource *r = call->r;
	struct kube_buf url;

	if (need_name && r->name == NULL)
		return err_set(e, "%s %s: no object name", call->verb,
		    r->resource);
	if (!need_name && r->name != NULL && r->subresource == NULL)
		return err_set(e, "%s %s: create posts to the collection, not "
		    "to an object", call->verb, r->resource);
	if (body == NULL)
		return err_set(e, "%s %s: no body", call->verb, r->resource);
	if (verb_path(&url, c, call->verb, r, e) < 0)
		return -1;
	if (o != NULL) {
		kube_url_query(&url, "fieldManager", o->field_manager);
		if (o->force)
			kube_url_query(&url, "force", "true");
		if (o->dry_run)
			kube_url_query(&url, "dryRun", "All");
		call->lane = o->lane;
	}
	call->body = body;
	return verb_start(c, call, &url, e);
}

int
kube_create(struct kube_client *c, const struct kube_resource *r,
    const json_t *body, const struct kube_write_opts *o, kube_done_fn done,
    void *data, struct kube_request **out, struct err *e)
{
	struct kube_call call = { .kind = KUBE_CALL_ONE, .verb = "create",
	    .method = "POST", .r = r, .content_type = "application/json",
	    .done = done, .data = data, .out = out };

	return write_verb(c, &call, body, o, false, e);
}

int
kube_update(struct kube_client *c, const struct kube_resource *r,
    const json_t *body, const struct kube_write_opts *o, kube_done_fn done,
    void *data, struct kube_request **out, struct err *e)
{
	struct kube_call call = { .kind = KUBE_CALL_ONE, .verb = "update",
	    .method = "PUT", .r = r, .content_type = "application/json",
	    .idempotent = true, .done = done, .data = data, .out = out };

	return write_verb(c, &call, body, o, true, e);
}

int
kube_apply(struct kube_client *c, const struct kube_resource *r,
    const json_t *body, const struct kube_write_opts *o, kube_done_fn done,
    void *data, struct kube_request **out, struct err *e)
{
	struct kube_call call = { .kind = KUBE_CALL_ONE, .verb = "apply",
	    .method = "PATCH", .r = r,
	    .content_type = "application/apply-patch+yaml",
	    .idempotent = true, .done = done, .data = data, .out = out };

	if (o == NULL || o->field_manager == NULL || !*o->field_manager)
		return err_set(e, "apply %s: a field manager is required",
		    r->resource);
	return write_verb(c, &call, body, o, true, e);
}

int
kube_patch_merge(struct kube_client *c, const struct kube_resource *r,
    const json_t *body, const struct kube_write_opts *o, kube_done_fn done,
    void *data, struct kube_request **out, struct err *e)
{
	struct kube_call call = { .kind = KUBE_CALL_ONE, .verb = "patch",
	    .method = "PATCH", .r = r,
	    .content_type = "application/merge-patch+json", .done = done,
	    .data = data, .out = out };

	if (body != NULL && !json_is_object(body))
		return err_set(e, "patch %s: a merge patch is an object",
		    r->resource);
	return write_verb(c, &call, body, o, true, e);
}

int
kube_patch_json(struct kube_client *c, const struct kube_resource *r,
    const json_t *body, const struct kube_write_opts *o, kube_done_fn done,
    void *data, struct kube_request **out, struct err *e)
{
	struct kube_call call = { .kind = KUBE_CALL_ONE, .verb = "patch",
	    .method = "PATCH", .r = r,
	    .content_type = "application/json-patch+json", .done = done,
	    .data = data, .out = out };

	if (body != NULL && !json_is_array(body))
		return err_set(e, "patch %s: a JSON patch is an array",
		    r->resource);
	return write_verb(c, &call, body, o, true, e);
}

/* DeleteOptions body for o, or NULL when o sets nothing. */
static json_t *
delete_body(const struct kube_delete_opts *o)
{
	json_t *b, *pre;

	if (o == NULL || (o->propagation_policy == NULL &&
	    o->precondition_uid == NULL &&
	    o->precondition_resource_version == NULL &&
	    o->grace_period_seconds < 0 && !o->dry_run))
		return NULL;
	b = json_pack("{s:s, s:s}", "apiVersion", "v1", "kind",
	    "DeleteOptions");
	if (b == NULL)
		return NULL;
	if (o->propagation_policy != NULL)
		json_object_set_new(b, "propagationPolicy",
		    json_string(o->propagation_policy));
	if (o->grace_period_seconds >= 0)
		json_object_set_new(b, "gracePeriodSeconds",
		    json_integer(o->grace_period_seconds));
	if (o->dry_run)
		json_object_set_new(b, "dryRun", json_pack("[s]", "All"));
	if (o->precondition_uid != NULL ||
	    o->precondition_resource_version != NULL) {
		pre = json_object();
		if (o->precondition_uid != NULL)
			json_object_set_new(pre, "uid",
			    json_string(o->precondition_uid));
		if (o->precondition_resource_version != NULL)
			json_object_set_new(pre, "resourceVersion",
			    json_string(o->precondition_resource_version));
		json_object_set_new(b, "preconditions", pre);
	}
	return b;
}

int
kube_delete(struct kube_client *c, const struct kube_resource *r,
    const struct kube_delete_opts *o, kube_done_fn done, void *data,
    struct kube_request **out, struct err *e)
{
	struct kube_call call = { .kind = KUBE_CALL_ONE, .verb = "delete",
	    .method = "DELETE", .r = r, .done = done, .data = data,
	    .out = out };
	struct kube_buf url;
	json_t *body;
	int rc;

	if (r->name == NULL)
		return err_set(e, "delete %s: no object name", r->resource);
	if (verb_path(&url, c, call.verb, r, e) < 0)
		return -1;
	body = delete_body(o);
	if (body != NULL) {
		call.body = body;
		call.content_type = "application/json";
	}
	rc = verb_start(c, &call, &url, e);
	json_decref(body);
	return rc;
}

int
kube_client_probe_flowcontrol(struct kube_client *c, kube_done_fn done,
    void *data, struct kube_request **out, struct err *e)
{
	static const struct kube_resource ping = { .resource = "livez/ping" };
	struct kube_call call = { .kind = KUBE_CALL_PROBE, .verb = "probe",
	    .method = "GET", .r = &ping, .lane = KUBE_LANE_PRIORITY,
	    .what = "API Priority and Fairness (GET /livez/ping)",
	    .done = done, .data = data, .out = out };
	struct kube_buf url = { 0 };

	kube_buf_str(&url, kube_client_server(c));
	kube_buf_str(&url, "/livez/ping");
	return verb_start(c, &call, &url, e);
}
