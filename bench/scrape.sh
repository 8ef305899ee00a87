#!/bin/bash
# bench/scrape.sh - latency of the Prometheus endpoint (issue 9) with every monitor running and
# a busy machine behind it. Run as root from anywhere:
#
#   bench/scrape.sh            1000 scrapes, one every 50 ms, each on a new TCP connection (as
#                              Prometheus without keep-alive would), while a load runs; then the
#                              same endpoint switched to TLS + basic authentication by SIGHUP
#                              (a web configuration file: ECDSA P-256, bcrypt cost 10) and 1000
#                              more, each a new TLS handshake
#
# The load: a build-like mix (find, sha256sum, short-lived processes) plus a flood of distinct
# task names and missing paths, so that the label bounds (max_label_values 100, the default)
# fill up and the exposition is as large as the defaults allow. Reports p50/p90/p99/max latency,
# the exposition's size and series count, and the monitor's own CPU time per scrape.
#
# Each phase is scraped alternately with a reference in the same conditions: Python's static
# file server with a copy of the exposition, plain and then behind the same certificate.
#
# Environment: EBPF_MONITOR the binary [<repo>/build/ebpf-monitor], SCRAPES [1000 a phase],
# SCRAPE_GAP_MS [50], SCRAPE_LOAD [1; 0: no load], SCRAPE_TLS [1; 0: the plain phase only],
# BENCH_WORK scratch [/tmp/ebpf-bench-scrape]. Public tools only: bash, python3 (urllib, ssl,
# crypt), openssl, coreutils, findutils.
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
# free_port: a TCP port nobody listens on now, on loopback.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
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
REFPORT=$(free_port)
python3 -m http.server "$REFPORT" --bind 127.0.0.1 --directory ref >/dev/null 2>&1 &
LOADPIDS+=($!)
for _ in $(seq 100); do
	python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1])" \
		"http://127.0.0.1:$REFPORT/metrics" 2>/dev/null && break
	sleep 0.2
done

# measure PHASE URL REF_URL [CA]: SCRAPES alternating scrapes of ours and the reference.
measure() {
	python3 - "$1" "$2" "$3" "$SCRAPES" "$GAP_MS" "$MPID" "${4:-}" <<'EOF'
import base64, os, ssl, sys, time, urllib.request
phase, url, ref, n, gap, mpid, ca = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), \
    int(sys.argv[5]) / 1000, sys.argv[6], sys.argv[7]
ctx = ssl.create_default_context(cafile=ca) if ca else None
auth = {"Authorization": "Basic " + base64.b64encode(b"bench:bench-password").decode()}

def cpu():
    f = open(f"/proc/{mpid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

errors = {}

def get(u):
    s = time.perf_counter()
    try:  # a new connection (and TLS handshake) each time
        req = urllib.request.Request(u, headers=auth if (u == url and ctx) else {})
        with urllib.request.urlopen(req, timeout=30, context=ctx) as r:
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
print(f"**{phase}**")
print()
print("| endpoint | scrapes | p50 ms | p90 ms | p99 ms | max ms |")
print("|---|---|---|---|---|---|")
for name, v in ((f"ebpf-monitor {url}", lat),
                (f"reference: python3 http.server, same body, {ref}", rlat)):
    print(f"| {name} | {n} | {q(v, .5):.2f} | {q(v, .9):.2f} | {q(v, .99):.2f} | {max(v)*1e3:.2f} |")
print()
print(f"exposition: {len(body)/1024:.0f} KiB, {series} samples; monitor CPU during the run: "
      f"{used:.2f} s in {wall:.1f} s ({used / n * 1e3:.2f} ms per scrape, load included); "
      f"load average {load0:.1f} -> {load1:.1f}; failed requests: "
      f"{errors.get(url, 0)} ours, {errors.get(ref, 0)} reference")
print()
EOF
}

measure "plain HTTP" "http://127.0.0.1:$PORT/metrics" "http://127.0.0.1:$REFPORT/metrics" |
	tee "$WORK/scrape.md"

if [ "${SCRAPE_TLS:-1}" = 1 ]; then
	# The same endpoint switched to TLS + basic authentication by SIGHUP: a self-signed
	# certificate for 127.0.0.1 (ECDSA P-256), one user with a bcrypt hash of cost 10.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
		-keyout "$WORK/server.key" -out "$WORK/server.crt" 2>/dev/null
	chmod 600 "$WORK/server.key"
	hash=$(python3 -W ignore -c 'import crypt; print(crypt.crypt("bench-password", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10)))')
	printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  bench: %s\n' \
		"$hash" >"$WORK/web.yml"
	chmod 600 "$WORK/web.yml"
	sed -i "s#^    path: /metrics#    path: /metrics\n    web_config_file: $WORK/web.yml#" config.yaml
	kill -HUP "$MPID"
	for _ in $(seq 100); do
		grep -q "now at https://" monitor.log && break
		sleep 0.1
	done
	if ! grep -q "now at https://" monitor.log; then
		echo "scrape.sh: the endpoint did not switch to TLS" >&2
		tail monitor.log >&2
		exit 1
	fi
	# The reference behind the same certificate.
	TLSREF=$(free_port)
	python3 - "$TLSREF" "$WORK" >/dev/null 2>&1 <<'EOF' &
import functools, http.server, ssl, sys
port, work = int(sys.argv[1]), sys.argv[2]
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=f"{work}/ref")
srv = http.server.HTTPServer(("127.0.0.1", port), h)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(f"{work}/server.crt", f"{work}/server.key")
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
EOF
	LOADPIDS+=($!)
	sleep 1
	measure "TLS + basic authentication (a new TLS handshake each scrape; the password remembered after the first bcrypt)" \
		"https://127.0.0.1:$PORT/metrics" "https://127.0.0.1:$TLSREF/metrics" "$WORK/server.crt" |
		tee -a "$WORK/scrape.md"
fi
grep -c "events lost" "$WORK/monitor.log" | sed 's/^/loss warnings in the monitor log: /'
