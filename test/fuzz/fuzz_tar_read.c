/*
 * Fuzz target for targz_extract_fd: arbitrary bytes are extracted into a
 * scratch directory with small limits. Any input must either extract or fail
 * with a non-empty message, never crash, leak or write outside the scratch
 * directory; no temp file may survive. The scratch directory is emptied after
 * every input.
 */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "archive/tar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_root[64];	/* <tmp>/fuzz-tar-XXXXXX/target lives here */

/* At exit the scratch directory is empty (every input empties it). */
static void
fuzz_root_remove(void)
{
	(void)rmdir(fuzz_root);
}

static int
fuzz_rm(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)f;
	if (strstr(path, ".ag-extract.tmp-") != NULL)
		abort();	/* a temp file survived extraction */
	if (type == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tar_read_limits lim = { .max_bytes = 1 << 20,
	    .max_entries = 64 };
	char target[96];
	struct err e;
	int fd, rc;

	if (fuzz_root[0] == '\0') {
		snprintf(fuzz_root, sizeof(fuzz_root), "/tmp/fuzz-tar-XXXXXX");
		if (mkdtemp(fuzz_root) == NULL)
			abort();
		atexit(fuzz_root_remove);
	}
	snprintf(target, sizeof(target), "%s/target", fuzz_root);
	if (mkdir(target, 0750) != 0)
		abort();
	fd = memfd_create("fuzz-tar", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size ||
	    lseek(fd, 0, SEEK_SET) != 0)
		abort();
	e.msg[0] = '\0';
	rc = targz_extract_fd(fd, target, &lim, &e);
	close(fd);
	if (rc != 0 && e.msg[0] == '\0')
		abort();
	if (nftw(target, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS) != 0)
		abort();
	/* Nothing but target/ (now removed) may have appeared. */
	if (rmdir(fuzz_root) != 0 || mkdir(fuzz_root, 0700) != 0)
		abort();
	return 0;
}
