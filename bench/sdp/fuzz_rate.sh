#!/usr/bin/env bash
# Inputs per CPU second of libFuzzer targets, two builds interleaved (before, after, before,
# after, ...) on the same seed corpus with the same seed, so that a busy machine slows both
# alike; prints each run and the median per build. Run it under the machine's lock:
#   flock /tmp/heavy.lock bench/sdp/fuzz_rate.sh BEFORE_DIR AFTER_DIR [SECONDS] [ROUNDS] [TARGETS...]
# BEFORE_DIR, AFTER_DIR: build directories configured with -DBRTC_FUZZ=ON (their fuzz/ holds
# the binaries). Defaults: 12 s, 3 rounds, fuzz_pc fuzz_pc_answer. Flags as scripts/fuzz.sh
# gives these targets (-entropic=0 for fuzz_pc; ASan's quarantine at 16 MB).
set -euo pipefail
cd "$(dirname "$0")/../.."
before=$1 after=$2 secs=${3:-12} rounds=${4:-3}
shift $(( $# < 4 ? $# : 4 ))
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(fuzz_pc fuzz_pc_answer)
export ASAN_OPTIONS=${ASAN_OPTIONS-quarantine_size_mb=16}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in "${targets[@]}"; do
  flags=()
  [[ $t == fuzz_pc ]] && flags=(-entropic=0)
  for r in $(seq "$rounds"); do
    for which in before after; do
      dir=$before; [[ $which == after ]] && dir=$after
      rm -rf "$work/found" && mkdir -p "$work/found"
      /usr/bin/time -f '%U %S' -o "$work/cpu" "$dir/fuzz/$t" "${flags[@]}" -seed=1 \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        "$work/found" "fuzz/corpus/$t" >"$work/log" 2>&1 || true
      runs=$(grep -Eo 'number_of_executed_units: [0-9]+' "$work/log" | grep -Eo '[0-9]+' || echo 0)
      rate=$(awk -v r="$runs" '{ c = $1 + $2; printf "%.0f", (c > 0 ? r / c : 0) }' "$work/cpu")
      echo "$t $which round $r: $runs runs, $(cat "$work/cpu") s user sys, $rate per CPU s"
      echo "$rate" >>"$work/$t.$which"
    done
  done
  for which in before after; do
    echo "$t $which median: $(sort -n "$work/$t.$which" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }') per CPU s"
  done
done
