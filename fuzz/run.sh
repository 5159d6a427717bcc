#!/bin/sh
# Replays every regression input, then fuzzes for N seconds from the seed corpus.
# Usage: run.sh FUZZER SECONDS FUZZ_DIR
set -eu
fuzzer="$1"; seconds="$2"; dir="$3"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ -n "$(ls "$dir/regressions" 2>/dev/null)" ]; then
  echo "replaying $(ls "$dir/regressions" | wc -l) regression inputs"
  "$fuzzer" -runs=0 "$dir"/regressions/*
fi
cp "$dir"/corpus/* "$work"/
# Crash artifacts land in the work dir's parent of choice; keep them visible on failure.
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="${CONTOUR_FUZZ_ARTIFACTS:-$dir/}" "$work"
