/*
 * kube_watch_decoder: newline framing + JSON decoding of watch streams (see
 * watch.h). The buffer grows geometrically up to max_line and is reused
 * between events; it never holds more than one incomplete event.
 */
#include "kube/watch.h"

#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {
	[KUBE_WATCH_ADDED] = "ADDED",
	[KUBE_WATCH_MODIFIED] = "MODIFIED",
	[KUBE_WATCH_DELETED] = "DELETED",
	[KUBE_WATCH_BOOKMARK] = "BOOKMARK",
	[KUBE_WATCH_ERROR] = "ERROR",
};

const char *
kube_watch_type_name(enum kube_watch_type t)
{
	return type_names[t];
}

void
kube_watch_decoder_init(struct kube_watch_decoder *d, size_t max_line,
    kube_watch_event_fn fn, void *ctx)
{
	memset(d, 0, sizeof(*d));
	d->max_line = max_line ? max_line : KUBE_WATCH_DEFAULT_MAX_LINE;
	d->fn = fn;
	d->ctx = ctx;
}

void
kube_watch_decoder_free(struct kube_watch_decoder *d)
{
	free(d->buf);
	d->buf = NULL;
	d->len = d->cap = 0;
}

static int
parse_type(const char *s, enum kube_watch_type *t)
{
	size_t i;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
		if (strcmp(s, type_names[i]) == 0) {
			*t = (enum kube_watch_type)i;
			return 0;
		}
	}
	return -1;
}

static int
decode_line(struct kube_watch_decoder *d, const char *line, size_t len,
    struct err *e)
{
	struct kube_watch_event ev;
	json_error_t jerr;
	json_t *root, *type, *object;
	int rc = -1;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len == 0)
		return 0;
	root = json_loadb(line, len, 0, &jerr);
	if (root == NULL)
		return err_set(e, "watch event: invalid JSON at byte %d: %s",
		    jerr.position, jerr.text);
	type = json_object_get(root, "type");
	object = json_object_get(root, "object");
	if (!json_is_string(type) || !json_is_object(object)) {
		err_set(e, "watch event: missing \"type\" or \"object\"");
		goto done;
	}
	if (parse_type(json_string_value(type), &ev.type) != 0) {
		err_set(e, "watch event: unknown type \"%.32s\"",
		    json_string_value(type));
		goto done;
	}
	ev.object = object;
	rc = d->fn(d->ctx, &ev, e);
done:
	json_decref(root);
	return rc;
}

static int
buffer_append(struct kube_watch_decoder *d, const char *data, size_t len,
    struct err *e)
{
	size_t need = d->len + len, cap;
	char *nb;

	if (need > d->max_line)
		return err_set(e, "watch event larger than %zu bytes",
		    d->max_line);
	if (need > d->cap) {
		cap = d->cap ? d->cap : 4096;
		while (cap < need)
			cap *= 2;
		if (cap > d->max_line)
			cap = d->max_line;
		nb = realloc(d->buf, cap);
		if (nb == NULL)
			return err_set(e, "watch event: out of memory");
		d->buf = nb;
		d->cap = cap;
	}
	memcpy(d->buf + d->len, data, len);
	d->len = need;
	return 0;
}

int
kube_watch_decoder_feed(struct kube_watch_decoder *d, const char *data,
    size_t len, struct err *e)
{
	const char *nl;
	size_t part, total;

	while (len > 0) {
		nl = memchr(data, '\n', len);
		part = nl ? (size_t)(nl - data) : len;
		if (nl == NULL)
			return buffer_append(d, data, part, e);
		if (d->len == 0) {
			/* Whole line in this chunk: decode without copying. */
			if (part > d->max_line)
				return err_set(e, "watch event larger than "
				    "%zu bytes", d->max_line);
			if (decode_line(d, data, part, e) != 0)
				return -1;
		} else {
			if (buffer_append(d, data, part, e) != 0)
				return -1;
			total = d->len;
			d->len = 0;
			if (decode_line(d, d->buf, total, e) != 0)
				return -1;
		}
		data += part + 1;
		len -= part + 1;
	}
	return 0;
}

int
kube_watch_decoder_finish(struct kube_watch_decoder *d, struct err *e)
{
	size_t n = d->len;

	d->len = 0;
	while (n > 0 && (d->buf[n - 1] == ' ' || d->buf[n - 1] == '\r'))
		n--;
	if (n > 0)
		return err_set(e, "watch stream ended inside an event "
		    "(%zu bytes pending)", n);
	return 0;
}

static const char *
meta_string(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(json_object_get(obj,
	    "metadata"), key));
}

const char *
kube_object_namespace(const json_t *obj)
{
	return meta_string(obj, "namespace");
}

const char *
kube_object_name(const json_t *obj)
{
	return meta_string(obj, "name");
}

const char *
kube_object_resource_version(const json_t *obj)
{
	return meta_string(obj, "resourceVersion");
}

const char *
kube_object_uid(const json_t *obj)
{
	return meta_string(obj, "uid");
}
