#!/bin/bash
# The server's CPU per packet, beside Pion: N real publishers publish VP8 at ~KBPS over WHIP,
# straight to one UDP port on loopback, for a fixed window, to
#   (a) `boltrtc serve`, (b) with BEFORE=path/to/boltrtc, another boltrtc build, and
#   (c) Pion's own WHIP receiver (the catcher with -count-only: it reads each track's RTP
#       through Pion's default interceptors and counts it, nothing more).
# The publishers (PUBLISHER): "boltrtc" (the default), bench/server/whip_publishers: N
# libboltrtc peer connections in one process on one thread, cheap enough that 500 fit beside
# the receiver on two cores; or "pion": N Pion publishers (Go, built here from Debian's
# golang-github-pion-webrtc.v3-dev, offline, GOPATH mode; bench/loss/pion), ~40 us of CPU per
# packet they send. Both take the same flags and print the same JSON.
# For each round and each N, each receiver is started fresh (the receivers' order turns from
# round to round, so that a burst of other work on the machine does not always hit the same
# one); every publisher connects first, then all start their media together (each at a
# random phase of the 30 fps frame interval); after WARMUP s a window of SECONDS_PER_RUN s is
# measured: the receiver's CPU time (utime + stime of the whole process, /proc/PID/stat), the
# RTP packets it counted, the publishers' own CPU and what their tracks wrote, and the
# datagrams the kernel dropped for a full receive buffer in the namespace (RcvbufErrors).
# Loss is over the whole media time (the counts once the last packets are in). The warm-up is
# long enough for boltrtc to have saved every session's first keyframe as a JPEG (its
# keyframe thread, ~11 ms each), so the window measures packets, not JPEGs. Everything runs
# in a network namespace of its own that has only loopback. The table gives each round, then
# the medians over rounds, with the ratio to Pion's receiver in the same round.
# Needs root (unshare --net), a build (scripts/build.sh build) and, for Pion,
# scripts/install-deps.sh --test (Go and Pion).
#
# Usage: bench/server/run_pion_cpu.sh [BUILD_DIR]
# Environment: COUNTS ("100 200 500"), ROUNDS (3), SECONDS_PER_RUN (20), WARMUP (10), KBPS
#              (1000), KEY_INTERVAL (0: keyframes only when asked, as browsers do), PUBLISHER
#              (boltrtc or pion), BEFORE (a boltrtc binary), RECEIVERS ("boltrtc before pion"),
#              PERF=1 (perf record the boltrtc server over the window, at the largest N, into
#              $work/perf.data; PERF_ARGS: its options, default -g), SERVE_ARGS (more options for this build's boltrtc, e.g.
#              "--batch-hold-us 1000"), KEEP=1, TIMELINE=1 (bench/server/timeline.py: every
#              50 ms the kernel's drops, the bytes queued and each receiver thread's CPU, into
#              $work/NAME-N-ROUND.timeline; use with KEEP=1), GSO=1 (whip_publishers -gso 1),
#              PION_RCVBUF (the catcher's socket buffer, default 8388608 as serve's),
#              PION_GOMAXPROCS (default: every CPU, Go's own default)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "run_pion_cpu.sh: needs root for its network namespace" >&2
  exit 2
fi
publisher=${PUBLISHER:-boltrtc}
need="apps/boltrtc bench/loss/make_frames"
[ "$publisher" = boltrtc ] && need="$need bench/server/whip_publishers"
for t in $need; do
  [ -x "$build/$t" ] || { echo "run_pion_cpu.sh: $build/$t is missing: build first" >&2; exit 2; }
done
receivers=${RECEIVERS:-boltrtc before pion}
if [ "$publisher" = pion ] || [[ " $receivers " == *" pion "* ]]; then
  command -v go > /dev/null || { echo "run_pion_cpu.sh: no Go: scripts/install-deps.sh --test" >&2; exit 2; }
fi

work=$(mktemp -d /tmp/brtc-cpu-pion.XXXXXX)
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; else echo "work: $work" >&2; fi

bin="$build/bench/loss/pion"
mkdir -p "$bin"
for prog in publisher catcher; do
  [ "$prog" = publisher ] && [ "$publisher" != pion ] && continue
  [ "$prog" = catcher ] && [[ " $receivers " != *" pion "* ]] && continue
  (cd "$root/bench/loss/pion" &&
   GO111MODULE=off GOPROXY=off GOFLAGS= GOCACHE="$bin/.gocache" \
   GOPATH="$root/bench/loss/pion:/usr/share/gocode" go build -o "$bin/$prog" "lossbench/$prog")
done
# 10 s of 640x480 frames at the target bitrate, looped by each publisher.
"$build/bench/loss/make_frames" "$work/frames.ivf" "${KBPS:-1000}" 300

export BRTC_BUILD="$build" BRTC_BIN="$bin" BRTC_WORK="$work" BEFORE="${BEFORE:-}"
export COUNTS="${COUNTS:-100 200 500}" SECONDS_PER_RUN="${SECONDS_PER_RUN:-20}"
export WARMUP="${WARMUP:-10}" KEY_INTERVAL="${KEY_INTERVAL:-0}" PERF="${PERF:-0}" PERF_ARGS="${PERF_ARGS:--g}"
export TIMELINE="${TIMELINE:-0}" BRTC_ROOT="$root" PUB_ARGS= PION_RCVBUF="${PION_RCVBUF:-8388608}" PION_GOMAXPROCS="${PION_GOMAXPROCS:-}"
# GSO=1: whip_publishers sends each pc's datagrams of a pass as UDP GSO super-buffers, which a
# receiver with UDP GRO (serve --udp-gro on) takes whole.
if [ "${GSO:-0}" = 1 ]; then
  [ "$publisher" = boltrtc ] || { echo "run_pion_cpu.sh: GSO=1 needs PUBLISHER=boltrtc" >&2; exit 2; }
  PUB_ARGS="-gso 1"
fi
export RECEIVERS="$receivers" SERVE_ARGS="${SERVE_ARGS:-}" ROUNDS="${ROUNDS:-3}"
if [ "$publisher" = pion ]; then export BRTC_PUB="$bin/publisher"
else export BRTC_PUB="$build/bench/server/whip_publishers"; fi

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
  local name=$1 n=$2 h=$3 stats=$4 round=$5
  local out="$BRTC_WORK/$name-$n-$round" perf=
  udp_drops > "$out.drops0"
  if [ "$PERF" = 1 ] && [ "$name" = boltrtc ] && [ "$n" = "${COUNTS##* }" ] && [ "$round" = 1 ]; then
    # The window: whip_publishers says when it begins; for Pion publishers, a guess.
    ( if [ "$(basename "$BRTC_PUB")" = whip_publishers ]; then
        for _ in $(seq 1 $((10 * (WARMUP + n + 60)))); do
          grep -q "measuring for" "$out.log" 2> /dev/null && break
          sleep 0.1
        done
      else sleep $((WARMUP + n / 20 + 5)); fi
      exec perf record ${PERF_ARGS:--g} -p "$pid" -o "$BRTC_WORK/perf.data" -- sleep "$SECONDS_PER_RUN"
    ) > "$BRTC_WORK/perf.log" 2>&1 &
    perf=$!
  fi
  local tl=
  timeout $((SECONDS_PER_RUN + WARMUP + n / 4 + 120)) "$BRTC_PUB" -n "$n" -together \
    -gap 10ms -warmup "$WARMUP" -seconds "$SECONDS_PER_RUN" -key-interval "$KEY_INTERVAL" \
    -ivf "$BRTC_WORK/frames.ivf" -whip "http://127.0.0.1:$h/whip" -cpu-pid "$pid" \
    -recv-stats "$stats" $PUB_ARGS > "$out.json" 2> "$out.log" &
  local pub=$!
  if [ "$TIMELINE" = 1 ]; then
    sleep 0.2
    python3 "$BRTC_ROOT/bench/server/timeline.py" "$pid" "$out.timeline" 50 \
      "$(pgrep -P "$pub" | head -1)" > /dev/null 2>&1 &
    tl=$!
  fi
  wait "$pub" ||
    echo "run_pion_cpu.sh: $name, $n publishers, round $round: some failed (see $out.log)" >&2
  if [ -n "$perf" ]; then wait "$perf" || true; fi
  if [ -n "$tl" ]; then kill "$tl" 2> /dev/null || true; wait "$tl" 2> /dev/null || true; fi
  udp_drops > "$out.drops1"
  if [ "$name" != pion ]; then curl -s "$stats" > "$out.status.json" || true; fi
  kill -TERM "$pid"
  wait "$pid" || true
  pid=
}

# --keyframe-interval 0: no periodic PLI for the gallery. The Pion catcher decodes nothing, so
# a keyframe JPEG every 5 s per session (and the 110 KB keyframes the PLIs bring) would
# compare different work; the first keyframe of each session still becomes a JPEG in the warm-up.
serve() {
  local bin=$1 h=$2 u=$3 extra=${4:-}
  mkdir -p "$BRTC_WORK/out-$h"
  "$bin" serve --http 127.0.0.1:$h --udp 127.0.0.1:$u --output "$BRTC_WORK/out-$h" \
    --loopback-only --log-level warn --max-sessions 1000 --max-pending 1000 \
    --max-pending-per-source 1000 --keyframe-interval 0 $extra > "$BRTC_WORK/serve-$h.log" 2>&1 &
  pid=$!
  sleep 0.5
}

for round in $(seq 1 "$ROUNDS"); do
  # The receivers in turn: round k starts with the k-th.
  read -ra rs <<< "$RECEIVERS"
  k=$(( (round - 1) % ${#rs[@]} ))
  order="${rs[*]:k} ${rs[*]:0:k}"
for n in $COUNTS; do
  for r in $order; do
    case $r in
      boltrtc)
        serve "$BRTC_BUILD/apps/boltrtc" 8080 50000 "$SERVE_ARGS"
        measure boltrtc "$n" 8080 http://127.0.0.1:8080/api/status "$round" ;;
      before)
        [ -n "$BEFORE" ] || continue
        serve "$BEFORE" 8082 50002
        measure before "$n" 8082 http://127.0.0.1:8082/api/status "$round" ;;
      pion)
        # -rcvbuf: the socket buffer boltrtc serve takes (8 MiB); with Go default of 212 KiB
        # the catcher drops the start of a run (every first keyframe at once) by the ten
        # thousand, and then most of what follows.
        GOMAXPROCS=${PION_GOMAXPROCS:-$(nproc)} "$BRTC_BIN/catcher" -count-only -rcvbuf "$PION_RCVBUF" -http 127.0.0.1:8081 -udp 127.0.0.1:50001 \
          > "$BRTC_WORK/catcher-$n-$round.log" 2>&1 &
        pid=$!
        sleep 0.5
        measure pion "$n" 8081 http://127.0.0.1:8081/stats "$round" ;;
    esac
  done
done
done
'

/usr/bin/python3 - "$work" << 'EOF'
import glob, json, os, statistics, sys
work = sys.argv[1]
order = ["boltrtc", "before", "pion"]
rows = {}
for path in sorted(glob.glob(os.path.join(work, "*-*-*.json"))):
    base = os.path.basename(path)[:-5]
    if base.count("-") != 2:
        continue
    name, n, rnd = base.split("-")
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
    rows[(int(n), int(rnd), name)] = dict(
        connected=pub["connected"], failed=pub["failed"],
        mbps=w["rtp_bytes"] * 8 / w["seconds"] / 1e6 / max(pub["connected"], 1),
        pkts=w["recv"]["rtp"], cpu=w["server_cpu_s"], main=w.get("server_main_thread_cpu_s", 0),
        drops=drops[1] - drops[0], wdrops=w.get("rcvbuf_errors", "-"), per_m=w["server_cpu_s"] / max(w["recv"]["rtp"], 1) * 1e6,
        pub_us=w.get("publishers_cpu_s", 0) / max(w["rtp_sent"], 1) * 1e6,
        wloss=100 * (w["rtp_sent"] - w["recv"]["rtp"]) / max(w["rtp_sent"], 1),
        loss=100 * (sent - total["rtp"]) / max(sent, 1))
for key, r in rows.items():
    p = rows.get((key[0], key[1], "pion"))
    r["ratio"] = r["per_m"] / p["per_m"] if p and key[2] != "pion" else None
print(f"{'N':>4} {'rnd':>3} {'receiver':8} {'conn':>4} {'Mbps/pub':>8} {'RTP in window':>13} "
      f"{'CPU s':>6} {'main':>6} {'CPU s / M pkts':>14} {'pub us/pkt':>10} {'loss %':>7} "
      f"{'all %':>7} {'k.drops':>7} {'w.drops':>7} {'ratio':>6}")
for key in sorted(rows, key=lambda k: (k[0], k[1], order.index(k[2]))):
    n, rnd, name = key
    r = rows[key]
    main = f"{r['main']:.2f}" if name != "pion" else "-"
    ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else "-"
    print(f"{n:4} {rnd:3} {name:8} {r['connected']:4} {r['mbps']:8.2f} {r['pkts']:13} "
          f"{r['cpu']:6.2f} {main:>6} {r['per_m']:14.2f} {r['pub_us']:10.2f} {r['wloss']:7.3f} "
          f"{r['loss']:7.3f} {r['drops']:7} {r['wdrops']:>7} {ratio:>6}")
print("\nMedians over rounds:")
print(f"{'N':>4} {'receiver':8} {'rounds':>6} {'CPU s / M pkts':>14} {'pub us/pkt':>10} "
      f"{'all loss %':>10} {'k.drops':>8} {'ratio':>6}")
groups = sorted({(k[0], k[2]) for k in rows}, key=lambda g: (g[0], order.index(g[1])))
for n, name in groups:
    rs = [rows[k] for k in rows if k[0] == n and k[2] == name]
    def med(f):
        return statistics.median(r[f] for r in rs)
    ratios = [r["ratio"] for r in rs if r["ratio"] is not None]
    ratio = f"{statistics.median(ratios):.2f}" if ratios else "-"
    print(f"{n:4} {name:8} {len(rs):6} {med('per_m'):14.2f} {med('pub_us'):10.2f} "
          f"{med('loss'):10.3f} {max(r['drops'] for r in rs):8} {ratio:>6}")
print("CPU: the receiver process's utime + stime in the window; main: boltrtc's loop thread "
      "alone (not the keyframe saver); pub us/pkt: the publishers' own CPU per RTP packet they "
      "sent; ratio: CPU per packet / Pion's in the same round (median of those ratios below).\n"
      "loss: RTP the tracks wrote in the window that the receiver did not count in it (the "
      "receiver also counts NACK resends: a negative figure); all: the same over the whole run "
      "(with the start, where a receiver may drop what comes before its SRTP keys); k.drops: "
      "datagrams the kernel dropped in the namespace for a full receive buffer over the whole run "
      "(the largest of the rounds below); w.drops: the same in the window alone (whip_publishers).")
EOF
