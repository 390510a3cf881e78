/*
 * timefmt: timestamps as Kubernetes writes them (metav1.Time: RFC 3339 in
 * UTC, whole seconds, "2006-01-02T15:04:05Z"). Pure; any thread. Used by
 * the published ExternalArtifacts, core/v1 Events and forwarded events.
 */
#ifndef AG_BASE_TIMEFMT_H
#define AG_BASE_TIMEFMT_H

#include <stdint.h>

#define TIME_RFC3339_MAX 32

/* sec (seconds since the epoch) into out, NUL-terminated. */
void time_rfc3339(char out[TIME_RFC3339_MAX], int64_t sec);

#endif
