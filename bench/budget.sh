#!/usr/bin/env bash
# budget.sh - what the overhead budget changes on the hottest hook: ns per getppid() (hotloop.c,
# pinned) untraced, under the syscall monitor counting every call, under it sampling 1 in 1024
# (a budget it cannot reach), and under it counting every call while the kernel's BPF run-time
# statistics are on (what a budget would cost if they stayed on; they are on one second in ten).
# The four cases interleaved, BENCH_ROUNDS rounds, medians of each case's per-round minimum.
#
#   sudo bench/budget.sh            # results on stdout and in /tmp/ebpf-bench/budget.md
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${EBPF_MONITOR:-build/ebpf-monitor}
ROUNDS=${BENCH_ROUNDS:-5}
CPU=${BENCH_CPU:-1}
CALLS=${BENCH_CALLS:-2000000}
OUT=/tmp/ebpf-bench
mkdir -p "$OUT/budget"
W=$(mktemp -d /tmp/em-budget.XXXXXX)
trap 'rm -rf "$W"' EXIT
cc -O2 -Wall -o "$W/hotloop" bench/hotloop.c

config() { # $1: the overhead_budget line, or nothing
	cat >"$W/cfg.yaml" <<EOF
logging:
  level: INFO
  directory: $W/logs
output:
  directory: $W/out
$1
monitors:
  syscall:
    interval: 1
EOF
}

# ns per call: the least disturbed burst of 20
loop() { taskset -c "$CPU" "$W/hotloop" syscall "$CALLS" 20 | sed -n 's/^ns_per_event=\([0-9.]*\).*/\1/p'; }

with_monitor() { # $1: budget line; $2: text in the log to wait for before measuring
	config "$1"
	rm -rf "$W/logs"
	"$BIN" -c "$W/cfg.yaml" -m syscall >/dev/null 2>"$W/err" &
	local pid=$! t=0
	until grep -q "$2" "$W/err" 2>/dev/null; do
		[ "$2" = "attached in" ] || taskset -c "$CPU" "$W/hotloop" syscall 1000000 1 >/dev/null
		sleep 0.2
		t=$((t + 1))
		[ $t -lt 150 ] || { echo "budget.sh: monitor never logged '$2'" >&2; cat "$W/err" >&2; exit 1; }
	done
	loop
	kill -INT $pid
	wait $pid || true
}

stats_on() { # holds BPF_ENABLE_STATS open for $1 seconds
	python3 -c 'import ctypes,sys,time
a=(ctypes.c_uint32*16)()
fd=ctypes.CDLL(None).syscall(321,32,ctypes.byref(a),64)
assert fd>=0,"BPF_ENABLE_STATS failed"
print("on",flush=True); time.sleep(float(sys.argv[1]))' "$1"
}

declare -A R
for ((r = 1; r <= ROUNDS; r++)); do
	R[none]+="$(loop) "
	R[exact]+="$(with_monitor "" "attached in") "
	R[sampled]+="$(with_monitor "overhead_budget: 0.1" "lowest sampling rate, 1 in 1024") "
	stats_on 30 >"$W/stats" &
	sp=$!
	until grep -q on "$W/stats"; do sleep 0.1; done
	R[stats]+="$(with_monitor "" "attached in") "
	kill $sp 2>/dev/null || true
	wait $sp 2>/dev/null || true
	echo "round $r done" >&2
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
spread() { tr ' ' '\n' | grep . | sort -n | awk 'NR==1{a=$1} {b=$1} END{print a".."b}'; }
base=$(echo "${R[none]}" | median)
{
	echo "| case | ns per getppid() (median of $ROUNDS) | added over untraced | min..max |"
	echo "| --- | --- | --- | --- |"
	for c in none exact sampled stats; do
		m=$(echo "${R[$c]}" | median)
		printf '| %s | %.1f | %+.1f | %s |\n' "$c" "$m" "$(echo "$m - $base" | bc -l)" \
			"$(echo "${R[$c]}" | spread)"
	done
} | tee "$OUT/budget.md"
