/*
 * test_pack: base/pack's one-block deep copy, as the informers' projections
 * use it: every string and array is copied into the block, NULLs and empty
 * arrays stay NULL, the original is left as it was, and one free() releases
 * all of it (ASan checks the last). Shared strings: a value from the
 * caller's table of common strings is that table's pointer, not a copy,
 * and a string that ends another packed one points into that copy.
 */
#include "testutil.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/pack.h"

struct item {
	char *name;
	int64_t n;
};

struct obj {
	char *a, *b;		/* b NULL */
	struct item *items;
	size_t n_items;
	char **none;		/* NULL array */
};

static void
relocate(struct pack *k, void *p)
{
	struct obj *o = p;

	o->a = pack_str(k, o->a);
	o->b = pack_str(k, o->b);
	o->items = pack_mem(k, o->items, o->n_items * sizeof(*o->items));
	for (size_t i = 0; i < o->n_items; i++)
		o->items[i].name = pack_str(k, o->items[i].name);
	o->none = pack_mem(k, o->none, 0);
}

static bool
inside(const void *base, size_t len, const void *p)
{
	return (const char *)p >= (const char *)base &&
	    (const char *)p < (const char *)base + len;
}

static void
test_pack_copies_into_one_block(void **state)
{
	char a[] = "generator", n0[] = "x", n1[] = "second item";
	struct item items[2] = { { n0, 1 }, { n1, 2 } };
	struct obj o = { a, NULL, items, 2, NULL };
	struct obj *p;

	(void)state;
	p = pack_run(&o, sizeof(o), relocate);
	assert_non_null(p);
	assert_string_equal(p->a, "generator");
	assert_null(p->b);
	assert_null(p->none);
	assert_int_equal(p->n_items, 2);
	assert_string_equal(p->items[1].name, "second item");
	assert_int_equal(p->items[1].n, 2);
	assert_int_equal((uintptr_t)p->items % 8, 0);
	/* everything reachable lies in the block, nothing in the original */
	assert_true(inside(p, 4096, p->a) && p->a != a);
	assert_true(inside(p, 4096, p->items) && p->items != items);
	assert_true(inside(p, 4096, p->items[0].name));
	/* the original is unchanged */
	assert_ptr_equal(o.a, a);
	assert_ptr_equal(o.items, items);
	assert_ptr_equal(items[0].name, n0);
	free(p);
}

struct shared {
	char *kind;		/* common */
	char *other;		/* not common */
	char *revision;
	char *digest;		/* the tail of revision */
	char *mismatch;		/* not a tail of revision */
};

static const char *const common[] = { "GitRepository", "Bucket", NULL };

static void
relocate_shared(struct pack *k, void *p)
{
	struct shared *o = p;

	o->kind = pack_str_common(k, o->kind, common);
	o->other = pack_str_common(k, o->other, common);
	o->revision = pack_str(k, o->revision);
	o->digest = pack_str_tail(k, o->digest, o->revision);
	o->mismatch = pack_str_tail(k, o->mismatch, o->revision);
}

static void
test_pack_shares_common_strings_and_tails(void **state)
{
	char kind[] = "Bucket", other[] = "Buckets";
	char rev[] = "latest@sha256:abcd", dig[] = "sha256:abcd";
	char mis[] = "sha256:abce";
	struct shared o = { kind, other, rev, dig, mis }, *p;
	size_t rlen = strlen(rev);

	(void)state;
	p = pack_run(&o, sizeof(o), relocate_shared);
	assert_non_null(p);
	assert_ptr_equal(p->kind, common[1]);
	assert_string_equal(p->other, "Buckets");
	assert_true(inside(p, 4096, p->other));
	assert_string_equal(p->revision, rev);
	assert_true(inside(p, 4096, p->revision));
	/* no copy: the tail of the block's revision */
	assert_ptr_equal(p->digest, p->revision + rlen - strlen(dig));
	assert_string_equal(p->digest, "sha256:abcd");
	assert_string_equal(p->mismatch, "sha256:abce");
	assert_true(inside(p, 4096, p->mismatch));
	assert_true(p->mismatch < p->revision || p->mismatch >= p->revision +
	    rlen);
	free(p);
}

static void
test_pack_shared_strings_shrink_the_block(void **state)
{
	char kind[] = "GitRepository", other[] = "x";
	char rev[] = "latest@sha256:abcd", dig[] = "sha256:abcd";
	struct shared o = { kind, other, rev, dig, NULL };
	struct pack k = { NULL, sizeof(o) };

	(void)state;
	/* counting: only the struct, "x" and the revision take room, and
	 * the walk leaves the original's pointers as they were */
	relocate_shared(&k, &o);
	assert_ptr_equal(o.kind, kind);
	assert_ptr_equal(o.digest, dig);
	assert_int_equal(k.off, sizeof(o) + strlen(other) + 1 + strlen(rev) +
	    1);
	/* NULL stays NULL either way */
	assert_null(pack_str_common(&k, NULL, common));
	assert_null(pack_str_tail(&k, NULL, rev));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pack_copies_into_one_block),
		cmocka_unit_test(test_pack_shares_common_strings_and_tails),
		cmocka_unit_test(test_pack_shared_strings_shrink_the_block),
	};

	return cmocka_run_group_tests_name("pack", tests, NULL, NULL);
}
