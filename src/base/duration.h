/*
 * duration: Go-syntax durations ("300ms", "1.5s", "1h30m") as int64
 * nanoseconds, parsed and formatted exactly like Go's time.ParseDuration and
 * time.Duration.String, so that flags and --help read as they do in Flux.
 *
 * Used by config (flag values and defaults) and by anything that prints an
 * interval. Pure functions: no allocation, no state, thread-safe.
 */
#ifndef AG_DURATION_H
#define AG_DURATION_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define DURATION_NS  INT64_C(1)
#define DURATION_US  INT64_C(1000)
#define DURATION_MS  INT64_C(1000000)
#define DURATION_SEC INT64_C(1000000000)
#define DURATION_MIN (60 * DURATION_SEC)
#define DURATION_HOUR (60 * DURATION_MIN)

/* Longest formatted duration ("-2562047h47m16.854775808s") plus NUL. */
#define DURATION_FMT_MAX 32

/*
 * Parses s ([-+]?([0-9]*(\.[0-9]*)?unit)+ or "0"; units ns, us, µs, μs, ms,
 * s, m, h) into *out. On failure returns -1 and sets e to a message naming
 * the problem without the input (callers add the flag and value), e.g.
 * "unknown unit \"d\" (valid units are ns, us, µs, ms, s, m, h)".
 */
int duration_parse(const char *s, int64_t *out, struct err *e);

/* Formats ns like Go (1m0s, 1.5s, 300ms, 2µs, 0s) into buf, which must hold
 * DURATION_FMT_MAX bytes; returns buf. */
char *duration_format(int64_t ns, char buf[DURATION_FMT_MAX]);

#endif
