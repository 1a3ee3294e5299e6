# coturn (Debian's turnserver) on loopback for tests and benchmarks: sourced by
# tests/turn/turn_interop.sh and bench/turn/run_turn_bench.sh, so both run the same peer.
#   coturn_start DIR PORT RELAY_MIN RELAY_MAX USER PASS REALM [TLS_PORT]
#     writes DIR/turnserver.conf (long-term credentials, loopback peers allowed, UDP only,
#     plus TURN over TLS on TLS_PORT with a self-signed certificate made in DIR when given),
#     starts turnserver, sets COTURN_PID and waits until it answers STUN on PORT (non-zero
#     when it does not within 5 s). COTURN_LOG names its log file (default DIR/coturn-file.log).
#     COTURN_TCP=1 also takes TURN over TCP on PORT; COTURN_CERT and COTURN_KEY name the TLS
#     certificate and key to use instead of a self-signed one made in DIR.
#   coturn_stop: stops it by its pid and waits for it.
#   wait_stun PORT: until a STUN Binding to 127.0.0.1:PORT is answered, at most 5 s.
COTURN_PID=""

wait_stun() {
  _i=0
  while [ $_i -lt 50 ]; do
    if timeout 1 turnutils_stunclient -p "$1" 127.0.0.1 >/dev/null 2>&1; then return 0; fi
    sleep 0.1
    _i=$((_i + 1))
  done
  return 1
}

coturn_start() {
  _dir=$1
  _port=$2
  _tls_port=${8:-}
  cat >"$_dir/turnserver.conf" <<CONF
listening-ip=127.0.0.1
listening-port=$_port
relay-ip=127.0.0.1
min-port=$3
max-port=$4
lt-cred-mech
user=$5:$6
realm=$7
allow-loopback-peers
no-dtls
no-cli
userdb=$_dir/turndb
pidfile=$_dir/turnserver.pid
log-file=${COTURN_LOG:-$_dir/coturn-file.log}
simple-log
CONF
  [ "${COTURN_TCP:-0}" = 1 ] || echo "no-tcp" >>"$_dir/turnserver.conf"
  if [ -n "$_tls_port" ] && [ -n "${COTURN_CERT:-}" ]; then
    cat >>"$_dir/turnserver.conf" <<CONF
tls-listening-port=$_tls_port
cert=$COTURN_CERT
pkey=$COTURN_KEY
CONF
  elif [ -n "$_tls_port" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
      -subj /CN=coturn.test -keyout "$_dir/coturn-key.pem" -out "$_dir/coturn-cert.pem" \
      >/dev/null 2>&1 || return 1
    cat >>"$_dir/turnserver.conf" <<CONF
tls-listening-port=$_tls_port
cert=$_dir/coturn-cert.pem
pkey=$_dir/coturn-key.pem
CONF
  else
    echo "no-tls" >>"$_dir/turnserver.conf"
  fi
  rm -f "$_dir/turndb"
  turnserver -c "$_dir/turnserver.conf" >"$_dir/coturn.log" 2>&1 &
  COTURN_PID=$!
  wait_stun "$_port"
}

coturn_stop() {
  if [ -n "$COTURN_PID" ]; then
    kill "$COTURN_PID" 2>/dev/null
    wait "$COTURN_PID" 2>/dev/null
  fi
  COTURN_PID=""
}
