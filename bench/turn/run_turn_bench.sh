#!/bin/sh
# TURN relay throughput and memory, boltrtc turn beside coturn, in one run under one load
# generator (bench_turn): each server relays PAIRS client pairs' ChannelData at RATE
# datagrams a second for SECONDS; ROUNDS rounds alternate the two servers.
# Usage: [BASE_BOLTRTC=OLDER_BOLTRTC] run_turn_bench.sh BUILD_DIR [PAIRS [RATE [SECONDS [SIZE [ROUNDS]]]]]
set -eu
build=$1
pairs=${2:-100}
rate=${3:-20000}
seconds=${4:-5}
size=${5:-200}
rounds=${6:-3}
command -v turnserver >/dev/null || { echo "coturn is not installed (scripts/install-deps.sh --test)"; exit 1; }
. "$(dirname "$0")/../../tests/turn/coturn.sh"
dir=$(mktemp -d /tmp/brtc-turn-bench.XXXXXX)
pid=""
stop() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; pid=""; }
trap 'stop; rm -rf "$dir"' EXIT
base=$((20000 + $$ % 20000))

start_boltrtc() {
  "$1" turn --listen "127.0.0.1:$base" --realm bench --user bench:bench \
    --relay-ports "$((base + 10))-$((base + 4000))" --allow-peers 127.0.0.0/8 --source-quota 0 \
    --user-quota 0 --log-level warn >"$dir/ours.log" 2>&1 &
  pid=$!
}
start_ours() { start_boltrtc "$build/apps/boltrtc"; }
# BASE_BOLTRTC=path/to/an/older/boltrtc adds it to the rounds as "base", for a before/after.
start_base() { start_boltrtc "$BASE_BOLTRTC"; }
start_coturn() {
  # The same coturn setup as tests/turn/turn_interop.sh (tests/turn/coturn.sh), logging nowhere.
  COTURN_LOG=/dev/null coturn_start "$dir" "$base" $((base + 10)) $((base + 4000)) bench bench bench
  pid=$COTURN_PID
}
wait_up() {
  wait_stun "$base"
  sleep 0.3
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load: $pairs pairs ($((pairs * 2)) allocations with a channel each), $rate datagrams/s of $size bytes, $seconds s"
r=1
while [ $r -le "$rounds" ]; do
  for server in ours ${BASE_BOLTRTC:+base} coturn; do
    "start_$server"
    wait_up
    echo "round $r $server $("$build/bench/turn/bench_turn" "127.0.0.1:$base" "$pid" bench bench \
      "$pairs" "$rate" "$seconds" "$size" | tr '\n' ' ')"
    stop
    sleep 0.5
  done
  r=$((r + 1))
done
