#!/bin/sh
# Installs what the build and the tests need, and nothing that is already there.
# Idempotent; safe to run before every build. Needs root for apt-get.
set -eu

PACKAGES="
  build-essential clang-14 libclang-rt-14-dev cmake ninja-build ccache pkg-config python3
  protobuf-compiler libprotobuf-dev protobuf-compiler-grpc libgrpc++-dev libabsl-dev
  libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libssl-dev libcurl4-openssl-dev
  libcpp-httplib-dev
  curl iproute2 openssl
  libgtest-dev libgmock-dev libbenchmark-dev
"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# A machine may carry its own Node.js with npm inside; only without npm take Debian's.
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
if [ -n "$missing" ]; then
  echo "setup: installing:$missing"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# The Envoy .proto files and the xDS test peer come from one pinned npm package.
here="$(cd "$(dirname "$0")/.." && pwd)"
peer="$here/tools/xds-peer"
stamp="$peer/node_modules/.contour-installed"
if [ ! -f "$stamp" ] || [ "$peer/package-lock.json" -nt "$stamp" ]; then
  echo "setup: npm ci in tools/xds-peer"
  (cd "$peer" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$stamp"
fi
