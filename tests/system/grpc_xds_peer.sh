#!/bin/sh
# System test with a real xDS peer that we did not write: gRPC's pure-JS xDS client
# (@grpc/grpc-js-xds, tools/xds-peer). `contour serve --manifests DIR` serves two Echo backends
# A and B; the client dials xds:///HOST, and the test edits the manifests and waits (bounded)
# until the client's traffic follows: all to A, then all to B, then weighted 100/0 and 20/80.
# Any NACK in contour's log fails the test.
#
# Usage: sh tests/system/grpc_xds_peer.sh CONTOUR_BINARY REPO_ROOT
# Environment: CONTOUR_XDS_PEER_DEADLINE (seconds each wait may take, default 20),
# CONTOUR_XDS_PEER_TIMEOUT (seconds the whole test may take, default 110).
# Debugging: GRPC_TRACE=xds_client,xds_resolver GRPC_VERBOSITY=DEBUG make the client print every
# decoded resource and validation error into its output, which a failure prints.
set -u
. "$(dirname "$0")/lib/common.sh"
peer="$repo/tools/xds-peer"
deadline=${CONTOUR_XDS_PEER_DEADLINE:-20}
limit=${CONTOUR_XDS_PEER_TIMEOUT:-110}
poll_seconds=0.1

# A missing peer is a failure, not a skip: this is the only test against a real xDS client.
if ! command -v node >/dev/null 2>&1; then
  echo "grpc_xds_peer: FAIL: node is not installed; run \`make setup\` (scripts/setup.sh)" >&2
  exit 1
fi
if [ ! -d "$peer/node_modules/@grpc/grpc-js-xds" ]; then
  echo "grpc_xds_peer: FAIL: $peer/node_modules is missing; run \`make setup\`" \
    "(scripts/setup.sh)" >&2
  exit 1
fi

manifests="$work/manifests"
mkdir "$manifests" || exit 1

# fd 4 writes the client's jobs (start_client): closed before the client is stopped.
cleanup_hook() {
  exec 4>&-
}

show_logs() {
  # A NACK is the usual reason why RPCs wait for name resolution and fail: say so first.
  if grep -F -e "xDS NACK" "$work/contour.log" >/dev/null 2>&1; then
    echo "contour logged NACKs:"
    grep -F -e "xDS NACK" "$work/contour.log"
  fi
  tail_logs 60 "$work"/*.log "$work/client.out"
}

# start_backend NAME: starts an Echo backend answering NAME (its port is read by backend_port).
start_backend() {
  node "$peer/backend.js" --name "$1" >"$work/backend-$1.log" 2>&1 3>&- &
  track $! "backend-$1"
}

# backend_port NAME: waits for the backend to print its port; sets $port.
backend_port() {
  wait_for "/^PORT [0-9]+$/ in backend-$1.log" \
    grep -q -s -E -e '^PORT [0-9]+$' "$work/backend-$1.log"
  port=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$work/backend-$1.log")
}

# start_client: one long-lived xDS client (tools/xds-peer/client.js --commands) for all the
# checks, so that it sees contour's pushed updates on one ADS stream; it reads jobs from a FIFO
# on fd 4 and answers each with a line `RESULT <status> <counts JSON>` in $work/client.out.
start_client() {
  mkfifo "$work/client.in" || fail "mkfifo"
  # Created here, not by the child's redirection, which may come after the first poll.
  : >"$work/client.out"
  node "$peer/client.js" --xds-server "127.0.0.1:$xds_port" --bootstrap "$work/bootstrap.json" \
    --node-id grpc-xds-peer-test --commands \
    <"$work/client.in" >"$work/client.out" 2>"$work/client.log" 3>&- &
  track $! client
  exec 4>"$work/client.in"
  jobs_sent=0
}

# answered N: the client has answered N jobs.
answered() {
  [ "$(grep -c '^RESULT ' "$work/client.out")" -ge "$1" ]
}

# job ARGS...: runs one client job (see client.js) and waits for its result; sets $counts to
# the counts JSON and returns the job's status.
job() {
  echo "$* --deadline $deadline --rpc-timeout 10" >&4 || fail "the client is gone"
  jobs_sent=$((jobs_sent + 1))
  # Bounded: a job takes up to the deadline plus one RPC timeout; the first one also waits for
  # node to load the xDS package.
  wait_seconds=$((deadline + 60))
  wait_for "the client's answer to job $jobs_sent" answered "$jobs_sent"
  unset wait_seconds
  result=$(grep '^RESULT ' "$work/client.out" | sed -n "${jobs_sent}p")
  counts=${result#RESULT * }
  status=${result#RESULT }
  return "${status%% *}"
}

# endpoints NAME PORT: an Endpoints object for 127.0.0.1:PORT.
endpoints() {
  cat <<EOF
apiVersion: v1
kind: Endpoints
metadata:
  name: $1
  namespace: default
subsets:
- addresses:
  - ip: 127.0.0.1
  ports:
  - port: $2
EOF
}

# service NAME TARGET_PORT: port 80, served over h2c (gRPC).
service() {
  cat <<EOF
apiVersion: v1
kind: Service
metadata:
  name: $1
  namespace: default
  annotations:
    contour.heptio.com/upstream-protocol.h2c: "80"
spec:
  ports:
  - port: 80
    targetPort: $2
EOF
}

# weighted WEIGHT_A WEIGHT_B: an IngressRoute for weighted.example.com over kuard-a and kuard-b.
weighted() {
  cat <<EOF
apiVersion: contour.heptio.com/v1beta1
kind: IngressRoute
metadata:
  name: weighted
  namespace: default
spec:
  virtualhost:
    fqdn: weighted.example.com
  routes:
  - match: /
    services:
    - name: kuard-a
      port: 80
      weight: $1
    - name: kuard-b
      port: 80
      weight: $2
EOF
}

# check_manifests: `contour translate` accepts every file in the manifest directory.
check_manifests() {
  "$bin" translate -f "$manifests" >"$work/translate.out" 2>"$work/translate.err" ||
    fail "contour translate rejects the manifests: $(cat "$work/translate.err")"
}

no_nack() {
  if grep -F -e "xDS NACK" "$work/contour.log" >/dev/null; then
    fail "contour logged a NACK: $(grep -F -e "xDS NACK" "$work/contour.log")"
  fi
}

start_time_limit "$limit"

# --- two backends ------------------------------------------------------------------------
step="backends A and B start"
start_backend A
start_backend B
backend_port A
port_a=$port
backend_port B
port_b=$port
ok
note "A on 127.0.0.1:$port_a, B on 127.0.0.1:$port_b"

# --- manifests: Service kuard (h2c) and an Ingress for kuard.example.com; Endpoints → A -------
step="manifests are valid"
{
  service kuard "$port_a"
  cat <<'EOF'
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: kuard
  namespace: default
spec:
  rules:
  - host: kuard.example.com
    http:
      paths:
      - path: /
        backend:
          serviceName: kuard
          servicePort: 80
EOF
} >"$manifests/kuard.yaml"
endpoints kuard "$port_a" >"$manifests/kuard-endpoints.yaml"
check_manifests
ok

# --- contour serve on any port ----------------------------------------------------------------
step="contour serve starts and logs its xDS port"
"$bin" serve --manifests "$manifests" --insecure --xds-port 0 --http-port 0 --debug-http-port 0 >"$work/contour.log" 2>&1 3>&- &
contour_pid=$!
track "$contour_pid" contour
wait_for "serving xDS on 127.0.0.1:PORT in the log" has_xds_port "$work/contour.log"
xds_port=$(xds_port_in "$work/contour.log")
ok
note "xDS on 127.0.0.1:$xds_port"

step="the xDS client is spawned (it loads while the first job waits)"
start_client
ok

# --- every RPC reaches A -------------------------------------------------------------------
step="xds:///kuard.example.com: 200 RPCs all reach A"
job --target xds:///kuard.example.com --count 200 || fail "RPCs failed: $counts"
[ "$counts" = '{"A":200}' ] || fail "want {\"A\":200}, got $counts"
no_nack
ok

# --- rewrite the Endpoints file in place: traffic moves to B ---------------------------------
step="Endpoints kuard rewritten to B: all traffic moves to B"
endpoints kuard "$port_b" >"$manifests/kuard-endpoints.yaml"
check_manifests
job --target xds:///kuard.example.com --count 100 --until B=1 --tolerance 0 ||
  fail "traffic did not move to B within ${deadline}s: last batch $counts"
no_nack
ok

# --- weighted clusters (IngressRoute), renamed into place (contour reads no *.tmp) -----------
step="IngressRoute weighted.example.com kuard-a 100 / kuard-b 0: all to A"
{
  service kuard-a "$port_a"
  echo ---
  endpoints kuard-a "$port_a"
  echo ---
  service kuard-b "$port_b"
  echo ---
  endpoints kuard-b "$port_b"
} >"$manifests/weighted-services.tmp"
mv "$manifests/weighted-services.tmp" "$manifests/weighted-services.yaml"
weighted 100 0 >"$manifests/weighted-route.tmp"
mv "$manifests/weighted-route.tmp" "$manifests/weighted-route.yaml"
check_manifests
job --target xds:///weighted.example.com --count 200 --until A=1,B=0 --tolerance 0 ||
  fail "the distribution did not become A=1 within ${deadline}s: last batch $counts"
no_nack
ok

step="weights changed to 20 / 80: the distribution follows (±0.1 over 200 RPCs)"
weighted 20 80 >"$manifests/weighted-route.tmp"
mv "$manifests/weighted-route.tmp" "$manifests/weighted-route.yaml"
check_manifests
job --target xds:///weighted.example.com --count 200 --until A=0.2,B=0.8 --tolerance 0.1 ||
  fail "the distribution did not become A=0.2,B=0.8 within ${deadline}s: last batch $counts"
note "counts: $counts"
no_nack
ok

# --- kuard.example.com is unaffected by the other host's changes -----------------------------
step="xds:///kuard.example.com still all to B"
job --target xds:///kuard.example.com --count 100 || fail "RPCs failed: $counts"
[ "$counts" = '{"B":100}' ] || fail "want {\"B\":100}, got $counts"
ok

step="contour logged no xDS NACK"
no_nack
kill -0 "$contour_pid" 2>/dev/null || fail "contour serve exited"
ok
echo "all checks passed"
