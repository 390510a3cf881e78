/*
 * bench_archive: archives a directory with tar_write_dir (sha256 digest, gzip
 * level 6 unless -l N) and prints one line with the wall time, the archive's
 * size and digest, and the peak RSS. Driven by scripts/bench-archive.sh,
 * which compares it with tar | gzip | sha256sum.
 *
 * Peak RSS: peak_rss_kib is VmHWM from /proc/self/status, the high-water mark
 * of this program image. getrusage's ru_maxrss is printed too, but on Linux
 * it survives exec: a program spawned by a large parent (python's subprocess
 * vforks) reports the parent's RSS there, not its own.
 *
 * usage: bench_archive [-l LEVEL] DIR OUT.tar.gz
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "archive/tar.h"

static long
bench_vmhwm_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

int
main(int argc, char **argv)
{
	struct tar_write_opts opts = { .algo = DIGEST_SHA256, .level = 6 };
	struct tar_write_result res;
	struct timespec t0, t1;
	struct rusage ru;
	struct err e;
	int c;

	while ((c = getopt(argc, argv, "l:")) != -1) {
		if (c != 'l')
			goto usage;
		opts.level = atoi(optarg);
	}
	if (argc - optind != 2)
		goto usage;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (tar_write_dir(argv[optind], argv[optind + 1], &opts, &res,
	    &e) != 0) {
		fprintf(stderr, "bench_archive: %s\n", e.msg);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru);
	printf("seconds=%.4f size=%llu digest=%s peak_rss_kib=%ld "
	    "ru_maxrss_kib=%ld\n", (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	    (unsigned long long)res.size, res.digest, bench_vmhwm_kib(),
	    ru.ru_maxrss);
	return 0;
usage:
	fprintf(stderr, "usage: bench_archive [-l LEVEL] DIR OUT.tar.gz\n");
	return 2;
}
