#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test:
#   1. the unit and end-to-end tests (ctest) on a normal build;
#   2. the same suite on an AddressSanitizer + UndefinedBehaviorSanitizer build;
#   3. every libFuzzer target, briefly (FUZZ_SECONDS each, default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
jobs=$(nproc)

echo "== build and test (gcc, RelWithDebInfo)"
scripts/build.sh build
ctest --test-dir build --output-on-failure -j"$jobs"

echo "== build and test under ASan + UBSan (clang)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
CC=clang scripts/build.sh build-asan -DBRTC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
ctest --test-dir build-asan --output-on-failure -j"$jobs"

echo "== fuzz every parser briefly (clang, libFuzzer)"
CC=clang cmake -S . -B build-fuzz -DBRTC_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j"$jobs" >/dev/null
FUZZ_JOBS="$jobs" scripts/fuzz.sh build-fuzz "${FUZZ_SECONDS:-20}"
