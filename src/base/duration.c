/*
 * duration: Go's duration grammar and string form in C (see duration.h).
 *
 * Parsing follows time.ParseDuration step by step, including its corner
 * cases: "0" needs no unit, ".5s" and "5.s" are valid, fraction digits beyond
 * 63 bits of precision are dropped rather than rounded, each fraction is
 * converted through a double (Go does the same, which is exact to the
 * nanosecond for hours), and the range is [-2^63, 2^63-1] nanoseconds.
 */
#include "base/duration.h"

#include <stdbool.h>
#include <string.h>

#define DURATION_UNITS "ns, us, µs, ms, s, m, h"

/* 2^63: the magnitude limit while accumulating, as in Go. */
#define MAG_LIMIT (UINT64_C(1) << 63)

struct duration_unit {
	const char *name;
	uint64_t ns;
};

static const struct duration_unit duration_units[] = {
	{ "ns", 1 },
	{ "us", 1000 },
	{ "\xc2\xb5s", 1000 },	/* U+00B5 micro sign */
	{ "\xce\xbcs", 1000 },	/* U+03BC Greek mu */
	{ "ms", 1000000 },
	{ "s", 1000000000 },
	{ "m", UINT64_C(60) * 1000000000 },
	{ "h", UINT64_C(3600) * 1000000000 },
};

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Consumes [0-9]*; -1 if the value exceeds 2^63. */
static int
leading_int(const char **s, uint64_t *out)
{
	uint64_t x = 0;
	const char *p = *s;

	for (; is_digit(*p); p++) {
		if (x > MAG_LIMIT / 10)
			return -1;
		x = x * 10 + (uint64_t)(*p - '0');
		if (x > MAG_LIMIT)
			return -1;
	}
	*s = p;
	*out = x;
	return 0;
}

/* Consumes [0-9]* after a '.', keeping as many digits as fit in 63 bits. */
static void
leading_fraction(const char **s, uint64_t *out, double *scale)
{
	const char *p = *s;
	bool overflow = false;
	uint64_t x = 0, y;

	*scale = 1;
	for (; is_digit(*p); p++) {
		if (overflow)
			continue;
		if (x > (MAG_LIMIT - 1) / 10) {
			overflow = true;
			continue;
		}
		y = x * 10 + (uint64_t)(*p - '0');
		if (y > MAG_LIMIT) {
			overflow = true;
			continue;
		}
		x = y;
		*scale *= 10;
	}
	*s = p;
	*out = x;
}

static const struct duration_unit *
unit_lookup(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++)
		if (strlen(duration_units[i].name) == len &&
		    memcmp(duration_units[i].name, name, len) == 0)
			return &duration_units[i];
	return NULL;
}

/* Parses one "<number><unit>" element at *s into *v (nanoseconds). */
static int
duration_element(const char **s, uint64_t *v, struct err *e)
{
	const struct duration_unit *u;
	const char *p = *s, *start;
	uint64_t whole, frac = 0;
	double scale = 1;
	bool pre, post = false;

	if (!(*p == '.' || is_digit(*p)))
		return err_set(e, "expected a number and a unit, as in 1m30s");
	start = p;
	if (leading_int(&p, &whole) < 0)
		return err_set(e, "out of range");
	pre = p != start;
	if (*p == '.') {
		start = ++p;
		leading_fraction(&p, &frac, &scale);
		post = p != start;
	}
	if (!pre && !post)
		return err_set(e, "a number needs digits");
	for (start = p; *p != '\0' && *p != '.' && !is_digit(*p); p++)
		;
	if (p == start)
		return err_set(e, "missing unit (valid units are %s)",
		    DURATION_UNITS);
	u = unit_lookup(start, (size_t)(p - start));
	if (u == NULL)
		return err_set(e, "unknown unit \"%.*s\" (valid units are %s)",
		    (int)(p - start), start, DURATION_UNITS);
	if (whole > MAG_LIMIT / u->ns)
		return err_set(e, "out of range");
	whole *= u->ns;
	if (frac > 0) {
		whole += (uint64_t)((double)frac * ((double)u->ns / scale));
		if (whole > MAG_LIMIT)
			return err_set(e, "out of range");
	}
	*s = p;
	*v = whole;
	return 0;
}

int
duration_parse(const char *s, int64_t *out, struct err *e)
{
	uint64_t d = 0, v = 0;
	bool neg = false;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (*s == '\0')
		return err_set(e, "empty duration");
	while (*s != '\0') {
		if (duration_element(&s, &v, e) < 0)
			return -1;
		d += v;
		if (d > MAG_LIMIT)
			return err_set(e, "out of range");
	}
	if (neg) {
		/* -(2^63) is representable; negate in unsigned arithmetic. */
		*out = (int64_t)(~d + 1);
		return 0;
	}
	if (d > MAG_LIMIT - 1)
		return err_set(e, "out of range");
	*out = (int64_t)d;
	return 0;
}

/*
 * Writes the fraction v / 10^prec right-aligned before buf[*w], without
 * trailing zeros (and without the '.' when the fraction is zero); returns
 * v / 10^prec.
 */
static uint64_t
fmt_frac(char *buf, size_t *w, uint64_t v, int prec)
{
	bool print = false;
	int i;

	for (i = 0; i < prec; i++) {
		char digit = (char)(v % 10);

		print = print || digit != 0;
		if (print)
			buf[--*w] = (char)('0' + digit);
		v /= 10;
	}
	if (print)
		buf[--*w] = '.';
	return v;
}

static void
fmt_int(char *buf, size_t *w, uint64_t v)
{
	do {
		buf[--*w] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
}

/* Below one second: a single unit ns, µs or ms with a fraction. */
static void
fmt_small(char *buf, size_t *w, uint64_t u)
{
	int prec;

	buf[--*w] = 's';
	if (u < 1000) {
		prec = 0;
		buf[--*w] = 'n';
	} else if (u < 1000000) {
		prec = 3;
		buf[--*w] = '\xb5';
		buf[--*w] = '\xc2';
	} else {
		prec = 6;
		buf[--*w] = 'm';
	}
	u = fmt_frac(buf, w, u, prec);
	fmt_int(buf, w, u);
}

/* One second or more: [<h>h][<m>m]<s>[.<frac>]s, stopping at hours. */
static void
fmt_large(char *buf, size_t *w, uint64_t u)
{
	buf[--*w] = 's';
	u = fmt_frac(buf, w, u, 9);
	fmt_int(buf, w, u % 60);
	u /= 60;
	if (u == 0)
		return;
	buf[--*w] = 'm';
	fmt_int(buf, w, u % 60);
	u /= 60;
	if (u == 0)
		return;
	buf[--*w] = 'h';
	fmt_int(buf, w, u);
}

char *
duration_format(int64_t ns, char buf[DURATION_FMT_MAX])
{
	char tmp[DURATION_FMT_MAX];
	size_t w = sizeof(tmp) - 1;
	uint64_t u = (uint64_t)ns;
	bool neg = ns < 0;

	tmp[w] = '\0';
	if (neg)
		u = ~u + 1;
	if (u == 0) {
		strcpy(buf, "0s");
		return buf;
	}
	if (u < 1000000000)
		fmt_small(tmp, &w, u);
	else
		fmt_large(tmp, &w, u);
	if (neg)
		tmp[--w] = '-';
	memcpy(buf, tmp + w, sizeof(tmp) - w);
	return buf;
}
