/*
 * Fuzz target for decoding watch streams and Status objects
 * (src/kube/watch.c, src/kube/status.c): the input is fed to a watch decoder
 * with a small line bound, split at a size chosen by the first byte; every
 * decoded event's object goes through the metadata getters and, for ERROR
 * events, Status decoding. The same bytes are also decoded as a response
 * body by kube_status_from_body. Invariants: messages are NUL-terminated
 * within their buffers and the decoder never holds more than its bound.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kube/status.h"
#include "kube/watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_LINE 4096

static int
fuzz_on_event(void *ctx, const struct kube_watch_event *ev, struct err *e)
{
	struct kube_status st;
	size_t *n = ctx;

	(void)e;
	(*n)++;
	(void)kube_object_namespace(ev->object);
	(void)kube_object_name(ev->object);
	(void)kube_object_resource_version(ev->object);
	(void)kube_object_uid(ev->object);
	if (ev->type == KUBE_WATCH_ERROR &&
	    kube_status_from_json(ev->object, &st) == 0 &&
	    (strlen(st.reason) >= sizeof(st.reason) ||
	    strlen(st.message) >= sizeof(st.message)))
		__builtin_trap();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kube_watch_decoder d;
	struct kube_status st;
	struct err e;
	size_t split, off, n, events = 0;

	if (size == 0)
		return 0;
	split = (size_t)data[0] % 64 + 1;
	data++;
	size--;
	kube_watch_decoder_init(&d, FUZZ_MAX_LINE, fuzz_on_event, &events);
	for (off = 0; off < size; off += n) {
		n = size - off < split ? size - off : split;
		if (kube_watch_decoder_feed(&d, (const char *)data + off, n,
		    &e) != 0)
			break;
		if (d.len > FUZZ_MAX_LINE)
			__builtin_trap();
	}
	if (off >= size)
		(void)kube_watch_decoder_finish(&d, &e);
	kube_watch_decoder_free(&d);

	kube_status_from_body(500, (const char *)data, size, &st);
	kube_status_err(&e, "get", "things", &st);
	if (strlen(e.msg) >= sizeof(e.msg))
		__builtin_trap();
	return 0;
}
