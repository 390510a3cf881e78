/*
 * main: parses flags, wires the modules together and runs the loop.
 *
 * For now: flags and environment (config), logging (log), one startup line
 * with the effective settings, then "no controller yet" and exit 0. Exit
 * codes: 0 success or --help, 1 runtime failure, 2 usage error (one line on
 * stderr naming the flag and the problem). Only main prints usage errors and
 * exits; the modules report through struct err.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/config.h"
#include "cmd/dryrun.h"
#include "controller/pool_size.h"
#include "base/log.h"

#define PROG "artifact-generator"

extern char **environ;

/* Turns the validated enum strings into logger settings and starts it. */
static int
main_log_start(const struct config *cfg, struct err *e)
{
	enum log_encoding encoding;
	enum log_level level;

	if (log_level_parse(cfg->log_level, &level, e) < 0 ||
	    log_encoding_parse(cfg->log_encoding, &encoding, e) < 0)
		return -1;
	log_init(level, encoding, stderr);
	return 0;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct err e;
	json_t *fields;
	int rc;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--dry-run") == 0)
			return dryrun_main(argc, argv, stdout, stderr);
	/* before any uv work: libuv sizes its pool once (pool_size.h) */
	if (controller_pool_size_set(0) < 0) {
		fprintf(stderr, PROG ": set UV_THREADPOOL_SIZE: out of memory\n");
		return 1;
	}
	rc = config_parse(&cfg, argc, argv, environ, &e);
	if (rc == CONFIG_HELP) {
		config_help(stdout);
		config_free(&cfg);
		return 0;
	}
	if (rc < 0 || main_log_start(&cfg, &e) < 0) {
		fprintf(stderr, PROG ": %s\n", e.msg);
		config_free(&cfg);
		return 2;
	}
	fields = config_json(&cfg);
	log_fields(LOG_INFO, "setup", NULL, "starting " PROG, fields);
	json_decref(fields);
	log_msg(LOG_INFO, "setup", NULL, "no controller yet", NULL);
	config_free(&cfg);
	return 0;
}
