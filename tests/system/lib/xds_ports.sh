# Sourced by the leader-election system tests: which `contour serve` processes have their xDS
# port open. The ports are the ground truth, as `ss` lists each process's listening sockets:
# every instance listens for /metrics and /debug/dag from start to exit, so a third listening
# socket is the xDS port. The caller defines `pids` (the contour processes) and `fail`.

# now_ms: milliseconds since the epoch.
now_ms() { date +%s%3N; }

# serving PID: the process listens on a TCP port besides its two HTTP ones.
serving() { [ "$(ss -ltnpH 2>/dev/null | grep -c "pid=$1,")" -ge 3 ]; }

# count_serving: how many of $pids serve; fails when two do. max_serving keeps the most seen.
max_serving=0
count_serving() {
  n=0
  for pid in $pids; do
    serving "$pid" && n=$((n + 1))
  done
  [ "$n" -gt "$max_serving" ] && max_serving=$n
  [ "$n" -le 1 ] || fail "$n processes serve xDS at once"
  echo "$n"
}

# wait_serving N LIMIT_MS: polls until exactly N serve; fails after LIMIT_MS.
wait_serving() {
  end=$(($(now_ms) + $2))
  until [ "$(count_serving)" -eq "$1" ]; do
    [ "$(now_ms)" -lt "$end" ] || fail "not $1 serving within $2 ms"
    sleep 0.05
  done
}

# leader_pid: the pid that serves (empty if none).
leader_pid() {
  for pid in $pids; do
    serving "$pid" && { echo "$pid"; return; }
  done
}
