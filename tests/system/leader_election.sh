#!/bin/sh
# System test: three `contour serve --enable-leader-election` processes against the fake API
# server (build/fake_apiserver), with a 3 s lease, 2 s renew deadline and 0.3 s retry period
# from a contour.yaml. Ports are the ground truth: `ss` lists each process's listening sockets.
#  1. exactly one process opens its xDS port;
#  2. SIGKILL the leader: another serves within lease + retry (+ slack);
#  3. SIGTERM the leader: it releases the lock, another serves within about one retry period;
#  4. the API server stalls (SIGSTOP): the leader closes its port within the renew deadline;
#     after SIGCONT one process serves again;
#  5. 50 randomized trials of those faults (and a killed follower), each followed by one
#     serving within its bound;
# and at no poll, all along, do two processes serve at once.
#
# Usage: sh tests/system/leader_election.sh CONTOUR_BINARY REPO_ROOT
# The fake API server is the program next to CONTOUR_BINARY.
set -u
. "$(dirname "$0")/lib/common.sh"
fake="$(dirname "$bin")/fake_apiserver"
for tool in ss curl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "leader_election: SKIPPED: no $tool" >&2; exit 77; }
done
[ -x "$fake" ] || { echo "leader_election: FAIL: no $fake" >&2; exit 1; }
# Seconds the fake API server may take to listen.
deadline=20
# SIGKILL: a contour stopped by SIGTERM would first release its lock, and the exit trap would
# wait for that however slow the API server is (stalled by SIGSTOP, or gone).
stop_signal=KILL

# The fake API server is not in $pids, which xds_ports.sh counts as the contour processes.
fake_pid=""
cleanup_hook() {
  if [ -n "$fake_pid" ]; then
    kill -CONT "$fake_pid"
    kill -9 "$fake_pid"
    wait "$fake_pid"
  fi 2>/dev/null
}

. "$(dirname "$0")/lib/xds_ports.sh"

# start_contour NAME: starts one instance.
start_contour() {
  POD_NAME="contour-$1" "$bin" serve --kubeconfig "$work/kubeconfig" -c "$work/contour.yaml" \
    --enable-leader-election --insecure --xds-port 0 --http-port 0 --debug-http-port 0 >"$work/$1.log" 2>&1 3>&- &
  track $!
}

# --- 0. the API server and the objects ----------------------------------------------------------
step="0. fake_apiserver starts; a Service and an Ingress exist"
"$fake" --port 0 --kubeconfig-out "$work/kubeconfig" >"$work/fake.out" 2>"$work/fake.log" 3>&- &
fake_pid=$!
watched="fake_apiserver=$fake_pid"
wait_for "a 'listening on' line" grep -q -s "listening on" "$work/fake.out"
port=$(sed -n 's/listening on \([0-9]*\).*/\1/p' "$work/fake.out")
for object in \
  '{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default"},"spec":{"ports":[{"port":80}]}}' \
  '{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"web","namespace":"default"},"spec":{"defaultBackend":{"service":{"name":"web","port":{"number":80}}}}}'; do
  path=/api/v1/namespaces/default/services
  case "$object" in *Ingress*) path=/apis/networking.k8s.io/v1/namespaces/default/ingresses ;; esac
  curl -sf -X POST -H 'Content-Type: application/json' -d "$object" \
    "http://127.0.0.1:$port$path" >/dev/null || fail "cannot create $path"
done
cat >"$work/contour.yaml" <<'EOF'
leaderelection:
  configmap-name: leader-elect
  configmap-namespace: projectcontour
  lease-duration: 3s
  renew-deadline: 2s
  retry-period: 300ms
  lock: leases
EOF
ok
lease_ms=3000
renew_ms=2000
retry_ms=300
slack_ms=3000

# --- 1. three instances, one serves ---------------------------------------------------------------
step="1. three instances start; exactly one opens its xDS port"
for name in a b c; do start_contour "$name"; done
wait_serving 1 20000
first=$(leader_pid)
# It stays alone for a while (a few renewals).
end=$(($(now_ms) + 2 * lease_ms))
while [ "$(now_ms)" -lt "$end" ]; do
  [ "$(count_serving)" -eq 1 ] || fail "the leader stopped serving without cause"
  sleep 0.05
done
ok

# --- 2. SIGKILL the leader ---------------------------------------------------------------------------
step="2. SIGKILL the leader: another serves within lease + retry"
kill -9 "$first"
wait "$first" 2>/dev/null
forget "$first"
killed_at=$(now_ms)
wait_serving 1 $((lease_ms + retry_ms + slack_ms))
note "took over after $(($(now_ms) - killed_at)) ms (lease $lease_ms + retry $retry_ms)"
ok

# --- 3. SIGTERM the leader ------------------------------------------------------------------------------
step="3. SIGTERM the leader: it releases; the other serves within about one retry period"
second=$(leader_pid)
kill -TERM "$second"
stopped_at=$(now_ms)
wait "$second"
status=$?
forget "$second"
[ "$status" -eq 0 ] || fail "contour exited with status $status on SIGTERM"
wait_serving 1 $((2 * retry_ms + slack_ms))
note "took over after $(($(now_ms) - stopped_at)) ms (retry $retry_ms)"
grep -q "released" "$work"/*.log || fail "no release logged"
ok

# --- 4. the API server stalls -----------------------------------------------------------------------------
step="4. the API server stalls: the leader closes its port within the renew deadline"
start_contour d  # a third member again
kill -STOP "$fake_pid"
stalled_at=$(now_ms)
wait_serving 0 $((renew_ms + slack_ms))
note "port closed $(($(now_ms) - stalled_at)) ms after the stall (renew deadline $renew_ms)"
kill -CONT "$fake_pid"
wait_serving 1 $((lease_ms + 2 * retry_ms + slack_ms + 5000))
ok

# --- 5. randomized trials --------------------------------------------------------------------------
# Each trial does one of: SIGKILL the leader, SIGTERM the leader, stall the API server for 1-3 s,
# SIGKILL a follower; a killed member is replaced at once, so three always run. After each, one
# serves again within its bound; all along, never two at once.
seed=${CONTOUR_ELECTION_SEED:-$(date +%s)}
trials=${CONTOUR_ELECTION_TRIALS:-50}
step="5. $trials randomized trials (seed $seed; CONTOUR_ELECTION_SEED repeats them)"
members=3
next_member() { members=$((members + 1)); start_contour "m$members"; }
start_contour m2
start_contour m3
wait_serving 1 $((lease_ms + 2 * retry_ms + slack_ms))
trial=0
while [ "$trial" -lt "$trials" ]; do
  trial=$((trial + 1))
  # The trial-th pair of one random stream seeded once.
  set -- $(awk -v s="$seed" -v t="$trial" \
    'BEGIN { srand(s % 1000003); for (i = 0; i < t; i++) { a = rand(); b = rand() }
             print int(a * 4), int(b * 3) + 1 }')
  action=$1
  stall_s=$2
  current=$(leader_pid)
  case "$action" in
    0)
      kill -9 "$current"; wait "$current" 2>/dev/null; forget "$current"; next_member
      bound=$((lease_ms + retry_ms + slack_ms)) ;;
    1)
      kill -TERM "$current"; wait "$current"
      [ $? -eq 0 ] || fail "trial $trial: SIGTERM exit status not 0"
      forget "$current"; next_member
      bound=$((2 * retry_ms + slack_ms)) ;;
    2)
      kill -STOP "$fake_pid"
      end=$(($(now_ms) + stall_s * 1000))
      while [ "$(now_ms)" -lt "$end" ]; do count_serving >/dev/null; sleep 0.05; done
      kill -CONT "$fake_pid"
      bound=$((lease_ms + 2 * retry_ms + slack_ms)) ;;
    *)
      for pid in $pids; do
        [ "$pid" = "$current" ] && continue
        kill -9 "$pid"; wait "$pid" 2>/dev/null; forget "$pid"; break
      done
      next_member
      bound=$((retry_ms + slack_ms)) ;;
  esac
  began=$(now_ms)
  wait_serving 1 "$bound"
  note "trial $trial: action $action$([ "$action" = 2 ] && echo " (${stall_s} s stall)"): one serves after $(($(now_ms) - began)) ms (bound $bound)"
done
ok

step="never two at once"
[ "$max_serving" -le 1 ] || fail "$max_serving served at once"
ok
echo "all checks passed"
