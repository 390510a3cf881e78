# Extra build variants of the unit suites (included by the Makefile after
# variant_rules is defined).
#
# tsan: ThreadSanitizer (-fsanitize=thread, gcc) for the code that runs on
# several threads: the build pool (src/controller/build_pool.c) and the dry-run that
# drives it, run in-process by test_dryrun. Its own objects and libag.a under
# build/tsan; `make unit-test` and `make test` run the suites listed in
# TSAN_TESTS. TSan reports fail the suite (halt_on_error, exit code 66).

CFLAGS_tsan  := $(BASEFLAGS) $(WARN) -O1 -g -fno-omit-frame-pointer \
                -fsanitize=thread
LDFLAGS_tsan := -fsanitize=thread
CC_tsan      := $(CC)
$(eval $(call variant_rules,tsan))

TSAN_TESTS := test_dryrun test_build_pool
UNIT_tsan  := $(addprefix $(BUILD)/tsan/test/,$(filter $(TSAN_TESTS),$(TEST_NAMES)))
export TSAN_OPTIONS ?= halt_on_error=1 exitcode=66 second_deadlock_stack=1
