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
# FUZZ_RUNS=N stops a target after N inputs (e.g. 10000000) even before its seconds are up.
# FUZZ_JOBS=N runs N targets at once (default 1; each target is one process). FUZZ_FLAGS are
# libFuzzer flags for every target (by default -entropic=0 for the few that run faster so).
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
plain_scheduler="fuzz_ice fuzz_pc fuzz_http fuzz_sctp_assoc"
# ASan holds freed memory back (its quarantine, 256 MB by default) to catch a use after free;
# every input's allocations then land on memory not touched for a while, and the page faults
# and madvise calls were a fifth to a third of fuzz_stun's and fuzz_pc's time (perf). 16 MB
# is still many times what one input frees (under 1 MB for the largest inputs of fuzz_pc and
# fuzz_http, ASan's print_stats), so a use after free within an input is caught as before; fuzz_stun runs 1.6 times as many inputs per CPU
# second, fuzz_pc 1.4 times (docs/fuzzing.md). An ASAN_OPTIONS of the caller's wins.
export ASAN_OPTIONS=${ASAN_OPTIONS-quarantine_size_mb=16}

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
  # -entropic=0 for the targets with many features (fuzz_ice, fuzz_pc, fuzz_http and
  # fuzz_sctp_assoc: 9,000 to 20,000): there libFuzzer's entropic scheduler (clang 14) spent
  # half of every run in InputCorpus::UpdateFeatureFrequency (perf), and the plain one runs
  # 1.7 to 3.2 times as many inputs per CPU second to as many features (docs/fuzzing.md).
  # Elsewhere it gained nothing, so entropic stays. Scheduling only: an input's outcome
  # depends on its file alone.
  local flags=""
  [[ " $plain_scheduler " == *" $name "* ]] && flags="-entropic=0"
  # shellcheck disable=SC2086  # flags are a list
  /usr/bin/time -f '%e %U %S' -o "$work/cpu" \
    "$fuzzer" ${FUZZ_FLAGS-$flags} ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} -max_total_time="$secs" \
    -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/" -print_final_stats=1 "$work/found" "${seeds[@]}" \
    >"$work/log" 2>&1 && ok=1
  # SIGINT to the target (to end a long session early) makes libFuzzer stop cleanly with exit
  # code 72 (-interrupted_exit_code): no input failed, so it counts and its finds are merged.
  ((ok)) || ! grep -q 'libFuzzer: run interrupted; exiting' "$work/log" || ok=1
  local runs cov ft cpu wall
  runs=$(grep -Eo 'number_of_executed_units: [0-9]+' "$work/log" | grep -Eo '[0-9]+' || echo 0)
  cpu=$(awk 'END { if (NF == 3) printf "%d", $2 + $3 + 0.5; else print 0 }' "$work/cpu" \
        2>/dev/null || echo 0)
  wall=$(awk 'END { if (NF == 3) printf "%d", $1 + 0.5; else print 0 }' "$work/cpu" \
         2>/dev/null || echo 0)
  ((wall > 0)) || wall=$secs
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
    echo "ok $name $wall ${runs:-0} ${cov:-0/0} $(ls "fuzz/corpus/$name" 2>/dev/null | wc -l)" \
      "${cpu:-0}" >"$results/$name"
    echo "fuzz $name: ok, ${runs:-0} runs in ${wall} s (${cpu:-0} s of CPU), coverage (cov/ft)" \
      "${cov:-0/0}"
  else
    mkdir -p "$artifacts"
    cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$artifacts/" 2>/dev/null ||
      true
    echo "FAILED $name $wall ${runs:-0} ${cov:-0/0} - ${cpu:-0}" >"$results/$name"
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
# FUZZ_UNTIL (a time `date -d` reads, e.g. 12:58): no target runs past it; one that would
# start within a minute of it is left out (and said so).
until_s=0
[[ -n ${FUZZ_UNTIL:-} ]] && until_s=$(date -d "$FUZZ_UNTIL" +%s)
for item in "${plan[@]}"; do
  [[ -x "${item%%=*}" ]] || { echo "fuzz: no target ${item%%=*}"; exit 1; }
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
  secs=${item#*=}
  if ((until_s)); then
    left=$((until_s - $(date +%s)))
    ((left < 60)) && { echo "fuzz $(basename "${item%%=*}"): left out, FUZZ_UNTIL reached"; continue; }
    ((secs > left)) && secs=$left
  fi
  fuzz_one "${item%%=*}" "$secs" &
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
    ((secs > 0)) || secs=1
    echo "| $name | $secs | $cpu | $runs | $((runs / secs)) | $((runs / (cpu > 0 ? cpu : 1))) |" \
      "$cov | $files | $state |"
  done
fi
echo "fuzz: $((ran - failed)) passed, $failed failed"
[[ $failed -eq 0 && $ran -gt 0 ]]
