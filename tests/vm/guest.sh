#!/usr/bin/env bash
# guest.sh - the kprobe lane's work inside the VM (started by tests/vm/run.sh through the
# initramfs, chrooted into the read-only host root): --check, one timed monitor start, then the
# integration tests per filter, each step under a time limit. Writes check-<kernel>.txt,
# tests-<filter>.log, times.txt, progress and summary ("N passed, N failed") to --out, the host's
# results share; on a hang also hang.txt (the diagnosis) and hung ("<step> <limit>").
set -uo pipefail

usage() {
	echo "usage: guest.sh --binary PATH --out DIR [--test-timeout SECS] [--no-check]" \
		"[--no-attrib-check]" \
		"[--plant-hang TEST] [--runner PATH] --filter NAME..." >&2
	exit 2
}

BINARY="" OUT="" FILTERS=() TEST_TIMEOUT=240 NO_CHECK=0 NO_ATTRIB_CHECK=0 PLANT_HANG=""
# The test runner (harness.main() behind it): the integration tests, or the systemd lane's
# (tests/systemd/run.py), with the same BINARY FILTER arguments and progress lines.
RUNNER=tests/integration/run.py
while [ $# -gt 0 ]; do
	case $1 in
	--binary) BINARY=${2:-} ;;
	--out) OUT=${2:-} ;;
	--filter) FILTERS+=("${2:-}") ;;
	--test-timeout) TEST_TIMEOUT=${2:-} ;;
	--plant-hang) PLANT_HANG=${2:-} ;;
	--runner) RUNNER=${2:-} ;;
	--no-check)
		NO_CHECK=1
		shift
		continue
		;;
	--no-attrib-check)
		NO_ATTRIB_CHECK=1
		shift
		continue
		;;
	*)
		echo "guest: unknown option $1" >&2
		usage
		;;
	esac
	shift 2
done
if [ -z "$BINARY" ] || [ -z "$OUT" ] || [ ${#FILTERS[@]} -eq 0 ] ||
	! [[ $TEST_TIMEOUT =~ ^[1-9][0-9]*$ ]]; then
	usage
fi
export PYTHONDONTWRITEBYTECODE=1
# The harness appends START/END lines here; the watchdog below and the host (run.sh, through the
# share) read the last one to know what runs and since when.
PROGRESS=$OUT/progress
export EM_TEST_PROGRESS=$PROGRESS
[ -z "$PLANT_HANG" ] || export EM_TEST_PLANT_HANG=$PLANT_HANG
: >"$PROGRESS"

KVER=$(uname -r)
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
note() { printf '%s %s\n' "$1" "$2" >>"$OUT/times.txt"; }
say() { printf 'guest: %s\n' "$*"; }

PASSED=0 FAILED=0 SKIPPED=0
lane_fail() {
	say "FAIL $*"
	FAILED=$((FAILED + 1))
}

# ---- the watchdog -------------------------------------------------------------------------------

# descendants PID: PID and every process below it, one per line.
descendants() {
	local all s line f
	all=$(for s in /proc/[0-9]*/stat; do
		# pid (comm) state ppid ...: comm may hold spaces and parentheses; cut at the last ')'.
		read -r line <"$s" 2>/dev/null || continue
		read -r -a f <<<"${line##*) }"
		printf '%s %s\n' "${line%% *}" "${f[1]}"
	done)
	awk -v root="$1" '{ kids[$2] = kids[$2] " " $1 }
		END { q[1] = root; n = 1; for (i = 1; i <= n; i++) { print q[i]
			m = split(kids[q[i]], k, " "); for (j = 1; j <= m; j++) q[++n] = k[j] } }' <<<"$all"
}

# task_stacks PID: each thread's name, state, wait channel and kernel stack.
task_stacks() {
	local pid=$1 t
	printf '== pid %s: %s\n' "$pid" "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
	for t in /proc/"$pid"/task/*; do
		[ -d "$t" ] || continue
		printf '  -- tid %s (%s) %s wchan=%s\n' "${t##*/}" "$(cat "$t/comm" 2>/dev/null)" \
			"$(sed -n 's/^State:\t//p' "$t/status" 2>/dev/null)" "$(cat "$t/wchan" 2>/dev/null)"
		sed 's/^/     /' "$t/stack" 2>/dev/null
	done
}

# diagnose STEP LIMIT ROOT LOG: what a hung step was doing, on the console and in hang.txt; then
# the step's processes are killed. The guest powers off after guest.sh exits.
diagnose() {
	local step=$1 limit=$2 root=$3 log=$4 pid mon=0
	{
		printf 'guest: HANG: %s ran past its limit of %s s\n' "$step" "$limit"
		printf 'guest: stacks of the ebpf-monitor threads:\n'
		# every one, not only the step's: the systemd lane's runs as a service, systemd's child
		for pid in $(cd /proc && echo [0-9]*); do
			[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$BINARY" ] || continue
			task_stacks "$pid"
			mon=$((mon + 1))
		done
		[ "$mon" -gt 0 ] || printf '  (no ebpf-monitor process was running)\n'
		printf 'guest: stacks of the test processes:\n'
		for pid in $(descendants "$root"); do
			[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$BINARY" ] || task_stacks "$pid"
		done
		printf 'guest: last lines of the output of %s:\n' "$step"
		tail -n 40 "$log" | sed 's/^/  | /'
	} | tee "$OUT/hang.txt" >&2
	# Every blocked task of the whole guest, through the kernel log: raise the console level so
	# the report reaches the serial console too, and keep a copy.
	echo 8 >/proc/sys/kernel/printk 2>/dev/null
	echo w >/proc/sysrq-trigger 2>/dev/null && sleep 2
	echo 4 >/proc/sys/kernel/printk 2>/dev/null
	dmesg >"$OUT/hang-dmesg.txt" 2>/dev/null
	printf '%s %s\n' "$step" "$limit" >"$OUT/hung"
	for pid in $(descendants "$root" | tac); do kill -KILL "$pid" 2>/dev/null; done
}

# guarded STEP LOG CMD...: runs CMD with its output to LOG (and stdout) under the watchdog: when
# the last line of $PROGRESS (STEP's own START until the harness writes its per-test lines) is
# older than TEST_TIMEOUT, diagnose() what runs: the test of a START line, or STEP after the test
# of an END line. Returns CMD's status; 124 after a hang.
guarded() {
	local step=$1 log=$2 pid tailpid line last="" name start now rc=0
	shift 2
	printf 'START %s %s\n' "$step" "$(date +%s)" >>"$PROGRESS"
	: >"$log"
	"$@" >"$log" 2>&1 {TICK_FD}>&- &
	pid=$!
	tail -n +1 -f --pid="$pid" "$log" &
	tailpid=$!
	while kill -0 "$pid" 2>/dev/null; do
		# No fork in this loop: under TCG each fork+exec costs the tests about 0.1 s of the vCPU.
		read -r -t 1 -u "$TICK_FD" _
		while read -r line; do last=$line; done <"$PROGRESS"
		printf -v now '%(%s)T' -1
		if [[ $last =~ ^START\ ([^ ]+)\ ([0-9]+)$ ]]; then
			name=${BASH_REMATCH[1]} start=${BASH_REMATCH[2]}
		elif [[ $last =~ ^END\ ([^ ]+)\ [A-Z0-9]+\ ([0-9]+)$ ]]; then
			name="$step(after:${BASH_REMATCH[1]})" start=${BASH_REMATCH[2]}
		else
			continue
		fi
		if [ $((now - start)) -gt "$TEST_TIMEOUT" ]; then
			diagnose "$name" "$TEST_TIMEOUT" "$pid" "$log"
			wait "$pid" 2>/dev/null
			wait "$tailpid" 2>/dev/null
			printf 'END %s HUNG %s\n' "$name" "$(date +%s)" >>"$PROGRESS"
			return 124
		fi
	done
	wait "$pid" || rc=$?
	wait "$tailpid" 2>/dev/null
	printf 'END %s %s %s\n' "$step" "$rc" "$(date +%s)" >>"$PROGRESS"
	return "$rc"
}

finish() {
	local summary="$PASSED passed, $FAILED failed"
	[ "$SKIPPED" -eq 0 ] || summary+=", $SKIPPED skipped"
	printf '%s\n' "$summary" >"$OUT/summary"
	say "$summary"
	[ "$FAILED" -eq 0 ]
	exit
}

# ---- the lane -----------------------------------------------------------------------------------

: >"$OUT/times.txt"
note vm_kernel_running "$KVER"
note test_timeout_s "$TEST_TIMEOUT"
say "kernel $KVER ($(uname -v)); $(nproc) CPUs; each step's limit ${TEST_TIMEOUT} s"
# The lane exists to test kprobes; a kernel without them would turn its tests into the
# no-kprobe branch and pass without testing anything.
[ -r /sys/bus/event_source/devices/kprobe/type ] ||
	lane_fail "this kernel has no kprobe PMU (/sys/bus/event_source/devices/kprobe/type)"
[ -f "/lib/modules/$KVER/build/Makefile" ] ||
	lane_fail "no kernel headers at /lib/modules/$KVER/build (linux-headers-$KVER on the host)"

WORK=$(mktemp -d /tmp/em-guest.XXXXXX)
# The watchdog's one-second tick: a read with a timeout on a FIFO nobody writes to.
mkfifo "$WORK/tick"
exec {TICK_FD}<>"$WORK/tick"

attrib_check() {
	local t rc
	mountpoint -q /sys/fs/cgroup || mount -t tmpfs cgroups /sys/fs/cgroup
	mkdir -p /sys/fs/cgroup/unified
	mountpoint -q /sys/fs/cgroup/unified || mount -t cgroup2 none /sys/fs/cgroup/unified
	printf '%s\n' 'attribution:' '  enabled: true' '  hierarchy: unified' 'monitors:' \
		'  exec: {}' '  syscall: {}' '  open: {}' '  bio: {}' '  interrupt: {}' \
		'  page_fault: {}' '  context_switch: {}' '  func: {}' >"$WORK/attrib.yaml"
	say "$BINARY -c attrib.yaml --check (attribution on)"
	t=$(now)
	(cd "$WORK" && guarded check "$OUT/check-attrib-$KVER.txt" "$BINARY" -c attrib.yaml \
		--check) | sed 's/^/  /'
	rc=${PIPESTATUS[0]}
	note check_attrib_s "$(since "$t")"
	if [ "$rc" -eq 124 ]; then
		lane_fail "--check with attribution hung"
		finish
	fi
	[ "$rc" -eq 0 ] || lane_fail "--check with attribution exited $rc"
	if grep -q "unavailable" "$OUT/check-attrib-$KVER.txt"; then
		lane_fail "--check with attribution: a monitor is unavailable"
	fi
}

if [ "$NO_CHECK" -eq 0 ]; then
	# --check compiles and loads every monitor's probes once: the cost of starting them all.
	say "$BINARY --check"
	t=$(now)
	(cd "$WORK" && guarded check "$OUT/check-$KVER.txt" "$BINARY" --check) | sed 's/^/  /'
	rc=${PIPESTATUS[0]}
	note check_s "$(since "$t")"
	if [ "$rc" -eq 124 ]; then
		lane_fail "--check hung"
		finish
	fi
	[ "$rc" -eq 0 ] || lane_fail "--check exited $rc"

	# The same with attribution on (issue 19): the programs that key by cgroup, and the
	# task-slot fast paths that cache it, pass this kernel's verifier (6.1's is older than
	# the host's). The guest mounts no cgroups: a cgroup2 of its own. (--no-attrib-check: a lane
	# whose kernel's verifier the x86 lane already covers, the arm64 one, saves its compile.)
	[ "$NO_ATTRIB_CHECK" -eq 1 ] || attrib_check
	# One monitor start, timed (a measurement, not a test: the tests below check the same
	# path): exec with its default chain, until it logs "attached in"; bcc's compile is most of it.
	cat >"$WORK/start.yaml" <<'EOF'
logging:
  level: INFO
  directory: logs
output:
  directory: output
monitors:
  exec:
    enabled: true
EOF
	say "timing one start: $BINARY -m exec --duration 1"
	t=$(now)
	rc=0
	(cd "$WORK" && guarded timed_start "$WORK/start.err" \
		"$BINARY" -c start.yaml -m exec --duration 1) >/dev/null || rc=$?
	note exec_run_s "$(since "$t")"
	if [ "$rc" -eq 124 ]; then
		lane_fail "the timed start hung"
		finish
	fi
	attached=$(sed -n 's/.*attached in \([0-9.]*\) s.*/\1/p' "$WORK/start.err" | head -n1)
	note exec_attached_in_s "${attached:-none}"
	grep -E 'attached via|attached in|ERROR' "$WORK/start.err" | sed 's/^/  /'
	if [ "$rc" -ne 0 ] || [ -z "$attached" ]; then
		say "warning: the timed start failed (exit $rc); the tests below say why"
	fi
fi

for spec in "${FILTERS[@]}"; do
	# "PROFILE:NAME": the tests of NAME under an old-kernel profile (tests/personality)
	profile=
	f=$spec
	if [[ $spec == *:* ]]; then
		profile=${spec%%:*}
		f=${spec#*:}
	fi
	key=${spec//[:.]/_}
	say "${profile:+EM_TEST_PERSONALITY=$profile }python3 $RUNNER $BINARY $f"
	t=$(now)
	rc=0
	guarded "filter_$key" "$OUT/tests-$key.log" \
		env EM_TEST_PERSONALITY="$profile" python3 "$RUNNER" "$BINARY" "$f" ||
		rc=$?
	note "tests_${key}_s" "$(since "$t")"
	if [ "$rc" -eq 124 ]; then
		# The tests before the hung one count as they ended; the hung one fails, and the lane
		# stops here: the guest's state after a hang is not one to test in.
		PASSED=$((PASSED + $(grep -c '^PASS ' "$OUT/tests-$key.log")))
		FAILED=$((FAILED + $(grep -c '^FAIL ' "$OUT/tests-$key.log")))
		lane_fail "$(cut -d' ' -f1 "$OUT/hung") hung (limit ${TEST_TIMEOUT} s)"
		finish
	fi
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$OUT/tests-$key.log" | tail -n1)
	if ! [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]]; then
		lane_fail "filter $f: no 'N passed, N failed' line (exit $rc)"
		continue
	fi
	p=${BASH_REMATCH[1]} x=${BASH_REMATCH[2]} s=${BASH_REMATCH[4]:-0}
	if [ $((p + x + s)) -eq 0 ]; then
		lane_fail "filter $f matched no test"
	elif [ "$rc" -ne 0 ] && [ "$x" -eq 0 ]; then
		lane_fail "filter $f: runner exited $rc after: $line"
	fi
	PASSED=$((PASSED + p)) FAILED=$((FAILED + x)) SKIPPED=$((SKIPPED + s))
done
rm -rf "$WORK"
finish
