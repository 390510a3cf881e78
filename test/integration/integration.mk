# Integration programs (test/integration/<name>.c), linked like the unit
# suites against the release library and run against the real control plane
# by their driver scripts (test/integration/<name>.sh), which `make test`
# runs. `make integration-<name>` runs one suite on its own.
$(BUILD)/release/integration/%: $(BUILD)/release/obj/test/integration/%.o $(BUILD)/release/libag.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_release) -o $@ $^ $(LIBS)

integration-%: $(BUILD)/release/integration/% plane-build
	@test/integration/$*.sh

# Script-only suites (a test/integration/<name>.sh without a <name>.c, such
# as controller, controller_smoke, manifests, leader) run bin/artifact-generator
# themselves: `make integration-<name>` builds it first.
INTEGRATION_PROGRAMS := $(patsubst test/integration/%.c,%,$(wildcard test/integration/*.c))
INTEGRATION_SCRIPTS := $(patsubst test/integration/%.sh,%,$(filter-out %_lib.sh,$(wildcard test/integration/*.sh)))
define integration_script_rule
integration-$(1): $$(BIN)/artifact-generator plane-build
	@test/integration/$(1).sh
endef
$(foreach s,$(filter-out $(INTEGRATION_PROGRAMS),$(INTEGRATION_SCRIPTS)),$(eval $(call integration_script_rule,$(s))))

# controller_smoke (and controller_dsf, the same with DirectSourceFetch) parse
# /metrics with promcheck.
integration-controller_smoke: $(BUILD)/tools/promcheck
integration-controller_dsf: $(BUILD)/tools/promcheck
integration-controller_asan: $(BUILD)/tools/promcheck $(BUILD)/asan/bin/artifact-generator
