#!/bin/sh
# Prints the pipeline and xDS benchmark figures (see docs/benchmarks.md). Usage: bench.sh BUILD_DIR
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
# xDS fan-out: 1,000 SotW EDS streams over 10,000 clusters, then 100 ADS streams of the full
# state. Clients run in a child process; not pinned, the server and the clients need both cores.
"$build/bench_xds" 1000 10000 100 20 100
# Initial sync from a (fake, forked) API server: 10,000 Services, Ingresses and Endpoints, and
# 5,000 unreferenced Secrets of 100 KB.
"$build/bench_kube_sync" 10000 5000 100
