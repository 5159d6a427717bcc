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
# Seeds: the corpus kept here, the examples and every golden input.
repo="$(cd "$dir/.." && pwd)"
cp "$dir"/corpus/* "$work"/ 2>/dev/null || true
for f in "$repo"/examples/*.yaml "$repo"/tests/testdata/golden/*/input.yaml; do
  cp "$f" "$work/seed-$(echo "$f" | cksum | cut -d' ' -f1).yaml"
done
# Crash artifacts land in the work dir's parent of choice; keep them visible on failure.
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="${CONTOUR_FUZZ_ARTIFACTS:-$dir/}" "$work"
