/*
 * pool_size: sizes libuv's thread pool through UV_THREADPOOL_SIZE before the
 * first work item starts it (see pool_size.h). No state of its own: the
 * environment is the one place libuv looks.
 */
#include "controller/pool_size.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define POOL_SIZE_ENV "UV_THREADPOOL_SIZE"
#define POOL_SIZE_LIBUV_DEFAULT 4

int
controller_cpu_count(void)
{
	cpu_set_t set;
	long n;

	/* the CPUs this process may run on (as nproc), else those online */
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	else
		n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > CONTROLLER_POOL_SIZE_MAX ?
	    CONTROLLER_POOL_SIZE_MAX : (int)n;
}

int
controller_pool_size(void)
{
	const char *v = getenv(POOL_SIZE_ENV);
	unsigned n;

	if (v == NULL)
		return POOL_SIZE_LIBUV_DEFAULT;
	/* as libuv: atoi into an unsigned, 0 means 1, clamped to the max */
	n = (unsigned)atoi(v);
	if (n == 0)
		n = 1;
	return n > CONTROLLER_POOL_SIZE_MAX ? CONTROLLER_POOL_SIZE_MAX : (int)n;
}

int
controller_pool_size_set(int n)
{
	char buf[16];

	if (getenv(POOL_SIZE_ENV) != NULL)
		return controller_pool_size();
	if (n <= 0) {
		n = controller_cpu_count() + 1;
		if (n < POOL_SIZE_LIBUV_DEFAULT)
			n = POOL_SIZE_LIBUV_DEFAULT;
		if (n > CONTROLLER_POOL_SIZE_DEFAULT_MAX)
			n = CONTROLLER_POOL_SIZE_DEFAULT_MAX;
	}
	if (n > CONTROLLER_POOL_SIZE_MAX)
		n = CONTROLLER_POOL_SIZE_MAX;
	snprintf(buf, sizeof(buf), "%d", n);
	if (setenv(POOL_SIZE_ENV, buf, 0) != 0)
		return -1;
	return controller_pool_size();
}
