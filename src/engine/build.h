/*
 * build: builds one artifact of a generator: applies its copy operations in
 * order into a staging tree, hashes the tree (dirhash), archives it into the
 * storage as <dirhash>.tar.gz under externalartifact/<ns>/<name>/ (or reuses
 * the stored file when it already exists and verifies), and returns the
 * artifact record the controller publishes in an ExternalArtifact.
 *
 * Pure and synchronous, no global state: the controller runs it on a libuv
 * thread-pool thread; the dry-run front end calls it directly. It checks the
 * cancel flag between files. The caller owns the returned record and frees
 * it with artifact_record_free.
 */
#ifndef AG_BUILD_H
#define AG_BUILD_H

#include <stdint.h>

#include "base/cancel.h"
#include "base/digest.h"
#include "engine/copy.h"
#include "generator/generator.h"
#include "storage/storage.h"
#include "base/err.h"

struct build_opts {
	enum digest_algo algo;
	const cancel_flag *cancel;	/* optional */
	build_report_fn report;		/* optional */
	void *report_ctx;
	/* Optional: the digest last published for this artifact. When the
	 * stored file of the same name verifies against it, it is reused
	 * without archiving. Without it, an existing file is reused only when
	 * a fresh archive has the same digest (Adler-32 file names can
	 * collide, so a name match alone proves nothing). */
	const char *known_digest;
};

#define LABEL_MANAGED_BY "app.kubernetes.io/managed-by"
#define LABEL_GENERATOR "source.extensions.fluxcd.io/generator"
#define METADATA_ORIGIN_REVISION "org.opencontainers.image.revision"

struct artifact_record {
	char *name;
	char *namespace;
	char *filename;		/* "<dirhash>.tar.gz" */
	char *path;		/* "externalartifact/<ns>/<name>/<file>" */
	char *url;
	char *revision;
	char digest[DIGEST_STRING_MAX];
	uint64_t size;
	int64_t last_update_time; /* unix seconds */
	bool reused;		/* the stored file was already in place */
	struct kv_list metadata;
	struct kv_list labels;
	struct kv_list annotations;
};

int build_artifact(const struct generator *g, const struct gen_artifact *a,
    const struct build_source *sources, size_t n_sources, struct storage *s,
    const struct build_opts *opts, struct artifact_record *out,
    struct err *e);
void artifact_record_free(struct artifact_record *r);

/* Builds stage under <storage root>/.staging/<name>-XXXXXX/ (removed when
 * each build ends). A crash can leave such directories behind: the
 * controller calls this once at startup, before any build, to remove the
 * whole .staging directory. */
int build_staging_cleanup(struct storage *s, struct err *e);

#endif
