/*
 * pool_size: the size of libuv's thread pool, chosen by the program rather
 * than left to libuv's default of 4.
 *
 * libuv reads UV_THREADPOOL_SIZE once, when the first work item is queued
 * (uv_queue_work, uv_getaddrinfo, uv_fs_* with a callback) in the process.
 * main calls controller_pool_size_set before any such call; builds are then
 * capped at controller_pool_size() - 1 threads and at the CPU count
 * (build_pool.h) so that name resolution, source extraction and tree
 * removal always find a free thread.
 * A value already in the environment (the user's) is kept. Not thread-safe:
 * call it from main before the loop starts.
 */
#ifndef AG_CONTROLLER_POOL_SIZE_H
#define AG_CONTROLLER_POOL_SIZE_H

/* libuv's own bounds (src/threadpool.c: MAX_THREADPOOL_SIZE). */
#define CONTROLLER_POOL_SIZE_MAX 1024
/* Without a request: the CPUs this process may use plus one (for the
 * resolver and extraction), at least libuv's default of 4, at most 17. */
#define CONTROLLER_POOL_SIZE_DEFAULT_MAX 17

/* Sets UV_THREADPOOL_SIZE to n (0: the default above; above the maximum:
 * the maximum) unless it is already set. Returns the effective size, as
 * controller_pool_size() then reports it; -1 when setenv fails. */
int controller_pool_size_set(int n);

/* The pool size libuv will use: UV_THREADPOOL_SIZE read as libuv reads it
 * (a decimal number, 0 meaning 1, clamped to 1..1024), or 4 when unset. */
int controller_pool_size(void);

/* The number of CPUs this process may run on (as nproc), at least 1. */
int controller_cpu_count(void);

#endif
