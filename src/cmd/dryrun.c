/*
 * dryrun: the --dry-run front end (see dryrun.h): flags, inputs, local
 * sources (directories or extracted tarballs, with their revisions), one
 * build per artifact through build_artifact, and the printed objects.
 *
 * Everything is owned by one struct dr (freed by dr_free); extracted source
 * trees live in temp directories removed before returning.
 */
#include "cmd/dryrun.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "engine/build.h"
#include "engine/external_artifact.h"
#include "controller/build_pool.h"
#include "controller/pool_size.h"
#include "base/digest.h"
#include "base/dir_list.h"
#include "generator/generator_parse.h"
#include "generator/generator_validate.h"
#include "generator/path_pattern.h"
#include "storage/storage.h"
#include "archive/tar.h"
#include "base/yaml_json.h"
#include "cmd/config.h"
#include "base/err.h"
#include "base/fs_tree.h"

#define DR_MAX_FILES 64
#define DR_STR(x) #x
#define DR_XSTR(x) DR_STR(x)
#define DR_MAX_JOBS_STR DR_XSTR(BUILD_POOL_MAX_JOBS)
#define DR_MAX_PAIRS 1000
#define DR_MAX_DEPTH 256
#define DR_REL_MAX 4096
#define DR_DEFAULT_ADV_ADDR "source-watcher.flux-system.svc.cluster.local."
#define DR_CONTROLLER_NAME "source-watcher"
#define DR_UUID_LEN 36

/* ALIAS=VALUE from the command line (value points into argv). */
struct dr_pair {
	char alias[GEN_MAX_LABEL_LEN + 1];
	const char *value;
};

/* The flags as config_table_parse fills them (owned; dr_flags_free). */
struct dr_flags {
	bool dry_run;
	struct config_list files;
	struct config_list sources;
	struct config_list revisions;
	struct config_list origins;
	char *storage_path;
	char *adv_addr;
	const char *algo;
	bool no_cross;
	const char *output;
	bool verbose;
	int jobs;
};

struct dr_source {
	char alias[GEN_MAX_LABEL_LEN + 1];
	char *dir;		/* the tree the engine reads */
	char *tmpdir;		/* extracted tarball to remove, or NULL */
	char *revision;
	const char *origin_revision;
};

struct dr {
	const char *files[DR_MAX_FILES];
	size_t n_files;
	struct dr_pair sources[DR_MAX_PAIRS];
	size_t n_sources;
	struct dr_pair revisions[DR_MAX_PAIRS];
	size_t n_revisions;
	struct dr_pair origins[DR_MAX_PAIRS];
	size_t n_origins;
	const char *storage_path;	/* into flags */
	const char *adv_addr;
	enum digest_algo algo;
	bool no_cross;
	bool json;
	bool verbose;
	int jobs;		/* concurrent builds */

	struct dr_source src[DR_MAX_PAIRS];
	size_t n_src;
	struct generator *gens;
	size_t n_gens;
	json_t *docs;		/* the source document of each generator */
	struct storage storage;
	bool storage_open;
	struct dr_flags flags;
	FILE *spool;		/* printed objects, copied to out at the end */
	FILE *out, *err;	/* the caller's (not closed) */
	size_t n_items;
	int64_t now;		/* the reconciliation time printed */
};

static const char *const dr_outputs[] = { "yaml", "json", NULL };

#define DR_FLAG(name, sh, type, def, allowed, help, field) \
	{ name, sh, NULL, type, def, allowed, help, \
	    offsetof(struct dr_flags, field) }

static const struct config_flag dr_flag_table[] = {
	DR_FLAG("dry-run", 0, CONFIG_BOOL, "false", NULL,
	    "Build the artifacts of ArtifactGenerator files locally and print "
	    "them.", dry_run),
	DR_FLAG("file", 'f', CONFIG_LIST, NULL, NULL,
	    "File of ArtifactGenerator documents ('-' for stdin).",
	    files),
	DR_FLAG("source", 0, CONFIG_LIST, NULL, NULL,
	    "ALIAS=PATH: a source's contents, a directory or a .tar.gz/.tgz.",
	    sources),
	DR_FLAG("source-revision", 0, CONFIG_LIST, NULL, NULL,
	    "ALIAS=REV: a source's revision (default latest@<digest>).",
	    revisions),
	DR_FLAG("source-origin-revision", 0, CONFIG_LIST, NULL, NULL,
	    "ALIAS=REV: a source's origin revision.", origins),
	DR_FLAG("storage-path", 0, CONFIG_STRING, NULL, NULL,
	    "Where artifacts are written (default: a new temp directory).",
	    storage_path),
	DR_FLAG("storage-adv-addr", 0, CONFIG_STRING, DR_DEFAULT_ADV_ADDR, NULL,
	    "The advertised address used in artifact URLs.", adv_addr),
	DR_FLAG("artifact-digest-algo", 0, CONFIG_ENUM, "sha256",
	    digest_algo_names, "Digest algorithm of the artifacts.", algo),
	DR_FLAG("no-cross-namespace-refs", 0, CONFIG_BOOL, "false", NULL,
	    "Refuse sources in another namespace than their generator.",
	    no_cross),
	DR_FLAG("output", 'o', CONFIG_ENUM, "yaml", dr_outputs,
	    "Output format.", output),
	DR_FLAG("verbose", 'v', CONFIG_BOOL, "false", NULL,
	    "Print which copy operation wrote which files on stderr.", verbose),
	DR_FLAG("jobs", 'j', CONFIG_INT, "0", NULL,
	    "Artifacts built at once; 0 = one per CPU (1 with --verbose, so "
	    "the report stays in order).", jobs),
};

#define DR_NFLAGS (sizeof(dr_flag_table) / sizeof(dr_flag_table[0]))
#define DR_USAGE "artifact-generator --dry-run -f FILE [-f FILE ...] " \
	"--source ALIAS=PATH [...] [flags]"

/* Usage errors are collected in e and printed once by args_parse. */
static int
usage_error(struct err *e, const char *fmt, const char *arg)
{
	return err_set(e, fmt, arg);
}

/* Splits "ALIAS=VALUE" into list[*n]; the alias must be a valid alias. */
static int
pair_parse(const char *flag, const char *arg, struct dr_pair *list,
    size_t *n, struct err *e)
{
	const char *eq = strchr(arg, '=');
	size_t alen = eq ? (size_t)(eq - arg) : 0;

	if (eq == NULL || alen == 0 || alen > GEN_MAX_LABEL_LEN || eq[1] == '\0')
		return usage_error(e, flag, arg);
	if (*n == DR_MAX_PAIRS)
		return usage_error(e, "too many values: %s", arg);
	memcpy(list[*n].alias, arg, alen);
	list[*n].alias[alen] = '\0';
	if (!gen_is_alias(list[*n].alias))
		return usage_error(e, "invalid source alias in '%s'", arg);
	for (size_t i = 0; i < *n; i++)
		if (strcmp(list[i].alias, list[*n].alias) == 0)
			return usage_error(e, "alias given twice: '%s'", arg);
	list[*n].value = eq + 1;
	(*n)++;
	return 0;
}

static int
pairs_parse(const char *flag, const struct config_list *l,
    struct dr_pair *list, size_t *n, struct err *e)
{
	for (size_t i = 0; i < l->len; i++)
		if (pair_parse(flag, l->items[i], list, n, e) < 0)
			return -1;
	return 0;
}

/* Copies the parsed flags into d (strings stay owned by d->flags). */
static int
flags_apply(struct dr *d, const struct config_list *args, struct err *e)
{
	struct dr_flags *f = &d->flags;
	struct err ae;

	if (args->len > 0)
		return usage_error(e, "unexpected argument '%s'", args->items[0]);
	if (f->files.len == 0)
		return usage_error(e, "%s", "at least one -f FILE is required");
	if (f->files.len > DR_MAX_FILES)
		return usage_error(e, "%s", "too many -f files (at most 64)");
	for (size_t i = 0; i < f->files.len; i++)
		d->files[i] = f->files.items[i];
	d->n_files = f->files.len;
	if (pairs_parse("--source expects ALIAS=PATH, got '%s'", &f->sources,
	    d->sources, &d->n_sources, e) < 0 ||
	    pairs_parse("--source-revision expects ALIAS=REV, got '%s'",
	    &f->revisions, d->revisions, &d->n_revisions, e) < 0 ||
	    pairs_parse("--source-origin-revision expects ALIAS=REV, got '%s'",
	    &f->origins, d->origins, &d->n_origins, e) < 0)
		return -1;
	if (digest_algo_parse(f->algo, &d->algo, &ae) < 0)
		return usage_error(e, "--artifact-digest-algo: %s", ae.msg);
	d->storage_path = f->storage_path && *f->storage_path ?
	    f->storage_path : NULL;
	d->adv_addr = f->adv_addr;
	d->no_cross = f->no_cross;
	d->json = strcmp(f->output, "json") == 0;
	d->verbose = f->verbose;
	if (f->jobs < 0 || f->jobs > BUILD_POOL_MAX_JOBS)
		return usage_error(e, "--jobs: expected 0 to %s", DR_MAX_JOBS_STR);
	d->jobs = f->jobs > 0 ? f->jobs :
	    d->verbose ? 1 : build_pool_default_jobs();
	/* one pool thread per build and one to spare (pool_size.h) */
	controller_pool_size_set(d->jobs + 1);
	return 0;
}

/* 1 for --help, 0, or -1 after printing a usage error on d->err. */
static int
args_parse(struct dr *d, int argc, char **argv)
{
	struct config_list args = { 0 };
	struct err e;
	int rc;

	rc = config_table_parse(dr_flag_table, DR_NFLAGS, &d->flags, argc,
	    argv, NULL, &args, &e);
	if (rc == CONFIG_HELP) {
		config_table_help(dr_flag_table, DR_NFLAGS, DR_USAGE, d->out);
		rc = 1;
	} else if (rc == 0) {
		rc = flags_apply(d, &args, &e);
	}
	if (rc < 0)
		fprintf(d->err, "artifact-generator: %s\nusage: %s (see "
		    "--dry-run --help)\n", e.msg, DR_USAGE);
	config_list_free(&args);
	return rc;
}

static int
load_file(struct dr *d, const char *path, struct err *e)
{
	struct generator *gs, *all;
	json_t *docs;
	size_t len, n;
	char *buf;

	if (yaml_json_read_file(path, GENERATOR_MAX_BYTES, &buf, &len, e) < 0)
		return err_prefix(e, "%s", strcmp(path, "-") ? path : "stdin");
	if (generator_parse_yaml_docs(buf, len, &gs, &n, &docs, e) < 0) {
		free(buf);
		return err_prefix(e, "%s", strcmp(path, "-") ? path : "stdin");
	}
	free(buf);
	all = n ? realloc(d->gens, (d->n_gens + n) * sizeof(*all)) : d->gens;
	if (n && all == NULL) {
		for (size_t i = 0; i < n; i++)
			generator_free(&gs[i]);
		free(gs);
		json_decref(docs);
		return err_set(e, "out of memory");
	}
	d->gens = all;
	if (n)
		memcpy(d->gens + d->n_gens, gs, n * sizeof(*gs));
	d->n_gens += n;
	json_array_extend(d->docs, docs);
	json_decref(docs);
	free(gs);
	return 0;
}

static int dir_digest_walk(struct digest_ctx *ctx, int dirfd, char *rel,
    size_t depth, struct err *e);

static int
dir_digest_entry(struct digest_ctx *ctx, int dirfd, const char *name,
    char *rel, size_t depth, struct err *e)
{
	size_t rlen = strlen(rel);
	char head[64];
	struct stat st;
	int fd, rc = 0;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(e, errno, "cannot stat '%s/%s'", rel, name);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return 0;
	if (S_ISDIR(st.st_mode) && tar_is_vcs_dir(name))
		return 0;
	if (rlen + strlen(name) + 2 > DR_REL_MAX)
		return err_set(e, "path too long under '%s'", rel);
	snprintf(rel + rlen, DR_REL_MAX - rlen, "%s%s", rlen ? "/" : "", name);
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
	if (fd < 0) {
		rc = err_sys(e, errno, "cannot open '%s'", rel);
	} else if (S_ISDIR(st.st_mode)) {
		rc = dir_digest_walk(ctx, fd, rel, depth + 1, e);
	} else {
		digest_update(ctx, rel, strlen(rel) + 1);
		snprintf(head, sizeof(head), "%jd", (intmax_t)st.st_size);
		digest_update(ctx, head, strlen(head) + 1);
		rc = digest_fd(ctx, fd, rel, e);
	}
	if (fd >= 0)
		close(fd);
	rel[rlen] = '\0';
	return rc;
}

static int
dir_digest_walk(struct digest_ctx *ctx, int dirfd, char *rel, size_t depth,
    struct err *e)
{
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	if (depth > DR_MAX_DEPTH)
		return err_set(e, "directories nested deeper than %d at '%s'",
		    DR_MAX_DEPTH, rel);
	if (dir_list_sorted(dirfd, *rel ? rel : ".", false, NULL, &names, &n,
	    e) < 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = dir_digest_entry(ctx, dirfd, names[i], rel, depth, e);
	dir_list_free(names, n);
	return rc;
}

static int
dir_digest(const char *dir, enum digest_algo algo,
    char out[DIGEST_STRING_MAX], struct err *e)
{
	struct digest_ctx ctx;
	char *rel;
	int fd, rc;

	if ((rel = calloc(1, DR_REL_MAX)) == NULL)
		return err_set(e, "out of memory");
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		free(rel);
		return err_sys(e, errno, "cannot open '%s'", dir);
	}
	if ((rc = digest_init(&ctx, algo, e)) == 0) {
		rc = dir_digest_walk(&ctx, fd, rel, 0, e);
		if (rc == 0)
			digest_final_string(&ctx, out);
		else
			digest_abort(&ctx);
	}
	close(fd);
	free(rel);
	return rc;
}

static char *
make_tmpdir(const char *prefix, struct err *e)
{
	const char *tmp = getenv("TMPDIR");
	char *path;

	if (asprintf(&path, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp",
	    prefix) < 0) {
		err_set(e, "out of memory");
		return NULL;
	}
	if (mkdtemp(path) == NULL) {
		err_sys(e, errno, "cannot create a directory like '%s'", path);
		free(path);
		return NULL;
	}
	return path;
}

static const char *
pair_find(const struct dr_pair *list, size_t n, const char *alias)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].alias, alias) == 0)
			return list[i].value;
	return NULL;
}

/* Resolves --source ALIAS=PATH into a local tree and a revision. */
static int
source_prepare(struct dr *d, const struct dr_pair *p, struct dr_source *s,
    struct err *e)
{
	char digest[DIGEST_STRING_MAX];
	const char *rev = pair_find(d->revisions, d->n_revisions, p->alias);
	struct stat st;

	snprintf(s->alias, sizeof(s->alias), "%s", p->alias);
	s->origin_revision = pair_find(d->origins, d->n_origins, p->alias);
	if (stat(p->value, &st) < 0)
		return err_sys(e, errno, "cannot access '%s'", p->value);
	if (S_ISDIR(st.st_mode)) {
		if ((s->dir = strdup(p->value)) == NULL)
			return err_set(e, "out of memory");
		if (rev == NULL && dir_digest(s->dir, d->algo, digest, e) < 0)
			return -1;
	} else if (S_ISREG(st.st_mode) && tar_name_is_tarball(p->value)) {
		if ((s->tmpdir = make_tmpdir("artifact-generator-src", e)) == NULL)
			return -1;
		if (targz_extract_file(p->value, s->tmpdir, NULL, e) < 0)
			return err_prefix(e, "cannot extract '%s'", p->value);
		if ((s->dir = strdup(s->tmpdir)) == NULL)
			return err_set(e, "out of memory");
		if (rev == NULL && digest_file(p->value, d->algo, digest, e) < 0)
			return -1;
	} else {
		return err_set(e, "'%s' is neither a directory nor a .tar.gz/.tgz "
		    "file", p->value);
	}
	if (rev != NULL)
		s->revision = strdup(rev);
	else if (asprintf(&s->revision, "latest@%s", digest) < 0)
		s->revision = NULL;
	return s->revision == NULL ? err_set(e, "out of memory") : 0;
}

static int
sources_prepare(struct dr *d, struct err *e)
{
	for (size_t i = 0; i < d->n_revisions; i++)
		if (!pair_find(d->sources, d->n_sources, d->revisions[i].alias))
			return err_set(e, "--source-revision %s: no --source "
			    "%s=PATH given", d->revisions[i].alias,
			    d->revisions[i].alias);
	for (size_t i = 0; i < d->n_origins; i++)
		if (!pair_find(d->sources, d->n_sources, d->origins[i].alias))
			return err_set(e, "--source-origin-revision %s: no "
			    "--source %s=PATH given", d->origins[i].alias,
			    d->origins[i].alias);
	for (size_t i = 0; i < d->n_sources; i++) {
		d->n_src++;
		if (source_prepare(d, &d->sources[i], &d->src[i], e) < 0)
			return err_prefix(e, "--source %s", d->sources[i].alias);
	}
	return 0;
}

static const struct dr_source *
dr_source_find(const struct dr *d, const char *alias)
{
	for (size_t i = 0; i < d->n_src; i++)
		if (strcmp(d->src[i].alias, alias) == 0)
			return &d->src[i];
	return NULL;
}

/*
 * g's metadata.uid, or (written into out) when the input has none, a deterministic stand-in:
 * the name-based (version 5, SHA-1) UUID of "<namespace>/<name>" in the
 * RFC 4122 URL namespace, so that the generator label has the cluster's
 * shape and the same input always prints the same objects.
 */
static const char *
generator_uid(const struct generator *g, char out[DR_UUID_LEN + 1],
    struct err *e)
{
	static const uint8_t url_ns[16] = { 0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad,
	    0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8 };
	uint8_t raw[DIGEST_RAW_MAX];
	struct digest_ctx ctx;
	char *p = out;

	if (g->uid != NULL)
		return g->uid;
	if (digest_init(&ctx, DIGEST_SHA1, e) < 0)
		return NULL;
	digest_update(&ctx, url_ns, sizeof(url_ns));
	digest_update(&ctx, g->namespace, strlen(g->namespace));
	digest_update(&ctx, "/", 1);
	digest_update(&ctx, g->name, strlen(g->name));
	digest_final(&ctx, raw);
	raw[6] = (uint8_t)((raw[6] & 0x0f) | 0x50);	/* version 5 */
	raw[8] = (uint8_t)((raw[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		p += sprintf(p, "%02x", raw[i]);
	}
	return out;
}

struct dr_report {
	const struct generator *g;
	FILE *err;
};

static void
verbose_report(void *ctx, const char *artifact, const char *from,
    const char *to, const char *path, uint64_t size)
{
	const struct dr_report *r = ctx;

	fprintf(r->err, "%s/%s: copy '%s' -> '%s': %s (%" PRIu64 " bytes)\n",
	    r->g->namespace, artifact, from, to, path, size);
}

/* The build_source array for g (malloc'd; entries point into d). */
static struct build_source *
gen_build_sources(const struct dr *d, const struct generator *g,
    struct err *e)
{
	struct build_source *bs = calloc(g->n_sources, sizeof(*bs));

	if (bs == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < g->n_sources; i++) {
		const struct dr_source *s = dr_source_find(d, g->sources[i].alias);

		if (s == NULL) {
			err_set(e, "spec.sources[%zu].alias '%s': no --source "
			    "%s=PATH given", i, g->sources[i].alias,
			    g->sources[i].alias);
			free(bs);
			return NULL;
		}
		bs[i] = (struct build_source){ s->alias, s->dir, s->revision,
		    s->origin_revision };
	}
	return bs;
}

/*
 * Appends one printed object (consumed) to the spool, so memory does not
 * grow with the number of artifacts and nothing reaches d->out on error.
 */
static int
spool_item(struct dr *d, json_t *item, struct err *e)
{
	char *text = NULL;
	size_t len;
	json_t *one;
	int rc = 0;

	if (item == NULL)
		return err_set(e, "out of memory");
	if (d->json) {
		text = json_dumps(item, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		rc = text ? 0 : err_set(e, "cannot encode JSON");
		len = text ? strlen(text) : 0;
	} else {
		one = json_pack("[O]", item);
		rc = yaml_json_dump(one, &text, &len, e);
		json_decref(one);
	}
	if (rc == 0 && ((d->json && d->n_items > 0 &&
	    fputs(",\n", d->spool) == EOF) ||
	    fwrite(text, 1, len, d->spool) != len))
		rc = err_sys(e, errno, "cannot write the output spool");
	d->n_items++;
	free(text);
	json_decref(item);
	return rc;
}

/* Prints one built artifact (spool, inventory, --verbose line). */
static int
emit_one(struct dr *d, const struct generator *g,
    const struct artifact_record *r, json_t *inventory, struct err *e)
{
	char buf[DR_UUID_LEN + 1];
	const char *uid = generator_uid(g, buf, e);

	if (uid == NULL)
		return -1;
	if (d->verbose)
		fprintf(d->err, "%s/%s: %s %s (%" PRIu64 " bytes, %s)\n",
		    r->namespace, r->name, r->reused ? "reused" : "wrote",
		    r->path, r->size, r->digest);
	if (spool_item(d, external_artifact_json(g, r,
	    DR_CONTROLLER_NAME, uid, d->now), e) < 0)
		return -1;
	json_array_append_new(inventory, json_pack("{s:s, s:s, s:s, s:s}",
	    "name", r->name, "namespace", r->namespace, "digest", r->digest,
	    "filename", r->filename));
	return 0;
}

struct dr_build {
	int status;
	struct err *e;
};

static void
build_all_done(struct build_pool *p, int status, const struct err *e,
    void *data)
{
	struct dr_build *b = data;

	(void)p;
	b->status = status;
	if (status != 0)
		*b->e = *e;
}

/* Runs the build pool on a loop of our own until its done_cb. */
static int
build_all_run(struct dr *d, const struct build_pool_args *a, struct err *e)
{
	struct dr_build b = { -1, e };
	struct build_slots slots;
	uv_loop_t loop;
	int rc;

	if ((rc = uv_loop_init(&loop)) != 0)
		return err_set(e, "build: event loop: %s", uv_strerror(rc));
	build_slots_init(&slots, &loop, (unsigned)d->jobs);
	if (build_pool_start(&slots, a, build_all_done, &b, NULL, e) == 0)
		uv_run(&loop, UV_RUN_DEFAULT);
	else
		b.status = -1;
	uv_loop_close(&loop);
	return b.status;
}

/* Builds arts[0..n) (d->jobs at once) and prints them in order. */
static int
build_all(struct dr *d, const struct generator *g,
    const struct gen_artifact *arts, size_t n, const struct build_source *bs,
    json_t *inventory, struct err *e)
{
	struct dr_report rep = { g, d->err };
	struct build_opts o = {
		.algo = d->algo,
		.report = d->verbose ? verbose_report : NULL,
		.report_ctx = &rep,
	};
	struct artifact_record *recs;
	size_t i;
	int rc = 0;

	if (n == 0)
		return 0;
	if ((recs = calloc(n, sizeof(*recs))) == NULL)
		return err_set(e, "out of memory");
	if (build_all_run(d, &(struct build_pool_args){ .g = g, .arts = arts,
	    .n = n, .sources = bs, .n_sources = g->n_sources,
	    .storage = &d->storage, .opts = &o, .jobs = d->jobs,
	    .recs = recs }, e) < 0) {
		free(recs);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (rc == 0)
			rc = emit_one(d, g, &recs[i], inventory, e);
		artifact_record_free(&recs[i]);
	}
	free(recs);
	return rc;
}

/* The artifacts to build: rendered from the pathPattern, or the spec's. */
static int
gen_artifacts(const struct dr *d, const struct generator *g,
    struct gen_artifact **rendered, const struct gen_artifact **arts,
    size_t *n, struct err *e)
{
	struct path_pattern pp;
	const struct dr_source *s;
	int rc;

	*rendered = NULL;
	if (g->path_pattern == NULL) {
		*arts = g->artifacts;
		*n = g->n_artifacts;
		return 0;
	}
	if (path_pattern_parse(g->path_pattern, &pp, e) < 0)
		return err_prefix(e, "spec.pathPattern");
	s = dr_source_find(d, pp.alias);
	path_pattern_free(&pp);
	if (s == NULL)
		return err_set(e, "spec.pathPattern '%s': no --source for its "
		    "alias", g->path_pattern);
	rc = path_pattern_expand(g, s->dir, rendered, n, e);
	*arts = *rendered;
	return rc;
}

static int
run_generator(struct dr *d, size_t gi, struct err *e)
{
	const struct generator *g = &d->gens[gi];
	struct gen_artifact *rendered = NULL;
	const struct gen_artifact *arts = NULL;
	struct build_source *bs = NULL;
	json_t *inventory = json_array(), *status;
	char msg[128];
	size_t n = 0;
	int rc = -1;

	if ((bs = gen_build_sources(d, g, e)) == NULL ||
	    gen_artifacts(d, g, &rendered, &arts, &n, e) < 0)
		goto prefix;
	if (build_all(d, g, arts, n, bs, inventory, e) < 0)
		goto prefix;
	snprintf(msg, sizeof(msg), "reconciliation succeeded, generated %zu "
	    "artifact(s)", n);
	status = json_pack("{s:o, s:O}", "conditions",
	    external_artifact_ready_condition(msg, d->now),
	    "inventory", inventory);
	json_object_set_new(json_array_get(d->docs, gi), "status", status);
	rc = 0;
	goto out;
prefix:
	err_prefix(e, "%s %s/%s", GENERATOR_KIND, g->namespace, g->name);
out:
	for (size_t i = 0; rendered && i < n; i++)
		gen_artifact_free(&rendered[i]);
	free(rendered);
	free(bs);
	json_decref(inventory);
	return rc;
}

/* The generators (with their status) after the artifacts, then the spool
 * to d->out, inside a List for -o json. */
static int
print_output(struct dr *d, struct err *e)
{
	char buf[65536];
	size_t i, n;
	json_t *doc;

	json_array_foreach(d->docs, i, doc)
		if (spool_item(d, json_incref(doc), e) < 0)
			return -1;
	if (fflush(d->spool) == EOF || fseek(d->spool, 0, SEEK_SET) < 0)
		return err_sys(e, errno, "cannot read the output spool");
	if (d->json)
		fputs("{\n\"apiVersion\": \"v1\",\n\"kind\": \"List\",\n"
		    "\"items\": [\n", d->out);
	while ((n = fread(buf, 1, sizeof(buf), d->spool)) > 0)
		if (fwrite(buf, 1, n, d->out) != n)
			break;
	if (d->json)
		fputs("\n]\n}\n", d->out);
	if (ferror(d->spool) || ferror(d->out) || fflush(d->out) == EOF)
		return err_sys(e, errno, "cannot write the output");
	return 0;
}

static int
storage_open(struct dr *d, struct err *e)
{
	char *tmp = NULL;
	int rc;

	if (d->storage_path == NULL) {
		if ((tmp = make_tmpdir("artifact-generator-storage", e)) == NULL)
			return -1;
		fprintf(d->err, "artifact-generator: storage: %s\n", tmp);
	}
	rc = storage_init(&d->storage, tmp ? tmp : d->storage_path,
	    d->adv_addr, e);
	free(tmp);
	d->storage_open = rc == 0;
	return rc;
}

/* Every generator is validated before anything is extracted or built. */
static int
validate_all(const struct dr *d, struct err *e)
{
	struct gen_validate_opts vo = { .no_cross_namespace_refs = d->no_cross };

	for (size_t i = 0; i < d->n_gens; i++) {
		const struct generator *g = &d->gens[i];

		if (generator_validate(g, &vo, e) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(d->gens[j].name, g->name) == 0 &&
			    strcmp(d->gens[j].namespace, g->namespace) == 0)
				return err_set(e, "%s %s/%s is given twice in the "
				    "input", GENERATOR_KIND, g->namespace, g->name);
	}
	/* Before any storage or extraction exists: a missing --source must
	 * not leave an empty temp storage behind. */
	for (size_t i = 0; i < d->n_gens; i++) {
		const struct generator *g = &d->gens[i];

		for (size_t j = 0; j < g->n_sources; j++)
			if (!pair_find(d->sources, d->n_sources,
			    g->sources[j].alias))
				return err_set(e, "%s %s/%s: spec.sources[%zu]."
				    "alias '%s': no --source %s=PATH given",
				    GENERATOR_KIND, g->namespace, g->name, j,
				    g->sources[j].alias, g->sources[j].alias);
	}
	return 0;
}

static int
dr_run(struct dr *d, struct err *e)
{
	int rc = -1;

	for (size_t i = 0; i < d->n_files; i++)
		if (load_file(d, d->files[i], e) < 0)
			goto out;
	if (d->n_gens == 0) {
		err_set(e, "no ArtifactGenerator documents in the input");
		goto out;
	}
	if (validate_all(d, e) < 0)
		goto out;
	if ((d->spool = tmpfile()) == NULL) {
		err_sys(e, errno, "cannot create the output spool");
		goto out;
	}
	if (sources_prepare(d, e) < 0 ||
	    storage_open(d, e) < 0)
		goto out;
	for (size_t i = 0; i < d->n_gens; i++)
		if (run_generator(d, i, e) < 0)
			goto out;
	rc = print_output(d, e);
out:
	return rc;
}

static void
dr_free(struct dr *d)
{
	struct err e;

	for (size_t i = 0; i < d->n_src; i++) {
		if (d->src[i].tmpdir != NULL &&
		    fs_tree_remove(AT_FDCWD, d->src[i].tmpdir, &e) != 0)
			fprintf(d->err, "artifact-generator: warning: %s\n",
			    e.msg);
		free(d->src[i].tmpdir);
		free(d->src[i].dir);
		free(d->src[i].revision);
	}
	for (size_t i = 0; i < d->n_gens; i++)
		generator_free(&d->gens[i]);
	free(d->gens);
	json_decref(d->docs);
	if (d->spool != NULL)
		fclose(d->spool);
	config_table_free(dr_flag_table, DR_NFLAGS, &d->flags);
	if (d->storage_open)
		storage_free(&d->storage);
	free(d);
}

int
dryrun_main(int argc, char **argv, FILE *out, FILE *err)
{
	struct dr *d = calloc(1, sizeof(*d));
	struct err e;
	int rc;

	if (d == NULL) {
		fprintf(err, "artifact-generator: out of memory\n");
		return 1;
	}
	d->out = out;
	d->err = err;
	d->algo = DIGEST_SHA256;
	d->docs = json_array();
	d->now = (int64_t)time(NULL);
	rc = args_parse(d, argc, argv);
	if (rc != 0) {
		dr_free(d);
		return rc > 0 ? 0 : 2;
	}
	rc = dr_run(d, &e) < 0 ? 1 : 0;
	if (rc != 0)
		fprintf(err, "artifact-generator: dry-run failed: %s\n", e.msg);
	dr_free(d);
	fflush(err);
	return rc;
}
