/*
 * cancel: the flag that asks work in progress to stop early, raised on one
 * thread (the loop thread, after a failure) and polled on others (pool
 * threads in copy, dirhash and the tar writer, between files and blocks).
 *
 * A C11 atomic_int. Relaxed order is enough: the flag publishes no data,
 * it only asks for an early "cancelled" error; results and errors travel
 * back through libuv's after-work callback, which synchronises on its own.
 * The owner of the flag (e.g. build_pool) allocates it; readers get a
 * const pointer, NULL meaning "never cancelled".
 */
#ifndef AG_CANCEL_H
#define AG_CANCEL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

typedef atomic_int cancel_flag;

static inline bool
cancel_requested(const cancel_flag *c)
{
	return c != NULL && atomic_load_explicit(c, memory_order_relaxed) != 0;
}

static inline void
cancel_raise(cancel_flag *c)
{
	atomic_store_explicit(c, 1, memory_order_relaxed);
}

#endif
