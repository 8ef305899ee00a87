#!/usr/bin/env bash
# run.sh - the Debian 11 (bullseye) lane: the project on a real older userspace and kernel.
# In the bullseye root file system that `scripts/setup.sh --bullseye` made (bcc 0.18, LLVM 11,
# gcc 10, CMake 3.18, libyaml 0.2.2, Check 0.15, libmicrohttpd 0.9.72, kernel 5.10):
#   1. chroot, on this host's kernel: scripts/setup.sh, the release build with -Werror, the unit
#      tests and the integration tests; --check saved;
#   2. QEMU: bullseye's own 5.10 kernel booted with that root (tests/vm/run.sh --root), the
#      kprobe and func tests and exact-count tests of syscall, open, context_switch, interrupt.
#
# Usage: sudo tests/bullseye/run.sh [--no-vm]
# Artifacts (overwritten each run): tests/bullseye/artifacts/ (build, unit, integration and
# --check of the chroot; vm/ for the QEMU part). Ends with "N passed, N failed". Exit status: 0
# all passed, 1 something failed, 2 usage error, 3 the lane cannot run here (not root, not
# x86_64, not set up), 5 a test hung in the VM.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${EM_BULLSEYE_CACHE:-/var/cache/ebpf-monitor/bullseye}
R=$CACHE/root
ART=$ROOT/tests/bullseye/artifacts
GUEST=/src/ebpf-monitor # the checkout inside the bullseye root
NO_VM=0
# The core subset in the VM: one exact-count test of every monitor but func (func has its own).
# (exec has its exact counts in kprobe_lane: 200 execs through kprobes. bio and page_fault run
# in the chroot only: the VM's files are on 9p and tmpfs, with no block device to read from,
# so no disk I/O and no major faults to count.)
VM_FILTERS=(kprobe_lane func test_syscall_getppid test_open_counts test_context_switch_matches
	test_interrupt_counts)

LANE_NAME=bullseye-lane
# shellcheck source=tests/vm/lib.sh
. "$ROOT/tests/vm/lib.sh"
trap lane_unmount EXIT

for arg in "$@"; do
	case $arg in
	--no-vm) NO_VM=1 ;;
	-h | --help)
		sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) die 2 "unknown option: $arg (see --help)" ;;
	esac
done
[ "$(id -u)" -eq 0 ] || die 3 "must run as root (chroot, mounts, BPF)"
[ "$(uname -m)" = x86_64 ] || die 3 "the lane's root is x86_64; this host is $(uname -m)"
[ -f "$R/.em-packages" ] || die 3 "no bullseye root in $CACHE: run scripts/setup.sh --bullseye"

# ---- the chroot: mounts undone on every exit ---------------------------------------------------

mnt() { # mnt TARGET MOUNT-ARGS...
	local t=$1
	shift
	mkdir -p "$t"
	mount "$@" "$t" || die 1 "mount $* $t failed"
	MOUNTS+=("$t")
}
mnt "$R/proc" -t proc proc
mnt "$R/sys" -t sysfs sysfs
mnt "$R/sys/kernel/tracing" -t tracefs nodev
# bcc 0.18 reads tracepoints under /sys/kernel/debug/tracing, as Debian 11's systemd mounts it
mnt "$R/sys/kernel/debug" -t debugfs nodev
# The attribution tests make cgroups in the host's name=systemd (v1) and unified (v2)
# hierarchies: the same hierarchies mounted again in the chroot (a mount of its own, so nothing
# propagates back to the host's mounts when the lane unmounts them).
if [ -e /sys/fs/cgroup/systemd/cgroup.procs ] || [ -e /sys/fs/cgroup/unified/cgroup.procs ]; then
	mnt "$R/sys/fs/cgroup" -t tmpfs -o mode=755 cgroups
	[ -e /sys/fs/cgroup/systemd/cgroup.procs ] &&
		mnt "$R/sys/fs/cgroup/systemd" -t cgroup -o none,name=systemd cgroup
	[ -e /sys/fs/cgroup/unified/cgroup.procs ] &&
		mnt "$R/sys/fs/cgroup/unified" -t cgroup2 cgroup2
fi
mnt "$R/dev" --bind /dev
mnt "$R/dev/pts" --bind /dev/pts
mnt "$R/tmp" -t tmpfs -o mode=1777 tmpfs
cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null || true

rm -rf "$ART"
mkdir -p "$ART"
say "copying the checkout to $R$GUEST"
rm -rf "${R:?}$GUEST"
mkdir -p "$R$GUEST"
(cd "$ROOT" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) |
	tar -C "$R$GUEST" -xf - || die 1 "cannot copy the checkout"

# In the chroot: each step's output to its artifact, the counts at the end.
cat >"$R/tmp/lane.sh" <<'EOF'
set -uo pipefail
cd /src/ebpf-monitor
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp LANG=C.UTF-8
A=/tmp/art
mkdir -p $A
t=$SECONDS
bash scripts/setup.sh >$A/setup.log 2>&1 || { echo "STEP setup FAILED"; exit 1; }
echo "STEP setup $((SECONDS - t))s"
{ gcc --version | head -n1; cmake --version | head -n1; pkg-config --modversion libbcc;
  dpkg-query -W -f='${Package} ${Version}\n' libbpfcc-dev libclang1-11 libllvm11 libyaml-dev \
	check libmicrohttpd-dev 2>/dev/null; } >$A/versions.txt
t=$SECONDS
if ! { cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEM_WERROR=ON -DEM_SANITIZE=OFF &&
	cmake --build build -j"$(nproc)"; } >$A/build.log 2>&1; then
	echo "STEP build FAILED"
	exit 1
fi
echo "STEP build $((SECONDS - t))s"
t=$SECONDS
(cd build && ctest --output-on-failure --timeout 300) >$A/unit.log 2>&1
echo "STEP unit $((SECONDS - t))s"
# The unit written for this systemd (247) against the directive table, and systemd 247's own
# systemd-analyze on it and on the newest unit.
bash tests/packaging/units.sh >$A/units.log 2>&1
cp build/packaging/ebpf-monitor.service $A/ebpf-monitor.service 2>/dev/null
build/ebpf-monitor --check >$A/check-$(uname -r).txt 2>&1
t=$SECONDS
bash tests/integration/run.sh build/ebpf-monitor >$A/integration.log 2>&1
echo "STEP integration $((SECONDS - t))s"
EOF
say "chroot: setup, build, unit and integration tests (this kernel, $(uname -r))"
chroot "$R" env CI="${CI:-}" bash /tmp/lane.sh | tee "$ART/steps.txt"
cp -r "$R/tmp/art/." "$ART/" 2>/dev/null || true

passed=0 failed=0 skipped=0
if grep -q 'STEP .* FAILED' "$ART/steps.txt"; then
	failed=$((failed + 1))
	tail -n 30 "$ART"/build.log "$ART"/setup.log 2>/dev/null | sed 's/^/  /'
fi
if [ -f "$ART/unit.log" ]; then
	line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$ART/unit.log" |
		tail -n1)
	if [[ $line =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
		failed=$((failed + BASH_REMATCH[1]))
		passed=$((passed + BASH_REMATCH[2] - BASH_REMATCH[1]))
		say "unit tests: $line"
	else
		say "unit tests: no ctest result line"
		failed=$((failed + 1))
	fi
fi
if [ -f "$ART/units.log" ]; then
	grep -E '^units: FAIL|^  ' "$ART/units.log" | sed 's/^/  /'
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$ART/units.log" | tail -n1)
	if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
		say "systemd units (tests/packaging/units.sh with bullseye's systemd): $line"
	else
		say "systemd units: no result line"
		failed=$((failed + 1))
	fi
fi
if [ -f "$ART/integration.log" ]; then
	grep -E '^(FAIL|SKIP) ' "$ART/integration.log" | sed 's/^/  /'
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$ART/integration.log" |
		tail -n1)
	if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
		skipped=$((skipped + ${BASH_REMATCH[4]:-0}))
		say "integration tests (chroot): $line"
	else
		say "integration tests: no result line"
		failed=$((failed + 1))
	fi
fi
lane_unmount

# ---- QEMU: bullseye's own kernel --------------------------------------------------------------

rc=0
if [ "$NO_VM" -eq 0 ] && ! grep -q 'STEP build FAILED' "$ART/steps.txt"; then
	args=()
	for f in "${VM_FILTERS[@]}"; do
		args+=(--filter "$f")
	done
	say "QEMU: $(cd "$R/boot" && ls vmlinuz-* | tail -n1) with the bullseye root"
	bash "$ROOT/tests/vm/run.sh" --root "$R" --checkout "$GUEST" \
		--binary "$GUEST/build/ebpf-monitor" --artifacts "$ART/vm" --timeout 900 "${args[@]}" \
		2>&1 | tee "$ART/vm.log"
	rc=${PIPESTATUS[0]}
	vm_lane_add_counts "$ART/vm.log" "$rc"
fi

sed 's/^/  /' "$ART/steps.txt"
say "artifacts: tests/bullseye/artifacts/ ($(cd "$ART" && ls check-*.txt vm/check-*.txt 2>/dev/null | tr '\n' ' '))"
line="$passed passed, $failed failed"
[ "$skipped" -eq 0 ] || line="$line, $skipped skipped"
printf '%s\n' "$line"
[ "$rc" -eq 5 ] && exit 5
[ "$failed" -eq 0 ]
