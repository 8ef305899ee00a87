#!/usr/bin/env bash
# run.sh - the arm64 lane: the aarch64 build (tests/arm64/cross.sh made it) packed as the arm64
# .deb, installed into the arm64 Debian 12 root (scripts/setup.sh --arm64) and run under
# Debian's arm64 kernel on an emulated arm64 machine (qemu-system-aarch64 -M virt -cpu max,
# TCG), that root over virtio-9p (tests/vm/run.sh --arch aarch64): the installed program's
# --check, then exact-count tests of every monitor (bio and page_fault on a virtio-blk disk),
# exec and open through the arm64 syscall wrappers' kprobes, func by kprobe. The aarch64 RPM is
# built from the same spec (rpmbuild --target aarch64), installed with rpm into a root of its own
# and its program run there under qemu-aarch64.
#
# Usage: sudo tests/arm64/run.sh [BUILD_DIR]     (default build-arm64, from tests/arm64/cross.sh)
# Artifacts (overwritten each run): tests/arm64/artifacts/ (the .deb's dpkg log and contents,
# rpmbuild.log and the RPM's requirements; vm/: check-<kernel>.txt, serial.log, tests-*.log,
# times.txt). Ends with "N passed, N failed".
# Exit status: 0 all passed, 1 something failed, 2 usage error, 3 the lane cannot run here (not
# root, not x86_64, no arm64 root or build), 5 a test hung in the VM.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-$ROOT/build-arm64}
R=${EM_ARM64_CACHE:-/var/cache/ebpf-monitor/arm64}/root
ART=$ROOT/tests/arm64/artifacts
GUEST=/src/ebpf-monitor # the checkout inside the arm64 root
# The tests in the VM (tests/integration/run.py filters), about 8 minutes in all under TCG.
# exec's N rows with file name and argv are test_kprobe_lane_exec_attach_kprobe's (200 execs
# through __arm64_sys_execve's kprobe); the second --check, with attribution, is left to the x86
# lane, whose 6.1 kernel has the same verifier (it costs 160 s here). bio's and page_fault's
# tests use the VM's disk (run.sh --disk: ext4 on virtio-blk as /var/tmp).
VM_FILTERS=(kprobe_lane test_exec_failed test_func_counts test_syscall_getppid test_syscall_errors
	test_open_counts test_open_each test_interrupt_counts test_context_switch_matches
	test_page_fault_matches test_bio_dd)

LANE_NAME=arm64-lane
# shellcheck source=tests/vm/lib.sh
. "$ROOT/tests/vm/lib.sh"
trap lane_unmount EXIT

case ${1:-} in
-h | --help)
	sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
-*) die 2 "unknown option: $1 (see --help)" ;;
esac
[ "$(id -u)" -eq 0 ] || die 3 "must run as root (dpkg in the arm64 root, QEMU, BPF)"
[ "$(uname -m)" = x86_64 ] || die 3 "the lane runs on x86_64 hosts; this host is $(uname -m)"
[ -s "$R/.em-kernel" ] || die 3 "no arm64 root with a kernel in $R: run scripts/setup.sh --arm64"
[ -x "$BUILD/ebpf-monitor" ] || die 3 "no arm64 build in $BUILD: run tests/arm64/cross.sh first"
BUILD=$(realpath "$BUILD")

rm -rf "$ART"
mkdir -p "$ART"
passed=0 failed=0
ok() {
	passed=$((passed + 1))
	say "PASS $*"
}
bad() {
	failed=$((failed + 1))
	say "FAIL $*"
}

# ---- the .deb: packed from the cross build, installed into the arm64 root ----------------------

deb=
t=$SECONDS
rm -f "$BUILD"/ebpf-monitor_*.deb
# cross.sh configured the build with the package's prefix, /usr
if (cd "$BUILD" && cpack -G DEB) >"$ART/cpack.log" 2>&1; then
	deb=$(ls "$BUILD"/ebpf-monitor_*_arm64.deb 2>/dev/null | head -n1)
fi
if [ -n "$deb" ] && [ "$(dpkg-deb -f "$deb" Architecture)" = arm64 ] &&
	dpkg-deb -c "$deb" >"$ART/deb-contents.txt" &&
	dpkg-deb -x "$deb" "$ART/deb-tree" && file -b "$ART/deb-tree/usr/bin/ebpf-monitor" |
	grep -q 'ARM aarch64'; then
	ok "deb: $(basename "$deb") packed in $((SECONDS - t)) s (Architecture: arm64, aarch64 binary)"
else
	tail -n 20 "$ART/cpack.log" | sed 's/^/  /'
	bad "deb: no arm64 .deb from the cross build (log: tests/arm64/artifacts/cpack.log)"
fi
rm -rf "$ART/deb-tree"

# dpkg runs in the root under qemu-aarch64 (binfmt_misc); the package's postinst needs /proc.
installed=0
if [ -n "$deb" ]; then
	mkdir -p "$R/tmp/em-deb"
	cp "$deb" "$R/tmp/em-deb/"
	mount -t proc proc "$R/proc" && MOUNTS+=("$R/proc")
	chroot "$R" dpkg --purge ebpf-monitor >/dev/null 2>&1 || true
	if chroot "$R" env PATH=/usr/sbin:/usr/bin:/sbin:/bin dpkg -i "/tmp/em-deb/$(basename "$deb")" \
		>"$ART/dpkg-install.log" 2>&1 &&
		chroot "$R" dpkg-query -W -f='${Status} ${Version} ${Architecture}\n' ebpf-monitor \
		>>"$ART/dpkg-install.log" && grep -q 'install ok installed.*arm64' "$ART/dpkg-install.log" &&
		[ -x "$R/usr/bin/ebpf-monitor" ] && [ -f "$R/etc/ebpf-monitor/monitor_config.yaml" ]; then
		installed=1
		ok "deb: dpkg -i in the arm64 root ($(tail -n1 "$ART/dpkg-install.log"))"
	else
		sed 's/^/  /' "$ART/dpkg-install.log"
		bad "deb: dpkg -i in the arm64 root"
	fi
	rm -rf "$R/tmp/em-deb"
	lane_unmount
fi

# ---- the RPM: the same spec, built for aarch64 with the same toolchain file -----------------------

# rpmbuild --target aarch64 runs the spec's CMake build with em_cmake_args naming the toolchain
# file (the source tarball holds it).
t=$SECONDS
RPM_TOP=$BUILD-rpm
rm -rf "$RPM_TOP"
mkdir -p "$RPM_TOP"
rpm_file=
if ! command -v rpmbuild >/dev/null 2>&1; then
	bad "rpm: rpmbuild is missing (package rpm: scripts/setup.sh --arm64 installs it)"
elif (cd "$BUILD" && cmake --build . --target package_source) >"$ART/rpm-source.log" 2>&1 &&
	rpmbuild --nodeps --nocheck -bb --target aarch64 --define "_topdir $RPM_TOP" \
		--define "_sourcedir $BUILD" \
		--define "em_cmake_args -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake" \
		--define "__strip aarch64-linux-gnu-strip" --define "__objdump aarch64-linux-gnu-objdump" \
		"$ROOT/packaging/rpm/ebpf-monitor.spec" >"$ART/rpmbuild.log" 2>&1; then
	rpm_file=$(find "$RPM_TOP/RPMS" -name 'ebpf-monitor-*.aarch64.rpm' | head -n1)
fi
# Installed with rpm into a root of its own (this host is not an RPM system: --nodeps, and no
# scriptlets, which call systemctl), then its program is run from there.
RPM_ROOT=$RPM_TOP/root
mkdir -p "$RPM_ROOT"
if [ -n "$rpm_file" ] && [ "$(rpm -qp --qf '%{ARCH}' "$rpm_file")" = aarch64 ] &&
	rpm -qp --requires "$rpm_file" >"$ART/rpm-requires.txt" &&
	! grep -q GLIBC_PRIVATE "$ART/rpm-requires.txt" &&
	rpm -i --root "$RPM_ROOT" --nodeps --noscripts --ignorearch "$rpm_file" \
		>"$ART/rpm-install.log" 2>&1 &&
	[ "$(rpm -q --root "$RPM_ROOT" ebpf-monitor)" = "$(basename "$rpm_file" .rpm)" ] &&
	[ -f "$RPM_ROOT/etc/ebpf-monitor/monitor_config.yaml" ] &&
	[ "$(stat -c %a "$RPM_ROOT/var/lib/ebpf-monitor")" = 750 ] &&
	file -b "$RPM_ROOT/usr/bin/ebpf-monitor" | grep -q 'ARM aarch64' &&
	version=$(qemu-aarch64-static -L "$R" "$RPM_ROOT/usr/bin/ebpf-monitor" --version); then
	ok "rpm: $(basename "$rpm_file") built in $((SECONDS - t)) s (ARCH aarch64), installed with rpm --root, runs: $version"
else
	sed 's/^/  /' "$ART/rpm-install.log" 2>/dev/null
	tail -n 20 "$ART/rpmbuild.log" 2>/dev/null | sed 's/^/  /'
	grep GLIBC_PRIVATE "$ART/rpm-requires.txt" 2>/dev/null | sed 's/^/  requires: /'
	bad "rpm: no working aarch64 RPM (log: tests/arm64/artifacts/rpmbuild.log)"
fi
rm -rf "$RPM_ROOT"

# ---- the checkout in the root, for the tests -------------------------------------------------

rm -rf "${R:?}$GUEST"
mkdir -p "$R$GUEST"
(cd "$ROOT" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) |
	tar -C "$R$GUEST" -xf - || die 1 "cannot copy the checkout into $R$GUEST"
mkdir -p "$R$GUEST/build"
cp "$BUILD/ebpf-monitor" "$R$GUEST/build/ebpf-monitor"

# ---- QEMU: the arm64 kernel --------------------------------------------------------------------

# The installed program from the .deb is the one under test; the build's copy only when the
# package could not be installed (its failure is counted above).
binary=/usr/bin/ebpf-monitor
[ "$installed" -eq 1 ] || binary=$GUEST/build/ebpf-monitor
args=()
for f in "${VM_FILTERS[@]}"; do
	args+=(--filter "$f")
done
say "QEMU: $(cat "$R/.em-kernel") on qemu-system-aarch64 -M virt -cpu max; testing $binary"
bash "$ROOT/tests/vm/run.sh" --arch aarch64 --root "$R" --checkout "$GUEST" --binary "$binary" \
	--artifacts "$ART/vm" --memory 2G --disk 512M --timeout 900 --no-attrib-check "${args[@]}" \
	2>&1 | tee "$ART/vm.log"
rc=${PIPESTATUS[0]}
vm_lane_add_counts "$ART/vm.log" "$rc"
# --check on the arm64 kernel: every monitor available, exec and func through kprobes, syscall
# through the raw tracepoint (the number from arm64's pt_regs)
check=$(ls "$ART"/vm/check-*-arm64.txt 2>/dev/null | head -n1)
if [ -z "$check" ]; then
	bad "--check: no output saved from the VM"
elif grep -q 'unavailable' "$check" || ! grep -Eq '^ +exec +execve +kprobe' "$check" ||
	! grep -Eq '^ +syscall +sys_exit +raw_tracepoint' "$check" ||
	! grep -Eq '^ +func +vfs_read +kprobe' "$check"; then
	grep -E 'unavailable|^ +(exec|syscall|func) ' "$check" | sed 's/^/  /'
	bad "--check on $(cat "$R/.em-kernel"): a monitor unavailable, or exec/func not by kprobe, syscall not by raw tracepoint"
else
	ok "--check on $(cat "$R/.em-kernel"): every monitor available (tests/arm64/artifacts/${check#"$ART"/})"
fi

# ---- the package out again ---------------------------------------------------------------------

if [ "$installed" -eq 1 ]; then
	mount -t proc proc "$R/proc" && MOUNTS+=("$R/proc")
	if chroot "$R" dpkg --purge ebpf-monitor >"$ART/dpkg-purge.log" 2>&1 &&
		[ ! -e "$R/usr/bin/ebpf-monitor" ] && [ ! -e "$R/etc/ebpf-monitor" ]; then
		ok "deb: dpkg --purge left nothing in the arm64 root"
	else
		sed 's/^/  /' "$ART/dpkg-purge.log"
		bad "deb: dpkg --purge in the arm64 root"
	fi
	lane_unmount
fi
rm -rf "${R:?}$GUEST"

say "artifacts: tests/arm64/artifacts/ ($(cd "$ART" && ls vm/check-*.txt 2>/dev/null | tr '\n' ' '))"
printf '%s passed, %s failed\n' "$passed" "$failed"
[ "$rc" -eq 5 ] && exit 5
[ "$failed" -eq 0 ]
