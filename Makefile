# The two commands a newcomer needs: `make run` and `make test`.
# Both install missing Debian packages first (scripts/install-deps.sh).

BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
ARGS ?=
CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(shell command -v ccache >/dev/null 2>&1 && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

.PHONY: all deps configure build run test unit e2e bench clean format image docker-check compose-smoke

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
