/*
 * replay_main: a plain driver for the libFuzzer targets, so `make test` can
 * replay the committed corpora with gcc and ASan+UBSan, no clang needed.
 * Linked with one test/fuzz/fuzz_*.c (see test/fuzz/replay.mk), it calls
 * LLVMFuzzerTestOneInput once per input: every regular file named on the
 * command line or found directly in a directory named there.
 *
 *   replay_fuzz_NAME PATH...
 *
 * Prints "replay: N inputs" on success and exits 0; a crash is the
 * sanitizer's report and exit status, after a line naming the input on
 * stderr. Exit 2 when a path cannot be read. Owns every buffer it reads.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_MAX_INPUT (64u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads path into a malloc'd buffer (*len bytes); NULL after a message. */
static uint8_t *
replay_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    (unsigned long)n > REPLAY_MAX_INPUT || fseek(f, 0, SEEK_SET) != 0)
		goto fail;
	/* one byte more, so an empty input is a valid pointer too */
	if ((buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n)
		goto fail;
	fclose(f);
	*len = (size_t)n;
	return buf;
fail:
	fprintf(stderr, "replay: cannot read '%s' (%s, at most %u bytes)\n",
	    path, errno ? strerror(errno) : "short read", REPLAY_MAX_INPUT);
	if (f != NULL)
		fclose(f);
	free(buf);
	return NULL;
}

static int
replay_file(const char *path, size_t *count)
{
	size_t len;
	uint8_t *buf = replay_read(path, &len);

	if (buf == NULL)
		return -1;
	fprintf(stderr, "replay: %s\n", path);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	(*count)++;
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file directly in dir, in name order. */
static int
replay_dir(const char *dir, size_t *count)
{
	struct dirent *de;
	char **paths = NULL;
	size_t n = 0, cap = 0;
	DIR *d = opendir(dir);
	int rc = 0;

	if (d == NULL) {
		fprintf(stderr, "replay: cannot open '%s': %s\n", dir,
		    strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char *p;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&p, "%s/%s", dir, de->d_name) < 0) {
			rc = -1;
			break;
		}
		if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(p);
			continue;
		}
		if (n == cap) {
			char **q = realloc(paths, (cap = cap ? cap * 2 : 64) *
			    sizeof(*q));

			if (q == NULL) {
				free(p);
				rc = -1;
				break;
			}
			paths = q;
		}
		paths[n++] = p;
	}
	closedir(d);
	if (n > 0)
		qsort(paths, n, sizeof(*paths), name_cmp);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0)
			rc = replay_file(paths[i], count);
		free(paths[i]);
	}
	free(paths);
	return rc;
}

int
main(int argc, char **argv)
{
	size_t count = 0;
	struct stat st;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		int rc;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: cannot access '%s': %s\n",
			    argv[i], strerror(errno));
			return 2;
		}
		rc = S_ISDIR(st.st_mode) ? replay_dir(argv[i], &count) :
		    replay_file(argv[i], &count);
		if (rc != 0)
			return 2;
	}
	printf("replay: %zu inputs\n", count);
	return 0;
}
