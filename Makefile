# kupgrade - top-level entry points.  See README.md.
#   make build     build ./build/kupgrade
#   make run       build and plan the bundled example cluster to 1.31 (the runbook)
#   make test      every test, in a normal build and under ASan+UBSan (with fault injection:
#                  the allocation and I/O torture tests)
#   make bench     the benchmarks in bench/ (ratios against baselines)
#   make fuzz      build the libFuzzer targets and run each for FUZZ_SECONDS (FUZZ_JOBS at a time)
#   make install PREFIX=/usr/local
#   make deb       the Debian package into dist/ (scripts/make-deb)
#   make kb-bundle  build/kupgrade-kb.tar from data/ (for 'kupgrade kb update')

PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 1
CMAKE ?= cmake
BUILD_TYPE ?= RelWithDebInfo

.PHONY: all deb torture deps test-deps fuzz-deps build run test test-normal test-asan bench fuzz install clean kb-bundle

all: build

deps:
	@./scripts/install-deps

test-deps:
	@./scripts/install-deps --test

build/CMakeCache.txt:
	$(CMAKE) -S . -B build -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps build/CMakeCache.txt
	$(CMAKE) --build build -j $(JOBS)

run: build
	./build/kupgrade plan examples/cluster/profile.yaml --to 1.31 \
		--manifests examples/manifests --dump examples/cluster-dump.json examples/helm-release.yaml \
		--chart-index examples/charts/index.yaml -o markdown ; rc=$$?; \
	echo "kupgrade plan exited $$rc (0 READY, 2 READY_WITH_WARNINGS, 3 BLOCKED: the example still uses an API removed on the way, as it intends)"; [ $$rc -ne 1 ]

test: test-deps test-normal test-asan

test-normal: test-deps build
	cd build && ctest --no-tests=error --output-on-failure -j $(JOBS)

build-asan/CMakeCache.txt:
	$(CMAKE) -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKUP_SANITIZE=ON -DKUP_FAULT_INJECTION=ON

test-asan: test-deps build-asan/CMakeCache.txt
	$(CMAKE) --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --no-tests=error --output-on-failure -j $(JOBS)

bench: test-deps build
	./bench/run.sh

build-fuzz/CMakeCache.txt: | fuzz-deps
	CC=clang $(CMAKE) -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKUP_FUZZ=ON -DKUP_TESTS=OFF \
		-DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined"

fuzz-deps:
	@./scripts/install-deps --fuzz

fuzz: fuzz-deps build-fuzz/CMakeCache.txt
	$(CMAKE) --build build-fuzz -j $(JOBS)
	FUZZ_JOBS=$(FUZZ_JOBS) ./tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

install: build
	$(CMAKE) --install build --prefix $(PREFIX)

torture: test-deps build-asan/CMakeCache.txt
	$(CMAKE) --build build-asan -j $(JOBS)
	for p in scan fix fix-write plan fleet-decide; do TORTURE_STEP=1 ./tests/torture/run.sh build-asan/kupgrade $$p || exit 1; done
	./tests/torture/io.sh build-asan/kupgrade

deb:
	./scripts/make-deb dist

clean:
	rm -rf build build-asan build-fuzz

kb-bundle:
	@mkdir -p build
	./scripts/kb-bundle build/kupgrade-kb.tar data
