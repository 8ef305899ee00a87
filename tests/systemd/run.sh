#!/usr/bin/env bash
# run.sh - the systemd lane: the project's .deb (cpack, build-pkg/) installed in a VM whose PID 1
# is systemd 252 (the kprobe lane's Debian 6.1 kernel under QEMU/TCG, this host's Debian 12 root
# as the lower layer of an overlay with a tmpfs above: tests/vm/run.sh --systemd), and the
# packaged ebpf-monitor.service driven with systemctl only (tests/systemd/test_service.py):
# install, start with every monitor counting exactly, reload during an exec burst, SIGKILL and
# the restart, stop, a broken config, the system-call filter made fatal, the journal.
#
# Usage: sudo tests/systemd/run.sh     (after scripts/setup.sh --vm)
# Artifacts (overwritten each run) in tests/systemd/artifacts/: journal-ebpf-monitor.txt (the
# service's journal), journal-boot.txt (the whole boot's), security.txt (systemd-analyze
# security), failed-units.txt, serial.log, tests-*.log, times.txt, progress.txt.
# Ends with "N passed, N failed". Exit status: 0 all passed, 1 something failed, 2 usage error,
# 3 the lane cannot run here (not root, not x86_64, not set up), 5 a test hung in the VM.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ART=$ROOT/tests/systemd/artifacts
PKG_DIR=$ROOT/build-pkg

LANE_NAME=systemd-lane
# shellcheck source=tests/vm/lib.sh
. "$ROOT/tests/vm/lib.sh"

case ${1:-} in
-h | --help)
	sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
'') ;;
*) die 2 "unknown argument: $1 (see --help)" ;;
esac
[ "$(id -u)" -eq 0 ] || die 3 "must run as root (QEMU exports the host root to the VM)"
[ "$(uname -m)" = x86_64 ] || die 3 "the lane runs on x86_64 hosts; this host is $(uname -m)"
[ -x /lib/systemd/systemd ] || die 3 "no systemd in this root (/lib/systemd/systemd): the VM boots it"

rm -rf "$ART"
mkdir -p "$ART"
passed=0 failed=0

# ---- the .deb, from this checkout --------------------------------------------------------------

# build-pkg is the packaging build (tests/packaging/run.sh configures it the same way); a build
# there already is only brought up to date.
CMAKE=cmake
command -v cmake3 >/dev/null 2>&1 && CMAKE=cmake3
t=$SECONDS
deb=
if { [ -f "$PKG_DIR/CMakeCache.txt" ] ||
	"$CMAKE" -S "$ROOT" -B "$PKG_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
		-DEM_WERROR=ON -DEM_SANITIZE=OFF; } >"$ART/build.log" 2>&1 &&
	"$CMAKE" --build "$PKG_DIR" -j"$(nproc)" >>"$ART/build.log" 2>&1 &&
	rm -f "$PKG_DIR"/ebpf-monitor_*.deb &&
	(cd "$PKG_DIR" && cpack -G DEB) >>"$ART/build.log" 2>&1; then
	deb=$(ls "$PKG_DIR"/ebpf-monitor_*_amd64.deb 2>/dev/null | head -n1)
fi
if [ -z "$deb" ]; then
	tail -n 30 "$ART/build.log" | sed 's/^/  /'
	die 1 "no .deb from $PKG_DIR (log: tests/systemd/artifacts/build.log)"
fi
say "$(basename "$deb") packed in $((SECONDS - t)) s; booting systemd in the VM"

# ---- the VM ----------------------------------------------------------------------------------

# One vCPU (the lanes' rule, tests/vm/README.md "Stability"); 2 GiB: the overlay's upper layer
# is guest memory. The disk (ext4, /var/tmp) carries bio's requests and page_fault's major faults.
t=$SECONDS
rc=0
bash "$ROOT/tests/vm/run.sh" --systemd --binary /usr/bin/ebpf-monitor --no-check \
	--runner tests/systemd/run.py --filter test_service --artifacts "$ART" \
	--memory 2G --disk 512M --timeout 1200 --test-timeout 480 2>&1 | tee "$ART/vm.log"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 3 ] && exit 3
vm_lane_add_counts "$ART/vm.log" "$rc"

# The service's journal comes back with the artifacts, whatever the tests said.
if [ -s "$ART/journal-ebpf-monitor.txt" ] &&
	grep -q 'Started ebpf-monitor.service' "$ART/journal-ebpf-monitor.txt"; then
	passed=$((passed + 1))
	say "PASS the service's journal is in tests/systemd/artifacts/journal-ebpf-monitor.txt ($(wc -l <"$ART/journal-ebpf-monitor.txt") lines)"
else
	failed=$((failed + 1))
	say "FAIL no journal of the service came back from the VM (tests/systemd/artifacts/)"
fi
say "lane took $((SECONDS - t)) s"
printf '%s passed, %s failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
