#!/usr/bin/env bash
# tests/fuzz/run.sh - builds the libFuzzer harnesses with clang (build-fuzz/, -DEM_FUZZ=ON), runs
# every seed corpus once (regressions), then each harness for a bounded time. New inputs go to a
# temporary directory, never into the repository; a crash's input is kept in $EM_FUZZ_ARTIFACTS
# (default build-fuzz/artifacts) for a regression seed under tests/fuzz/corpus/<target>/.
#
#   tests/fuzz/run.sh [SECONDS]     default 60 per harness (EM_FUZZ_SECONDS)
#
# Prints "N passed, N failed" last: one test per corpus replay and per timed run.
# Exit status: 0 all passed, 1 a harness failed, 3 clang or its libFuzzer runtime is missing.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SECONDS_EACH=${1:-${EM_FUZZ_SECONDS:-60}}
BUILD=$ROOT/build-fuzz
ART=${EM_FUZZ_ARTIFACTS:-$BUILD/artifacts}
TARGETS=(config:tests/fuzz/config/fuzz_config analyze_csv:tests/fuzz/analyze/fuzz_analyze_csv)
passed=0
failed=0

if ! command -v clang >/dev/null 2>&1; then
	echo "fuzz: clang is missing (scripts/setup.sh installs it)" >&2
	echo "0 passed, 1 failed"
	exit 3
fi
CMAKE=cmake
command -v cmake3 >/dev/null 2>&1 && CMAKE=cmake3
mkdir -p "$BUILD"
if ! CC=clang "$CMAKE" -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEM_FUZZ=ON \
	-DEM_WERROR=ON >"$BUILD/configure.log" 2>&1 ||
	! "$CMAKE" --build "$BUILD" -j"$(nproc)" --target fuzz_config fuzz_analyze_csv; then
	cat "$BUILD/configure.log" >&2
	echo "fuzz: building the harnesses failed" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
mkdir -p "$ART"
for t in "${TARGETS[@]}"; do
	name=${t%%:*}
	bin=$BUILD/${t#*:}
	corpus=$ROOT/tests/fuzz/corpus/$name
	# Every seed once: a crash fixed earlier must stay fixed.
	if "$bin" -runs=0 "$corpus" >"$ART/$name-replay.log" 2>&1; then
		passed=$((passed + 1))
		echo "PASS fuzz $name: corpus replay ($(find "$corpus" -type f | wc -l) inputs)"
	else
		failed=$((failed + 1))
		echo "FAIL fuzz $name: corpus replay"
		tail -n 40 "$ART/$name-replay.log"
	fi
	work=$(mktemp -d "/tmp/em-fuzz-$name.XXXXXX")
	if "$bin" -max_total_time="$SECONDS_EACH" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$ART/$name-" -print_final_stats=1 "$work" "$corpus" \
		>"$ART/$name-run.log" 2>&1; then
		passed=$((passed + 1))
		echo "PASS fuzz $name: ${SECONDS_EACH}s, $(sed -n 's/^stat::number_of_executed_units: *//p' "$ART/$name-run.log") runs"
	else
		failed=$((failed + 1))
		echo "FAIL fuzz $name: see $ART/$name-run.log; the input is $ART/$name-crash-*"
		awk '/ERROR|SUMMARY|#[0-3] / && n++ < 20' "$ART/$name-run.log"
	fi
	rm -rf "$work"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
