/*
 * kube_leader: Lease-based leader election on one uv loop, the way
 * client-go's leaderelection package runs it with a LeaseLock
 * (coordination.k8s.io/v1 Lease: spec.holderIdentity, leaseDurationSeconds,
 * acquireTime, renewTime, leaseTransitions; optimistic locking through
 * metadata.resourceVersion).
 *
 *   candidate: GET the Lease every retry period (jittered like client-go,
 *     + up to 1.2 x); absent -> create it holding it; held by someone else
 *     whose record changed less than the lease duration ago (measured on our
 *     clock from when we first saw that record) -> wait; released (empty
 *     holder) or expired -> update it to us (acquireTime now,
 *     leaseTransitions + 1). A 409 means another candidate won the race.
 *   leader: renew every retry period with a PUT of the Lease last written
 *     (one request; after a failure the next try GETs first). No renewal
 *     succeeding within the renew deadline, counted from when the last
 *     successful renewal was sent, or a GET showing another holder: the
 *     lease is lost, on_lost runs once and nothing more is sent.
 *   stop: with release_on_cancel a leader writes the Lease released (empty
 *     holder, leaseDurationSeconds 1, as client-go does) so the next
 *     candidate takes over at its next try instead of after the lease
 *     duration.
 *
 * Every request goes on the client's priority lane (KUBE_LANE_PRIORITY):
 * renewals never wait behind ordinary requests or the rate limiter.
 *
 * Created by the controller (one per process); the unit tests drive it
 * against a scripted server. The elector borrows the client (which must
 * outlive it) and copies every option string. Callbacks run from the loop,
 * never inside a kube_leader_* call. Loop-thread only; no global state.
 */
#ifndef AG_KUBE_LEADER_H
#define AG_KUBE_LEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "base/err.h"
#include "kube/client.h"

/* hostname + "_" + a UUID: 255 + 1 + 36 + NUL fits. */
#define KUBE_LEADER_ID_MAX 320
/* A Lease name (DNS-1123 subdomain). */
#define KUBE_LEADER_NAME_MAX 254

typedef void (*kube_leader_fn)(void *data);

struct kube_leader_opts {
	const char *namespace;		/* the Lease's */
	const char *name;
	const char *identity;		/* kube_leader_identity_make() */
	/* client-go requires lease > renew > 1.2 x retry; all > 0. */
	uint64_t lease_duration_ms;
	uint64_t renew_deadline_ms;
	uint64_t retry_period_ms;
	bool release_on_cancel;
	kube_leader_fn on_started;	/* this instance leads now */
	/* It stopped leading without being asked to: every write must stop
	 * at once. Runs at most once; no request follows. */
	kube_leader_fn on_lost;
	/* Optional: the holder we observed changed (NULL or "" released). */
	void (*on_new_leader)(void *data, const char *identity);
	void *data;
};

struct kube_leader;

/* Checks and copies o; starts nothing. -1 with e naming the flag-like
 * field (lease duration, renew deadline, retry period, name, ...). */
int kube_leader_new(struct kube_leader **out, uv_loop_t *loop,
    struct kube_client *kube, const struct kube_leader_opts *o,
    struct err *e);
/* Becomes a candidate: the first try goes out from the loop at once. */
void kube_leader_start(struct kube_leader *l);
/* True from on_started until the lease is lost or released. */
bool kube_leader_leading(const struct kube_leader *l);
const char *kube_leader_identity(const struct kube_leader *l);

/*
 * Stops electing: cancels the try in flight and the timers; a leader with
 * release_on_cancel releases the Lease first (bounded by the renew
 * deadline). done runs once from the loop when nothing is in flight any
 * more (whether the release succeeded is logged). on_started and on_lost
 * are not called after this.
 */
void kube_leader_stop(struct kube_leader *l, kube_leader_fn done,
    void *data);
/* Cancels everything without releasing; memory goes once the loop has
 * delivered the completions. No callback runs after it returns. */
void kube_leader_free(struct kube_leader *l);

/* controller-runtime's identity: gethostname() + "_" + a random (v4)
 * UUID. -1 with e when the host name or randomness is unavailable. */
int kube_leader_identity_make(char out[KUBE_LEADER_ID_MAX], struct err *e);

/*
 * The Lease name as Flux's controllers derive it (fluxcd/pkg/runtime
 * leaderelection.GenerateID): base unchanged when selector is NULL or "",
 * else base + "-" + the first 8 hex digits of sha256(selector).
 */
int kube_leader_lease_name(char out[KUBE_LEADER_NAME_MAX], const char *base,
    const char *selector, struct err *e);

#endif
