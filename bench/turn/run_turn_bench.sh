#!/bin/sh
# TURN relay throughput and memory, boltrtc turn beside coturn, in one run under one load
# generator (bench_turn): each server relays PAIRS client pairs' ChannelData at RATE
# datagrams a second for SECONDS; ROUNDS rounds alternate the two servers.
# Usage: run_turn_bench.sh BUILD_DIR [PAIRS [RATE [SECONDS [SIZE [ROUNDS]]]]]
set -eu
build=$1
pairs=${2:-100}
rate=${3:-20000}
seconds=${4:-5}
size=${5:-200}
rounds=${6:-3}
command -v turnserver >/dev/null || { echo "coturn is not installed (scripts/install-deps.sh --test)"; exit 1; }
dir=$(mktemp -d /tmp/brtc-turn-bench.XXXXXX)
pid=""
stop() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; pid=""; }
trap 'stop; rm -rf "$dir"' EXIT
base=$((20000 + $$ % 20000))

start_ours() {
  "$build/apps/boltrtc" turn --listen "127.0.0.1:$base" --realm bench --user bench:bench \
    --relay-ports "$((base + 10))-$((base + 4000))" --allow-peers 127.0.0.0/8 --source-quota 0 \
    --user-quota 0 --log-level warn >"$dir/ours.log" 2>&1 &
  pid=$!
}
start_coturn() {
  cat >"$dir/turnserver.conf" <<CONF
listening-ip=127.0.0.1
listening-port=$base
relay-ip=127.0.0.1
min-port=$((base + 10))
max-port=$((base + 4000))
lt-cred-mech
user=bench:bench
realm=bench
allow-loopback-peers
no-tls
no-dtls
no-tcp
no-cli
userdb=$dir/turndb
log-file=/dev/null
CONF
  rm -f "$dir/turndb"
  turnserver -c "$dir/turnserver.conf" >"$dir/coturn.log" 2>&1 &
  pid=$!
}
wait_up() {
  i=0
  while [ $i -lt 50 ] && ! timeout 1 turnutils_stunclient -p "$base" 127.0.0.1 >/dev/null 2>&1; do
    sleep 0.1; i=$((i + 1))
  done
  sleep 0.3
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load: $pairs pairs ($((pairs * 2)) allocations with a channel each), $rate datagrams/s of $size bytes, $seconds s"
r=1
while [ $r -le "$rounds" ]; do
  for server in ours coturn; do
    "start_$server"
    wait_up
    echo "round $r $server $("$build/bench/turn/bench_turn" "127.0.0.1:$base" "$pid" bench bench \
      "$pairs" "$rate" "$seconds" "$size" | tr '\n' ' ')"
    stop
    sleep 0.5
  done
  r=$((r + 1))
done
