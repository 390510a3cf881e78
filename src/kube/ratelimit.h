/*
 * Client-side rate limiting and retry backoff for API requests.
 *
 * kube_ratelimit: a token bucket like client-go's (qps tokens per second,
 * up to burst tokens saved): kube_ratelimit_take() reserves one token and says
 * how long the caller must wait before sending. Flux's flags --kube-api-qps
 * (50) and --kube-api-burst (300) configure it.
 *
 * kube_backoff: exponential backoff with full jitter between a base and a cap,
 * reset on success, so a down API server sees spaced retries, never a busy
 * loop.
 *
 * Both are plain structs the owner embeds; times are passed in (milliseconds
 * from uv_now) so the logic is deterministic to test. Loop-thread only.
 */
#ifndef AG_KUBE_RATELIMIT_H
#define AG_KUBE_RATELIMIT_H

#include <stdint.h>

struct kube_ratelimit {
	double qps;
	double burst;
	double tokens;		/* may go negative: reservations ahead */
	uint64_t last_ms;
};

void kube_ratelimit_init(struct kube_ratelimit *rl, double qps, int burst,
    uint64_t now_ms);
/* Reserves a token; returns the milliseconds to wait before using it (0 when
 * a token is available now). qps <= 0 disables limiting. */
uint64_t kube_ratelimit_take(struct kube_ratelimit *rl, uint64_t now_ms);

struct kube_backoff {
	uint64_t base_ms;
	uint64_t cap_ms;
	unsigned attempt;
	uint64_t rng;		/* xorshift state for jitter */
};

void kube_backoff_init(struct kube_backoff *b, uint64_t base_ms,
    uint64_t cap_ms, uint64_t seed);
/* The delay before the next retry: uniform in [d/2, d] where
 * d = min(cap, base * 2^attempt); then attempt++. */
uint64_t kube_backoff_next(struct kube_backoff *b);
void kube_backoff_reset(struct kube_backoff *b);

#endif
