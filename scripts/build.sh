#!/usr/bin/env bash
# Builds the C code and the page (CMake runs tsc, web/CMakeLists.txt) into build/ (or the folder
# given).
#   build.sh [BUILD_DIR] [extra cmake args...]
# BRTC_BUILD_TARGET=boltrtc_app builds only the program (what scripts/run.sh needs).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"; shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)" ${BRTC_BUILD_TARGET:+--target "$BRTC_BUILD_TARGET"}
