#!/bin/bash
# Loss repair across processes, beside a real peer: Pion publishers (Go, built here from
# Debian's golang-github-pion-webrtc.v3-dev, offline, GOPATH mode) publish VP8 over WHIP
# through loss_relay, which loses, reorders and delays datagrams both ways, to
#   (a) boltrtc serve, and (b) a Pion catcher (Pion's default NACK generator, a PLI policy
#   like boltrtc's), and, with BEFORE=path/to/boltrtc, (c) another boltrtc build.
# The publishers count NACK messages, sequence numbers asked for and PLIs; the receivers
# count keyframes completed. Everything runs in a network namespace of its own that has
# only loopback. Needs root (unshare --net), a build (scripts/build.sh build) and
# scripts/install-deps.sh --test (Go and Pion).
#
# Usage: bench/loss/run_pion.sh [BUILD_DIR]
# Environment: PUBLISHERS (5), SECONDS_PER_RUN (20), LOSS_PCT (5), REORDER_PCT (10),
#              LATENCY_MS (10), JITTER_MS (5), SEED (1), BEFORE (a boltrtc binary), KEEP=1
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "run_pion.sh: needs root for its network namespace" >&2
  exit 2
fi
for t in apps/boltrtc bench/loss/loss_relay bench/loss/make_frames; do
  [ -x "$build/$t" ] || { echo "run_pion.sh: $build/$t is missing: build first" >&2; exit 2; }
done
command -v go > /dev/null || { echo "run_pion.sh: no Go: scripts/install-deps.sh --test" >&2; exit 2; }

work=$(mktemp -d /tmp/brtc-loss-pion.XXXXXX)
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; fi

# Pion programs: GOPATH mode, no module proxy, Debian's sources only.
bin="$build/bench/loss/pion"
mkdir -p "$bin"
for prog in publisher catcher; do
  (cd "$root/bench/loss/pion" &&
   GO111MODULE=off GOPROXY=off GOFLAGS= GOCACHE="$work/gocache" \
   GOPATH="$root/bench/loss/pion:/usr/share/gocode" go build -o "$bin/$prog" "lossbench/$prog")
done
"$build/bench/loss/make_frames" "$work/frames.ivf"

export BRTC_BUILD="$build" BRTC_BIN="$bin" BRTC_WORK="$work"
export PUBLISHERS="${PUBLISHERS:-5}" SECONDS_PER_RUN="${SECONDS_PER_RUN:-20}"
export RELAY_ARGS="--latency-ms ${LATENCY_MS:-10} --jitter-ms ${JITTER_MS:-5} --loss-pct ${LOSS_PCT:-5} --reorder-pct ${REORDER_PCT:-10} --seed ${SEED:-1}"
export BEFORE="${BEFORE:-}"

unshare --net -- bash -euo pipefail -c '
ip link set lo up
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done; }
trap cleanup EXIT

# One receiver: its relay on front port F to its media port M, the publishers, the counts.
run() {
  local name=$1 whip=$2 front=$3 media=$4 stats_url=$5
  "$BRTC_BUILD/bench/loss/loss_relay" --listen 127.0.0.1:$front --to 127.0.0.1:$media \
    $RELAY_ARGS --stats "$BRTC_WORK/$name.relay.json" &
  local relay=$!
  sleep 0.3
  timeout $((SECONDS_PER_RUN + 90)) "$BRTC_BIN/publisher" -n "$PUBLISHERS" \
    -seconds "$SECONDS_PER_RUN" -ivf "$BRTC_WORK/frames.ivf" -whip "$whip" \
    -relay 127.0.0.1:$front > "$BRTC_WORK/$name.pub.json" 2> "$BRTC_WORK/$name.pub.log" ||
    echo "run_pion.sh: $name: some publishers failed (see $name.pub.log)" >&2
  sleep 1.5 # the last frames and their repairs
  curl -s "$stats_url" > "$BRTC_WORK/$name.recv.json"
  kill -TERM $relay
  wait $relay || true
}

serve() {
  local bin=$1 http=$2 udp=$3
  shift 3
  mkdir -p "$BRTC_WORK/out-$http"
  "$bin" serve --http 127.0.0.1:$http --udp 127.0.0.1:$udp --output "$BRTC_WORK/out-$http" \
    --loopback-only --log-level warn "$@" > "$BRTC_WORK/serve-$http.log" 2>&1 &
  pids+=($!)
  sleep 0.5
}

# No periodic keyframe requests: the PLIs counted here come from loss repair alone.
serve "$BRTC_BUILD/apps/boltrtc" 8080 50000 --keyframe-interval 0
run boltrtc http://127.0.0.1:8080/whip 40000 50000 http://127.0.0.1:8080/api/status
if [ -n "$BEFORE" ]; then
  serve "$BEFORE" 8082 50002
  run before http://127.0.0.1:8082/whip 40002 50002 http://127.0.0.1:8082/api/status
fi
"$BRTC_BIN/catcher" -http 127.0.0.1:8081 -udp 127.0.0.1:50001 > "$BRTC_WORK/catcher.log" 2>&1 &
pids+=($!)
sleep 0.5
run pion http://127.0.0.1:8081/whip 40001 50001 http://127.0.0.1:8081/stats
'

/usr/bin/python3 - "$work" "$PUBLISHERS" "$SECONDS_PER_RUN" "$RELAY_ARGS" << 'EOF'
import json, os, statistics, sys
work, n, seconds, relay_args = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

def load(name, part):
    try:
        with open(os.path.join(work, f"{name}.{part}.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

def receiver(name, recv):
    if name == "pion":
        return recv["keyframes"], recv.get("first_keyframe_ms") or []
    keys, firsts = 0, []
    for s in recv.get("sessions", []):
        keys += s["stats"]["keyframes"]
        t = {st["step"]: st["t_ms"] for st in s["steps"]}
        if "first-keyframe" in t and "first-rtp" in t:
            firsts.append(t["first-keyframe"] - t["first-rtp"])
    return keys, firsts

rows = {}
print(f"{n} Pion publishers x {seconds} s through loss_relay ({relay_args}), each way")
print(f"{'receiver':9} {'lost up':>7} {'NACK msgs':>9} {'/min':>6} {'seqs asked':>10} "
      f"{'per lost':>8} {'PLIs':>5} {'/min':>5} {'keys sent':>9} {'completed':>9} "
      f"{'first key ms':>12}")
for name in ("boltrtc", "before", "pion"):
    pub, relay, recv = load(name, "pub"), load(name, "relay"), load(name, "recv")
    if not pub or not relay or not recv:
        continue
    minutes = pub["connected"] * seconds / 60 or 1
    lost = relay["up"]["lost"]
    keys, firsts = receiver(name, recv)
    r = dict(lost=lost, msgs=pub["nack_messages"], seqs=pub["nack_seqs"],
             plis=pub["plis"] + pub["firs"], sent=pub["keyframes_sent"], keys=keys,
             minutes=minutes)
    rows[name] = r
    first = f"{statistics.median(firsts):.0f}" if firsts else "-"
    print(f"{name:9} {lost:7} {r['msgs']:9} {r['msgs'] / minutes:6.0f} {r['seqs']:10} "
          f"{r['seqs'] / max(lost, 1):8.2f} {r['plis']:5} {r['plis'] / minutes:5.1f} "
          f"{r['sent']:9} {keys:5} ({100 * keys / max(r['sent'], 1):3.0f} %) {first:>8}")
if "boltrtc" in rows and "pion" in rows:
    b, p = rows["boltrtc"], rows["pion"]
    def ratio(x, y):
        return f"{x / y:.2f}" if y else "-"
    print("boltrtc / Pion: NACK seqs per lost packet "
          f"{ratio(b['seqs'] / max(b['lost'], 1), p['seqs'] / max(p['lost'], 1))}, "
          f"NACK messages per minute {ratio(b['msgs'] / b['minutes'], p['msgs'] / p['minutes'])}, "
          f"PLIs per minute {ratio(b['plis'] / b['minutes'], p['plis'] / p['minutes'])}, "
          f"keyframes completed {ratio(b['keys'] / max(b['sent'], 1), p['keys'] / max(p['sent'], 1))}")
EOF
