# contour-cpp in a container: `docker build -t contour-cpp:latest .` (docs/deploy.md).
#
# Two stages on Debian 12 (bookworm), whose packages the build uses as they are (scripts/setup.sh
# installs the same list on a workstation): the first compiles `contour` in Release, the second
# holds only the binary and the shared libraries it links.

# ---- build ------------------------------------------------------------------------------------
FROM debian:12 AS build
ARG DEBIAN_FRONTEND=noninteractive
# scripts/setup.sh's packages, less what only tests on this machine use (ccache, curl,
# iproute2, openssl, the sanitizer runtime). CMakeLists.txt asks for GTest and benchmark at
# configure time even when only `contour` is built, so their -dev packages stay. Node.js and npm
# fetch the Envoy .proto files (tools/xds-peer).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential clang-14 cmake ninja-build pkg-config python3 \
      protobuf-compiler libprotobuf-dev protobuf-compiler-grpc libgrpc++-dev libabsl-dev \
      libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libssl-dev \
      libcurl4-openssl-dev libcpp-httplib-dev \
      libgtest-dev libgmock-dev libbenchmark-dev \
      nodejs npm ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# The pinned npm package first: its layer is reused until package-lock.json changes.
COPY tools/xds-peer/package.json tools/xds-peer/package-lock.json tools/xds-peer/
RUN cd tools/xds-peer && npm ci --no-audit --no-fund --loglevel=error

COPY . .
# JOBS: parallel compiles (default: every core). The generated Envoy API is the bulk of the
# build and wants about 1 GB of memory per job: `--build-arg JOBS=2` on a small machine.
ARG JOBS=
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++-14 \
 && ninja -C /build ${JOBS:+-j"$JOBS"} contour \
 && strip /build/contour \
 && /build/contour --help >/dev/null

# ---- runtime ----------------------------------------------------------------------------------
FROM debian:12-slim
ARG DEBIAN_FRONTEND=noninteractive
# The run-time halves of the -dev packages above (their own dependencies, such as libgrpc29,
# libre2-9 and libc-ares2, come with them).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libgrpc++1.51 libprotobuf32 libabsl20220623 libyaml-cpp0.7 libcurl4 libssl3 \
      libspdlog1.10 libfmt9 libcpp-httplib0.11 \
 && rm -rf /var/lib/apt/lists/*
# A fixed numeric user, so that Kubernetes' runAsNonRoot can check it (deploy/ runs as 10001).
RUN groupadd --system --gid 10001 contour \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin contour
COPY --from=build /build/contour /bin/contour
# Fails the build here, rather than at the first pod start, if a library is missing.
RUN if ldd /bin/contour | grep 'not found'; then exit 1; fi \
 && /bin/contour --help >/dev/null
USER 10001:10001
# 8001: xDS (gRPC). 8000: /metrics and /healthz.
EXPOSE 8001 8000
ENTRYPOINT ["/bin/contour"]
