/*
 * external_artifact: what the controller publishes for one built artifact,
 * as the JSON object the API server stores: the ExternalArtifact
 * (source.toolkit.fluxcd.io/v1) with its labels, annotations,
 * spec.sourceRef (the generator) and status.artifact, and the Ready
 * condition of a successful reconciliation.
 *
 * One module for both front ends (the dry-run prints these objects, the
 * controller applies them), so the two cannot drift apart. Pure: no I/O,
 * no clock, no global state: the caller passes the time of the
 * reconciliation. Every function returns a new reference the caller owns
 * (json_decref), or NULL when out of memory.
 *
 * Labels are the record's (commonMetadata labels, then pathPattern
 * captures), then the reserved ones, which always win, as in source-watcher:
 * app.kubernetes.io/managed-by=<controller name> and
 * source.extensions.fluxcd.io/generator=<generator metadata.uid>.
 */
#ifndef AG_EXTERNAL_ARTIFACT_H
#define AG_EXTERNAL_ARTIFACT_H

#include <stdint.h>

#include <jansson.h>

#include "engine/build.h"
#include "generator/generator.h"

#define EA_API_VERSION "source.toolkit.fluxcd.io/v1"
#define EA_KIND "ExternalArtifact"

/* [{type: Ready, status: "True", reason: Succeeded, message,
 * lastTransitionTime: now}] (now in unix seconds). */
json_t *external_artifact_ready_condition(const char *message, int64_t now);

/* The ExternalArtifact object for record r of generator g, published by
 * controller_name for the generator whose metadata.uid is generator_uid;
 * its Ready condition's lastTransitionTime is now (unix seconds). */
json_t *external_artifact_json(const struct generator *g,
    const struct artifact_record *r, const char *controller_name,
    const char *generator_uid, int64_t now);

#endif
