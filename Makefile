# The two commands: `make demo` and `make test`. Each does its own set-up.
BUILD_DIR ?= build
CXX_COMPILER ?= clang++-14
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60

.PHONY: setup configure build demo test bench format clean

setup:
	@./scripts/setup.sh

$(BUILD_DIR)/build.ninja: | setup
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_CXX_COMPILER=$(CXX_COMPILER) \
	  -DCONTOUR_FUZZ_SECONDS=$(FUZZ_SECONDS)

configure: setup $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	@echo "contour serve: xDS on 127.0.0.1:8001 from examples/ (edits are picked up live)."
	@echo "Look at it from another terminal: $(BUILD_DIR)/contour cli cds   (or lds, rds, eds, sds; --watch)"
	./$(BUILD_DIR)/contour serve --manifests examples/ --insecure

# The real kube-apiserver of the system tests is built (once per machine, cached outside the
# repository) while our code compiles; a machine that cannot build it skips those tests loudly.
test: configure
	@./scripts/kube-apiserver.sh build > $(BUILD_DIR)/kube-apiserver-build.log 2>&1 & \
	  kube=$$!; \
	  cmake --build $(BUILD_DIR) -j $(JOBS); built=$$?; \
	  wait $$kube || echo "kube-apiserver could not be built (see $(BUILD_DIR)/kube-apiserver-build.log): its system tests will be skipped"; \
	  exit $$built
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 1500 || \
	  { $(CURDIR)/scripts/test-failures.sh $(abspath $(BUILD_DIR)); exit 1; }

bench: build
	cmake --build $(BUILD_DIR) -j $(JOBS) --target benchmarks
	./scripts/bench.sh $(BUILD_DIR)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD_DIR)
