#!/usr/bin/env bash
# ipi_storm.sh - a reproducer for the kprobe lane's stalls, run inside the VM instead of guest.sh
# (tests/vm/run.sh --script tests/vm/ipi_storm.sh). It does what --check did when the guest
# reported a soft lockup: kprobe installs, whose text patching waits for every other CPU to answer
# an IPI, for 120 s, with the other vCPUs idle (halted). Writes "1 passed, 0 failed" to
# OUT/summary when the guest kernel reported no stall, "0 passed, 1 failed" when it did, and the
# rounds done to OUT/times.txt. A guest that wedges writes nothing: run.sh reports it (exit 5).
set -uo pipefail
OUT=""
[ "${1:-}" = --out ] && OUT=${2:-}
[ -n "$OUT" ] || {
	echo "usage: ipi_storm.sh --out DIR" >&2
	exit 2
}
T=/sys/kernel/tracing
SECS=120
end=$(($(date +%s) + SECS))
rounds=0
echo "storm: $(nproc) CPUs, ${SECS}s of kprobe enable/disable on vfs_read and do_sys_openat2"
while [ "$(date +%s)" -lt "$end" ]; do
	for f in vfs_read do_sys_openat2; do
		echo "p:emstorm_$f $f" >>$T/kprobe_events || exit 1
		echo 1 >$T/events/kprobes/emstorm_$f/enable
	done
	for f in vfs_read do_sys_openat2; do
		echo 0 >$T/events/kprobes/emstorm_$f/enable
		echo "-:emstorm_$f" >>$T/kprobe_events
	done
	rounds=$((rounds + 1))
done
stalls=$(dmesg | grep -cE 'soft lockup|detected stall|kthread (starved|timer wakeup)')
printf 'storm_rounds %s\nstorm_guest_stall_lines %s\n' "$rounds" "$stalls" >"$OUT/times.txt"
echo "storm: $rounds rounds, $stalls stall report lines"
if [ "$stalls" -eq 0 ]; then echo "1 passed, 0 failed" >"$OUT/summary"; else echo "0 passed, 1 failed" >"$OUT/summary"; fi
[ "$stalls" -eq 0 ]
