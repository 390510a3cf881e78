/*
 * timefmt: see timefmt.h.
 */
#include "base/timefmt.h"

#include <time.h>

void
time_rfc3339(char out[TIME_RFC3339_MAX], int64_t sec)
{
	time_t t = (time_t)sec;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, TIME_RFC3339_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		out[0] = '\0';
}
