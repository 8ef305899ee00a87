#!/usr/bin/env bash
# run.sh - the kprobe lane: boots Debian's stock kernel (CONFIG_KPROBES=y) under QEMU/TCG with the
# host root mounted read-only over virtio-9p, and runs ebpf-monitor's kprobe tests inside it.
# The host kernel has no kprobes, so this is the only place the kprobe attach chains run for real.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: sudo tests/vm/run.sh [--binary PATH] [--filter NAME]... [--timeout SECS]
                            [--test-timeout SECS] [--boot-timeout SECS] [--memory SIZE]
                            [--smp N] [--accel ACCEL] [--kernel-arg ARG]... [--no-check]
                            [--no-attrib-check] [--disk SIZE]
                            [--plant-hang TEST] [--script PATH] [--arch ARCH] [--systemd]
                            [--runner PATH]

Boots the lane's kernel (prepared by `scripts/setup.sh --vm`) under qemu-system-x86_64 -accel tcg
(qemu-system-aarch64 with --arch aarch64)
and, inside it: `BINARY --check`, one timed start, then `tests/integration/run.py BINARY NAME`
once per filter, every step and every test under a time limit.

  --binary PATH        ebpf-monitor to test (default: build/ebpf-monitor)
  --filter [P:]NAME    integration test name filter; repeatable; with P (rhel7, 4.9, 4.15,
                       4.18) the tests run under that old-kernel profile (EM_TEST_PERSONALITY)
                       (default: kprobe_lane, func, 4.9:kprobe_lane, 4.9:test_func_counts)
  --timeout SECS       limit for everything inside the VM (default: 600)
  --test-timeout SECS  limit for one test or step inside the VM (default: 240); past it the
                       guest prints the stacks of the ebpf-monitor threads, the blocked tasks
                       (sysrq w) and the test's last output, and powers off: exit 5
  --boot-timeout SECS  limit for the VM to reach its root file system (default: 180)
  --memory SIZE        guest memory (default: 1G)
  --smp N              guest CPUs (default: 1; see tests/vm/README.md before raising it)
  --accel ACCEL        QEMU accelerator (default: tcg)
  --kernel-arg ARG     one more guest kernel command-line argument; repeatable
  --no-check           skip --check and the timed start (only the tests run)
  --no-attrib-check    skip the second --check, the one with attribution on
  --disk SIZE          a virtio-blk disk of SIZE (e.g. 512M), ext4, as the VM's /var/tmp: a
                       block device for bio's and page_fault's tests (major faults)
  --plant-hang TEST    make TEST sleep forever once its monitor attached: the watchdog's own test
  --root DIR           the root file system the VM mounts (default /, the host's): another
                       distribution's tree (the Debian 11 lane, tests/bullseye/run.sh), with its
                       own newest kernel in DIR/boot and DIR/lib/modules; --binary and
                       --checkout are paths inside it
  --checkout PATH      the checkout as the VM sees it (default: this one)
  --arch ARCH          the guest's architecture: x86_64 (default) or aarch64 (with --root: an
                       arm64 tree, tests/arm64/run.sh; qemu-system-aarch64 -M virt, the tree's
                       own static busybox in the initramfs)
  --artifacts DIR      where the artifacts go (default: tests/vm/artifacts)
  --script PATH        run PATH (relative to the checkout) in the VM instead of guest.sh, with
                       --out DIR; it writes DIR/summary (e.g. tests/vm/ipi_storm.sh)
  --runner PATH        guest.sh runs PATH (relative to the checkout) instead of
                       tests/integration/run.py for each filter (tests/systemd/run.py)
  --systemd            boot systemd as PID 1 on a writable root (an overlay of a tmpfs over the
                       read-only root) into em-lane.target (tests/vm/systemd/): the basic system,
                       timers masked, then the command as em-lane.service (the systemd lane,
                       tests/systemd/run.sh); the boot's journal is saved as journal-boot.txt
  -h, --help           this text

Environment: EM_VM_CACHE (default /var/cache/ebpf-monitor/vm) holds the lane's kernel;
CI is passed into the VM (under CI=true a test that cannot run fails).
Artifacts (overwritten each run): tests/vm/artifacts/check-<kernel>.txt for the host and the
VM kernel, serial.log, tests-<filter>.log, times.txt, progress.txt (each step's and test's start
and end, guest clock), and after a hang hang.txt and hang-dmesg.txt.
Ends with "N passed, N failed". Exit status: 0 all passed, 1 a test failed or the VM did not
finish, 2 usage error, 3 the lane cannot run here (not root, not x86_64, not set up), 5 a test
or step hung: it ran past --test-timeout inside the VM (hang.txt says where it was), or the guest
stopped answering altogether.
EOF
}

say() { printf 'vm-lane: %s\n' "$*"; }
die() {
	local rc=$1
	shift
	printf 'vm-lane: error: %s\n' "$*" >&2
	exit "$rc"
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BINARY=$ROOT/build/ebpf-monitor
FILTERS=()
# The lane's default tests: exec and open through kprobes (attach: kprobe, and auto), and the
# func monitor, which needs kprobes (or fentry) to count anything; then the same under the 4.9
# profile (tests/personality: what a 4.9 kernel lacks is refused), where exec and open must
# attach by kprobe because syscall tracepoints take no BPF program.
DEFAULT_FILTERS=(kprobe_lane func 4.9:kprobe_lane 4.9:test_func_counts)
LANE_TIMEOUT=600
TEST_TIMEOUT=240
BOOT_TIMEOUT=180
# One vCPU and 1 GiB: the choice and its measurements are in tests/vm/README.md ("Stability").
MEMORY=1G
SMP=1
ACCEL=tcg
KERNEL_ARGS=()
NO_CHECK=0
NO_ATTRIB_CHECK=0
DISK=""
PLANT_HANG=""
SCRIPT=""
SYSTEMD=0
RUNNER=""
# How long the host waits past TEST_TIMEOUT for the guest's own watchdog to report a hung step
# before it calls the guest wedged (a guest that cannot run its watchdog cannot report).
# EM_VM_HOST_GRACE shortens it for the lane's own test (tests/vm/test_lane.sh).
HOST_GRACE=${EM_VM_HOST_GRACE:-90}
[[ $HOST_GRACE =~ ^[0-9]+$ ]] || die 2 "EM_VM_HOST_GRACE takes seconds, got '$HOST_GRACE'"
CACHE=${EM_VM_CACHE:-/var/cache/ebpf-monitor/vm}
ROOTFS=/
GUEST_ARCH=x86_64
GUEST_ROOT=
ARTIFACTS=
# Loaded in this order from the lane kernel's modules: virtio-pci transport, then 9p over it.
MODULES=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
	netfs fscache 9pnet 9pnet_virtio 9p)

need_arg() { [ "$#" -ge 2 ] || die 2 "$1 needs a value (see --help)"; }
while [ $# -gt 0 ]; do
	case $1 in
	--binary)
		need_arg "$@"
		BINARY=$2
		shift
		;;
	--filter)
		need_arg "$@"
		[[ $2 =~ ^((rhel7|4\.9|4\.15|4\.18):)?[A-Za-z0-9_]+$ ]] ||
			die 2 "--filter takes a test-name substring ([A-Za-z0-9_]+), optionally after an old-kernel profile (rhel7:, 4.9:, 4.15:, 4.18:), got '$2'"
		FILTERS+=("$2")
		shift
		;;
	--timeout | --test-timeout | --boot-timeout | --smp)
		need_arg "$@"
		[[ $2 =~ ^[1-9][0-9]*$ ]] || die 2 "$1 takes a positive integer, got '$2'"
		case $1 in
		--timeout) LANE_TIMEOUT=$2 ;;
		--test-timeout) TEST_TIMEOUT=$2 ;;
		--boot-timeout) BOOT_TIMEOUT=$2 ;;
		--smp) SMP=$2 ;;
		esac
		shift
		;;
	--accel | --kernel-arg)
		need_arg "$@"
		case $2 in
		'' | *[!A-Za-z0-9_.,=:-]*) die 2 "$1 takes [A-Za-z0-9_.,=:-]+, got '$2'" ;;
		esac
		if [ "$1" = --accel ]; then ACCEL=$2; else KERNEL_ARGS+=("$2"); fi
		shift
		;;
	--plant-hang)
		need_arg "$@"
		case $2 in
		'' | *[!A-Za-z0-9_]*) die 2 "--plant-hang takes a test name ([A-Za-z0-9_]+), got '$2'" ;;
		esac
		PLANT_HANG=$2
		shift
		;;
	--no-check) NO_CHECK=1 ;;
	--systemd) SYSTEMD=1 ;;
	--no-attrib-check) NO_ATTRIB_CHECK=1 ;;
	--runner)
		need_arg "$@"
		[ -f "$ROOT/$2" ] || die 2 "--runner takes a script path relative to $ROOT, got '$2'"
		RUNNER=$2
		shift
		;;
	--script)
		need_arg "$@"
		[ -f "$ROOT/$2" ] || die 2 "--script takes a script path relative to $ROOT, got '$2'"
		SCRIPT=$2
		shift
		;;
	--arch)
		need_arg "$@"
		case $2 in
		x86_64 | aarch64) GUEST_ARCH=$2 ;;
		*) die 2 "--arch takes x86_64 or aarch64, got '$2'" ;;
		esac
		shift
		;;
	--root | --checkout | --artifacts)
		need_arg "$@"
		case $1 in
		--root) ROOTFS=$(realpath -e "$2") || die 2 "--root: no directory $2" ;;
		--checkout) GUEST_ROOT=$2 ;;
		--artifacts) ARTIFACTS=$2 ;;
		esac
		shift
		;;
	--disk)
		need_arg "$@"
		[[ $2 =~ ^[1-9][0-9]*[MG]$ ]] || die 2 "--disk takes a size like 512M or 1G, got '$2'"
		DISK=$2
		shift
		;;
	--memory)
		need_arg "$@"
		[[ $2 =~ ^[1-9][0-9]*[MG]$ ]] || die 2 "--memory takes a size like 2G or 3072M, got '$2'"
		MEMORY=$2
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		printf 'vm-lane: unknown option: %s\n' "$1" >&2
		usage >&2
		exit 2
		;;
	esac
	shift
done
[ ${#FILTERS[@]} -gt 0 ] || FILTERS=("${DEFAULT_FILTERS[@]}")

# ---- can the lane run here? -------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] ||
	die 3 "must run as root: QEMU exports the whole host root to the VM, which loads BPF (sudo $0)"
[ "$(uname -m)" = x86_64 ] || die 3 "the lane runs on x86_64 hosts; this host is $(uname -m)"
if [ "$GUEST_ARCH" = aarch64 ]; then
	[ "$ROOTFS" != / ] || die 2 "--arch aarch64 needs --root (an arm64 tree: scripts/setup.sh --arm64)"
	QEMU=qemu-system-aarch64
	# -M virt: its PL011 is the console; PCI for virtio-9p through the generic host bridge
	QEMU_MACHINE=(-M virt -cpu max)
	CONSOLE=ttyAMA0
	BUSYBOX=$ROOTFS/bin/busybox
	SETUP_HINT="scripts/setup.sh --arm64"
else
	QEMU=qemu-system-x86_64
	QEMU_MACHINE=(-cpu max)
	CONSOLE=ttyS0
	BUSYBOX=/bin/busybox
	SETUP_HINT="scripts/setup.sh --vm"
fi
command -v "$QEMU" >/dev/null 2>&1 || die 3 "$QEMU is missing: run $SETUP_HINT"
# It runs in the initramfs, where there are no shared libraries: no program interpreter.
if [ ! -x "$BUSYBOX" ] || ! readelf -lW "$BUSYBOX" >/dev/null 2>&1 ||
	readelf -lW "$BUSYBOX" | grep -q 'program interpreter'; then
	die 3 "$BUSYBOX is not a static busybox (package busybox-static): run $SETUP_HINT"
fi
GUEST_ROOT=${GUEST_ROOT:-$ROOT}
if [ "$ROOTFS" = / ]; then
	[ -r "$CACHE/kernel.env" ] || die 3 "no lane kernel in $CACHE: run scripts/setup.sh --vm"
	VM_KVER="" VM_KPKG="" VM_KPKG_VERSION="" VM_TREE=""
	# shellcheck disable=SC1091
	. "$CACHE/kernel.env"
	if [ -z "$VM_KVER" ] || [ ! -d "$VM_TREE" ]; then
		die 3 "$CACHE/kernel.env is incomplete: run scripts/setup.sh --vm"
	fi
else
	# Another distribution's tree: its own newest kernel, which it also has the headers of.
	VM_TREE=$ROOTFS
	VM_KVER=$(cd "$ROOTFS/boot" 2>/dev/null && ls vmlinuz-* 2>/dev/null | sed 's/^vmlinuz-//' |
		sort -V | tail -n1)
	[ -n "$VM_KVER" ] || die 3 "$ROOTFS/boot has no vmlinuz-*"
	VM_KPKG="linux-image-$VM_KVER" VM_KPKG_VERSION="(in $ROOTFS)"
fi
VMLINUZ=$VM_TREE/boot/vmlinuz-$VM_KVER
VM_MODDIR=$VM_TREE/lib/modules/$VM_KVER
[ -r "$VMLINUZ" ] || die 3 "$VMLINUZ is missing: run scripts/setup.sh --vm"
# The VM sees its root read-only: bcc there compiles against that root's copy of the headers.
# (an absolute link there points into that root, not into this host's)
HDRS=$ROOTFS/lib/modules/$VM_KVER/build
case $(readlink "$HDRS") in
/*) HDRS=${ROOTFS%/}$(readlink "$HDRS") ;;
esac
[ -f "$HDRS/Makefile" ] ||
	die 3 "no headers at $ROOTFS/lib/modules/$VM_KVER/build (package linux-headers-$VM_KVER): run scripts/setup.sh --vm"
if [ "$SYSTEMD" -eq 1 ]; then
	# the program the lane's command installs in the VM (a package): nothing to find here
	case $BINARY in
	/*) ;;
	*) die 2 "--systemd takes --binary as the path the program has once installed in the VM" ;;
	esac
elif [ "$ROOTFS" = / ]; then
	BINARY=$(realpath -e "$BINARY" 2>/dev/null) ||
		die 3 "no ebpf-monitor binary (build it first, or pass --binary)"
fi
[ "$SYSTEMD" -eq 1 ] || [ -x "${ROOTFS%/}$BINARY" ] || die 3 "${ROOTFS%/}$BINARY is not executable"
# /tmp, /run, /var/tmp and /dev/shm are fresh tmpfs in the VM: a checkout or binary under them
# is bound back into place by the VM's init (see keep-paths below). /dev, /proc, /sys cannot be.
case $BINARY in
/dev/* | /proc/* | /sys/*)
	die 2 "$BINARY is under a directory the VM replaces with its own; build it elsewhere"
	;;
esac

# ---- work area, cleaned up on every exit ------------------------------------------------------

T0=$(date +%s.%N)
ARTIFACTS=${ARTIFACTS:-$ROOT/tests/vm/artifacts}
WORK=$(mktemp -d /tmp/ebpf-monitor-vm.XXXXXX)
QEMU_PID=""
TAIL_PID=""
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$TAIL_PID" ]; then
		kill "$TAIL_PID" 2>/dev/null || true
		wait "$TAIL_PID" 2>/dev/null || true
	fi
	if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
		# KILL: the guest has nothing to save, and a stopped QEMU would never act on TERM.
		kill -KILL "$QEMU_PID" 2>/dev/null || true
		wait "$QEMU_PID" 2>/dev/null || true
	fi
	# An interrupted or failed run keeps its console and the guest's step log for a look.
	if [ -s "$WORK/serial.log" ] && [ ! -e "$ARTIFACTS/serial.log" ]; then
		tr -d '\r' <"$WORK/serial.log" >"$ARTIFACTS/serial.log" 2>/dev/null || true
	fi
	cp "$WORK/out/progress" "$ARTIFACTS/progress.txt" 2>/dev/null || true
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$ARTIFACTS"
rm -f "$ARTIFACTS"/check-*.txt "$ARTIFACTS"/tests-*.log "$ARTIFACTS"/hang*.txt "$ARTIFACTS"/serial.log \
	"$ARTIFACTS"/times.txt "$ARTIFACTS"/progress.txt

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- the host kernel's view, for comparison ---------------------------------------------------

HOST_KVER=$(uname -r)
if [ "$ROOTFS" = / ] && [ "$SYSTEMD" -eq 0 ]; then
	say "host kernel $HOST_KVER: $BINARY --check"
	(cd "$WORK" && "$BINARY" --check) >"$ARTIFACTS/check-$HOST_KVER.txt" 2>&1 || true
	sed 's/^/  /' "$ARTIFACTS/check-$HOST_KVER.txt"
fi

# ---- initramfs: static busybox, the 9p modules, /init, the command ----------------------------

INITRD=$WORK/initramfs
mkdir -p "$INITRD"/{bin,dev,proc,sys,newroot,modules}
cp "$BUSYBOX" "$INITRD/bin/busybox"
mknod -m 600 "$INITRD/dev/console" c 5 1
# A kernel with modules.dep (an installed one, --root): what virtio-pci and 9p need there, in
# load order, from it; the list above is the lane kernel's (extracted, never depmod'ed).
add_with_deps() {
	local m=$1 path deps d
	[[ " ${ORDERED[*]} " == *" $m "* ]] && return
	path=$(grep -E "(^|/)$m\.ko(\.[a-z]+)?:" "$VM_MODDIR/modules.dep" | head -n1)
	[ -n "$path" ] || return 0 # built in
	deps=${path#*:}
	for d in $deps; do
		d=${d##*/}
		add_with_deps "${d%%.ko*}"
	done
	ORDERED+=("$m")
}
if [ -r "$VM_MODDIR/modules.dep" ]; then
	ORDERED=()
	# (ext4 asks for crc32c at mount whatever its features; no modprobe in the initramfs)
	want=(virtio_pci 9pnet_virtio 9p)
	[ -z "$DISK" ] || want+=(virtio_blk crc32c_generic ext4)
	[ "$SYSTEMD" -eq 0 ] || want+=(overlay)
	for m in "${want[@]}"; do
		add_with_deps "$m"
	done
	MODULES=("${ORDERED[@]}")
else
	# the lane kernel's ext4 and virtio_blk, with what they depend on first (their .ko's
	# "depends=": virtio_blk on virtio and virtio_ring, loaded above; ext4 on jbd2, mbcache and
	# crc16; crc32c asked for at mount)
	[ -z "$DISK" ] || MODULES+=(virtio_blk crc16 mbcache jbd2 crc32c_generic ext4)
	[ "$SYSTEMD" -eq 0 ] || MODULES+=(overlay)
fi
for m in "${MODULES[@]}"; do
	ko=$(find "$VM_MODDIR/kernel" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" \
		-o -name "$m.ko.gz" | head -n1)
	[ -n "$ko" ] || die 3 "module $m is missing from $VM_MODDIR (corrupt cache? rerun scripts/setup.sh --vm)"
	# busybox insmod takes plain .ko files only.
	case $ko in
	*.xz) xz -dc "$ko" >"$INITRD/modules/$m.ko" ;;
	*.zst) zstd -qdc "$ko" >"$INITRD/modules/$m.ko" ;;
	*.gz) gzip -dc "$ko" >"$INITRD/modules/$m.ko" ;;
	*) cp "$ko" "$INITRD/modules/$m.ko" ;;
	esac
	printf '%s\n' "$m" >>"$INITRD/modules/order"
done
DISK_ARGS=()
if [ -n "$DISK" ]; then
	command -v mkfs.ext4 >/dev/null 2>&1 || die 3 "--disk needs mkfs.ext4 (package e2fsprogs)"
	truncate -s "$DISK" "$WORK/disk.img"
	mkfs.ext4 -q -F -L emlane "$WORK/disk.img" || die 1 "mkfs.ext4 failed"
	# shellcheck disable=SC2054 # QEMU's option values are comma lists
	DISK_ARGS=(-drive "file=$WORK/disk.img,if=none,id=disk,format=raw,cache=unsafe"
		-device virtio-blk-pci,drive=disk)
	: >"$INITRD/disk" # init mounts /dev/vda on /var/tmp
fi
cp "$ROOT/tests/vm/init" "$INITRD/init"
chmod 755 "$INITRD/init"
# --systemd: what init copies into the overlay root before it hands over to systemd.
if [ "$SYSTEMD" -eq 1 ]; then
	[ -x "${ROOTFS%/}/lib/systemd/systemd" ] || die 3 "--systemd: ${ROOTFS%/}/lib/systemd/systemd is missing"
	S=$INITRD/systemd
	mkdir -p "$S/etc/systemd/system" "$S/etc/tmpfiles.d" "$S/usr/local/lib/em-lane"
	cp "$ROOT"/tests/vm/systemd/em-lane.{target,service} "$S/etc/systemd/system/"
	cp "$ROOT/tests/vm/systemd/tmp.conf" "$S/etc/tmpfiles.d/tmp.conf"
	cp "$ROOT/tests/vm/systemd/lane.sh" "$S/usr/local/lib/em-lane/lane.sh"
	# No fstab (the root is the overlay), no timers (apt, man-db: load the lane does not want),
	# systemd's status lines only when something is slow or fails.
	# audit=1: a process killed by its seccomp filter is logged (type=1326) into the journal.
	KERNEL_ARGS+=(systemd.unit=em-lane.target systemd.mask=timers.target fstab=no
		systemd.show_status=auto audit=1)
fi
# Directories the VM's tmpfs mounts would hide (a CI checkout under /tmp): init binds them back.
: >"$INITRD/keep-paths"
for p in "$GUEST_ROOT" "$(dirname "$BINARY")"; do
	[ "$SYSTEMD" -eq 0 ] || break # the overlay root has no tmpfs over them
	case $p in
	/tmp/* | /run/* | /var/tmp/* | /dev/shm/*) printf '%s\n' "$p" >>"$INITRD/keep-paths" ;;
	esac
done

# The command the VM runs, chrooted into the host root (tests/vm/guest.sh from this tree).
{
	printf '#!/bin/bash\n'
	printf 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n'
	printf 'export HOME=/tmp LANG=C.UTF-8 CI=%q EM_KPROBE_LANE=1\n' "${CI:-}"
	printf 'cd %q || exit 125\n' "$GUEST_ROOT"
	if [ -n "$SCRIPT" ]; then
		printf 'exec /bin/bash %q --out /tmp/em-lane\n' "$SCRIPT"
	else
		printf 'exec /bin/bash tests/vm/guest.sh --binary %q --out /tmp/em-lane' "$BINARY"
		printf ' --test-timeout %q' "$TEST_TIMEOUT"
		[ "$NO_CHECK" -eq 0 ] || printf ' --no-check'
		[ "$NO_ATTRIB_CHECK" -eq 0 ] || printf ' --no-attrib-check'
		[ -z "$PLANT_HANG" ] || printf ' --plant-hang %q' "$PLANT_HANG"
		[ -z "$RUNNER" ] || printf ' --runner %q' "$RUNNER"
		printf ' --filter %q' "${FILTERS[@]}"
		printf '\n'
	fi
} >"$INITRD/lane-cmd.sh"

(cd "$INITRD" && find . -print0 | "$BUSYBOX" cpio -o -0 -H newc 2>/dev/null) >"$WORK/initramfs.cpio" ||
	die 1 "cannot build the initramfs"

# ---- boot -------------------------------------------------------------------------------------

OUT=$WORK/out
mkdir -p "$OUT"
SERIAL=$WORK/serial.log
: >"$SERIAL"
say "booting Debian kernel $VM_KVER ($VM_KPKG $VM_KPKG_VERSION) under $QEMU -accel $ACCEL ${QEMU_MACHINE[*]}" \
	"-smp $SMP -m $MEMORY; filters: ${FILTERS[*]}; limits: ${TEST_TIMEOUT}s a step, ${LANE_TIMEOUT}s in all"
T_BOOT=$(date +%s.%N)
"$QEMU" -accel "$ACCEL" "${QEMU_MACHINE[@]}" -smp "$SMP" -m "$MEMORY" \
	-nodefaults -no-user-config -display none -monitor none -no-reboot \
	-kernel "$VMLINUZ" -initrd "$WORK/initramfs.cpio" \
	-append "console=$CONSOLE panic=-1 mitigations=off rdinit=/init${KERNEL_ARGS[*]:+ ${KERNEL_ARGS[*]}}" \
	-chardev "file,id=con,path=$SERIAL" -serial chardev:con \
	-fsdev "local,id=r,path=$ROOTFS,security_model=none,readonly=on,multidevs=remap" \
	-device virtio-9p-pci,fsdev=r,mount_tag=hostroot \
	-fsdev "local,id=o,path=$OUT,security_model=none" \
	-device virtio-9p-pci,fsdev=o,mount_tag=laneout \
	"${DISK_ARGS[@]}" \
	</dev/null >"$WORK/qemu.log" 2>&1 &
QEMU_PID=$!
# The console, live from init's first line (the kernel's boot log is in artifacts/serial.log, and
# its tail is printed when the VM does not come up), without the serial line's CRs.
tail -n +1 -f "$SERIAL" | sed -u -n '/EM-LANE/,$ { s/\r$//; s/^/vm| /; p }' &
TAIL_PID=$!

serial_tail() {
	printf 'vm-lane: last lines of the serial console:\n' >&2
	if [ -s "$SERIAL" ]; then
		tail -n 40 "$SERIAL" | tr -d '\r' | sed 's/^/  | /' >&2
	else
		printf '  (nothing: the kernel printed nothing; is %s a kernel image %s boots?)\n' "$VMLINUZ" "$QEMU" >&2
	fi
	[ -s "$WORK/qemu.log" ] && sed 's/^/  qemu: /' "$WORK/qemu.log" >&2
	tr -d '\r' <"$SERIAL" >"$ARTIFACTS/serial.log" 2>/dev/null || true
}

# The guest kernel's reports that a CPU did not run for a while (STALL_RE, stall_count). They
# are not failures by themselves (under TCG a busy host deschedules the emulator for seconds;
# tests/vm/README.md, "Stability"): a step that really hangs is caught by its time limit. They
# are counted and shown.
. "$ROOT/tests/vm/stalls.sh"

# The host's own watch over the guest's watchdog: the last line of the guest's progress file (one
# per step and test start and end) and when the host first saw it. A line that stays the same for
# TEST_TIMEOUT + HOST_GRACE seconds means the guest could not even report its own hang.
LAST_PROGRESS="" LAST_PROGRESS_AT=$(date +%s)
progress_stuck() {
	local line
	line=$(tail -n 1 "$OUT/progress" 2>/dev/null || true)
	if [ "$line" != "$LAST_PROGRESS" ]; then
		LAST_PROGRESS=$line LAST_PROGRESS_AT=$(date +%s)
		return 1
	fi
	[ $(($(date +%s) - LAST_PROGRESS_AT)) -gt $((TEST_TIMEOUT + HOST_GRACE)) ]
}

# wait_for MARKER SECS: 0 once the console shows MARKER; 1 on timeout; 2 when QEMU exited first;
# 3 when the guest's progress stood still for longer than its own watchdog allows.
wait_for() {
	local marker=$1 deadline=$(($(date +%s) + $2))
	while ! grep -qa "$marker" "$SERIAL"; do
		kill -0 "$QEMU_PID" 2>/dev/null || {
			grep -qa "$marker" "$SERIAL" && return 0
			return 2
		}
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		progress_stuck && return 3
		sleep 0.5
	done
}

# wait_or_fail MARKER SECS LATE_WHAT EARLY_WHAT: wait_for, or one error (the VM LATE_WHAT in SECS
# s, QEMU exited before the VM EARLY_WHAT, or the guest stopped answering), the serial console's
# tail, exit 1 (5 for a guest that stopped answering).
wait_or_fail() {
	local rc=0
	wait_for "$1" "$2" || rc=$?
	[ "$rc" -eq 0 ] && return 0
	if [ "$rc" -eq 1 ]; then
		printf 'vm-lane: error: the VM %s in %ss\n' "$3" "$2" >&2
	elif [ "$rc" -eq 3 ]; then
		local step
		step=$(awk '{ print $1 == "END" ? "what follows " $2 : $2 }' <<<"$LAST_PROGRESS")
		printf 'vm-lane: error: hung: the guest stopped answering during %s: no progress for %ss and no report from its watchdog (limit %ss)\n' \
			"${step:-its first step}" "$(($(date +%s) - LAST_PROGRESS_AT))" "$TEST_TIMEOUT" >&2
	else
		printf 'vm-lane: error: QEMU exited before the VM %s\n' "$4" >&2
	fi
	serial_tail
	[ "$rc" -eq 3 ] && exit 5
	exit 1
}

wait_or_fail EM-LANE-BOOTED "$BOOT_TIMEOUT" "did not reach its root file system" "came up"
BOOT_S=$(elapsed "$T_BOOT")
GUEST_UPTIME=$(tr -d '\r' <"$SERIAL" | sed -n 's/.*EM-LANE-BOOTED uptime=\([0-9.]*\).*/\1/p' | head -n1)
say "VM up in ${BOOT_S}s (guest uptime ${GUEST_UPTIME:-?}s)"
LAST_PROGRESS_AT=$(date +%s)

wait_or_fail 'EM-LANE-EXIT=' "$LANE_TIMEOUT" "did not finish" "reported an exit status"
VM_RC=$(tr -d '\r' <"$SERIAL" | sed -n 's/.*EM-LANE-EXIT=\([0-9]*\).*/\1/p' | head -n1)
# The guest powers off right after the marker.
for _ in $(seq 60); do
	kill -0 "$QEMU_PID" 2>/dev/null || break
	sleep 0.5
done
if kill -0 "$QEMU_PID" 2>/dev/null; then
	say "warning: the VM did not power off; killing QEMU"
	kill "$QEMU_PID" 2>/dev/null || true
fi
wait "$QEMU_PID" 2>/dev/null || true
QEMU_PID=""
sleep 1 # the console's last lines
kill "$TAIL_PID" 2>/dev/null || true
wait "$TAIL_PID" 2>/dev/null || true
TAIL_PID=""

# ---- results ----------------------------------------------------------------------------------

tr -d '\r' <"$SERIAL" >"$ARTIFACTS/serial.log"
cp "$OUT"/check-*.txt "$OUT"/tests-*.log "$OUT"/hang*.txt "$ARTIFACTS"/ 2>/dev/null || true
# --systemd: the boot's journal, the failed units, what the tests saved (journal-*.txt, ...)
[ "$SYSTEMD" -eq 0 ] || cp -r "$OUT"/. "$ARTIFACTS"/ 2>/dev/null || true
STALLS=$(stall_count "$ARTIFACTS/serial.log")
TOTAL_S=$(elapsed "$T0")
{
	printf 'vm_kernel %s\n' "$VM_KVER"
	printf 'host_kernel %s\n' "$HOST_KVER"
	printf 'qemu -accel %s -smp %s -m %s\n' "$ACCEL" "$SMP" "$MEMORY"
	printf 'boot_s %s\n' "$BOOT_S"
	[ -r "$OUT/times.txt" ] && cat "$OUT/times.txt"
	printf 'stall_reports %s\n' "$STALLS"
	printf 'lane_total_s %s\n' "$TOTAL_S"
} >"$ARTIFACTS/times.txt"

VM_KVER_SEEN=$(sed -n 's/^vm_kernel_running //p' "$OUT/times.txt" 2>/dev/null || true)
say "VM kernel: ${VM_KVER_SEEN:-unknown} (host: $HOST_KVER)"
say "times: $(tr '\n' ' ' <"$ARTIFACTS/times.txt")"
say "artifacts: ${ARTIFACTS#"$ROOT"/}/ ($(cd "$ARTIFACTS" && echo check-*.txt))"
if [ "$STALLS" -gt 0 ]; then
	say "warning: the guest kernel reported a CPU that did not run for a while ($STALLS line(s)," \
		"first: $(grep -m1 -aoE "($STALL_RE)[^[]*" "$ARTIFACTS/serial.log")); not a failure by itself"
fi

SUMMARY=$(cat "$OUT/summary" 2>/dev/null || true)
if ! [[ $SUMMARY =~ ^[0-9]+\ passed,\ [0-9]+\ failed(,\ [0-9]+\ skipped)?$ ]]; then
	printf 'vm-lane: error: the VM wrote no test summary (exit status %s)\n' "${VM_RC:-?}" >&2
	serial_tail
	exit 1
fi
say "VM exit status ${VM_RC:-?}"
if [ -s "$OUT/hung" ]; then
	read -r HUNG_STEP HUNG_LIMIT <"$OUT/hung"
	printf 'vm-lane: error: hung: %s ran past its limit of %s s inside the VM; the guest printed the' \
		"$HUNG_STEP" "$HUNG_LIMIT" >&2
	printf ' stacks of its ebpf-monitor threads and its last output above (%s), and the blocked' \
		"${ARTIFACTS#"$ROOT"/}/hang.txt" >&2
	printf ' tasks (sysrq w) in %s\n' "${ARTIFACTS#"$ROOT"/}/hang-dmesg.txt" >&2
	printf '%s\n' "$SUMMARY"
	exit 5
fi
printf '%s\n' "$SUMMARY"
[ "${VM_RC:-1}" = 0 ] || exit 1
