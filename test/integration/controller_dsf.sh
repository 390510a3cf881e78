#!/usr/bin/env bash
# controller_smoke.sh with --feature-gates=DirectSourceFetch=true: the same
# checks, plus each reconcile GETs its source from the API server.
# Ends with "controller-smoke: N passed, N failed".
AG_SMOKE_GATES=DirectSourceFetch=true exec "$(dirname "$0")/controller_smoke.sh" "$@"
