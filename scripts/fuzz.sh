#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR/fuzz for SECONDS each (FUZZ_SECONDS, default 20),
# seeded from the corpus kept in the repository, fuzz/corpus/<name> (and fuzz_sdp also from the
# real offers in tests/sdp/fixtures, the media container readers from tests/sources/fixtures).
# A crash, leak or timeout fails the run.
#   fuzz.sh [BUILD_DIR] [SECONDS]        BUILD_DIR defaults to build-fuzz (built if missing)
#   FUZZ_SECONDS=600 scripts/fuzz.sh     the long mode: also merges what each target found into
#                                        fuzz/corpus/<name> (minimised: only inputs that add
#                                        coverage) and prints a table of runs and coverage for
#                                        docs/fuzzing.md
# FUZZ_JOBS=N runs N targets at once (default 1; each target is one process).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build-fuzz}"
seconds="${2:-${FUZZ_SECONDS:-20}}"
long=0; [[ $seconds -ge 300 ]] && long=1
if [[ ! -d "$dir/fuzz" ]]; then
  CC=clang cmake -S . -B "$dir" -DBRTC_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build "$dir" -j"$(nproc)" >/dev/null
fi
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

# fuzz_one NAME: runs one target; its summary line goes to $results/NAME.
fuzz_one() {
  local fuzzer=$1 name work seeds
  name=$(basename "$fuzzer")
  work=$(mktemp -d)
  seeds=()
  [[ -d "fuzz/corpus/$name" ]] && seeds=("fuzz/corpus/$name")
  # Real browser offers are the best start for the SDP parser.
  [[ $name == fuzz_sdp ]] && seeds+=(tests/sdp/fixtures)
  # The media files made by Debian's tools for the container readers.
  [[ $name == fuzz_ivf || $name == fuzz_h264_annexb || $name == fuzz_ogg_opus ]] &&
    seeds+=(tests/sources/fixtures)
  mkdir -p "$work/found"
  if "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$work/" -print_final_stats=1 "$work/found" "${seeds[@]}" \
       >"$work/log" 2>&1; then
    local runs cov
    runs=$(grep -Eo 'Done [0-9]+ runs' "$work/log" | grep -Eo '[0-9]+' || echo 0)
    cov=$(grep -Eo 'cov: [0-9]+' "$work/log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
    if ((long)); then  # keep what adds coverage, in the repository's corpus
      mkdir -p "fuzz/corpus/$name"
      "$fuzzer" -merge=1 "fuzz/corpus/$name" "$work/found" >"$work/merge.log" 2>&1 || true
    fi
    echo "ok $name $runs $cov $(ls "fuzz/corpus/$name" 2>/dev/null | wc -l)" >"$results/$name"
    echo "fuzz $name: ok, $runs runs in ${seconds} s, coverage $cov edges"
  else
    echo "FAILED $name" >"$results/$name"
    echo "fuzz $name: FAILED"; tail -30 "$work/log"
  fi
  rm -rf "$work"
}

jobs=${FUZZ_JOBS:-1}
for fuzzer in "$dir"/fuzz/fuzz_*; do
  [[ -x "$fuzzer" && -f "$fuzzer" ]] || continue
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n; done
  fuzz_one "$fuzzer" &
done
wait

ran=$(ls "$results" | wc -l)
# grep -c exits 1 when it counts none: under pipefail that must not end the script.
failed=$(cat "$results"/* 2>/dev/null | grep -c '^FAILED' || true)
if ((long)); then
  echo
  echo "| target | runs in ${seconds} s | runs/s | coverage (edges) | corpus files |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  for f in "$results"/*; do
    read -r state name runs cov files <"$f"
    [[ $state == ok ]] && echo "| $name | $runs | $((runs / seconds)) | $cov | $files |"
  done
fi
echo "fuzz: $((ran - failed)) passed, $failed failed"
[[ $failed -eq 0 && $ran -gt 0 ]]
