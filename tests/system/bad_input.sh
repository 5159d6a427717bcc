#!/bin/sh
# System test: the real `contour translate` fed bad input. Every run must end by itself with
# status 0, 1 or 2 (never a signal or a hang), reject exactly what is bad with an error that
# names the file, document, kind, name and field, and still print what is good beside it.
#
# Usage: sh tests/system/bad_input.sh CONTOUR_BINARY REPO_ROOT
# Big and deep inputs are generated at run time into a temporary directory.
set -u
. "$(dirname "$0")/lib/common.sh"
# Seconds one run may take; generous because the 10 MB case parses 10 MB of YAML.
limit=${CONTOUR_BAD_INPUT_TIMEOUT:-10}

passed=0
failed=0
name=""
case_ok=1
why=""
input=""
code=""

begin() {
  name=$1
  case_ok=1
  why=""
  code=""
  : >"$work/out"
  : >"$work/err"
}

problem() {
  case_ok=0
  why="$why
    - $1"
}

finish() {
  if [ "$case_ok" -eq 1 ]; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name$why"
    echo "    stderr (first 15 lines):"
    sed -n '1,15s/^/      /p' "$work/err"
  fi
}

# translate [ARGS...]: runs `contour translate ARGS`, stdin from $input (default /dev/null).
translate() {
  timeout "$limit" "$bin" translate "$@" <"${input:-/dev/null}" >"$work/out" 2>"$work/err"
  code=$?
  case $code in
    0 | 1 | 2) ;;
    124) problem "did not finish within ${limit}s" ;;
    *) problem "exit status $code: a crash or a signal (only 0, 1 and 2 are allowed)" ;;
  esac
}

expect_code() {
  [ "$code" = "$1" ] || problem "exit status $code, want $1"
}

expect_err() {
  for piece in "$@"; do
    grep -F -e "$piece" "$work/err" >/dev/null || problem "stderr does not mention: $piece"
  done
}

expect_no_err() {
  for piece in "$@"; do
    if grep -F -e "$piece" "$work/err" >/dev/null; then problem "stderr mentions: $piece"; fi
  done
}

expect_out() {
  for piece in "$@"; do
    grep -F -e "$piece" "$work/out" >/dev/null || problem "stdout lacks: $piece"
  done
}

# A line of stderr holding every piece: one message must name file, document, object and field.
expect_err_line() {
  pattern=""
  for piece in "$@"; do
    escaped=$(printf '%s' "$piece" | sed 's/[][\.*^$/]/\\&/g')
    pattern="$pattern.*$escaped"
  done
  grep -e "${pattern#.\*}" "$work/err" >/dev/null || problem "no stderr line with all of: $*"
}

# good NAME: a Service and an Ingress that are valid; their cluster is cluster_of NAME.
good() {
  cat <<EOF
apiVersion: v1
kind: Service
metadata:
  name: $1
  namespace: default
spec:
  ports:
  - port: 80
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: $1
  namespace: default
spec:
  rules:
  - host: $1.example.com
    http:
      paths:
      - path: /
        backend:
          serviceName: $1
          servicePort: 80
EOF
}

cluster_of() {
  echo "default/$1/80/da39a3ee5e"
}

cd "$work" || exit 2

# --- malformed YAML between two good documents ---------------------------------------------
begin malformed-yaml
{
  good before
  cat <<'EOF'
---
apiVersion: v1
kind: Service
metadata:
  name: broken
  namespace: default
spec:
  ports: [ {port: 80
---
EOF
  good after
} >malformed.yaml
translate -f malformed.yaml
expect_code 1
expect_err_line malformed.yaml "document 2"
expect_out "$(cluster_of before)" "$(cluster_of after)"
expect_no_err "$(cluster_of before)" "Ingress default/after"
finish

# --- wrong types, each named by its field path ----------------------------------------------
begin wrong-types
{
  cat <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: port-string
  namespace: default
spec:
  ports:
  - port: eighty
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: rules-map
  namespace: default
spec:
  rules:
    host: x.example.com
---
apiVersion: v1
kind: Secret
metadata:
  name: data-string
  namespace: default
type: kubernetes.io/tls
data: just a string
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: host-list
  namespace: default
spec:
  rules:
  - host: [a, b]
---
EOF
  good typed
} >wrong-types.yaml
translate -f wrong-types.yaml
expect_code 1
expect_err_line wrong-types.yaml "document 0" "Service default/port-string" "spec.ports[0].port"
expect_err_line wrong-types.yaml "document 1" "Ingress default/rules-map" "spec.rules"
expect_err_line wrong-types.yaml "document 2" "Secret default/data-string" "data"
expect_err_line wrong-types.yaml "document 3" "Ingress default/host-list" "spec.rules[0].host"
expect_out "$(cluster_of typed)"
finish

# --- missing required fields --------------------------------------------------------------
begin missing-fields
{
  cat <<'EOF'
apiVersion: v1
metadata:
  name: no-kind
  namespace: default
---
apiVersion: v1
kind: Service
metadata:
  namespace: default
spec:
  ports:
  - port: 80
---
kind: Service
metadata:
  name: no-api-version
  namespace: default
spec:
  ports:
  - port: 80
---
apiVersion: v1
kind: Service
spec:
  ports:
  - port: 80
---
EOF
  good complete
} >missing-fields.yaml
translate -f missing-fields.yaml
expect_code 1
expect_err_line missing-fields.yaml "document 0" "kind"
expect_err_line missing-fields.yaml "document 1" "Service" "metadata.name"
expect_err_line missing-fields.yaml "document 2" "Service default/no-api-version" "apiVersion"
expect_err_line missing-fields.yaml "document 3" "Service" "metadata"
expect_out "$(cluster_of complete)"
finish

# --- ports out of range -------------------------------------------------------------------
begin ports-out-of-range
{
  cat <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: negative
  namespace: default
spec:
  ports:
  - port: -1
---
apiVersion: v1
kind: Service
metadata:
  name: too-large
  namespace: default
spec:
  ports:
  - name: http
    port: 80
  - name: huge
    port: 70000
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: big-backend
  namespace: default
spec:
  backend:
    serviceName: kuard
    servicePort: 65536
---
apiVersion: v1
kind: Endpoints
metadata:
  name: negative-endpoint
  namespace: default
subsets:
- addresses:
  - ip: 10.0.0.1
  ports:
  - port: -5
---
apiVersion: v1
kind: Service
metadata:
  name: overflow
  namespace: default
spec:
  ports:
  - port: 99999999999999999999999
---
EOF
  good in-range
} >ports.yaml
translate -f ports.yaml
expect_code 1
expect_err_line ports.yaml "document 0" "Service default/negative" "spec.ports[0].port"
expect_err_line ports.yaml "document 1" "Service default/too-large" "spec.ports[1].port"
expect_err_line ports.yaml "document 2" "Ingress default/big-backend" "spec.backend.servicePort"
expect_err_line ports.yaml "document 3" "Endpoints default/negative-endpoint" \
  "subsets[0].ports[0].port"
expect_err_line ports.yaml "document 4" "Service default/overflow" "spec.ports[0].port"
expect_out "$(cluster_of in-range)"
expect_no_err "Service default/in-range"
finish

# --- a 10 MB string (an annotation value): more than the API server would take, so rejected
# by its size, quickly; the objects beside it are still served ------------------------------
begin ten-megabyte-string
{
  cat <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: huge
  namespace: default
  annotations:
EOF
  printf '    contour.heptio.com/upstream-protocol.h2c: "80,'
  head -c 10485760 /dev/zero | tr '\0' 'x'
  printf '"\n'
  cat <<'EOF'
spec:
  ports:
  - port: 80
---
EOF
  good modest
} >huge.yaml
translate -f huge.yaml
expect_code 1
expect_err_line huge.yaml "document 0" "Service default/huge" "larger"
expect_out "$(cluster_of modest)"
finish

# --- unknown kinds are skipped with a warning, not rejected ---------------------------------
begin unknown-kinds
{
  cat <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: default
data:
  a: b
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: gadget
  namespace: default
spec:
  anything: [1, 2, 3]
---
EOF
  good known
} >unknown.yaml
translate -f unknown.yaml
expect_code 0
expect_err_line unknown.yaml "document 0" "ConfigMap"
expect_err_line unknown.yaml "document 1" "Widget"
expect_out "$(cluster_of known)"
finish

# --- deep nesting: 100000 levels in YAML (flow and block) and in JSON -----------------------
begin deep-nesting
{
  good shallow
  printf -- '---\napiVersion: v1\nkind: Service\nmetadata:\n  name: deep\n  namespace: default\n'
  printf 'spec:\n  ports: '
  head -c 100000 /dev/zero | tr '\0' '['
  printf '\n'
} >deep.yaml
head -c 100000 /dev/zero | tr '\0' '[' >deep.json
# Block style: each level one line deeper ("a:" indented by its depth), 5000 levels.
awk 'BEGIN { s = ""; for (i = 0; i < 5000; i++) { printf "%sa:\n", s; s = s " " } }' >deep-block.yaml
translate -f deep.yaml -f deep.json -f deep-block.yaml
expect_code 1
expect_err_line deep.yaml "document 2"
expect_err deep.json deep-block.yaml
expect_out "$(cluster_of shallow)"
finish

# --- invalid base64 in a Secret ----------------------------------------------------------------
begin invalid-base64
{
  cat <<'EOF'
apiVersion: v1
kind: Secret
metadata:
  name: bad-base64
  namespace: default
type: kubernetes.io/tls
data:
  tls.crt: "!!! this is not base64 !!!"
  tls.key: "LS0tLS1=CRUdJTg"
---
EOF
  good beside-secret
} >base64.yaml
translate -f base64.yaml
expect_code 1
expect_err_line base64.yaml "document 0" "Secret default/bad-base64" "tls.crt"
expect_out "$(cluster_of beside-secret)"
finish

# --- a directory of good and bad files, recursively; other extensions are not read ----------
begin directory
mkdir -p tree/sub
good top >tree/good.yaml
good nested >tree/sub/more.yml
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: x\n' >tree/bad.yaml
printf '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": ' >tree/sub/broken.json
printf 'this is :: not { yaml\n' >tree/README.txt
cp "$repo/tests/testdata/golden/ingress-default-backend/input.yaml" tree/sub/golden.yaml
translate -f tree
expect_code 1
expect_err bad.yaml broken.json
expect_no_err README.txt
expect_out "$(cluster_of top)" "$(cluster_of nested)" "$(cluster_of kuard)"
finish

# --- stdin via -f - -----------------------------------------------------------------------
begin stdin
{
  good piped
  printf -- '---\napiVersion: v1\nkind: Service\nmetadata:\n  name: piped-bad\n'
  printf '  namespace: default\nspec:\n  ports:\n  - port: [80]\n'
} >stdin.yaml
input=stdin.yaml
translate -f -
input=""
expect_code 1
expect_err_line "document 2" "Service default/piped-bad" "spec.ports[0].port"
expect_out "$(cluster_of piped)"
finish

begin stdin-all-good
good clean >clean.yaml
input=clean.yaml
translate -f -
input=""
expect_code 0
expect_out "$(cluster_of clean)"
[ -s "$work/err" ] && problem "stderr is not empty"
finish

# --- paths that do not exist ------------------------------------------------------------------
begin nonexistent-path
translate -f "$work/no/such/file.yaml"
[ "$code" = 0 ] && problem "exit status 0 for a missing file"
expect_err "no/such/file.yaml"
finish

begin nonexistent-path-beside-good
good present >present.yaml
translate -f present.yaml -f missing.yaml
expect_code 1
expect_err missing.yaml
expect_out "$(cluster_of present)"
finish

# --- binary garbage, an empty file, a file of comments --------------------------------------
begin binary-garbage
printf '\377\376\000\001\002kind: \000Service\n\033[0m\377' >garbage.yaml
translate -f garbage.yaml
expect_code 1
expect_err garbage.yaml
finish

begin empty-and-comment-only
: >empty.yaml
printf '# nothing here\n---\n# still nothing\n---\n' >comments.yaml
translate -f empty.yaml -f comments.yaml
expect_code 0
grep -F -e "/80/" "$work/out" >/dev/null && problem "clusters printed for empty input"
finish

# --- a top-level scalar, a top-level list, a List with one bad item -------------------------
begin odd-documents
{
  printf 'just a string\n---\n- 1\n- 2\n---\n'
  cat <<'EOF'
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata:
    name: listed
    namespace: default
  spec:
    ports:
    - port: 80
- apiVersion: v1
  kind: Service
  metadata:
    name: listed-bad
    namespace: default
  spec:
    ports: 80
- apiVersion: extensions/v1beta1
  kind: Ingress
  metadata:
    name: listed
    namespace: default
  spec:
    backend:
      serviceName: listed
      servicePort: 80
EOF
} >odd.yaml
translate -f odd.yaml
expect_code 1
expect_err_line odd.yaml "document 0"
expect_err_line odd.yaml "document 1"
expect_err_line odd.yaml "Service default/listed-bad" "spec.ports"
expect_out "$(cluster_of listed)"
finish

# --- bad -c config files: usage errors (2), nothing printed ---------------------------------
good configured >configured.yaml

begin config-unknown-key
printf 'incluster: false\nnot-a-setting: 1\n' >unknown-key.yaml
translate -c unknown-key.yaml -f configured.yaml
expect_code 2
expect_err_line unknown-key.yaml not-a-setting
[ -s "$work/out" ] && problem "printed resources despite a bad config"
finish

begin config-wrong-type
printf 'tls: 5\n' >wrong-type.yaml
translate -c wrong-type.yaml -f configured.yaml
expect_code 2
expect_err_line wrong-type.yaml tls
finish

begin config-wrong-scalar
printf 'incluster: maybe\n' >wrong-scalar.yaml
translate -c wrong-scalar.yaml -f configured.yaml
expect_code 2
expect_err_line wrong-scalar.yaml incluster
finish

begin config-bad-tls-version
printf 'tls:\n  minimum-protocol-version: "1.0"\n' >bad-version.yaml
translate -c bad-version.yaml -f configured.yaml
expect_code 2
expect_err_line bad-version.yaml minimum-protocol-version
finish

begin config-malformed
printf 'tls: [unclosed\n' >malformed-config.yaml
translate -c malformed-config.yaml -f configured.yaml
expect_code 2
expect_err malformed-config.yaml
finish

begin config-missing
translate -c no-such-config.yaml -f configured.yaml
expect_code 2
expect_err no-such-config.yaml
finish

begin config-good-control
printf 'tls:\n  minimum-protocol-version: "1.2"\n' >good-config.yaml
translate -c good-config.yaml -f configured.yaml
expect_code 0
expect_out "$(cluster_of configured)"
finish

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
