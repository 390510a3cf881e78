/*
 * testutil: shared helpers for the cmocka suites (see testutil.h).
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *
tu_mkdtemp(void)
{
	const char *tmp = getenv("TMPDIR");
	char *path;

	if (asprintf(&path, "%s/ag-test-XXXXXX", tmp ? tmp : "/tmp") < 0)
		fail_msg("asprintf");
	if (mkdtemp(path) == NULL)
		fail_msg("mkdtemp: %s", strerror(errno));
	return path;
}

void
tu_rmtree(char *path)
{
	int status;
	char *out;

	if (path == NULL)
		return;
	out = tu_run(&status, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'",
	    path, path);
	free(out);
	free(path);
}

char *
tu_path(const char *dir, const char *rel)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, rel) < 0)
		fail_msg("asprintf");
	return p;
}

static void
tu_mkdirs_for(const char *path)
{
	char *copy = strdup(path);
	char *slash;

	for (slash = strchr(copy + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(copy, 0755) != 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", copy, strerror(errno));
		*slash = '/';
	}
	free(copy);
}

void
tu_write(const char *dir, const char *rel, const void *data, size_t len)
{
	char *path = tu_path(dir, rel);
	FILE *f;

	tu_mkdirs_for(path);
	f = fopen(path, "wb");
	if (f == NULL)
		fail_msg("fopen %s: %s", path, strerror(errno));
	if (len > 0 && fwrite(data, 1, len, f) != len)
		fail_msg("fwrite %s", path);
	fclose(f);
	free(path);
}

void
tu_write_str(const char *dir, const char *rel, const char *text)
{
	tu_write(dir, rel, text, strlen(text));
}

void
tu_symlink(const char *dir, const char *rel, const char *target)
{
	char *p = tu_path(dir, rel);

	if (symlink(target, p) != 0)
		fail_msg("symlink %s -> %s: %s", p, target, strerror(errno));
	free(p);
}

char *
tu_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		fail_msg("fopen %s: %s", path, strerror(errno));
	do {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

char *
tu_run(int *status, const char *fmt, ...)
{
	char *cmd, *buf = NULL;
	size_t cap = 0, n = 0, r;
	va_list ap;
	FILE *p;
	int rc;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		fail_msg("vasprintf");
	va_end(ap);
	p = popen(cmd, "r");
	if (p == NULL)
		fail_msg("popen %s", cmd);
	do {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
		}
		r = fread(buf + n, 1, cap - n - 1, p);
		n += r;
	} while (r > 0);
	rc = pclose(p);
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	*status = WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
	free(cmd);
	return buf;
}

void
tu_random_bytes(uint64_t seed, void *buf, size_t len)
{
	uint64_t x = seed ? seed : 0x9e3779b97f4a7c15ULL;
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)(x >> 24);
	}
}
