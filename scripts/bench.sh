#!/bin/sh
# Prints the pipeline benchmark figures (see docs/benchmarks.md). Usage: bench.sh BUILD_DIR
# Each size runs in its own process, pinned to one core, so that peak RSS is that size's own.
set -eu
build="${1:-build}"
for n in 100 1000 10000; do
  taskset -c 0 "$build/bench_pipeline" decode "$n" 3
done
for n in 100 1000 10000; do
  rounds=5
  [ "$n" -ge 10000 ] && rounds=3
  taskset -c 0 "$build/bench_pipeline" build "$n" "$rounds"
done
for n in 100 1000 10000; do
  rounds=5
  [ "$n" -ge 10000 ] && rounds=3
  taskset -c 0 "$build/bench_pipeline" build-ingressroute "$n" "$rounds"
done
