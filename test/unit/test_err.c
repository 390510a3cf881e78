/*
 * Unit tests for src/base/err.c: messages are formatted, prefixed and truncated
 * safely, and errno text is appended; every error carries a class the
 * reconcile retries by.
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

static void
test_err_default_classes_retry(void **state)
{
	struct err e;

	(void)state;
	e.cls = ERR_TERMINAL;
	err_set(&e, "GET /x: connection refused");
	assert_int_equal(e.cls, ERR_TRANSIENT);
	e.cls = ERR_TERMINAL;
	err_sys(&e, EIO, "read %s", "/x");
	assert_int_equal(e.cls, ERR_TRANSIENT);
	err_sys(&e, ECANCELED, "build %s", "web");
	assert_int_equal(e.cls, ERR_CANCELLED);
	assert_string_equal(e.msg, "build web: Operation canceled");
}

static void
test_err_setc_and_classify(void **state)
{
	struct err e;

	(void)state;
	assert_int_equal(err_setc(&e, ERR_TERMINAL, "spec.artifacts[%d]", 2),
	    -1);
	assert_int_equal(e.cls, ERR_TERMINAL);
	assert_string_equal(e.msg, "spec.artifacts[2]");
	err_set(&e, "409 Conflict");
	assert_int_equal(err_classify(&e, ERR_CONFLICT), -1);
	assert_int_equal(e.cls, ERR_CONFLICT);
	assert_string_equal(e.msg, "409 Conflict");
	assert_int_equal(err_classify(NULL, ERR_CONFLICT), -1);
	assert_int_equal(err_setc(NULL, ERR_TERMINAL, "x"), -1);
}

static void
test_err_prefix_keeps_class(void **state)
{
	struct err e;

	(void)state;
	err_setc(&e, ERR_TERMINAL, "invalid glob");
	err_prefix(&e, "artifact %s", "web");
	assert_int_equal(e.cls, ERR_TERMINAL);
	err_sys(&e, ECANCELED, "copy");
	err_prefix(&e, "generator %s", "ns/a");
	assert_int_equal(e.cls, ERR_CANCELLED);
	assert_string_equal(e.msg, "generator ns/a: copy: Operation canceled");
}

static void
test_err_class_names(void **state)
{
	(void)state;
	assert_string_equal(err_class_name(ERR_TRANSIENT), "transient");
	assert_string_equal(err_class_name(ERR_TERMINAL), "terminal");
	assert_string_equal(err_class_name(ERR_CANCELLED), "cancelled");
	assert_string_equal(err_class_name(ERR_CONFLICT), "conflict");
	assert_string_equal(err_class_name((enum err_class)99), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_set_formats_and_returns_minus_one),
		cmocka_unit_test(test_err_sys_appends_strerror),
		cmocka_unit_test(test_err_prefix_nests_context),
		cmocka_unit_test(test_err_truncates_long_messages),
		cmocka_unit_test(test_err_default_classes_retry),
		cmocka_unit_test(test_err_setc_and_classify),
		cmocka_unit_test(test_err_prefix_keeps_class),
		cmocka_unit_test(test_err_class_names),
	};
	return cmocka_run_group_tests_name("err", tests, NULL, NULL);
}
