#!/usr/bin/env bash
# Installs libboltrtc from a build folder to a temporary prefix (cmake --install), then builds
# outside programs against that installed copy only, and runs them:
#   - consumer.c with pkg-config (shared, and static from libboltrtc.a);
#   - the same through find_package(boltrtc) in its own CMake project (boltrtc::boltrtc and
#     boltrtc::boltrtc_static);
#   - examples/receive_video.c with pkg-config (built; it needs a browser's offer to run).
# Each program must print the library's version and "consumer ok".
#   install_test.sh BUILD_DIR SOURCE_DIR CC [EXTRA_CFLAGS]
set -euo pipefail
build=$(realpath "$1"); src=$(realpath "$2"); cc=$3; extra=${4:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
version=$(sed -n 's/^#define BOLTRTC_VERSION_STRING "\(.*\)"/\1/p' "$build/include/boltrtc/version.h")
abi=$(sed -n 's/^#define BOLTRTC_ABI_VERSION \([0-9]*\)$/\1/p' "$build/include/boltrtc/version.h")
test -n "$abi" || { echo "FAIL: no BOLTRTC_ABI_VERSION in version.h"; exit 1; }

cmake --install "$build" --prefix "$prefix" >"$tmp/install.log"
pcfile=$(find "$prefix" -name boltrtc.pc)
libdir=$(dirname "$(dirname "$pcfile")")
for f in include/boltrtc/boltrtc.h include/boltrtc/version.h; do
  test -f "$prefix/$f" || { echo "FAIL: $f not installed"; exit 1; }
done
test -f "$libdir/libboltrtc.a" || { echo "FAIL: libboltrtc.a not installed"; exit 1; }
test "$(readlink "$libdir/libboltrtc.so")" = "libboltrtc.so.$abi" ||
  { echo "FAIL: libboltrtc.so is not a link to libboltrtc.so.$abi"; exit 1; }
test -f "$(find "$prefix" -name boltrtcConfigVersion.cmake)" ||
  { echo "FAIL: no boltrtcConfigVersion.cmake"; exit 1; }

run() { # name, program: it runs against the installed library only
  local out
  out=$(env LD_LIBRARY_PATH="$libdir" "$2") || { echo "FAIL: $1 exited $?: $out"; exit 1; }
  grep -q "^boltrtc $version (headers $version)$" <<<"$out" ||
    { echo "FAIL: $1 printed no version $version: $out"; exit 1; }
  grep -q "^consumer ok$" <<<"$out" || { echo "FAIL: $1: $out"; exit 1; }
  echo "ok: $1: $(head -1 <<<"$out")"
}
needs_lib() { # name, program, yes|no: whether it loads libboltrtc.so.$abi
  local has=no
  readelf -d "$2" | grep -q "NEEDED.*libboltrtc\\.so\\.$abi" && has=yes
  test "$has" = "$3" || { echo "FAIL: $1 needs libboltrtc.so.$abi: $has, expected $3"; exit 1; }
}

export PKG_CONFIG_PATH="$libdir/pkgconfig"
test "$(pkg-config --modversion boltrtc)" = "$version" || { echo "FAIL: pkg-config version"; exit 1; }
# shellcheck disable=SC2046,SC2086
"$cc" -std=c17 -Wall -Wextra -Werror $extra "$src/tests/library/consumer/consumer.c" \
  $(pkg-config --cflags --libs boltrtc) -o "$tmp/pc_shared"
needs_lib pkg-config-shared "$tmp/pc_shared" yes
run pkg-config-shared "$tmp/pc_shared"
# Static: the archive by name, and what pkg-config --static says it needs.
static_libs=$(pkg-config --static --libs boltrtc | sed 's/-lboltrtc\b//')
# shellcheck disable=SC2046,SC2086
"$cc" -std=c17 -Wall -Wextra -Werror $extra "$src/tests/library/consumer/consumer.c" \
  $(pkg-config --cflags boltrtc) "$libdir/libboltrtc.a" $static_libs -o "$tmp/pc_static"
needs_lib pkg-config-static "$tmp/pc_static" no
run pkg-config-static "$tmp/pc_static"
# shellcheck disable=SC2046,SC2086
"$cc" -std=c17 -Wall -Wextra -Werror $extra "$src/examples/receive_video.c" \
  $(pkg-config --cflags --libs boltrtc) -o "$tmp/receive_video"
echo "ok: examples/receive_video.c builds with pkg-config"

cmake -S "$src/tests/library/consumer" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$extra" -DCMAKE_BUILD_TYPE=Release \
  >"$tmp/consumer.log" 2>&1 || { cat "$tmp/consumer.log"; echo "FAIL: find_package(boltrtc)"; exit 1; }
cmake --build "$tmp/consumer" >>"$tmp/consumer.log" 2>&1 ||
  { cat "$tmp/consumer.log"; echo "FAIL: building against boltrtc::boltrtc"; exit 1; }
needs_lib find_package-shared "$tmp/consumer/consumer_shared" yes
needs_lib find_package-static "$tmp/consumer/consumer_static" no
run find_package-shared "$tmp/consumer/consumer_shared"
run find_package-static "$tmp/consumer/consumer_static"
