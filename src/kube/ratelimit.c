/*
 * Token bucket and jittered exponential backoff (see ratelimit.h).
 */
#include "kube/ratelimit.h"

#include <math.h>

void
kube_ratelimit_init(struct kube_ratelimit *rl, double qps, int burst,
    uint64_t now_ms)
{
	rl->qps = qps;
	rl->burst = burst > 0 ? burst : 1;
	rl->tokens = rl->burst;
	rl->last_ms = now_ms;
}

uint64_t
kube_ratelimit_take(struct kube_ratelimit *rl, uint64_t now_ms)
{
	double elapsed;

	if (rl->qps <= 0)
		return 0;
	if (now_ms > rl->last_ms) {
		elapsed = (double)(now_ms - rl->last_ms) / 1000.0;
		rl->tokens += elapsed * rl->qps;
		if (rl->tokens > rl->burst)
			rl->tokens = rl->burst;
		rl->last_ms = now_ms;
	}
	rl->tokens -= 1.0;
	if (rl->tokens >= 0)
		return 0;
	return (uint64_t)ceil(-rl->tokens / rl->qps * 1000.0);
}

void
kube_backoff_init(struct kube_backoff *b, uint64_t base_ms, uint64_t cap_ms,
    uint64_t seed)
{
	b->base_ms = base_ms ? base_ms : 1;
	b->cap_ms = cap_ms < b->base_ms ? b->base_ms : cap_ms;
	b->attempt = 0;
	b->rng = seed ? seed : 0x2545f4914f6cdd1dULL;
}

static uint64_t
backoff_random(struct kube_backoff *b)
{
	b->rng ^= b->rng << 13;
	b->rng ^= b->rng >> 7;
	b->rng ^= b->rng << 17;
	return b->rng;
}

uint64_t
kube_backoff_next(struct kube_backoff *b)
{
	uint64_t d = b->base_ms;
	unsigned i;

	for (i = 0; i < b->attempt && d < b->cap_ms; i++)
		d *= 2;
	if (d > b->cap_ms)
		d = b->cap_ms;
	if (b->attempt < 64)
		b->attempt++;
	return d / 2 + backoff_random(b) % (d - d / 2 + 1);
}

void
kube_backoff_reset(struct kube_backoff *b)
{
	b->attempt = 0;
}
