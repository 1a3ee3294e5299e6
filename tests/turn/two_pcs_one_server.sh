#!/bin/sh
# Two pcs on one loop sharing a STUN and a TURN server (two_pcs_one_server.c), run through
# `boltrtc turn` and then coturn (Debian's turnserver, when installed), on loopback.
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

"$BOLTRTC" turn --listen "127.0.0.1:$TURN_PORT" --user alice:s3cret --realm lab \
  --allow-peers 127.0.0.0/8 --relay-ports "$RELAY_MIN-$RELAY_MAX" >"$DIR/turn.log" 2>&1 &
TURN_PID=$!
if wait_stun "$TURN_PORT"; then
  echo "== boltrtc turn"
  "$PROG" "$TURN_PORT" || FAILED=1
else
  echo "FAIL: boltrtc turn does not answer on $TURN_PORT"
  FAILED=1
fi
kill "$TURN_PID" 2>/dev/null
wait "$TURN_PID" 2>/dev/null
TURN_PID=""

if command -v turnserver >/dev/null 2>&1; then
  if coturn_start "$DIR" "$TURN_PORT" "$RELAY_MIN" "$RELAY_MAX" alice s3cret lab; then
    echo "== coturn"
    "$PROG" "$TURN_PORT" || FAILED=1
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
