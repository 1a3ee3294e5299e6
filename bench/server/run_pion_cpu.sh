#!/bin/bash
# The server's CPU per packet, beside Pion: N real Pion publishers (Go, built here from
# Debian's golang-github-pion-webrtc.v3-dev, offline, GOPATH mode; bench/loss/pion) publish
# VP8 at ~KBPS over WHIP, straight to one UDP port on loopback, for a fixed window, to
#   (a) `boltrtc serve`, (b) with BEFORE=path/to/boltrtc, another boltrtc build, and
#   (c) Pion's own WHIP receiver (the catcher with -count-only: it reads each track's RTP
#       through Pion's default interceptors and counts it, nothing more).
# For each N, each receiver is started fresh; every publisher connects first, then all start
# their media together (each at a random phase of the 30 fps frame interval); after WARMUP s
# a window of SECONDS_PER_RUN s is measured: the receiver's CPU time (utime + stime of the
# whole process, /proc/PID/stat) and the RTP packets it counted, against what the
# publishers' tracks wrote. Loss is over the whole media time (the counts once the last
# packets are in). The warm-up is long enough for boltrtc to have saved every session's first
# keyframe as a JPEG (its keyframe thread, ~11 ms each), so the window measures packets, not
# JPEGs. Everything runs in a network namespace of its own that has only loopback.
# Needs root (unshare --net), a build (scripts/build.sh build) and
# scripts/install-deps.sh --test (Go and Pion).
#
# Usage: bench/server/run_pion_cpu.sh [BUILD_DIR]
# Environment: COUNTS ("100 200 500"), SECONDS_PER_RUN (20), WARMUP (10), KBPS (1000),
#              KEY_INTERVAL (0: keyframes only when asked, as browsers do), BEFORE (a boltrtc
#              binary), RECEIVERS ("boltrtc before pion"), PERF=1 (perf record the boltrtc
#              server over the window, at the largest N, into $work/perf.data), SERVE_ARGS
#              (more options for this build's boltrtc, e.g. "--batch-hold-us 1000"), KEEP=1
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "run_pion_cpu.sh: needs root for its network namespace" >&2
  exit 2
fi
for t in apps/boltrtc bench/loss/make_frames; do
  [ -x "$build/$t" ] || { echo "run_pion_cpu.sh: $build/$t is missing: build first" >&2; exit 2; }
done
command -v go > /dev/null || { echo "run_pion_cpu.sh: no Go: scripts/install-deps.sh --test" >&2; exit 2; }

work=$(mktemp -d /tmp/brtc-cpu-pion.XXXXXX)
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; else echo "work: $work" >&2; fi

bin="$build/bench/loss/pion"
mkdir -p "$bin"
for prog in publisher catcher; do
  (cd "$root/bench/loss/pion" &&
   GO111MODULE=off GOPROXY=off GOFLAGS= GOCACHE="$bin/.gocache" \
   GOPATH="$root/bench/loss/pion:/usr/share/gocode" go build -o "$bin/$prog" "lossbench/$prog")
done
# 10 s of 640x480 frames at the target bitrate, looped by each publisher.
"$build/bench/loss/make_frames" "$work/frames.ivf" "${KBPS:-1000}" 300

export BRTC_BUILD="$build" BRTC_BIN="$bin" BRTC_WORK="$work" BEFORE="${BEFORE:-}"
export COUNTS="${COUNTS:-100 200 500}" SECONDS_PER_RUN="${SECONDS_PER_RUN:-20}"
export WARMUP="${WARMUP:-10}" KEY_INTERVAL="${KEY_INTERVAL:-0}" PERF="${PERF:-0}"
export RECEIVERS="${RECEIVERS:-boltrtc before pion}" SERVE_ARGS="${SERVE_ARGS:-}"

unshare --net -- bash -euo pipefail -c '
ip link set lo up
# Room for 500 publishers: a UDP socket and HTTP connections each.
ulimit -n "$(ulimit -Hn)"
pid=
cleanup() { if [ -n "$pid" ]; then kill "$pid" 2> /dev/null || true; fi; }
trap cleanup EXIT

# Datagrams the kernel dropped for a full receive buffer, in this namespace (all sockets).
udp_drops() { awk '"'"'/^Udp:/ { if (h) print $6; h = 1 }'"'"' /proc/net/snmp; }

# One receiver, already listening on HTTP port H (its process: $pid), against N publishers.
measure() {
  local name=$1 n=$2 h=$3 stats=$4
  local perf=
  udp_drops > "$BRTC_WORK/$name-$n.drops0"
  if [ "$PERF" = 1 ] && [ "$name" = boltrtc ] && [ "$n" = "${COUNTS##* }" ]; then
    ( sleep $((WARMUP + n / 20 + 5)); exec perf record -g -p "$pid" -o "$BRTC_WORK/perf.data" \
        -- sleep "$SECONDS_PER_RUN" ) > "$BRTC_WORK/perf.log" 2>&1 &
    perf=$!
  fi
  timeout $((SECONDS_PER_RUN + WARMUP + n / 4 + 120)) "$BRTC_BIN/publisher" -n "$n" -together \
    -gap 10ms -warmup "$WARMUP" -seconds "$SECONDS_PER_RUN" -key-interval "$KEY_INTERVAL" \
    -ivf "$BRTC_WORK/frames.ivf" -whip "http://127.0.0.1:$h/whip" -cpu-pid "$pid" \
    -recv-stats "$stats" > "$BRTC_WORK/$name-$n.json" 2> "$BRTC_WORK/$name-$n.log" ||
    echo "run_pion_cpu.sh: $name, $n publishers: some failed (see $name-$n.log)" >&2
  if [ -n "$perf" ]; then wait "$perf" || true; fi
  udp_drops > "$BRTC_WORK/$name-$n.drops1"
  if [ "$name" != pion ]; then curl -s "$stats" > "$BRTC_WORK/$name-$n.status.json" || true; fi
  kill -TERM "$pid"
  wait "$pid" || true
  pid=
}

serve() {
  local bin=$1 h=$2 u=$3 extra=${4:-}
  mkdir -p "$BRTC_WORK/out-$h"
  "$bin" serve --http 127.0.0.1:$h --udp 127.0.0.1:$u --output "$BRTC_WORK/out-$h" \
    --loopback-only --log-level warn --max-sessions 1000 --max-pending 1000 \
    --max-pending-per-source 1000 $extra > "$BRTC_WORK/serve-$h.log" 2>&1 &
  pid=$!
  sleep 0.5
}

for n in $COUNTS; do
  for r in $RECEIVERS; do
    case $r in
      boltrtc)
        serve "$BRTC_BUILD/apps/boltrtc" 8080 50000 "$SERVE_ARGS"
        measure boltrtc "$n" 8080 http://127.0.0.1:8080/api/status ;;
      before)
        [ -n "$BEFORE" ] || continue
        serve "$BEFORE" 8082 50002
        measure before "$n" 8082 http://127.0.0.1:8082/api/status ;;
      pion)
        "$BRTC_BIN/catcher" -count-only -http 127.0.0.1:8081 -udp 127.0.0.1:50001 \
          > "$BRTC_WORK/catcher-$n.log" 2>&1 &
        pid=$!
        sleep 0.5
        measure pion "$n" 8081 http://127.0.0.1:8081/stats ;;
    esac
  done
done
'

/usr/bin/python3 - "$work" << 'EOF'
import glob, json, os, sys
work = sys.argv[1]
rows = {}
for path in sorted(glob.glob(os.path.join(work, "*-*.json"))):
    base = os.path.basename(path)[:-5]
    if base.count("-") != 1:
        continue
    name, n = base.split("-")
    try:
        with open(path) as f:
            pub = json.load(f)
    except (OSError, ValueError):
        continue
    w, total = pub.get("window"), pub.get("recv_total")
    if not w or not total:
        continue
    sent = pub["rtp_sent"]
    try:
        drops = [int(open(os.path.join(work, f"{base}.drops{i}")).read()) for i in (0, 1)]
    except (OSError, ValueError):
        drops = [0, 0]
    rows[(int(n), name)] = dict(
        connected=pub["connected"], failed=pub["failed"],
        mbps=w["rtp_bytes"] * 8 / w["seconds"] / 1e6 / max(pub["connected"], 1),
        pkts=w["recv"]["rtp"], dgrams=w["recv"]["datagrams"], cpu=w["server_cpu_s"],
        user=w["server_user_s"], sys=w["server_sys_s"], seconds=w["seconds"],
        main=w.get("server_main_thread_cpu_s", 0), drops=drops[1] - drops[0],
        per_m=w["server_cpu_s"] / max(w["recv"]["rtp"], 1) * 1e6,
        wloss=100 * (w["rtp_sent"] - w["recv"]["rtp"]) / max(w["rtp_sent"], 1),
        loss=100 * (sent - total["rtp"]) / max(sent, 1), sent=sent, recv=total["rtp"])
print(f"{'N':>4} {'receiver':8} {'conn':>4} {'Mbps/pub':>8} {'window s':>8} {'RTP in window':>13} "
      f"{'CPU s':>6} {'user':>6} {'sys':>6} {'main':>6} {'CPU s / M pkts':>14} {'loss %':>7} "
      f"{'all %':>7} {'k.drops':>7} {'ratio':>6}")
for (n, name) in sorted(rows, key=lambda k: (k[0], ["boltrtc", "before", "pion"].index(k[1]))):
    r = rows[(n, name)]
    main = f"{r['main']:.2f}" if name != "pion" else "-"
    p = rows.get((n, "pion"))
    ratio = f"{r['per_m'] / p['per_m']:.2f}" if p and name != "pion" else "-"
    print(f"{n:4} {name:8} {r['connected']:4} {r['mbps']:8.2f} {r['seconds']:8.1f} {r['pkts']:13} "
          f"{r['cpu']:6.2f} {r['user']:6.2f} {r['sys']:6.2f} {main:>6} "
          f"{r['per_m']:14.2f} {r['wloss']:7.3f} {r['loss']:7.3f} {r['drops']:7} {ratio:>6}")
print("CPU: the receiver process's utime + stime in the window; main: boltrtc's loop thread "
      "alone (not the keyframe saver); ratio: CPU per packet / Pion's.\n"
      "loss: RTP the tracks wrote in the window that the receiver did not count in it (the "
      "receiver also counts NACK resends, which the tracks did not write: a negative figure); "
      "all: the same over the whole run (with the start, where a receiver may drop what comes "
      "before its SRTP keys); k.drops: datagrams the kernel dropped, receive buffer full.")
EOF
