# Integration control plane (etcd + kube-apiserver built from the pinned Go
# modules in test/tools/plane, cached outside the repo). Included by the
# Makefile. `plane-up`/`plane-down` are for running tests by hand.
.PHONY: plane-build plane-smoke plane-up plane-down

plane-build:
	@scripts/plane-build.sh

plane-smoke: plane-build
	@test/integration/plane_smoke.sh

plane-up: plane-build
	@scripts/plane-up.sh

plane-down:
	@scripts/plane-down.sh
