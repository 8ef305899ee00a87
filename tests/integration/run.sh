#!/usr/bin/env bash
# Integration tests: loads real BPF, so it needs root. Usage: tests/integration/run.sh BINARY [FILTER]
set -euo pipefail
if [ "$#" -lt 1 ]; then
	echo "usage: $0 path/to/ebpf-monitor [test-name-filter]" >&2
	exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "integration tests load BPF programs: run as root (sudo $0 $*)" >&2
	exit 3
fi
exec python3 "$(dirname "$0")/run.py" "$@"
