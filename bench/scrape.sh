#!/bin/bash
# bench/scrape.sh - latency of the Prometheus endpoint (issue 9) with every monitor running and
# a busy machine behind it. Run as root from anywhere:
#
#   bench/scrape.sh            1000 scrapes, one every 50 ms, each on a new TCP connection (as
#                              Prometheus without keep-alive would), while a load runs
#
# The load: a build-like mix (find, sha256sum, short-lived processes) plus a flood of distinct
# task names and missing paths, so that the label bounds (max_label_values 100, the default)
# fill up and the exposition is as large as the defaults allow. Reports p50/p90/p99/max latency,
# the exposition's size and series count, and the monitor's own CPU time per scrape.
#
# Environment: EBPF_MONITOR the binary [<repo>/build/ebpf-monitor], SCRAPES [1000],
# SCRAPE_GAP_MS [50], SCRAPE_LOAD [1; 0: no load], BENCH_WORK scratch [/tmp/ebpf-bench-scrape]. Public tools only: bash,
# python3 (urllib), coreutils, findutils.
set -uo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH")
MON=${EBPF_MONITOR:-$REPO/build/ebpf-monitor}
WORK=${BENCH_WORK:-/tmp/ebpf-bench-scrape}
SCRAPES=${SCRAPES:-1000}
GAP_MS=${SCRAPE_GAP_MS:-50}
MONITORS=exec,syscall,context_switch,page_fault,open,interrupt,bio

[ "$(id -u)" -eq 0 ] || { echo "scrape.sh: run as root (it loads BPF)" >&2; exit 3; }
[ -x "$MON" ] || { echo "scrape.sh: no binary at $MON (build first)" >&2; exit 2; }

rm -rf "$WORK"
mkdir -p "$WORK"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/config.yaml" <<EOF
logging:
  level: INFO
  directory: logs
output:
  directory: output
  flush_interval: 2.0
  format: [csv]
  prometheus:
    enabled: true
    listen: 127.0.0.1:$PORT
    path: /metrics
monitors:
$(for m in ${MONITORS//,/ }; do printf '  %s:\n    interval: 1\n' "$m"; done)
EOF

cd "$WORK" || exit 1
"$MON" -c config.yaml -m "$MONITORS" 2>monitor.log &
MPID=$!
cleanup() {
	kill "${LOADPIDS[@]}" 2>/dev/null
	kill -TERM "$MPID" 2>/dev/null
	wait "$MPID" 2>/dev/null
}
LOADPIDS=()
trap cleanup EXIT
for _ in $(seq 600); do
	grep -q "attached in" monitor.log && break
	kill -0 "$MPID" 2>/dev/null || { cat monitor.log >&2; exit 1; }
	sleep 0.1
done
grep -q "attached in" monitor.log || { echo "scrape.sh: monitor did not attach" >&2; exit 1; }

# The load, until the end of the run (SCRAPE_LOAD=0: none, for an idle baseline).
if [ "${SCRAPE_LOAD:-1}" = 1 ]; then
(while :; do find /usr -maxdepth 4 -type f 2>/dev/null | head -3000 | xargs -r sha256sum >/dev/null 2>&1; done) &
LOADPIDS+=($!)
(while :; do for i in $(seq 50); do /bin/true; done; sleep 0.05; done) &
LOADPIDS+=($!)
python3 - "$WORK/flood" <<'EOF' &
import ctypes, os, sys, time
libc = ctypes.CDLL(None)
i = 0
while True:  # a new task name and a new missing path every millisecond or so
    libc.prctl(15, f"fl{i}".encode(), 0, 0, 0)
    try:
        os.close(os.open(f"{sys.argv[1]}/{i}", os.O_RDONLY))
    except OSError:
        pass
    i += 1
    time.sleep(0.001)
EOF
LOADPIDS+=($!)
fi
sleep 5 # a few intervals: the series fill up

# A reference in the same conditions: Python's static file server with a copy of the
# exposition, scraped alternately with ours (so machine load shows up in both columns).
mkdir -p ref
python3 -c "import urllib.request,sys; open('ref/metrics','wb').write(urllib.request.urlopen(sys.argv[1]).read())" \
	"http://127.0.0.1:$PORT/metrics"
REFPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$REFPORT" --bind 127.0.0.1 --directory ref >/dev/null 2>&1 &
LOADPIDS+=($!)
for _ in $(seq 100); do
	python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1])" \
		"http://127.0.0.1:$REFPORT/metrics" 2>/dev/null && break
	sleep 0.2
done

python3 - "$PORT" "$SCRAPES" "$GAP_MS" "$MPID" "$REFPORT" <<'EOF' | tee "$WORK/scrape.md"
import os, sys, time, urllib.request
port, n, gap, mpid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) / 1000, sys.argv[4]
url = f"http://127.0.0.1:{port}/metrics"
ref = f"http://127.0.0.1:{sys.argv[5]}/metrics"

def cpu():
    f = open(f"/proc/{mpid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

errors = {}

def get(u):
    s = time.perf_counter()
    try:
        with urllib.request.urlopen(u, timeout=30) as r:  # a new connection each time
            body = r.read()
    except OSError as e:  # counted, and the time it took still counts
        errors[u] = errors.get(u, 0) + 1
        print(f"{u}: {e}", file=sys.stderr)
        body = b""
    return time.perf_counter() - s, body

lat, rlat = [], []
body = b""
load0 = os.getloadavg()[0]
c0, t0 = cpu(), time.time()
for _ in range(n):
    t, b = get(url)
    lat.append(t)
    body = b or body
    rlat.append(get(ref)[0])
    time.sleep(gap)
wall, used = time.time() - t0, cpu() - c0
load1 = os.getloadavg()[0]

def q(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))] * 1e3

series = sum(1 for l in body.decode().splitlines() if l and not l.startswith("#"))
print("| endpoint | scrapes | p50 ms | p90 ms | p99 ms | max ms |")
print("|---|---|---|---|---|---|")
for name, v in (("ebpf-monitor /metrics", lat), ("reference: python3 -m http.server, same body", rlat)):
    print(f"| {name} | {n} | {q(v, .5):.2f} | {q(v, .9):.2f} | {q(v, .99):.2f} | {max(v)*1e3:.2f} |")
print()
print(f"exposition: {len(body)/1024:.0f} KiB, {series} samples; monitor CPU during the run: "
      f"{used:.2f} s in {wall:.1f} s ({used / n * 1e3:.2f} ms per scrape, load included); "
      f"load average {load0:.1f} -> {load1:.1f}; failed requests: "
      f"{errors.get(url, 0)} ours, {errors.get(ref, 0)} reference")
EOF
grep -c "events lost" "$WORK/monitor.log" | sed 's/^/loss warnings in the monitor log: /'
