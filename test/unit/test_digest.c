/*
 * Unit tests for src/base/digest.c and blake3.c: every algorithm agrees
 * with the reference tools (sha1sum, sha256sum, sha512sum, b3sum) on lengths
 * around block and chunk boundaries and on random data, whatever the update
 * sizes; "<algo>:<hex>" strings round-trip; malformed strings are rejected
 * with messages naming the problem; files verify against expected digests.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/digest.h"

struct ref_tool {
	enum digest_algo algo;
	const char *tool;
};

static const struct ref_tool ref_tools[] = {
	{ DIGEST_SHA1, "sha1sum" },
	{ DIGEST_SHA256, "sha256sum" },
	{ DIGEST_SHA512, "sha512sum" },
	{ DIGEST_BLAKE3, "b3sum" },
};
#define NTOOLS (sizeof(ref_tools) / sizeof(ref_tools[0]))

/* Block (64/128), chunk (1024) and tree (2, 3, 1024+ chunks) boundaries. */
static const size_t boundary_lengths[] = {
	0, 1, 63, 64, 65, 1023, 1024, 1025, 2048, 2049, 3073,
	(1 << 20) + 17,
};
#define NBOUNDARY (sizeof(boundary_lengths) / sizeof(boundary_lengths[0]))

/* "<algo>:<hex>" as computed by the reference tool reading path. */
static void
ref_digest(const struct ref_tool *t, const char *path,
    char out[DIGEST_STRING_MAX])
{
	int status;
	char *hex = tu_run(&status, "%s < '%s' | cut -d' ' -f1", t->tool, path);

	assert_int_equal(status, 0);
	assert_int_equal(strlen(hex), 2 * digest_algo_size(t->algo));
	snprintf(out, DIGEST_STRING_MAX, "%s:%s", digest_algo_name(t->algo),
	    hex);
	free(hex);
}

/* Hashes data fed in pieces of chunk bytes (0: pseudo-random sizes). */
static void
digest_in_pieces(enum digest_algo algo, const uint8_t *data, size_t len,
    size_t chunk, uint64_t seed, char out[DIGEST_STRING_MAX])
{
	struct digest_ctx ctx;
	struct err e;
	size_t off = 0, n;
	uint8_t r[2];

	assert_int_equal(digest_init(&ctx, algo, &e), 0);
	while (off < len) {
		n = chunk;
		if (n == 0) {
			tu_random_bytes(seed++, r, sizeof(r));
			n = ((size_t)r[0] << 8 | r[1]) % 5000;	/* 0 too */
		}
		if (n > len - off)
			n = len - off;
		digest_update(&ctx, data + off, n);
		off += n;
	}
	digest_final_string(&ctx, out);
}

/* Upper-cases the hex digits after the "<algo>:" prefix of s. */
static void
upper_hex(char *s)
{
	char *p = strchr(s, ':');

	for (p = p ? p + 1 : s; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
}

/* Writes len random bytes to dir/name, checks every algorithm (file and
 * one-shot APIs) against the reference tools. */
static void
check_against_tools(const char *dir, size_t len, uint64_t seed)
{
	char name[64], got[DIGEST_STRING_MAX], want[DIGEST_STRING_MAX];
	uint8_t *data = malloc(len ? len : 1);
	struct err e;
	char *path;
	size_t i;

	tu_random_bytes(seed, data, len);
	snprintf(name, sizeof(name), "in-%zu", len);
	tu_write(dir, name, data, len);
	path = tu_path(dir, name);
	for (i = 0; i < NTOOLS; i++) {
		ref_digest(&ref_tools[i], path, want);
		if (digest_file(path, ref_tools[i].algo, got, &e) != 0)
			fail_msg("digest_file %s: %s", path, e.msg);
		if (strcmp(got, want) != 0)
			fail_msg("len %zu: got %s, %s says %s", len, got,
			    ref_tools[i].tool, want);
		digest_in_pieces(ref_tools[i].algo, data, len, len ? len : 1,
		    0, got);
		assert_string_equal(got, want);
	}
	free(path);
	free(data);
}

static void
test_digest_matches_tools_on_boundary_lengths(void **state)
{
	char *dir = tu_mkdtemp();
	size_t i;

	(void)state;
	for (i = 0; i < NBOUNDARY; i++)
		check_against_tools(dir, boundary_lengths[i], 1000 + i);
	tu_rmtree(dir);
}

static void
test_digest_matches_tools_on_random_lengths(void **state)
{
	char *dir = tu_mkdtemp();
	uint8_t r[3];
	size_t len;
	int i;

	(void)state;
	for (i = 0; i < 6; i++) {
		tu_random_bytes(77 + (uint64_t)i, r, sizeof(r));
		len = ((size_t)r[0] << 16 | (size_t)r[1] << 8 | r[2]) % 300000;
		check_against_tools(dir, len, 500 + (uint64_t)i);
	}
	tu_rmtree(dir);
}

/* Every piece size gives the one-shot result on every boundary length. */
static void
test_digest_streaming_is_split_independent(void **state)
{
	static const size_t pieces[] = { 1, 7, 64, 1000, 0 };
	size_t maxlen = boundary_lengths[NBOUNDARY - 1], a, l, p;
	char whole[DIGEST_STRING_MAX], split[DIGEST_STRING_MAX];
	uint8_t *data = malloc(maxlen);

	(void)state;
	for (a = 0; a < NTOOLS; a++) {
		for (l = 0; l < NBOUNDARY; l++) {
			tu_random_bytes(2000 + l, data, boundary_lengths[l]);
			digest_in_pieces(ref_tools[a].algo, data,
			    boundary_lengths[l], boundary_lengths[l], 0, whole);
			for (p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++) {
				digest_in_pieces(ref_tools[a].algo, data,
				    boundary_lengths[l], pieces[p], 3000 + l,
				    split);
				if (strcmp(whole, split) != 0)
					fail_msg("%s len %zu pieces %zu: %s != %s",
					    ref_tools[a].tool,
					    boundary_lengths[l], pieces[p],
					    split, whole);
			}
		}
	}
	free(data);
}

static void
test_digest_algo_names_and_sizes(void **state)
{
	static const size_t sizes[] = { 20, 32, 64, 32 };
	static const char *names[] = { "sha1", "sha256", "sha512", "blake3" };
	enum digest_algo algo;
	struct err e;
	size_t i;

	(void)state;
	for (i = 0; i < NTOOLS; i++) {
		assert_int_equal(digest_algo_parse(names[i], &algo, &e), 0);
		assert_int_equal(algo, ref_tools[i].algo);
		assert_string_equal(digest_algo_name(algo), names[i]);
		assert_int_equal(digest_algo_size(algo), sizes[i]);
		/* The exported list is the supported set, nothing more. */
		assert_string_equal(digest_algo_names[i], names[i]);
	}
	assert_null(digest_algo_names[NTOOLS]);
	assert_int_equal(digest_algo_parse("md5", &algo, &e), -1);
	assert_non_null(strstr(e.msg, "'md5'"));
	assert_non_null(strstr(e.msg, "sha1, sha256, sha512, blake3"));
	assert_int_equal(digest_algo_parse("", &algo, &e), -1);
	assert_int_equal(digest_algo_parse("sha256:", &algo, &e), -1);
}

static void
test_digest_format_parse_round_trip(void **state)
{
	uint8_t raw[DIGEST_RAW_MAX], back[DIGEST_RAW_MAX];
	char s[DIGEST_STRING_MAX], upper[DIGEST_STRING_MAX];
	enum digest_algo algo;
	size_t i, size, prefix;
	struct err e;

	(void)state;
	for (i = 0; i < NTOOLS; i++) {
		size = digest_algo_size(ref_tools[i].algo);
		tu_random_bytes(40 + i, raw, size);
		digest_format(ref_tools[i].algo, raw, s);
		prefix = strlen(digest_algo_name(ref_tools[i].algo)) + 1;
		assert_int_equal(strlen(s), prefix + 2 * size);
		assert_int_equal(strspn(s + prefix, "0123456789abcdef"),
		    2 * size);
		assert_int_equal(digest_parse(s, &algo, back, &e), 0);
		assert_int_equal(algo, ref_tools[i].algo);
		assert_memory_equal(raw, back, size);

		/* Upper-case hex parses to the same bytes. */
		strcpy(upper, s);
		upper_hex(upper);
		assert_string_not_equal(upper, s);
		memset(back, 0, sizeof(back));
		assert_int_equal(digest_parse(upper, &algo, back, &e), 0);
		assert_memory_equal(raw, back, size);
	}
}

/* Expects digest_parse(s) to fail with a message containing each needle. */
static void
expect_parse_error(const char *s, const char *n1, const char *n2,
    const char *n3)
{
	uint8_t raw[DIGEST_RAW_MAX];
	enum digest_algo algo;
	struct err e;

	if (digest_parse(s, &algo, raw, &e) != -1)
		fail_msg("digest_parse accepted '%s'", s);
	if (strstr(e.msg, n1) == NULL || strstr(e.msg, n2) == NULL ||
	    (n3 && strstr(e.msg, n3) == NULL))
		fail_msg("message '%s' lacks '%s' / '%s' / '%s'", e.msg, n1,
		    n2, n3 ? n3 : "");
}

static void
test_digest_parse_errors_name_the_problem(void **state)
{
	char s[DIGEST_STRING_MAX + 8];

	(void)state;
	expect_parse_error("md5:d41d8cd98f00b204e9800998ecf8427e",
	    "unknown algorithm 'md5'", "'md5:d41d8cd98f00b204e9800998ecf8427e'",
	    "sha256");
	expect_parse_error("SHA256:00", "unknown algorithm 'SHA256'",
	    "'SHA256:00'", NULL);
	expect_parse_error(":00", "unknown algorithm ''", "':00'", NULL);
	expect_parse_error("sha256abcdef", "missing ':'", "'sha256abcdef'",
	    NULL);
	expect_parse_error("", "missing ':'", "''", NULL);
	expect_parse_error("sha256:abc", "wrong length", "64 hex digits",
	    "got 3");
	expect_parse_error("sha1:", "wrong length", "40 hex digits", "got 0");
	expect_parse_error("blake3:00", "wrong length", "'blake3:00'", NULL);

	/* A non-hex digit: the message gives the character and its offset. */
	snprintf(s, sizeof(s), "sha1:%039dg", 0);
	expect_parse_error(s, "non-hex character 'g'", "offset 44", s);
	snprintf(s, sizeof(s), "sha1:%039d ", 0);
	expect_parse_error(s, "non-hex character ' '", "offset 44", NULL);
	/* Other bytes are given in hex, and escaped in the quoted string. */
	snprintf(s, sizeof(s), "sha1:%010d\001%029d", 0, 0);
	expect_parse_error(s, "non-hex byte 0x01", "offset 15",
	    "'sha1:0000000000\\x0100");
	snprintf(s, sizeof(s), "sha1:%010d\377%029d", 0, 0);
	expect_parse_error(s, "non-hex byte 0xff", "offset 15", "\\xff0");
	expect_parse_error("sh\ta\\1:00", "unknown algorithm 'sh\\x09a\\x5c1'",
	    "'sh\\x09a\\x5c1:00'", NULL);
	/* A second ':' is not part of the hex. */
	snprintf(s, sizeof(s), "sha1:%020d:%019d", 0, 0);
	expect_parse_error(s, "non-hex character ':'", "offset 25", NULL);
}

static void
test_digest_parse_error_truncates_long_input(void **state)
{
	uint8_t raw[DIGEST_RAW_MAX];
	enum digest_algo algo;
	char *s = malloc(5000);
	struct err e;

	(void)state;
	memset(s, 'a', 4999);
	s[4999] = '\0';
	assert_int_equal(digest_parse(s, &algo, raw, &e), -1);
	assert_non_null(strstr(e.msg, "missing ':'"));
	assert_non_null(strstr(e.msg, "aaaa..."));
	assert_true(strlen(e.msg) < 200);

	memcpy(s, "sha256:", 7);
	assert_int_equal(digest_parse(s, &algo, raw, &e), -1);
	assert_non_null(strstr(e.msg, "'sha256:aaa"));
	assert_non_null(strstr(e.msg, "got 4992"));
	assert_true(strlen(e.msg) < 250);

	/* A long algorithm name is cut too. */
	s[0] = 'x';
	s[4000] = ':';
	assert_int_equal(digest_parse(s, &algo, raw, &e), -1);
	assert_non_null(strstr(e.msg, "unknown algorithm 'x"));
	assert_true(strlen(e.msg) < 300);
	free(s);
}

static void
test_digest_file_verify_match_and_mismatch(void **state)
{
	char *dir = tu_mkdtemp(), *path = tu_path(dir, "artifact.tar.gz");
	char want[DIGEST_STRING_MAX], other[DIGEST_STRING_MAX];
	char upper[DIGEST_STRING_MAX];
	uint8_t data[3000];
	struct err e;
	size_t i, j;

	(void)state;
	tu_random_bytes(9, data, sizeof(data));
	tu_write(dir, "artifact.tar.gz", data, sizeof(data));
	for (i = 0; i < NTOOLS; i++) {
		ref_digest(&ref_tools[i], path, want);
		if (digest_file_verify(path, want, &e) != 0)
			fail_msg("verify %s: %s", want, e.msg);
		strcpy(upper, want);
		upper_hex(upper);
		assert_int_equal(digest_file_verify(path, upper, &e), 0);

		/* One flipped digit: the message names path and both. */
		strcpy(other, want);
		j = strlen(other) - 1;
		other[j] = other[j] == '0' ? '1' : '0';
		assert_int_equal(digest_file_verify(path, other, &e), -1);
		assert_non_null(strstr(e.msg, path));
		assert_non_null(strstr(e.msg, want));
		assert_non_null(strstr(e.msg, other));
		assert_non_null(strstr(e.msg, "mismatch"));
	}

	assert_int_equal(digest_file_verify(path, "sha256:xyz", &e), -1);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, "wrong length"));
	free(path);

	path = tu_path(dir, "missing");
	assert_int_equal(digest_file_verify(path, want, &e), -1);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, "No such file"));
	free(path);
	tu_rmtree(dir);
}

static void
test_digest_file_errors_name_the_path(void **state)
{
	char *dir = tu_mkdtemp(), out[DIGEST_STRING_MAX];
	struct err e;

	(void)state;
	/* A directory opens but cannot be read. */
	assert_int_equal(digest_file(dir, DIGEST_SHA256, out, &e), -1);
	assert_non_null(strstr(e.msg, dir));
	assert_non_null(strstr(e.msg, "Is a directory"));
	tu_rmtree(dir);
}

static volatile sig_atomic_t alarms;

static void
count_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* Child: writes data into the FIFO slowly, in pieces, then exits. */
static void
write_fifo_slowly(const char *fifo, const uint8_t *data, size_t len)
{
	size_t off = 0, n;
	ssize_t w;
	int fd = open(fifo, O_WRONLY);

	if (fd < 0)
		_exit(1);
	while (off < len) {
		n = len - off < 4096 ? len - off : 4096;
		w = write(fd, data + off, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			_exit(1);
		off += (size_t)w;
		usleep(2000);
	}
	close(fd);
	_exit(0);
}

/* Reads interrupted by a signal handler installed without SA_RESTART are
 * retried: the digest of a slowly written FIFO is still right. */
static void
test_digest_file_survives_interrupted_reads(void **state)
{
	char *dir = tu_mkdtemp(), *fifo = tu_path(dir, "pipe");
	char got[DIGEST_STRING_MAX], want[DIGEST_STRING_MAX];
	struct itimerval tick = { { 0, 500 }, { 0, 500 } }, off = { 0 };
	struct sigaction sa = { 0 }, old;
	uint8_t data[64 * 1024];
	int status, rc;
	struct err e;
	pid_t pid;

	(void)state;
	tu_random_bytes(11, data, sizeof(data));
	digest_in_pieces(DIGEST_SHA256, data, sizeof(data), sizeof(data), 0,
	    want);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		write_fifo_slowly(fifo, data, sizeof(data));

	sa.sa_handler = count_alarm;	/* sa_flags 0: no SA_RESTART */
	sigaction(SIGALRM, &sa, &old);
	alarms = 0;
	setitimer(ITIMER_REAL, &tick, NULL);
	rc = digest_file(fifo, DIGEST_SHA256, got, &e);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);

	if (rc != 0)
		kill(pid, SIGKILL);	/* it may still wait for a reader */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc != 0)
		fail_msg("digest_file: %s", e.msg);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(alarms > 0);
	assert_string_equal(got, want);
	free(fifo);
	tu_rmtree(dir);
}

/* Aborting after updates releases the state (checked by ASan). */
static void
test_digest_abort_releases_state(void **state)
{
	struct digest_ctx ctx;
	struct err e;
	size_t i;

	(void)state;
	for (i = 0; i < NTOOLS; i++) {
		assert_int_equal(digest_init(&ctx, ref_tools[i].algo, &e), 0);
		digest_update(&ctx, "abc", 3);
		digest_abort(&ctx);
		assert_null(ctx.state);
		digest_abort(&ctx);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_matches_tools_on_boundary_lengths),
		cmocka_unit_test(test_digest_matches_tools_on_random_lengths),
		cmocka_unit_test(test_digest_streaming_is_split_independent),
		cmocka_unit_test(test_digest_algo_names_and_sizes),
		cmocka_unit_test(test_digest_format_parse_round_trip),
		cmocka_unit_test(test_digest_parse_errors_name_the_problem),
		cmocka_unit_test(test_digest_parse_error_truncates_long_input),
		cmocka_unit_test(test_digest_file_verify_match_and_mismatch),
		cmocka_unit_test(test_digest_file_errors_name_the_path),
		cmocka_unit_test(test_digest_file_survives_interrupted_reads),
		cmocka_unit_test(test_digest_abort_releases_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
