/*
 * err: the error carrier every fallible function takes.
 *
 * Functions return 0 on success or -1 on failure, and on failure fill the
 * caller's struct err with one human message naming what failed and why (the
 * generator, artifact, copy operation, field or path). Messages are written for
 * the user who reads them in a condition, an event or a dry-run exit message.
 * The struct is plain storage: nothing to free, safe to use on any thread.
 *
 * Each error also has a class, so that the reconcile maps a failure to a
 * condition and a retry without matching message text:
 *   err_set, err_sys   -> ERR_TRANSIENT (retried with backoff, as
 *                         controller-runtime retries any returned error),
 *                         except err_sys(ECANCELED) -> ERR_CANCELLED;
 *   err_setc           -> the class given;
 *   err_classify       -> changes the class of the current message;
 *   err_prefix         -> keeps the class.
 * Terminal is opt-in (validation, a spec that cannot work until edited):
 * a failure nobody classified is retried rather than given up on.
 */
#ifndef AG_ERR_H
#define AG_ERR_H

#include <stddef.h>

#define ERR_MSG_MAX 1024

/* What the caller should do about a failure. */
enum err_class {
	ERR_TRANSIENT = 0,	/* may succeed later: retry with backoff */
	ERR_TERMINAL,		/* will not succeed until the input changes:
				 * report (Stalled), do not retry */
	ERR_CANCELLED,		/* stopped on purpose (shutdown, timeout,
				 * superseded): neither report nor back off */
	ERR_CONFLICT,		/* lost a race with another writer (HTTP
				 * 409, stale resourceVersion): retry soon */
};

struct err {
	char msg[ERR_MSG_MAX];
	enum err_class cls;
};

/* Sets the message (printf format) and returns -1, for
 * `return err_set(...)`. */
int err_set(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Like err_set, appending ": strerror(errnum)". */
int err_sys(struct err *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like err_set, with the class given. */
int err_setc(struct err *e, enum err_class cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets the class of the current message and returns -1, for
 * `return err_classify(e, ERR_TERMINAL)` after a callee filled e. */
int err_classify(struct err *e, enum err_class cls);

/* "transient", "terminal", "cancelled" or "conflict", for logs. */
const char *err_class_name(enum err_class cls);

/* Prepends "prefix: " to the current message (class kept) and returns -1. */
int err_prefix(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
