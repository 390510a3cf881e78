/*
 * err: formatting of error messages into the caller's struct err (see err.h).
 * Messages that do not fit are truncated with "...", never overflowed.
 * Every setter also sets the class (err_set/err_sys: transient, err_sys with
 * ECANCELED: cancelled); err_prefix leaves it alone.
 */
#include "base/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void
err_mark_truncated(struct err *e, int written)
{
	if (written >= (int)sizeof(e->msg))
		memcpy(e->msg + sizeof(e->msg) - 4, "...", 4);
}

static int
err_vset(struct err *e, enum err_class cls, const char *fmt, va_list ap)
{
	int n;

	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	err_mark_truncated(e, n);
	e->cls = cls;
	return -1;
}

int
err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	err_vset(e, ERR_TRANSIENT, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_setc(struct err *e, enum err_class cls, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	err_vset(e, cls, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_classify(struct err *e, enum err_class cls)
{
	if (e != NULL)
		e->cls = cls;
	return -1;
}

const char *
err_class_name(enum err_class cls)
{
	switch (cls) {
	case ERR_TRANSIENT:
		return "transient";
	case ERR_TERMINAL:
		return "terminal";
	case ERR_CANCELLED:
		return "cancelled";
	case ERR_CONFLICT:
		return "conflict";
	}
	return "unknown";
}

int
err_sys(struct err *e, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t len;
	int n;

	if (e == NULL)
		return -1;
	e->cls = errnum == ECANCELED ? ERR_CANCELLED : ERR_TRANSIENT;
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(e->msg)) {
		err_mark_truncated(e, n);
		return -1;
	}
	len = (size_t)n;
	n = snprintf(e->msg + len, sizeof(e->msg) - len, ": %s",
	    strerror(errnum));
	err_mark_truncated(e, (int)len + n);
	return -1;
}

int
err_prefix(struct err *e, const char *fmt, ...)
{
	char prefix[ERR_MSG_MAX], old[ERR_MSG_MAX];
	va_list ap;
	int n;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	n = snprintf(e->msg, sizeof(e->msg), "%s: %s", prefix, old);
	err_mark_truncated(e, n);
	return -1;
}
