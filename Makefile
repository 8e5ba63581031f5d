# Tracery — the two commands:
#   make run    builds the server (release) and runs it on the embedded store (./tracery-data)
#   make test   builds everything with ASan+UBSan and runs every test (unit, integration, e2e)
# Both install what they need (Debian packages, npm packages) first.

SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD ?= build
TEST_BUILD ?= build-asan
ARGS ?=

APT_PACKAGES := build-essential cmake ninja-build pkg-config clang \
  libsqlite3-dev sqlite3 libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc \
  nlohmann-json3-dev libyaml-cpp-dev libcpp-httplib-dev zlib1g-dev libzstd-dev libxxhash-dev \
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libfmt-dev libspdlog-dev \
  libsimdjson-dev libre2-dev libssl-dev nodejs npm
# Only the tests need a browser (the UI end-to-end tests drive Debian's Chromium).
TEST_APT_PACKAGES := chromium

.PHONY: run test deps test-deps npm-deps build build-test bench fuzz format check-deps clean help

help:
	@echo "make run    - build (release) and run 'tracery serve' (ARGS='--http 127.0.0.1:4318 ...')"
	@echo "make test   - build with ASan+UBSan and run every test"
	@echo "make bench  - build (release) and run the benchmark"
	@echo "make deps   - install Debian packages"

deps:
	@bash tools/install_deps.sh $(APT_PACKAGES)

# Every npm project with a lock file: the e2e senders, the web UI, the LangGraph example.
NPM_DIRS := tests/e2e web examples/langgraph
npm-deps:
	@for d in $(NPM_DIRS); do \
	  if [ -f $$d/package-lock.json ] && { [ ! -f $$d/node_modules/.package-lock.json ] || \
	       [ $$d/package-lock.json -nt $$d/node_modules/.package-lock.json ]; }; then \
	    echo "npm ci in $$d"; (cd $$d && npm ci --no-audit --no-fund) || exit 1; fi; done

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRACERY_BUILD_TESTS=OFF

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target tracery

run: build
	./$(BUILD)/tracery serve $(ARGS)

$(TEST_BUILD)/build.ninja:
	cmake -S . -B $(TEST_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
	  -DTRACERY_SANITIZE=address,undefined -DCMAKE_COMPILE_WARNING_AS_ERROR=ON

test-deps:
	@bash tools/install_deps.sh $(APT_PACKAGES) $(TEST_APT_PACKAGES)

build-test: test-deps npm-deps $(TEST_BUILD)/build.ninja
	cmake --build $(TEST_BUILD) -j $(JOBS)

test: build-test
	python3 tools/check_deps.py
	cd $(TEST_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 1500

bench: deps
	cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRACERY_BUILD_TESTS=OFF
	cmake --build build-bench -j $(JOBS)
	./build-bench/bench/tracery_bench --tracery ./build-bench/tracery $(ARGS)

fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DTRACERY_BUILD_FUZZ=ON -DTRACERY_BUILD_TESTS=OFF -DTRACERY_BUILD_BENCH=OFF
	cmake --build build-fuzz -j $(JOBS)

check-deps:
	python3 tools/check_deps.py

clean:
	rm -rf $(BUILD) $(TEST_BUILD) build-bench build-fuzz
