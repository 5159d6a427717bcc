#!/bin/sh
# A real Kubernetes API server (v1.20.2) and etcd on 127.0.0.1, for system tests.
#
#   kube-apiserver.sh build                   build kube-apiserver once per machine; prints its path
#   kube-apiserver.sh start DIR [PORT]        start etcd + kube-apiserver with state in DIR
#   kube-apiserver.sh stop DIR                stop both
#   kube-apiserver.sh restart-apiserver DIR   restart kube-apiserver only (etcd keeps the data)
#
# No cluster distribution can be installed on a plain Debian 12 machine, but Debian's `kubernetes`
# source package is the full upstream v1.20.2 tree (vendor/ and staging/ included), and it builds
# offline with Debian's Go in GOPATH mode. Two things are missing or broken in that tree and are
# fixed here before building (see build_tree below). The binary is cached outside the repository,
# under ${CONTOUR_KUBE_CACHE:-/var/cache/contour-cpp}, because a cold build takes minutes.
#
# What `start` leaves in DIR:
#   kubeconfig              server https://127.0.0.1:PORT, the CA, a bearer token (system:masters)
#   kubeconfig-client-cert  the same with a client certificate (system:masters) instead
#   etcd.log apiserver.log  the servers' logs; etcd/ is etcd's data
#   audit.log               every write (create, update, patch, delete), and every request by
#                           a service account, as JSON lines
#   etcd.pid apiserver.pid state pki/ audit-policy.yaml
# Both servers listen on 127.0.0.1 only. `build` prints the binary's path as its last line; every
# command exits 1 with an "ERROR:" line on stderr when it cannot do its job.
#
# Environment:
#   CONTOUR_KUBE_CACHE  cache directory (default /var/cache/contour-cpp)
#   CONTOUR_KUBE_AUTHZ  authorization mode for `start`: AlwaysAllow (default) or RBAC
#   CONTOUR_KUBE_READY_TIMEOUT  seconds `start` waits for readiness (default 60)
#   CONTOUR_DEBIAN_MIRROR  where `build` fetches the source (default http://deb.debian.org)
set -eu

KUBE_VERSION=v1.20.2
# The Debian source package version whose orig tarball is upstream v1.20.2.
DEB_SRC_ORIG=kubernetes_1.20.5+really1.20.2.orig.tar.gz
DEB_SRC_TOPDIR=kubernetes-1.20.2
DEB_SRC_SHA256=b83c0780efb182d928dc63d46488a847f161f04e40a94b96bf5247dd671ecdfc

CACHE="${CONTOUR_KUBE_CACHE:-/var/cache/contour-cpp}"
BIN_DIR="$CACHE/kube-apiserver-$KUBE_VERSION"
BIN="$BIN_DIR/kube-apiserver"
TOKEN_USER=contour-test

say() { echo "kube-apiserver.sh: $*" >&2; }
die() {
  say "ERROR: $*"
  exit 1
}

# ---------------------------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------------------------

ensure_packages() {
  installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null |
    awk '$1 == "ii" { print $2 }')
  missing=""
  for p in "$@"; do
    echo "$installed" | grep -q -x -F -e "$p" || missing="$missing $p"
  done
  # Any kubectl will do (a newer one only warns about version skew); Debian's matches the server.
  command -v kubectl >/dev/null 2>&1 || missing="$missing kubernetes-client"
  [ -z "$missing" ] && return 0
  say "installing:$missing"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "not root, and no sudo, to install$missing"
    SUDO="sudo"
  fi
  $SUDO apt-get update -qq >&2 || die "apt-get update failed (no network?)"
  # shellcheck disable=SC2086  # word splitting of the package list is intended
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing \
    >&2 || die "apt-get install$missing failed"
}

# Downloads the orig tarball of Debian's `kubernetes` source package into $CACHE/src, through a
# private source list so that the system's apt configuration (which usually has no deb-src
# lines) is left alone.
fetch_source() {
  [ -f "$CACHE/src/$DEB_SRC_ORIG" ] && return 0
  apt_dir="$CACHE/apt"
  rm -rf "$apt_dir" "$CACHE/src.tmp"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/sources.list.d" "$CACHE/src.tmp"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -f "$keyring" ] || die "$keyring is missing (package debian-archive-keyring)"
  mirror="${CONTOUR_DEBIAN_MIRROR:-http://deb.debian.org}"
  cat >"$apt_dir/sources.list" <<EOF
deb-src [signed-by=$keyring] $mirror/debian bookworm main
deb-src [signed-by=$keyring] $mirror/debian-security bookworm-security main
EOF
  # No package caches: they would be rebuilt from these lists and then from the system's again.
  set -- -o "Dir::Etc::SourceList=$apt_dir/sources.list" \
    -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d" \
    -o "Dir::State::Lists=$apt_dir/lists" \
    -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" \
    -o "APT::Sandbox::User=root"
  say "fetching Debian's kubernetes source package"
  # --error-on=any: apt-get update otherwise succeeds when it could fetch nothing at all.
  apt-get "$@" --error-on=any update >&2 ||
    die "apt-get update with deb-src lines for $mirror failed (no network?)"
  (cd "$CACHE/src.tmp" && apt-get "$@" source --download-only kubernetes >&2) ||
    die "apt-get source --download-only kubernetes failed (no deb-src for bookworm?)"
  [ -f "$CACHE/src.tmp/$DEB_SRC_ORIG" ] ||
    die "no $DEB_SRC_ORIG in the source package (a newer one?): $(ls "$CACHE/src.tmp")"
  echo "$DEB_SRC_SHA256  $CACHE/src.tmp/$DEB_SRC_ORIG" | sha256sum -c --quiet - >&2 ||
    die "$DEB_SRC_ORIG does not have the expected checksum"
  rm -rf "$CACHE/src"
  mv "$CACHE/src.tmp" "$CACHE/src"
  rm -rf "$apt_dir"
}

# reflect2 v1.0.1 (vendored) declares reflect.mapiterinit with its pre-Go-1.18 signature; from Go
# 1.18 on the runtime writes into a caller-allocated iterator, and the server dies with "fatal
# error: fault" at the first custom-object create. This is reflect2 v1.0.2's fix, backported.
reflect2_patch() {
  cat <<'EOF'
--- a/vendor/github.com/modern-go/reflect2/unsafe_link.go
+++ b/vendor/github.com/modern-go/reflect2/unsafe_link.go
@@ -25,12 +25,6 @@
 //go:noescape
 func mapaccess(rtype unsafe.Pointer, m unsafe.Pointer, key unsafe.Pointer) (val unsafe.Pointer)
 
-// m escapes into the return value, but the caller of mapiterinit
-// doesn't let the return value escape.
-//go:noescape
-//go:linkname mapiterinit reflect.mapiterinit
-func mapiterinit(rtype unsafe.Pointer, m unsafe.Pointer) *hiter
-
 //go:noescape
 //go:linkname mapiternext reflect.mapiternext
 func mapiternext(it *hiter)
@@ -42,9 +36,21 @@
 // If you modify hiter, also change cmd/internal/gc/reflect.go to indicate
 // the layout of this structure.
 type hiter struct {
-	key   unsafe.Pointer // Must be in first position.  Write nil to indicate iteration end (see cmd/internal/gc/range.go).
-	value unsafe.Pointer // Must be in second position (see cmd/internal/gc/range.go).
-	// rest fields are ignored
+	key         unsafe.Pointer
+	value       unsafe.Pointer
+	t           unsafe.Pointer
+	h           unsafe.Pointer
+	buckets     unsafe.Pointer
+	bptr        unsafe.Pointer
+	overflow    *[]unsafe.Pointer
+	oldoverflow *[]unsafe.Pointer
+	startBucket uintptr
+	offset      uint8
+	wrapped     bool
+	B           uint8
+	i           uint8
+	bucket      uintptr
+	checkBucket uintptr
 }
 
 // add returns p+x.
--- a/vendor/github.com/modern-go/reflect2/unsafe_map.go
+++ b/vendor/github.com/modern-go/reflect2/unsafe_map.go
@@ -107,14 +107,6 @@
 	return type2.UnsafeIterate(objEFace.data)
 }
 
-func (type2 *UnsafeMapType) UnsafeIterate(obj unsafe.Pointer) MapIterator {
-	return &UnsafeMapIterator{
-		hiter:      mapiterinit(type2.rtype, *(*unsafe.Pointer)(obj)),
-		pKeyRType:  type2.pKeyRType,
-		pElemRType: type2.pElemRType,
-	}
-}
-
 type UnsafeMapIterator struct {
 	*hiter
 	pKeyRType  unsafe.Pointer
--- /dev/null
+++ b/vendor/github.com/modern-go/reflect2/go_above_118.go
@@ -0,0 +1,24 @@
+//go:build go1.18
+// +build go1.18
+
+package reflect2
+
+import (
+	"unsafe"
+)
+
+// m escapes into the return value, but the caller of mapiterinit
+// doesn't let the return value escape.
+//go:noescape
+//go:linkname mapiterinit reflect.mapiterinit
+func mapiterinit(rtype unsafe.Pointer, m unsafe.Pointer, it *hiter)
+
+func (type2 *UnsafeMapType) UnsafeIterate(obj unsafe.Pointer) MapIterator {
+	var it hiter
+	mapiterinit(type2.rtype, *(*unsafe.Pointer)(obj), &it)
+	return &UnsafeMapIterator{
+		hiter:      &it,
+		pKeyRType:  type2.pKeyRType,
+		pElemRType: type2.pElemRType,
+	}
+}
--- /dev/null
+++ b/vendor/github.com/modern-go/reflect2/go_below_118.go
@@ -0,0 +1,22 @@
+//go:build !go1.18
+// +build !go1.18
+
+package reflect2
+
+import (
+	"unsafe"
+)
+
+// m escapes into the return value, but the caller of mapiterinit
+// doesn't let the return value escape.
+//go:noescape
+//go:linkname mapiterinit reflect.mapiterinit
+func mapiterinit(rtype unsafe.Pointer, m unsafe.Pointer) (val *hiter)
+
+func (type2 *UnsafeMapType) UnsafeIterate(obj unsafe.Pointer) MapIterator {
+	return &UnsafeMapIterator{
+		hiter:      mapiterinit(type2.rtype, *(*unsafe.Pointer)(obj)),
+		pKeyRType:  type2.pKeyRType,
+		pElemRType: type2.pElemRType,
+	}
+}
EOF
}

# Builds bin/kube-apiserver inside the GOPATH at $1 (the tree is at $1/src/k8s.io/kubernetes).
build_tree() {
  gopath="$1"
  tree="$gopath/src/k8s.io/kubernetes"
  cd "$tree" || die "no $tree"
  reflect2_patch | patch -p1 -s --no-backup-if-mismatch >&2 || die "patching reflect2 failed"

  # GOPATH mode: module mode wants to update go.mod, which needs the network. Nothing is
  # downloaded either way; every dependency is in vendor/ (staging/ through vendor/k8s.io links).
  # GOENV=off and GOTOOLCHAIN=local: no user setting, and no toolchain download, gets in.
  export GOPATH="$gopath" GO111MODULE=off GOPROXY=off CGO_ENABLED=0 GOENV=off GOTOOLCHAIN=local
  export GOCACHE="$CACHE/go-build" GOTMPDIR="$gopath/tmp"
  unset GOFLAGS GOROOT GOBIN
  mkdir -p "$GOCACHE" "$GOTMPDIR"
  # Two cores, shared: at most two compiles at a time, at low priority.
  export GOMAXPROCS="${GOMAXPROCS:-2}"
  go_build() { nice -n 10 go build -p "$GOMAXPROCS" "$@"; }

  # pkg/generated/openapi/zz_generated.openapi.go is generated by upstream's `make`, and is not
  # in the tarball. Generate it with the vendored openapi-gen over the same packages upstream's
  # build/root/Makefile.generated_files selects: every directory (staging/src named as vendor/)
  # with a file carrying a `// +k8s:` tag and a `+k8s:openapi-gen=` tag, minus the examples.
  say "generating pkg/generated/openapi/zz_generated.openapi.go"
  go_build -o "$gopath/bin/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen >&2 ||
    die "building openapi-gen failed"
  dirs=$(find -H . \( -path './_*' -o -path './.*' -o -path ./vendor \) -prune -o \
    -type f -name '*.go' -print0 |
    xargs -0 grep -l -Z '^// *+k8s:' | xargs -0 grep -l '+k8s:openapi-gen=' |
    sed 's|^\./staging/src/|vendor/|; s|^\./||; s|/[^/]*$||' |
    grep -v -e '^vendor/k8s.io/code-generator/' -e '^vendor/k8s.io/sample-apiserver/' |
    LC_ALL=C sort -u | sed 's|^|k8s.io/kubernetes/|' | paste -sd, -)
  [ -n "$dirs" ] || die "found no +k8s:openapi-gen packages"
  nice -n 10 "$gopath/bin/openapi-gen" --logtostderr -v 0 \
    -i "$dirs" -p k8s.io/kubernetes/pkg/generated/openapi -O zz_generated.openapi \
    -h hack/boilerplate/boilerplate.generatego.txt -o "$gopath/src" \
    -r "$gopath/openapi-violations.report" >&2 || die "openapi-gen failed"
  [ -s pkg/generated/openapi/zz_generated.openapi.go ] || die "openapi-gen wrote nothing"

  # The version stamp upstream's hack/lib/version.sh gives (kubectl and clients read /version).
  pfx=k8s.io/kubernetes/vendor/k8s.io
  ldflags="-s -w"
  for pkg in "$pfx/client-go/pkg/version" "$pfx/component-base/version"; do
    ldflags="$ldflags -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=20"
    ldflags="$ldflags -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  say "compiling kube-apiserver (several minutes on two cores)"
  go_build -trimpath -ldflags "$ldflags" -o "$gopath/bin/kube-apiserver" ./cmd/kube-apiserver >&2 ||
    die "go build ./cmd/kube-apiserver failed"
}

cmd_build() {
  # Checked even when the binary is cached (a few dpkg-query calls): `start` needs the rest.
  ensure_packages golang-go etcd-server dpkg-dev patch openssl curl ca-certificates \
    debian-archive-keyring
  if [ -x "$BIN" ]; then
    echo "$BIN"
    return 0
  fi
  mkdir -p "$CACHE" || die "cannot create $CACHE"
  # One build at a time per cache: a second caller waits, then finds the binary.
  exec 9>"$CACHE/.build.lock"
  flock 9 || die "cannot lock $CACHE/.build.lock"
  if [ -x "$BIN" ]; then
    echo "$BIN"
    return 0
  fi
  start_time=$(date +%s)
  fetch_source
  # Everything below happens in a scratch GOPATH that is thrown away; an interrupted build leaves
  # only that, the Go build cache (which makes the next try faster) and no binary.
  work="$CACHE/work"
  rm -rf "$work"
  mkdir -p "$work/src/k8s.io"
  tar xzf "$CACHE/src/$DEB_SRC_ORIG" -C "$work/src/k8s.io" || die "unpacking $DEB_SRC_ORIG failed"
  mv "$work/src/k8s.io/$DEB_SRC_TOPDIR" "$work/src/k8s.io/kubernetes"
  (build_tree "$work") || exit 1
  "$work/bin/kube-apiserver" --version >&2 || die "the built kube-apiserver does not run"
  mkdir -p "$BIN_DIR"
  mv "$work/bin/kube-apiserver" "$BIN.tmp"
  mv "$BIN.tmp" "$BIN"
  rm -rf "$work"
  say "built $BIN in $(($(date +%s) - start_time)) s"
  echo "$BIN"
}

# ---------------------------------------------------------------------------------------------
# start / stop / restart-apiserver
# ---------------------------------------------------------------------------------------------

# listening_ports: every TCP port something listens on (IPv4 and IPv6), in decimal.
listening_ports() {
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
    awk '$4 == "0A" { split($2, a, ":"); print a[2] }' |
    while read -r hex; do echo $((0x$hex)); done
}

# free_port [EXCLUDE...]: a port from 20000-32767 that nothing listens on. That range lies below
# Linux's ephemeral range (32768-60999), so no outgoing connection takes it in the meantime.
free_port() {
  used=$(listening_ports)
  tries=0
  while [ "$tries" -lt 100 ]; do
    tries=$((tries + 1))
    port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12768))
    taken=""
    for p in $used "$@"; do
      [ "$p" = "$port" ] && taken=yes && break
    done
    [ -z "$taken" ] && echo "$port" && return 0
  done
  die "found no free TCP port"
}

# alive PIDFILE: the process in PIDFILE runs, and is ours (its command line names $DIR).
alive() {
  [ -f "$1" ] || return 1
  pid=$(cat "$1")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  # A zombie has exited (whoever adopted it may not reap it at once).
  [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -F -e "$DIR/"
}

# stop_one NAME SECONDS: SIGTERM, and SIGKILL when NAME has not exited within SECONDS.
stop_one() {
  pidfile="$DIR/$1.pid"
  if alive "$pidfile"; then
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    end=$(($(date +%s) + $2))
    while alive "$pidfile" && [ "$(date +%s)" -lt "$end" ]; do
      sleep 0.1
    done
    if alive "$pidfile"; then
      say "$1 (pid $pid) still runs $2 s after SIGTERM: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      end=$(($(date +%s) + 5))
      while alive "$pidfile" && [ "$(date +%s)" -lt "$end" ]; do
        sleep 0.1
      done
    fi
  fi
  rm -f "$pidfile"
}

# The log's last lines, for an error message.
log_tail() {
  echo "---- $1 (last 20 lines):" >&2
  tail -n 20 "$1" >&2 2>/dev/null || true
}

make_pki() {
  pki="$DIR/pki"
  [ -f "$pki/done" ] && return 0
  rm -rf "$pki"
  mkdir -p "$pki"
  # P-256 keys: generated in milliseconds, and accepted by every TLS client and by the API
  # server for service-account tokens (ES256).
  newkey() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null; }
  # 127.0.0.1 for the tests; the in-cluster names and the service IP (the first of
  # --service-cluster-ip-range) for clients that use them.
  san="IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default"
  san="$san,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  {
    newkey "$pki/ca.key" &&
      openssl req -x509 -new -key "$pki/ca.key" -sha256 -days 3650 -subj "/CN=contour-test-ca" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" -out "$pki/ca.crt" &&
      newkey "$pki/apiserver.key" &&
      openssl req -new -key "$pki/apiserver.key" -subj "/CN=kube-apiserver" \
        -out "$pki/apiserver.csr" &&
      printf '%s\n' "basicConstraints=CA:FALSE" \
        "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
        "subjectAltName=$san" >"$pki/apiserver.ext" &&
      openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
        -CAcreateserial -sha256 -days 3650 -extfile "$pki/apiserver.ext" \
        -out "$pki/apiserver.crt" &&
      # A client certificate in system:masters, for clients that authenticate with one.
      newkey "$pki/admin.key" &&
      openssl req -new -key "$pki/admin.key" -subj "/O=system:masters/CN=contour-test-admin" \
        -out "$pki/admin.csr" &&
      printf '%s\n' "basicConstraints=CA:FALSE" \
        "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=clientAuth" \
        >"$pki/admin.ext" &&
      openssl x509 -req -in "$pki/admin.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
        -CAcreateserial -sha256 -days 3650 -extfile "$pki/admin.ext" -out "$pki/admin.crt" &&
      newkey "$pki/sa.key" &&
      openssl ec -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
  } >"$pki/openssl.log" 2>&1 || {
    log_tail "$pki/openssl.log"
    die "generating certificates with openssl failed"
  }
  token=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
  # token,user,uid,"group,...": the token's user is a cluster admin whatever the authorizer.
  echo "$token,$TOKEN_USER,$TOKEN_USER,\"system:masters\"" >"$pki/tokens.csv"
  echo "$token" >"$pki/token"
  chmod 600 "$pki"/*.key "$pki/tokens.csv" "$pki/token"
  touch "$pki/done"
}

b64() { base64 -w0 <"$1"; }

write_kubeconfigs() {
  # shellcheck disable=SC2154  # api_port comes from $DIR/state
  cluster="- name: contour-test
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority-data: $(b64 "$DIR/pki/ca.crt")"
  header="apiVersion: v1
kind: Config
clusters:
$cluster
contexts:
- name: contour-test
  context:
    cluster: contour-test
    user: contour-test
current-context: contour-test
preferences: {}
users:
- name: contour-test
  user:"
  umask 077
  printf '%s\n    token: %s\n' "$header" "$(cat "$DIR/pki/token")" >"$DIR/kubeconfig.tmp"
  mv "$DIR/kubeconfig.tmp" "$DIR/kubeconfig"
  printf '%s\n    client-certificate-data: %s\n    client-key-data: %s\n' "$header" \
    "$(b64 "$DIR/pki/admin.crt")" "$(b64 "$DIR/pki/admin.key")" >"$DIR/kubeconfig-client-cert.tmp"
  mv "$DIR/kubeconfig-client-cert.tmp" "$DIR/kubeconfig-client-cert"
  umask 022
}

# Starts etcd on the ports in $DIR/state; fails (status 1) when it does not come up.
launch_etcd() {
  # shellcheck disable=SC2154  # etcd_client_port and etcd_peer_port come from $DIR/state
  client="http://127.0.0.1:$etcd_client_port"
  peer="http://127.0.0.1:$etcd_peer_port"
  # Only the test's descriptors: stdin from /dev/null, output to the log, nothing inherited that
  # a caller may be reading to its end (such as a pipe from $(...) or from a test runner).
  etcd --name contour-test --data-dir "$DIR/etcd" \
    --listen-client-urls "$client" --advertise-client-urls "$client" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
    --initial-cluster "contour-test=$peer" --initial-cluster-state new \
    --initial-cluster-token contour-test --listen-metrics-urls "" \
    </dev/null >>"$DIR/etcd.log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
  echo $! >"$DIR/etcd.pid"
  end=$(($(date +%s) + 30))
  until curl -s -m 2 "$client/health" 2>/dev/null | grep -q '"health":"true"'; do
    alive "$DIR/etcd.pid" || return 1
    if [ "$(date +%s)" -ge "$end" ]; then
      stop_one etcd 5
      return 1
    fi
    sleep 0.1
  done
}

launch_apiserver() {
  # shellcheck disable=SC2154  # authz comes from $DIR/state
  pki="$DIR/pki"
  # Every write, with its user agent, in $DIR/audit.log (one JSON object a line): tests count
  # what a controller wrote, such as its status patches. Service accounts' reads are logged too,
  # so a test can show that nothing a deployed component asked for was refused.
  cat >"$DIR/audit-policy.yaml" <<EOF
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages:
- RequestReceived
rules:
- level: Metadata
  verbs: [create, update, patch, delete, deletecollection]
- level: Metadata
  userGroups: ["system:serviceaccounts"]
- level: None
EOF
  issuer=https://kubernetes.default.svc.cluster.local
  "$BIN" \
    --bind-address=127.0.0.1 --secure-port="$api_port" --insecure-port=0 \
    --advertise-address=127.0.0.1 \
    --etcd-servers="http://127.0.0.1:$etcd_client_port" \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" --token-auth-file="$pki/tokens.csv" \
    --authorization-mode="$authz" \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --service-account-issuer="$issuer" --api-audiences="$issuer" \
    --service-cluster-ip-range=10.0.0.0/24 --endpoint-reconciler-type=none \
    --audit-policy-file="$DIR/audit-policy.yaml" --audit-log-path="$DIR/audit.log" \
    --cert-dir="$pki" --profiling=false --logtostderr=true --v=1 \
    </dev/null >>"$DIR/apiserver.log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
  echo $! >"$DIR/apiserver.pid"
}

# wait_apiserver SECONDS: /readyz answers ok and the "default" namespace exists (the API server
# creates it shortly after it starts; tests create objects in it).
wait_apiserver() {
  end=$(($(date +%s) + $1))
  base="https://127.0.0.1:$api_port"
  set -- -s -m 3 --cacert "$DIR/pki/ca.crt" -H "Authorization: Bearer $(cat "$DIR/pki/token")"
  until [ "$(curl "$@" "$base/readyz" 2>/dev/null)" = ok ] &&
    curl "$@" -f -o /dev/null "$base/api/v1/namespaces/default" 2>/dev/null; do
    if ! alive "$DIR/apiserver.pid"; then
      log_tail "$DIR/apiserver.log"
      die "kube-apiserver exited (log: $DIR/apiserver.log)"
    fi
    if [ "$(date +%s)" -ge "$end" ]; then
      log_tail "$DIR/apiserver.log"
      die "kube-apiserver not ready within $1 s (log: $DIR/apiserver.log)"
    fi
    sleep 0.2
  done
}

check_runtime() {
  [ -x "$BIN" ] || die "$BIN is missing: run '$0 build' first"
  for tool in etcd openssl curl base64 od awk; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing: run '$0 build' first"
  done
}

set_dir() {
  [ -n "$1" ] || die "usage: $0 $cmd DIR"
  [ "$cmd" != start ] || mkdir -p "$1" || die "cannot create $1"
  [ -d "$1" ] || die "$1 is not a directory"
  DIR=$(cd "$1" && pwd)
}

load_state() {
  [ -f "$DIR/state" ] || die "$DIR/state is missing: nothing was started in $DIR"
  # shellcheck disable=SC1091  # written by cmd_start
  . "$DIR/state"
}

cmd_start() {
  set_dir "$1"
  check_runtime
  if alive "$DIR/etcd.pid" || alive "$DIR/apiserver.pid"; then
    die "already running in $DIR (stop it first)"
  fi
  case "${CONTOUR_KUBE_AUTHZ:-AlwaysAllow}" in
  AlwaysAllow | RBAC) authz=${CONTOUR_KUBE_AUTHZ:-AlwaysAllow} ;;
  *) die "CONTOUR_KUBE_AUTHZ must be AlwaysAllow or RBAC, not $CONTOUR_KUBE_AUTHZ" ;;
  esac
  make_pki
  # Ports are chosen, then bound by another process: a port taken in between makes etcd fail,
  # and it is tried again on others.
  attempt=0
  while :; do
    attempt=$((attempt + 1))
    etcd_client_port=$(free_port)
    etcd_peer_port=$(free_port "$etcd_client_port")
    launch_etcd && break
    [ "$attempt" -lt 3 ] || {
      log_tail "$DIR/etcd.log"
      die "etcd did not start (log: $DIR/etcd.log)"
    }
  done
  api_port=${2:-$(free_port "$etcd_client_port" "$etcd_peer_port")}
  cat >"$DIR/state" <<EOF
etcd_client_port=$etcd_client_port
etcd_peer_port=$etcd_peer_port
api_port=$api_port
authz=$authz
EOF
  write_kubeconfigs
  # A server that does not come up is not left behind, nor is its etcd.
  if ! (launch_apiserver && wait_apiserver "${CONTOUR_KUBE_READY_TIMEOUT:-60}"); then
    stop_one apiserver 5
    stop_one etcd 5
    exit 1
  fi
  say "kube-apiserver ready on https://127.0.0.1:$api_port" \
    "(etcd on 127.0.0.1:$etcd_client_port), kubeconfig $DIR/kubeconfig"
}

# kube-apiserver's graceful shutdown waits for open watches to end, up to a minute; etcd holds
# every write it acknowledged, so a kill after a short grace loses nothing.
APISERVER_GRACE=10

cmd_stop() {
  set_dir "$1"
  stop_one apiserver "$APISERVER_GRACE"
  stop_one etcd 10
}

cmd_restart_apiserver() {
  set_dir "$1"
  check_runtime
  load_state
  alive "$DIR/etcd.pid" || die "etcd does not run in $DIR"
  stop_one apiserver "$APISERVER_GRACE"
  launch_apiserver
  wait_apiserver "${CONTOUR_KUBE_READY_TIMEOUT:-60}"
  say "kube-apiserver restarted on https://127.0.0.1:$api_port"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
build)
  [ $# -eq 0 ] || die "usage: $0 build"
  cmd_build
  ;;
start)
  case $# in 1 | 2) ;; *) die "usage: $0 start DIR [PORT]" ;; esac
  cmd_start "$@"
  ;;
stop)
  [ $# -eq 1 ] || die "usage: $0 stop DIR"
  cmd_stop "$1"
  ;;
restart-apiserver)
  [ $# -eq 1 ] || die "usage: $0 restart-apiserver DIR"
  cmd_restart_apiserver "$1"
  ;;
*)
  die "usage: $0 build | start DIR [PORT] | stop DIR | restart-apiserver DIR"
  ;;
esac
