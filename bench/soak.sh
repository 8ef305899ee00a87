#!/bin/bash
# bench/soak.sh - a long run of every monitor under a steady mixed load (execs, forks, file
# copies and reads in a tmpfs, syscalls, context switches), sampling the monitor once a minute:
# VmRSS, open file descriptors, the fill of its BPF hash maps, rows, losses and dropped rows.
# Run as root from anywhere:
#
#   bench/soak.sh                                   30 minutes, a sample each minute
#   SOAK_MINUTES=2 SOAK_INTERVAL=10 bench/soak.sh   a smoke test
#
# Environment (defaults in brackets): EBPF_MONITOR the binary [<repo>/build/ebpf-monitor],
# SOAK_WORK scratch [/tmp/ebpf-soak], SOAK_MINUTES [30], SOAK_INTERVAL seconds [60],
# SOAK_MONITORS [exec,syscall,context_switch,page_fault,open,interrupt,bio].
#
# Writes $SOAK_WORK/soak.tsv (one line a sample) and $SOAK_WORK/soak.md (the verdict). Passes
# (exit 0) when the monitor ran to the end and exited 0, and VmRSS and the fd count of the last
# sample are within 5% of the first one taken after warm-up (the first sixth of the run);
# exit 1 otherwise, 2 on bad usage, 3 when not root.
set -uo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH")
MON=${EBPF_MONITOR:-$REPO/build/ebpf-monitor}
WORK=${SOAK_WORK:-/tmp/ebpf-soak}
MINUTES=${SOAK_MINUTES:-30}
INTERVAL=${SOAK_INTERVAL:-60}
MONITORS=${SOAK_MONITORS:-exec,syscall,context_switch,page_fault,open,interrupt,bio}
SHM=/dev/shm/ebpf-soak-files

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit "${2:-1}"; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it loads BPF programs)" 3
[ -x "$MON" ] || die "no binary at $MON (build first, or set EBPF_MONITOR)" 2
[[ $MINUTES =~ ^[0-9]+$ && $INTERVAL =~ ^[0-9]+$ && $INTERVAL -gt 0 ]] ||
	die "SOAK_MINUTES and SOAK_INTERVAL must be whole numbers" 2
command -v bpftool >/dev/null 2>&1 || log "WARNING: no bpftool: map fill is not sampled"

rm -rf "$WORK" "$SHM"
mkdir -p "$WORK" "$SHM"
cp /bin/true "$WORK/soak_true"
cp -a /usr/include "$SHM/src"

# ---- the load: one round of each kind, again and again, until the stop file appears ----------
load_round() {
	local i
	for ((i = 0; i < 300; i++)); do "$WORK/soak_true"; done                # execs
	for ((i = 0; i < 300; i++)); do (:); done                              # forks
	cp -a "$SHM/src" "$SHM/files" && grep -r -c define "$SHM/files" >/dev/null # opens, reads
	rm -rf "$SHM/files"
	dd if=/dev/zero of=/dev/null bs=16 count=200000 2>/dev/null            # syscalls
	python3 -c 'import os
r, w = os.pipe(); r2, w2 = os.pipe()
if os.fork() == 0:
    for _ in range(20000): os.write(w2, os.read(r, 1))
    os._exit(0)
for _ in range(20000): os.write(w, b"x"); os.read(r2, 1)
os.wait()'                                                                     # switches
	sync                                                                   # block I/O
}
load() {
	while [ ! -e "$WORK/stop" ]; do load_round; done
}

# ---- one sample: elapsed, RSS, fds, map entries / capacity of the fullest hash map ------------
sample() {
	local pid=$1 t=$2
	python3 - "$pid" "$t" "$WORK/monitor.pid.status" <<'PY'
import json, os, subprocess, sys
pid, t, status = sys.argv[1], sys.argv[2], sys.argv[3]
rss = next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:"))
fds = os.listdir(f"/proc/{pid}/fd")
entries = cap = 0
fullest = 0.0
for fd in fds:
    try:
        info = dict(l.split(":", 1) for l in open(f"/proc/{pid}/fdinfo/{fd}").read().splitlines() if ":" in l)
    except OSError:
        continue
    if "map_id" not in info or "hash" not in info.get("map_type", "") and info.get("map_type", "").strip() not in ("1", "5", "9", "10"):
        continue
    try:
        out = subprocess.run(["bpftool", "-j", "map", "dump", "id", info["map_id"].strip()],
                             capture_output=True, text=True, timeout=60).stdout
        n = len(json.loads(out or "[]"))
    except (OSError, ValueError, subprocess.TimeoutExpired):
        continue
    m = int(info["max_entries"])
    entries += n
    cap += m
    fullest = max(fullest, n / m if m else 0)
st = {}
try:
    st = dict(l.split("=", 1) for l in open(status).read().splitlines())
except OSError:
    pass
print("\t".join(map(str, [t, rss, len(fds), entries, cap, f"{fullest:.3f}", st.get("rows", "?"),
                          st.get("lost", "?"), st.get("rows_dropped", "?")])))
PY
}

cd "$WORK" || die "cannot enter $WORK"
# The open monitor's map sized for this load (a copy of /usr/include is ~8000 paths, each opened
# by cp and by grep within one 2 s interval): a soak is about staying flat, overflow is what
# the flood tests (tests/integration/test_flood.py) are for.
sed -e 's/^  pid_file: .*/  pid_file: monitor.pid/' \
	-e '/^  open:/a\    map_size: 65536' "$BENCH/monitor_config.yaml" >"$WORK/config.yaml"
"$MON" -c "$WORK/config.yaml" -m "$MONITORS" >/dev/null 2>"$WORK/stderr.log" &
MPID=$!
for ((i = 0; i < 120; i++)); do
	grep -q "attached in" "$WORK/stderr.log" && break
	kill -0 "$MPID" 2>/dev/null || die "the monitor exited at start: $(tail -n 5 "$WORK/stderr.log")"
	sleep 1
done
grep -q "attached in" "$WORK/stderr.log" || die "the monitor did not attach in 120 s"
log "monitor $MPID attached ($MONITORS); load for $MINUTES min, a sample every $INTERVAL s"
load &
LPID=$!

printf 'seconds\tvmrss_kb\tfds\tmap_entries\tmap_capacity\tfullest_map\trows\tlost\trows_dropped\n' >"$WORK/soak.tsv"
START=$(date +%s)
END=$((START + MINUTES * 60))
died=0
while :; do
	now=$(date +%s)
	if ! kill -0 "$MPID" 2>/dev/null; then
		died=1
		break
	fi
	sample "$MPID" $((now - START)) | tee -a "$WORK/soak.tsv"
	[ "$now" -ge "$END" ] && break
	sleep $((INTERVAL < END - now ? INTERVAL : END - now))
done
touch "$WORK/stop"
wait "$LPID" 2>/dev/null
rc=1
if [ "$died" -eq 0 ]; then
	kill -TERM "$MPID"
	wait "$MPID"
	rc=$?
fi
rm -rf "$SHM"

# ---- verdict: the first sample after warm-up against the last -------------------------------
# Warm-up is the first sixth of the run (5 of 30 minutes): the daemon's buffers (an interval's
# rows, sorted; CSV buffers) grow to the largest interval the varying load makes, which takes a
# few intervals. The growth from the one-minute sample is printed too.
python3 - "$WORK/soak.tsv" "$rc" "$died" "$MINUTES" >"$WORK/soak.md" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])][1:]
rc, died, minutes = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ok = not died and rc == 0 and len(rows) >= 3
print(f"# soak: {minutes} min, {len(rows)} samples\n")
print("| s | VmRSS kB | fds | map entries / capacity | fullest map | rows | lost | rows dropped |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for r in rows:
    print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} / {r[4]} | {r[5]} | {r[6]} | {r[7]} | {r[8]} |")
if len(rows) >= 3:
    end = int(rows[-1][0])
    warm = next((r for r in rows[1:] if int(r[0]) >= end / 6), rows[1])
    last = rows[-1]
    for name, i in (("VmRSS", 1), ("fds", 2)):
        growth = (int(last[i]) - int(warm[i])) / int(warm[i]) * 100
        early = (int(last[i]) - int(rows[1][i])) / int(rows[1][i]) * 100
        peak = max(int(r[i]) for r in rows[1:])
        ok = ok and growth < 5
        print(f"\n{name}: {warm[i]} after warm-up ({warm[0]} s), {last[i]} at the end: "
              f"{growth:+.1f}% (from the {rows[1][0]} s sample: {early:+.1f}%; highest sample "
              f"{peak})", end="")
print(f"\n\nmonitor {'died' if died else f'exited {rc}'}; verdict: {'PASS' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PY
vrc=$?
cat "$WORK/soak.md"
log "results: $WORK/soak.md, $WORK/soak.tsv, the monitor's stderr in $WORK/stderr.log"
exit "$vrc"
