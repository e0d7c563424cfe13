# The two commands of the README: `make run` and `make test`. Both install missing
# dependencies, configure and build first.
BUILD     ?= build
SAN_BUILD ?= build-san
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all deps configure build run test sanitize valgrind bench format clean

all: build

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# Run the bundled default example: summary on the terminal, report written.
run: build
	./$(BUILD)/cxroi run

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer.
sanitize: deps
	@cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCXROI_SANITIZE=ON >/dev/null
	@cmake --build $(SAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(SAN_BUILD) --output-on-failure -j $(JOBS)

# The program on every example and on invalid scenarios under valgrind memcheck.
valgrind: build
	@scripts/valgrind-check $(BUILD)/cxroi

bench: build
	@bench/run

format:
	clang-format -i src/*.c src/*.h include/*.h include/cxroi/*.h tests/*.c tests/*.h

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
