/*
 * ea_obj: the controller's projection of an ExternalArtifact, from the one
 * informer that watches them all: as a source (struct source_obj, first
 * member) for generators composing it, and for those we publish (labelled
 * source.extensions.fluxcd.io/generator) the generator uid of that label,
 * spec.sourceRef and one hash over the labels and annotations, so the
 * reconcile can tell "already says exactly that" without keeping them.
 * The index key is "uid/<generator uid>" (none when unlabelled).
 *
 * Pure; the informer owns the projections (ea_obj_free).
 */
#ifndef AG_CONTROLLER_EA_OBJ_H
#define AG_CONTROLLER_EA_OBJ_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "controller/source_obj.h"
#include "kube/index.h"

struct ea_obj {
	/* first: the same object seen as a source (status.artifact and Ready
	 * under source_obj's rules), so the one ExternalArtifact informer
	 * also serves generators that compose ExternalArtifacts */
	struct source_obj src;
	char *gen_uid;		/* the label; NULL: not published by us */
	char *ref_kind;		/* spec.sourceRef */
	char *ref_namespace;
	char *ref_name;
	uint64_t meta_hash;	/* ea_meta_hash of labels + annotations */
};

void *ea_obj_project(const json_t *obj);
void ea_obj_free(void *projection);
int ea_obj_index(const void *projection, struct kube_index_keys *keys);
/* FNV-1a 64 over the sorted labels and annotations of metadata. */
uint64_t ea_meta_hash(const json_t *metadata);
/* True when an update is worth a look by its generator. */
bool ea_obj_changed(const struct ea_obj *old, const struct ea_obj *new_);

#endif
