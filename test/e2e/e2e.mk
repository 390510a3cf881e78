# End-to-end suites (test/e2e/*.sh, but the *_lib.sh they source): real Flux
# controllers, built from the pinned Go modules in test/tools/flux by
# scripts/flux-build.sh into the cache beside the plane's binaries, against
# the private plane. `make test` runs them after the integration suites;
# `make e2e-<name>` runs one on its own (e.g. make e2e-flux_compose).
# Included by the Makefile.
.PHONY: flux-build

E2E := $(sort $(filter-out %_lib.sh,$(wildcard test/e2e/*.sh)))
E2E_DEPS := plane-build flux-build

flux-build:
	@scripts/flux-build.sh

e2e-%: $(BIN)/artifact-generator $(E2E_DEPS)
	@test/e2e/$*.sh
