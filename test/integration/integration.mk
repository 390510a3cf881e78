# Integration programs (test/integration/<name>.c), linked like the unit
# suites against the release library and run against the real control plane
# by their driver scripts (test/integration/<name>.sh), which `make test`
# runs. `make integration-<name>` runs one suite on its own.
$(BUILD)/release/integration/%: $(BUILD)/release/obj/test/integration/%.o $(BUILD)/release/libag.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_release) -o $@ $^ $(LIBS)

integration-%: $(BUILD)/release/integration/% plane-build
	@test/integration/$*.sh

# The controller suite is a script only: it runs bin/artifact-generator.
integration-controller: $(BIN)/artifact-generator plane-build
	@test/integration/controller.sh

# controller_smoke also parses /metrics with promcheck.
integration-controller_smoke: $(BIN)/artifact-generator $(BUILD)/tools/promcheck plane-build
	@test/integration/controller_smoke.sh
