# The two commands: `make run` and `make test`. Both install what is missing first.
PACKAGES := cmake ninja-build g++ pkg-config ccache \
  libboost1.81-dev libboost-url1.81-dev libboost-json1.81-dev \
  libcaf-dev libsimdjson-dev librocksdb-dev catch2 libssl-dev libsodium-dev \
  libhowardhinnant-date-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev \
  libjemalloc-dev tzdata
# Only the tests need these: Quartz itself, to check cron against it, etcd members for the
# cluster tests, and jsonschema to hold live answers to the OpenAPI document. (The OpenAPI
# linter comes from npm, into the build folder: tools/openapi/lint.)
TEST_PACKAGES := default-jre-headless libquartz2-java etcd-server etcd-client python3-jsonschema openssl \
  chromium chromium-driver python3-selenium
BUILD   := build
JOBS    ?= $(shell nproc)
LISTEN  ?= 127.0.0.1:8080

.PHONY: all deps build run test bench clean format

all: build

deps:
	@missing=$$(for p in $(PACKAGES) $(EXTRA_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	  | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  SUDO=$$( [ $$(id -u) -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# `make run ALLOW_HOSTS=127.0.0.1:9000,pricing.internal` lets http steps call those hosts
# (the setting outgoing.allow_hosts; nothing is allowed by default).
ALLOW_HOSTS ?=
run: build
	$(if $(ALLOW_HOSTS),BATON_OUTGOING__ALLOW_HOSTS=$(ALLOW_HOSTS)) \
	  $(BUILD)/baton serve --listen $(LISTEN) --data ./data --definitions examples/definitions

# `make test SANITIZE=1`: the same suite built with ASan and UBSan (BATON_SANITIZE) in a folder
# of its own. Every process writes its reports to $(SANITIZE_REPORTS) instead of only its own
# stderr, because a report of a server a test started (and stopped) would otherwise pass
# unseen; any report there fails the run. Labels SANITIZE_SKIP are left out (see below).
SANITIZE ?=
SANITIZE_REPORTS = $(CURDIR)/$(BUILD)/sanitizer-reports
TEST_TIMEOUT := 240
CTEST_ARGS :=
ifeq ($(SANITIZE),1)
BUILD := build-asan
CMAKE_EXTRA := -DBATON_SANITIZE=ON
TEST_TIMEOUT := 600
# Nothing is left out by default; `SANITIZE_SKIP=<label regex>` leaves labels out of a run.
# The cluster label was, until a defect it showed only under ASan's timing was mended (an etcd
# watch cancelled when a member died was taken for a compacted one, and the node acknowledged
# nothing more); it passes under ASan now, about 2.5 minutes of the run.
SANITIZE_SKIP ?=
CTEST_ARGS := $(if $(SANITIZE_SKIP),-LE '$(SANITIZE_SKIP)')
export ASAN_OPTIONS = halt_on_error=1:detect_leaks=1:log_path=$(SANITIZE_REPORTS)/asan
export LSAN_OPTIONS = suppressions=$(CURDIR)/tests/sanitize/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS = halt_on_error=1:print_stacktrace=1:log_path=$(SANITIZE_REPORTS)/ubsan
endif

# Tests build with warnings as errors (BATON_WERROR), as CI does.
test: EXTRA_PACKAGES = $(TEST_PACKAGES)
test: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBATON_WERROR=ON $(CMAKE_EXTRA)
	cmake --build $(BUILD) -j $(JOBS)
ifeq ($(SANITIZE),1)
	rm -rf $(SANITIZE_REPORTS) && mkdir -p $(SANITIZE_REPORTS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout $(TEST_TIMEOUT) $(CTEST_ARGS); \
	  status=$$?; $(CURDIR)/tests/sanitize/reports $(SANITIZE_REPORTS) || status=1; exit $$status
else
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout $(TEST_TIMEOUT) $(CTEST_ARGS)
endif

bench: build
	bench/run-standard.sh

format:
	clang-format -i $$(git ls-files '*.hpp' '*.cpp')

clean:
	rm -rf $(BUILD)

# Fuzzing (tests/fuzz, issue 21): libFuzzer targets built by clang in a folder of their own.
# Their packages are installed by the fuzz targets only, so that `make run` stays lean.
# `make fuzz` runs each target FUZZ_SECONDS; `make test` replays each target's corpus once
# (FUZZ_SMOKE_SECONDS 0: deterministic; a crash or a broken property fails it).
FUZZ_PACKAGES := clang-15 libfuzzer-15-dev
FUZZ_BUILD := build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 0

.PHONY: fuzz fuzz-build fuzz-smoke

fuzz-build: deps
	@$(MAKE) --no-print-directory deps PACKAGES="$(FUZZ_PACKAGES)"
	cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBATON_FUZZ=ON \
	  -DCMAKE_CXX_COMPILER=clang++-15
	cmake --build $(FUZZ_BUILD) --target fuzzers -j $(JOBS)

fuzz: fuzz-build
	tests/fuzz/run $(FUZZ_BUILD) $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	tests/fuzz/run $(FUZZ_BUILD) $(FUZZ_SMOKE_SECONDS)

# The fuzz build is instrumented already: a SANITIZE run does not replay it again.
ifneq ($(SANITIZE),1)
test: fuzz-smoke
endif
