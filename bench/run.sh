#!/bin/bash
# bench/run.sh - ebpf-monitor benchmarks (issue 8). Run as root from anywhere:
#
#   bench/run.sh                 every part, in order (about 20 minutes)
#   bench/run.sh PART [PART...]  only these parts:
#       hotpath    added ns per event: syscall, context switch, page fault, open of a known path,
#                  vs floor and peers
#       variants   the probes with one cost centre removed at a time (where the ns go)
#       interleaved  the probes as the monitors build them (fast path and hash path) against the
#                  floor, alternating many times a second in one process (bccprobe.py interleave)
#       mixed      wall-time ratio of a build + file + exec workload, monitored / unmonitored
#       startup    launch to "N monitor(s) attached", per-monitor split, compile times
#       memory     peak RSS, where it comes from, kernel map and perf-buffer memory
#       execburst  fork+exec at rising rates: rows in the exec CSV vs execs made, losses
#       cpu        the monitor's own CPU time while the system is idle (ours: no workload)
#       scaling    cost per event as distinct keys grow (task names, paths); where maps fill
#       attrib     the hot paths with attribution on and off (cgroup, unit, container columns)
#
# Every figure is measured against a baseline in the same run, with the baseline and the
# measured case interleaved (baseline, case, baseline, case, ..., baseline); medians and the
# min..max spread over the repetitions are reported. Results: $BENCH_WORK/results/*.md (the
# tables, also printed at the end) and *.tsv (raw numbers).
#
# Environment (defaults in brackets):
#   EBPF_MONITOR  the binary [<repo>/build/ebpf-monitor]      BENCH_WORK  scratch [/tmp/ebpf-bench]
#   BENCH_ROUNDS  paired repetitions per case [5]              BENCH_CPU   CPU for the hot loops [last]
#   BENCH_PAIRS   monitored runs of the mixed workload [3]     BENCH_RATES exec rates ["1000 2000 5000 8000 0"]
#   BENCH_CYCLES  interleaved: cycles per hook [100]        BENCH_BODY_CYCLES  the same, timed bodies [10]
#   BENCH_VARIANT_ROUNDS  rounds of the variants part [3]
#   BENCH_HOOKS   hot-path hooks of hotpath and variants ["syscall cswitch fault open"]
#   BENCH_CLOCK   hot loops timed by the wall clock, or "cpu": the loop thread's CPU time (time
#                 other tasks take of the CPU left out; the probes run in its syscalls) [wall]
#   BENCH_QUICK=1 fewer rounds and shorter runs (a smoke test; the numbers are not for the table)
set -uo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH")
MON=${EBPF_MONITOR:-$REPO/build/ebpf-monitor}
WORK=${BENCH_WORK:-/tmp/ebpf-bench}
CONFIG=$BENCH/monitor_config.yaml
PY=/usr/bin/python3 # the distribution's python, which has the bcc module (python3-bpfcc)
RES=$WORK/results
# func cannot attach on a kernel without kprobes or fentry; it is left out (BENCH_WITH_FUNC=1 adds it).
ALL_MONITORS=exec,syscall,context_switch,page_fault,open,interrupt,bio
[ "${BENCH_WITH_FUNC:-0}" = 1 ] && ALL_MONITORS=$ALL_MONITORS,func
ROUNDS=${BENCH_ROUNDS:-5}
PAIRS=${BENCH_PAIRS:-3}
SPLIT_ROUNDS=3 VARIANT_ROUNDS=${BENCH_VARIANT_ROUNDS:-3} STARTUP_ROUNDS=3
CPU=${BENCH_CPU:-$(($(nproc) - 1))}
RATES=${BENCH_RATES:-"1000 2000 5000 8000 0"}
BURST_SECONDS=10
SYSCALL_N=30000 CSWITCH_N=2000 FAULT_MB=16 OPEN_N=5000 BURSTS=40 BURSTS_SLOW=80
EXECS=2000
CYCLES=${BENCH_CYCLES:-100} BODY_CYCLES=${BENCH_BODY_CYCLES:-10}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	CYCLES=10 BODY_CYCLES=2 ROUNDS=2 PAIRS=1 SPLIT_ROUNDS=1 VARIANT_ROUNDS=1 STARTUP_ROUNDS=1 RATES="1000 0" BURST_SECONDS=3 BURSTS=10 BURSTS_SLOW=10 EXECS=500
fi
CLK_TCK=$(getconf CLK_TCK)

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }

# stats: numbers on stdin -> "median min max n"
stats() {
	sort -g | awk '{ a[NR] = $1 }
	END {
		if (NR == 0) { print "NA NA NA 0"; exit }
		m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		printf "%.6g %.6g %.6g %d\n", m, a[1], a[NR], NR
	}'
}
# fmt DIGITS "median min max n" -> "median (min..max)"
fmt() { awk -v d="$1" '{ if ($1 == "NA") print "n/a"; else printf "%.*f (%.*f..%.*f)\n", d, $1, d, $2, d, $3 }' <<<"$2"; }
calc() { awk "BEGIN { printf \"%.6g\", $* }"; }
# ratio A B [DIGITS]: A / B, or n/a when B is not positive
ratio() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (b + 0 <= 0 || a == "NA") print "n/a"; else printf "%.*f\n", d, a / b }'; }

# ---- background processes: the monitor, bcc programs, bpftrace, syscount ----

BG_PID=
BG_OUT=
# bg_start NAME READY_REGEX CMD...: start CMD (in $WORK/run), wait for READY_REGEX in its stdout or
# stderr (60 s at most). Sets BG_PID, BG_OUT (its stdout+stderr file) and BG_READY_S.
bg_start() {
	local name=$1 ready=$2 t0 i
	shift 2
	mkdir -p "$WORK/run"
	rm -rf "$WORK/run/output" "$WORK/run/logs"
	BG_OUT=$WORK/run/$name.out
	: >"$BG_OUT"
	t0=$(now)
	(cd "$WORK/run" && exec "$@" >"$BG_OUT" 2>&1) &
	BG_PID=$!
	for ((i = 0; i < 1200; i++)); do
		if grep -qE "$ready" "$BG_OUT"; then
			BG_READY_S=$(calc "$(now) - $t0")
			# bpftrace says "Attaching" before it attaches: give it time to finish.
			[[ $name == bpftrace* ]] && sleep 0.5
			return 0
		fi
		kill -0 "$BG_PID" 2>/dev/null || break
		sleep 0.05
	done
	log "$name did not get ready; its output:"
	tail -5 "$BG_OUT" >&2
	bg_stop
	return 1
}
bg_stop() {
	[ -n "$BG_PID" ] || return 0
	kill -TERM "$BG_PID" 2>/dev/null
	wait "$BG_PID" 2>/dev/null
	BG_PID=
}
trap 'bg_stop; [ -n "${SAMPLER:-}" ] && kill "$SAMPLER" 2>/dev/null; rm -rf /dev/shm/ebpf-bench-files' EXIT

MON_READY='monitor\(s\) attached in'
# monitor_start MONITORS [CONFIG]: the monitor with every listed monitor, output under $WORK/run.
monitor_start() { bg_start monitor "$MON_READY" "$MON" -c "${2:-$CONFIG}" -m "$1"; }
attached_in() { grep -oE 'attached in [0-9.]+' "$1" | awk '{ print $3 }' | tail -1; }
lost_total() {
	# Events the monitor reported lost, summed over its final per-monitor lines ("...; nothing
	# lost" or "...; lost N (by cause)").
	stop_lines "$1" '[a-z_]+' | sed -nE 's/.*; lost ([0-9]+) .*/\1/p' |
		awk '{ s += $1 } END { print s + 0 }'
}
# stop_lines LOG MONITOR_RE: the stop's totals lines ("counted N ... in R rows; ..." or "N perf
# events received, R rows; ...").
stop_lines() { grep -E "^INFO: $2: (counted [0-9]+ |[0-9]+ perf events received, )" "$1"; }
# cpu_ns PID: CPU time of all PID's threads in ns (schedstat: user+system time without the tick
# rounding of /proc/PID/stat; falls back to utime+stime ticks from /proc/PID/stat)
cpu_ns() {
	if [ -r "/proc/$1/schedstat" ]; then
		cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%.0f\n", s }'
	else
		awk -v hz="$CLK_TCK" '{ printf "%.0f\n", ($14 + $15) * 1e9 / hz }' "/proc/$1/stat"
	fi
}

# hash_start MONITOR: the monitor with its fast path off (fast_names: 0 in a copy of $CONFIG)
hash_start() {
	local f=$WORK/hash-$1.yaml
	sed -E "s/^(  $1:)\$/\\1\\n    fast_names: 0/" "$CONFIG" >"$f"
	grep -q 'fast_names: 0' "$f" || die "cannot write $f"
	monitor_start "$1" "$f"
}

# attrib_start MONITOR [hash]: the monitor with attribution on (issue 19), and with hash its fast
# path off, in a copy of $CONFIG
attrib_start() {
	local f=$WORK/attrib-$1${2:+-hash}.yaml
	{
		printf 'attribution:\n  enabled: true\n'
		if [ -n "${2:-}" ]; then
			sed -E "s/^(  $1:)\$/\\1\\n    fast_names: 0/" "$CONFIG"
		else
			cat "$CONFIG"
		fi
	} >"$f"
	monitor_start "$1" "$f"
}

# tracer_start MODE: one tracer (or the monitor) for the hot-path comparisons.
tracer_start() {
	case $1 in
	floor-* | sc:* | scf:* | cs:* | csf:* | pf:* | pff:* | op:* | opensnoop-tp)
		bg_start "bcc-$1" '^attached' "$PY" "$BENCH/bccprobe.py" "$1" ;;
	ours-syscall) monitor_start syscall ;;
	# the hash path: kernels without per-CPU arrays (and the syscall monitor's latency: true)
	ours-syscall-hash) hash_start syscall ;;
	ours-cswitch) monitor_start context_switch ;;
	ours-cswitch-hash) hash_start context_switch ;;
	ours-fault) monitor_start page_fault ;;
	ours-fault-hash) hash_start page_fault ;;
	ours-open) monitor_start open ;;
	# attribution on: the same monitors keyed by cgroup too
	ours-syscall-attrib) attrib_start syscall ;;
	ours-syscall-hash-attrib) attrib_start syscall hash ;;
	ours-cswitch-attrib) attrib_start context_switch ;;
	ours-fault-attrib) attrib_start page_fault ;;
	ours-open-attrib) attrib_start open ;;
	mon:*) monitor_start "${1#mon:}" ;;
	bpftrace-syscall)
		bg_start bpftrace-syscall Attaching bpftrace -e \
			'tracepoint:raw_syscalls:sys_exit { @[comm, args->id] = count(); }' ;;
	bpftrace-syscall-empty)
		bg_start bpftrace-syscall-empty Attaching bpftrace -e 'tracepoint:raw_syscalls:sys_exit { }' ;;
	syscount) bg_start syscount '^Tracing' syscount-bpfcc ;;
	bpftrace-cswitch)
		bg_start bpftrace-cswitch Attaching bpftrace -e \
			'tracepoint:sched:sched_switch { @[cpu, args->prev_comm, args->next_comm] = count(); }' ;;
	bpftrace-fault)
		bg_start bpftrace-fault Attaching bpftrace -e \
			'software:minor-faults:1 { @[comm, cpu] = count(); } software:major-faults:1 { @[comm, cpu] = count(); }' ;;
	# opensnoop-bpfcc attaches fentry or kprobes; where it cannot, opensnoop-tp (bccprobe.py)
	# runs its program on the syscall tracepoints. Its output (a line per open) goes to a file.
	opensnoop) bg_start opensnoop 'PID +COMM' opensnoop-bpfcc ;;
	bpftrace-open)
		bg_start bpftrace-open Attaching bpftrace -e \
			'tracepoint:syscalls:sys_enter_openat { @path[tid] = args->filename; @flags[tid] = args->flags; }
			tracepoint:syscalls:sys_exit_openat /@path[tid]/ { @[comm, str(@path[tid]), @flags[tid]] = count();
				delete(@path[tid]); delete(@flags[tid]); }' ;;
	*) die "unknown mode $1" ;;
	esac
}

build_helpers() {
	mkdir -p "$WORK" "$RES" "$WORK/run"
	cc -O2 -Wall -o "$WORK/hotloop" "$BENCH/hotloop.c" || die "cannot build hotloop"
	cc -O2 -Wall -o "$WORK/execburst" "$BENCH/execburst.c" || die "cannot build execburst"
	cc -O2 -static -nostdlib -o "$WORK/exittiny" "$BENCH/exittiny.c" || die "cannot build exittiny"
	cc -O2 -Wall -o "$WORK/keys" "$BENCH/keys.c" || die "cannot build keys"
	[ -x "$MON" ] || die "$MON not built: cmake --build build -j2"
	[ "$(id -u)" = 0 ] || die "run as root"
	for t in bpftrace syscount-bpfcc taskset perf; do
		command -v "$t" >/dev/null || log "WARNING: $t missing (apt-get install bpftrace bpfcc-tools util-linux linux-perf)"
	done
	[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
}

# ---- 1. hot path --------------------------------------------------------------------------

# measure LOOP: ns per event of one hotloop run pinned to $CPU (the least disturbed of $BURSTS
# short bursts: see hotloop.c).
measure() {
	local args
	case $1 in
	files) # the quicker of two passes (interference only slows a pass down)
		{ files_phase 1; files_phase 1; } | sort -g | head -1
		return ;;
	syscall) args="syscall $SYSCALL_N" ;;
	cswitch) args="cswitch $CSWITCH_N" ;;
	fault) args="fault $FAULT_MB" ;;
	open) args="open $OPEN_N" ;; # openat(2) of one existing file in /dev/shm, then close(2)
	esac
	# context switches and faults vary more from burst to burst: twice the bursts
	HOTLOOP_CLOCK=${BENCH_CLOCK:-wall} taskset -c "$CPU" "$WORK/hotloop" $args "$([[ $1 == syscall || $1 == open ]] && echo "$BURSTS" || echo "$BURSTS_SLOW")" | sed -E 's/^ns_per_event=([0-9.]+).*/\1/'
}

# warm_up LOOP: the loop (same binary, same name) for about 1.5 s, its result discarded.
warm_up() {
	local end=$((SECONDS + 2)) args
	case $1 in
	syscall) args="syscall $SYSCALL_N 20" ;;
	cswitch) args="cswitch $CSWITCH_N 10" ;;
	fault) args="fault $FAULT_MB 10" ;;
	*) return 0 ;;
	esac
	while [ "$SECONDS" -lt "$end" ]; do
		taskset -c "$CPU" "$WORK/hotloop" $args >/dev/null
	done
}

# hot_rounds LOOP TSV MODE...: $ROUNDS rounds of: baseline, MODE1, baseline, MODE2, ..., baseline
# (the order of the modes rotates each round). One TSV line per case: round mode before case after.
hot_rounds() {
	local loop=$1 tsv=$2 r i n b0 b1 t m
	shift 2
	local modes=("$@")
	n=${#modes[@]}
	printf 'round\tmode\tbase_before\tcase\tbase_after\tready_s\tlost\n' >"$tsv"
	for ((r = 1; r <= ROUNDS; r++)); do
		b0=$(measure "$loop")
		for ((i = 0; i < n; i++)); do
			m=${modes[$(((i + r - 1) % n))]}
			tracer_start "$m" || continue
			# The same warm-up for every tracer: a busy task name gets the monitors' fast
			# path (task slots) within 0.1 s of its first 1024 events, so the loop's first
			# second is not its steady state.
			warm_up "$loop"
			t=$(measure "$loop")
			bg_stop
			b1=$(measure "$loop")
			printf '%d\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$m" "$b0" "$t" "$b1" "$BG_READY_S" \
				"$(lost_total "$BG_OUT")" >>"$tsv"
			log "  $loop round $r $m: base $b0 / $b1, traced $t"
			b0=$b1
		done
	done
}

# added ns per event of MODE in each round: case - mean(baseline before, baseline after)
added() { awk -F'\t' -v m="$2" '$2 == m { print $4 - ($3 + $5) / 2 }' "$1"; }
# per-round ratio of MODE's added cost to REF's added cost
ratio_to() {
	awk -F'\t' -v m="$2" -v f="$3" '
		$2 == m { a[$1] = $4 - ($3 + $5) / 2 }
		$2 == f { b[$1] = $4 - ($3 + $5) / 2 }
		END { for (r in a) if (r in b && b[r] > 0) print a[r] / b[r] }' "$1"
}

# hot_table TSV FLOOR TITLE MODE=LABEL...: markdown table of one hook's results
hot_table() {
	local tsv=$1 floor=$2 title=$3 base fl e m label
	shift 3
	base=$(awk -F'\t' 'NR > 1 { print $3; print $5 }' "$tsv" | stats)
	fl=$(added "$tsv" "$floor" | stats | awk '{ print $1 }')
	echo "### $title"
	echo
	echo "Untraced: $(fmt 1 "$base") ns per event. Rounds: $ROUNDS; CPU $CPU; clock ${BENCH_CLOCK:-wall}; $(date -u +%F)."
	echo
	echo "| tracer | added ns/event, median (min..max) | ratio to floor: of medians; per round median (min..max) | ready after s |"
	echo "| --- | --- | --- | --- |"
	for e in "$@"; do
		m=${e%%=*} label=${e#*=}
		local a rr rpr ready
		a=$(added "$tsv" "$m" | stats)
		rr=$(ratio "$(awk '{ print $1 }' <<<"$a")" "$fl")
		rpr=$(ratio_to "$tsv" "$m" "$floor" | stats)
		ready=$(awk -F'\t' -v m="$m" '$2 == m { print $6 }' "$tsv" | stats)
		printf '| %s | %s | %s; %s | %s |\n' "$label" "$(fmt 1 "$a")" "$rr" "$(fmt 2 "$rpr")" "$(fmt 2 "$ready")"
	done
	echo
}

# hook HOOK: whether BENCH_HOOKS (default: all four) names HOOK
hook() { [[ " ${BENCH_HOOKS:-syscall cswitch fault open} " == *" $1 "* ]]; }

part_hotpath() {
	hook syscall && log "hotpath: syscall (getppid via syscall(2)), $ROUNDS rounds" &&
		hot_rounds syscall "$RES/hotpath_syscall.tsv" floor-sys_exit ours-syscall ours-syscall-hash \
			bpftrace-syscall syscount bpftrace-syscall-empty
	hook cswitch && log "hotpath: context switch (pipe ping-pong, both ends on CPU $CPU)" &&
		hot_rounds cswitch "$RES/hotpath_cswitch.tsv" floor-sched_switch ours-cswitch \
			ours-cswitch-hash bpftrace-cswitch
	hook fault && log "hotpath: page fault (first touch of anonymous 4 KiB pages)" &&
		hot_rounds fault "$RES/hotpath_fault.tsv" floor-page_faults ours-fault ours-fault-hash \
			bpftrace-fault
	# open: the shipped probe through the monitor, the same text compiled as before the issue-18
	# fast path (op:before: what older kernels still run), and the peers
	hook open && log "hotpath: open of a known path (openat + close of one file in /dev/shm)" &&
		hot_rounds open "$RES/hotpath_open.tsv" floor-openat ours-open op:before opensnoop \
			opensnoop-tp bpftrace-open
	{
		echo "## 1. Hot path: added cost per event"
		echo
		hook syscall && hot_table "$RES/hotpath_syscall.tsv" floor-sys_exit "syscall: getppid() in a loop" \
			"floor-sys_exit=floor: empty bcc program, raw tracepoint sys_exit" \
			"ours-syscall=**ebpf-monitor -m syscall** (raw tracepoint sys_exit; fast path: task slots)" \
			"ours-syscall-hash=ebpf-monitor -m syscall, fast_names: 0 (the hash path: kernels without per-CPU arrays, latency: true)" \
			"bpftrace-syscall-empty=bpftrace empty program, tracepoint raw_syscalls:sys_exit" \
			"bpftrace-syscall=bpftrace @[comm, args->id] = count() (tracepoint)" \
			"syscount=syscount-bpfcc (tracepoint)"
		hook cswitch && hot_table "$RES/hotpath_cswitch.tsv" floor-sched_switch "context switch: pipe ping-pong on one CPU" \
			"floor-sched_switch=floor: empty bcc program, tracepoint sched:sched_switch" \
			"ours-cswitch=**ebpf-monitor -m context_switch** (fast path: task slots)" \
			"ours-cswitch-hash=ebpf-monitor -m context_switch, fast_names: 0 (the hash path: kernels without per-CPU arrays)" \
			"bpftrace-cswitch=bpftrace @[cpu, prev_comm, next_comm] = count()"
		hook fault && hot_table "$RES/hotpath_fault.tsv" floor-page_faults "page fault: first touch of anonymous pages" \
			"floor-page_faults=floor: empty bcc program, perf events page-faults-min/-maj, period 1" \
			"ours-fault=**ebpf-monitor -m page_fault** (fast path: task slots)" \
			"ours-fault-hash=ebpf-monitor -m page_fault, fast_names: 0 (the hash path: kernels without per-CPU arrays)" \
			"bpftrace-fault=bpftrace software:minor/major-faults:1 @[comm, cpu] = count()"
		hook open && hot_table "$RES/hotpath_open.tsv" floor-openat "open: openat(2) of a known path" \
			"floor-openat=floor: empty bcc programs, tracepoints syscalls:sys_enter_openat + sys_exit_openat" \
			"ours-open=**ebpf-monitor -m open** (tracepoints)" \
			"op:before=the open probe as shipped before issue 18 (bccprobe.py op:before; kernels before 4.18 run it)" \
			"opensnoop=opensnoop-bpfcc (fentry or kprobes; output to a file)" \
			"opensnoop-tp=opensnoop-bpfcc's program on the openat tracepoints, its consumer printing (bccprobe.py)" \
			"bpftrace-open=bpftrace @[comm, str(path), flags] = count(), entry args kept by tid"
		true
	} >"$RES/hotpath.md"
	cat "$RES/hotpath.md"
}

part_attrib() {
	log "attrib: the hot paths with and without attribution (issue 19), $ROUNDS rounds"
	hook syscall && hot_rounds syscall "$RES/attrib_syscall.tsv" floor-sys_exit ours-syscall \
		ours-syscall-attrib ours-syscall-hash ours-syscall-hash-attrib
	hook cswitch && hot_rounds cswitch "$RES/attrib_cswitch.tsv" floor-sched_switch ours-cswitch \
		ours-cswitch-attrib
	hook fault && hot_rounds fault "$RES/attrib_fault.tsv" floor-page_faults ours-fault \
		ours-fault-attrib
	hook open && hot_rounds open "$RES/attrib_open.tsv" floor-openat ours-open ours-open-attrib
	{
		echo "## 10. Attribution: the hot paths with and without it"
		echo
		echo "The same monitor, with \`attribution: {enabled: true}\` and without, in one run. Per-round"
		echo "ratio: added ns with attribution / added ns without, in the same round."
		echo
		echo "| hook | without: added ns | with: added ns | ratio with/without per round, median (min..max) |"
		echo "| --- | --- | --- | --- |"
		local h tsv plain
		for h in syscall:ours-syscall syscall:ours-syscall-hash cswitch:ours-cswitch \
			fault:ours-fault open:ours-open; do
			tsv=$RES/attrib_${h%%:*}.tsv plain=${h#*:}
			[ -f "$tsv" ] && grep -q "	$plain-attrib	" "$tsv" || continue
			printf '| %s | %s | %s | %s |\n' "$plain" "$(fmt 1 "$(added "$tsv" "$plain" | stats)")" \
				"$(fmt 1 "$(added "$tsv" "$plain-attrib" | stats)")" \
				"$(fmt 2 "$(ratio_to "$tsv" "$plain-attrib" "$plain" | stats)")"
		done
		echo
	} >"$RES/attrib.md"
	cat "$RES/attrib.md"
}

part_variants() {
	local rounds=$VARIANT_ROUNDS
	log "variants: the monitor's probes with one change at a time, $rounds rounds"
	hook syscall && ROUNDS=$rounds hot_rounds syscall "$RES/variants_syscall.tsv" floor-sys_exit \
		ours-syscall scf:full scf:hashpath scf:noread scf:task scf:noid sc:full sc:nocomm sc:noread \
		sc:nohash
	hook cswitch && ROUNDS=$rounds hot_rounds cswitch "$RES/variants_cswitch.tsv" floor-sched_switch \
		ours-cswitch csf:full csf:hashpath cs:full cs:before cs:probe_read cs:atomic cs:percpu
	hook fault && ROUNDS=$rounds hot_rounds fault "$RES/variants_fault.tsv" floor-page_faults \
		ours-fault pff:full pff:hashpath pff:noid pf:full pf:atomic pf:nocomm
	# open: where the fast path's ns go, and what raw tracepoints would cost every other syscall
	hook open && ROUNDS=$rounds hot_rounds open "$RES/variants_open.tsv" floor-openat op:before op:full \
		op:noskip op:nots op:inflight op:nocomm op:nopath op:nopathhash op:nopathid op:nocount op:tstore \
		floor-rawtp_sys op:rawtp
	hook open && ROUNDS=$rounds hot_rounds syscall "$RES/variants_open_getppid.tsv" floor-sys_exit floor-openat \
		ours-open floor-rawtp_sys op:rawtp
	{
		echo "## 1b. Where the probes' cost goes: variants"
		echo
		echo "Each variant is the monitor's probe text (probes/<m>.bpf.c, the monitor's -D flags for this"
		echo "kernel), loaded by bench/bccprobe.py on the same hook, as shipped (full) or with one change."
		echo "$rounds rounds each."
		echo
		hook syscall && ROUNDS=$rounds hot_table "$RES/variants_syscall.tsv" floor-sys_exit "syscall probe" \
			"floor-sys_exit=floor: empty program" \
			"ours-syscall=ebpf-monitor -m syscall" \
			"scf:full=fast: probes/syscall.bpf.c as shipped here (task slots), the loop's name in a slot" \
			"scf:hashpath=fast, the name without a slot: the hash path with the cached name" \
			"scf:noread=fast without the bpf_probe_read of pt_regs->orig_ax" \
			"scf:task=fast, the thread told by bpf_get_current_task() (inlined by new x86_64 JITs) instead of bpf_get_current_pid_tgid()" \
			"scf:noid=fast without bpf_get_current_pid_tgid (cache trusted: a bound)" \
			"sc:full=hash path: the probe without the fast path (old kernels, latency: true)" \
			"sc:nocomm=hash path without bpf_get_current_comm (key: epoch, nr)" \
			"sc:noread=hash path without the bpf_probe_read of pt_regs->orig_ax" \
			"sc:nohash=hash path with a per-CPU array slot instead of the per-CPU hash lookup"
		hook cswitch && ROUNDS=$rounds hot_table "$RES/variants_cswitch.tsv" floor-sched_switch "context_switch probe" \
			"floor-sched_switch=floor: empty program" \
			"ours-cswitch=ebpf-monitor -m context_switch" \
			"csf:full=fast: probes/context_switch.bpf.c as shipped here (task slots), the loop's name in a slot" \
			"csf:hashpath=fast, the names without a slot: the hash path past the pid cache" \
			"cs:full=hash path: the probe without the fast path (old kernels; record loaded directly, plain increments)" \
			"cs:before=before: as shipped until 2026-11-25 (5 bpf_probe_read, 3 atomic adds)" \
			"cs:probe_read=probe_read: the record read with 5 bpf_probe_read calls" \
			"cs:atomic=atomic: atomic adds instead of plain increments" \
			"cs:percpu=percpu: BPF_PERCPU_HASH"
		hook fault && ROUNDS=$rounds hot_table "$RES/variants_fault.tsv" floor-page_faults "page_fault probe" \
			"floor-page_faults=floor: empty programs" \
			"ours-fault=ebpf-monitor -m page_fault" \
			"pff:full=fast: probes/page_fault.bpf.c as shipped here (task slots), the loop's name in a slot" \
			"pff:hashpath=fast, the name without a slot: the hash path with the cached name" \
			"pff:noid=fast without bpf_get_current_pid_tgid (cache trusted: a bound)" \
			"pf:full=hash path: the probe without the fast path (old kernels; plain increment)" \
			"pf:atomic=atomic: as shipped until 2026-11-25 (an atomic add)" \
			"pf:nocomm=nocomm: no bpf_get_current_comm"
		hook open && ROUNDS=$rounds hot_table "$RES/variants_open.tsv" floor-openat "open probe: openat(2) of a known path" \
			"floor-openat=floor: empty programs on syscalls:sys_enter_openat + sys_exit_openat" \
			"op:before=before: as shipped before issue 18 (the 288-byte key; kernels before 4.18)" \
			"op:full=full: probes/open.bpf.c as shipped (the fast path: 40-byte key, paths by id)" \
			"op:noskip=noskip: no self check at the entry" \
			"op:nots=nots: no bpf_ktime_get_ns at entry and exit" \
			"op:inflight=inflight: the exit returns once it found its in-flight entry" \
			"op:nocomm=nocomm: no bpf_get_current_comm" \
			"op:nopath=nopath: no path read" \
			"op:nopathhash=nopathhash: no hash of the path computed" \
			"op:nopathid=nopathid: no open_paths lookup and compare" \
			"op:nocount=nocount: a per-CPU array slot instead of the counts' per-CPU hash lookup" \
			"op:tstore=tstore: the in-flight record in task storage (5.11+) instead of the LRU hash" \
			"floor-rawtp_sys=floor: empty programs on the sys_enter + sys_exit raw tracepoints" \
			"op:rawtp=rawtp: the fast path on the raw tracepoints, opens picked by number"
		hook open && ROUNDS=$rounds hot_table "$RES/variants_open_getppid.tsv" floor-sys_exit "open probe: what it costs every other syscall (getppid)" \
			"floor-sys_exit=floor of the syscall monitor's hook: empty program on the sys_exit raw tracepoint" \
			"floor-openat=empty programs on syscalls:sys_enter_openat + sys_exit_openat" \
			"ours-open=ebpf-monitor -m open (the openat tracepoints)" \
			"floor-rawtp_sys=empty programs on the sys_enter + sys_exit raw tracepoints" \
			"op:rawtp=rawtp: the open probe on the raw tracepoints, opens picked by number"
		true
	} >"$RES/variants.md"
	cat "$RES/variants.md"
}

# interleaved_run interleave|body LOOP TSV MODE...: bccprobe.py interleave or body (see there):
# cycles of (no tracer and) each MODE in turn, the order rotating; one TSV line per run: cycle,
# mode, ns per event (interleave) or per program run (body).
interleaved_run() {
	local how=$1 loop=$2 tsv=$3 args cycles=$CYCLES
	shift 3
	case $loop in
	syscall) args="$SYSCALL_N 10" ;;
	cswitch) args="$CSWITCH_N 5" ;;
	fault) args="$FAULT_MB 5" ;;
	esac
	[ "$how" = body ] && cycles=$BODY_CYCLES
	printf 'cycle\tmode\tns\n' >"$tsv"
	BENCH_HOTLOOP=$WORK/hotloop BENCH_HOTLOOP_ARGS=$args BENCH_CPU=$CPU \
		"$PY" "$BENCH/bccprobe.py" "$how" "$loop" "$cycles" "$@" | grep -v '^attached' >>"$tsv" ||
		log "WARNING: bccprobe.py $how $loop failed"
}

# body_table TSV FLOOR TITLE MODE=LABEL...: each mode's ns per program run, median (min..max)
# over the cycles, and the median minus the empty program's (the timing's own cost).
body_table() {
	local tsv=$1 floor=$2 title=$3 e m label fl
	shift 3
	fl=$(awk -F'\t' -v m="$floor" '$2 == m { print $3 }' "$tsv" | stats | awk '{ print $1 }')
	echo "#### $title"
	echo
	echo "$(awk -F'\t' 'NR > 1 { print $1 }' "$tsv" | sort -u | wc -l) cycles; CPU $CPU; $(date -u +%F)."
	echo
	echo "| program | ns per run, median (min..max) | over the empty program |"
	echo "| --- | --- | --- |"
	for e in "$@"; do
		m=${e%%=*} label=${e#*=}
		local a
		a=$(awk -F'\t' -v m="$m" '$2 == m { print $3 }' "$tsv" | stats)
		printf '| %s | %s | %s |\n' "$label" "$(fmt 1 "$a")" \
			"$(awk -v a="$(awk '{ print $1 }' <<<"$a")" -v f="$fl" 'BEGIN { if (a == "NA" || f == "") print "n/a"; else printf "%.1f\n", a - f }')"
	done
	echo
}

# interleaved_table TSV FLOOR TITLE MODE=LABEL...: each mode's added ns per event (its run minus
# the untraced run of the same cycle), median over all cycles; and the ratio to the floor's, of
# the medians and per round (the cycles cut into $ROUNDS consecutive rounds: median (min..max)).
interleaved_table() {
	local tsv=$1 floor=$2 title=$3 e m label
	shift 3
	echo "#### $title"
	echo
	echo "Untraced: $(awk -F'\t' '$2 == "none" { print $3 }' "$tsv" | stats | fmt 1 "$(cat)") ns per event;" \
		"$(awk -F'\t' 'NR > 1 { print $1 }' "$tsv" | sort -u | wc -l) cycles, $ROUNDS rounds; CPU $CPU; $(date -u +%F)."
	echo
	echo "| tracer | added ns/event, median (min..max of the rounds' medians) | ratio to floor: of medians; per round median (min..max) |"
	echo "| --- | --- | --- |"
	for e in "$@"; do
		m=${e%%=*} label=${e#*=}
		awk -F'\t' -v m="$m" -v f="$floor" -v R="$ROUNDS" '
			function median(a, n,   i, j, t) {
				if (n < 1) return 0
				for (i = 2; i <= n; i++)
					for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
				return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
			}
			NR > 1 { ns[$1, $2] = $3; if ($1 + 1 > nc) nc = $1 + 1 }
			END {
				per = int(nc / R)
				if (per < 1) { per = 1; R = nc }
				na = 0; nf = 0
				for (r = 1; r <= R; r++) {
					split("", A); split("", F); k = 0; l = 0
					for (c = (r - 1) * per; c < r * per; c++) {
						if (!((c, "none") in ns)) continue
						if ((c, m) in ns) { k++; A[k] = ns[c, m] - ns[c, "none"]; na++; all[na] = A[k] }
						if ((c, f) in ns) { l++; F[l] = ns[c, f] - ns[c, "none"]; nf++; allf[nf] = F[l] }
					}
					am = median(A, k); fm = median(F, l)
					rm[r] = am
					if (fm > 0) { nr++; ra[nr] = am / fm }
				}
				tot = median(all, na); totf = median(allf, nf)
				ratio = "n/a"
				if (totf > 0) ratio = sprintf("%.2f", tot / totf)
				lo = rm[1]; hi = rm[1]
				for (r = 1; r <= R; r++) {
					if (rm[r] < lo) lo = rm[r]
					if (rm[r] > hi) hi = rm[r]
				}
				# rounds whose floor measured nothing (noise) have no ratio
				rr = "n/a"
				if (nr) {
					rlo = ra[1]; rhi = ra[1]
					for (r = 1; r <= nr; r++) {
						if (ra[r] < rlo) rlo = ra[r]
						if (ra[r] > rhi) rhi = ra[r]
					}
					rr = sprintf("%.2f (%.2f..%.2f)", median(ra, nr), rlo, rhi)
					if (nr < R) rr = rr sprintf(" of %d rounds", nr)
				}
				printf "%.1f (%.1f..%.1f)\t%s\t%s\n", tot, lo, hi, ratio, rr
			}' "$tsv" | while IFS=$'\t' read -r a r rr; do
			printf '| %s | %s | %s; %s |\n' "$label" "$a" "$r" "$rr"
		done
	done
	echo
}

part_interleaved() {
	log "interleaved: the probes against the floor, $CYCLES cycles per hook"
	interleaved_run interleave syscall "$RES/interleaved_syscall.tsv" floor-sys_exit scf:full sc:full
	interleaved_run interleave cswitch "$RES/interleaved_cswitch.tsv" floor-sched_switch csf:full \
		csf:hashpath cs:full
	interleaved_run interleave fault "$RES/interleaved_fault.tsv" floor-page_faults pff:full \
		pff:hashpath pf:full
	log "interleaved: the programs timed from inside, $BODY_CYCLES cycles per hook"
	interleaved_run body syscall "$RES/body_syscall.tsv" floor-sys_exit scf:full sc:full
	interleaved_run body cswitch "$RES/body_cswitch.tsv" floor-sched_switch csf:full csf:hashpath cs:full
	interleaved_run body fault "$RES/body_fault.tsv" floor-page_faults pff:full pff:hashpath pf:full \
		pf:nocomm
	{
		echo "## 1d. The probes against the floor, finely interleaved"
		echo
		echo "The probe texts as the monitors build them on this kernel (bench/bccprobe.py), all loaded in"
		echo "one process and attached one at a time around a short run of the hot loop ($SYSCALL_N"
		echo "getppid() x 10 bursts, $CSWITCH_N round trips x 5, $FAULT_MB MiB x 5; the least disturbed burst),"
		echo "with an untraced run in each cycle: every case is measured several times a second, so the"
		echo "machine's drifts (other tenants, clock) fall on all of them alike. The fast path's rows"
		echo "are its steady state: the loop's task name holds slot 0, as the monitor gives it to a busy"
		echo "name; the hash path is what kernels without per-CPU arrays run (fast_names: 0)."
		echo
		interleaved_table "$RES/interleaved_syscall.tsv" floor-sys_exit "syscall (raw sys_exit)" \
			"floor-sys_exit=floor: empty program" \
			"scf:full=fast path (task slots)" \
			"sc:full=hash path"
		interleaved_table "$RES/interleaved_cswitch.tsv" floor-sched_switch "context switch (sched:sched_switch)" \
			"floor-sched_switch=floor: empty program" \
			"csf:full=fast path (task slots): both names in slots" \
			"csf:hashpath=fast path built, names without slots (the hash path past the pid cache)" \
			"cs:full=hash path"
		interleaved_table "$RES/interleaved_fault.tsv" floor-page_faults "page fault (perf events page-faults-min/-maj)" \
			"floor-page_faults=floor: empty programs" \
			"pff:full=fast path (task slots)" \
			"pff:hashpath=fast path built, the name without a slot (the hash path, cached name)" \
			"pf:full=hash path"
		echo "## 1e. The probes' own time"
		echo
		echo "The same programs, each timed from inside (bench/bccprobe.py body): its body between two"
		echo "bpf_ktime_get_ns() calls, summed in a per-CPU map of the bench's own, over the runs of the"
		echo "same hot loop (nothing global is switched on, unlike kernel.bpf_stats_enabled). The empty"
		echo "program's figure is the timing's own cost: a probe's own time is its figure minus that."
		echo "What the hook costs before and after the program (the floor's added time above) is not in"
		echo "these figures, so they move much less with the machine's load."
		echo
		body_table "$RES/body_syscall.tsv" floor-sys_exit "syscall (raw sys_exit)" \
			"floor-sys_exit=empty program" \
			"scf:full=fast path (task slots)" \
			"sc:full=hash path"
		body_table "$RES/body_cswitch.tsv" floor-sched_switch "context switch (sched:sched_switch)" \
			"floor-sched_switch=empty program" \
			"csf:full=fast path (task slots)" \
			"csf:hashpath=fast path built, names without slots" \
			"cs:full=hash path"
		body_table "$RES/body_fault.tsv" floor-page_faults "page fault (perf events)" \
			"floor-page_faults=empty programs" \
			"pff:full=fast path (task slots)" \
			"pff:hashpath=fast path built, the name without a slot" \
			"pf:full=hash path" \
			"pf:nocomm=hash path without bpf_get_current_comm"
	} >"$RES/interleaved.md"
	cat "$RES/interleaved.md"
}

# ---- 2. mixed workload (and the monitor's CPU under load) -----------------------------------

MIX=$WORK/mixed
SHM=/dev/shm/ebpf-bench-files
mixed_setup() {
	rm -rf "$MIX"
	mkdir -p "$MIX/src"
	# A copy of this source tree (no build directories), configured once.
	(cd "$REPO" && git ls-files -co --exclude-standard | grep -v '^build' | tar -cf - -T -) |
		tar -C "$MIX/src" -xf - || die "cannot copy the source tree"
	cmake -S "$MIX/src" -B "$MIX/build" -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		>"$MIX/cmake.log" 2>&1 || die "cmake failed: $MIX/cmake.log"
	cp /bin/true "$MIX/true_mixed"
	# The file phase works in a tmpfs: a copy of /usr/include read from disk would make it an
	# I/O benchmark of this shared machine's disk and page cache (both busy, both noisy).
	rm -rf "$SHM"
	mkdir -p "$SHM"
	cp -a /usr/include "$SHM/src"
}
# files_phase N: N times copy /usr/include (in the tmpfs), grep it, read the larger headers again,
# delete the copy; prints the seconds it took
files_phase() {
	local i t0
	t0=$(now)
	for ((i = 0; i < $1; i++)); do
		cp -a "$SHM/src" "$SHM/files"
		grep -r -c define "$SHM/files" >/dev/null
		find "$SHM/files" -name '*.h' -size +8k | xargs -r cat >/dev/null
		rm -rf "$SHM/files"
	done
	calc "$(now) - $t0"
	echo
}
# mixed_workload: prints 12 numbers: wall seconds of build, files, exec, total; CPU seconds
# (user+system of everything the phase ran: this subshell's cutime+cstime, which includes the
# BPF programs' run time, charged to the traced tasks) of the same; system seconds of the same.
mixed_workload() {
	local t0 t1 t2 t3 c0 c1 c2 c3 me=$BASHPID
	# "cpu sys" of the children waited for so far
	kids_cpu() { awk -v hz="$CLK_TCK" '{ printf "%.2f %.2f", ($16 + $17) / hz, $17 / hz }' "/proc/$me/stat"; }
	make -C "$MIX/build" clean >/dev/null 2>&1
	sync
	c0=$(kids_cpu) t0=$(now)
	make -C "$MIX/build" -j2 >"$MIX/make.log" 2>&1 || log "WARNING: build failed, see $MIX/make.log"
	c1=$(kids_cpu) t1=$(now)
	files_phase 3 >/dev/null
	c2=$(kids_cpu) t2=$(now)
	MIXTRUE=$MIX/true_mixed N=$EXECS sh -c 'i=0; while [ $i -lt $N ]; do $MIXTRUE; i=$((i + 1)); done'
	c3=$(kids_cpu) t3=$(now)
	echo "$t0 $t1 $t2 $t3 $c0 $c1 $c2 $c3" | awk '{
		printf "%.4f %.4f %.4f %.4f", $2 - $1, $3 - $2, $4 - $3, $4 - $1
		printf " %.2f %.2f %.2f %.2f", $7 - $5, $9 - $7, $11 - $9, $11 - $5
		printf " %.2f %.2f %.2f %.2f\n", $8 - $6, $10 - $8, $12 - $10, $12 - $6 }'
}
# busy CPU ticks of the whole machine (user nice system irq softirq steal), from /proc/stat
machine_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# mixed_counts: each phase once more, unmonitored, under perf stat (the workload's own events);
# then the CPU the hot paths alone would add: events x added ns per event from part 1
# (hotpath_*.tsv, when part 1 ran in this results directory).
mixed_counts() {
	local ev="raw_syscalls:sys_exit,page-faults,context-switches,syscalls:sys_exit_openat,sched:sched_process_exec"
	local p f sc pf cs
	command -v perf >/dev/null || { log "perf missing: no event counts"; return 0; }
	log "mixed: event counts of each phase (perf stat, unmonitored)"
	make -C "$MIX/build" clean >/dev/null 2>&1
	perf stat -x, -o "$RES/mixed_counts_build.csv" -e "$ev" -- make -C "$MIX/build" -j2 >/dev/null 2>&1
	export -f files_phase now calc
	export SHM
	perf stat -x, -o "$RES/mixed_counts_files.csv" -e "$ev" -- bash -c 'files_phase 3' >/dev/null 2>&1
	perf stat -x, -o "$RES/mixed_counts_exec.csv" -e "$ev" -- env MIXTRUE="$MIX/true_mixed" N="$EXECS" \
		sh -c 'i=0; while [ $i -lt $N ]; do $MIXTRUE; i=$((i + 1)); done' >/dev/null 2>&1
	ours() { [ -f "$RES/hotpath_$1.tsv" ] && added "$RES/hotpath_$1.tsv" "ours-$1" | stats | awk '{ print $1 }'; }
	sc=$(ours syscall) pf=$(ours fault) cs=$(ours cswitch)
	{
		echo "Event counts of each phase (one unmonitored run under \`perf stat\`; the workload's own tasks),"
		echo "and the CPU the three measured hot paths alone would add: count x ebpf-monitor's added ns"
		echo "per event from part 1 (syscall ${sc:-?} ns, page fault ${pf:-?} ns, context switch ${cs:-?} ns), as %"
		echo "of the phase's median baseline CPU:"
		echo
		echo "| phase | syscalls | page faults | context switches | openat | execs | predicted hot-path CPU | measured: added system time |"
		echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
		for p in build:7 files:8 exec:9; do
			f=$RES/mixed_counts_${p%%:*}.csv
			local n_sc n_pf n_cs n_op n_ex base pred meas
			get() { awk -F, -v e="$1" '$3 == e { print $1 + 0 }' "$f"; }
			n_sc=$(get raw_syscalls:sys_exit) n_pf=$(get page-faults) n_cs=$(get context-switches)
			n_op=$(get syscalls:sys_exit_openat) n_ex=$(get sched:sched_process_exec)
			base=$(col "${p#*:}" base | stats | awk '{ print $1 }')
			pred=n/a
			[ -n "$sc" ] && [ -n "$pf" ] && [ -n "$cs" ] &&
				pred=$(awk -v a="$n_sc" -v b="$n_pf" -v c="$n_cs" -v x="$sc" -v y="$pf" -v z="$cs" -v t="$base" \
					'BEGIN { printf "%.1f %%", 100 * (a * x + b * y + c * z) / 1e9 / t }')
			meas=$(sys_added $((${p#*:} + 4)) | stats | awk '{ printf "%.1f %%", 100 * ($1 - 1) }')
			printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "${p%%:*}" "$n_sc" "$n_pf" "$n_cs" "$n_op" "$n_ex" "$pred" "$meas"
		done
		echo
	} >>"$RES/mixed.md"
	tail -n +"$(grep -n "^Event counts of each phase" "$RES/mixed.md" | cut -d: -f1)" "$RES/mixed.md"
}

part_mixed() {
	local i w c0 c1 t0 t1 s0 s1 mcpu others cpu hwm lost tsv=$RES/mixed.tsv
	log "mixed: copying and configuring the source tree under $MIX"
	mixed_setup
	log "mixed: warm-up build (not counted)"
	make -C "$MIX/build" -j2 >/dev/null 2>&1
	printf 'run\tkind\tbuild_s\tfiles_s\texec_s\ttotal_s\tbuild_cpu\tfiles_cpu\texec_cpu\ttotal_cpu\tbuild_sys\tfiles_sys\texec_sys\ttotal_sys\tmon_cpu_s\tothers_pct\tmon_hwm_kb\tlost\n' >"$tsv"
	for ((i = 0; i < 2 * PAIRS + 1; i++)); do
		mcpu=0 hwm= lost=
		if ((i % 2 == 1)); then
			monitor_start "$ALL_MONITORS" || die "monitor did not start"
			sleep 1
			c0=$(cpu_ns "$BG_PID")
		fi
		s0=$(machine_busy) t0=$(now)
		w=$(mixed_workload)
		s1=$(machine_busy) t1=$(now)
		if ((i % 2 == 1)); then
			c1=$(cpu_ns "$BG_PID")
			mcpu=$(calc "($c1 - $c0) / 1e9")
			hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$BG_PID/status")
			bg_stop
			lost=$(lost_total "$BG_OUT")
		fi
		# CPU the rest of the machine used meanwhile (other tenants), % of all CPUs
		others=$(calc "100 * (($s1 - $s0) / $CLK_TCK - $(awk '{ print $8 }' <<<"$w") - $mcpu) / (($t1 - $t0) * $(nproc))")
		printf '%d\t%s\t%s\t%s\t%s\t%s\t%s\n' "$i" "$( ((i % 2)) && echo mon || echo base)" \
			"$(tr ' ' '\t' <<<"$w")" "$mcpu" "$others" "$hwm" "$lost" >>"$tsv"
		log "  run $i $( ((i % 2)) && echo monitored || echo baseline): wall, cpu, sys (build files exec total): $w; monitor CPU ${mcpu} s; others ${others} %; lost ${lost:-n/a}"
	done
	# ratio of each monitored run to the mean of the baselines either side of it, per column
	# (CPU: the workload's CPU plus the monitor's own, over the baselines' workload CPU)
	mixed_ratio() {
		awk -F'\t' -v c="$1" -v addmon="${2:-0}" 'NR > 1 { v[$1] = $c + (addmon ? $15 : 0); k[$1] = $2 }
			END { for (i in k) if (k[i] == "mon") print v[i] / ((v[i - 1] + v[i + 1]) / 2) }' "$tsv"
	}
	# added system time (plus, for the total, the monitor's own CPU) over the baseline CPU:
	# user time is where this machine's noise is (other tenants slow user code down by +-10 %
	# from run to run); the probes run in the kernel, so their cost shows in system time
	sys_added() {
		awk -F'\t' -v s="$1" -v c="$(($1 - 4))" -v addmon="${2:-0}" 'NR > 1 { sy[$1] = $s + (addmon ? $15 : 0); cp[$1] = $c; k[$1] = $2 }
			END { for (i in k) if (k[i] == "mon") print (sy[i] - (sy[i - 1] + sy[i + 1]) / 2) / ((cp[i - 1] + cp[i + 1]) / 2) + 1 }' "$tsv"
	}
	col() { awk -F'\t' -v c="$1" -v k="$2" 'NR > 1 && $2 == k { print $c }' "$tsv"; }
	{
		echo "## 2. Whole-system overhead: mixed workload, all monitors ($ALL_MONITORS)"
		echo
		echo "Runs: base, mon, base, ... ($PAIRS monitored, $((PAIRS + 1)) baselines); each ratio is a"
		echo "monitored run over the mean of the baselines either side of it. $(date -u +%F)."
		echo
		echo "| phase | baseline wall s, median (min..max) | monitored wall s | **wall ratio** monitored/unmonitored | CPU ratio (workload + monitor) / workload | 1 + (added system time + monitor CPU) / baseline CPU |"
		echo "| --- | --- | --- | --- | --- | --- |"
		local c name
		for c in 3:build 4:files 5:exec 6:total; do
			name=${c#*:} c=${c%%:*}
			local tot
			tot=$([ "$name" = total ] && echo 1 || echo 0)
			printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$(col "$c" base | stats | fmt 2 "$(cat)")" \
				"$(col "$c" mon | stats | fmt 2 "$(cat)")" "$(mixed_ratio "$c" | stats | fmt 3 "$(cat)")" \
				"$(mixed_ratio $((c + 4)) "$tot" | stats | fmt 3 "$(cat)")" \
				"$(sys_added $((c + 8)) "$tot" | stats | fmt 3 "$(cat)")"
		done
		echo
		echo "Phases: build = \`make -j2\` of this project from clean (all targets, tests included);"
		echo "files = 3 times: copy /usr/include ($(find /usr/include -type f | wc -l) files, in a tmpfs), grep it, read the larger"
		echo "headers again, delete the copy; exec = a shell loop running a copy of /bin/true $EXECS times."
		echo "CPU = user+system time of everything the phase ran (the BPF programs run in those tasks and"
		echo "are charged to them); for the total, the monitor's own CPU is added. The CPU ratio does not"
		echo "move when another tenant takes a CPU away; the wall ratio does. Both still carry the machine's"
		echo "run-to-run noise in user time (+-10 %), which the probes do not touch: the last column counts"
		echo "only the system time the monitored run added (where the probes run) and the monitor's own CPU."
		echo
		echo "Other tenants' CPU during the runs (machine busy minus ours), % of all CPUs: baseline runs"
		echo "$(col 16 base | stats | fmt 1 "$(cat)"), monitored runs $(col 16 mon | stats | fmt 1 "$(cat)")."
		echo "The monitor's own CPU during the monitored runs: $(awk -F'\t' 'NR > 1 && $2 == "mon" { print 100 * $15 / $6 }' "$tsv" | stats | fmt 2 "$(cat)") % of one core;"
		echo "its VmHWM: $(col 17 mon | stats | awk '{ printf "%.1f MiB (%.1f..%.1f)", $1 / 1024, $2 / 1024, $3 / 1024 }');"
		echo "events reported lost: $(col 18 mon | stats | fmt 0 "$(cat)") per run."
		echo
	} >"$RES/mixed.md"
	cat "$RES/mixed.md"
	mixed_counts
	# Where the file phase's cost goes: one pass of it (no build, no execs) under each monitor
	# alone, under all of them, and under the syscall floor (an empty program on sys_exit).
	log "mixed: the file phase under each monitor alone, $SPLIT_ROUNDS rounds"
	# Only the monitors whose events the pass is made of: a pass makes ~260k syscalls and ~30k
	# opens but a few dozen context switches and page faults, 8 execs and next to no interrupts
	# or block I/O (see the counts above), so the others' share is below this machine's noise.
	local m modes=(floor-sys_exit "mon:$ALL_MONITORS" mon:syscall mon:open)
	ROUNDS=$SPLIT_ROUNDS hot_rounds files "$RES/mixed_split.tsv" "${modes[@]}"
	{
		echo "Where the file phase's cost goes: one pass of it, the quicker of two ($(calc "$(awk -F'\t' 'NR > 1 { print $3 }' "$RES/mixed_split.tsv" | stats | awk '{ print $1 }')") s unmonitored), paired with"
		echo "baselines as above, $SPLIT_ROUNDS rounds:"
		echo
		echo "| traced by | ratio to unmonitored, median (min..max) | events lost (last round) |"
		echo "| --- | --- | --- |"
		for m in "${modes[@]}"; do
			printf '| %s | %s | %s |\n' "${m#mon:}" "$(awk -F'\t' -v m="$m" '$2 == m { print $4 / (($3 + $5) / 2) }' "$RES/mixed_split.tsv" | stats | fmt 3 "$(cat)")" \
				"$(awk -F'\t' -v m="$m" '$2 == m { l = $7 } END { print l }' "$RES/mixed_split.tsv")"
		done
		echo
	} >>"$RES/mixed.md"
	rm -rf "$SHM"
	tail -n +$(($(grep -n "^Where the file phase" "$RES/mixed.md" | cut -d: -f1))) "$RES/mixed.md"
}

# ---- 3. startup ---------------------------------------------------------------------------

part_startup() {
	local r t0 t1 tsv=$RES/startup.tsv dbg=$WORK/run/debug.yaml
	# The same configuration at DEBUG level: the log file's millisecond timestamps split the startup.
	sed 's/^  level: INFO/  level: DEBUG/' "$CONFIG" >"$dbg"
	log "startup: compile time of each probe text (bcc python, same libbcc)"
	"$PY" "$BENCH/bccprobe.py" compile-times 2>/dev/null | tee "$RES/compile_times.tsv" >&2
	printf 'round\tmode\tseconds\n' >"$tsv"
	: >"$RES/startup_split.tsv"
	for ((r = 1; r <= STARTUP_ROUNDS; r++)); do
		# the monitor, every monitor: launch -> "attached in", and wall of a --duration 1 run
		mkdir -p "$WORK/run"
		rm -rf "$WORK/run/logs" "$WORK/run/output"
		local launch
		launch=$(date +%H:%M:%S.%N)
		t0=$(now)
		(cd "$WORK/run" && "$MON" -c "$dbg" -m "$ALL_MONITORS" --duration 1 >/dev/null 2>"$WORK/run/startup.err")
		t1=$(now)
		printf '%d\tattached_in\t%s\n' "$r" "$(attached_in "$WORK/run/startup.err")" >>"$tsv"
		printf '%d\tduration1_wall_minus_1\t%s\n' "$r" "$(calc "$t1 - $t0 - 1")" >>"$tsv"
		printf '%d\tstop\t%s\n' "$r" "$(calc "$t1 - $t0 - 1 - $(attached_in "$WORK/run/startup.err")")" >>"$tsv"
		# per-monitor split: from the previous "<m>: filters:" line (or the launch) to this one's
		awk -v launch="$launch" -v r="$r" '
			function sec(s,  a) { split(s, a, /[:,.]/); return a[1] * 3600 + a[2] * 60 + a[3] + ("0." a[4]) }
			BEGIN { prev = sec(launch) }
			/: filters: / { t = sec($2); m = $5; sub(/:$/, "", m); printf "%d\t%s\t%.3f\n", r, m, t - prev; prev = t }
		' "$WORK/run/logs/monitor.log" >>"$RES/startup_split.tsv"
		# the BPF feature probes (tiny programs loaded to learn what this kernel's BPF takes)
		printf '%d\tfeature_probes\t%s\n' "$r" "$(sed -n 's/.*BPF features probed in \([0-9.]*\) ms.*/\1/p' \
			"$WORK/run/logs/monitor.log" | head -n1 | awk '{ printf "%.5f", $1 / 1000 }')" >>"$tsv"
		# --check (compiles and loads every probe, then exits)
		t0=$(now)
		(cd "$WORK/run" && "$MON" -c "$CONFIG" -m "$ALL_MONITORS" --check >/dev/null 2>&1)
		printf '%d\tcheck_wall\t%s\n' "$r" "$(calc "$(now) - $t0")" >>"$tsv"
		# peers, to ready: an empty bcc program, syscount-bpfcc, bpftrace one probe
		tracer_start floor-sys_exit && bg_stop && printf '%d\tbcc_empty\t%s\n' "$r" "$BG_READY_S" >>"$tsv"
		tracer_start syscount && bg_stop && printf '%d\tsyscount\t%s\n' "$r" "$BG_READY_S" >>"$tsv"
		tracer_start bpftrace-syscall && bg_stop && printf '%d\tbpftrace\t%s\n' "$r" "$BG_READY_S" >>"$tsv"
		log "  round $r: $(awk -F'\t' -v r="$r" '$1 == r { printf "%s=%s ", $2, $3 }' "$tsv")"
	done
	col() { awk -F'\t' -v m="$1" '$2 == m { print $3 }' "$2"; }
	local att
	att=$(col attached_in "$tsv" | stats | awk '{ print $1 }')
	{
		echo "## 3. Startup, all monitors ($ALL_MONITORS)"
		echo
		echo "$STARTUP_ROUNDS rounds, each: the monitor, --check, then the peers. $(date -u +%F)."
		echo
		echo "| what | seconds, median (min..max) | monitor's attached-in / this |"
		echo "| --- | --- | --- |"
		local m label
		for m in "attached_in=launch to \"N monitor(s) attached in X s\"" \
			"duration1_wall_minus_1=wall of --duration 1, minus 1 s (includes the stop)" \
			"stop=of which the stop: that minus attached-in" \
			"check_wall=wall of --check" \
			"feature_probes=of attached-in: the BPF feature probes (5 tiny loads)" \
			"bcc_empty=floor: bcc python, one empty program, to attached" \
			"syscount=syscount-bpfcc, to \"Tracing\"" \
			"bpftrace=bpftrace one tracepoint, to \"Attaching\""; do
			label=${m#*=} m=${m%%=*}
			local s
			s=$(col "$m" "$tsv" | stats)
			printf '| %s | %s | %s |\n' "$label" "$(fmt "$([ "$m" = feature_probes ] && echo 5 || echo 2)" "$s")" \
				"$(ratio "$att" "$(awk '{ print $1 }' <<<"$s")")"
		done
		echo
		echo "Where the time goes, from the DEBUG log's timestamps: from the previous monitor ready (or the"
		echo "launch) to this one ready. The probes compile in parallel child processes ($(nproc) at a time here),"
		echo "so the first monitor's figure holds most of the compile wait:"
		echo
		echo "| monitor | seconds, median (min..max) |"
		echo "| --- | --- |"
		for m in $(awk -F'\t' '{ print $2 }' "$RES/startup_split.tsv" | awk '!s[$0]++' | tr ' ' '~'); do
			m=${m//\~/ }
			printf '| %s | %s |\n' "$m" "$(awk -F'\t' -v m="$m" '$2 == m { print $3 }' "$RES/startup_split.tsv" | stats | fmt 3 "$(cat)")"
		done
		echo
		echo "Compile time of each probe text alone, one after another in one process (bench/bccprobe.py"
		echo "compile-times, one run):"
		echo
		echo "| probe text | seconds |"
		echo "| --- | --- |"
		awk -F'\t' '{ printf "| %s | %.3f |\n", $2, $3 }' "$RES/compile_times.tsv"
		echo
	} >"$RES/startup.md"
	cat "$RES/startup.md"
}

# ---- 4. memory ----------------------------------------------------------------------------

# map_table PID: one line per BPF map of PID (fdinfo), with its name from bpftool when available
map_table() {
	local pid=$1 fd id name
	for fd in /proc/"$pid"/fd/*; do
		[ "$(readlink "$fd")" = "anon_inode:bpf-map" ] || continue
		id=$(awk '$1 == "map_id:" { print $2 }' "/proc/$pid/fdinfo/${fd##*/}")
		name=?
		command -v bpftool >/dev/null &&
			name=$(bpftool map show id "$id" 2>/dev/null | sed -nE '1s/.* name ([^ ]+) .*/\1/p')
		awk -v name="${name:-?}" '
			{ v[$1] = $2 }
			END { printf "%s\t%s\t%s\t%s\t%s\t%s\n", name, v["map_type:"], v["key_size:"],
				v["value_size:"], v["max_entries:"], v["memlock:"] }' "/proc/$pid/fdinfo/${fd##*/}"
	done
}

# mapping_sizes PID: "path bytes" for each mapping of PID that has a path (bash does the hex)
mapping_sizes() {
	local range perms off dev inode path
	while read -r range perms off dev inode path; do
		[ -n "$path" ] || continue
		echo "$path $((0x${range#*-} - 0x${range%-*}))"
	done <"/proc/$1/maps"
}

part_memory() {
	local pid sampler_out=$WORK/run/rss_samples.tsv
	log "memory: RSS through startup and a short load, maps, perf buffers"
	mkdir -p "$WORK/run"
	# sample the newest ebpf-monitor started from $WORK/run every 20 ms
	: >"$sampler_out"
	# (the daemon is "ebpf-monitor"; its short-lived compiler processes are "em-compile")
	(
		while sleep 0.02; do
			for p in $(pgrep -x ebpf-monitor) $(pgrep -x em-compile); do
				[ "$(readlink "/proc/$p/cwd" 2>/dev/null)" = "$WORK/run" ] || continue
				awk '/^Name:/ { printf "%s ", $2 } /^(VmRSS|RssAnon|RssFile|VmHWM):/ { printf "%s=%s ", $1, $2 } END { print "" }' \
					"/proc/$p/status" 2>/dev/null
			done
		done >>"$sampler_out"
	) &
	SAMPLER=$!
	monitor_start "$ALL_MONITORS" || die "monitor did not start"
	pid=$BG_PID
	MIXTRUE=/bin/true sh -c 'i=0; while [ $i -lt 1000 ]; do $MIXTRUE; i=$((i + 1)); done'
	cp -a /usr/include "$WORK/run/inc" && grep -r -c define "$WORK/run/inc" >/dev/null && rm -rf "$WORK/run/inc"
	sleep 3
	local status perfbuf libs
	status=$(grep -E '^(VmHWM|VmRSS|RssAnon|RssFile|RssShmem)' "/proc/$pid/status")
	map_table "$pid" >"$RES/maps.tsv"
	perfbuf=$(mapping_sizes "$pid" | awk '$1 ~ /perf_event/ { s += $2 } END { print s + 0 }')
	libs=$(mapping_sizes "$pid" | awk '$1 ~ /\.so/ { sz[$1] += $2 }
		END { for (l in sz) if (sz[l] > 4 * 1048576) printf "%s %.0f MiB; ", l, sz[l] / 1048576 }')
	bg_stop
	kill "$SAMPLER" 2>/dev/null
	wait "$SAMPLER" 2>/dev/null
	SAMPLER=
	local peak_anon peak_file peak_cc
	peak_anon=$(grep '^ebpf-monitor ' "$sampler_out" | grep -oE 'RssAnon:=[0-9]+' | cut -d= -f2 | sort -n | tail -1)
	peak_file=$(grep '^ebpf-monitor ' "$sampler_out" | grep -oE 'RssFile:=[0-9]+' | cut -d= -f2 | sort -n | tail -1)
	peak_cc=$(grep '^em-compile ' "$sampler_out" | grep -oE 'VmHWM:=[0-9]+' | cut -d= -f2 | sort -n | tail -1)
	# maximum RSS of whole runs, against peers, interleaved (GNU time -v)
	local tsv=$RES/memory_maxrss.tsv r
	printf 'round\twhat\tmaxrss_kb\n' >"$tsv"
	maxrss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ { print $2 }'; }
	for ((r = 1; r <= 3; r++)); do
		printf '%d\tmonitor\t%s\n' "$r" "$(cd "$WORK/run" && maxrss "$MON" -c "$CONFIG" -m "$ALL_MONITORS" --duration 2)" >>"$tsv"
		printf '%d\tbcc_empty\t%s\n' "$r" "$(maxrss timeout -s TERM 2 "$PY" "$BENCH/bccprobe.py" floor-sys_exit)" >>"$tsv"
		printf '%d\tsyscount\t%s\n' "$r" "$(maxrss timeout -s TERM 3 syscount-bpfcc)" >>"$tsv"
	done
	local mon_rss
	mon_rss=$(awk -F'\t' '$2 == "monitor" { print $3 }' "$tsv" | stats | awk '{ print $1 }')
	{
		echo "## 4. Memory, all monitors ($ALL_MONITORS)"
		echo
		echo "One monitored session (startup, 1000 execs, a file pass), sampled every 20 ms; then 3"
		echo "interleaved rounds of /usr/bin/time -v. $(date -u +%F)."
		echo
		echo "| what | value |"
		echo "| --- | --- |"
		awk '{ printf "| daemon %s at the end of the session | %.1f MiB |\n", $1, $2 / 1024 }' <<<"$status"
		printf '| daemon peak RssAnon (sampled) | %.1f MiB |\n' "$(calc "${peak_anon:-0} / 1024")"
		printf '| daemon peak RssFile (sampled) | %.1f MiB |\n' "$(calc "${peak_file:-0} / 1024")"
		printf '| largest compiler process (em-compile, one per probe, gone after startup), VmHWM sampled | %.1f MiB |\n' "$(calc "${peak_cc:-0} / 1024")"
		echo "| mapped libraries over 4 MiB (virtual) | ${libs:-none} |"
		printf '| BPF maps: %d, memlock sum (kernel memory) | %.1f MiB |\n' "$(wc -l <"$RES/maps.tsv")" \
			"$(awk -F'\t' '{ s += $6 } END { print s / 1048576 }' "$RES/maps.tsv")"
		printf '| perf buffers mmapped (ring pages, kernel memory) | %.1f MiB |\n' "$(calc "$perfbuf / 1048576")"
		echo
		echo "GNU time's maximum RSS is the largest of the process and its descendants: for ebpf-monitor that is"
		echo "a compiler process during startup, not the daemon (its own peak is VmHWM above)."
		echo
		echo "| maximum RSS of a whole run (GNU time -v) | MiB, median (min..max) | monitor / this |"
		echo "| --- | --- | --- |"
		local w label s
		for w in "monitor=ebpf-monitor, all monitors, --duration 2" "bcc_empty=floor: bcc python, one empty program" \
			"syscount=syscount-bpfcc"; do
			label=${w#*=} w=${w%%=*}
			s=$(awk -F'\t' -v w="$w" '$2 == w { print $3 / 1024 }' "$tsv" | stats)
			printf '| %s | %s | %s |\n' "$label" "$(fmt 1 "$s")" "$(ratio "$(calc "$mon_rss / 1024")" "$(awk '{ print $1 }' <<<"$s")")"
		done
		echo
		echo "BPF maps (largest first; memlock is the kernel's own accounting of the map's memory):"
		echo
		echo "| map | type | key B | value B | max_entries | memlock KiB |"
		echo "| --- | --- | --- | --- | --- | --- |"
		sort -t$'\t' -k6,6nr "$RES/maps.tsv" | head -15 |
			awk -F'\t' 'BEGIN { split("hash array prog_array perf_event_array percpu_hash percpu_array", t, " ") }
				{ printf "| %s | %s | %s | %s | %s | %.0f |\n", $1, ($2 in t) ? t[$2] : $2, $3, $4, $5, $6 / 1024 }'
		echo
	} >"$RES/memory.md"
	cat "$RES/memory.md"
}

# ---- 5. exec burst ------------------------------------------------------------------------

part_execburst() {
	local rate tsv=$RES/execburst.tsv out made rows lost lines0 r
	log "execburst: rates $RATES, ${BURST_SECONDS} s each, every monitor running"
	printf 'rate\tmade\tfailed\tachieved\trows\tlost_lines\tbase_achieved_before\tbase_achieved_after\tmon_cpu_us_per_exec\tmon_cpu_pct\n' >"$tsv"
	for rate in $RATES; do
		# a binary named after the rate, so the exec CSV rows of this rate can be counted
		# (other processes on this machine exec too)
		cp "$WORK/exittiny" "$WORK/true_r$rate"
	done
	# the machine's own limit: unmonitored, as fast as it can, for half as long
	base_rate() { "$WORK/execburst" 0 "$(calc "$BURST_SECONDS / 2")" "$WORK/true_base" | sed -E 's/.*rate=([0-9.]+).*/\1/'; }
	cp "$WORK/exittiny" "$WORK/true_base"
	local bprev bnext
	local c0 c1 t0 t1 uspe pct
	bprev=$(base_rate)
	for rate in $RATES; do
		monitor_start "$ALL_MONITORS" || die "monitor did not start"
		sleep 1
		c0=$(cpu_ns "$BG_PID") t0=$(now)
		out=$("$WORK/execburst" "$rate" "$BURST_SECONDS" "$WORK/true_r$rate")
		sleep 3 # two report intervals: losses, if any, are logged
		c1=$(cpu_ns "$BG_PID") t1=$(now)
		bg_stop
		made=$(sed -E 's/.*made=([0-9]+).*/\1/' <<<"$out")
		rows=$(cat "$WORK"/run/output/exec_*.csv 2>/dev/null | grep -c ",$WORK/true_r$rate,")
		lost=$(grep -cE 'exec: .*lost since|^WARNING: exec:.*lost' "$BG_OUT")
		bnext=$(base_rate)
		# the monitor's CPU over the burst and the drain after it, per exec made (all seven
		# monitors' user-space work is in it, so this is an upper bound for exec's)
		uspe=$(calc "($c1 - $c0) / 1000 / $made")
		pct=$(calc "100 * ($c1 - $c0) / 1e9 / ($t1 - $t0)")
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rate" "$made" \
			"$(sed -E 's/.*failed=([0-9]+).*/\1/' <<<"$out")" "$(sed -E 's/.*rate=([0-9.]+).*/\1/' <<<"$out")" \
			"$rows" "$lost" "$bprev" "$bnext" "$uspe" "$pct" >>"$tsv"
		log "  rate $rate: $out; exec rows $rows; loss lines $lost; unmonitored max rate $bprev / $bnext; monitor $uspe us CPU per exec"
		bprev=$bnext
	done
	{
		echo "## 5. Exec burst, every monitor running ($ALL_MONITORS)"
		echo
		echo "bench/execburst: vfork+exec of a copy of bench/exittiny (static, no libc) at RATE per second for ${BURST_SECONDS} s (0: as fast"
		echo "as it can). Each rate has its own monitor session and its own binary name; rows are the exec"
		echo "CSV rows naming that binary. Between rates, the same program runs unmonitored at full speed"
		echo "for $(calc "$BURST_SECONDS / 2") s (the machine's own limit, for the ratio). The monitor's CPU is measured over the"
		echo "burst and the 3 s after it. $(date -u +%F)."
		echo
		echo "| asked /s | made | achieved /s | CSV rows | rows == made | loss log lines | unmonitored max /s (before, after) | achieved / unmonitored max | monitor CPU µs per exec | monitor CPU % of a core |"
		echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
		awk -F'\t' 'NR > 1 { printf "| %s | %s | %.0f | %s | %s | %s | %.0f, %.0f | %.2f | %.1f | %.1f |\n",
			($1 == 0 ? "max" : $1), $2, $4, $5, ($2 == $5 ? "yes" : "NO"), $6, $7, $8, $4 / (($7 + $8) / 2), $9, $10 }' "$tsv"
		echo
	} >"$RES/execburst.md"
	cat "$RES/execburst.md"
}

# ---- 6. the monitor's own CPU when idle ----------------------------------------------------

part_cpu() {
	local i c0 c1 t0 t1 tsv=$RES/cpu_idle.tsv windows=3 win=10
	[ "${BENCH_QUICK:-0}" = 1 ] && win=3
	log "cpu: the monitor's CPU over $windows windows of $win s with no workload of ours"
	monitor_start "$ALL_MONITORS" || die "monitor did not start"
	sleep 2
	printf 'window\tseconds\tcpu_pct\tsystem_busy_pct\n' >"$tsv"
	for ((i = 1; i <= windows; i++)); do
		local s0 s1
		s0=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat)
		c0=$(cpu_ns "$BG_PID") t0=$(now)
		sleep "$win"
		c1=$(cpu_ns "$BG_PID") t1=$(now)
		s1=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat)
		printf '%d\t%s\t%s\t%s\n' "$i" "$(calc "$t1 - $t0")" \
			"$(calc "100 * ($c1 - $c0) / 1e9 / ($t1 - $t0)")" \
			"$(awk -v a="$s0" -v b="$s1" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.1f", 100 * (y[1] - x[1]) / (y[2] - x[2]) }')" >>"$tsv"
	done
	bg_stop
	{
		echo "## 6. The monitor's own CPU, no workload of ours ($ALL_MONITORS)"
		echo
		echo "CPU time (/proc/PID/schedstat: utime+stime in ns) over $windows windows of $win s, as % of one core. The"
		echo "machine was not idle (other tenants): its busy share over the same windows is shown. $(date -u +%F)."
		echo
		echo "| window | monitor CPU % of one core | whole machine busy % (all CPUs) |"
		echo "| --- | --- | --- |"
		awk -F'\t' 'NR > 1 { printf "| %s | %.3f | %s |\n", $1, $3, $4 }' "$tsv"
		printf '| **median (min..max)** | **%s** | |\n' "$(awk -F'\t' 'NR > 1 { print $3 }' "$tsv" | stats | fmt 3 "$(cat)")"
		echo
		echo "Under the mixed load, see part 2 (the monitor's CPU during the monitored runs)."
		echo
	} >"$RES/cpu.md"
	cat "$RES/cpu.md"
}

# ---- 7. scaling: distinct keys and the interval --------------------------------------------

# One monitor, one key generator (bench/keys.c) pinned to $CPU, the monitor's interval long enough
# (60 s) that the whole run falls in one interval: the map holds every key the run made. Each
# case: unmonitored, monitored, unmonitored ($ROUNDS times); added ns per call against the mean of
# the baselines either side. The map (map_size, default 10240) fills at 10240 keys: from there
# new keys are counted as lost (map full) and the monitor says so.
part_scaling() {
	local tsv=$RES/scaling.tsv cfg=$WORK/run/scaling.yaml what mon keys calls r b0 m b1 lost rows
	log "scaling: cost per event against distinct keys (syscall: task names; open: paths)"
	mkdir -p "$WORK/run"
	sed -E 's/^(    interval:) [0-9.]+/\1 60/' "$CONFIG" >"$cfg"
	printf 'what\tkeys\tcalls_per_key\tround\tbase_ns\tmon_ns\tbase2_ns\tadded_ns\tlost\trows\n' >"$tsv"
	one() { taskset -c "$CPU" "$WORK/keys" "$@" | sed -E 's/.*ns_per_call=([0-9.]+).*/\1/'; }
	for what in comm:syscall:50 open:open:1; do
		IFS=: read -r what mon calls <<<"$what"
		for keys in 10 1000 10000 100000; do
			for ((r = 1; r <= ROUNDS; r++)); do
				b0=$(one "$what" "$keys" "$calls")
				monitor_start "$mon" "$cfg" || die "monitor did not start"
				m=$(one "$what" "$keys" "$calls")
				bg_stop
				b1=$(one "$what" "$keys" "$calls")
				lost=$(lost_total "$BG_OUT")
				rows=$(stop_lines "$BG_OUT" "$mon" | sed -nE 's/.* ([0-9]+) rows; .*/\1/p')
				printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$what" "$keys" "$calls" "$r" "$b0" "$m" "$b1" \
					"$(calc "$m - ($b0 + $b1) / 2")" "$lost" "${rows:-0}" >>"$tsv"
			done
			log "  $what keys=$keys: added ns $(awk -F'\t' -v w="$what" -v k="$keys" '$1 == w && $2 == k { print $8 }' "$tsv" | stats | fmt 1 "$(cat)"); lost $lost; rows $rows"
		done
	done
	{
		echo "## 7. Scaling: distinct keys per interval"
		echo
		echo "bench/keys on CPU $CPU; \`comm\`: N task names in turn, 50 getppid() under each, against the"
		echo "syscall monitor (key: task name, syscall); \`open\`: N distinct paths that do not exist, each"
		echo "opened once (every event a new key: the worst case), against the open monitor. One"
		echo "interval (60 s) holds the whole run; map_size is the default 10240. Unmonitored, monitored,"
		echo "unmonitored, $ROUNDS rounds. $(date -u +%F)."
		echo
		echo "| generator | distinct keys | unmonitored ns/call | added ns/call, median (min..max) | events lost (map full) | rows written |"
		echo "| --- | --- | --- | --- | --- | --- |"
		awk -F'\t' 'NR > 1 { k = $1 "\t" $2; if (!(k in seen)) { seen[k] = 1; order[++n] = k } }
			END { for (i = 1; i <= n; i++) print order[i] }' "$tsv" | while IFS=$'\t' read -r w k; do
			printf '| %s | %s | %s | %s | %s | %s |\n' "$w" "$k" \
				"$(awk -F'\t' -v w="$w" -v k="$k" '$1 == w && $2 == k { print $5; print $7 }' "$tsv" | stats | fmt 1 "$(cat)")" \
				"$(awk -F'\t' -v w="$w" -v k="$k" '$1 == w && $2 == k { print $8 }' "$tsv" | stats | fmt 1 "$(cat)")" \
				"$(awk -F'\t' -v w="$w" -v k="$k" '$1 == w && $2 == k { print $9 }' "$tsv" | stats | awk '{ print $1 }')" \
				"$(awk -F'\t' -v w="$w" -v k="$k" '$1 == w && $2 == k { print $10 }' "$tsv" | stats | awk '{ print $1 }')"
		done
		echo
	} >"$RES/scaling.md"
	cat "$RES/scaling.md"
}

# ---- main ---------------------------------------------------------------------------------

PARTS=("$@")
[ ${#PARTS[@]} -eq 0 ] && PARTS=(hotpath variants interleaved mixed startup memory execburst cpu scaling attrib)
for p in "${PARTS[@]}"; do
	case $p in
	hotpath | variants | interleaved | mixed | startup | memory | execburst | cpu | scaling | attrib) ;;
	-h | --help) sed -n '2,33p' "$0"; exit 0 ;;
	*) die "unknown part $p (hotpath variants interleaved mixed startup memory execburst cpu scaling attrib)" ;;
	esac
done
build_helpers
START=$(now)
log "machine: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); monitor $MON"
for p in "${PARTS[@]}"; do
	"part_$p"
done
log "done in $(calc "$(now) - $START") s; tables in $RES/*.md"
