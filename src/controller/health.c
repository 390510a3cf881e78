/*
 * health: the loop-liveness timer, readiness checks and the probe handler
 * (see health.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/health.h"

#define NS_PER_MS 1000000ull

struct health {
	uv_timer_t timer;
	uint64_t tick_ns, stale_ns;
	uint64_t last;			/* hrtime of the last tick */
	uint64_t stalled_until;		/* hrtime; 0: no stall seen */
	uint64_t stall_ns;		/* how late that tick was */
	struct {
		const char *name;
		health_check_fn fn;
		void *data;
	} checks[HEALTH_CHECKS_MAX];
	size_t nchecks;
};

static void
tick_cb(uv_timer_t *t)
{
	struct health *h = t->data;
	uint64_t now = uv_hrtime();

	if (now - h->last > h->tick_ns + h->stale_ns) {
		h->stall_ns = now - h->last - h->tick_ns;
		h->stalled_until = now + h->stale_ns;
	}
	h->last = now;
}

struct health *
health_new(uv_loop_t *loop, uint64_t tick_ms, uint64_t stale_ms,
    struct err *e)
{
	struct health *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		err_set(e, "health: out of memory");
		return NULL;
	}
	tick_ms = tick_ms ? tick_ms : HEALTH_TICK_MS;
	h->tick_ns = tick_ms * NS_PER_MS;
	h->stale_ns = (stale_ms ? stale_ms : HEALTH_STALE_MS) * NS_PER_MS;
	h->last = uv_hrtime();
	uv_timer_init(loop, &h->timer);
	h->timer.data = h;
	uv_timer_start(&h->timer, tick_cb, tick_ms, tick_ms);
	return h;
}

static void
closed_cb(uv_handle_t *hd)
{
	free(hd->data);
}

void
health_free(struct health *h)
{
	if (h != NULL)
		uv_close((uv_handle_t *)&h->timer, closed_cb);
}

int
health_add_check(struct health *h, const char *name, health_check_fn fn,
    void *data)
{
	if (h->nchecks == HEALTH_CHECKS_MAX)
		return -1;
	h->checks[h->nchecks].name = name;
	h->checks[h->nchecks].fn = fn;
	h->checks[h->nchecks++].data = data;
	return 0;
}

bool
health_live(const struct health *h, uint64_t now_ns, char *why, size_t len)
{
	if (now_ns > h->last && now_ns - h->last > h->stale_ns) {
		snprintf(why, len, "[-]loop failed: no timer tick for %llu ms",
		    (unsigned long long)((now_ns - h->last) / NS_PER_MS));
		return false;
	}
	if (now_ns < h->stalled_until) {
		snprintf(why, len, "[-]loop failed: a timer tick came %llu ms "
		    "late (the loop was blocked)",
		    (unsigned long long)(h->stall_ns / NS_PER_MS));
		return false;
	}
	return true;
}

bool
health_ready(const struct health *h, char *why, size_t len)
{
	char r[HEALTH_WHY_MAX];
	size_t i, n = 0;
	bool ok = true;

	if (len > 0)
		why[0] = '\0';
	for (i = 0; i < h->nchecks; i++) {
		r[0] = '\0';
		if (h->checks[i].fn(h->checks[i].data, r, sizeof(r)))
			continue;
		ok = false;
		if (n < len)
			n += (size_t)snprintf(why + n, len - n, "%s[-]%s failed: "
			    "%s", n > 0 ? "\n" : "", h->checks[i].name, r);
	}
	return ok;
}

static void
answer(struct http_res *res, bool ok, const char *why, const char *what)
{
	char body[HEALTH_WHY_MAX * HEALTH_CHECKS_MAX + 64];
	int n;

	if (ok)
		n = snprintf(body, sizeof(body), "ok");
	else
		n = snprintf(body, sizeof(body), "%s\n%s check failed\n", why,
		    what);
	if (n < 0 || (size_t)n >= sizeof(body))
		n = (int)sizeof(body) - 1;
	http_res_simple(res, ok ? 200 : 500, "text/plain; charset=utf-8",
	    "X-Content-Type-Options: nosniff\r\n", body, (size_t)n);
}

void
health_handle(void *data, struct http_req *req, struct http_res *res)
{
	const struct health *h = data;
	char why[HEALTH_WHY_MAX * HEALTH_CHECKS_MAX];
	const char *p = req->path;

	if (strcmp(req->method, "GET") != 0 && !req->head) {
		http_res_simple(res, 405, "text/plain; charset=utf-8",
		    "Allow: GET, HEAD\r\n", "method not allowed\n", 19);
		return;
	}
	if (strcmp(p, "/healthz") == 0 || strcmp(p, "/healthz/ping") == 0)
		answer(res, health_live(h, uv_hrtime(), why, sizeof(why)), why,
		    "healthz");
	else if (strcmp(p, "/readyz") == 0 || strcmp(p, "/readyz/ping") == 0)
		answer(res, health_ready(h, why, sizeof(why)), why, "readyz");
	else
		http_res_simple(res, 404, "text/plain; charset=utf-8", NULL,
		    "404 page not found\n", 19);
}
