#!/usr/bin/env bash
# run.sh - sets up the machine, builds the release binary (incrementally) and runs it from the
# repository root, so ./config/monitor_config.yaml is the default config. Takes the binary's flags.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

if [ "$(id -u)" -ne 0 ]; then
	printf 'run: error: must run as root (eBPF needs it): sudo %s %s\n' "$0" "$*" >&2
	exit 3
fi

# RHEL/CentOS 7 get CMake >= 3.13 as cmake3 from EPEL.
CMAKE=cmake
command -v cmake3 >/dev/null 2>&1 && CMAKE=cmake3

# stdout belongs to the monitor's live table: everything before exec goes to stderr.
bash "$ROOT/scripts/setup.sh" >&2

log=$(mktemp /tmp/ebpf-monitor-build.XXXXXX)
trap 'rm -f "$log"' EXIT
if ! { "$CMAKE" -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEM_WERROR=ON &&
	"$CMAKE" --build build -j"$(nproc)"; } >"$log" 2>&1; then
	cat "$log" >&2
	printf 'run: error: build failed (output above)\n' >&2
	exit 1
fi
rm -f "$log"
trap - EXIT
printf 'run: built build/ebpf-monitor\n' >&2

exec "$ROOT/build/ebpf-monitor" "$@"
