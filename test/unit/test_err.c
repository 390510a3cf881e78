/*
 * Unit tests for src/base/err.c: messages are formatted, prefixed and truncated
 * safely, and errno text is appended.
 */
#include "testutil.h"

#include <errno.h>
#include <string.h>

#include "base/err.h"

static void
test_err_set_formats_and_returns_minus_one(void **state)
{
	struct err e;

	(void)state;
	assert_int_equal(err_set(&e, "artifact %s: %d", "web", 3), -1);
	assert_string_equal(e.msg, "artifact web: 3");
}

static void
test_err_sys_appends_strerror(void **state)
{
	struct err e;

	(void)state;
	assert_int_equal(err_sys(&e, ENOENT, "open %s", "/x"), -1);
	assert_string_equal(e.msg, "open /x: No such file or directory");
}

static void
test_err_prefix_nests_context(void **state)
{
	struct err e;

	(void)state;
	err_set(&e, "no match");
	err_prefix(&e, "copy '%s' -> '%s'", "@a/*.yaml", "@artifact/");
	assert_string_equal(e.msg, "copy '@a/*.yaml' -> '@artifact/': no match");
}

static void
test_err_truncates_long_messages(void **state)
{
	char big[3000];
	struct err e;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_set(&e, "%s", big);
	assert_int_equal(strlen(e.msg), ERR_MSG_MAX - 1);
	assert_string_equal(e.msg + ERR_MSG_MAX - 4, "...");
	err_prefix(&e, "p");
	assert_int_equal(strlen(e.msg), ERR_MSG_MAX - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_set_formats_and_returns_minus_one),
		cmocka_unit_test(test_err_sys_appends_strerror),
		cmocka_unit_test(test_err_prefix_nests_context),
		cmocka_unit_test(test_err_truncates_long_messages),
	};
	return cmocka_run_group_tests_name("err", tests, NULL, NULL);
}
