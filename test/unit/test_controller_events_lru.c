/*
 * Unit tests for src/controller/events_lru.c, the bounded caches behind the
 * event recorder's folding of repeats and its per-object budget: every key
 * stays findable while the table grows with the entries, the table stays
 * near the number of entries (not the capacity: a recorder of 4096 that
 * saw 1000 objects), and past the capacity the least recent entry goes.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "controller/events_int.h"

struct entry {
	struct ev_lru_node node;	/* first */
	int id;
};

static int evicted;

static void
evict(struct ev_lru_node *n, void *data)
{
	(void)data;
	evicted++;
	free(n);
}

static void
key_of(uint8_t key[EV_KEY_LEN], int id)
{
	char s[16];
	const char *parts[1] = { s };

	snprintf(s, sizeof(s), "obj-%d", id);
	ev_key(key, parts, 1);
}

static void
add(struct ev_lru *l, int id)
{
	struct entry *en = calloc(1, sizeof(*en));

	assert_non_null(en);
	en->id = id;
	key_of(en->node.key, id);
	ev_lru_add(l, &en->node);
}

static int
find(struct ev_lru *l, int id)
{
	uint8_t key[EV_KEY_LEN];
	struct ev_lru_node *n;

	key_of(key, id);
	n = ev_lru_get(l, key);
	return n ? ((struct entry *)(void *)n)->id : -1;
}

static void
test_table_grows_with_the_entries(void **state)
{
	struct ev_lru l;
	struct err e;

	(void)state;
	evicted = 0;
	assert_int_equal(ev_lru_init(&l, 4096, evict, NULL, &e), 0);
	assert_int_equal(l.nbuckets, EV_LRU_BUCKETS_MIN);
	for (int i = 0; i < 1000; i++)
		add(&l, i);
	/* at most twice the entries, not the 4096 of the capacity */
	assert_true(l.nbuckets >= 512 && l.nbuckets <= 1024);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(find(&l, i), i);
	assert_int_equal(find(&l, 1000), -1);
	assert_int_equal(evicted, 0);
	ev_lru_free(&l);
	assert_int_equal(evicted, 1000);
}

static void
test_least_recent_goes_past_the_capacity(void **state)
{
	struct ev_lru l;
	struct err e;

	(void)state;
	evicted = 0;
	assert_int_equal(ev_lru_init(&l, 100, evict, NULL, &e), 0);
	for (int i = 0; i < 100; i++)
		add(&l, i);
	/* 0 used again: 1 is now the least recent */
	assert_int_equal(find(&l, 0), 0);
	add(&l, 100);
	assert_int_equal(evicted, 1);
	assert_int_equal(find(&l, 1), -1);
	assert_int_equal(find(&l, 0), 0);
	assert_int_equal(find(&l, 100), 100);
	/* the table never outgrows the capacity's power of two */
	for (int i = 101; i < 400; i++)
		add(&l, i);
	assert_int_equal(l.n, 100);
	assert_true(l.nbuckets <= 128);
	for (int i = 300; i < 400; i++)
		assert_int_equal(find(&l, i), i);
	ev_lru_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_grows_with_the_entries),
		cmocka_unit_test(test_least_recent_goes_past_the_capacity),
	};

	return cmocka_run_group_tests_name("events_lru", tests, NULL, NULL);
}
