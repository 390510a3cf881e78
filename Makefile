# artifact-generator build.
#
# `make`            builds bin/artifact-generator (hardened release build)
# `make test`       unit suites (plain and ASan+UBSan), then integration suites,
#                   then end-to-end suites with real Flux (test/e2e)
# `make demo`       the README's end-to-end demo: the controller on a local plane
# `make demo-dryrun` the same examples through --dry-run, offline
# `make fuzz`       every fuzz target for a bounded time
# `make bench-*`    benchmarks that print their figures
#
# Sources are found by globbing: a new src/**/*.c joins the library, a new
# test/unit/test_*.c becomes a suite, a new test/fuzz/fuzz_*.c a fuzz target.
# Every target that needs the Debian dependencies depends on a bootstrap stamp.

SHELL     := /bin/bash
# The machine image ships Go in /usr/local/go (test tooling only: test/tools).
export PATH := $(PATH):/usr/local/go/bin
CC        := gcc
BUILD     := build
BIN       := bin
include vendor/llhttp.mk

PKGS      := libuv yaml-0.1 zlib jansson
LIBS      := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ltar -lmbedtls -lmbedx509 -lmbedcrypto -lm
# The shipped binary is static-pie: the same libraries' static archives
# (from the same -dev packages; libuv1-dev names its archive libuv_a.a) and
# glibc's libc.a. Only the code it uses is mapped at run time (0.7 MiB less
# RSS than with libc.so and the loader, docs/ARCHITECTURE.md "Controller
# memory and throughput"), and the image is the binary alone. glibc 2.36
# builds its files and dns NSS modules into libc.a, which is all the binary
# resolves host names with (/etc/hosts, /etc/resolv.conf; getpwuid and
# getgrgid come in with libtar and libuv objects and are never called), so
# ld's "Using 'getaddrinfo' in statically linked applications requires ...
# shared libraries" warnings do not apply and LINK_STATIC drops them; any
# other ld message is shown. The tests and fuzzers link LIBS.
LIBS_STATIC := -Wl,--gc-sections -luv_a -lyaml -lz -ljansson -ltar -lmbedtls \
             -lmbedx509 -lmbedcrypto
LDFLAGS_static := -static-pie -Wl,-z,relro,-z,now
LD_NSS_WARNING := in statically linked applications requires at runtime the shared libraries from the glibc version used for linking
# LINK_STATIC CMD: runs CMD (shown), its stderr less the NSS warnings above.
define LINK_STATIC
echo '$(1)'; $(1) 2>$@.ld; rc=$$?; awk -v w='$(LD_NSS_WARNING)' \
	'/: in function /{ held = $$0; next } index($$0, w) { held = ""; next } \
	{ if (held != "") print held; held = ""; print } END { if (held != "") print held }' \
	$@.ld >&2; rm -f $@.ld; exit $$rc
endef

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
HARDEN    := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
BASEFLAGS := -std=c17 -D_GNU_SOURCE -g -Isrc -I$(LLHTTP_INC_DIR) \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
HARDEN_LD := -pie -Wl,-z,relro,-z,now

# Per-variant flags: release is what ships, asan is what `make test` also runs.
CFLAGS_release  := $(BASEFLAGS) $(WARN) -O2 $(HARDEN)
LDFLAGS_release := $(HARDEN_LD)
CFLAGS_asan     := $(BASEFLAGS) $(WARN) -O1 -fno-omit-frame-pointer \
                   -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS_asan    := -fsanitize=address,undefined
# fuzz: libFuzzer instrumentation (clang); the entry point is linked per target.
CFLAGS_fuzz     := $(BASEFLAGS) -O1 -fno-omit-frame-pointer \
                   -fsanitize=fuzzer-no-link,address,undefined
LDFLAGS_fuzz    := -fsanitize=fuzzer,address,undefined
CC_release      := $(CC)
CC_asan         := $(CC)
CC_fuzz         := clang

LIB_SRC    := $(sort $(filter-out src/cmd/main.c,$(shell find src -name '*.c')))
TEST_SRC   := $(sort $(wildcard test/unit/test_*.c))
TEST_SUPPORT_SRC := $(sort $(filter-out $(TEST_SRC),$(wildcard test/unit/*.c)))
TEST_NAMES := $(patsubst test/unit/%.c,%,$(TEST_SRC))
BENCH_SRC  := $(sort $(wildcard test/bench/*.c))
FUZZ_SRC   := $(sort $(wildcard test/fuzz/fuzz_*.c))

DEPS_STAMP := $(BUILD)/.bootstrap-test

# The packages must be installed before make reads anything that depends on
# them: the pkg-config lines above and llhttp's sources (a rule whose source
# file is missing is no rule at all). The stamp is an (empty) makefile: make
# remakes included makefiles first, then restarts and reads everything again,
# so a fresh machine's first `make demo` or `make test` sees the installed
# files. `make clean` alone installs nothing.
ifneq ($(filter-out clean,$(or $(MAKECMDGOALS),all)),)
include $(DEPS_STAMP)
endif

.PHONY: all test unit-test demo demo-dryrun fuzz clean deps tools image-check \
        bench-archive bench-build bench-informer bench-controller bench-serve \
        bench-apiserver
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BIN)/artifact-generator

deps: $(DEPS_STAMP)

$(BUILD)/.bootstrap-%: scripts/bootstrap.sh
	@mkdir -p $(BUILD)
	@scripts/bootstrap.sh $*
	@touch $@

# variant_rules(variant): objects, the static library, unit test binaries.
define variant_rules
$(BUILD)/$(1)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $$(@D)
	$$(CC_$(1)) $$(CFLAGS_$(1)) -MMD -MP -c $$< -o $$@

$(BUILD)/$(1)/llhttp/%.o: $(LLHTTP_SRC_DIR)/%.c | $(DEPS_STAMP)
	@mkdir -p $$(@D)
	$$(CC_$(1)) $$(filter-out -Werror -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes,$$(CFLAGS_$(1))) -w -c $$< -o $$@

$(BUILD)/$(1)/libag.a: $(patsubst %.c,$(BUILD)/$(1)/obj/%.o,$(LIB_SRC)) \
                       $(patsubst $(LLHTTP_SRC_DIR)/%.c,$(BUILD)/$(1)/llhttp/%.o,$(LLHTTP_SRC))
	@rm -f $$@
	ar rcs $$@ $$^

$(BUILD)/$(1)/test/%: $(BUILD)/$(1)/obj/test/unit/%.o \
                      $(patsubst %.c,$(BUILD)/$(1)/obj/%.o,$(TEST_SUPPORT_SRC)) $(BUILD)/$(1)/libag.a
	@mkdir -p $$(@D)
	$$(CC_$(1)) $$(LDFLAGS_$(1)) -o $$@ $$^ $$(LIBS) -lcmocka

-include $$(shell find $(BUILD)/$(1)/obj -name '*.d' 2>/dev/null)
endef
$(eval $(call variant_rules,release))
$(eval $(call variant_rules,asan))
$(eval $(call variant_rules,fuzz))

$(BIN)/artifact-generator: $(BUILD)/release/obj/src/cmd/main.o $(BUILD)/release/libag.a
	@mkdir -p $(@D)
	@$(call LINK_STATIC,$(CC) $(LDFLAGS_static) -o $@ $^ $(LIBS_STATIC))

# The controller under ASan+UBSan, for test/integration/controller_asan.sh
# (exits non-zero on a leak or an error report).
$(BUILD)/asan/bin/artifact-generator: $(BUILD)/asan/obj/src/cmd/main.o $(BUILD)/asan/libag.a
	@mkdir -p $(@D)
	$(CC_asan) $(LDFLAGS_asan) -o $@ $^ $(LIBS)

UNIT_release := $(addprefix $(BUILD)/release/test/,$(TEST_NAMES))
UNIT_asan    := $(addprefix $(BUILD)/asan/test/,$(TEST_NAMES))

# Go-built test programs (archive readers, control plane): see test/tools.
tools: $(BUILD)/tools/tarcheck $(BUILD)/tools/promcheck
$(BUILD)/tools/tarcheck: $(shell find test/tools/tarcheck -type f 2>/dev/null)
	@mkdir -p $(@D)
	cd test/tools/tarcheck && go build -o $(CURDIR)/$@ .
# Prometheus' text parser (expfmt), pinned in its go.mod and go.sum.
$(BUILD)/tools/promcheck: $(shell find test/tools/promcheck -type f 2>/dev/null)
	@mkdir -p $(@D)
	cd test/tools/promcheck && go build -o $(CURDIR)/$@ .

include test/tools/plane.mk
include test/integration/integration.mk
include test/e2e/e2e.mk
include test/unit/variants.mk
include test/fuzz/replay.mk

unit-test: $(BIN)/artifact-generator $(UNIT_release) $(UNIT_asan) $(UNIT_tsan) tools
	@scripts/run-unit-tests.sh $(UNIT_release) $(UNIT_asan) $(UNIT_tsan)

# Integration suites: each test/integration/*.sh (but the *_lib.sh they
# source) prints its own summary line.
INTEGRATION := $(sort $(filter-out %_lib.sh,$(wildcard test/integration/*.sh)))
INTEGRATION_DEPS := plane-build $(BUILD)/asan/bin/artifact-generator $(patsubst test/integration/%.c,$(BUILD)/release/integration/%,$(wildcard test/integration/*.c))

test: $(BIN)/artifact-generator $(UNIT_release) $(UNIT_asan) $(UNIT_tsan) $(REPLAY_BINS) tools $(INTEGRATION_DEPS) $(E2E_DEPS)
	@scripts/test.sh $(UNIT_release) $(UNIT_asan) $(UNIT_tsan) -- test/fuzz/replay.sh $(INTEGRATION) $(E2E)

# Benchmarks: each prints its figures against a reference run in the same
# invocation (see scripts/bench-*.sh).
$(BUILD)/release/bench/%: $(BUILD)/release/obj/test/bench/%.o $(BUILD)/release/libag.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_release) -o $@ $^ $(LIBS)

bench-archive: $(BUILD)/.bootstrap-bench $(BUILD)/release/bench/bench_archive
	@scripts/bench-archive.sh $(BUILD)/release/bench/bench_archive

bench-informer: $(BUILD)/.bootstrap-bench $(BUILD)/release/bench/bench_informer plane-build
	@scripts/bench-informer.sh $(BUILD)/release/bench/bench_informer

bench-build: $(BUILD)/.bootstrap-bench $(BIN)/artifact-generator $(BUILD)/release/bench/bench_archive
	@scripts/bench-build.sh $(BUILD)/release/bench/bench_archive

bench-controller: $(BUILD)/.bootstrap-bench $(BIN)/artifact-generator plane-build
	@scripts/bench-controller.sh $(BIN)/artifact-generator

bench-apiserver: $(BUILD)/.bootstrap-bench plane-build
	@scripts/bench-apiserver.sh

bench-serve: $(BUILD)/.bootstrap-bench $(BUILD)/release/bench/bench_serve
	@scripts/bench-serve.sh $(BUILD)/release/bench/bench_serve

# Fuzzing: libFuzzer via clang, each target for FUZZ_SECONDS. The library is
# compiled once with fuzzer instrumentation (variant "fuzz"), then linked with
# each target's entry point.
FUZZ_SECONDS ?= 60
FUZZ_NAMES   := $(patsubst test/fuzz/%.c,%,$(FUZZ_SRC))
$(BUILD)/fuzz/bin/%: $(BUILD)/fuzz/obj/test/fuzz/%.o $(BUILD)/fuzz/libag.a | $(BUILD)/.bootstrap-fuzz
	@mkdir -p $(@D)
	$(CC_fuzz) $(LDFLAGS_fuzz) -o $@ $^ $(LIBS)

fuzz: $(BUILD)/.bootstrap-fuzz
	@$(MAKE) --no-print-directory $(addprefix $(BUILD)/fuzz/bin/,$(FUZZ_NAMES))
	@scripts/run-fuzz.sh $(FUZZ_SECONDS) $(addprefix $(BUILD)/fuzz/bin/,$(FUZZ_NAMES))

# `make demo`: the controller on a private local plane (scripts/demo.sh).
# The banner is printed while make reads this file, so it is the first line
# even on a fresh machine, before the bootstrap and the plane build (once:
# MAKE_RESTARTS is set when make re-reads itself after the bootstrap).
# `make demo-dryrun`: the same examples through --dry-run, offline.
ifneq ($(filter demo,$(MAKECMDGOALS)),)
ifeq ($(MAKE_RESTARTS),)
$(info make demo: the controller end to end on a local control plane. The first run on a fresh machine builds the plane (etcd + kube-apiserver from Go modules): about 15 min on 2 cores, cached for later runs; then the demo takes about 20 s.)
endif
endif
demo: $(BIN)/artifact-generator plane-build
	@scripts/demo.sh

demo-dryrun: $(BIN)/artifact-generator
	@scripts/demo-dryrun.sh

# The Containerfile against ldd of the binary and bootstrap.sh's build list
# (no container engine needed).
image-check: $(BIN)/artifact-generator
	@scripts/image-check.sh $(BIN)/artifact-generator

clean:
	rm -rf $(BUILD) $(BIN)
