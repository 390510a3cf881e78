/*
 * kube_watch_decoder: frames a Kubernetes watch stream (one JSON event object
 * per line: {"type": "...", "object": {...}}) delivered in arbitrary chunks,
 * decodes each event with jansson and hands it to a callback. A line longer
 * than the configured bound is an error: memory stays bounded whatever the
 * server sends.
 *
 * The decoder owns its line buffer; the event's object is borrowed for the
 * duration of the callback (json_incref it to keep it). Loop-thread only.
 */
#ifndef AG_KUBE_WATCH_H
#define AG_KUBE_WATCH_H

#include <stddef.h>

#include <jansson.h>

#include "base/err.h"

enum kube_watch_type {
	KUBE_WATCH_ADDED,
	KUBE_WATCH_MODIFIED,
	KUBE_WATCH_DELETED,
	KUBE_WATCH_BOOKMARK,
	KUBE_WATCH_ERROR,
};

struct kube_watch_event {
	enum kube_watch_type type;
	json_t *object;		/* borrowed */
};

/* Returns 0 to continue, -1 to stop decoding (feed then returns -1 with the
 * callback's message in e). */
typedef int (*kube_watch_event_fn)(void *ctx,
    const struct kube_watch_event *ev, struct err *e);

struct kube_watch_decoder {
	char *buf;
	size_t len;
	size_t cap;
	size_t max_line;
	kube_watch_event_fn fn;
	void *ctx;
};

#define KUBE_WATCH_DEFAULT_MAX_LINE (16u << 20)

void kube_watch_decoder_init(struct kube_watch_decoder *d, size_t max_line,
    kube_watch_event_fn fn, void *ctx);
/* Feeds bytes; calls fn for each complete event. -1 on malformed JSON, an
 * unknown event type, an oversized line or a callback error. */
int kube_watch_decoder_feed(struct kube_watch_decoder *d, const char *data,
    size_t len, struct err *e);
/* Bytes of an incomplete event at end of stream are an error (truncated). */
int kube_watch_decoder_finish(struct kube_watch_decoder *d, struct err *e);
void kube_watch_decoder_free(struct kube_watch_decoder *d);

const char *kube_watch_type_name(enum kube_watch_type t);

/* metadata.namespace / name / resourceVersion / uid of an object, or NULL. */
const char *kube_object_namespace(const json_t *obj);
const char *kube_object_name(const json_t *obj);
const char *kube_object_resource_version(const json_t *obj);
const char *kube_object_uid(const json_t *obj);

#endif
