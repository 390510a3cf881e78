/*
 * gen_obj: the controller's projection of an ArtifactGenerator, what the
 * informer keeps instead of the JSON: the parsed model (generator_from_json,
 * with metadata.uid), metadata.generation, whether it is being deleted, its
 * finalizers, the annotations the controller acts on
 * (reconcile.fluxcd.io/requestedAt, source.extensions.fluxcd.io/reconcile)
 * and the part of its status the drift check and the write-avoidance need
 * (inventory, observedSourcesDigest, lastHandledReconcileAt, the Ready,
 * Reconciling and Stalled conditions).
 *
 * A spec that does not parse is still projected: `invalid` holds the
 * message, so the reconcile can report it (ValidationFailed) instead of the
 * informer skipping the object.
 *
 * A projection is one allocation (base/pack.h; read-only once built).
 * Projections are reference-counted: the informer's store holds one
 * reference (gen_obj_unref is its free callback), a reconcile in flight
 * holds another, so an update during a reconcile never frees what the
 * reconcile reads. Pure; no loop, no I/O. gen_obj_index names the sources
 * for the informer's secondary index: "<Kind>/<ns>/<name>".
 */
#ifndef AG_CONTROLLER_GEN_OBJ_H
#define AG_CONTROLLER_GEN_OBJ_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "generator/generator.h"
#include "kube/index.h"

#define GEN_FINALIZER "source.extensions.fluxcd.io/finalizer"
#define GEN_ANN_REQUESTED_AT "reconcile.fluxcd.io/requestedAt"
#define GEN_ANN_RECONCILE "source.extensions.fluxcd.io/reconcile"

/* One status.inventory entry. */
struct gen_inv {
	char *name;
	char *namespace;
	char *digest;
	char *filename;
};

/* A condition as the API stores it (strings owned; NULL: absent). */
struct gen_cond {
	char *status;		/* "True", "False", "Unknown"; NULL: none */
	char *reason;
	char *message;
	char *last_transition;	/* RFC 3339 */
	int64_t observed_generation;
};

enum gen_cond_type { GEN_COND_READY, GEN_COND_RECONCILING, GEN_COND_STALLED,
	GEN_COND_N };

/* What a generator's status says (also what the reconcile writes). */
struct gen_status {
	struct gen_inv *inv;
	size_t n_inv;
	char *sources_digest;		/* observedSourcesDigest, or NULL */
	char *last_handled;		/* lastHandledReconcileAt, or NULL */
	struct gen_cond cond[GEN_COND_N];
};

struct gen_obj {
	unsigned refs;
	bool packed;			/* one block (base/pack.h) */
	struct generator g;		/* zeroed but name/namespace when invalid */
	char *invalid;			/* parse error, or NULL */
	int64_t generation;
	bool deleting;			/* metadata.deletionTimestamp set */
	bool disabled;			/* reconcile annotation "disabled" */
	char **finalizers;
	size_t n_finalizers;
	char *requested_at;		/* or NULL */
	struct gen_status st;
};

/* The informer's project callback: NULL when obj has no name or on OOM. */
void *gen_obj_project(const json_t *obj);
/* The informer's free callback (drops the store's reference). */
void gen_obj_free(void *projection);
struct gen_obj *gen_obj_ref(struct gen_obj *o);
void gen_obj_unref(struct gen_obj *o);
/* The index callback: "<Kind>/<ns>/<name>" for every source. */
int gen_obj_index(const void *projection, struct kube_index_keys *keys);
/* The index key of a source. buf holds KUBE_INDEX_KEY_MAX bytes. */
const char *gen_obj_source_key(char *buf, const char *kind, const char *ns,
    const char *name);

bool gen_obj_has_finalizer(const struct gen_obj *o);
/* The condition names "Ready", "Reconciling", "Stalled". */
const char *gen_cond_name(enum gen_cond_type t);

/* Status parsing and ownership (status.c writes them). */
int gen_status_from_json(const json_t *status, struct gen_status *out);
void gen_status_free(struct gen_status *s);
void gen_cond_free(struct gen_cond *c);

#endif
