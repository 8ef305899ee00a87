#!/usr/bin/env bash
# test_lane.sh - the kprobe lane's own tests: a hang inside the VM is diagnosed and fails fast.
#   1. planted hang: a guest-side test sleeps past its limit with its monitor running
#      (tests/vm/run.sh --plant-hang); the guest must print the ebpf-monitor threads' stacks, the
#      blocked tasks (sysrq w) and the test's last output, power off, and run.sh must name the
#      test and exit 5, less than 2 minutes after the limit ran out.
#   2. wedged guest: QEMU is frozen (SIGSTOP) once the VM is up, so the guest cannot even run its
#      watchdog; run.sh must notice the guest's silence on its own and exit 5.
# Usage: sudo tests/vm/test_lane.sh [--binary PATH]. Ends with "N passed, N failed".
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BINARY=$ROOT/build/ebpf-monitor
if [ "${1:-}" = --binary ]; then
	BINARY=${2:?--binary needs a path}
fi
ART=$ROOT/tests/vm/artifacts
LOG=$(mktemp /tmp/em-lane-test.XXXXXX)
trap 'rm -f "$LOG"' EXIT

PASSED=0 FAILED=0
check() {
	local what=$1
	shift
	if "$@"; then
		printf 'PASS %s\n' "$what"
		PASSED=$((PASSED + 1))
	else
		printf 'FAIL %s\n' "$what"
		FAILED=$((FAILED + 1))
	fi
}
has() { grep -qaE "$2" "$1"; }

# ---- 1. a planted hang ------------------------------------------------------------------------

HUNG=test_kprobe_lane_exec_auto_prefers_kprobe
LIMIT=60
printf 'test_lane: planted hang in %s, limit %ss\n' "$HUNG" "$LIMIT"
bash "$ROOT/tests/vm/run.sh" --binary "$BINARY" --no-check --filter kprobe_lane_exec_auto \
	--plant-hang "$HUNG" --test-timeout "$LIMIT" 2>&1 | tee "$LOG"
rc=${PIPESTATUS[0]}
END=$(date +%s)
check "planted hang: run.sh exits 5 (got $rc)" [ "$rc" -eq 5 ]
check "planted hang: the host names the test and its limit" \
	has "$LOG" "vm-lane: error: hung: $HUNG ran past its limit of $LIMIT s"
check "planted hang: the summary counts it as failed" has "$LOG" '^0 passed, 1 failed$'
check "planted hang: the guest reached the planted sleep" has "$ART/hang.txt" "planted hang: $HUNG"
# shellcheck disable=SC2016 # awk's own $0
check "planted hang: a kernel stack of an ebpf-monitor thread" \
	awk -v bin="$BINARY" '/^guest: stacks of the test processes/ { p = 0 }
		/^== pid / { p = index($0, bin) > 0 } p && /^     .*\+0x/ { f = 1 } END { exit !f }' \
	"$ART/hang.txt"
check "planted hang: blocked tasks from sysrq w" has "$ART/hang-dmesg.txt" 'sysrq: Show Blocked State'
check "planted hang: the output shown is the test's own" has "$LOG" 'guest: HANG: '"$HUNG"
# When did the hung test start (guest clock, which QEMU sets from the host's)?
START=$(sed -n "s/^START $HUNG \([0-9]*\)$/\1/p" "$ART/progress.txt" 2>/dev/null | head -n1)
late=$((END - ${START:-0} - LIMIT))
within() { [ -n "$START" ] && [ "$late" -ge 0 ] && [ "$late" -lt 120 ]; }
check "planted hang: failed ${late}s after the limit (0..120 s)" within

# The second part overwrites the lane's artifacts: keep this diagnosis for a look.
mkdir -p "$ART/watchdog"
for f in hang.txt hang-dmesg.txt progress.txt serial.log; do
	cp "$ART/$f" "$ART/watchdog/planted-$f" 2>/dev/null
done

# ---- 2. a guest that cannot answer ------------------------------------------------------------

printf 'test_lane: frozen guest, limit 20s, host grace 20s\n'
: >"$LOG"
EM_VM_HOST_GRACE=20 bash "$ROOT/tests/vm/run.sh" --binary "$BINARY" --no-check \
	--filter kprobe_lane_exec_auto --test-timeout 20 >"$LOG" 2>&1 &
LANE=$!
frozen=0
for _ in $(seq 600); do
	if has "$LOG" 'VM up in'; then
		# run.sh's QEMU: the child process of the lane's shell.
		qemu=$(pgrep -P "$LANE" -f qemu-system-x86_64 | head -n1)
		[ -n "$qemu" ] && kill -STOP "$qemu" && frozen=1
		break
	fi
	kill -0 "$LANE" 2>/dev/null || break
	sleep 0.5
done
T_FROZEN=$(date +%s)
rc=0
wait "$LANE" || rc=$?
waited=$(($(date +%s) - T_FROZEN))
sed 's/^/  /' "$LOG" | tail -n 20
check "frozen guest: QEMU was stopped once the VM was up" [ "$frozen" -eq 1 ]
check "frozen guest: run.sh exits 5 (got $rc)" [ "$rc" -eq 5 ]
check "frozen guest: the host says the guest stopped answering" \
	has "$LOG" 'vm-lane: error: hung: the guest stopped answering'
check "frozen guest: it gave up after ${waited}s (limit 20 + grace 20, < 100 s)" [ "$waited" -lt 100 ]

printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]
