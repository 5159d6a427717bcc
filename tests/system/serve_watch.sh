#!/bin/sh
# System test: `contour serve --manifests DIR` follows edits to its files, and `contour cli`
# watchers (CDS, EDS, RDS over ADS, RDS over delta) see each change. An edit to the Endpoints
# file moves EDS; a new file adds a cluster and a virtual host; a file broken by a wrong type or
# a syntax error is named in a warning and keeps serving its last good objects (a later change
# to another file is the next document, with nothing else changed); fixing it applies it;
# deleting a file drops its cluster. Then SIGTERM stops contour (status 0), and
# `contour bootstrap` writes JSON, YAML and ADS bootstraps.
#
# Usage: sh tests/system/serve_watch.sh CONTOUR_BINARY REPO_ROOT
# Environment: CONTOUR_SERVE_WATCH_DEADLINE (seconds each wait may take, default 10),
# CONTOUR_SERVE_WATCH_TIMEOUT (seconds the whole test may take, default 50).
set -u
. "$(dirname "$0")/lib/common.sh"
deadline=${CONTOUR_SERVE_WATCH_DEADLINE:-10}
limit=${CONTOUR_SERVE_WATCH_TIMEOUT:-50}
poll_seconds=0.1

manifests="$work/manifests"
mkdir "$manifests" || exit 1

show_logs() {
  tail_logs 30 "$work"/*.log "$work"/*.err
  for out in "$work"/*.out; do
    [ -f "$out" ] || continue
    echo "---- $(basename "$out"): $(count "$out") documents; the last one:"
    doc "$out" "$(count "$out")" | head -n 80
  done
}

# --- reading the watchers' output: one YAML document per response, each starting with ---

# body FILE N: document N without the lines that every response changes.
body() {
  doc "$1" "$2" | grep -v -E -e '^(version_info|system_version_info|nonce): '
}

# latest_has FILE STRING...: the last document of FILE holds every STRING.
latest_has() {
  last=$(count "$1")
  [ "$last" -gt 0 ] || return 1
  file=$1
  shift
  for piece in "$@"; do
    doc "$file" "$last" | grep -F -e "$piece" >/dev/null || return 1
  done
}

# next_is FILE N FILTER [ARGS...]: document N+1 of FILE is document N passed through FILTER
# (versions and nonces aside). A document still being written differs, so polling this is safe.
next_is() {
  file=$1
  n=$2
  shift 2
  [ "$(count "$file")" -gt "$n" ] || return 1
  body "$file" "$n" >"$work/base"
  "$@" <"$work/base" >"$work/expected"
  # A filter that changes nothing would let a repeated document pass.
  cmp -s "$work/base" "$work/expected" && fail "the test's filter \"$*\" changes nothing"
  body "$file" $((n + 1)) >"$work/actual"
  cmp -s "$work/expected" "$work/actual"
}

# drop_item INDENT NAME: removes from a document the list item, its "- " at INDENT spaces, whose
# name (at INDENT + 2 spaces) is NAME: a resource at 2, a virtual host at 6.
drop_item() {
  awk -v k="$1" -v name="$2" '
    function flush() { if (!drop) printf "%s", held; held = ""; drop = 0; inside = 0 }
    { indent = match($0, /[^ ]/) - 1 }
    inside && indent <= k { flush() }
    indent == k && substr($0, k + 1, 2) == "- " { inside = 1 }
    inside {
      held = held $0 "\n"
      if ($0 == sprintf("%" (k + 2) "sname: \"%s\"", "", name)) drop = 1
      next
    }
    { print }
    END { flush() }'
}

# insert_after LINE TEXT: adds TEXT after each line that is LINE.
insert_after() {
  awk -v line="$1" -v text="$2" '{ print } $0 == line { print text }'
}

# warnings_about FILE: how many warnings in contour's log name FILE.
warnings_about() {
  grep -F -e '[warning]' "$work/contour.log" | grep -c -F -e "$1"
}

# more_warnings_about FILE BEFORE: contour has logged more than BEFORE warnings naming FILE.
more_warnings_about() {
  [ "$(warnings_about "$1")" -gt "$2" ]
}

# --- manifests ------------------------------------------------------------------------------

# app_manifest HOST SERVICE_PORT [MAX_CONNECTIONS]: Service app (port 80, target port 8080,
# with the max-connections annotation when given) and an Ingress for HOST to it; SERVICE_PORT is
# the Ingress's servicePort, written as given (so "[80]" is a wrong type).
app_manifest() {
  cat <<EOF
apiVersion: v1
kind: Service
metadata:
  name: app
  namespace: default
EOF
  if [ $# -ge 3 ]; then
    printf '  annotations:\n    contour.heptio.com/max-connections: "%s"\n' "$3"
  fi
  cat <<EOF
spec:
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: app
  namespace: default
spec:
  rules:
  - host: $1
    http:
      paths:
      - path: /
        backend:
          serviceName: app
          servicePort: $2
EOF
}

# other_manifest SERVICE_PORT: Service other with ports http (80) and alt (8080), and an Ingress
# for other.example.com to its port SERVICE_PORT.
other_manifest() {
  cat <<EOF
apiVersion: v1
kind: Service
metadata:
  name: other
  namespace: default
spec:
  ports:
  - name: http
    port: 80
    targetPort: 8080
  - name: alt
    port: 8080
    targetPort: 8080
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: other
  namespace: default
spec:
  rules:
  - host: other.example.com
    http:
      paths:
      - path: /
        backend:
          serviceName: other
          servicePort: $1
EOF
}

# endpoints NAME IP: an Endpoints object with one address, port 8080.
endpoints() {
  cat <<EOF
apiVersion: v1
kind: Endpoints
metadata:
  name: $1
  namespace: default
subsets:
- addresses:
  - ip: $2
  ports:
  - port: 8080
EOF
}

start_time_limit "$limit"

app_cluster=default/app/80/da39a3ee5e
other_cluster=default/other/80/da39a3ee5e

# --- 1. contour serve on a directory of manifests ----------------------------------------------
step="1. contour serve --manifests DIR --insecure --xds-port 0 --http-port 0 --debug-http-port 0 starts and logs its port"
app_manifest app.example.com 80 >"$manifests/app.yaml"
endpoints app 10.0.0.1 >"$manifests/app-endpoints.yaml"
: >"$work/contour.log"
"$bin" serve --manifests "$manifests" --insecure --xds-port 0 --http-port 0 --debug-http-port 0 >>"$work/contour.log" 2>&1 3>&- &
contour_pid=$!
track "$contour_pid" contour
wait_for "serving xDS on 127.0.0.1:PORT in the log" has_xds_port "$work/contour.log"
xds_port=$(xds_port_in "$work/contour.log")
ok
note "xDS on 127.0.0.1:$xds_port"

# --- 2. watchers ------------------------------------------------------------------------------
step="2. cli watchers (cds, eds default/app, rds --ads, rds --delta) print the first state"
watch_xds cds cds
watch_xds eds eds default/app
watch_xds rds-ads rds --ads
watch_xds rds-delta rds --delta
wait_for "CDS: cluster $app_cluster" latest_has "$work/cds.out" \
  'type_url: "type.googleapis.com/envoy.config.cluster.v3.Cluster"' "name: \"$app_cluster\""
wait_for "EDS: default/app at 10.0.0.1:8080" latest_has "$work/eds.out" \
  'cluster_name: "default/app"' 'address: "10.0.0.1"' 'port_value: 8080'
wait_for "RDS (ADS): app.example.com to $app_cluster" latest_has "$work/rds-ads.out" \
  'name: "app.example.com"' "cluster: \"$app_cluster\"" 'name: "ingress_https"'
wait_for "RDS (delta): app.example.com" latest_has "$work/rds-delta.out" \
  'system_version_info:' 'name: "app.example.com"' "cluster: \"$app_cluster\""
ok

# --- 3. edits ---------------------------------------------------------------------------------
step="3a. the Endpoints file rewritten in place (10.0.0.1 -> 10.0.0.2): EDS follows"
n_eds=$(count "$work/eds.out")
endpoints app 10.0.0.2 >"$manifests/app-endpoints.yaml"
wait_for "EDS document $((n_eds + 1)) = the last one with the new IP" \
  next_is "$work/eds.out" "$n_eds" sed -e 's/"10\.0\.0\.1"/"10.0.0.2"/'
ok

step="3b. a new file with Service + Ingress other: CDS gains the cluster, RDS the host"
other_manifest 80 >"$manifests/other.yaml"
wait_for "CDS: both clusters" latest_has "$work/cds.out" \
  "name: \"$app_cluster\"" "name: \"$other_cluster\""
wait_for "RDS (ADS): both hosts" latest_has "$work/rds-ads.out" \
  'name: "app.example.com"' 'name: "other.example.com"' "cluster: \"$other_cluster\""
wait_for "RDS (delta): other.example.com" latest_has "$work/rds-delta.out" \
  'name: "app.example.com"' 'name: "other.example.com"' "cluster: \"$other_cluster\""
ok

# --- 4. broken files keep their last good objects ---------------------------------------------
# No edit below changes two objects that one resource type depends on together (Service port
# and Ingress servicePort): the watcher hands a file's objects to the event loop one at a time,
# a build may fall between them, and its half-applied state would be an extra document between
# the ones compared here (reported separately; not what this test is about).
n_cds=$(count "$work/cds.out")
n_rds=$(count "$work/rds-ads.out")
n_eds=$(count "$work/eds.out")

step="4a. app.yaml broken (servicePort a list) with other edits: a warning names the file"
before=$(warnings_about "$manifests/app.yaml")
# The intended edit (max-connections 7, host app2.example.com) plus one wrong type: none of it
# may apply, not even the valid Service.
app_manifest app2.example.com '[80]' 7 >"$manifests/app.yaml"
wait_for "a warning naming $manifests/app.yaml" more_warnings_about "$manifests/app.yaml" "$before"
grep -F -e "$manifests/app.yaml" "$work/contour.log" | grep -F -e '[warning]' | sed 's/^/     /'
ok

step="4b. app-endpoints.yaml broken (a YAML syntax error): a warning names the file"
before=$(warnings_about "$manifests/app-endpoints.yaml")
{
  endpoints app 10.0.0.66
  echo '  - [unclosed'
} >"$manifests/app-endpoints.yaml"
wait_for "a warning naming $manifests/app-endpoints.yaml" \
  more_warnings_about "$manifests/app-endpoints.yaml" "$before"
grep -F -e "$manifests/app-endpoints.yaml" "$work/contour.log" | grep -F -e '[warning]' |
  sed 's/^/     /'
ok

step="4c. other's Ingress moved to port 8080: the next CDS and RDS documents show only that"
other_manifest 8080 >"$manifests/other.yaml"
wait_for "CDS document $((n_cds + 1)) = document $n_cds with other's cluster on port 8080" \
  next_is "$work/cds.out" "$n_cds" sed -e 's|default/other/80/|default/other/8080/|' \
  -e 's|"default_other_80"|"default_other_8080"|' -e 's|"default/other/http"|"default/other/alt"|'
wait_for "RDS (ADS) document $((n_rds + 1)) = document $n_rds with other's route on port 8080" \
  next_is "$work/rds-ads.out" "$n_rds" sed -e 's|default/other/80/|default/other/8080/|'
ok

step="4d. app-endpoints.yaml fixed (10.0.0.3): the next EDS document has only the new IP"
endpoints app 10.0.0.3 >"$manifests/app-endpoints.yaml"
wait_for "EDS document $((n_eds + 1)) = document $n_eds with 10.0.0.3" \
  next_is "$work/eds.out" "$n_eds" sed -e 's/"10\.0\.0\.2"/"10.0.0.3"/'
ok

step="4e. app.yaml fixed: its edit applies (max-connections 7, host app2.example.com)"
n_cds=$((n_cds + 1))
n_rds=$((n_rds + 1))
app_manifest app2.example.com 80 7 >"$manifests/app.yaml"
breakers='    circuit_breakers:
      thresholds:
        - max_connections: 7'
wait_for "CDS document $((n_cds + 1)) = document $n_cds with app's circuit breaker" \
  next_is "$work/cds.out" "$n_cds" insert_after '    alt_stat_name: "default_app_80"' "$breakers"
wait_for "RDS (ADS) document $((n_rds + 1)) = document $n_rds with app2.example.com" \
  next_is "$work/rds-ads.out" "$n_rds" sed -e 's|"app\.example\.com|"app2.example.com|'
wait_for "RDS (delta): app2.example.com" latest_has "$work/rds-delta.out" \
  'name: "app2.example.com"' "cluster: \"$app_cluster\""
ok

# --- 5. a deleted file ------------------------------------------------------------------------
step="5. other.yaml deleted: its cluster leaves CDS, its host leaves RDS"
n_cds=$(count "$work/cds.out")
n_rds=$(count "$work/rds-ads.out")
rm "$manifests/other.yaml"
wait_for "CDS document $((n_cds + 1)) = document $n_cds without default/other/8080" \
  next_is "$work/cds.out" "$n_cds" drop_item 2 default/other/8080/da39a3ee5e
wait_for "RDS (ADS) document $((n_rds + 1)) = document $n_rds without other.example.com" \
  next_is "$work/rds-ads.out" "$n_rds" drop_item 6 other.example.com
ok

step="no watcher rejected a response, contour logged no NACK"
no_rejections
ok

# --- 6. SIGTERM -----------------------------------------------------------------------------
step="6. SIGTERM: contour exits 0 and logs that it stopped; the watchers' streams end"
# The watchers end with contour's streams: from now on no process has to stay up.
watched=""
terminate contour "$contour_pid"
grep -E -e '\[info\] stopped$' "$work/contour.log" >/dev/null || fail "no 'stopped' in the log"
for entry in $watchers; do
  name=${entry%=*}
  pid=${entry#*=}
  wait_for "the end of $name" not_alive "$pid"
  wait "$pid"
  status=$?
  forget "$pid"
  note "$name exited with status $status: $(tail -n 1 "$work/$name.err")"
done
ok

# --- 7. bootstrap -----------------------------------------------------------------------------
step="7. contour bootstrap writes JSON, YAML and ADS bootstraps"
"$bin" bootstrap --xds-port "$xds_port" "$work/bootstrap.json" >"$work/bootstrap.log" 2>&1 ||
  fail "bootstrap FILE.json failed"
"$bin" bootstrap --xds-port "$xds_port" "$work/bootstrap.yaml" >>"$work/bootstrap.log" 2>&1 ||
  fail "bootstrap FILE.yaml failed"
"$bin" bootstrap --ads "$work/bootstrap-ads.json" >>"$work/bootstrap.log" 2>&1 ||
  fail "bootstrap --ads failed"
grep -E -e '"cluster_name": "contour"' "$work/bootstrap.json" >/dev/null ||
  fail "bootstrap.json lacks \"cluster_name\": \"contour\""
grep -E -e "\"port_value\": $xds_port\$" "$work/bootstrap.json" >/dev/null ||
  fail "bootstrap.json lacks \"port_value\": $xds_port"
grep -E -e '^ *cluster_name: "?contour"?$' "$work/bootstrap.yaml" >/dev/null ||
  fail "bootstrap.yaml lacks cluster_name: contour"
grep -E -e "^ *port_value: $xds_port\$" "$work/bootstrap.yaml" >/dev/null ||
  fail "bootstrap.yaml lacks port_value: $xds_port"
if grep -F -e '{' "$work/bootstrap.yaml" | grep -v -F -e '{}' >/dev/null; then
  fail "bootstrap.yaml looks like JSON"
fi
grep -F -e '"ads_config"' "$work/bootstrap-ads.json" >/dev/null ||
  fail "bootstrap --ads lacks ads_config"
grep -F -e '"ads_config"' "$work/bootstrap.json" >/dev/null &&
  fail "bootstrap without --ads has ads_config"
ok
echo "all checks passed"
