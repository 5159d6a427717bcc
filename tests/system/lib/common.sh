# Sourced by every system test (tests/system/*.sh), right after `set -u`:
#   . "$(dirname "$0")/lib/common.sh"
# It checks the arguments (CONTOUR_BINARY REPO_ROOT) and sets bin and repo (absolute: a test may
# work inside its scratch directory), makes the scratch directory $work, opens fd 3 for the
# test's own report and sets the traps, so that whatever happens every process the test started
# is stopped and the scratch directory goes. Then it defines the helpers: processes (track,
# unwatch, forget, all_alive, not_alive, terminate, wait_for, start_time_limit), steps (ok, note,
# tail_logs, fail), contour's xDS port and `contour cli` watchers (xds_port_in, has_xds_port,
# watch_xds, no_rejections, count, doc) and a real kube-apiserver with kubectl (kube_build,
# kube_start, kca, kc, kc_ok).
#
# A test may define, after sourcing this:
#   show_logs     what fail prints after the FAIL line and the last comparison (default: the
#                 last 25 lines of every $work/*.log);
#   cleanup_hook  extra clean-up on exit, run first: before the processes are stopped, then
#                 kube-apiserver, then the scratch directory removed (default: nothing);
# and set:
#   deadline      seconds one wait_for may take (wait_seconds, when set, overrides it);
#   poll_seconds  how long wait_for sleeps between two checks (default 0.2);
#   stop_signal   what the exit trap sends every process (default TERM);
#   keep_scratch  when not empty, the scratch directory is kept and named instead of removed.
#
# Exit status of a test: 0 passed, 1 failed, 2 wrong usage, 77 skipped.

if [ $# -ne 2 ]; then
  echo "usage: $0 CONTOUR_BINARY REPO_ROOT" >&2
  exit 2
fi
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
repo=$(cd "$2" && pwd)
test_name=$(basename "$0" .sh)
if [ ! -x "$bin" ]; then
  echo "$test_name: FAIL: $bin is not an executable" >&2
  exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/contour-$test_name.XXXXXX") || exit 1

# --- processes --------------------------------------------------------------------------------

# Every process started in the background, as "pid" words; reaped ones are taken out (forget).
pids=""
# The processes that must stay up while the test waits, as "name=pid" words (all_alive).
watched=""
stop_signal=TERM
keep_scratch=""
poll_seconds=0.2
# Seconds of the time limit start_time_limit set, for the SIGTERM message.
time_limit=""
# What the test is checking now (named by ok and fail), and since when the test runs.
step=""
started=$(date +%s)

cleanup_hook() { :; }

# Runs cleanup_hook, stops every process this script started (and kube-apiserver), then removes
# the scratch directory.
cleanup() {
  cleanup_hook
  for pid in $pids; do
    kill -s "$stop_signal" "$pid" 2>/dev/null
  done
  for pid in $pids; do
    wait "$pid" 2>/dev/null
  done
  if [ -n "${kube_started:-}" ]; then
    sh "$kas" stop "$kube" >/dev/null 2>&1
  fi
  if [ -n "$keep_scratch" ]; then
    echo "     kept $work" >&3
  else
    rm -rf "$work"
  fi
}
# fd 3: this script's own output (see fail); the processes it starts do not get it (3>&-).
exec 3>&1
trap cleanup EXIT
trap 'echo "FAIL $step: interrupted" >&3; exit 1' INT HUP
# PIPE: a write to a process that died must end in cleanup, not kill the shell.
trap 'exit 1' PIPE
trap 'fail "stopped by SIGTERM (${time_limit:+the $time_limit s time limit, or }from outside)"' \
  TERM

# track PID [NAME]: the exit trap stops PID; with NAME, PID must stay up while the test waits.
track() {
  pids="$pids $1"
  if [ $# -ge 2 ]; then
    watched="$watched $2=$1"
  fi
}

# without PID WORD...: the WORDs ("pid" or "name=pid") that name another process than PID.
without() {
  target=$1
  shift
  for word in "$@"; do
    [ "${word#*=}" = "$target" ] || printf ' %s' "$word"
  done
}

# unwatch PID: the process may exit from now on.
unwatch() {
  # shellcheck disable=SC2086  # a list of words
  watched=$(without "$1" $watched)
}

# forget PID: takes a reaped process out of the lists (the exit trap's, all_alive's).
forget() {
  # shellcheck disable=SC2086  # a list of words
  pids=$(without "$1" $pids)
  unwatch "$1"
}

# all_alive: fails at once when a process the test needs has exited.
all_alive() {
  for entry in $watched; do
    kill -0 "${entry#*=}" 2>/dev/null || fail "${entry%=*} (pid ${entry#*=}) exited"
  done
}

# not_alive PID: the process has exited (the shell reaps it while the poll runs sleep).
not_alive() {
  ! kill -0 "$1" 2>/dev/null
}

# terminate NAME PID: sends PID (NAME) SIGTERM; it must exit with status 0 within the deadline.
terminate() {
  stopping=$1
  unwatch "$2"
  kill -TERM "$2"
  wait_for "$stopping's exit" not_alive "$2"
  wait "$2"
  status=$?
  forget "$2"
  [ "$status" -eq 0 ] || fail "$stopping exited with status $status"
}

# wait_for WHAT CHECK [ARGS...]: polls CHECK ARGS until it succeeds, for up to $deadline seconds
# (or $wait_seconds when set); fails at once when a watched process exits.
wait_for() {
  what=$1
  shift
  rm -f "$work/expected" "$work/actual"
  seconds=${wait_seconds:-$deadline}
  end=$(($(date +%s) + seconds))
  until "$@"; do
    all_alive
    [ "$(date +%s)" -lt "$end" ] || fail "$what: not seen within $seconds s"
    sleep "$poll_seconds"
  done
}

# start_time_limit SECONDS: after SECONDS a watchdog sends this shell SIGTERM, which fails the
# test; killed itself, it stops its sleep. The clock that ok reports starts again.
start_time_limit() {
  time_limit=$1
  (
    trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
    sleep "$time_limit" &
    sleeper=$!
    wait "$sleeper" && kill -TERM $$
  ) >/dev/null 2>&1 3>&- &
  track $!
  started=$(date +%s)
}

# --- steps ------------------------------------------------------------------------------------

ok() {
  echo "ok   $step ($(($(date +%s) - started)) s in)"
}

note() {
  echo "     $*"
}

# tail_logs LINES FILE...: the last LINES lines of each FILE that exists, under its name.
tail_logs() {
  lines=$1
  shift
  for log in "$@"; do
    [ -f "$log" ] || continue
    echo "---- $(basename "$log") (last $lines lines)"
    tail -n "$lines" "$log"
  done
}

show_logs() {
  tail_logs 25 "$work"/*.log
}

# fail MESSAGE...: reports the failure of the current step (with the last comparison of
# $work/expected and $work/actual, when a check left one, and show_logs) and exits 1.
# A signal's trap may run inside a function whose output is redirected: report on fd 3.
fail() {
  {
    echo "FAIL $step: $*"
    if [ -f "$work/expected" ] && [ -f "$work/actual" ]; then
      echo "---- the last comparison (- expected, + seen):"
      diff -u "$work/expected" "$work/actual" | head -n 80
    fi
    show_logs
  } >&3 2>&1
  exit 1
}

# --- contour's xDS port and `contour cli --watch` -----------------------------------------------

# xds_port_in LOG: the port contour's LOG says it serves xDS on (empty until it says so).
xds_port_in() {
  sed -n 's/.*serving xDS on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1" 2>/dev/null | tail -n 1
}

# has_xds_port LOG: contour's LOG names its xDS port.
has_xds_port() {
  [ -n "$(xds_port_in "$1")" ]
}

# The `contour cli` watchers, as "name=pid" words.
watchers=""

# watch_xds NAME ARGS...: starts `contour cli ARGS --watch` against 127.0.0.1:$xds_port, with
# output in NAME.out / NAME.err; it must stay up.
watch_xds() {
  name=$1
  shift
  # Created here, not by the child's redirection, which may come after the first poll.
  : >"$work/$name.out"
  "$bin" cli "$@" --watch --contour "127.0.0.1:$xds_port" \
    >>"$work/$name.out" 2>"$work/$name.err" 3>&- &
  pid=$!
  track "$pid" "$name"
  watchers="$watchers $name=$pid"
}

# no_rejections: no watcher (NAME.err) rejected a response and contour.log has no NACK.
no_rejections() {
  for err in "$work"/*.err; do
    if grep -F -e rejecting "$err" >/dev/null; then fail "$(basename "$err"): $(cat "$err")"; fi
  done
  if grep -F -e NACK "$work/contour.log" >/dev/null; then
    fail "contour logged: $(grep -F -e NACK "$work/contour.log")"
  fi
}

# count FILE: how many documents FILE holds (one per xDS response, each starting with ---).
count() {
  documents=$(grep -c -e '^---$' "$1" 2>/dev/null)
  echo "${documents:-0}"
}

# doc FILE N: document N (from 1) of FILE.
doc() {
  awk -v n="$2" '/^---$/ { i++ } i == n' "$1"
}

# --- a real kube-apiserver (scripts/kube-apiserver.sh) ------------------------------------------

kas="$repo/scripts/kube-apiserver.sh"
# Its data, logs and kubeconfig.
kube="$work/kube"
# Whether etcd and kube-apiserver may run (scripts/kube-apiserver.sh stop is then due).
kube_started=""

# kube_build: builds kube-apiserver once per machine, or finds it in the cache, and sets
# kube_bin; where it cannot be built, says why and exits 77 (skipped). Not part of the time
# limit: call it before start_time_limit.
kube_build() {
  note "building kube-apiserver, or finding it in the cache (a first build takes minutes)"
  sh "$kas" build >"$work/build.out" 2>"$work/build.err" 3>&-
  status=$?
  if [ "$status" -ne 0 ]; then
    reason=$(grep -e 'ERROR:' "$work/build.err" | tail -n 1)
    cat >&3 <<EOF

########################################################################################
##
##  SKIPPED: $test_name: kube-apiserver cannot be built on this machine.
##
##  ${reason:-scripts/kube-apiserver.sh build exited with status $status}
##
##  This test runs contour against a real Kubernetes API server built from Debian's
##  kubernetes source package; it needs network access to deb.debian.org (or a cache in
##  \${CONTOUR_KUBE_CACHE:-/var/cache/contour-cpp}) and root to install packages.
##  NOTHING WAS TESTED. The build's last lines:
##
EOF
    tail -n 15 "$work/build.err" | sed 's/^/##    /' >&3
    printf '##\n%s\n\n' "$(printf '%88s' '' | tr ' ' '#')" >&3
    exit 77
  fi
  kube_bin=$(tail -n 1 "$work/build.out")
  [ -x "$kube_bin" ] || fail "scripts/kube-apiserver.sh build printed '$kube_bin', not a binary"
  command -v kubectl >/dev/null 2>&1 || fail "no kubectl after scripts/kube-apiserver.sh build"
}

# kube_start [NAME=VALUE...]: scripts/kube-apiserver.sh start, with NAME=VALUE in its
# environment: etcd and kube-apiserver on 127.0.0.1, ready, $kube/kubeconfig for kubectl. The
# exit trap stops them.
kube_start() {
  # A loaded machine makes kube-apiserver slow to become ready (20 s is common with two busy
  # cores); restart-apiserver waits as long.
  CONTOUR_KUBE_READY_TIMEOUT=${CONTOUR_KUBE_READY_TIMEOUT:-120}
  export CONTOUR_KUBE_READY_TIMEOUT
  kube_started=yes
  env "$@" sh "$kas" start "$kube" >"$work/start.log" 2>&1 3>&- ||
    fail "scripts/kube-apiserver.sh start failed"
}

# kca KUBECONFIG ARGS...: kubectl as the user of KUBECONFIG. kc ARGS...: as the cluster admin.
# Their discovery cache stays in the scratch directory, so a CRD created here is never hidden by
# a stale cache elsewhere. Their warnings (the version skew with a newer kubectl, deprecated API
# versions) go to kubectl.log.
kca() {
  config=$1
  shift
  kubectl --kubeconfig "$config" --cache-dir "$work/kubectl-cache" "$@" </dev/null \
    2>>"$work/kubectl.log" 3>&-
}

kc() {
  kca "$kube/kubeconfig" "$@"
}

# kc_ok WHAT ARGS...: kc ARGS must succeed (its output goes to kubectl.log).
kc_ok() {
  what=$1
  shift
  echo "+ kubectl $*" >>"$work/kubectl.log"
  kc "$@" >>"$work/kubectl.log" || fail "$what: kubectl $* failed"
}
