#!/usr/bin/env bash
# controller_smoke.sh with the controller built under ASan+UBSan
# (build/asan/bin/artifact-generator): the same checks, and its exit on
# SIGTERM must be 0, so nothing leaked and no error was reported while it
# watched, built, published, collected and shut down (LeakSanitizer and
# UBSan make the exit status non-zero).
# Ends with "controller-smoke: N passed, N failed".
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export AG_BIN=$ROOT/build/asan/bin/artifact-generator
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec "$(dirname "$0")/controller_smoke.sh" "$@"
