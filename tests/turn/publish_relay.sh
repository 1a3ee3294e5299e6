#!/bin/sh
# `boltrtc publish --relay-only` to `boltrtc serve`, on loopback, through a TURN server:
# `boltrtc turn`, then coturn (Debian's turnserver, when installed). The publisher's pc
# gathers a relayed candidate through src/turn's client inside the pc (Allocate with the
# 401 dance, a permission for serve's address, ChannelBind for the pair in use) and has no
# host candidate to use, so every check and media packet goes through the relay. Asserted:
#   - publish exits 0 and its journey says the pair it nominated goes through its relay;
#   - serve's first check came from an address in the relay's port range (not from the
#     publisher's own socket), and serve saved a keyframe;
#   - `boltrtc turn` counted the media it relayed.
# Usage: publish_relay.sh BOLTRTC. Every process started is stopped by its pid.
set -u
BOLTRTC=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/coturn.sh"
DIR=$(mktemp -d /tmp/boltrtc-publish-relay.XXXXXX)
BASE=$((20000 + $$ % 20000))
TURN_PORT=$BASE
RELAY_MIN=$((BASE + 10))
RELAY_MAX=$((BASE + 109))
SERVE_PID=""
TURN_PID=""
FAILED=0

cleanup() {
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
  [ -n "$TURN_PID" ] && kill "$TURN_PID" 2>/dev/null && wait "$TURN_PID" 2>/dev/null
  coturn_stop
  rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

fail() {
  echo "FAIL: $*"
  FAILED=1
}

start_serve() {
  mkdir -p "$DIR/out"
  rm -f "$DIR/out"/*.jpg
  # The last serve's banner must be gone before we look: the shell truncates these files in
  # the background child, so without this a look could find the old URL (CI saw it once).
  rm -f "$DIR/serve.out" "$DIR/serve.log"
  "$BOLTRTC" serve --http 127.0.0.1:0 --udp 127.0.0.1:0 --output "$DIR/out" --loopback-only \
    --log-level debug >"$DIR/serve.out" 2>"$DIR/serve.log" &
  SERVE_PID=$!
  # Wait until the banner gives a URL.
  i=0
  SERVE_URL=""
  while [ $i -lt 100 ] && [ -z "$SERVE_URL" ]; do
    sleep 0.1
    i=$((i + 1))
    SERVE_URL=$(sed -n 's|^boltrtc serving \(http://127.0.0.1:[0-9]*\)/ .*|\1|p' "$DIR/serve.out" | head -1)
  done
  [ -n "$SERVE_URL" ] || { fail "serve did not start: $(cat "$DIR/serve.out" "$DIR/serve.log")"; return 1; }
}

stop_serve() {
  kill "$SERVE_PID" 2>/dev/null
  wait "$SERVE_PID" 2>/dev/null
  SERVE_PID=""
}

# publish through the TURN server on $TURN_PORT; $1 names it in the messages
publish_through() {
  name=$1
  start_serve || return
  timeout 60 "$BOLTRTC" publish --udp 127.0.0.1:0 --duration 2 --log-level debug \
    --ice-server "turn:127.0.0.1:$TURN_PORT?transport=udp" --ice-username alice \
    --ice-credential s3cret --relay-only "$SERVE_URL/whip" >"$DIR/publish-$name.log" 2>&1
  rc=$?
  sleep 0.3
  stop_serve
  [ $rc -eq 0 ] || fail "$name: publish exited $rc: $(tail -5 "$DIR/publish-$name.log")"
  grep -q "offer.*relayed candidates only" "$DIR/publish-$name.log" ||
    fail "$name: the offer's step does not say it offers relayed candidates only: $(grep -h 'offer' "$DIR/publish-$name.log" | head -2)"
  grep -q "ice-connected.*through our TURN relay" "$DIR/publish-$name.log" ||
    fail "$name: publish's nominated pair is not its relayed one: $(grep -E 'ice-|ICE' "$DIR/publish-$name.log")"
  port=$(sed -n 's/.* ice-check from 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$DIR/serve.log" | head -1)
  if [ -z "$port" ] || [ "$port" -lt $RELAY_MIN ] || [ "$port" -gt $RELAY_MAX ]; then
    fail "$name: serve's first check came from port '$port', not the relay's $RELAY_MIN-$RELAY_MAX"
  fi
  ls "$DIR/out"/*.jpg >/dev/null 2>&1 || fail "$name: serve saved no keyframe"
  echo "$name: $(grep -h 'ice-connected' "$DIR/publish-$name.log" | sed 's/^.*publish: //'); serve checked from 127.0.0.1:$port"
}

# 1. boltrtc turn
"$BOLTRTC" turn --listen "127.0.0.1:$TURN_PORT" --user alice:s3cret --realm lab \
  --allow-peers 127.0.0.0/8 --relay-ports "$RELAY_MIN-$RELAY_MAX" >"$DIR/turn.log" 2>&1 &
TURN_PID=$!
wait_stun "$TURN_PORT" || fail "boltrtc turn does not answer on $TURN_PORT"
publish_through "boltrtc-turn"
kill "$TURN_PID" 2>/dev/null
wait "$TURN_PID" 2>/dev/null
TURN_PID=""
relayed=$(sed -n 's/.*relayed \([0-9]*\) to peers.*/\1/p' "$DIR/turn.log" | tail -1)
[ -n "$relayed" ] && [ "$relayed" -gt 50 ] || fail "boltrtc turn relayed '$relayed' datagrams to peers"
echo "boltrtc turn: relayed $relayed datagrams to peers"

# 2. coturn
if command -v turnserver >/dev/null 2>&1; then
  coturn_start "$DIR" "$TURN_PORT" "$RELAY_MIN" "$RELAY_MAX" alice s3cret lab ||
    fail "coturn did not start: $(tail -5 "$DIR/coturn.log")"
  publish_through "coturn"
  coturn_stop
else
  echo "publish_relay: coturn (turnserver) is not installed: that half was not run"
fi
[ $FAILED -eq 0 ] && echo "publish_relay: ok"
exit $FAILED
