# The two commands a newcomer needs: `make run` and `make test`.
# Both install missing Debian packages first (scripts/install-deps.sh).

BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
ARGS ?=
CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(shell command -v ccache >/dev/null 2>&1 && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

.PHONY: all deps configure build run test unit e2e bench clean format image docker-check compose-smoke \
        test-sanitize test-tsan fuzz fuzz-ci

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Starts the server on 127.0.0.1:9000 with data in ./data. Extra flags: make run ARGS="--logging-flush-interval 10s"
run: build
	@$(BUILD_DIR)/logbucket --data-dir ./data $(ARGS)

# Every test: unit tests (GoogleTest) and end-to-end tests (real aws CLI, boto3, curl) through ctest.
test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) $(if $(CI),--timeout 900,)

# Figures, never pass/fail: Release build, bare-Beast ceiling, GET/PUT with logging off and on,
# listing a 1,000,000-key bucket, a 1 GiB object, start-up, memory, micro-benchmarks.
# Prints a table and writes $(BUILD_DIR)/bench-results.json.
bench: configure
	@scripts/bench.sh $(BUILD_DIR)

# The whole suite (unit and e2e, the e2e servers being the sanitized binary) built with GCC's
# AddressSanitizer and UndefinedBehaviorSanitizer in $(SANITIZE_DIR). Any report fails the run.
SANITIZE_DIR ?= build-sanitize
SANITIZE_ENV := ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1 \
                UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# -O1 with line tables only (-g1): what the sanitizers' documentation recommends, and about half
# the compile time of RelWithDebInfo, which matters for CI's time limit; reports still name
# files and lines. -Wno-maybe-uninitialized: GCC 12 misfires on libstdc++'s <regex> there.
SANITIZE_FLAGS := -O1 -g1 -Wno-maybe-uninitialized
test-sanitize: deps
	@cmake -S . -B $(SANITIZE_DIR) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Sanitize \
	  "-DCMAKE_CXX_FLAGS_SANITIZE=$(SANITIZE_FLAGS)" "-DCMAKE_C_FLAGS_SANITIZE=$(SANITIZE_FLAGS)" \
	  -DLOGBUCKET_SANITIZE=ON >/dev/null
	@cmake --build $(SANITIZE_DIR) -j $(JOBS)
	@cd $(SANITIZE_DIR) && $(SANITIZE_ENV) ctest --output-on-failure -j $(JOBS) \
	  -LE container $(if $(CI),--timeout 1200,)

# ThreadSanitizer over the unit tests of the concurrent modules (storage writer and readers,
# spool and scheduler, sessions and listener, s3 service). Not part of CI: run it before
# changing anything that shares state between threads.
TSAN_DIR ?= build-tsan
test-tsan: deps
	@cmake -S . -B $(TSAN_DIR) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  "-DCMAKE_CXX_FLAGS=-fsanitize=thread -fno-omit-frame-pointer" \
	  -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread >/dev/null
	@cmake --build $(TSAN_DIR) -j $(JOBS) --target config_test storage_test logging_test http_test s3_test
	@cd $(TSAN_DIR) && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  ctest --output-on-failure -j $(JOBS) -L unit

# libFuzzer targets (tests/fuzz/, clang 16), each run FUZZ_SECONDS (and at most FUZZ_RUNS
# executions, when set) against its seed corpus. New inputs and crash reproducers go to
# build-fuzz/fuzz-work/<target>/. Any crash, leak, timeout or out-of-memory fails the run.
# The long campaign: make fuzz FUZZ_SECONDS=3600 FUZZ_RUNS=10000000.
FUZZ_SECONDS ?= 60
fuzz:
	@FUZZ_RUNS=$(FUZZ_RUNS) scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# What CI runs (.ci/run): every target for 30 s, so a regression shows up.
fuzz-ci:
	@FUZZ_RUNS= scripts/fuzz.sh 30

unit: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L unit

e2e: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -L e2e

# The container recipe check that `make test` also runs (seconds, no image build): files copied,
# runtime libraries, image settings, health check, compose wiring, smoke script on a local server.
docker-check: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -L container

# The image (docker/Dockerfile: builds and unit-tests on Debian bookworm, slim runtime). Not part
# of `make test`. Docker when its engine answers, else podman; IMAGE and CONTAINER_BUILD_FLAGS
# are overridable (this podman needs CONTAINER_BUILD_FLAGS="--runtime runc").
CONTAINER ?= $(shell docker info >/dev/null 2>&1 && echo docker || echo podman)
IMAGE ?= logbucket:latest
CONTAINER_BUILD_FLAGS ?=
image:
	$(CONTAINER) build $(CONTAINER_BUILD_FLAGS) -f docker/Dockerfile -t $(IMAGE) .

# The server plus the one-shot AWS CLI smoke client of docker/compose.yaml; fails if it fails.
COMPOSE ?= $(if $(filter docker,$(CONTAINER)),docker compose,podman-compose)
compose-smoke:
	$(COMPOSE) -f docker/compose.yaml up --build --abort-on-container-exit --exit-code-from smoke

format:
	@git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	@rm -rf $(BUILD_DIR)
