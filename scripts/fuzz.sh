#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR/fuzz for SECONDS each (FUZZ_SECONDS, default 20),
# seeded from the corpus kept in the repository, fuzz/corpus/<name> (and fuzz_sdp also from the
# real offers in tests/sdp/fixtures, the media container readers from tests/sources/fixtures).
# A crash, leak or timeout fails the run; its input is kept in BUILD_DIR/fuzz-artifacts/.
#   fuzz.sh [BUILD_DIR] [SECONDS]        BUILD_DIR defaults to build-fuzz (built if missing)
#   FUZZ_SECONDS=600 scripts/fuzz.sh     the long mode: also merges what each target found into
#                                        fuzz/corpus/<name> (minimised: only inputs that add
#                                        edges) and prints a table of runs, CPU seconds and
#                                        coverage for docs/fuzzing.md. FUZZ_LONG=1 asks for it
#                                        at any length. Under `chrt -i 0` (SCHED_IDLE) a long
#                                        session takes only CPU nobody else wants.
#   FUZZ_TARGETS="fuzz_rtcp=300 fuzz_pc=60 fuzz_sdp"
#                                        only these targets, each for its own seconds (the
#                                        default SECONDS when none is given), in this order
# FUZZ_JOBS=N runs N targets at once (default 1; each target is one process). FUZZ_FLAGS are
# libFuzzer flags for every target (default -entropic=0; FUZZ_FLAGS= gives libFuzzer's own).
# docs/fuzzing.md says how to run one target by hand and how to reproduce a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build-fuzz}"
seconds="${2:-${FUZZ_SECONDS:-20}}"
long=${FUZZ_LONG:-0}; [[ $seconds -ge 300 ]] && long=1
if [[ ! -d "$dir/fuzz" ]]; then
  CC=clang cmake -S . -B "$dir" -DBRTC_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build "$dir" -j"$(nproc)" >/dev/null
fi
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
artifacts="$dir/fuzz-artifacts"

# fuzz_one NAME SECONDS: runs one target; its summary line goes to $results/NAME.
fuzz_one() {
  local fuzzer=$1 secs=$2 name work seeds
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
  local ok=0
  # Its CPU seconds too: under SCHED_IDLE (chrt -i 0) or beside other work, a target gets less
  # than a core, so runs per CPU second is its real rate and runs per second only a floor.
  # -entropic=0 (FUZZ_FLAGS): with thousands of features, as fuzz_ice, fuzz_pc or fuzz_http
  # have, libFuzzer's entropic scheduler (clang 14) spent half of every run in
  # InputCorpus::UpdateFeatureFrequency (perf); the plain one ran fuzz_ice 3 times as many
  # inputs per CPU second and reached as many features. Scheduling only: each input's outcome
  # still depends on its file alone.
  # shellcheck disable=SC2086  # FUZZ_FLAGS is a list of flags
  /usr/bin/time -f '%U %S' -o "$work/cpu" \
    "$fuzzer" ${FUZZ_FLAGS--entropic=0} -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/" -print_final_stats=1 "$work/found" "${seeds[@]}" \
    >"$work/log" 2>&1 && ok=1
  local runs cov ft cpu
  runs=$(grep -Eo 'number_of_executed_units: [0-9]+' "$work/log" | grep -Eo '[0-9]+' || echo 0)
  cpu=$(awk 'END { if (NF == 2) printf "%d", $1 + $2 + 0.5; else print 0 }' "$work/cpu" \
        2>/dev/null || echo 0)
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$work/log" | tail -1 | grep -Eo '[0-9]+' |
        paste -sd/ || echo 0/0)
  if ((ok)); then
    if ((long)); then  # keep what adds coverage, in the repository's corpus
      mkdir -p "fuzz/corpus/$name"
      # New edges only (-use_counters=0): merging by libFuzzer's finer features kept 4,438
      # files (8.6 MB) after one session, by edges 1,243 (1.5 MB) with the same edges.
      "$fuzzer" -merge=1 -use_counters=0 "fuzz/corpus/$name" "$work/found" >"$work/merge.log" \
        2>&1 || true
    fi
    echo "ok $name $secs ${runs:-0} ${cov:-0/0} $(ls "fuzz/corpus/$name" 2>/dev/null | wc -l)" \
      "${cpu:-0}" >"$results/$name"
    echo "fuzz $name: ok, ${runs:-0} runs in ${secs} s, coverage (cov/ft) ${cov:-0/0}"
  else
    mkdir -p "$artifacts"
    cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$artifacts/" 2>/dev/null ||
      true
    echo "FAILED $name $secs ${runs:-0} ${cov:-0/0} - ${cpu:-0}" >"$results/$name"
    echo "fuzz $name: FAILED (input kept in $artifacts/)"; tail -30 "$work/log"
  fi
  rm -rf "$work"
}

plan=()
if [[ -n ${FUZZ_TARGETS:-} ]]; then
  for item in $FUZZ_TARGETS; do plan+=("$dir/fuzz/${item%%=*}=$([[ $item == *=* ]] &&
    echo "${item#*=}" || echo "$seconds")"); done
else
  for fuzzer in "$dir"/fuzz/fuzz_*; do
    [[ -x "$fuzzer" && -f "$fuzzer" ]] && plan+=("$fuzzer=$seconds")
  done
fi

jobs=${FUZZ_JOBS:-1}
for item in "${plan[@]}"; do
  [[ -x "${item%%=*}" ]] || { echo "fuzz: no target ${item%%=*}"; exit 1; }
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
  fuzz_one "${item%%=*}" "${item#*=}" &
done
wait

ran=$(ls "$results" | wc -l)
# grep -c exits 1 when it counts none: under pipefail that must not end the script.
failed=$(cat "$results"/* 2>/dev/null | grep -c '^FAILED' || true)
if ((long)); then
  echo
  echo "| target | seconds | CPU s | runs | runs/s | runs/CPU s | coverage (cov/ft) | corpus files | result |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  for f in "$results"/*; do
    read -r state name secs runs cov files cpu <"$f"
    echo "| $name | $secs | $cpu | $runs | $((runs / secs)) | $((runs / (cpu > 0 ? cpu : 1))) |" \
      "$cov | $files | $state |"
  done
fi
echo "fuzz: $((ran - failed)) passed, $failed failed"
[[ $failed -eq 0 && $ran -gt 0 ]]
