/*
 * kube event: core/v1 Events shaped like those of client-go's legacy
 * recorder (tools/record), which Flux controllers use (see client.h).
 */
#include "kube/client_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/timefmt.h"

#define KUBE_EVENT_MESSAGE_MAX 1024


/* message cut to KUBE_EVENT_MESSAGE_MAX bytes on a UTF-8 boundary. */
static json_t *
message_json(const char *m)
{
	size_t n = strlen(m);

	if (n <= KUBE_EVENT_MESSAGE_MAX)
		return json_string(m);
	n = KUBE_EVENT_MESSAGE_MAX;
	while (n > 0 && ((unsigned char)m[n] & 0xC0) == 0x80)
		n--;
	return json_stringn(m, n);
}

static void
set_str(json_t *o, const char *key, const char *v)
{
	if (v != NULL && *v != '\0')
		json_object_set_new(o, key, json_string(v));
}

json_t *
kube_event_json(const struct kube_event *ev, int64_t now_ns)
{
	char name[320], ts[TIME_RFC3339_MAX];
	json_t *ev_obj, *meta, *inv, *src;
	const char *ns = ev->namespace && *ev->namespace ? ev->namespace :
	    "default";

	if (ev->name == NULL || ev->kind == NULL || ev->reason == NULL)
		return NULL;
	snprintf(name, sizeof(name), "%s.%llx", ev->name,
	    (unsigned long long)now_ns);
	time_rfc3339(ts, now_ns / 1000000000);
	ev_obj = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{}, s:s, s:o, s:s, "
	    "s:{}, s:s, s:s, s:i}",
	    "apiVersion", "v1", "kind", "Event",
	    "metadata", "name", name, "namespace", ns,
	    "involvedObject",
	    "reason", ev->reason,
	    "message", message_json(ev->message ? ev->message : ""),
	    "type", ev->type ? ev->type : "Normal",
	    "source",
	    "firstTimestamp", ts, "lastTimestamp", ts, "count", 1);
	if (ev_obj == NULL)
		return NULL;
	meta = json_object_get(ev_obj, "metadata");
	if (json_is_object(ev->annotations) &&
	    json_object_size(ev->annotations) > 0)
		json_object_set_new(meta, "annotations",
		    json_deep_copy(ev->annotations));
	inv = json_object_get(ev_obj, "involvedObject");
	set_str(inv, "apiVersion", ev->api_version);
	set_str(inv, "kind", ev->kind);
	set_str(inv, "namespace", ev->namespace);
	set_str(inv, "name", ev->name);
	set_str(inv, "uid", ev->uid);
	set_str(inv, "resourceVersion", ev->resource_version);
	src = json_object_get(ev_obj, "source");
	set_str(src, "component", ev->reporting_controller);
	set_str(ev_obj, "action", ev->action);
	set_str(ev_obj, "reportingComponent", ev->reporting_controller);
	set_str(ev_obj, "reportingInstance", ev->reporting_instance);
	return ev_obj;
}

int
kube_event_create(struct kube_client *c, const struct kube_event *ev,
    kube_done_fn done, void *data, struct kube_request **out, struct err *e)
{
	struct kube_resource r = { .version = "v1", .resource = "events",
	    .namespaced = true };
	struct timespec now;
	json_t *body;
	int rc;

	clock_gettime(CLOCK_REALTIME, &now);
	body = kube_event_json(ev, (int64_t)now.tv_sec * 1000000000 +
	    now.tv_nsec);
	if (body == NULL)
		return err_set(e, "create event: missing object name, kind or "
		    "reason, or out of memory");
	r.namespace = json_string_value(json_object_get(json_object_get(body,
	    "metadata"), "namespace"));
	rc = kube_create(c, &r, body, NULL, done, data, out, e);
	json_decref(body);
	return rc;
}
