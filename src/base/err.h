/*
 * err: the error carrier every fallible function takes.
 *
 * Functions return 0 on success or -1 on failure, and on failure fill the
 * caller's struct err with one human message naming what failed and why (the
 * generator, artifact, copy operation, field or path). Messages are written for
 * the user who reads them in a condition, an event or a dry-run exit message.
 * The struct is plain storage: nothing to free, safe to use on any thread.
 */
#ifndef AG_ERR_H
#define AG_ERR_H

#include <stddef.h>

#define ERR_MSG_MAX 1024

struct err {
	char msg[ERR_MSG_MAX];
};

/* Sets the message (printf format) and returns -1, for `return err_set(...)`. */
int err_set(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Like err_set, appending ": strerror(errnum)". */
int err_sys(struct err *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to the current message and returns -1. */
int err_prefix(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
