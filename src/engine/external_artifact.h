/*
 * external_artifact: what the controller publishes for one built artifact,
 * as the JSON object the API server stores: the ExternalArtifact
 * (source.toolkit.fluxcd.io/v1) with its labels, annotations,
 * spec.sourceRef (the generator) and status.artifact, and the Ready
 * condition of a successful reconciliation.
 *
 * One module for both front ends (the dry-run prints these objects, the
 * controller applies them), so the two cannot drift apart. Pure: no I/O,
 * no global state. Every function returns a new reference the caller owns
 * (json_decref), or NULL when out of memory.
 */
#ifndef AG_EXTERNAL_ARTIFACT_H
#define AG_EXTERNAL_ARTIFACT_H

#include <jansson.h>

#include "engine/build.h"
#include "generator/generator.h"

#define EA_API_VERSION "source.toolkit.fluxcd.io/v1"
#define EA_KIND "ExternalArtifact"

/* [{type: Ready, status: "True", reason: Succeeded, message, time}] */
json_t *external_artifact_ready_condition(const char *message);

/* The ExternalArtifact object for record r of generator g. */
json_t *external_artifact_json(const struct generator *g,
    const struct artifact_record *r);

#endif
