/*
 * Unit tests for src/controller/pool_size.c: the pool size is set through
 * UV_THREADPOOL_SIZE only when the user did not set it, and read back the
 * way libuv reads it (0 means 1, above 1024 means 1024, unset means 4).
 */
#include "testutil.h"

#include <stdlib.h>

#include "controller/pool_size.h"

static void
test_set_when_unset_and_keep_the_users(void **state)
{
	(void)state;
	unsetenv("UV_THREADPOOL_SIZE");
	assert_int_equal(controller_pool_size(), 4);
	assert_int_equal(controller_pool_size_set(3), 3);
	assert_string_equal(getenv("UV_THREADPOOL_SIZE"), "3");
	assert_int_equal(controller_pool_size_set(9), 3);	/* kept */
	unsetenv("UV_THREADPOOL_SIZE");
	assert_int_equal(controller_pool_size_set(5000), 1024);
	unsetenv("UV_THREADPOOL_SIZE");
	int def = controller_pool_size_set(0);
	assert_true(def >= 4 && def <= CONTROLLER_POOL_SIZE_DEFAULT_MAX);
	assert_true(def >= controller_cpu_count() + 1 ||
	    def == CONTROLLER_POOL_SIZE_DEFAULT_MAX);
}

static void
test_read_like_libuv(void **state)
{
	(void)state;
	setenv("UV_THREADPOOL_SIZE", "0", 1);
	assert_int_equal(controller_pool_size(), 1);
	setenv("UV_THREADPOOL_SIZE", "abc", 1);
	assert_int_equal(controller_pool_size(), 1);
	setenv("UV_THREADPOOL_SIZE", "4096", 1);
	assert_int_equal(controller_pool_size(), 1024);
	setenv("UV_THREADPOOL_SIZE", "7", 1);
	assert_int_equal(controller_pool_size(), 7);
	unsetenv("UV_THREADPOOL_SIZE");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_when_unset_and_keep_the_users),
		cmocka_unit_test(test_read_like_libuv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
