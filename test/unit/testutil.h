/*
 * testutil: helpers shared by the unit suites: temp directories removed at the
 * end of a test, file writing/reading, running a reference command and
 * capturing its output. All helpers abort the test (cmocka fail) on error.
 */
#ifndef AG_TESTUTIL_H
#define AG_TESTUTIL_H

#include <stddef.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* Creates a fresh directory under $TMPDIR; returns a malloc'd path. */
char *tu_mkdtemp(void);
/* Removes a tree (like rm -rf) and frees the path. */
void tu_rmtree(char *path);
/* Joins a directory and a relative path into a malloc'd string. */
char *tu_path(const char *dir, const char *rel);
/* Writes len bytes to dir/rel, creating parent directories; returns 0. */
void tu_write(const char *dir, const char *rel, const void *data, size_t len);
void tu_write_str(const char *dir, const char *rel, const char *text);
/* Creates dir/rel as a symlink to target (target not checked). */
void tu_symlink(const char *dir, const char *rel, const char *target);
/* Reads a whole (small) file into a malloc'd NUL-terminated buffer. */
char *tu_read(const char *path, size_t *len);
/* Runs `sh -c cmd` (printf format), returns its stdout (malloc'd, trimmed of
 * the trailing newline) and sets *status to the exit status. */
char *tu_run(int *status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Deterministic pseudo-random bytes (xorshift) for reproducible data. */
void tu_random_bytes(uint64_t seed, void *buf, size_t len);

#endif
