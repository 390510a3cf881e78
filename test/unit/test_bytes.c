/*
 * Unit tests for src/base/bytes.c: appends grow the buffer and keep it
 * NUL-terminated; the bound counts the terminator; a refused append leaves
 * the buffer as it was.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"

static void
test_appends_grow_and_terminate(void **state)
{
	char *buf = NULL, chunk[1000];
	size_t len = 0, cap = 0;

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	assert_int_equal(bytes_append(&buf, &len, &cap, 16, 0, "ab", 2), 0);
	assert_int_equal(cap, 16);
	assert_string_equal(buf, "ab");
	for (int i = 0; i < 100; i++)
		assert_int_equal(bytes_append(&buf, &len, &cap, 16, 0, chunk,
		    sizeof(chunk)), 0);
	assert_int_equal(len, 2 + 100 * sizeof(chunk));
	assert_true(cap >= len + 1);
	assert_int_equal(buf[len], '\0');
	assert_int_equal(buf[len - 1], 'x');
	free(buf);
}

static void
test_bound_counts_the_terminator(void **state)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;

	(void)state;
	/* max 8: seven bytes and the NUL fit, an eighth byte does not */
	assert_int_equal(bytes_append(&buf, &len, &cap, 4, 8, "abcdefg", 7), 0);
	assert_int_equal(cap, 8);
	assert_int_equal(bytes_append(&buf, &len, &cap, 4, 8, "h", 1), -1);
	assert_int_equal(len, 7);
	assert_string_equal(buf, "abcdefg");
	assert_int_equal(bytes_append(&buf, &len, &cap, 4, 8, "", 0), 0);
	free(buf);
}

static void
test_empty_append_terminates(void **state)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;

	(void)state;
	assert_int_equal(bytes_append(&buf, &len, &cap, 0, 0, "", 0), 0);
	assert_non_null(buf);
	assert_string_equal(buf, "");
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_appends_grow_and_terminate),
		cmocka_unit_test(test_bound_counts_the_terminator),
		cmocka_unit_test(test_empty_append_terminates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
