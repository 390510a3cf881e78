/*
 * run_writes: what one running reconcile wrote to its generator's
 * ExternalArtifacts, and what the ExternalArtifact watch delivered for
 * them meanwhile. The watch event of our own write may come before the API
 * server's answer, so events are only judged when the run ends: an event
 * whose object and resourceVersion (none for a deletion) match a write of
 * this run is its echo; any other is someone else's change, which the run
 * may not have seen, and the generator is reconciled again (reconcile.c).
 *
 * Owned by the run's struct rc; run_writes_free when it ends. Every
 * allocation failure, and more than RUN_WRITES_MAX entries on either side,
 * counts as a foreign change: at worst one reconcile too many, never a
 * change left unrestored until the next interval.
 */
#ifndef AG_CONTROLLER_RUN_WRITES_H
#define AG_CONTROLLER_RUN_WRITES_H

#include <stdbool.h>
#include <stddef.h>

#define RUN_WRITES_MAX 4096	/* entries per side */

struct run_write {
	char *ns, *name;
	char *rv;		/* NULL: deleted */
};

struct run_writes {
	struct run_write *ours, *seen;
	size_t n_ours, n_seen, cap_ours, cap_seen;
	bool overflow;
};

/* Our write of ns/name answered with resourceVersion rv (NULL: deleted). */
void run_writes_ours(struct run_writes *w, const char *ns, const char *name,
    const char *rv);
/* The watch delivered ns/name at rv (NULL: deleted) during the run. */
void run_writes_seen(struct run_writes *w, const char *ns, const char *name,
    const char *rv);
/* True when some event seen is not the echo of one of our writes. */
bool run_writes_foreign(const struct run_writes *w);
void run_writes_free(struct run_writes *w);

#endif
