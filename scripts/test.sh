#!/usr/bin/env bash
# test.sh - runs every test: setup, the release build (-Werror) with its unit and integration
# tests, the kprobe lane (tests/vm/run.sh: the release binary in a VM whose kernel has kprobes;
# x86_64 hosts), the Debian 11 and arm64 lanes, the package tests, the systemd lane, then the
# same suites on an ASan+UBSan build.
# Ends with "N passed, N failed".
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: sudo scripts/test.sh [--quick] [--unit] [--no-vm] [--no-bullseye] [--no-arm64]
                           [--no-systemd] [--no-packages] [--no-fuzz]

  (no option)  release build (-Werror): unit + integration tests, then the kprobe lane
               (x86_64: scripts/setup.sh --vm, tests/vm/run.sh; a few minutes), then
               sanitizer build (build-asan, ASan+UBSan): unit + integration tests
  --quick      skip the sanitizer build
  --unit       unit tests only (no integration tests, no kprobe lane); with --quick: release
               unit tests only
  --no-vm      skip the kprobe lane, the Debian 11 lane, the arm64 lane and the systemd lane
  --no-bullseye  skip the Debian 11 lane (tests/bullseye/run.sh: a debootstrapped bullseye:
               build and tests in a chroot, then its 5.10 kernel under QEMU; ~8 minutes)
  --no-arm64   skip the arm64 lane (tests/arm64/cross.sh: the aarch64 cross build and its unit
               tests under qemu-aarch64; tests/arm64/run.sh: the arm64 .deb installed in an arm64
               Debian 12 root and tested under Debian's arm64 kernel in qemu-system-aarch64)
  --no-systemd skip the systemd lane (tests/systemd/run.sh: the .deb in a VM whose PID 1 is
               systemd, the service started, reloaded, killed, stopped with systemctl; ~5
               minutes)
  --no-packages  skip building, installing and purging the RPM and .deb
  --no-fuzz    skip the libFuzzer runs (tests/fuzz/run.sh: clang build-fuzz/, every seed
               corpus replayed, then each harness for EM_FUZZ_SECONDS, default 60 s) and the
               valgrind run of the unit tests; --quick skips them too
  -h, --help   this text

Under CI=true a kprobe lane that cannot run counts as failed; otherwise it is skipped.

Exit status: 0 all passed, 1 something failed, 2 usage error, 3 not root.
EOF
}

QUICK=0
UNIT_ONLY=0
NO_VM=0
NO_PKG=0
NO_FUZZ=0
NO_BULLSEYE=0
NO_ARM64=0
NO_SYSTEMD=0
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--unit) UNIT_ONLY=1 ;;
	--no-vm) NO_VM=1 ;;
	--no-packages) NO_PKG=1 ;;
	--no-fuzz) NO_FUZZ=1 ;;
	--no-bullseye) NO_BULLSEYE=1 ;;
	--no-arm64) NO_ARM64=1 ;;
	--no-systemd) NO_SYSTEMD=1 ;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		printf 'test: unknown option: %s\n' "$1" >&2
		usage >&2
		exit 2
		;;
	esac
	shift
done

if [ "$(id -u)" -ne 0 ]; then
	printf 'test: error: must run as root (setup and BPF integration tests need it): sudo %s\n' \
		"$0" >&2
	exit 3
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
CI=${CI:-}

# RHEL/CentOS 7 get CMake >= 3.13 as cmake3/ctest3 from EPEL.
CMAKE=cmake
CTEST=ctest
if command -v cmake3 >/dev/null 2>&1; then
	CMAKE=cmake3
	CTEST=ctest3
fi

INTEGRATION_RUNNER=tests/integration/run.sh
LOGDIR=$(mktemp -d /tmp/ebpf-monitor-test.XXXXXX)
trap 'rm -rf "$LOGDIR"' EXIT

TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARY=()

# Each stage's time, from its step() to its record(), goes into the summary.
STEP_T0=$SECONDS
step() {
	STEP_T0=$SECONDS
	printf '\ntest: ==== %s\n' "$*"
}

# record LABEL PASSED FAILED NOTE
record() {
	TOTAL_PASSED=$((TOTAL_PASSED + $2))
	TOTAL_FAILED=$((TOTAL_FAILED + $3))
	SUMMARY+=("$(printf '  %-24s %5ss  %s' "$1" $((SECONDS - STEP_T0)) "$4")")
}

# build LABEL DIR CMAKE-ARGS...: configure and build; a failure counts as one failed test.
build() {
	local label=$1 dir=$2
	shift 2
	step "$label: cmake -B $dir $*"
	if "$CMAKE" -S . -B "$dir" "$@" && "$CMAKE" --build "$dir" -j"$(nproc)"; then
		record "$label build" 0 0 "ok"
		return 0
	fi
	record "$label build" 0 1 "FAILED (counted as 1 failed; its tests did not run)"
	return 1
}

# unit_tests LABEL DIR: ctest, counts from "X% tests passed, Y tests failed out of Z".
unit_tests() {
	local label=$1 dir=$2 log=$LOGDIR/$1-unit.log rc=0 line total failed
	step "$label: unit tests (ctest in $dir)"
	(cd "$dir" && "$CTEST" --output-on-failure --timeout 300) 2>&1 | tee "$log" || rc=$?
	line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" |
		tail -n1 || true)
	if [ -z "$line" ]; then
		# ctest says "No tests were found!!!" and exits 0: that is not a pass.
		record "$label unit" 0 1 "FAILED: no ctest result line (no unit tests registered? rc=$rc)"
		return
	fi
	failed=$(sed -E 's/^[0-9]+% tests passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
	total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
	if [ "$total" -eq 0 ]; then
		record "$label unit" 0 1 "FAILED: ctest ran no tests"
	elif [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		record "$label unit" $((total)) 1 "FAILED: ctest exited $rc with $total passed"
	else
		record "$label unit" $((total - failed)) "$failed" \
			"$((total - failed)) passed, $failed failed"
	fi
}

# integration_tests LABEL BINARY: the runner's last line is "N passed, N failed[, N skipped]".
integration_tests() {
	local label=$1 bin=$2 log=$LOGDIR/$1-integration.log rc=0
	step "$label: integration tests ($INTEGRATION_RUNNER $bin)"
	if [ ! -f "$INTEGRATION_RUNNER" ]; then
		printf 'test: error: %s does not exist; integration tests cannot run\n' \
			"$INTEGRATION_RUNNER" >&2
		record "$label integration" 0 1 "FAILED: $INTEGRATION_RUNNER is missing"
		return
	fi
	local runner=(bash "$INTEGRATION_RUNNER")
	[ -x "$INTEGRATION_RUNNER" ] && runner=("./$INTEGRATION_RUNNER")
	"${runner[@]}" "$bin" 2>&1 | tee "$log" || rc=$?
	record_runner "$label integration" "$log" "$rc"
}

# profile_tests BINARY: the core exact-count tests of every monitor but func again, under each
# old-kernel profile (tests/personality: the shim makes this kernel refuse what RHEL 7's
# backport, 4.9, 4.15 or 4.18 lacks, so the fallbacks those kernels need run for real).
PROFILES="rhel7 4.9 4.15 4.18"
PROFILE_CORE=test_exec_500,test_exec_failed,test_syscall_getppid,test_syscall_errors,test_syscall_fast_path
PROFILE_CORE=$PROFILE_CORE,test_open_counts
PROFILE_CORE=$PROFILE_CORE,test_open_each,test_open_long,test_page_fault_matches
PROFILE_CORE=$PROFILE_CORE,test_context_switch_matches,test_interrupt_counts,test_bio_dd
PROFILE_CORE=$PROFILE_CORE,test_context_switch_fast_path,test_page_fault_fast_path
PROFILE_CORE=$PROFILE_CORE,test_attrib_four_layouts_exact_v1,test_attrib_short_lived
profile_tests() {
	local bin=$1 p log rc
	for p in $PROFILES; do
		log=$LOGDIR/profile-$p.log
		rc=0
		step "profile $p: EM_TEST_PERSONALITY=$p $INTEGRATION_RUNNER $bin (core tests)"
		EM_TEST_PERSONALITY=$p bash "$INTEGRATION_RUNNER" "$bin" "$PROFILE_CORE" 2>&1 |
			tee "$log" || rc=$?
		record_runner "profile $p" "$log" "$rc"
	done
}

# compat_tests: the compile matrix (tests/compat/run.sh): the bcc header sets 0.10-0.24 and the
# installed one, EL7's library headers, the C floor; configure-time errors for a bcc too old.
compat_tests() {
	local log=$LOGDIR/compat.log rc=0
	step "compile matrix: tests/compat/run.sh"
	bash "$ROOT/tests/compat/run.sh" "$ROOT/build-compat" 2>&1 | tee "$log" || rc=$?
	record_runner "compile matrix" "$log" "$rc"
}

# record_runner LABEL LOG RC: counts from the last "N passed, N failed[, N skipped]" line of LOG.
record_runner() {
	local label=$1 log=$2 rc=$3 line passed failed skipped
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$log" | tail -n1 || true)
	if [ -z "$line" ]; then
		record "$label" 0 1 "FAILED: no 'N passed, N failed' line (rc=$rc)"
		return
	fi
	passed=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
	failed=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
	skipped=0
	if [[ $line =~ ,\ ([0-9]+)\ skipped$ ]]; then
		skipped=${BASH_REMATCH[1]}
	fi
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		record "$label" "$passed" 1 "FAILED: runner exited $rc after: $line"
	else
		record "$label" "$passed" "$failed" "$passed passed, $failed failed, $skipped skipped"
	fi
}

# kprobe_lane BINARY: tests/vm/run.sh boots a kernel with kprobes under QEMU and runs the kprobe
# tests there (this host's kernel may have none), then tests/vm/test_lane.sh checks that the
# lane's watchdog diagnoses a hang. A lane that cannot run here (setup failed, exit 3) is skipped,
# except under CI=true; a lane that ran counts its tests, and its failures fail: there is no
# retry (a hung test is diagnosed by the lane, exit 5, see tests/vm/README.md).
kprobe_lane() {
	local bin=$1 log=$LOGDIR/vm-lane.log rc=0
	step "kprobe lane: scripts/setup.sh --vm; tests/vm/run.sh --binary $bin"
	bash "$ROOT/scripts/setup.sh" --vm || rc=$?
	if [ "$rc" -ne 0 ]; then
		kprobe_lane_unavailable "scripts/setup.sh --vm failed (exit $rc)"
		return
	fi
	bash "$ROOT/tests/vm/run.sh" --binary "$bin" 2>&1 | tee "$log" || rc=$?
	if [ "$rc" -eq 3 ]; then
		kprobe_lane_unavailable "tests/vm/run.sh cannot run on this host (exit 3)"
		return
	fi
	record_runner "kprobe lane" "$log" "$rc"

	step "kprobe lane watchdog: tests/vm/test_lane.sh --binary $bin"
	rc=0
	bash "$ROOT/tests/vm/test_lane.sh" --binary "$bin" 2>&1 | tee "$LOGDIR/vm-lane-test.log" || rc=$?
	record_runner "kprobe lane watchdog" "$LOGDIR/vm-lane-test.log" "$rc"
}

# packaging_tests: tests/packaging/run.sh builds the RPM and the .deb, installs the .deb, runs
# it from its packaged config, verifies the systemd unit and purges the package again.
packaging_tests() {
	local log=$LOGDIR/packaging.log rc=0
	step "packages: tests/packaging/run.sh build"
	bash "$ROOT/tests/packaging/run.sh" "$ROOT/build" 2>&1 | tee "$log" || rc=$?
	record_runner "packages" "$log" "$rc"
}

# fuzz_tests: the libFuzzer harnesses (config loader, analyzer CSV reader) for a bounded time.
fuzz_tests() {
	local log=$LOGDIR/fuzz.log rc=0
	step "fuzz: tests/fuzz/run.sh (${EM_FUZZ_SECONDS:-60} s per harness)"
	bash "$ROOT/tests/fuzz/run.sh" 2>&1 | tee "$log" || rc=$?
	record_runner "fuzz" "$log" "$rc"
}

# valgrind_tests DIR: every unit test executable under memcheck, in-process (CK_FORK=no): no
# invalid read or write, no definite or indirect leak.
valgrind_tests() {
	local dir=$1 log t name passed=0 failed=0
	step "valgrind: unit tests of $dir under memcheck"
	if ! command -v valgrind >/dev/null 2>&1; then
		record "valgrind" 0 1 "FAILED: valgrind is missing (scripts/setup.sh installs it)"
		return
	fi
	for t in "$dir"/tests/unit/test_* "$dir"/tests/analyze/test_*; do
		[ -x "$t" ] && [ -f "$t" ] || continue
		name=${t##*/}
		log=$LOGDIR/valgrind-$name.log
		if (cd "$dir" && CK_FORK=no valgrind --quiet --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
			--track-fds=no "$t") >"$log" 2>&1; then
			passed=$((passed + 1))
			printf 'PASS valgrind %s\n' "$name"
		else
			failed=$((failed + 1))
			printf 'FAIL valgrind %s\n' "$name"
			# the first 40 lines of valgrind's report (awk reads on: no SIGPIPE under pipefail)
			awk '/==[0-9]+==/ && n++ < 40' "$log"
		fi
	done
	record "valgrind" "$passed" "$failed" "$passed passed, $failed failed"
}

kprobe_lane_unavailable() {
	lane_unavailable "kprobe lane" "$1"
}
# lane_unavailable LABEL WHY: failed under CI=true, else skipped with a warning.
lane_unavailable() {
	if [ "${CI,,}" = true ]; then
		record "$1" 0 1 "FAILED: $2"
	else
		printf 'test: warning: %s skipped: %s\n' "$1" "$2" >&2
		record "$1" 0 0 "SKIPPED: $2"
	fi
}

# bullseye_lane: the Debian 11 lane (tests/bullseye/run.sh): the project built and tested on
# bullseye's bcc 0.18, LLVM 11 and gcc 10 in a chroot, then under bullseye's 5.10 kernel in QEMU.
bullseye_lane() {
	local log=$LOGDIR/bullseye-lane.log rc=0
	step "Debian 11 lane: scripts/setup.sh --bullseye; tests/bullseye/run.sh"
	bash "$ROOT/scripts/setup.sh" --bullseye || rc=$?
	if [ "$rc" -ne 0 ]; then
		lane_unavailable "Debian 11 lane" "scripts/setup.sh --bullseye failed (exit $rc)"
		return
	fi
	bash "$ROOT/tests/bullseye/run.sh" 2>&1 | tee "$log" || rc=$?
	if [ "$rc" -eq 3 ]; then
		lane_unavailable "Debian 11 lane" "tests/bullseye/run.sh cannot run on this host (exit 3)"
		return
	fi
	record_runner "Debian 11 lane" "$log" "$rc"
}

# systemd_lane: tests/systemd/run.sh, the .deb in a VM whose PID 1 is systemd, the service driven
# with systemctl (about 5 minutes).
systemd_lane() {
	local log=$LOGDIR/systemd-lane.log rc=0
	step "systemd lane: tests/systemd/run.sh"
	bash "$ROOT/tests/systemd/run.sh" 2>&1 | tee "$log" || rc=$?
	if [ "$rc" -eq 3 ]; then
		lane_unavailable "systemd lane" "tests/systemd/run.sh cannot run on this host (exit 3)"
		return
	fi
	record_runner "systemd lane" "$log" "$rc"
}

# arm64_prepare: scripts/setup.sh --arm64 (cross compiler, qemu, the arm64 root with Debian's
# arm64 kernel), then tests/arm64/cross.sh: the aarch64 build (-Werror) and its unit tests under
# qemu-aarch64. 0 when the arm64 lane can run.
arm64_prepare() {
	local log=$LOGDIR/arm64-cross.log rc=0
	step "arm64: scripts/setup.sh --arm64; tests/arm64/cross.sh"
	bash "$ROOT/scripts/setup.sh" --arm64 || rc=$?
	if [ "$rc" -ne 0 ]; then
		lane_unavailable "arm64 cross build" "scripts/setup.sh --arm64 failed (exit $rc)"
		return 1
	fi
	bash "$ROOT/tests/arm64/cross.sh" "$ROOT/build-arm64" 2>&1 | tee "$log" || rc=$?
	if [ "$rc" -eq 3 ]; then
		lane_unavailable "arm64 cross build" "tests/arm64/cross.sh cannot run on this host (exit 3)"
		return 1
	fi
	record_runner "arm64 cross build+unit" "$log" "$rc"
	[ "$rc" -eq 0 ]
}

# The arm64 lane (tests/arm64/run.sh: the .deb packed from the cross build, installed in the
# arm64 root, and the tests under the arm64 kernel in qemu-system-aarch64, about 9 minutes) runs
# beside the kprobe lane: each is one emulated CPU, one host thread, and this host has two. Its
# output is shown when it ends.
ARM64_PID=""
ARM64_T0=0
arm64_lane_start() {
	ARM64_T0=$SECONDS
	printf '\ntest: ==== arm64 lane: tests/arm64/run.sh build-arm64 (beside the kprobe lane)\n'
	(
		rc=0
		bash "$ROOT/tests/arm64/run.sh" "$ROOT/build-arm64" >"$LOGDIR/arm64-lane.log" 2>&1 || rc=$?
		echo "$rc" >"$LOGDIR/arm64-lane.rc"
	) &
	ARM64_PID=$!
}
arm64_lane_finish() {
	local rc
	[ -n "$ARM64_PID" ] || return 0
	wait "$ARM64_PID" || true
	ARM64_PID=""
	rc=$(cat "$LOGDIR/arm64-lane.rc" 2>/dev/null || echo 1)
	printf '\ntest: ==== arm64 lane (ran beside the kprobe lane): its output\n'
	cat "$LOGDIR/arm64-lane.log"
	STEP_T0=$ARM64_T0
	if [ "$rc" -eq 3 ]; then
		lane_unavailable "arm64 lane" "tests/arm64/run.sh cannot run on this host (exit 3)"
		return
	fi
	record_runner "arm64 lane" "$LOGDIR/arm64-lane.log" "$rc"
}

step "setup"
rc=0
bash "$ROOT/scripts/setup.sh" || rc=$?
if [ "$rc" -ne 0 ]; then
	printf 'test: error: scripts/setup.sh failed (exit %d); nothing was tested\n' "$rc" >&2
	printf '0 passed, 1 failed\n'
	exit "$rc"
fi

if build release build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEM_WERROR=ON -DEM_SANITIZE=OFF; then
	unit_tests release build
	compat_tests
	if [ "$QUICK" -eq 0 ] && [ "$NO_FUZZ" -eq 0 ]; then
		valgrind_tests "$ROOT/build"
		fuzz_tests
	fi
	if [ "$UNIT_ONLY" -eq 0 ]; then
		integration_tests release "$ROOT/build/ebpf-monitor"
		profile_tests "$ROOT/build/ebpf-monitor"
		if [ "$NO_VM" -eq 0 ] && [ "$(uname -m)" = x86_64 ]; then
			if [ "$NO_ARM64" -eq 0 ] && arm64_prepare; then
				arm64_lane_start
			fi
			kprobe_lane "$ROOT/build/ebpf-monitor"
			arm64_lane_finish
			[ "$NO_BULLSEYE" -eq 1 ] || bullseye_lane
		fi
		[ "$NO_PKG" -eq 1 ] || packaging_tests
		# after the kprobe lane's setup (its kernel) and the package tests (build-pkg); not
		# beside the sanitizer stage: its CPU-time measurements (test_budget) felt the emulator
		if [ "$NO_VM" -eq 0 ] && [ "$NO_SYSTEMD" -eq 0 ] && [ "$(uname -m)" = x86_64 ]; then
			systemd_lane
		fi
	fi
fi

if [ "$QUICK" -eq 0 ]; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	if build asan build-asan -DCMAKE_BUILD_TYPE=Debug -DEM_WERROR=ON -DEM_SANITIZE=ON; then
		unit_tests asan build-asan
		[ "$UNIT_ONLY" -eq 1 ] || integration_tests asan "$ROOT/build-asan/ebpf-monitor"
	fi
fi

printf '\ntest: summary (stage, seconds, result; %ss in all)\n' "$SECONDS"
printf '%s\n' "${SUMMARY[@]}"
printf '%d passed, %d failed\n' "$TOTAL_PASSED" "$TOTAL_FAILED"
[ "$TOTAL_FAILED" -eq 0 ]
