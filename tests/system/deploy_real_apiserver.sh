#!/bin/sh
# System test: the deployment manifests (deploy/) against a real kube-apiserver (v1.20.2,
# scripts/kube-apiserver.sh) with RBAC authorization. There are no controllers and no kubelet:
# what can be proven is that the API server accepts every manifest and that the RBAC they grant
# is exactly enough for what contour does. So:
#   1. kubectl apply -f deploy/ as a cluster admin succeeds, twice (the second time changes
#      nothing); the CRDs are Established; the IngressRoutes of examples/ pass a server dry run;
#   2. every flag the Deployment, the DaemonSet's init container and the certgen Job pass exists
#      in this binary's --help; the init container's `contour bootstrap` runs as written;
#   3. with tokens for the ServiceAccounts (TokenRequest: `kubectl create token`), access reviews
#      made with each token (SelfSubjectAccessReview, what `kubectl auth can-i` asks; a few
#      through kubectl auth can-i itself) answer yes to what contour and certgen need and no to
#      a list of things they must not do (delete or create Secrets, create Pods, rewrite
#      contour's own ConfigMap, update IngressRoutes, ...); the envoy ServiceAccount can do
#      nothing;
#   4. `contour certgen --kube` as contour-certgen creates cacert, contourcert and envoycert and
#      with --overwrite replaces them (when the binary has certgen; otherwise openssl makes
#      contourcert and envoycert as certgen would);
#   5. two `contour serve` replicas, run with the Deployment's own arguments (the in-cluster
#      parts swapped for a kubeconfig holding the contour token, the Secret's files and the
#      shipped contour.yaml with short election durations), answer /healthz and /metrics (the
#      probes' and the scrape annotations' port 8000 is --http-port's default), and elect a
#      leader on the lock the Role names; the leader writes status "valid" on an IngressRoute
#      whose Service, Endpoints and TLS Secret exist, and serves its HTTPS virtual host and
#      endpoint over mutual TLS to a client holding Envoy's certificate (and nothing to one
#      without); after SIGTERM the other replica leads and writes the next status; with
#      `lock: leases` in contour.yaml, a replica leads on the Lease;
#   6. the audit log has no 403 for the contour or certgen ServiceAccounts (a deliberate
#      forbidden request shows that a 403 would be seen), and has their writes; contour's logs
#      report no 403. The audit policy records service accounts' reads too, and contour's lists
#      and watches of every kind are there.
#
# Exit status: 0 passed, 1 failed, 77 skipped (kube-apiserver cannot be built on this machine).
# Usage: sh tests/system/deploy_real_apiserver.sh CONTOUR_BINARY REPO_ROOT
# Environment: CONTOUR_DEPLOY_TEST_DEADLINE (seconds each wait may take, default 30),
# CONTOUR_DEPLOY_TEST_TIMEOUT (seconds the test may take after the build, default 240),
# CONTOUR_DEPLOY_TEST_KEEP (when set, the scratch directory with every log is kept).
set -u
. "$(dirname "$0")/lib/common.sh"
deploy="$repo/deploy"
deadline=${CONTOUR_DEPLOY_TEST_DEADLINE:-30}
limit=${CONTOUR_DEPLOY_TEST_TIMEOUT:-240}
keep_scratch=${CONTOUR_DEPLOY_TEST_KEEP:-}
ns=heptio-contour
contour_user="system:serviceaccount:$ns:contour"
certgen_user="system:serviceaccount:$ns:contour-certgen"
envoy_user="system:serviceaccount:$ns:envoy"

show_logs() {
  tail_logs 25 "$work"/*.log "$kube"/apiserver.log
}

# free_port: sets `port` to a TCP port from 20000-32767 (below Linux's ephemeral range) that
# nothing listens on and that this script has not handed out before. Not called in $(...): the
# list of ports handed out must survive.
given_ports=""
free_port() {
  used=$(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
    awk '$4 == "0A" { split($2, a, ":"); print a[2] }' |
    while read -r hex; do echo $((0x$hex)); done)
  while :; do
    port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12768))
    case " $used $given_ports " in *" $port "*) continue ;; esac
    given_ports="$given_ports $port"
    return 0
  done
}

# --- 0. kube-apiserver, built once per machine (not part of the time limit) --------------------
step="0. scripts/kube-apiserver.sh build"
kube_build
command -v openssl >/dev/null 2>&1 || fail "no openssl after scripts/kube-apiserver.sh build"
ok
start_time_limit "$limit"

# --- 1. the API server, with RBAC ---------------------------------------------------------------
step="1. kube-apiserver with CONTOUR_KUBE_AUTHZ=RBAC"
kube_start CONTOUR_KUBE_AUTHZ=RBAC
# RBAC is what decides: an unprivileged ServiceAccount may not list Secrets (AlwaysAllow: yes).
answer=$(kc auth can-i list secrets --all-namespaces --as system:serviceaccount:default:default)
[ "$answer" = no ] || fail "default:default may list Secrets ('$answer'): RBAC is not on"
ok

# --- 2. the manifests -----------------------------------------------------------------------------
step="2. kubectl apply -f deploy/ (admin): every object accepted; CRDs Established"
kc_ok "apply deploy/" apply -f "$deploy"
kc_ok "CRDs Established" wait --for condition=Established --timeout="${deadline}s" \
  crd/ingressroutes.contour.heptio.com crd/tlscertificatedelegations.contour.heptio.com
kc get -f "$deploy" -o name >"$work/objects" || fail "kubectl get -f deploy/"
# What the manifests are meant to hold (docs/deploy.md); `get -f` reads them back by name.
for object in \
  customresourcedefinition.apiextensions.k8s.io/ingressroutes.contour.heptio.com \
  customresourcedefinition.apiextensions.k8s.io/tlscertificatedelegations.contour.heptio.com \
  namespace/heptio-contour serviceaccount/contour serviceaccount/envoy \
  serviceaccount/contour-certgen clusterrole.rbac.authorization.k8s.io/contour \
  clusterrolebinding.rbac.authorization.k8s.io/contour \
  role.rbac.authorization.k8s.io/contour-leaderelection \
  rolebinding.rbac.authorization.k8s.io/contour-leaderelection \
  role.rbac.authorization.k8s.io/contour-certgen \
  rolebinding.rbac.authorization.k8s.io/contour-certgen job.batch/contour-certgen \
  configmap/contour deployment.apps/contour service/contour daemonset.apps/envoy \
  service/envoy; do
  grep -q -x -F -e "$object" "$work/objects" || fail "$object is not on the server"
done
set -- "$deploy"/*.yaml
note "$(wc -l <"$work/objects") objects from $# files"
# Applying again changes nothing (a Job's template, for one, could not be changed).
kc apply -f "$deploy" >"$work/reapply.out" || fail "a second kubectl apply -f deploy/ failed"
# Kubernetes 1.20 has TTLAfterFinished as an alpha feature, off: it drops the Job's
# ttlSecondsAfterFinished, so apply finds the Job different each time (and sets the same spec).
ttl=$(kc get job contour-certgen -n "$ns" -o jsonpath='{.spec.ttlSecondsAfterFinished}')
if [ -z "$ttl" ] && grep -q -x -e 'job.batch/contour-certgen configured' "$work/reapply.out"; then
  grep -v -x -e 'job.batch/contour-certgen configured' "$work/reapply.out" >"$work/reapply.rest"
  mv "$work/reapply.rest" "$work/reapply.out"
  note "this API server drops the Job's ttlSecondsAfterFinished (alpha in 1.20)"
fi
if grep -v -e ' unchanged$' "$work/reapply.out" >"$work/changed"; then
  fail "a second apply changed: $(cat "$work/changed")"
fi
[ "$(kc get deployment contour -n "$ns" -o jsonpath='{.spec.replicas}')" = 2 ] ||
  fail "the Deployment does not ask for 2 replicas"
[ "$(kc get service envoy -n "$ns" -o jsonpath='{.spec.type} {.spec.externalTrafficPolicy}')" = \
  "LoadBalancer Local" ] || fail "Service envoy is not a LoadBalancer with policy Local"
ok

step="2b. the IngressRoutes of examples/ pass kubectl apply --dry-run=server"
mkdir "$work/samples"
for file in "$repo"/examples/*.yaml; do
  awk -v out="$work/samples/$(basename "$file" .yaml)" '
    /^---$/ { flush(); next }
    { body = body $0 "\n" }
    /^kind: IngressRoute$/ { keep = 1 }
    function flush() {
      if (keep) { n++; printf "%s", body > (out "-" n ".yaml") }
      body = ""; keep = 0
    }
    END { flush() }' "$file"
done
set -- "$work"/samples/*.yaml
[ -e "$1" ] || fail "no IngressRoute in examples/"
samples=$#
sed -n 's/^  namespace: *//p' "$work"/samples/*.yaml | LC_ALL=C sort -u >"$work/sample-namespaces"
while read -r sample_ns; do
  kc get namespace "$sample_ns" >/dev/null 2>&1 ||
    kc_ok "create namespace $sample_ns" create namespace "$sample_ns"
done <"$work/sample-namespaces"
kc_ok "server dry run of the IngressRoutes" apply --dry-run=server -f "$work/samples"
[ -z "$(kc get ingressroutes --all-namespaces -o name)" ] || fail "the dry run stored objects"
ok
note "$samples IngressRoutes"

# --- 3. the command lines -------------------------------------------------------------------------
step="3. every flag in deploy/ is in this binary's --help; the init container's bootstrap runs"
# args CONTROLLER CONTAINER_PATH: the container's args, one a line.
args() {
  kc get "$1" -n "$ns" -o jsonpath="{range $2.args[*]}{@}{\"\\n\"}{end}"
}
# has_subcommand NAME: `contour NAME --help` is NAME's own help (for an unknown name, CLI11 prints
# the top-level help); it is left in NAME.help.
has_subcommand() {
  "$bin" "$1" --help >"$work/$1.help" 2>&1 &&
    grep -q -E -e "^Usage: [^ ]+ $1( |\$)" "$work/$1.help"
}
# flags_exist SUBCOMMAND ARGS_FILE: each --flag (with or without =value) is in the help; sets
# `flags` to how many there are (not called in $(...), so that fail ends the test).
flags_exist() {
  has_subcommand "$1" || fail "this contour has no subcommand $1"
  flags=0
  sed -n 's/^\(--[a-z0-9-]*\).*/\1/p' "$2" >"$work/$1.flags"
  while read -r flag; do
    grep -q -E -e "(^|[ ,])$flag([ =,]|\$)" "$work/$1.help" ||
      fail "deploy/ passes $flag to contour $1, which does not have it"
    flags=$((flags + 1))
  done <"$work/$1.flags"
}
args deployment/contour '.spec.template.spec.containers[0]' >"$work/serve.args"
[ "$(head -n 1 "$work/serve.args")" = serve ] || fail "the Deployment does not run contour serve"
flags_exist serve "$work/serve.args"
note "contour serve: $flags flags"
# The probes and the scrape annotation name the port of /healthz and /metrics: --http-port's
# default, which the Deployment does not change.
grep -q -e '^--http-port' "$work/serve.args" && fail "the Deployment sets --http-port"
tr '\n' ' ' <"$work/serve.help" | grep -q -E -e '--http-port .{0,160}[( ]8000[;) ]' ||
  fail "--http-port's default is not 8000"
container='.spec.template.spec.containers[0]'
ports=$(kc get deployment contour -n "$ns" -o jsonpath="{$container.readinessProbe.httpGet.port} \
{$container.readinessProbe.httpGet.path} {$container.livenessProbe.httpGet.port} \
{$container.livenessProbe.httpGet.path} {.spec.template.metadata.annotations.prometheus\.io/port}")
[ "$ports" = "8000 /healthz 8000 /healthz 8000" ] ||
  fail "probes and prometheus.io/port are '$ports', not port 8000 and /healthz"
args daemonset/envoy '.spec.template.spec.initContainers[0]' >"$work/bootstrap.args"
[ "$(head -n 1 "$work/bootstrap.args")" = bootstrap ] ||
  fail "the DaemonSet's init container does not run contour bootstrap"
flags_exist bootstrap "$work/bootstrap.args"
note "contour bootstrap: $flags flags"
# The init container's command as it stands, writing into the scratch directory instead.
set --
while IFS= read -r arg; do
  case $arg in /config/*) arg="$work/envoy-config/${arg#/config/}" ;; esac
  set -- "$@" "$arg"
done <"$work/bootstrap.args"
mkdir "$work/envoy-config"
CONTOUR_NAMESPACE=$ns "$bin" "$@" >"$work/bootstrap.log" 2>&1 3>&- || fail "contour $*"
bootstrap="$work/envoy-config/envoy.json"
[ -s "$bootstrap" ] || fail "contour bootstrap wrote no $bootstrap"
for want in '"address": "contour"' '"port_value": 8001' '"/certs/tls.crt"' '"/certs/tls.key"' \
  '"/certs/ca.crt"'; do
  grep -q -F -e "$want" "$bootstrap" || fail "the bootstrap has no $want"
done
# The certificates it names are where the DaemonSet mounts envoycert.
mount=$(kc get daemonset envoy -n "$ns" -o \
  jsonpath='{.spec.template.spec.containers[0].volumeMounts[?(@.name=="envoycert")].mountPath}')
[ "$mount" = /certs ] || fail "envoycert is mounted at '$mount', not /certs"
args job/contour-certgen '.spec.template.spec.containers[0]' >"$work/certgen.args"
[ "$(head -n 1 "$work/certgen.args")" = certgen ] || fail "the Job does not run contour certgen"
if has_subcommand certgen; then
  have_certgen=yes
  flags_exist certgen "$work/certgen.args"
  note "contour certgen: $flags flags"
else
  have_certgen=""
  note "contour certgen: not in this binary; the Job's flags are NOT checked"
fi
ok

# --- 4. tokens and what they may do ---------------------------------------------------------------
step="4. TokenRequest tokens for contour and contour-certgen; their kubeconfigs"
server=$(kc config view -o jsonpath='{.clusters[0].cluster.server}')
[ -n "$server" ] || fail "no server in $kube/kubeconfig"
# sa_kubeconfig NAME: a kubeconfig for ServiceAccount NAME with a one-hour token.
sa_kubeconfig() {
  token=$(kc create token "$1" -n "$ns" --duration 1h) || fail "kubectl create token $1"
  [ -n "$token" ] || fail "kubectl create token $1 printed nothing"
  config="$work/$1.kubeconfig"
  for command in \
    "set-cluster test --server=$server --certificate-authority=$kube/pki/ca.crt --embed-certs" \
    "set-credentials $1 --token=$token" "set-context test --cluster=test --user=$1" \
    "use-context test"; do
    # shellcheck disable=SC2086  # the words of each command are meant to be split
    kubectl --kubeconfig "$config" config $command >/dev/null 2>>"$work/kubectl.log" ||
      fail "kubectl config $command"
  done
}
sa_kubeconfig contour
sa_kubeconfig contour-certgen
# The token is the ServiceAccount's: the API server names it so when it refuses something.
kubectl --kubeconfig "$work/contour.kubeconfig" --cache-dir "$work/kubectl-cache" get pods \
  -n default </dev/null >/dev/null 2>"$work/whoami.err" 3>&- &&
  fail "the contour token may list Pods"
grep -q -F -e "\"$contour_user\"" "$work/whoami.err" ||
  fail "the refusal does not name $contour_user: $(cat "$work/whoami.err")"
ok

step="5. what each token may do (SelfSubjectAccessReview): what it needs, and nothing more"
# SUBJECT EXPECTED VERB RESOURCE[.GROUP][/NAME|/status] [NAMESPACE; none: every namespace]
cat >"$work/access.table" <<EOF
contour yes list services
contour yes watch services
contour yes list endpoints
contour yes watch endpoints
contour yes list secrets
contour yes watch secrets
contour yes get secrets
contour yes list ingresses.networking.k8s.io
contour yes watch ingresses.networking.k8s.io
contour yes list ingresses.extensions
contour yes watch ingresses.extensions
contour yes list ingressroutes.contour.heptio.com
contour yes watch ingressroutes.contour.heptio.com
contour yes patch ingressroutes.contour.heptio.com
contour yes patch ingressroutes.contour.heptio.com/status
contour yes list tlscertificatedelegations.contour.heptio.com
contour yes watch tlscertificatedelegations.contour.heptio.com
contour yes create configmaps $ns
contour yes get configmaps/leader-elect $ns
contour yes update configmaps/leader-elect $ns
contour yes create leases.coordination.k8s.io $ns
contour yes get leases.coordination.k8s.io/leader-elect $ns
contour yes update leases.coordination.k8s.io/leader-elect $ns
contour no delete secrets
contour no create secrets $ns
contour no update secrets/contourcert $ns
contour no create pods default
contour no list pods
contour no get configmaps/contour $ns
contour no update configmaps/contour $ns
contour no delete configmaps/leader-elect $ns
contour no list configmaps $ns
contour no create configmaps default
contour no update leases.coordination.k8s.io/other $ns
contour no create ingressroutes.contour.heptio.com
contour no update ingressroutes.contour.heptio.com
contour no delete ingressroutes.contour.heptio.com
contour no patch tlscertificatedelegations.contour.heptio.com
contour no patch services
contour no update endpoints
contour no patch ingresses.networking.k8s.io
contour no create events $ns
contour no list nodes
contour-certgen yes create secrets $ns
contour-certgen yes get secrets/contourcert $ns
contour-certgen yes update secrets/contourcert $ns
contour-certgen yes update secrets/envoycert $ns
contour-certgen yes update secrets/cacert $ns
contour-certgen no update secrets/other $ns
contour-certgen no list secrets $ns
contour-certgen no delete secrets/contourcert $ns
contour-certgen no create secrets default
contour-certgen no get secrets
contour-certgen no create configmaps $ns
envoy no get secrets $ns
envoy no list services
envoy no get configmaps $ns
envoy no create configmaps $ns
EOF
# reviews SUBJECT: the table's questions about SUBJECT, as SelfSubjectAccessReviews (contour and
# contour-certgen ask with their own token: what `kubectl auth can-i` sends) or, for envoy, which
# has no token, SubjectAccessReviews the admin asks about its user and groups. One kubectl
# create for all of them: a kubectl per question takes about a second.
reviews() {
  awk -v who="$1" -v user="$envoy_user" -v ns="$ns" '
    $1 == who {
      resource = $4; name = ""; subresource = ""; group = ""
      if ((i = index(resource, "/")) > 0) {
        rest = substr(resource, i + 1); resource = substr(resource, 1, i - 1)
        if (rest == "status") subresource = rest; else name = rest
      }
      if ((i = index(resource, ".")) > 0) {
        group = substr(resource, i + 1); resource = substr(resource, 1, i - 1)
      }
      print "---"
      print "apiVersion: authorization.k8s.io/v1"
      if (who == "envoy") {
        print "kind: SubjectAccessReview"
        print "spec:"
        print "  user: " user
        printf "  groups: [system:serviceaccounts, \"system:serviceaccounts:%s\", ", ns
        print "system:authenticated]"
      } else {
        print "kind: SelfSubjectAccessReview"
        print "spec:"
      }
      print "  resourceAttributes:"
      printf "    verb: %s\n    group: \"%s\"\n    resource: %s\n", $3, group, resource
      printf "    namespace: \"%s\"\n    name: \"%s\"\n", $5, name
      printf "    subresource: \"%s\"\n", subresource
    }' "$work/access.table"
}
checks=0
for subject in contour contour-certgen envoy; do
  reviews "$subject" >"$work/reviews-$subject.yaml"
  case $subject in
  envoy) config="$kube/kubeconfig" ;;
  *) config="$work/$subject.kubeconfig" ;;
  esac
  kca "$config" create -f "$work/reviews-$subject.yaml" \
    -o jsonpath='{.status.allowed}{"\n"}' >"$work/answers-$subject" ||
    fail "the access reviews of $subject failed"
  awk -v who="$subject" '$1 == who' "$work/access.table" >"$work/questions-$subject"
  questions=$(wc -l <"$work/questions-$subject")
  answers=$(wc -l <"$work/answers-$subject")
  [ "$answers" -eq "$questions" ] || fail "$answers answers to $questions questions about $subject"
  paste -d ' ' "$work/questions-$subject" "$work/answers-$subject" >"$work/answered-$subject"
  while read -r who expected verb resource where answer; do
    [ -n "$answer" ] || {
      answer=$where
      where=""
    }
    case $answer in
    true) answer=yes ;;
    false) answer=no ;;
    *) fail "no answer for $who $verb $resource: '$answer'" ;;
    esac
    [ "$answer" = "$expected" ] ||
      fail "$who may $verb $resource in ${where:-every namespace}: $answer, want $expected"
    checks=$((checks + 1))
  done <"$work/answered-$subject"
done
# A few again through kubectl auth can-i, as an operator would ask.
while read -r expected verb resource scope; do
  answer=$(kca "$work/contour.kubeconfig" auth can-i "$verb" "$resource" "$scope")
  [ "$answer" = "$expected" ] ||
    fail "kubectl auth can-i $verb $resource $scope (contour): '$answer', want $expected"
  checks=$((checks + 1))
done <<EOF
no delete secrets --all-namespaces
no create pods --namespace=default
yes patch ingressroutes.contour.heptio.com --all-namespaces
yes update configmaps/leader-elect --namespace=$ns
EOF
ok
note "$checks answers"

# --- 6. certgen -----------------------------------------------------------------------------------
mkdir "$work/certs"
if [ -n "$have_certgen" ]; then
  step="6. contour certgen --kube as contour-certgen: the Secrets the pods mount"
  # The Job's arguments, with the token's kubeconfig for --incluster.
  set --
  while IFS= read -r arg; do
    [ "$arg" = --incluster ] && arg="--kubeconfig=$work/contour-certgen.kubeconfig"
    set -- "$@" "$arg"
  done <"$work/certgen.args"
  "$bin" "$@" >"$work/certgen.log" 2>&1 3>&- || fail "contour $*: $(cat "$work/certgen.log")"
  for secret in cacert contourcert envoycert; do
    grep -q -F -e "secret/$secret created" "$work/certgen.log" || fail "$secret not created"
  done
  secret_data() { kc get secret "$1" -n "$ns" -o jsonpath="{.data.${2%%.*}\\.${2#*.}}"; }
  first=$(secret_data contourcert tls.crt)
  "$bin" "$@" >"$work/certgen-again.log" 2>&1 3>&- || fail "a second certgen --kube failed"
  [ "$(secret_data contourcert tls.crt)" = "$first" ] || fail "a second run replaced the Secret"
  "$bin" "$@" --overwrite >"$work/certgen-overwrite.log" 2>&1 3>&- ||
    fail "certgen --kube --overwrite failed: $(cat "$work/certgen-overwrite.log")"
  [ "$(secret_data contourcert tls.crt)" != "$first" ] || fail "--overwrite kept the certificate"
else
  step="6. (no certgen in this binary) openssl makes contourcert and envoycert as certgen would"
  ssl() { openssl "$@" >>"$work/openssl.log" 2>&1 || fail "openssl $1 failed"; }
  ssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=Project Contour" \
    -keyout "$work/ca.key" -out "$work/ca.crt"
  for leaf in contour envoy; do
    ssl req -newkey rsa:2048 -nodes -subj "/CN=$leaf" -keyout "$work/$leaf.key" \
      -out "$work/$leaf.csr"
    printf 'subjectAltName=DNS:%s,DNS:%s.%s\n' "$leaf" "$leaf" "$ns" >"$work/$leaf.ext"
    ssl x509 -req -in "$work/$leaf.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" \
      -CAcreateserial -days 1 -extfile "$work/$leaf.ext" -out "$work/$leaf.crt"
    kc_ok "create Secret ${leaf}cert" create secret generic "${leaf}cert" -n "$ns" \
      --type=kubernetes.io/tls --from-file=tls.crt="$work/$leaf.crt" \
      --from-file=tls.key="$work/$leaf.key" --from-file=ca.crt="$work/ca.crt"
  done
fi
# The files the Deployment and the DaemonSet name, from the Secrets they mount at /certs:
# contourcert's in certs/, envoycert's in envoy-certs/.
mkdir "$work/envoy-certs"
for controller in deployment/contour:contourcert:certs daemonset/envoy:envoycert:envoy-certs; do
  secret=${controller#*:}
  dir=${secret#*:}
  secret=${secret%:*}
  controller=${controller%%:*}
  path="{.spec.template.spec.containers[0].volumeMounts[?(@.name==\"$secret\")].mountPath}"
  mount=$(kc get "$controller" -n "$ns" -o jsonpath="$path")
  [ "$mount" = /certs ] || fail "$controller mounts $secret at '$mount', not /certs"
  [ "$(kc get secret "$secret" -n "$ns" -o jsonpath='{.type}')" = kubernetes.io/tls ] ||
    fail "$secret is not a kubernetes.io/tls Secret"
  for key in ca.crt tls.crt tls.key; do
    kc get secret "$secret" -n "$ns" -o jsonpath="{.data.${key%%.*}\\.${key#*.}}" |
      base64 -d >"$work/$dir/$key" 2>/dev/null
    [ -s "$work/$dir/$key" ] || fail "Secret $secret has no $key"
  done
done
for key in ca.crt tls.crt tls.key; do
  grep -q -e "=/certs/$key\$" "$work/serve.args" || fail "the Deployment does not pass /certs/$key"
done
ok

# --- 7. contour serve, as the Deployment runs it ----------------------------------------------
step="7. two replicas of the Deployment's contour serve (contour token) elect a leader; /healthz"
kc get configmap contour -n "$ns" -o jsonpath='{.data.contour\.yaml}' \
  >"$work/contour.yaml.shipped" || fail "no contour.yaml in ConfigMap contour"
sed -e 's/^\( *lease-duration:\).*/\1 4s/' -e 's/^\( *renew-deadline:\).*/\1 3s/' \
  -e 's/^\( *retry-period:\).*/\1 500ms/' "$work/contour.yaml.shipped" >"$work/contour.yaml"
[ "$(diff "$work/contour.yaml.shipped" "$work/contour.yaml" | grep -c '^>')" -eq 3 ] ||
  fail "the shipped contour.yaml does not set the three election durations"
lock=$(sed -n 's/^ *configmap-name: *//p' "$work/contour.yaml")
lock_ns=$(sed -n 's/^ *configmap-namespace: *//p' "$work/contour.yaml")
[ "$lock_ns" = "$ns" ] || fail "contour.yaml puts the lock in '$lock_ns', not $ns"
[ "$lock" = leader-elect ] || fail "contour.yaml names the lock '$lock', the Role leader-elect"
grep -q -x -e ' *lock: configmaps' "$work/contour.yaml" || fail "the lock is not a ConfigMap"
"$bin" serve --help >"$work/serve.help" 2>&1
# start_replica NAME: `contour serve` with the Deployment's args, as pod contour-NAME, logging to
# contour-NAME.log. In-cluster access, the mounts and the fixed ports are swapped for the
# test's; TLS is as deployed (mutual, with contourcert's files).
start_replica() {
  replica=$1
  set --
  while IFS= read -r arg; do
    case $arg in
    --incluster) arg="--kubeconfig=$work/contour.kubeconfig" ;;
    --xds-address=*) arg="--xds-address=127.0.0.1" ;;
    --xds-port=*) arg="--xds-port=0" ;;
    --config-path=/config/contour.yaml) arg="--config-path=$work/contour.yaml" ;;
    --*=/certs/*) arg="${arg%%=*}=$work/certs/${arg#*=/certs/}" ;;
    serve | --enable-leader-election | --xds-serve-mode=*) ;;
    *) fail "the test does not know what to do with the Deployment's argument $arg" ;;
    esac
    set -- "$@" "$arg"
  done <"$work/serve.args"
  # The defaults (8000, 6060) would collide with anything else on this machine: any free port
  # (0) where the flag takes it, else one found free.
  for flag in --http-port --debug-http-port; do
    if grep -q -E -e "^ *$flag UINT:INT in \[0 " "$work/serve.help"; then
      set -- "$@" "$flag=0"
    elif grep -q -E -e "(^|[ ,])$flag([ =,]|\$)" "$work/serve.help"; then
      free_port
      set -- "$@" "$flag=$port"
    fi
  done
  echo "+ contour $*" >"$work/contour-$replica.log"
  POD_NAME="contour-$replica" POD_NAMESPACE=$ns "$bin" "$@" >>"$work/contour-$replica.log" \
    2>&1 3>&- &
  pid=$!
  track "$pid" "contour-$replica"
  eval "pid_$replica=$pid"
}
# leads NAME: contour-NAME's log says it became leader.
leads() { grep -q -F -e "contour-$1 became leader" "$work/contour-$1.log"; }
either_leads() { leads a || leads b; }
# holder: the lock's holderIdentity.
holder() {
  kc get configmap "$lock" -n "$ns" \
    -o jsonpath='{.metadata.annotations.control-plane\.alpha\.kubernetes\.io/leader}' |
    sed -n 's/.*"holderIdentity":"\([^"]*\)".*/\1/p'
}
holder_is() { [ "$(holder)" = "$1" ]; }
listed() { grep -q -F -e 'every watched kind is listed' "$work/contour-$1.log"; }
start_replica a
start_replica b
wait_for "a replica becomes leader" either_leads
if leads a; then leader=a follower=b; else leader=b follower=a; fi
leads "$follower" && fail "both replicas became leader"
wait_for "lock $ns/$lock held by contour-$leader" holder_is "contour-$leader"
wait_for "contour-a lists every kind" listed a
wait_for "contour-b lists every kind" listed b
wait_for "contour-$leader serves xDS" has_xds_port "$work/contour-$leader.log"
xds_port=$(xds_port_in "$work/contour-$leader.log")
grep -q -F -e "serving xDS on 127.0.0.1:$xds_port (mutual TLS)" "$work/contour-$leader.log" ||
  fail "contour-$leader does not serve xDS with mutual TLS"
# What the probes and Prometheus ask, on each replica (the follower's readiness counts too):
# /healthz asks the API server for its version with the contour token.
http_port_of() {
  sed -n 's/.*serving \/metrics and \/healthz on [^ ]*:\([0-9]*\)$/\1/p' "$work/contour-$1.log" |
    tail -n 1
}
has_http_port() { [ -n "$(http_port_of "$1")" ]; }
for replica in a b; do
  wait_for "contour-$replica serves /healthz" has_http_port "$replica"
  http_port=$(http_port_of "$replica")
  for path in /healthz /metrics; do
    code=$(curl -s -m 10 -o "$work/http-$replica.out" -w '%{http_code}' \
      "http://127.0.0.1:$http_port$path")
    [ "$code" = 200 ] ||
      fail "contour-$replica $path: HTTP $code $(head -c 200 "$work/http-$replica.out")"
  done
done
ok
note "contour-$leader leads ($ns/$lock), xDS on 127.0.0.1:$xds_port"

# --- 8. routing objects, status, xDS ------------------------------------------------------------
step="8. Service, Endpoints, TLS Secret and IngressRoute: status valid, HTTPS vhost served"
app="deploy-test"
kc_ok "create namespace $app" create namespace "$app"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=app.example.com \
  -addext subjectAltName=DNS:app.example.com -keyout "$work/app.key" -out "$work/app.crt" \
  >>"$work/openssl.log" 2>&1 || fail "openssl failed"
kc_ok "create the TLS Secret" create secret tls app-tls -n "$app" --cert="$work/app.crt" \
  --key="$work/app.key"
cat >"$work/app.yaml" <<APP
apiVersion: v1
kind: Service
metadata:
  name: app
  namespace: $app
spec:
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Endpoints
metadata:
  name: app
  namespace: $app
subsets:
- addresses:
  - ip: 10.1.0.1
  ports:
  - port: 8080
---
apiVersion: contour.heptio.com/v1beta1
kind: IngressRoute
metadata:
  name: app
  namespace: $app
spec:
  virtualhost:
    fqdn: app.example.com
    tls:
      secretName: app-tls
  routes:
  - match: /
    services:
    - name: app
      port: 80
APP
kc_ok "apply the app" apply -f "$work/app.yaml"
# status_is STATUS: the IngressRoute's currentStatus.
status_is() {
  [ "$(kc get ingressroute app -n "$app" -o jsonpath='{.status.currentStatus}')" = "$1" ]
}
wait_for "IngressRoute $app/app status valid" status_is valid
description=$(kc get ingressroute app -n "$app" -o jsonpath='{.status.description}')
[ "$description" = "valid IngressRoute" ] || fail "status description '$description'"
# xds_has TYPE TEXT: a fresh `contour cli TYPE` from the leader, with Envoy's certificate (as the
# bootstrap gives it to Envoy), shows TEXT.
xds_has() {
  timeout 10 "$bin" cli --contour "127.0.0.1:$xds_port" --cafile "$work/envoy-certs/ca.crt" \
    --cert-file "$work/envoy-certs/tls.crt" --key-file "$work/envoy-certs/tls.key" "$1" \
    >"$work/cli-$1.out" 2>"$work/cli-$1.err" 3>&-
  grep -q -F -e "$2" "$work/cli-$1.out"
}
# An HTTPS filter chain for the host exists only if contour could read the Secret.
wait_for "LDS: an HTTPS filter chain for app.example.com" xds_has lds app.example.com
wait_for "EDS: $app/app's address 10.1.0.1" xds_has eds 10.1.0.1
# Mutual TLS is enforced: a client without Envoy's certificate gets nothing.
if timeout 10 "$bin" cli --contour "127.0.0.1:$xds_port" lds >"$work/cli-plain.out" \
  2>"$work/cli-plain.err" 3>&-; then
  fail "a plaintext xDS client was answered: $(head -c 300 "$work/cli-plain.out")"
fi
! grep -q -F -e app.example.com "$work/cli-plain.out" || fail "a plaintext client got listeners"
ok

# --- 9. hand-over -------------------------------------------------------------------------------
step="9. SIGTERM to the leader: it exits 0, contour-$follower leads and writes the next status"
terminate "contour-$leader" "$(eval "echo \$pid_$leader")"
wait_for "contour-$follower becomes leader" leads "$follower"
wait_for "lock $ns/$lock held by contour-$follower" holder_is "contour-$follower"
kc_ok "point the route at a port the Service lacks" patch ingressroute app -n "$app" \
  --type=json -p '[{"op": "replace", "path": "/spec/routes/0/services/0/port", "value": 81}]'
wait_for "IngressRoute $app/app status invalid" status_is invalid
ok

step="10. SIGTERM: the last replica exits 0"
terminate "contour-$follower" "$(eval "echo \$pid_$follower")"
ok

# --- 11. the other lock ----------------------------------------------------------------------
step="11. lock: leases in contour.yaml: a replica leads on the Lease the Role names"
sed -e 's/^\( *lock:\) configmaps$/\1 leases/' "$work/contour.yaml" >"$work/contour.yaml.leases"
cmp -s "$work/contour.yaml" "$work/contour.yaml.leases" && fail "no lock: configmaps to change"
mv "$work/contour.yaml.leases" "$work/contour.yaml"
start_replica c
c_pid=$pid
wait_for "contour-c becomes leader" leads c
grep -q -F -e "contour-c became leader (leases $ns/$lock)" "$work/contour-c.log" ||
  fail "contour-c did not lead on leases $ns/$lock"
lease_holder_is() {
  [ "$(kc get lease "$lock" -n "$ns" -o jsonpath='{.spec.holderIdentity}')" = "$1" ]
}
wait_for "Lease $ns/$lock held by contour-c" lease_holder_is contour-c
terminate contour-c "$c_pid"
ok

# --- 12. nothing was refused --------------------------------------------------------------------
step="12. the audit log: no 403 for contour or contour-certgen; their writes are there"
audit="$kube/audit.log"
# A request the contour token may not make, to show that the log records refusals. (A refused
# create has no object name in the log: the body is never read. Its namespace marks it.)
probe="deploy-test-probe"
kca "$work/contour.kubeconfig" create configmap probe -n "$probe" >/dev/null 2>&1 &&
  fail "the contour token may create a ConfigMap in $probe"
# Only what our binaries asked counts: kubectl's deliberate probes with the same tokens (the
# refused Pod list above, auth can-i) are refused on purpose.
refused() {
  grep -F -e "\"username\":\"$1\"" "$audit" | grep -F -e '"code":403' |
    grep -v -F -e "\"namespace\":\"$probe\"" | grep -v -F -e '"userAgent":"kubectl/'
}
probe_logged() {
  grep -F -e "\"username\":\"$contour_user\"" "$audit" | grep -F -e '"code":403' |
    grep -q -F -e "\"namespace\":\"$probe\""
}
wait_for "the probe's 403 in the audit log" probe_logged
for user in "$contour_user" "$certgen_user"; do
  if refused "$user" >"$work/refused"; then
    fail "the API server refused $user: $(head -c 2000 "$work/refused")"
  fi
done
# writes USER VERB RESOURCE NAME CODE: how many such writes the audit log holds.
writes() {
  grep -F -e "\"username\":\"$1\"" "$audit" | grep -F -e "\"verb\":\"$2\"" |
    grep -F -e "\"resource\":\"$3\"" | grep -F -e "\"name\":\"$4\"" |
    grep -c -F -e "\"code\":$5"
}
[ "$(writes "$contour_user" create configmaps "$lock" 201)" -eq 1 ] ||
  fail "no (or more than one) creation of the lock by $contour_user in the audit log"
renewals=$(writes "$contour_user" update configmaps "$lock" 200)
[ "$renewals" -ge 2 ] || fail "$renewals lock updates by $contour_user (hand-over needs 2)"
patches=$(writes "$contour_user" patch ingressroutes app 200)
[ "$patches" -ge 2 ] || fail "$patches status patches by $contour_user (valid, invalid)"
[ "$(writes "$contour_user" create leases "$lock" 201)" -eq 1 ] ||
  fail "no (or more than one) creation of the Lease by $contour_user in the audit log"
note "$contour_user: locks created, $renewals ConfigMap lock updates," \
  "$patches status patches, no 403"
if [ -n "$have_certgen" ]; then
  for secret in cacert contourcert envoycert; do
    [ "$(writes "$certgen_user" create secrets "$secret" 201)" -eq 1 ] ||
      fail "no creation of $secret by $certgen_user in the audit log"
    [ "$(writes "$certgen_user" update secrets "$secret" 200)" -eq 1 ] ||
      fail "no replacement (--overwrite) of $secret by $certgen_user in the audit log"
  done
  note "$certgen_user: 3 Secrets created and replaced, no 403"
fi
# Reads by service accounts are in the audit log too: contour's lists of every kind are there.
for resource in services endpoints secrets ingresses ingressroutes tlscertificatedelegations; do
  grep -F -e "\"username\":\"$contour_user\"" "$audit" | grep -F -e '"verb":"list"' |
    grep -v -F -e '"userAgent":"kubectl/' | grep -F -e "\"resource\":\"$resource\"" |
    grep -q -F -e '"code":200' || fail "no list of $resource by contour in the audit log"
done
# And contour's own logs agree.
for log in "$work"/contour-a.log "$work"/contour-b.log "$work"/contour-c.log; do
  if grep -i -E -e 'HTTP 403|forbidden' "$log" >"$work/forbidden"; then
    fail "$(basename "$log"): $(head -n 5 "$work/forbidden")"
  fi
done
ok

echo "all checks passed"
