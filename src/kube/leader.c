/*
 * kube_leader: the Lease elector of leader.h. One request in flight at a
 * time (l->req, what it is in l->op), two timers: `tick` schedules the next
 * try (and delivers stop's done), `deadline` ends leadership when no
 * renewal succeeded in time. The Lease last read or written is kept (a few
 * hundred bytes) so a renewal is one PUT. Memory: kube_leader_free cancels
 * and closes, and the struct goes when the last of the request and the two
 * timer handles has completed (l->pending).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base/digest.h"
#include "base/log.h"
#include "kube/leader.h"

#define LOGGER "leader-election"
#define LEASE_GROUP "coordination.k8s.io"
#define LEASE_VERSION "v1"
#define SPEC_SEEN_MAX 2048	/* the compact spec we compare records by */

enum le_state { LE_IDLE, LE_CANDIDATE, LE_LEADING, LE_RELEASING, LE_DONE };
enum le_op { OP_NONE, OP_GET, OP_CREATE, OP_UPDATE, OP_REL_GET, OP_RELEASE };

struct kube_leader {
	uv_loop_t *loop;
	struct kube_client *kube;
	char *ns, *name, *identity;
	uint64_t lease_ms, renew_ms, retry_ms;
	bool release_on_cancel;
	kube_leader_fn on_started, on_lost;
	void (*on_new_leader)(void *, const char *);
	void *data;

	enum le_state state;
	enum le_op op;
	struct kube_request *req;
	uint64_t sent_at;		/* uv_now when req was sent */
	json_t *lease;			/* last Lease known current, or NULL */
	char seen[SPEC_SEEN_MAX];	/* spec of the last record observed */
	char holder[KUBE_LEADER_ID_MAX];
	uint64_t seen_at;		/* uv_now when that record appeared */
	uint64_t rng;
	uv_timer_t tick, deadline;
	kube_leader_fn stop_done;
	void *stop_data;
	bool rel_retried;		/* one re-read after a 409 */
	bool rel_expired;		/* releasing took the renew deadline */
	int pending;			/* req + handles left when freeing */
	bool freeing;
};

static void le_try(struct kube_leader *l);

/* ---- small helpers ---- */

/* metav1.MicroTime: RFC 3339 in UTC with microseconds. */
static void
micro_now(char out[40])
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 40 - n, ".%06uZ",
	    (unsigned)((unsigned long)ts.tv_nsec / 1000 % 1000000));
}

/* xorshift64*: the candidates' jitter, so replicas do not try in step. */
static uint64_t
le_rand(struct kube_leader *l)
{
	l->rng ^= l->rng >> 12;
	l->rng ^= l->rng << 25;
	l->rng ^= l->rng >> 27;
	return l->rng * 2685821657736338717ULL;
}

static struct kube_resource
lease_res(const struct kube_leader *l)
{
	return (struct kube_resource){ .group = LEASE_GROUP,
	    .version = LEASE_VERSION, .resource = "leases",
	    .namespaced = true, .namespace = l->ns, .name = l->name };
}

static void
le_log(const struct kube_leader *l, enum log_level lv, const char *error,
    const char *msg)
{
	char lease[KUBE_LEADER_NAME_MAX + 256];

	snprintf(lease, sizeof(lease), "%s/%s", l->ns, l->name);
	log_msg(lv, LOGGER, error, msg, "lease", lease, "identity",
	    l->identity, NULL);
}

/* ---- the record ---- */

static const char *
spec_holder(const json_t *lease)
{
	const char *h = json_string_value(json_object_get(json_object_get(
	    lease, "spec"), "holderIdentity"));

	return h != NULL ? h : "";
}

/* Notes the record lease carries; a new one restarts the expiry clock
 * (client-go's observedTime, on our clock: no trust in others' clocks). */
static void
le_observe(struct kube_leader *l, const json_t *lease)
{
	char *s = json_dumps(json_object_get(lease, "spec"),
	    JSON_COMPACT | JSON_SORT_KEYS);
	const char *h = spec_holder(lease);

	if (s == NULL || strcmp(s, l->seen) != 0) {
		snprintf(l->seen, sizeof(l->seen), "%s", s ? s : "");
		l->seen_at = uv_now(l->loop);
	}
	free(s);
	if (strcmp(h, l->holder) != 0) {
		snprintf(l->holder, sizeof(l->holder), "%s", h);
		if (l->on_new_leader != NULL && l->state != LE_DONE)
			l->on_new_leader(l->data, h);
	}
}

/*
 * The body that makes us the holder (renew keeps acquireTime and
 * leaseTransitions; taking it over sets acquireTime and counts one
 * transition), or releases it. prev NULL: a new Lease. Caller owns.
 */
static json_t *
lease_body(const struct kube_leader *l, const json_t *prev, bool release)
{
	json_t *b = prev ? json_deep_copy(prev) : json_object(), *spec;
	bool ours = prev && strcmp(spec_holder(prev), l->identity) == 0;
	json_int_t trans = 0, secs = (json_int_t)(l->lease_ms / 1000);
	char now[40];

	if (b == NULL)
		return NULL;
	micro_now(now);
	spec = json_object_get(prev, "spec");
	trans = json_integer_value(json_object_get(spec, "leaseTransitions"));
	if (prev != NULL && !ours && !release)
		trans++;
	json_object_set_new(b, "apiVersion", json_string(LEASE_GROUP "/"
	    LEASE_VERSION));
	json_object_set_new(b, "kind", json_string("Lease"));
	if (prev == NULL)
		json_object_set_new(b, "metadata", json_pack("{s:s, s:s}",
		    "name", l->name, "namespace", l->ns));
	spec = json_pack("{s:s, s:I, s:s, s:s, s:I}", "holderIdentity",
	    release ? "" : l->identity, "leaseDurationSeconds",
	    release ? (json_int_t)1 : (secs > 0 ? secs : 1), "acquireTime",
	    now, "renewTime", now, "leaseTransitions", trans);
	if (ours && !release)
		json_object_set(spec, "acquireTime", json_object_get(
		    json_object_get(prev, "spec"), "acquireTime"));
	if (spec == NULL || json_object_set_new(b, "spec", spec) < 0) {
		json_decref(b);
		return NULL;
	}
	return b;
}

/* ---- scheduling ---- */

static void
tick_fired(uv_timer_t *t)
{
	struct kube_leader *l = t->data;

	if (l->state == LE_DONE) {
		kube_leader_fn done = l->stop_done;

		l->stop_done = NULL;
		if (done != NULL)
			done(l->stop_data);
		return;
	}
	le_try(l);
}

/* The next try: a leader renews every retry period; a candidate waits a
 * jittered retry period (client-go's wait.JitterUntil factor 1.2). */
static void
le_schedule(struct kube_leader *l)
{
	uint64_t ms = l->retry_ms;

	if (l->state == LE_CANDIDATE)
		ms += (le_rand(l) >> 11) % (l->retry_ms * 12 / 10 + 1);
	uv_timer_start(&l->tick, tick_fired, ms, 0);
}

static void
le_cancel_all(struct kube_leader *l)
{
	uv_timer_stop(&l->tick);
	uv_timer_stop(&l->deadline);
	if (l->req != NULL)
		kube_request_cancel(l->req);
}

/* Lost without being asked: say so once, send nothing more. */
static void
le_lost(struct kube_leader *l, const char *why)
{
	le_log(l, LOG_ERROR, why, "leader election lost");
	l->state = LE_DONE;
	le_cancel_all(l);
	if (l->on_lost != NULL)
		l->on_lost(l->data);
}

static void
deadline_fired(uv_timer_t *t)
{
	struct kube_leader *l = t->data;

	if (l->state == LE_LEADING)
		le_lost(l, "failed to renew the lease within the renew "
		    "deadline");
	else if (l->state == LE_RELEASING) {
		l->rel_expired = true;
		if (l->req != NULL)
			kube_request_cancel(l->req);
	}
}

/* ---- requests ---- */

static void le_done(void *data, int status, json_t *obj,
    const struct kube_status *st, const struct err *e);

static void
le_send(struct kube_leader *l, enum le_op op, const json_t *body)
{
	struct kube_resource r = lease_res(l);
	struct kube_write_opts wo = { .lane = KUBE_LANE_PRIORITY };
	struct err e;
	int rc;

	l->op = op;
	l->sent_at = uv_now(l->loop);
	if (op == OP_GET || op == OP_REL_GET)
		rc = kube_get_lane(l->kube, &r, KUBE_LANE_PRIORITY, le_done, l,
		    &l->req, &e);
	else if (body == NULL)
		rc = err_set(&e, "out of memory building the Lease");
	else if (op == OP_CREATE) {
		r.name = NULL;
		rc = kube_create(l->kube, &r, body, &wo, le_done, l, &l->req,
		    &e);
	} else
		rc = kube_update(l->kube, &r, body, &wo, le_done, l, &l->req,
		    &e);
	if (rc == 0)
		return;
	l->op = OP_NONE;
	l->req = NULL;
	le_log(l, LOG_ERROR, e.msg, "cannot send the Lease request");
	if (l->state == LE_RELEASING) {
		l->state = LE_DONE;
		uv_timer_start(&l->tick, tick_fired, 0, 0);
	} else
		le_schedule(l);
}

static void
le_try(struct kube_leader *l)
{
	json_t *b;

	if (l->req != NULL || l->state == LE_DONE || l->state == LE_IDLE)
		return;
	if (l->state == LE_LEADING && l->lease != NULL) {
		b = lease_body(l, l->lease, false);
		le_send(l, OP_UPDATE, b);
		json_decref(b);
		return;
	}
	le_send(l, OP_GET, NULL);
}

/* A GET answered while electing: take it, wait, or (leader) notice the
 * loss. */
static void
le_got(struct kube_leader *l, json_t *lease)
{
	const char *h;
	json_t *b;

	le_observe(l, lease);
	h = spec_holder(lease);
	json_decref(l->lease);
	l->lease = json_incref(lease);
	if (h[0] != '\0' && strcmp(h, l->identity) != 0) {
		if (l->state == LE_LEADING) {
			le_lost(l, "the lease is held by another instance");
			return;
		}
		if (uv_now(l->loop) < l->seen_at + l->lease_ms) {
			le_schedule(l);
			return;
		}
	}
	b = lease_body(l, lease, false);
	le_send(l, OP_UPDATE, b);
	json_decref(b);
}

/* Our create or update went through: we hold the lease until sent_at +
 * renew deadline unless renewed again. */
static void
le_written(struct kube_leader *l, json_t *lease)
{
	uint64_t now = uv_now(l->loop), until = l->sent_at + l->renew_ms;

	json_decref(l->lease);
	l->lease = json_incref(lease);
	le_observe(l, lease);
	uv_timer_start(&l->deadline, deadline_fired, until > now ?
	    until - now : 0, 0);
	if (l->state == LE_CANDIDATE) {
		l->state = LE_LEADING;
		le_log(l, LOG_INFO, NULL, "successfully acquired lease");
		le_schedule(l);
		if (l->on_started != NULL)
			l->on_started(l->data);
		return;
	}
	le_schedule(l);
}

static void
le_failed(struct kube_leader *l, enum le_op op, int status,
    const struct kube_status *st, const struct err *e)
{
	json_decref(l->lease);		/* the next try reads it first */
	l->lease = NULL;
	if (op == OP_GET && st != NULL && st->code == 404) {
		json_t *b = lease_body(l, NULL, false);

		le_send(l, OP_CREATE, b);
		json_decref(b);
		return;
	}
	if (status == KUBE_EAPI && st != NULL && st->code == 409)
		le_log(l, LOG_DEBUG, e->msg, "lease changed by another "
		    "instance meanwhile");
	else
		le_log(l, l->state == LE_LEADING ? LOG_ERROR : LOG_INFO,
		    e->msg, l->state == LE_LEADING ? "failed to renew lease" :
		    "failed to acquire lease");
	le_schedule(l);
}

/* Releasing: a PUT of the Lease last known, released; GET first when it
 * is not known (or a 409 says it changed), and release it only if it is
 * still ours. Either way done. */
static void
le_release_start(struct kube_leader *l)
{
	json_t *b;

	if (l->lease == NULL) {
		le_send(l, OP_REL_GET, NULL);
		return;
	}
	b = lease_body(l, l->lease, true);
	le_send(l, OP_RELEASE, b);
	json_decref(b);
}

static void
le_release_step(struct kube_leader *l, enum le_op op, int status, json_t *obj,
    const struct kube_status *st, const struct err *e)
{
	if (!l->rel_expired && op != OP_REL_GET && op != OP_RELEASE) {
		le_release_start(l);	/* the renewal we cancelled */
		return;
	}
	if (!l->rel_expired && op == OP_RELEASE && status == KUBE_EAPI &&
	    st != NULL && st->code == 409 && !l->rel_retried) {
		l->rel_retried = true;
		le_send(l, OP_REL_GET, NULL);
		return;
	}
	if (op == OP_REL_GET && status == KUBE_OK &&
	    strcmp(spec_holder(obj), l->identity) == 0) {
		json_decref(l->lease);
		l->lease = json_incref(obj);
		le_release_start(l);
		return;
	}
	if (op == OP_RELEASE && status == KUBE_OK)
		le_log(l, LOG_INFO, NULL, "lease released");
	else if (op == OP_REL_GET && status == KUBE_OK)
		le_log(l, LOG_INFO, NULL, "lease no longer ours; nothing to "
		    "release");
	else
		le_log(l, LOG_ERROR, e->msg, "cannot release the lease");
	l->state = LE_DONE;
	uv_timer_stop(&l->deadline);
	uv_timer_start(&l->tick, tick_fired, 0, 0);
}

static void
le_unref(struct kube_leader *l)
{
	if (--l->pending > 0)
		return;
	json_decref(l->lease);
	free(l->ns);
	free(l->name);
	free(l->identity);
	free(l);
}

static void
le_done(void *data, int status, json_t *obj, const struct kube_status *st,
    const struct err *e)
{
	struct kube_leader *l = data;
	enum le_op op = l->op;

	l->req = NULL;
	l->op = OP_NONE;
	if (l->freeing) {
		le_unref(l);
		return;
	}
	if (status == KUBE_ECANCELED && l->state == LE_DONE)
		return;
	if (l->state == LE_RELEASING) {
		le_release_step(l, op, status, obj, st, e);
		return;
	}
	if (l->state == LE_DONE || l->state == LE_IDLE)
		return;
	if (status != KUBE_OK) {
		le_failed(l, op, status, st, e);
		return;
	}
	if (op == OP_GET)
		le_got(l, obj);
	else
		le_written(l, obj);
}

/* ---- public ---- */

static int
opts_check(const struct kube_leader_opts *o, struct err *e)
{
	if (o->namespace == NULL || o->namespace[0] == '\0')
		return err_set(e, "leader election: no namespace for the "
		    "Lease (set RUNTIME_NAMESPACE)");
	if (o->name == NULL || o->name[0] == '\0' ||
	    strlen(o->name) >= KUBE_LEADER_NAME_MAX)
		return err_set(e, "leader election: invalid Lease name \"%s\"",
		    o->name ? o->name : "");
	if (o->identity == NULL || o->identity[0] == '\0' ||
	    strlen(o->identity) >= KUBE_LEADER_ID_MAX)
		return err_set(e, "leader election: invalid identity");
	if (o->retry_period_ms == 0)
		return err_set(e, "--leader-election-retry-period must be "
		    "greater than zero");
	if (o->renew_deadline_ms * 10 <= o->retry_period_ms * 12)
		return err_set(e, "--leader-election-renew-deadline must be "
		    "greater than 1.2 x --leader-election-retry-period");
	if (o->lease_duration_ms <= o->renew_deadline_ms)
		return err_set(e, "--leader-election-lease-duration must be "
		    "greater than --leader-election-renew-deadline");
	return 0;
}

int
kube_leader_new(struct kube_leader **out, uv_loop_t *loop,
    struct kube_client *kube, const struct kube_leader_opts *o,
    struct err *e)
{
	struct kube_leader *l;

	*out = NULL;
	if (opts_check(o, e) < 0)
		return -1;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return err_set(e, "leader election: out of memory");
	l->loop = loop;
	l->kube = kube;
	/* opts_check: all three are set */
	l->ns = strdup(o->namespace);
	l->name = strdup(o->name);
	l->identity = strdup(o->identity);
	if (l->ns == NULL || l->name == NULL || l->identity == NULL) {
		free(l->ns);
		free(l->name);
		free(l->identity);
		free(l);
		return err_set(e, "leader election: out of memory");
	}
	l->lease_ms = o->lease_duration_ms;
	l->renew_ms = o->renew_deadline_ms;
	l->retry_ms = o->retry_period_ms;
	l->release_on_cancel = o->release_on_cancel;
	l->on_started = o->on_started;
	l->on_lost = o->on_lost;
	l->on_new_leader = o->on_new_leader;
	l->data = o->data;
	if (getrandom(&l->rng, sizeof(l->rng), 0) != (ssize_t)sizeof(l->rng))
		l->rng = uv_hrtime();
	l->rng |= 1;
	uv_timer_init(loop, &l->tick);
	uv_timer_init(loop, &l->deadline);
	l->tick.data = l->deadline.data = l;
	*out = l;
	return 0;
}

void
kube_leader_start(struct kube_leader *l)
{
	if (l->state != LE_IDLE)
		return;
	l->state = LE_CANDIDATE;
	le_log(l, LOG_INFO, NULL, "attempting to acquire leader lease");
	uv_timer_start(&l->tick, tick_fired, 0, 0);
}

bool
kube_leader_leading(const struct kube_leader *l)
{
	return l != NULL && l->state == LE_LEADING;
}

const char *
kube_leader_identity(const struct kube_leader *l)
{
	return l->identity;
}

void
kube_leader_stop(struct kube_leader *l, kube_leader_fn done, void *data)
{
	bool release = l->state == LE_LEADING && l->release_on_cancel;

	l->stop_done = done;
	l->stop_data = data;
	le_cancel_all(l);
	if (!release) {
		l->state = LE_DONE;
		uv_timer_start(&l->tick, tick_fired, 0, 0);
		return;
	}
	l->state = LE_RELEASING;
	/* bounded: past the renew deadline the lease is not ours anyway */
	uv_timer_start(&l->deadline, deadline_fired, l->renew_ms, 0);
	if (l->req == NULL)	/* else its cancellation comes back first */
		le_release_start(l);
}

static void
le_closed(uv_handle_t *h)
{
	le_unref(h->data);
}

void
kube_leader_free(struct kube_leader *l)
{
	if (l == NULL)
		return;
	l->freeing = true;
	l->state = LE_DONE;
	l->pending = 2 + (l->req != NULL);
	if (l->req != NULL)
		kube_request_cancel(l->req);
	uv_close((uv_handle_t *)&l->tick, le_closed);
	uv_close((uv_handle_t *)&l->deadline, le_closed);
}

/* ---- names ---- */

int
kube_leader_identity_make(char out[KUBE_LEADER_ID_MAX], struct err *e)
{
	char host[256];
	uint8_t u[16];

	if (gethostname(host, sizeof(host)) < 0)
		return err_sys(e, errno, "leader election: host name");
	host[sizeof(host) - 1] = '\0';
	if (getrandom(u, sizeof(u), 0) != (ssize_t)sizeof(u))
		return err_sys(e, errno, "leader election: random identity");
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);		/* version 4 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);		/* RFC 4122 variant */
	snprintf(out, KUBE_LEADER_ID_MAX, "%s_%02x%02x%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", host, u[0], u[1],
	    u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
	    u[12], u[13], u[14], u[15]);
	return 0;
}

int
kube_leader_lease_name(char out[KUBE_LEADER_NAME_MAX], const char *base,
    const char *selector, struct err *e)
{
	struct digest_ctx d;
	uint8_t raw[DIGEST_RAW_MAX];
	size_t n = strlen(base);

	if (n + 10 >= KUBE_LEADER_NAME_MAX)
		return err_set(e, "leader election: Lease name \"%s\" too "
		    "long", base);
	if (selector == NULL || selector[0] == '\0') {
		memcpy(out, base, n + 1);
		return 0;
	}
	if (digest_init(&d, DIGEST_SHA256, e) < 0)
		return -1;
	digest_update(&d, selector, strlen(selector));
	digest_final(&d, raw);
	snprintf(out, KUBE_LEADER_NAME_MAX, "%s-%02x%02x%02x%02x", base,
	    raw[0], raw[1], raw[2], raw[3]);
	return 0;
}
