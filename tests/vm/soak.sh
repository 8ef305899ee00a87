#!/usr/bin/env bash
# soak.sh - runs the kprobe lane (tests/vm/run.sh) many times in a row while the host runs a CPU
# hog, and prints one Markdown table row per run (result, wall time, the guest's stall reports)
# and a total. The evidence behind tests/vm/README.md's "Stability" section.
set -uo pipefail

usage() {
	cat <<'EOF'
Usage: sudo tests/vm/soak.sh [--runs N] [--hog N] [--keep-going] [-- RUN.SH-ARGS...]

  --runs N      lane runs, one after another (default: 20)
  --hog N       CPU hogs on the host while they run: stress-ng --cpu N, or N busy shell loops
                where stress-ng is missing (default: 1; 0 for none)
  --keep-going  run all N even after a failure (to measure a failure rate); by default the
                soak stops at the first failed run
  RUN.SH-ARGS   passed to every tests/vm/run.sh (e.g. --smp 2 --accel tcg,thread=single)

Each run's output is kept in tests/vm/artifacts/soak/run-<i>.log. Exit status: 0 every run
passed, 1 a run failed, 2 usage error.
EOF
}

RUNS=20 HOGS=1 KEEP_GOING=0
while [ $# -gt 0 ]; do
	case $1 in
	--runs | --hog)
		[[ ${2:-} =~ ^[0-9]+$ ]] || {
			printf 'soak: %s takes a number\n' "$1" >&2
			exit 2
		}
		if [ "$1" = --runs ]; then RUNS=$2; else HOGS=$2; fi
		shift 2
		;;
	--keep-going)
		KEEP_GOING=1
		shift
		;;
	--)
		shift
		break
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		printf 'soak: unknown option: %s\n' "$1" >&2
		usage >&2
		exit 2
		;;
	esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ART=$ROOT/tests/vm/artifacts
. "$ROOT/tests/vm/stalls.sh"
mkdir -p "$ART/soak"

HOG_PIDS=()
stop_hogs() {
	[ ${#HOG_PIDS[@]} -eq 0 ] || kill "${HOG_PIDS[@]}" 2>/dev/null
	wait "${HOG_PIDS[@]}" 2>/dev/null
	HOG_PIDS=()
}
trap stop_hogs EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ "$HOGS" -gt 0 ]; then
	if command -v stress-ng >/dev/null 2>&1; then
		stress-ng --cpu "$HOGS" --timeout 0 >/dev/null 2>&1 &
		HOG_PIDS+=($!)
		HOG="stress-ng --cpu $HOGS"
	else
		for _ in $(seq "$HOGS"); do
			sh -c 'while :; do :; done' &
			HOG_PIDS+=($!)
		done
		HOG="$HOGS busy shell loop(s)"
	fi
else
	HOG="none"
fi

printf 'soak: %d lane runs; host: %s, %s CPUs, load %s; hog: %s; run.sh %s\n' "$RUNS" \
	"$(uname -r)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$HOG" "$*"
printf '| run | started (UTC) | result | wall s | boot s | tests | stall reports |\n'
printf '| --- | --- | --- | --- | --- | --- | --- |\n'
passed=0 failed=0 streak=0 best=0 total_s=0 max_s=0
for i in $(seq "$RUNS"); do
	log=$ART/soak/run-$i.log
	started=$(date -u +%H:%M:%S)
	t=$(date +%s)
	rc=0
	bash "$ROOT/tests/vm/run.sh" "$@" >"$log" 2>&1 || rc=$?
	wall=$(($(date +%s) - t))
	total_s=$((total_s + wall))
	[ "$wall" -le "$max_s" ] || max_s=$wall
	boot=$(sed -n 's/^boot_s //p' "$ART/times.txt" 2>/dev/null)
	# Counted here too: a lane that ended early wrote no times.txt.
	stalls=$(stall_count "$ART/serial.log")
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n1)
	if [ "$rc" -eq 0 ]; then
		result=pass
		passed=$((passed + 1)) streak=$((streak + 1))
	else
		result="FAIL (exit $rc)"
		failed=$((failed + 1)) streak=0
		cp "$ART/serial.log" "$ART/soak/serial-$i.log" 2>/dev/null
	fi
	[ "$streak" -le "$best" ] || best=$streak
	printf '| %d | %s | %s | %d | %s | %s | %s |\n' "$i" "$started" "$result" "$wall" "${boot:-?}" \
		"${summary:-none}" "${stalls:-?}"
	[ "$rc" -eq 0 ] || [ "$KEEP_GOING" -eq 1 ] || break
done
printf '\nsoak: %d of %d runs passed (longest streak %d); wall mean %d s, max %d s\n' "$passed" \
	$((passed + failed)) "$best" $((total_s / (passed + failed))) "$max_s"
[ "$failed" -eq 0 ]
