#!/usr/bin/env bash
# cross.sh - the arm64 cross build: the project built for aarch64 with Debian's
# gcc-aarch64-linux-gnu against an arm64 root file system (scripts/setup.sh --arm64), with
# -Werror, and its unit tests run under qemu-aarch64 user emulation. tests/arm64/run.sh then
# packs this build as the arm64 .deb (hence the prefix /usr) and runs it under an arm64 kernel.
# Usage: sudo tests/arm64/cross.sh [BUILD_DIR]    (default build-arm64)
# Exit: 0 built and every unit test passed, 1 a failure, 3 this host cannot (not x86_64, no
# arm64 root: run scripts/setup.sh --arm64 first).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build-arm64}
SYSROOT=${EM_ARM64_ROOT:-${EM_ARM64_CACHE:-/var/cache/ebpf-monitor/arm64}/root}
LANE_NAME=arm64-cross
# shellcheck source=tests/vm/lib.sh
. "$ROOT/tests/vm/lib.sh"
trap lane_unmount EXIT

[ "$(uname -m)" = x86_64 ] || die 3 "the cross build runs on x86_64 hosts"
[ -f "$SYSROOT/.em-packages" ] || [ -n "${EM_ARM64_ROOT:-}" ] ||
	die 3 "no arm64 root file system at $SYSROOT: run sudo scripts/setup.sh --arm64"
for tool in aarch64-linux-gnu-gcc qemu-aarch64-static; do
	command -v "$tool" >/dev/null || die 3 "$tool missing: run sudo scripts/setup.sh --arm64"
done
# qemu-aarch64 -L looks up absolute paths in the root first: its empty /proc and /sys would hide
# the host's (the tests read /proc/<pid>/cgroup, /proc/<pid>/stat, /sys/fs/cgroup): bound over
# them while the tests run
for d in proc sys; do
	mountpoint -q "$SYSROOT/$d" && continue
	mount --rbind "/$d" "$SYSROOT/$d" && mount --make-rslave "$SYSROOT/$d" ||
		die 1 "cannot bind /$d into $SYSROOT"
	MOUNTS+=("$SYSROOT/$d")
done
# arm64 programs the tests start by path (the analyzer from python) find their loader and
# libraries in the root; qemu-aarch64 -L does the same for those ctest starts itself
export EM_ARM64_ROOT=$SYSROOT QEMU_LD_PREFIX=$SYSROOT

mkdir -p "$BUILD"
t=$SECONDS
if ! { cmake -S "$ROOT" -B "$BUILD" -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/aarch64-linux-gnu.cmake" \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo -DEM_WERROR=ON -DEM_SANITIZE=OFF \
	-DCMAKE_INSTALL_PREFIX=/usr &&
	cmake --build "$BUILD" -j"$(nproc)"; } >"$BUILD/build.log" 2>&1; then
	tail -n 40 "$BUILD/build.log"
	die 1 "the arm64 build failed (log: $BUILD/build.log)"
fi
arch=$(file -b "$BUILD/ebpf-monitor" | grep -o 'ARM aarch64' || true)
[ -n "$arch" ] || die 1 "$BUILD/ebpf-monitor is not an aarch64 program: $(file -b "$BUILD/ebpf-monitor")"
say "built for aarch64 in $((SECONDS - t)) s (-Werror)"
t=$SECONDS
(cd "$BUILD" && ctest --output-on-failure --timeout 300) >"$BUILD/unit.log" 2>&1
rc=$?
grep -E '^[0-9]+% tests passed|\(Failed\)|\(Timeout\)' "$BUILD/unit.log" | sed 's/^/  /'
say "unit tests under qemu-aarch64 in $((SECONDS - t)) s"
line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$BUILD/unit.log")
if [ "$rc" -ne 0 ] || [ -z "$line" ]; then
	die 1 "arm64 unit tests failed (log: $BUILD/unit.log)"
fi
n=$(sed -E 's/.* out of ([0-9]+)/\1/' <<<"$line")
echo "$n passed, 0 failed"
