#!/usr/bin/env bash
# Installs what is needed, builds, and starts the server: `boltrtc serve` with any options given.
# Builds only the program (no tests or benchmarks), so a small board is not kept waiting.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
BRTC_BUILD_TARGET=boltrtc_app scripts/build.sh build-run -DBUILD_TESTING=OFF
exec build-run/apps/boltrtc serve "$@"
