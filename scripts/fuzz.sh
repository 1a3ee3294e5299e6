#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR/fuzz for SECONDS each, seeded from fuzz/corpus/<name>
# where that exists (and fuzz_sdp from the real browser offers in tests/sdp/fixtures, the
# container readers from tests/sources/fixtures). A crash, leak or timeout fails the run.
#   fuzz.sh BUILD_DIR [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$1"; seconds="${2:-20}"
failed=0; ran=0
for fuzzer in "$dir"/fuzz/fuzz_*; do
  [[ -x "$fuzzer" && -f "$fuzzer" ]] || continue
  name=$(basename "$fuzzer")
  work=$(mktemp -d)
  seeds=(); [[ -d "fuzz/corpus/$name" ]] && seeds=("fuzz/corpus/$name")
  # Real browser offers are the best start for the SDP parser.
  [[ $name == fuzz_sdp ]] && seeds+=(tests/sdp/fixtures)
  # The media files made by Debian's tools for the container readers.
  [[ $name == fuzz_ivf || $name == fuzz_h264_annexb || $name == fuzz_ogg_opus ]] &&
    seeds+=(tests/sources/fixtures)
  if "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/" \
       "$work" "${seeds[@]}" >"$work/log" 2>&1; then
    echo "fuzz $name: ok, $(grep -Eo 'Done [0-9]+ runs' "$work/log" | grep -Eo '[0-9]+') runs in ${seconds} s"
  else
    echo "fuzz $name: FAILED"; tail -30 "$work/log"; failed=$((failed + 1))
  fi
  ran=$((ran + 1))
  rm -rf "$work"
done
echo "fuzz: $((ran - failed)) passed, $failed failed"
[[ $failed -eq 0 && $ran -gt 0 ]]
