#!/bin/sh
# Two pcs on one loop sharing a STUN and a TURN server (two_pcs_one_server.c), through
# `boltrtc turn` and then coturn (Debian's turnserver, when installed), on loopback, with
# TURN reached over UDP, TCP and TLS (RFC 7065 turn:?transport=tcp and turns:, a certificate
# for 127.0.0.1 made here and given to the pcs as their CA). Over TLS without that CA the
# pcs must refuse the server (its certificate does not verify) and get no relayed candidate.
# Usage: two_pcs_one_server.sh BOLTRTC TWO_PCS_ONE_SERVER. Every process started is stopped
# by its pid.
set -u
BOLTRTC=$1
PROG=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/coturn.sh"
DIR=$(mktemp -d /tmp/boltrtc-two-pcs.XXXXXX)
BASE=$((20000 + ($$ * 7) % 20000))
TURN_PORT=$BASE
TLS_PORT=$((BASE + 1))
RELAY_MIN=$((BASE + 10))
RELAY_MAX=$((BASE + 109))
TURN_PID=""
FAILED=0

cleanup() {
  [ -n "$TURN_PID" ] && kill "$TURN_PID" 2>/dev/null && wait "$TURN_PID" 2>/dev/null
  coturn_stop
  rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=turn.test \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$DIR/key.pem" -out "$DIR/cert.pem" >/dev/null 2>&1 ||
  { echo "FAIL: openssl could not make a certificate"; exit 1; }

# every transport through the server on $TURN_PORT (UDP, TCP) and $TLS_PORT (TLS); $1 names it
through() {
  for url in "$TURN_PORT" "turn:127.0.0.1:$TURN_PORT?transport=tcp" "turns:127.0.0.1:$TLS_PORT"; do
    echo "== $1: $url"
    "$PROG" "$url" "$DIR/cert.pem" 100 || { echo "FAIL: $1 through $url"; FAILED=1; }
  done
  # The server's certificate does not chain to OpenSSL's default CAs: refused.
  echo "== $1: turns: without its CA (must fail)"
  if TWO_PCS_WAIT_S=5 "$PROG" "turns:127.0.0.1:$TLS_PORT" "" 1 >"$DIR/untrusted.log" 2>&1; then
    echo "FAIL: $1: pcs used a TURN server whose certificate does not verify"
    FAILED=1
  elif ! grep -q "certificate verify failed" "$DIR/untrusted.log"; then
    echo "FAIL: $1: no certificate failure logged: $(tail -3 "$DIR/untrusted.log")"
    FAILED=1
  else
    echo "refused: $(grep -m1 'certificate verify failed' "$DIR/untrusted.log")"
  fi
}

"$BOLTRTC" turn --listen "127.0.0.1:$TURN_PORT" --listen-tls "127.0.0.1:$TLS_PORT" \
  --cert "$DIR/cert.pem" --key "$DIR/key.pem" --user alice:s3cret --realm lab \
  --allow-peers 127.0.0.0/8 --relay-ports "$RELAY_MIN-$RELAY_MAX" >"$DIR/turn.log" 2>&1 &
TURN_PID=$!
if wait_stun "$TURN_PORT"; then
  through "boltrtc turn"
else
  echo "FAIL: boltrtc turn does not answer on $TURN_PORT"
  FAILED=1
fi
kill "$TURN_PID" 2>/dev/null
wait "$TURN_PID" 2>/dev/null
TURN_PID=""

if command -v turnserver >/dev/null 2>&1; then
  if COTURN_TCP=1 COTURN_CERT="$DIR/cert.pem" COTURN_KEY="$DIR/key.pem" \
    coturn_start "$DIR" "$TURN_PORT" "$RELAY_MIN" "$RELAY_MAX" alice s3cret lab "$TLS_PORT"; then
    through "coturn"
  else
    echo "FAIL: coturn did not start: $(tail -5 "$DIR/coturn.log")"
    FAILED=1
  fi
  coturn_stop
else
  echo "two_pcs_one_server: coturn (turnserver) is not installed: that half was not run"
fi
[ $FAILED -eq 0 ] && echo "two_pcs_one_server: ok"
exit $FAILED
