/*
 * test_yaml_emit: the shared emitter (yaml_emit.c) used by yaml_json and
 * yaml_merge: document markers, scalar styles and tags, the output bound.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "base/yaml_emit.h"

static void
test_documents_scalars_and_collections(void **state)
{
	struct yaml_emit y;
	struct err e;
	char *out;
	size_t len;

	(void)state;
	assert_int_equal(yaml_emit_open(&y, 0, &e), 0);
	assert_int_equal(yaml_emit_doc_start(&y, false, &e), 0);
	assert_int_equal(yaml_emit_collection_start(&y, true, &e), 0);
	assert_int_equal(yaml_emit_scalar(&y, NULL, "k", 1,
	    YAML_ANY_SCALAR_STYLE, &e), 0);
	assert_int_equal(yaml_emit_collection_start(&y, false, &e), 0);
	assert_int_equal(yaml_emit_scalar(&y, NULL, "yes", 3,
	    YAML_DOUBLE_QUOTED_SCALAR_STYLE, &e), 0);
	assert_int_equal(yaml_emit_scalar(&y, "tag:yaml.org,2002:str", "1", 1,
	    YAML_ANY_SCALAR_STYLE, &e), 0);
	assert_int_equal(yaml_emit_collection_end(&y, false, &e), 0);
	assert_int_equal(yaml_emit_collection_end(&y, true, &e), 0);
	assert_int_equal(yaml_emit_doc_end(&y, &e), 0);
	assert_int_equal(yaml_emit_close(&y, &out, &len, &e), 0);
	assert_string_equal(out, "---\nk:\n- \"yes\"\n- !!str 1\n");
	assert_int_equal(len, strlen(out));
	free(out);
}

static void
test_empty_stream_is_an_empty_string(void **state)
{
	struct yaml_emit y;
	struct err e;
	char *out = NULL;
	size_t len = 1;

	(void)state;
	assert_int_equal(yaml_emit_open(&y, 0, &e), 0);
	assert_int_equal(yaml_emit_close(&y, &out, &len, &e), 0);
	assert_non_null(out);
	assert_string_equal(out, "");
	assert_int_equal(len, 0);
	free(out);
}

static void
test_output_bound_is_an_error(void **state)
{
	static char big[20000];
	struct yaml_emit y;
	struct err e;
	int rc;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	assert_int_equal(yaml_emit_open(&y, 10000, &e), 0);
	rc = yaml_emit_doc_start(&y, true, &e);
	if (rc == 0)
		rc = yaml_emit_scalar(&y, NULL, big, sizeof(big) - 1,
		    YAML_ANY_SCALAR_STYLE, &e);
	if (rc == 0)
		rc = yaml_emit_doc_end(&y, &e);
	if (rc == 0) {
		char *out = NULL;
		size_t len;

		rc = yaml_emit_close(&y, &out, &len, &e);
		free(out);
	} else {
		yaml_emit_abort(&y);
	}
	assert_int_equal(rc, -1);
	assert_string_equal(e.msg, "cannot emit YAML: output larger than "
	    "10000 bytes");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_documents_scalars_and_collections),
		cmocka_unit_test(test_empty_stream_is_an_empty_string),
		cmocka_unit_test(test_output_bound_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
