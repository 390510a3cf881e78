/*
 * kube_status: Status object decoding (see status.h).
 */
#include "kube/status.h"

#include <stdio.h>
#include <string.h>

static void
copy_bounded(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

int
kube_status_from_json(const json_t *obj, struct kube_status *st)
{
	const json_t *kind, *code;

	memset(st, 0, sizeof(*st));
	if (!json_is_object(obj))
		return -1;
	kind = json_object_get(obj, "kind");
	if (!json_is_string(kind) || strcmp(json_string_value(kind), "Status"))
		return -1;
	code = json_object_get(obj, "code");
	if (json_is_integer(code) && json_integer_value(code) > 0 &&
	    json_integer_value(code) < 1000)
		st->code = (int)json_integer_value(code);
	copy_bounded(st->reason, sizeof(st->reason),
	    json_string_value(json_object_get(obj, "reason")));
	copy_bounded(st->message, sizeof(st->message),
	    json_string_value(json_object_get(obj, "message")));
	return 0;
}

/* Quotes up to 120 bytes of a non-Status body, replacing non-printables. */
static void
quote_body(char *dst, size_t cap, const char *body, size_t len)
{
	size_t i, n = len < 120 ? len : 120, o = 0;

	for (i = 0; i < n && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)body[i];
		dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
	}
	dst[o] = '\0';
}

void
kube_status_from_body(int http_code, const char *body, size_t len,
    struct kube_status *st)
{
	json_error_t jerr;
	json_t *obj;
	char quoted[128];

	obj = body && len ? json_loadb(body, len, JSON_REJECT_DUPLICATES,
	    &jerr) : NULL;
	if (obj != NULL && kube_status_from_json(obj, st) == 0) {
		if (st->code == 0)
			st->code = http_code;
		json_decref(obj);
		return;
	}
	json_decref(obj);
	memset(st, 0, sizeof(*st));
	st->code = http_code;
	quote_body(quoted, sizeof(quoted), body ? body : "", body ? len : 0);
	snprintf(st->message, sizeof(st->message), "unexpected response body: "
	    "\"%s\"", quoted);
}

int
kube_status_err(struct err *e, const char *verb, const char *what,
    const struct kube_status *st)
{
	return err_set(e, "%s %s: %s (%d): %s", verb, what,
	    st->reason[0] ? st->reason : "Error", st->code, st->message);
}

int
kube_status_retryable(const struct kube_status *st)
{
	return st->code == 429 || (st->code >= 500 && st->code != 501);
}
