#!/bin/sh
# TURN against a real peer, on loopback (needs Debian's coturn: scripts/install-deps.sh --test).
#   1. our client core (turn_probe) against coturn's turnserver, over UDP and over TLS:
#      allocate, permission, Send and Data indications, channel, ChannelData both ways, delete;
#   2. coturn's turnutils_uclient against `boltrtc turn`: 4 client pairs relay to each other
#      through channels, no datagram may be lost, over UDP, over TCP and over TLS; our client
#      over UDP and over TLS; a wrong password is refused;
#   3. our client against our server, and the same with loopback peers not allowed: the
#      permission must be refused (403), so the relay cannot reach the server's own network.
# Exits 77 (skipped, never passed) when coturn is not installed.
# Usage: turn_interop.sh BOLTRTC TURN_PROBE
set -u
boltrtc=$1
probe=$2
if ! command -v turnserver >/dev/null || ! command -v turnutils_uclient >/dev/null; then
  echo "SKIP: coturn is not installed (scripts/install-deps.sh --test)"
  exit 77
fi
. "$(dirname "$0")/coturn.sh"
dir=$(mktemp -d /tmp/brtc-turn-interop.XXXXXX)
pids=""
cleanup() {
  coturn_stop
  for pid in $pids; do kill "$pid" 2>/dev/null; done
  for pid in $pids; do wait "$pid" 2>/dev/null; done
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$dir"/*.log; do echo "--- $f"; tail -20 "$f"; done
  exit 1
}
# Ports from a range of their own per run, so parallel runs rarely meet.
base=$((20000 + ($$ * 7 + $(date +%s)) % 30000))
coturn_port=$base
ours_port=$((base + 1))
closed_port=$((base + 2))
coturn_tls_port=$((base + 3))
ours_tls_port=$((base + 4))

coturn_start "$dir" "$coturn_port" $((base + 100)) $((base + 399)) alice secret boltrtc.test \
  "$coturn_tls_port" || fail "coturn did not answer on $coturn_port"
"$probe" "127.0.0.1:$coturn_port" alice secret >"$dir/probe-coturn.log" 2>&1 ||
  fail "our TURN client against coturn"
cat "$dir/probe-coturn.log"
# RFC 8656 3.1: our client core over TLS (stream framing, padded ChannelData) to coturn's.
"$probe" --tls "127.0.0.1:$coturn_tls_port" alice secret >"$dir/probe-coturn-tls.log" 2>&1 ||
  fail "our TURN client over TLS against coturn"
grep "TLS" "$dir/probe-coturn-tls.log"
echo "our client over TLS against coturn: ok"
coturn_stop

"$boltrtc" turn --listen "127.0.0.1:$ours_port" --listen-tls "127.0.0.1:$ours_tls_port" \
  --realm boltrtc.test --user alice:secret \
  --relay-ports "$((base + 400))-$((base + 699))" --allow-peers 127.0.0.0/8 \
  >"$dir/ours.log" 2>&1 &
pids="$pids $!"
wait_stun "$ours_port" || fail "boltrtc turn did not answer on $ours_port"
"$probe" "127.0.0.1:$ours_port" alice secret >"$dir/probe-ours.log" 2>&1 ||
  fail "our TURN client against our server"
echo "our client against our server: ok"
"$probe" --tls "127.0.0.1:$ours_tls_port" alice secret >"$dir/probe-ours-tls.log" 2>&1 ||
  fail "our TURN client over TLS against our server"
echo "our client over TLS against our server (self-signed certificate): ok"
# With its RTCP allocations: EVEN-PORT with a reservation, then RESERVATION-TOKEN.
timeout 60 turnutils_uclient -y -n 50 -m 4 -l 200 -u alice -w secret -p "$ours_port" \
  -e 127.0.0.1 127.0.0.1 >"$dir/uclient.log" 2>&1 || fail "turnutils_uclient against boltrtc turn"
grep -q "Total lost packets 0 (0.000000%)" "$dir/uclient.log" ||
  fail "turnutils_uclient lost packets through boltrtc turn"
grep "Total lost packets\|tot_send_bytes" "$dir/uclient.log"
# Over TCP (RFC 8656 3.3): client to server on a TCP connection, the relay still UDP.
timeout 60 turnutils_uclient -t -y -n 20 -m 2 -l 200 -u alice -w secret -p "$ours_port" \
  -e 127.0.0.1 127.0.0.1 >"$dir/uclient-tcp.log" 2>&1 || fail "turnutils_uclient -t against boltrtc turn"
grep -q "Total lost packets 0 (0.000000%)" "$dir/uclient-tcp.log" ||
  fail "turnutils_uclient -t lost packets through boltrtc turn"
echo "turnutils_uclient over TCP against boltrtc turn: ok"
# Over TLS (RFC 8656 3.1): -S with -t is TLS; coturn's client does not verify the certificate.
# This client loses a few datagrams over TLS and runs 4 times slower than over TCP against
# coturn's own TLS listener too (3 to 5 of 80 there, on this machine), so up to 10 % may go.
timeout 60 turnutils_uclient -t -S -y -n 20 -m 2 -l 200 -u alice -w secret -p "$ours_tls_port" \
  -e 127.0.0.1 127.0.0.1 >"$dir/uclient-tls.log" 2>&1 || fail "turnutils_uclient -t -S against boltrtc turn"
tls_sent=$(sed -n 's/.*start_mclient: tot_send_msgs=\([0-9]*\), tot_recv_msgs=\([0-9]*\)$/\1/p' "$dir/uclient-tls.log" | tail -1)
tls_got=$(sed -n 's/.*start_mclient: tot_send_msgs=\([0-9]*\), tot_recv_msgs=\([0-9]*\)$/\2/p' "$dir/uclient-tls.log" | tail -1)
[ "${tls_sent:-0}" -eq 80 ] && [ $((${tls_got:-0} * 10)) -ge $((tls_sent * 9)) ] ||
  fail "turnutils_uclient -t -S through boltrtc turn: ${tls_got:-none} of ${tls_sent:-none} came back"
echo "turnutils_uclient over TLS: $tls_got of $tls_sent came back"
echo "turnutils_uclient over TLS against boltrtc turn: ok"
if timeout 20 turnutils_uclient -c -y -n 5 -m 1 -u alice -w wrong -p "$ours_port" \
  -e 127.0.0.1 127.0.0.1 >"$dir/uclient-wrong.log" 2>&1; then
  fail "turnutils_uclient with a wrong password was let in"
fi
echo "turnutils_uclient against boltrtc turn: ok, and a wrong password refused"

"$boltrtc" turn --listen "127.0.0.1:$closed_port" --realm boltrtc.test --user alice:secret \
  --relay-ports "$((base + 700))-$((base + 799))" >"$dir/closed.log" 2>&1 &
pids="$pids $!"
wait_stun "$closed_port" || fail "boltrtc turn did not answer on $closed_port"
if "$probe" "127.0.0.1:$closed_port" alice secret >"$dir/probe-closed.log" 2>&1; then
  fail "a loopback peer was allowed without --allow-peers"
fi
grep -q "FAILED create permission" "$dir/probe-closed.log" ||
  fail "the loopback peer was refused at the wrong step"
grep -q "failed with 403" "$dir/probe-closed.log" || fail "the loopback peer was not refused with 403"
echo "loopback peer refused with 403 without --allow-peers: ok"
exit 0
