#!/bin/sh
# System test: `contour serve --kubeconfig` against a real kube-apiserver (v1.20.2) and etcd,
# started by scripts/kube-apiserver.sh. kubectl applies deploy/00-crds.yaml and examples/;
# what contour serves over CDS, RDS, EDS and LDS must equal what `contour translate` renders for
# the same objects. kubectl edits and deletes (an Ingress host, an IngressRoute match, an
# Endpoints address, a deleted Ingress and IngressRoute) show up on `contour cli --watch`;
# IngressRoute status (valid, orphaned, invalid) appears on the objects, and is not rewritten
# when unchanged; restarting the API server loses nothing, and a change made after it is back
# is picked up. Then SIGTERM stops contour (status 0).
#
# The test keeps a copy of the example manifests, one object per file, and makes every change
# both to the API server and to that copy, so `contour translate` on the copy is the expected
# state at each step.
#
# Exit status: 0 passed, 1 failed, 77 skipped (kube-apiserver cannot be built on this machine:
# no network, no Debian source package, or not allowed to install packages); ctest needs
# SKIP_RETURN_CODE 77 to report that as skipped. A first build takes minutes (5 on two idle
# cores), before the time limit below starts: give ctest a timeout that allows for it.
#
# Usage: sh tests/system/real_apiserver.sh CONTOUR_BINARY REPO_ROOT
# Environment: CONTOUR_REAL_APISERVER_DEADLINE (seconds each wait may take, default 30),
# CONTOUR_REAL_APISERVER_TIMEOUT (seconds the test may take after the build, default 240),
# CONTOUR_REAL_APISERVER_KEEP (when set, the scratch directory with every log is kept),
# CONTOUR_KUBE_CACHE (where scripts/kube-apiserver.sh caches the binary).
set -u
. "$(dirname "$0")/lib/common.sh"
deadline=${CONTOUR_REAL_APISERVER_DEADLINE:-30}
limit=${CONTOUR_REAL_APISERVER_TIMEOUT:-240}
keep_scratch=${CONTOUR_REAL_APISERVER_KEEP:-}

manifests="$work/manifests"
mkdir "$manifests" || exit 1

show_logs() {
  for log in "$work"/*.log "$work"/*.err "$kube"/*.log; do
    # The audit log is one long JSON line per write: named in failures that concern it.
    [ "$(basename "$log")" = audit.log ] || tail_logs 30 "$log"
  done
  for out in "$work"/cds.out "$work"/rds.out "$work"/eds.out; do
    [ -f "$out" ] || continue
    echo "---- $(basename "$out"): $(count "$out") documents"
  done
}

# --- comparing what contour serves with what `contour translate` renders ----------------------

# resources: a `contour cli` response as the list `contour translate --type T` prints: without
# the response's own fields and without each resource's "@type" line.
resources() {
  awk '
    /^---$/ || /^(version_info|system_version_info|nonce|type_url): / || /^resources:/ { next }
    /^  - "@type": / { first = 1; next }
    first { sub(/^    /, "  - "); first = 0 }
    { print }'
}

# expected TYPE: `contour translate --type TYPE` on the manifests copy, without its heading.
expected() {
  "$bin" translate -f "$manifests" --type "$1" 2>"$work/translate.err" | sed -e '1{/^[a-z]*:$/d}'
}

# xds_type CLI_TYPE: the translate --type for a contour cli subcommand.
xds_type() {
  case $1 in
  cds) echo clusters ;;
  rds) echo routes ;;
  eds) echo endpoints ;;
  lds) echo listeners ;;
  esac
}

# serves_expected CLI_TYPE: a fresh `contour cli CLI_TYPE` shows exactly the expected resources.
serves_expected() {
  expected "$(xds_type "$1")" >"$work/expected"
  timeout 10 "$bin" cli --contour "127.0.0.1:$xds_port" "$1" 2>"$work/cli-once.err" 3>&- |
    resources >"$work/actual"
  [ -s "$work/expected" ] ||
    fail "contour translate printed no $(xds_type "$1"): $(cat "$work/translate.err")"
  cmp -s "$work/expected" "$work/actual"
}

# merged FILE: the resources of every document in FILE, each as its last document had it, in
# name order (as contour translate prints them). State of the world for RDS and EDS is per
# resource: a response carries the resources that changed, not all of them.
merged() {
  tab=$(printf '\t')
  awk '
    function flush() {
      if (key != "") latest[key] = body
      inside = 0; key = ""; body = ""
    }
    /^---$/ { flush(); next }
    /^(version_info|system_version_info|nonce|type_url): / || /^resources:/ { flush(); next }
    /^  - "@type": / { flush(); inside = 1; first = 1; next }
    inside {
      line = $0
      if (first) { sub(/^    /, "  - ", line); first = 0 }
      if (key == "" && $0 ~ /^    (name|cluster_name): /) key = $0
      body = body (body == "" ? "" : "\001") line
    }
    END { flush(); for (k in latest) printf "%s\t%s\n", k, latest[k] }' "$1" |
    LC_ALL=C sort -t "$tab" -k 1,1 | cut -f 2- | tr '\001' '\n'
}

# latest_expected NAME: what the watcher NAME printed last shows exactly the expected resources:
# its last document for CDS (every response has every cluster), the merged documents otherwise.
latest_expected() {
  last=$(count "$work/$1.out")
  [ "$last" -gt 0 ] || return 1
  expected "$(xds_type "$1")" >"$work/expected"
  case $1 in
  cds) doc "$work/$1.out" "$last" | resources >"$work/actual" ;;
  *) merged "$work/$1.out" >"$work/actual" ;;
  esac
  cmp -s "$work/expected" "$work/actual"
}

# watchers_expected: every watcher's last document shows exactly the expected resources.
watchers_expected() {
  for entry in $watchers; do
    latest_expected "${entry%=*}" || return 1
  done
}

# --- IngressRoute status -------------------------------------------------------------------

# statuses: "namespace/name currentStatus: description" for every IngressRoute, sorted.
statuses() {
  line='{.metadata.namespace}/{.metadata.name} {.status.currentStatus}: {.status.description}'
  kc get ingressroutes --all-namespaces -o jsonpath="{range .items[*]}$line{\"\\n\"}{end}" |
    LC_ALL=C sort
}

# statuses_are FILE: the IngressRoutes' statuses are the lines of FILE.
statuses_are() {
  LC_ALL=C sort "$1" >"$work/expected"
  statuses >"$work/actual"
  cmp -s "$work/expected" "$work/actual"
}

# --- the manifests copy --------------------------------------------------------------------

# split_manifests FILE...: writes each object of FILE... to its own file in the copy, named
# after the file, the object's kind and its name.
split_manifests() {
  for file in "$@"; do
    awk -v dir="$manifests" -v base="$(basename "$file" .yaml)" '
      function flush() {
        if (body != "" && kind != "") {
          out = sprintf("%s/%s-%02d-%s-%s.yaml", dir, base, n, tolower(kind), name)
          printf "%s", body > out
          close(out)
          n++
        }
        body = ""; kind = ""; name = ""
      }
      /^---$/ { flush(); next }
      /^kind: / { kind = $2 }
      /^  name: / && name == "" { name = $2 }
      { body = body $0 "\n" }
      END { flush() }' "$file"
  done
}

# files PATH...: how many of PATH... exist (a glob that matches nothing counts 0).
files() {
  n=0
  for f in "$@"; do
    [ -e "$f" ] && n=$((n + 1))
  done
  echo "$n"
}

# object_file KIND NAMESPACE NAME: the copy's file holding that object.
object_file() {
  for file in "$manifests"/*.yaml; do
    if grep -q -x -e "kind: $1" "$file" && grep -q -x -e "  namespace: $2" "$file" &&
      grep -q -x -e "  name: $3" "$file"; then
      echo "$file"
      return 0
    fi
  done
  fail "the test's manifests copy has no $1 $2/$3"
}

# lower WORD: WORD in lower case (a kind as kubectl's resource name).
lower() {
  echo "$1" | tr '[:upper:]' '[:lower:]'
}

# edit KIND NAMESPACE NAME SED_SCRIPT JSON_PATCH: applies JSON_PATCH to the object on the API
# server with kubectl patch, and SED_SCRIPT to its file in the copy.
edit() {
  file=$(object_file "$1" "$2" "$3")
  cp "$file" "$work/unedited"
  sed -i -e "$4" "$file"
  cmp -s "$file" "$work/unedited" && fail "the test's edit \"$4\" changes nothing in $file"
  kc_ok "patch $1 $2/$3" -n "$2" patch "$(lower "$1")" "$3" --type=json -p "$5"
}

# remove KIND NAMESPACE NAME: kubectl delete, and the file leaves the copy.
remove() {
  rm "$(object_file "$1" "$2" "$3")"
  kc_ok "delete $1 $2/$3" -n "$2" delete "$(lower "$1")" "$3" --wait=false
}

# add FILE: the manifest (one object) joins the copy, and kubectl applies it.
add() {
  cp "$1" "$manifests/"
  kc_ok "apply $(basename "$1")" apply -f "$manifests/$(basename "$1")"
}

# changes TYPE COMMAND [ARGS...]: runs COMMAND, which must change what contour translate
# renders for TYPE (else the check that follows could pass before contour saw anything).
changes() {
  type=$1
  shift
  expected "$type" >"$work/before"
  "$@"
  expected "$type" | cmp -s "$work/before" - && fail "the test's change ($*) changes no $type"
}

# status_writes: how many status writes the API server answered with 200: patches of
# IngressRoutes by anyone but kubectl, from its audit log.
status_writes() {
  grep -F -e '"verb":"patch"' "$kube/audit.log" | grep -F -e '"resource":"ingressroutes"' |
    grep -F -e '"code":200' | grep -v -c -F -e '"userAgent":"kubectl/'
}

# ---------------------------------------------------------------------------------------------

# --- 0. kube-apiserver, built once per machine (not part of the time limit) ------------------
step="0. scripts/kube-apiserver.sh build"
kube_build
ok
note "$kube_bin"
start_time_limit "$limit"

# --- 1. the API server ------------------------------------------------------------------------
step="1. scripts/kube-apiserver.sh start: etcd and kube-apiserver on 127.0.0.1, ready"
kube_start
kc_ok "the API server's version" version
server_version=$(kc version -o json | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -n 1)
[ "$server_version" = v1.20.2 ] || fail "the server reports version '$server_version'"
ok
note "$(sed -n 's/.*kube-apiserver ready on \(.*\), kubeconfig.*/\1/p' "$work/start.log")"

# --- 2. the CRDs --------------------------------------------------------------------------------
step="2. kubectl apply -f deploy/00-crds.yaml: CRDs Established, short names, no subresource"
kc_ok "apply the CRDs" apply -f "$repo/deploy/00-crds.yaml"
kc_ok "CRDs Established" wait --for condition=Established --timeout="${deadline}s" \
  crd/ingressroutes.contour.heptio.com crd/tlscertificatedelegations.contour.heptio.com
for crd in ingressroutes tlscertificatedelegations; do
  conditions=$(kc get crd "$crd.contour.heptio.com" \
    -o jsonpath='{range .status.conditions[*]}{.type}={.status} {end}')
  case " $conditions" in
  *" NonStructuralSchema=True"*) fail "$crd: the schema is not structural: $conditions" ;;
  esac
done
subresources=$(kc get crd ingressroutes.contour.heptio.com \
  -o jsonpath='{.spec.versions[0].subresources}')
[ -z "$subresources" ] || fail "IngressRoute has subresources: $subresources"
kc_ok "the short name ir" get ir --all-namespaces
kc_ok "the short name tlscerts" get tlscerts --all-namespaces
ok

# --- 3. the schema ----------------------------------------------------------------------------
step="3. the IngressRoute schema rejects wrong types and patterns, and prunes unknown fields"
ir_header='apiVersion: contour.heptio.com/v1beta1
kind: IngressRoute
metadata:
  name: NAME
  namespace: default
spec:'
# WHAT|SPEC (the lines under "spec:"): each must be rejected by the API server itself.
while IFS='|' read -r what spec; do
  [ -n "$what" ] || continue
  printf '%s\n%s\n' "$ir_header" "$spec" | sed 's/NAME/bad/' >"$work/bad.yaml"
  if kubectl --kubeconfig "$kube/kubeconfig" --cache-dir "$work/kubectl-cache" create \
    --dry-run=server --validate=false -f "$work/bad.yaml" </dev/null >/dev/null \
    2>"$work/bad.err" 3>&-; then
    fail "the API server accepted an IngressRoute with $what"
  fi
  # The API server's verdict on the object (422), not some other failure.
  grep -q -F -e 'IngressRoute "bad" is invalid' "$work/bad.err" ||
    fail "an IngressRoute with $what: $(cat "$work/bad.err")"
done <<'EOF'
a port that is a string|  routes: [{match: /, services: [{name: s, port: "80"}]}]
a match without a leading /|  routes: [{match: foo, services: [{name: s, port: 80}]}]
an unknown strategy|  routes: [{match: /, services: [{name: s, port: 80, strategy: Fast}]}]
a service without a port|  routes: [{match: /, services: [{name: s}]}]
a route without a match|  routes: [{services: [{name: s, port: 80}]}]
a healthCheck without path|  routes: [{match: /, services: [{name: s, port: 80, healthCheck: {}}]}]
minimumProtocolVersion 1.0|  virtualhost: {fqdn: a.b.c, tls: {minimumProtocolVersion: "1.0"}}
a delegate without a name|  routes: [{match: /, delegate: {namespace: x}}]
EOF
printf '%s\n  routes: [{match: /, surprise: 1, services: [{name: s, port: 80}]}]\n' "$ir_header" |
  sed 's/NAME/pruned/' >"$work/pruned.yaml"
pruned=$(kc create --dry-run=server --validate=false -f "$work/pruned.yaml" \
  -o jsonpath='{.spec.routes[0]}') || fail "an IngressRoute with an unknown field was rejected"
case $pruned in
*surprise*) fail "the unknown field was kept: $pruned" ;;
esac
ok

# --- 4. the examples --------------------------------------------------------------------------
step="4. kubectl apply -f examples/: every object accepted and stored with all its fields"
split_manifests "$repo"/examples/*.yaml
objects=$(files "$manifests"/*.yaml)
[ "$objects" -gt 0 ] || fail "no objects in $repo/examples"
sed -n 's/^  namespace: *//p' "$manifests"/*.yaml | LC_ALL=C sort -u >"$work/namespaces"
while read -r ns; do
  [ "$ns" = default ] || kc_ok "create namespace $ns" create namespace "$ns"
done <"$work/namespaces"
kc_ok "apply the examples" apply -f "$manifests"
stored=$(kc get -f "$manifests" -o name | wc -l)
[ "$stored" -eq "$objects" ] || fail "$objects objects applied, $stored found on the server"
# A field missing from the schema would be pruned silently: read back one of each kind.
while read -r kind ns name path want; do
  [ -n "$kind" ] || continue
  got=$(kc -n "$ns" get "$kind" "$name" -o jsonpath="{$path}") || fail "get $kind $ns/$name"
  [ "$got" = "$want" ] || fail "$kind $ns/$name $path is '$got' on the server, '$want' in examples/"
done <<'EOF'
ingressroute ingress-roots www .spec.virtualhost.fqdn www.example.net
ingressroute ingress-roots www .spec.virtualhost.tls.secretName certificates/www-example-net
ingressroute ingress-roots www .spec.virtualhost.tls.minimumProtocolVersion 1.2
ingressroute ingress-roots www .spec.routes[1].delegate.namespace blog
ingressroute blog blog .spec.routes[0].permitInsecure true
ingressroute ingress-roots vault .spec.virtualhost.tls.passthrough true
ingressroute ingress-roots vault .spec.tcpproxy.delegate.namespace vault
ingressroute vault vault .spec.tcpproxy.services[0].port 8200
ingressroute canary store .spec.routes[0].services[1].weight 10
ingressroute canary store .spec.routes[0].services[1].strategy WeightedLeastRequest
ingressroute canary store .spec.routes[0].services[1].healthCheck.path /healthz
ingressroute canary store .spec.routes[1].timeoutPolicy.request 10s
ingressroute canary store .spec.routes[1].retryPolicy.count 2
ingressroute canary store .spec.routes[1].retryPolicy.perTryTimeout 3s
ingressroute canary store .spec.routes[1].services[0].strategy Cookie
tlscerts certificates www-example-net .spec.delegations[0].targetNamespaces[0] ingress-roots
EOF
ok
note "$objects objects in $(files "$repo"/examples/*.yaml) files"

# --- 5. contour serve --------------------------------------------------------------------------
step="5. contour serve --kubeconfig --insecure --xds-port 0 --http-port 0 --debug-http-port 0 syncs and logs its port"
: >"$work/contour.log"
"$bin" serve --kubeconfig "$kube/kubeconfig" --insecure --xds-port 0 --http-port 0 --debug-http-port 0 \
  >>"$work/contour.log" 2>&1 3>&- &
contour_pid=$!
track "$contour_pid" contour
wait_for "serving xDS on 127.0.0.1:PORT in the log" has_xds_port "$work/contour.log"
xds_port=$(xds_port_in "$work/contour.log")
ok
note "xDS on 127.0.0.1:$xds_port"

step="6. contour cli cds, rds, eds, lds: what contour translate renders for examples/"
for type in cds rds eds lds; do
  wait_for "contour cli $type = contour translate --type $(xds_type "$type")" \
    serves_expected "$type"
done
ok
note "$(grep -c -e '^  - ' "$work/actual") listeners, and the clusters, routes and endpoints"

# --- 7. status --------------------------------------------------------------------------------
step="7. IngressRoute status: valid on every example, written on the object (no subresource)"
cat >"$work/statuses" <<'EOF'
blog/blog valid: valid IngressRoute
canary/store valid: valid IngressRoute
ingress-roots/vault valid: valid IngressRoute
ingress-roots/www valid: valid IngressRoute
vault/vault valid: valid IngressRoute
EOF
wait_for "the statuses of the examples" statuses_are "$work/statuses"
kc get ingressroutes --all-namespaces -o yaml >"$work/ingressroutes.yaml" ||
  fail "kubectl get ingressroutes -o yaml"
grep -q -e '^    currentStatus: valid$' "$work/ingressroutes.yaml" ||
  fail "kubectl get ingressroutes -o yaml shows no currentStatus: valid"
# Printer columns (NAME FQDN TLS-SECRET FIRST-ROUTE STATUS STATUS-DESCRIPTION AGE; an empty
# value prints as nothing): the Status columns come from .status.
kc get ir -n canary store |
  grep -q -E -e '^store +store\.example\.net +/ +valid +valid IngressRoute +[0-9]' ||
  fail "kubectl get ir shows: $(kc get ir -n canary store | tail -n 1)"
ok

step="8. orphaned and invalid IngressRoutes get their status; nothing else changes"
cat >"$work/orphan.yaml" <<'EOF'
apiVersion: contour.heptio.com/v1beta1
kind: IngressRoute
metadata:
  name: orphan
  namespace: default
spec:
  routes:
  - match: /
    services:
    - name: kuard
      port: 80
EOF
cat >"$work/broken.yaml" <<'EOF'
apiVersion: contour.heptio.com/v1beta1
kind: IngressRoute
metadata:
  name: broken
  namespace: default
spec:
  virtualhost:
    fqdn: broken.example.com
  routes:
  - match: /
    services:
    - name: missing
      port: 80
EOF
# The CRD's fqdn pattern, like Contour's, lets a wildcard through: Contour judges it, in status.
cat >"$work/wildcard.yaml" <<'EOF'
apiVersion: contour.heptio.com/v1beta1
kind: IngressRoute
metadata:
  name: wildcard
  namespace: default
spec:
  virtualhost:
    fqdn: "*.example.com"
  routes:
  - match: /
    services:
    - name: kuard
      port: 80
EOF
add "$work/orphan.yaml"
add "$work/broken.yaml"
add "$work/wildcard.yaml"
cat >>"$work/statuses" <<'EOF'
default/orphan orphaned: this IngressRoute is not part of a delegation chain from a root IngressRoute
default/broken invalid: Service [missing:80] is invalid or missing
default/wildcard invalid: Spec.VirtualHost.Fqdn "*.example.com" cannot use wildcards
EOF
wait_for "the orphaned and the invalid statuses" statuses_are "$work/statuses"
for type in cds rds; do
  wait_for "contour cli $type = contour translate" serves_expected "$type"
done
# One merge patch per status, on the object, not on a status subresource.
writes=$(status_writes)
[ "$writes" -eq 8 ] || fail "$writes status writes for 8 statuses"
if grep -F -e '"resource":"ingressroutes"' "$kube/audit.log" | grep -q -F -e '"subresource"'; then
  fail "a write to an IngressRoute subresource: $(grep -F -e '"subresource"' "$kube/audit.log")"
fi
ok

# --- 9. watchers and edits ----------------------------------------------------------------------
step="9. contour cli --watch (cds, rds, eds) print the current state"
watch_xds cds cds
watch_xds rds rds
watch_xds eds eds
wait_for "every watcher's first document = contour translate" watchers_expected
ok

step="10a. kubectl patch Ingress default/chat host chat.example.com -> chat2.example.com"
n_rds=$(count "$work/rds.out")
changes routes edit Ingress default chat 's/host: chat\.example\.com/host: chat2.example.com/' \
  '[{"op": "replace", "path": "/spec/rules/0/host", "value": "chat2.example.com"}]'
wait_for "RDS watcher: chat2.example.com, as contour translate renders it" latest_expected rds
[ "$(count "$work/rds.out")" -gt "$n_rds" ] || fail "no new RDS document"
ok

step="10b. kubectl patch IngressRoute canary/store: the /cart route matches /shop"
changes routes edit IngressRoute canary store 's|match: /cart$|match: /shop|' \
  '[{"op": "replace", "path": "/spec/routes/1/match", "value": "/shop"}]'
wait_for "RDS watcher: prefix /shop, as contour translate renders it" latest_expected rds
ok

step="10c. kubectl patch Endpoints default/kuard: 10.0.0.12 -> 10.0.0.13"
changes endpoints edit Endpoints default kuard 's/ip: 10\.0\.0\.12$/ip: 10.0.0.13/' \
  '[{"op": "replace", "path": "/subsets/0/addresses/1/ip", "value": "10.0.0.13"}]'
wait_for "EDS watcher: 10.0.0.13, as contour translate renders it" latest_expected eds
ok

step="10d. kubectl delete Ingress default/chat: its cluster and virtual host leave CDS and RDS"
changes clusters remove Ingress default chat
wait_for "CDS and RDS watchers without default/chat" watchers_expected
ok

step="10e. kubectl delete IngressRoute blog/blog: www.example.net loses /blog, CDS blog/wordpress"
changes clusters remove IngressRoute blog blog
wait_for "CDS and RDS watchers without blog/blog's routes" watchers_expected
grep -v -e '^blog/blog ' "$work/statuses" >"$work/statuses.new"
mv "$work/statuses.new" "$work/statuses"
wait_for "the remaining statuses" statuses_are "$work/statuses"
ok

step="10f. a status that did not change is not written again"
[ "$(status_writes)" -eq "$writes" ] ||
  fail "$(($(status_writes) - writes)) more status writes, with no status changed"
ok

# --- 11. restart ------------------------------------------------------------------------------
step="11. kube-apiserver restarted (etcd keeps the data): contour stays up and loses nothing"
sh "$kas" restart-apiserver "$kube" >>"$work/start.log" 2>&1 3>&- ||
  fail "scripts/kube-apiserver.sh restart-apiserver failed"
all_alive
ok

step="12. after the restart: a new Service, Endpoints and Ingress and an Endpoints edit show up"
cat >"$work/late.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: late
  namespace: default
spec:
  ports:
  - port: 80
    targetPort: 8080
EOF
cat >"$work/late-endpoints.yaml" <<'EOF'
apiVersion: v1
kind: Endpoints
metadata:
  name: late
  namespace: default
subsets:
- addresses:
  - ip: 10.0.9.1
  ports:
  - port: 8080
EOF
cat >"$work/late-ingress.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: late
  namespace: default
spec:
  rules:
  - host: late.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: late
            port:
              number: 80
EOF
add "$work/late.yaml"
add "$work/late-endpoints.yaml"
add "$work/late-ingress.yaml"
changes endpoints edit Endpoints default kuard 's/ip: 10\.0\.0\.11$/ip: 10.0.0.14/' \
  '[{"op": "replace", "path": "/subsets/0/addresses/0/ip", "value": "10.0.0.14"}]'
# Contour may be waiting out a reconnect backoff.
wait_seconds=$((deadline * 3))
wait_for "every watcher = contour translate, with late.example.com and 10.0.0.14" \
  watchers_expected
unset wait_seconds
for type in cds rds eds lds; do
  wait_for "contour cli $type = contour translate" serves_expected "$type"
done
wait_for "the statuses, unchanged" statuses_are "$work/statuses"
[ "$(status_writes)" -eq "$writes" ] ||
  fail "$(($(status_writes) - writes)) status writes after the restart, with no status changed"
ok

step="no watcher rejected a response, contour logged no NACK"
no_rejections
ok

# --- 13. SIGTERM ----------------------------------------------------------------------------
step="13. SIGTERM: contour exits 0; the watchers' streams end"
watched=""
terminate contour "$contour_pid"
for entry in $watchers; do
  pid=${entry#*=}
  wait_for "the end of ${entry%=*}" not_alive "$pid"
  wait "$pid"
  forget "$pid"
done
ok
echo "all checks passed"
