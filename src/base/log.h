/*
 * log: structured log lines in the shape Flux controllers write
 * (controller-runtime's zap logger), so log pipelines that parse Flux parse us.
 *
 * JSON encoding, one object per line, keys in this order:
 *   {"level":"info","ts":"2026-11-22T03:52:29.123Z","logger":"setup",
 *    "msg":"...", <key/value fields in call order>, "error":"..."}
 * ("logger" only when a logger name is given, "error" only for errors).
 * Console encoding, as zap's console encoder:
 *   2026-11-22T03:52:29.123Z<TAB>INFO<TAB>setup<TAB>msg<TAB>{"k":"v"}
 * Levels: trace < debug < info < error; lines below the configured level are
 * dropped. Trace is Flux's "--log-level=trace", which zap prints as
 * "Level(-2)" (JSON) / "LEVEL(-2)" (console); we print the same.
 *
 * One process-wide logger: main calls log_init once, before any other thread
 * exists; afterwards the logger's settings are read-only, and every call
 * builds its line in its own heap buffer and writes it with one write(2), so
 * logging from loop and thread-pool threads is safe without locks. Lines up
 * to PIPE_BUF bytes cannot interleave on a pipe. Before log_init, lines go
 * to stderr as JSON at info level.
 *
 * String values must be NUL-terminated; invalid UTF-8 is replaced by U+FFFD
 * and each value is cut at LOG_VALUE_MAX bytes (marked with "...").
 * The keys level, ts, logger, msg and error are the header's: callers use
 * other names for their fields.
 */
#ifndef AG_LOG_H
#define AG_LOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"

#define LOG_VALUE_MAX 8192

enum log_level {
	LOG_TRACE,
	LOG_DEBUG,
	LOG_INFO,
	LOG_ERROR,
};

enum log_encoding {
	LOG_ENCODING_JSON,
	LOG_ENCODING_CONSOLE,
};

/* The --log-level and --log-encoding values, in enum order, NULL-ended. */
extern const char *const log_level_values[];
extern const char *const log_encoding_values[];

/* "trace", "debug", "info", "error" -> level; -1 and e set otherwise. */
int log_level_parse(const char *name, enum log_level *out, struct err *e);
/* "json", "console" -> encoding; -1 and e set otherwise. */
int log_encoding_parse(const char *name, enum log_encoding *out,
    struct err *e);

/* Configures the process-wide logger; out stays owned by the caller and must
 * outlive all logging (its file descriptor is written directly). */
void log_init(enum log_level level, enum log_encoding encoding, FILE *out);

/* Replaces the clock (nanoseconds since the epoch) for tests; NULL restores
 * the real clock. Same threading rule as log_init. */
void log_clock_set(int64_t (*now_ns)(void));

/* Whether a line at this level would be written. */
bool log_enabled(enum log_level level);

/*
 * Logs msg with string key/value pairs, ended by NULL: log_info("storage
 * ready", "path", path, NULL). A NULL value also ends the list (its key is
 * logged with null). log_error_kv adds "error": error after the fields.
 */
#define log_trace(...)	log_msg(LOG_TRACE, NULL, NULL, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, NULL, NULL, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, NULL, NULL, __VA_ARGS__)
#define log_error_kv(error, ...) \
	log_msg(LOG_ERROR, NULL, (error), __VA_ARGS__)

/* General form: any level, an optional logger name (zap's "logger", e.g.
 * "setup") and an optional error; pairs as above. The shorthands above
 * expand to it. */
void log_msg(enum log_level level, const char *logger, const char *error,
    const char *msg, ...) __attribute__((sentinel));

/* Same with structured fields: a JSON object (borrowed, not modified) whose
 * members are written in its order; NULL for none. */
void log_fields(enum log_level level, const char *logger, const char *error,
    const char *msg, json_t *fields);

/*
 * Formats one line (with its trailing '\n') without writing it: ts_ns is the
 * timestamp in nanoseconds since the epoch. Returns a malloc'd string the
 * caller frees, or NULL when out of memory.
 */
char *log_line_format(enum log_encoding encoding, enum log_level level,
    int64_t ts_ns, const char *logger, const char *error, const char *msg,
    json_t *fields);

#endif
