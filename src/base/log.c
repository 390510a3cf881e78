/*
 * log: formatting and writing of structured log lines (see log.h).
 *
 * Every line is built in a heap buffer owned by the calling thread (jansson
 * objects and json_dumps output), then written with one write(2). The only
 * shared data is the logger's settings, written by log_init before threads
 * start and read-only afterwards.
 */
#include "base/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *const log_level_values[] = {
	[LOG_TRACE] = "trace",
	[LOG_DEBUG] = "debug",
	[LOG_INFO] = "info",
	[LOG_ERROR] = "error",
	NULL,
};

const char *const log_encoding_values[] = {
	[LOG_ENCODING_JSON] = "json",
	[LOG_ENCODING_CONSOLE] = "console",
	NULL,
};

/* Level names as zap's lower-case (JSON) and capital (console) encoders
 * print them. */
static const struct {
	const char *json;
	const char *console;
} log_level_names[] = {
	[LOG_TRACE] = { "Level(-2)", "LEVEL(-2)" },
	[LOG_DEBUG] = { "debug", "DEBUG" },
	[LOG_INFO] = { "info", "INFO" },
	[LOG_ERROR] = { "error", "ERROR" },
};

static int64_t log_clock_real(void);

/* The process-wide logger: see the threading rule in log.h. */
static struct {
	enum log_level level;
	enum log_encoding encoding;
	int fd;
	int64_t (*now_ns)(void);
} log_state = { LOG_INFO, LOG_ENCODING_JSON, STDERR_FILENO, log_clock_real };

static int64_t
log_clock_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Index of name in a NULL-ended list, or -1. */
static int
log_value_index(const char *const *values, const char *name)
{
	int i;

	for (i = 0; values[i] != NULL; i++)
		if (strcmp(values[i], name) == 0)
			return i;
	return -1;
}

int
log_level_parse(const char *name, enum log_level *out, struct err *e)
{
	int i = log_value_index(log_level_values, name);

	if (i < 0)
		return err_set(e, "unknown log level \"%s\" (valid levels are "
		    "trace, debug, info, error)", name);
	*out = (enum log_level)i;
	return 0;
}

int
log_encoding_parse(const char *name, enum log_encoding *out, struct err *e)
{
	int i = log_value_index(log_encoding_values, name);

	if (i < 0)
		return err_set(e, "unknown log encoding \"%s\" (valid "
		    "encodings are json, console)", name);
	*out = (enum log_encoding)i;
	return 0;
}

void
log_init(enum log_level level, enum log_encoding encoding, FILE *out)
{
	log_state.level = level;
	log_state.encoding = encoding;
	log_state.fd = fileno(out);
}

void
log_clock_set(int64_t (*now_ns)(void))
{
	log_state.now_ns = now_ns != NULL ? now_ns : log_clock_real;
}

bool
log_enabled(enum log_level level)
{
	return level >= log_state.level;
}

/*
 * Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 if it is not one.
 */
static size_t
log_utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
		return 0;
	return n;
}

/* Whether s is well-formed UTF-8 of at most LOG_VALUE_MAX bytes. */
static bool
log_string_clean(const char *s, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	while (*p != '\0') {
		n = log_utf8_len(p);
		if (n == 0 || (size_t)((const char *)p - s) + n > LOG_VALUE_MAX)
			return false;
		p += n;
	}
	*len = (size_t)((const char *)p - s);
	return true;
}

/*
 * A JSON string for s: valid UTF-8 kept, each invalid byte replaced by
 * U+FFFD, cut at LOG_VALUE_MAX bytes with "..." appended. NULL on OOM.
 */
static json_t *
log_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, w = 0, cap;
	char *buf;
	json_t *j;

	if (log_string_clean(s, &n))
		return json_stringn(s, n);
	n = strnlen(s, LOG_VALUE_MAX + 1);
	cap = (n * 3 < LOG_VALUE_MAX ? n * 3 : LOG_VALUE_MAX) + 4;
	buf = malloc(cap);
	if (buf == NULL)
		return NULL;
	while (*p != '\0') {
		const char *piece = (const char *)p;

		n = log_utf8_len(p);
		p += n != 0 ? n : 1;
		if (n == 0) {
			piece = "\xef\xbf\xbd";	/* U+FFFD */
			n = 3;
		}
		if (w + n > LOG_VALUE_MAX) {
			memcpy(buf + w, "...", 3);
			w += 3;
			break;
		}
		memcpy(buf + w, piece, n);
		w += n;
	}
	j = json_stringn(buf, w);
	free(buf);
	return j;
}

/* RFC 3339 UTC with milliseconds: 2026-11-22T03:52:29.123Z. */
static void
log_ts_format(int64_t ts_ns, char out[64])
{
	time_t secs = (time_t)(ts_ns / 1000000000);
	int ms = (int)(ts_ns % 1000000000 / 1000000);
	struct tm tm;

	if (ms < 0) {
		ms += 1000;
		secs--;
	}
	gmtime_r(&secs, &tm);
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ms);
}

/* Sets key to a sanitized copy of s in obj; -1 on OOM. */
static int
log_set_string(json_t *obj, const char *key, const char *s)
{
	return json_object_set_new(obj, key, log_string(s));
}

/*
 * Fields first, then "error": zapr appends the error after the call's
 * key/value pairs. Returns a new object, or NULL on OOM.
 */
static json_t *
log_context_build(const char *error, json_t *fields)
{
	json_t *ctx, *value;
	const char *key;

	ctx = json_object();
	if (ctx == NULL)
		return NULL;
	if (fields != NULL && json_is_object(fields)) {
		json_object_foreach(fields, key, value) {
			if (json_object_set(ctx, key, value) < 0)
				goto fail;
		}
	}
	if (error != NULL && log_set_string(ctx, "error", error) < 0)
		goto fail;
	return ctx;
fail:
	json_decref(ctx);
	return NULL;
}

static char *
log_line_json(const char *level, const char *ts, const char *logger,
    const char *msg, json_t *ctx)
{
	json_t *line, *value;
	const char *key;
	char *out = NULL, *text;

	line = json_object();
	if (line == NULL)
		return NULL;
	if (log_set_string(line, "level", level) < 0 ||
	    log_set_string(line, "ts", ts) < 0 ||
	    (logger != NULL && log_set_string(line, "logger", logger) < 0) ||
	    log_set_string(line, "msg", msg) < 0)
		goto done;
	json_object_foreach(ctx, key, value) {
		if (json_object_set(line, key, value) < 0)
			goto done;
	}
	text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text != NULL && asprintf(&out, "%s\n", text) < 0)
		out = NULL;
	free(text);
done:
	json_decref(line);
	return out;
}

/*
 * The console message as one line: sanitized like a JSON value, with control
 * characters escaped (\n, \t, \u001b), so a message can never split the
 * line. zap writes the message raw; we do not.
 */
static char *
log_console_text(const char *msg)
{
	json_t *j = log_string(msg);
	const char *p;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	if (j == NULL)
		return NULL;
	f = open_memstream(&out, &len);
	if (f == NULL)
		goto done;
	for (p = json_string_value(j); *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	if (fclose(f) != 0) {
		free(out);
		out = NULL;
	}
done:
	json_decref(j);
	return out;
}

static char *
log_line_console(const char *level, const char *ts, const char *logger,
    const char *msg, json_t *ctx)
{
	char *text, *fields = NULL, *out = NULL;
	int rc;

	text = log_console_text(msg);
	if (text == NULL)
		return NULL;
	if (json_object_size(ctx) > 0) {
		fields = json_dumps(ctx, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (fields == NULL)
			goto done;
	}
	rc = asprintf(&out, "%s\t%s%s%s\t%s%s%s\n", ts, level,
	    logger != NULL ? "\t" : "", logger != NULL ? logger : "", text,
	    fields != NULL ? "\t" : "", fields != NULL ? fields : "");
	if (rc < 0)
		out = NULL;
done:
	free(fields);
	free(text);
	return out;
}

char *
log_line_format(enum log_encoding encoding, enum log_level level,
    int64_t ts_ns, const char *logger, const char *error, const char *msg,
    json_t *fields)
{
	char ts[64], *out;
	json_t *ctx;

	log_ts_format(ts_ns, ts);
	ctx = log_context_build(error, fields);
	if (ctx == NULL)
		return NULL;
	if (encoding == LOG_ENCODING_CONSOLE)
		out = log_line_console(log_level_names[level].console, ts,
		    logger, msg, ctx);
	else
		out = log_line_json(log_level_names[level].json, ts, logger,
		    msg, ctx);
	json_decref(ctx);
	return out;
}

/* One write(2) for the whole line; loops only on EINTR or a short write. */
static void
log_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

void
log_fields(enum log_level level, const char *logger, const char *error,
    const char *msg, json_t *fields)
{
	char *line;

	if (!log_enabled(level))
		return;
	line = log_line_format(log_state.encoding, level, log_state.now_ns(),
	    logger, error, msg, fields);
	if (line == NULL)
		return;
	log_write_all(log_state.fd, line, strlen(line));
	free(line);
}

/* Reads NULL-terminated key/value pairs into a new object; NULL on OOM. */
static json_t *
log_pairs_build(va_list ap)
{
	const char *key, *value;
	json_t *obj;

	obj = json_object();
	if (obj == NULL)
		return NULL;
	while ((key = va_arg(ap, const char *)) != NULL) {
		value = va_arg(ap, const char *);
		if (json_object_set_new(obj, key,
		    value != NULL ? log_string(value) : json_null()) < 0) {
			json_decref(obj);
			return NULL;
		}
		if (value == NULL)
			break;
	}
	return obj;
}

void
log_msg(enum log_level level, const char *logger, const char *error,
    const char *msg, ...)
{
	json_t *fields;
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, msg);
	fields = log_pairs_build(ap);
	va_end(ap);
	if (fields == NULL)
		return;
	log_fields(level, logger, error, msg, fields);
	json_decref(fields);
}
