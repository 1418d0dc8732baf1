#!/bin/bash
# Runs every test: the release build's unit, fuzz-corpus and namespace
# integration tests; the Debian package built, installed, used and purged;
# the other compilers and build types (warnings are errors in all of them);
# then an ASan+UBSan build (clang, libFuzzer)
# running the unit tests and each fuzz target for a bounded time.
#
#   scripts/test.sh                 everything (namespace tests need root)
#   FUZZ_TIME=300 scripts/test.sh   fuzz longer (seconds per target)
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS=$(nproc)
FUZZ_TIME=${FUZZ_TIME:-60}

echo "== release build (gcc): unit, fuzz corpus, namespace integration"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCTSTORM_WERROR=ON >/dev/null
cmake --build build -j "$JOBS"
ctest --test-dir build --output-on-failure

echo "== the Debian package: built, lintian, installed, used, purged"
tests/package/deb.sh

echo "== the other compilers and build types build without a warning"
for combo in gcc:Debug gcc:Release clang:RelWithDebInfo clang:Release; do
	cc=${combo%%:*} type=${combo#*:}
	CC=$cc cmake -S . -B "build-$cc-$type" -DCMAKE_BUILD_TYPE="$type" -DCTSTORM_WERROR=ON -DCTSTORM_TESTS=OFF >/dev/null
	cmake --build "build-$cc-$type" -j "$JOBS" >/dev/null
	echo "$cc $type: built"
done

echo "== sanitizer build (clang, ASan+UBSan, libFuzzer): unit, fuzz ${FUZZ_TIME}s per target"
CC=clang cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCTSTORM_SANITIZE=ON -DCTSTORM_FUZZ=ON -DCTSTORM_WERROR=ON \
	-DFUZZ_TIME="$FUZZ_TIME" >/dev/null
cmake --build build-asan -j "$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir build-asan --output-on-failure
