#!/bin/sh
# System test: leader election against a real kube-apiserver (v1.20.2, scripts/kube-apiserver.sh).
# For each lock (leases, configmaps), two `contour serve --enable-leader-election` instances
# elect exactly one leader (one xDS port open), and the record `kubectl get -o json` shows has
# client-go's fields and formats: holderIdentity, leaseDurationSeconds, acquireTime, renewTime
# and leaseTransitions (Lease, MicroTime), or the control-plane.alpha.kubernetes.io/leader
# annotation with holderIdentity, leaseDurationSeconds, acquireTime, renewTime and
# leaderTransitions (ConfigMap, RFC 3339 seconds). SIGTERM to the leader releases the lock.
#
# Exit status: 0 passed, 1 failed, 77 skipped (kube-apiserver cannot be built here).
# Usage: sh tests/system/real_apiserver_election.sh CONTOUR_BINARY REPO_ROOT
set -u
. "$(dirname "$0")/lib/common.sh"
# SIGKILL: a contour stopped by SIGTERM would first release its lock, and the exit trap would
# wait for that however slow the API server is.
stop_signal=KILL

step="0. scripts/kube-apiserver.sh build"
kube_build
ok

step="1. kube-apiserver and etcd start"
kube_start
kc create namespace projectcontour >/dev/null || fail "cannot create the namespace"
kc apply -f "$repo/deploy/00-crds.yaml" >/dev/null || fail "cannot apply the CRDs"
ok

. "$(dirname "$0")/lib/xds_ports.sh"

# json_field FILE KEY: the value of "KEY" in FILE's JSON (first occurrence, unquoted).
json_field() {
  tr -d '\n' <"$1" | sed -n "s/.*\"$2\": *\"\{0,1\}\([^\",}]*\)\"\{0,1\}.*/\1/p" | head -n 1
}

for lock in leases configmaps; do
  step="2. $lock: two instances elect one leader"
  cat >"$work/contour-$lock.yaml" <<EOF
leaderelection:
  configmap-name: leader-elect
  configmap-namespace: projectcontour
  lease-duration: 4s
  renew-deadline: 3s
  retry-period: 500ms
  lock: $lock
EOF
  pids=""
  for name in one two; do
    POD_NAME="contour-$name" "$bin" serve --kubeconfig "$kube/kubeconfig" \
      -c "$work/contour-$lock.yaml" --enable-leader-election --insecure --xds-port 0 --http-port 0 --debug-http-port 0 \
      >"$work/$lock-$name.log" 2>&1 3>&- &
    track $!
  done
  wait_serving 1 60000
  leader=$(leader_pid)
  ok

  step="3. $lock: the record has client-go's fields and formats"
  if [ "$lock" = leases ]; then
    kc get lease -n projectcontour leader-elect -o json >"$work/record.json" ||
      fail "no Lease"
    holder=$(json_field "$work/record.json" holderIdentity)
    case "$holder" in contour-one | contour-two) ;; *) fail "holderIdentity '$holder'" ;; esac
    [ "$(json_field "$work/record.json" leaseDurationSeconds)" = 4 ] || fail "leaseDurationSeconds"
    for key in acquireTime renewTime; do
      json_field "$work/record.json" "$key" |
        grep -q -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$' ||
        fail "$key is not a MicroTime: $(json_field "$work/record.json" "$key")"
    done
    grep -q '"leaseTransitions"' "$work/record.json" || fail "no leaseTransitions"
  else
    kc get configmap -n projectcontour leader-elect \
      -o jsonpath='{.metadata.annotations.control-plane\.alpha\.kubernetes\.io/leader}' \
      >"$work/record.json" || fail "no ConfigMap"
    holder=$(json_field "$work/record.json" holderIdentity)
    case "$holder" in contour-one | contour-two) ;; *) fail "holderIdentity '$holder'" ;; esac
    [ "$(json_field "$work/record.json" leaseDurationSeconds)" = 4 ] || fail "leaseDurationSeconds"
    for key in acquireTime renewTime; do
      json_field "$work/record.json" "$key" |
        grep -q -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' ||
        fail "$key is not RFC 3339 seconds: $(json_field "$work/record.json" "$key")"
    done
    grep -q '"leaderTransitions"' "$work/record.json" || fail "no leaderTransitions"
  fi
  grep -q "contour-$holder\|$holder" "$work/$lock-one.log" "$work/$lock-two.log" ||
    fail "the holder $holder is not in the logs"
  ok

  step="4. $lock: SIGTERM to the leader releases; the other leads"
  kill -TERM "$leader"
  wait "$leader"
  [ $? -eq 0 ] || fail "the leader did not exit 0"
  forget "$leader"
  wait_serving 1 20000
  ok
  for pid in $pids; do kill -TERM "$pid"; wait "$pid"; done
  pids=""
done
echo "all checks passed"
