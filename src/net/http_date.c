/*
 * http_date: IMF-fixdate formatting and parsing (RFC 9110 5.6.7) for
 * Date, Last-Modified and If-Modified-Since. Pure functions, no state.
 */
#include "net/http_server.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri",
    "Sat" };
static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

void
http_date_format(int64_t unix_s, char *out)
{
	time_t t = (time_t)unix_s;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(out, HTTP_DATE_LEN, "Thu, 01 Jan 1970 00:00:00 GMT");
		return;
	}
	snprintf(out, HTTP_DATE_LEN, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int
http_date_parse(const char *s, int64_t *unix_s)
{
	char wd[4], mon[4], gmt[4];
	struct tm tm = { 0 };
	int d, y, h, mi, se, n = 0, i;
	time_t t;

	if (strlen(s) != 29 || sscanf(s, "%3s, %2d %3s %4d %2d:%2d:%2d %3s%n",
	    wd, &d, mon, &y, &h, &mi, &se, gmt, &n) != 8 || n != 29 ||
	    strcmp(gmt, "GMT") != 0)
		return -1;
	for (i = 0; i < 12 && strcmp(months[i], mon) != 0; i++)
		;
	if (i == 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 ||
	    y < 1970)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = i;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*unix_s = (int64_t)t;
	return 0;
}
