#!/usr/bin/env bash
# guest.sh - the kprobe lane's work inside the VM (started by tests/vm/run.sh through the
# initramfs, chrooted into the read-only host root): --check, one timed monitor start, then the
# integration tests per filter. Writes check-<kernel>.txt, tests-<filter>.log, times.txt and
# summary ("N passed, N failed") to --out, the host's results share.
set -uo pipefail

BINARY="" OUT="" FILTERS=()
while [ $# -gt 0 ]; do
	case $1 in
	--binary) BINARY=$2 ;;
	--out) OUT=$2 ;;
	--filter) FILTERS+=("$2") ;;
	*)
		echo "guest: unknown option $1" >&2
		exit 2
		;;
	esac
	shift 2
done
if [ -z "$BINARY" ] || [ -z "$OUT" ] || [ ${#FILTERS[@]} -eq 0 ]; then
	echo "usage: guest.sh --binary PATH --out DIR --filter NAME..." >&2
	exit 2
fi
export PYTHONDONTWRITEBYTECODE=1

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

: >"$OUT/times.txt"
note vm_kernel_running "$KVER"
say "kernel $KVER ($(uname -v)); $(nproc) CPUs"
# The lane exists to test kprobes; a kernel without them would turn its tests into the
# no-kprobe branch and pass without testing anything.
[ -r /sys/bus/event_source/devices/kprobe/type ] ||
	lane_fail "this kernel has no kprobe PMU (/sys/bus/event_source/devices/kprobe/type)"
[ -f "/lib/modules/$KVER/build/Makefile" ] ||
	lane_fail "no kernel headers at /lib/modules/$KVER/build (linux-headers-$KVER on the host)"

WORK=$(mktemp -d /tmp/em-guest.XXXXXX)

# --check compiles and loads every monitor's probes once: the cost of starting them all.
say "$BINARY --check"
t=$(now)
rc=0
(cd "$WORK" && "$BINARY" --check) >"$OUT/check-$KVER.txt" 2>&1 || rc=$?
note check_s "$(since "$t")"
sed 's/^/  /' "$OUT/check-$KVER.txt"
[ "$rc" -eq 0 ] || lane_fail "--check exited $rc"

# One monitor start, timed (a measurement, not a test: the tests below check the same path):
# exec with its default chain, until it logs "attached in"; bcc's compile is most of it.
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
(cd "$WORK" && "$BINARY" -c start.yaml -m exec --duration 1 >/dev/null 2>start.err) || rc=$?
note exec_run_s "$(since "$t")"
attached=$(sed -n 's/.*attached in \([0-9.]*\) s.*/\1/p' "$WORK/start.err" | head -n1)
note exec_attached_in_s "${attached:-none}"
grep -E 'attached via|attached in|ERROR' "$WORK/start.err" | sed 's/^/  /'
if [ "$rc" -ne 0 ] || [ -z "$attached" ]; then
	say "warning: the timed start failed (exit $rc); the tests below say why"
fi
rm -rf "$WORK"

for f in "${FILTERS[@]}"; do
	say "python3 tests/integration/run.py $BINARY $f"
	t=$(now)
	rc=0
	python3 tests/integration/run.py "$BINARY" "$f" 2>&1 | tee "$OUT/tests-$f.log" || rc=$?
	note "tests_${f}_s" "$(since "$t")"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$OUT/tests-$f.log" | tail -n1)
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

summary="$PASSED passed, $FAILED failed"
[ "$SKIPPED" -eq 0 ] || summary+=", $SKIPPED skipped"
printf '%s\n' "$summary" >"$OUT/summary"
say "$summary"
[ "$FAILED" -eq 0 ]
