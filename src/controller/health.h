/*
 * health: the probes served on --health-addr, controller-runtime's paths:
 *   /healthz (and /healthz/ping): the loop turns. A repeating timer stamps
 *     each tick; liveness fails when the last tick is older than stale_ms,
 *     and for stale_ms after a tick that came more than stale_ms late (the
 *     loop was blocked: timers run before I/O, so the request that follows
 *     a stall would otherwise see a fresh tick);
 *   /readyz (and /readyz/ping): every readiness check passes: the
 *     controller's (informers synced) and, with leader election, the
 *     leader hook's (leading, or ready to serve as a standby).
 * Answers 200 "ok", or 500 with one line per failed check naming it and
 * its reason; 404 for other paths, 405 for methods but GET and HEAD.
 *
 * Who calls it: controller.c creates it, registers the checks and passes
 * health_handle to the health server; the leader election module's owner
 * registers its hook with health_add_check. Loop thread only.
 *
 * Ownership: health_new returns the object; health_free closes the timer
 * and frees the memory from its close callback (run the loop after).
 */
#ifndef AG_CONTROLLER_HEALTH_H
#define AG_CONTROLLER_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "base/err.h"
#include "net/http_server.h"

#define HEALTH_TICK_MS		1000
#define HEALTH_STALE_MS		10000
#define HEALTH_CHECKS_MAX	4
#define HEALTH_WHY_MAX		256

struct health;

/* A readiness check: true when ready; else false with why filled. */
typedef bool (*health_check_fn)(void *data, char *why, size_t len);

/* tick_ms, stale_ms 0: the defaults. NULL with e set on OOM. */
struct health *health_new(uv_loop_t *loop, uint64_t tick_ms,
    uint64_t stale_ms, struct err *e);
void health_free(struct health *h);

/* Adds a readiness check called name ("informers", "leader"). -1 when
 * HEALTH_CHECKS_MAX are registered. */
int health_add_check(struct health *h, const char *name, health_check_fn fn,
    void *data);

/* Liveness at now_ns (uv_hrtime clock); false with why filled. */
bool health_live(const struct health *h, uint64_t now_ns, char *why,
    size_t len);
/* Readiness: every check; false with the failed checks in why. */
bool health_ready(const struct health *h, char *why, size_t len);

/* The handler for the health server (data: the struct health). */
void health_handle(void *data, struct http_req *req, struct http_res *res);

#endif
