#!/usr/bin/env bash
# setup.sh - installs what ebpf-monitor needs to build, test and run (apt, dnf or yum), makes
# kernel headers available to bcc and mounts tracefs; with --vm also what the kprobe lane
# (tests/vm/run.sh) needs. Idempotent: a second run changes nothing.
set -euo pipefail

usage() {
	cat <<'USAGE'
Usage: sudo scripts/setup.sh [--vm] [--bullseye] [--arm64]

  (no option)  build and test dependencies, kernel headers for bcc, tracefs
  --vm         also the kprobe lane (tests/vm/run.sh; x86_64 Debian hosts): QEMU, a static
               busybox, Debian's stock kernel extracted into $EM_VM_CACHE (default
               /var/cache/ebpf-monitor/vm; the host's /boot and bootloader are not touched) and
               the headers package of exactly that kernel version
  --bullseye   also the Debian 11 lane (tests/bullseye/run.sh; x86_64 Debian hosts): a
               bullseye root file system made with debootstrap in $EM_BULLSEYE_CACHE (default
               /var/cache/ebpf-monitor/bullseye): its bcc 0.18, LLVM 11, gcc 10, CMake,
               libraries and its 5.10 kernel with headers; implies --vm (QEMU, busybox)
  --arm64      also the arm64 cross build (tests/arm64/cross.sh; x86_64 Debian hosts):
               gcc-aarch64-linux-gnu, qemu-user-static (qemu-aarch64 registered with
               binfmt_misc), and an arm64 bookworm root file system made with debootstrap in
               $EM_ARM64_CACHE (default /var/cache/ebpf-monitor/arm64) as the sysroot
  -h, --help   this text

Exit status: 0 ready, 1 failed, 2 usage error, 3 not root or unsupported host.
USAGE
}

VM_LANE=0
BULLSEYE=0
ARM64=0
for arg in "$@"; do
	case $arg in
	--vm) VM_LANE=1 ;;
	--bullseye) VM_LANE=1 BULLSEYE=1 ;;
	--arm64) ARM64=1 ;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		printf 'setup: unknown option: %s\n' "$arg" >&2
		usage >&2
		exit 2
		;;
	esac
done

say() { printf 'setup: %s\n' "$*"; }
warn() { printf 'setup: WARNING: %s\n' "$*" >&2; }
die() {
	local rc=$1
	shift
	printf 'setup: error: %s\n' "$*" >&2
	exit "$rc"
}

if [ "$(id -u)" -ne 0 ]; then
	die 3 "must run as root: installs packages, links kernel headers, mounts tracefs (try: sudo $0)"
fi

KREL=$(uname -r)
MODDIR=/lib/modules/$KREL

# bcc compiles probes against /lib/modules/$(uname -r)/build; a Makefile there means usable headers.
headers_ok() { [ -f "$MODDIR/build/Makefile" ]; }

# Headers whose directory is not named after the running kernel were linked by the fallback below.
warn_if_mismatched_headers() {
	local dir
	dir=$(readlink -f "$MODDIR/build")
	case "${dir##*/}" in
	"linux-headers-$KREL" | "$KREL") return 0 ;;
	esac
	warn "kernel headers $dir do not match the running kernel $KREL."
	warn "This is safe only because ebpf-monitor's probes read no kernel structs" \
		"(tracepoint arguments, BPF helpers and pt_regs only)."
}

# ---- Debian / Ubuntu --------------------------------------------------------------------------

deb_installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

deb_available() {
	apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [^(]'
}

APT_UPDATED=0
apt_update_once() {
	if [ "$APT_UPDATED" -eq 0 ]; then
		say "apt-get update"
		apt-get update -qq
		APT_UPDATED=1
	fi
}

# Debian: linux-headers-<arch> with /usr/src/linux-headers-<ver>-<arch> and <ver>-common.
# Ubuntu: linux-headers-generic with /usr/src/linux-headers-<ver>-generic and <ver>.
deb_headers_flavour() {
	local id_like=""
	# shellcheck disable=SC1091
	[ -r /etc/os-release ] && id_like=$(. /etc/os-release && echo "${ID:-} ${ID_LIKE:-}")
	case "$id_like" in
	*ubuntu*)
		HDR_META=linux-headers-generic
		HDR_FLAVOUR=generic
		HDR_COMMON_SUFFIX=""
		;;
	*)
		HDR_FLAVOUR=$(dpkg --print-architecture)
		case "$HDR_FLAVOUR" in
		amd64 | arm64) ;;
		*) die 1 "no kernel headers fallback for architecture $HDR_FLAVOUR" ;;
		esac
		HDR_META=linux-headers-$HDR_FLAVOUR
		HDR_COMMON_SUFFIX=-common
		;;
	esac
}

# Links the newest installed generic headers into /lib/modules/$(uname -r)/{build,source}.
deb_link_fallback_headers() {
	local d name ver best="" common link
	for d in /usr/src/linux-headers-*-"$HDR_FLAVOUR"; do
		name=${d##*/}
		# Plain flavour only (skip -cloud-amd64, -rt-amd64): <ver> is 6.1.0-56 or 6.12.12+deb13.
		[[ $name =~ ^linux-headers-([0-9][0-9A-Za-z.+~]*(-[0-9]+)?)-$HDR_FLAVOUR$ ]] || continue
		[ -f "$d/Makefile" ] || continue
		best=$(printf '%s\n%s\n' "$best" "${BASH_REMATCH[1]}" | sed '/^$/d' | sort -V | tail -n1)
	done
	[ -n "$best" ] ||
		die 1 "$HDR_META is installed but no /usr/src/linux-headers-*-$HDR_FLAVOUR was found"
	ver=$best
	d=/usr/src/linux-headers-$ver-$HDR_FLAVOUR
	common=/usr/src/linux-headers-$ver$HDR_COMMON_SUFFIX
	[ -d "$common" ] || die 1 "$common is missing (needed next to $d)"
	for link in build source; do
		if [ -e "$MODDIR/$link" ] && [ ! -L "$MODDIR/$link" ]; then
			die 1 "$MODDIR/$link exists and is not a symlink; remove it or install headers for $KREL"
		fi
	done
	mkdir -p "$MODDIR"
	ln -sfn "$d" "$MODDIR/build"
	ln -sfn "$common" "$MODDIR/source"
	say "linked $MODDIR/build -> $d"
	say "linked $MODDIR/source -> $common"
}

setup_apt() {
	# clang + libclang-rt-dev: the libFuzzer harnesses (tests/fuzz/run.sh); valgrind: the unit
	# tests under memcheck (scripts/test.sh); libgnutls28-dev, libcrypt-dev: the metrics
	# endpoint's TLS and bcrypt (basic authentication)
	local pkgs=(build-essential cmake pkg-config libbpfcc-dev bpfcc-tools libyaml-dev libmicrohttpd-dev
		libgnutls28-dev libcrypt-dev check python3 strace clang valgrind)
	# Test tools only (tests/integration/test_prom.py scrapes with a real server; promtool;
	# test_prom_tls.py makes its CA and certificates with python3-cryptography and asks with
	# curl): installed without recommends, so no node exporter comes along.
	local test_pkgs=(prometheus python3-cryptography curl)
	local missing=() missing_test=() p fallback=0

	for p in "${pkgs[@]}"; do
		deb_installed "$p" || missing+=("$p")
	done
	# libFuzzer's runtime: its own package on Debian 12+/Ubuntu 22.04+, part of clang before
	if ! deb_installed libclang-rt-dev && deb_available libclang-rt-dev; then
		missing+=(libclang-rt-dev)
	fi
	for p in "${test_pkgs[@]}"; do
		deb_installed "$p" || missing_test+=("$p")
	done

	if ! headers_ok; then
		apt_update_once
		if deb_available "linux-headers-$KREL"; then
			deb_installed "linux-headers-$KREL" || missing+=("linux-headers-$KREL")
		else
			deb_headers_flavour
			say "no linux-headers-$KREL package; falling back to $HDR_META"
			deb_installed "$HDR_META" || missing+=("$HDR_META")
			fallback=1
		fi
	fi

	if [ ${#missing[@]} -gt 0 ]; then
		apt_update_once
		say "apt-get install ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
	fi
	if [ ${#missing_test[@]} -gt 0 ]; then
		apt_update_once
		say "apt-get install --no-install-recommends ${missing_test[*]}"
		# The package's own service is not wanted here (the tests start their own server).
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${missing_test[@]}"
	fi
	if [ ${#missing[@]} -eq 0 ] && [ ${#missing_test[@]} -eq 0 ]; then
		say "packages already installed"
	fi

	if [ "$fallback" -eq 1 ] && ! headers_ok; then
		deb_link_fallback_headers
	fi
}

# ---- RHEL / CentOS / Fedora -------------------------------------------------------------------

setup_rpm() {
	local pm=$1 os_id="" major="" p
	local pkgs=(bcc-devel bcc-tools libyaml-devel libmicrohttpd-devel check-devel gcc make pkgconfig
		gnutls-devel python3 strace clang compiler-rt valgrind)
	local missing=()
	if [ -r /etc/os-release ]; then
		# shellcheck disable=SC1091
		os_id=$(. /etc/os-release && echo "${ID:-}")
		# shellcheck disable=SC1091
		major=$(. /etc/os-release && echo "${VERSION_ID:-}")
		major=${major%%.*}
	fi
	if [ "$major" = 7 ] && [ "$os_id" != fedora ]; then
		# CMake >= 3.13 is needed; RHEL/CentOS 7 ship 2.8, EPEL has cmake3. crypt.h is
		# glibc's there (no bcrypt: basic authentication is refused at start).
		pkgs+=(cmake3)
	else
		pkgs+=(cmake libxcrypt-devel)
	fi
	headers_ok || pkgs+=("kernel-devel-$KREL")

	for p in "${pkgs[@]}"; do
		rpm -q --whatprovides "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		case " ${missing[*]} " in
		*" cmake3 "*) say "RHEL/CentOS 7: cmake3 comes from EPEL (yum install epel-release)" ;;
		esac
		say "$pm install ${missing[*]}"
		if ! "$pm" install -y -q "${missing[@]}"; then
			die 1 "$pm install failed. The -devel packages are in the optional channel on RHEL 7" \
				"(CentOS 7: base) and cmake3 in EPEL; in PowerTools (CentOS/Rocky/Alma 8:" \
				"dnf config-manager --set-enabled powertools) or CRB (9: --set-enabled crb;" \
				"RHEL: subscription-manager repos --enable codeready-builder-for-rhel-N-\$(arch)-rpms)" \
				"on 8 and 9; kernel-devel-$KREL must match uname -r"
		fi
	else
		say "packages already installed"
	fi
}

# ---- tracefs ----------------------------------------------------------------------------------

setup_tracefs() {
	# bcc before 0.24 finds tracepoints only under /sys/kernel/debug/tracing (debugfs), which
	# systemd mounts at boot; a chroot or a minimal init may not have it.
	if [ ! -d /sys/kernel/debug/tracing/events ] && [ -d /sys/kernel/debug ] &&
		! mountpoint -q /sys/kernel/debug 2>/dev/null; then
		mount -t debugfs nodev /sys/kernel/debug 2>/dev/null &&
			say "mounted debugfs on /sys/kernel/debug (older bcc reads tracepoints there)"
	fi
	if [ -d /sys/kernel/tracing/events ]; then
		return 0
	fi
	if [ -d /sys/kernel/debug/tracing/events ]; then
		return 0
	fi
	say "mounting tracefs on /sys/kernel/tracing"
	mount -t tracefs nodev /sys/kernel/tracing ||
		die 3 "cannot mount tracefs; the kernel needs CONFIG_TRACING (tracepoints)"
	[ -d /sys/kernel/tracing/events ] || die 3 "tracefs mounted but has no events/ directory"
}

# ---- kprobe lane (--vm only) ------------------------------------------------------------------
# tests/vm/run.sh boots Debian's stock kernel (CONFIG_KPROBES=y) under QEMU/TCG with the host root
# mounted read-only. The kernel package is downloaded and extracted into VM_CACHE, never
# installed (no /boot, bootloader or initramfs changes on the host); the VM's modules come from
# that tree. Its headers are installed as the package of exactly the same version, because bcc
# in the VM compiles against /lib/modules/<ver>/build and the VM cannot write the host root.
# VM_CACHE/kernel.env tells run.sh which kernel it is.

VM_CACHE=${EM_VM_CACHE:-/var/cache/ebpf-monitor/vm}

# vm_kernel_ready: 0 when kernel.env names an extracted kernel whose headers are installed.
vm_kernel_ready() {
	local VM_KVER="" VM_KPKG_VERSION="" VM_TREE=""
	[ -r "$VM_CACHE/kernel.env" ] || return 1
	# shellcheck disable=SC1091
	. "$VM_CACHE/kernel.env"
	[ -n "$VM_KVER" ] && [ -r "$VM_TREE/boot/vmlinuz-$VM_KVER" ] &&
		[ -d "$VM_TREE/lib/modules/$VM_KVER/kernel" ] &&
		deb_installed "linux-headers-$VM_KVER" &&
		[ "$(dpkg-query -W -f='${Version}' "linux-headers-$VM_KVER")" = "$VM_KPKG_VERSION" ] &&
		[ -f "/lib/modules/$VM_KVER/build/Makefile" ]
}

setup_vm_lane() {
	local p missing=() kpkg kver ver tree dl old
	[ "$(uname -m)" = x86_64 ] || die 3 "the kprobe lane boots an x86_64 kernel; this host is $(uname -m)"
	if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
		die 3 "the kprobe lane's setup needs apt (it uses Debian's kernel packages)"
	fi

	# e2fsprogs: mkfs.ext4 for the lanes' disk (tests/vm/run.sh --disk); systemd, python3-yaml:
	# the systemd lane boots this root's systemd as PID 1 (tests/systemd/run.sh), and its tests
	# read the packaged config
	for p in qemu-system-x86 busybox-static e2fsprogs systemd python3-yaml; do
		deb_installed "$p" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		apt_update_once
		say "kprobe lane: apt-get install ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
	fi

	if vm_kernel_ready; then
		say "kprobe lane ready: $(sed -n 's/^VM_KPKG=//p' "$VM_CACHE/kernel.env")" \
			"$(sed -n 's/^VM_KPKG_VERSION=//p' "$VM_CACHE/kernel.env") in $VM_CACHE"
		return 0
	fi

	apt_update_once
	# linux-image-amd64 depends on the current ABI's package, e.g. linux-image-6.1.0-56-amd64.
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1)
	[ -n "$kpkg" ] || die 1 "kprobe lane: apt knows no linux-image-amd64 (Debian's kernel); check the apt sources"
	kver=${kpkg#linux-image-}
	ver=$(apt-cache policy "$kpkg" | sed -n 's/^ *Candidate: //p')
	case $ver in
	'' | '(none)') die 1 "kprobe lane: no installable version of $kpkg" ;;
	esac

	if [ "$(dpkg-query -W -f='${Version}' "linux-headers-$kver" 2>/dev/null || true)" != "$ver" ] ||
		! deb_installed "linux-headers-$kver"; then
		say "kprobe lane: apt-get install linux-headers-$kver=$ver"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			--allow-downgrades "linux-headers-$kver=$ver"
	fi

	tree=$VM_CACHE/${kpkg}_$ver
	if [ ! -r "$tree/boot/vmlinuz-$kver" ]; then
		mkdir -p "$VM_CACHE"
		dl=$(mktemp -d "$VM_CACHE/download.XXXXXX")
		say "kprobe lane: downloading $kpkg=$ver into $VM_CACHE (extracted, not installed)"
		if ! (cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$kpkg=$ver"); then
			rm -rf "$dl"
			die 1 "kprobe lane: cannot download $kpkg=$ver"
		fi
		rm -rf "$tree"
		if ! dpkg-deb -x "$dl/${kpkg}_"*.deb "$dl/tree"; then
			rm -rf "$dl"
			die 1 "kprobe lane: cannot extract $kpkg=$ver"
		fi
		mv "$dl/tree" "$tree"
		rm -rf "$dl"
	fi
	[ -r "$tree/boot/vmlinuz-$kver" ] || die 1 "kprobe lane: $tree has no boot/vmlinuz-$kver"

	printf 'VM_KVER=%s\nVM_KPKG=%s\nVM_KPKG_VERSION=%s\nVM_TREE=%s\n' \
		"$kver" "$kpkg" "$ver" "$tree" >"$VM_CACHE/kernel.env.new"
	mv "$VM_CACHE/kernel.env.new" "$VM_CACHE/kernel.env"
	# Only the current kernel is kept.
	for old in "$VM_CACHE"/linux-image-*; do
		[ "$old" = "$tree" ] || [ ! -d "$old" ] || rm -rf "$old"
	done
	vm_kernel_ready || die 1 "kprobe lane: $VM_CACHE/kernel.env is not usable after setup"
	say "kprobe lane ready: $kpkg $ver in $VM_CACHE"
}

# ---- Debian 11 lane (--bullseye only) ---------------------------------------------------------
# A bullseye root file system made once with debootstrap from Debian's registry and kept in
# BULLSEYE_CACHE/root; BULLSEYE_CACHE/root/.em-packages names what it was made with, so a
# changed list makes it again. tests/bullseye/run.sh copies the checkout into it, builds and tests
# there (chroot, this kernel) and boots its own kernel under QEMU.
BULLSEYE_CACHE=${EM_BULLSEYE_CACHE:-/var/cache/ebpf-monitor/bullseye}
BULLSEYE_PACKAGES=build-essential,cmake,pkg-config,libbpfcc-dev,bpfcc-tools,libyaml-dev
BULLSEYE_PACKAGES=$BULLSEYE_PACKAGES,libmicrohttpd-dev,check,python3,strace,kmod,procps
BULLSEYE_PACKAGES=$BULLSEYE_PACKAGES,util-linux,ca-certificates,linux-image-amd64
BULLSEYE_PACKAGES=$BULLSEYE_PACKAGES,linux-headers-amd64,prometheus,libgnutls28-dev,libcrypt-dev
# python3-cryptography, curl: the endpoint's TLS tests; systemd: its systemd-analyze checks the
# unit written for systemd 247 (tests/packaging/units.sh); debootstrap does not resolve the
# virtual python3-cffi-backend-api-* python3-cryptography depends on: python3-cffi-backend
BULLSEYE_PACKAGES=$BULLSEYE_PACKAGES,python3-cryptography,python3-cffi-backend,curl,systemd
setup_bullseye() {
	local root=$BULLSEYE_CACHE/root
	[ "$(uname -m)" = x86_64 ] || die 3 "the Debian 11 lane is for x86_64 hosts"
	if [ "$(cat "$root/.em-packages" 2>/dev/null)" = "$BULLSEYE_PACKAGES" ]; then
		say "Debian 11 lane ready: $root ($(ls "$root/boot" | grep -m1 vmlinuz))"
		return
	fi
	if ! deb_installed debootstrap; then
		apt_update_once
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap
	fi
	mkdir -p "$BULLSEYE_CACHE"
	rm -rf "$root.new"
	say "Debian 11 lane: debootstrap bullseye into $root (a few minutes, once)"
	debootstrap --variant=minbase --include="$BULLSEYE_PACKAGES" bullseye "$root.new" \
		http://deb.debian.org/debian >"$BULLSEYE_CACHE/debootstrap.log" 2>&1 ||
		die 1 "debootstrap bullseye failed; see $BULLSEYE_CACHE/debootstrap.log"
	printf '%s\n' "$BULLSEYE_PACKAGES" >"$root.new/.em-packages"
	rm -rf "$root"
	mv "$root.new" "$root"
	say "Debian 11 lane ready: $root"
}

# ---- arm64 cross build and lane (--arm64 only) -------------------------------------------------
# An arm64 bookworm root file system (debootstrap, its maintainer scripts run under qemu-aarch64
# through binfmt_misc) kept in ARM64_CACHE/root: the cross build's sysroot, and the root the arm64
# lane (tests/arm64/run.sh) boots with Debian's arm64 kernel under qemu-system-aarch64. The
# kernel image and its headers are downloaded and extracted into it, never installed (a kernel
# package's initramfs takes many minutes under emulation); depmod runs in it.
# .em-packages names what it was made with, so a changed list makes it again.
ARM64_CACHE=${EM_ARM64_CACHE:-/var/cache/ebpf-monitor/arm64}
ARM64_PACKAGES=libc6-dev,libbpfcc-dev,libyaml-dev,libmicrohttpd-dev,check,python3,util-linux
ARM64_PACKAGES=$ARM64_PACKAGES,procps,kmod,busybox-static
# qemu-aarch64 for arm64 programs run by path (the tests' own children): binfmt_misc, with the
# F flag (the interpreter opened now), so it also works in a chroot.
setup_arm64_binfmt() {
	local conf
	[ -e /proc/sys/fs/binfmt_misc/register ] ||
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null ||
		die 1 "binfmt_misc cannot be mounted (kernel without CONFIG_BINFMT_MISC?)"
	[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && return
	conf=$(ls /usr/lib/binfmt.d/qemu-aarch64*.conf 2>/dev/null | head -n1)
	[ -n "$conf" ] || die 1 "qemu-user-static installed no binfmt entry for aarch64"
	cat "$conf" >/proc/sys/fs/binfmt_misc/register ||
		die 1 "registering $conf with binfmt_misc failed"
}
# arm64_kernel ROOT: Debian's current arm64 kernel (the ABI package linux-image-arm64 points at)
# with its headers, extracted into ROOT; ROOT/.em-kernel names the package and version.
arm64_kernel() {
	local r=$1 kpkg kver ver dl f
	chroot "$r" apt-get update -qq >"$ARM64_CACHE/apt.log" 2>&1 ||
		die 1 "arm64: apt-get update in the arm64 root failed; see $ARM64_CACHE/apt.log"
	kpkg=$(chroot "$r" apt-cache depends linux-image-arm64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-arm64\)$/\1/p' | head -n1)
	[ -n "$kpkg" ] || die 1 "arm64: apt knows no linux-image-arm64 (Debian's arm64 kernel)"
	kver=${kpkg#linux-image-}
	ver=$(chroot "$r" apt-cache policy "$kpkg" | sed -n 's/^ *Candidate: //p')
	dl=$r/var/cache/em-kernel
	rm -rf "$dl"
	mkdir -p "$dl"
	say "arm64: downloading $kpkg, linux-headers-$kver and linux-headers-${kver%-arm64}-common $ver"
	chroot "$r" sh -c "cd /var/cache/em-kernel && apt-get download -q -o APT::Sandbox::User=root \
		$kpkg=$ver linux-headers-$kver=$ver linux-headers-${kver%-arm64}-common=$ver" \
		>>"$ARM64_CACHE/apt.log" 2>&1 ||
		die 1 "arm64: cannot download the kernel packages; see $ARM64_CACHE/apt.log"
	# tar keeps the root's /lib -> usr/lib link (merged /usr), which dpkg-deb -x would replace
	for f in "$dl"/*.deb; do
		dpkg-deb --fsys-tarfile "$f" | tar -x --keep-directory-symlink -C "$r" ||
			die 1 "arm64: cannot extract $f"
	done
	rm -rf "$dl" "$r"/var/lib/apt/lists/*_Packages* "$r"/var/cache/apt/*.bin
	[ -r "$r/boot/vmlinuz-$kver" ] || die 1 "arm64: $kpkg has no /boot/vmlinuz-$kver"
	[ -f "$r/lib/modules/$kver/build/Makefile" ] ||
		[ -f "$r/usr/src/linux-headers-$kver/Makefile" ] ||
		die 1 "arm64: linux-headers-$kver left no Makefile in the root"
	# the root's own depmod (package kmod), under qemu-aarch64
	chroot "$r" /sbin/depmod "$kver" || die 1 "arm64: depmod for $kver failed"
	printf '%s %s\n' "$kpkg" "$ver" >"$r/.em-kernel"
}
# arm64_relative_links ROOT: the root's library links that point at absolute paths
# (libm.so -> /lib/aarch64-linux-gnu/libm.so.6) made relative, so that they resolve inside the
# root when it is a sysroot. Left absolute they dangle on this host, and the cross linker quietly
# takes the static libm.a instead (the analyzer then needed glibc's private errno).
arm64_relative_links() {
	local r=$1 l t
	while IFS= read -r -d '' l; do
		t=$(readlink "$l")
		case $t in
		/*) ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$r$t")" "$l" ;;
		esac
	done < <(find "$r/usr/lib/aarch64-linux-gnu" -type l -print0)
}
setup_arm64() {
	local root=$ARM64_CACHE/root
	[ "$(uname -m)" = x86_64 ] || die 3 "the arm64 cross build is for x86_64 hosts"
	local pkg missing=()
	# (rpm and cpio build and unpack the aarch64 RPM; file tells the binaries' architecture)
	for pkg in gcc-aarch64-linux-gnu qemu-user-static qemu-system-arm debootstrap rpm cpio file; do
		deb_installed "$pkg" || missing+=("$pkg")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		apt_update_once
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${missing[@]}"
	fi
	setup_arm64_binfmt
	if [ "$(cat "$root/.em-packages" 2>/dev/null)" = "$ARM64_PACKAGES" ] &&
		[ -s "$root/.em-kernel" ]; then
		arm64_relative_links "$root"
		say "arm64 ready: $root ($(cat "$root/.em-kernel"))"
		return
	fi
	mkdir -p "$ARM64_CACHE"
	rm -rf "$root.new"
	say "arm64: debootstrap bookworm (arm64) into $root (a few minutes, once)"
	debootstrap --arch=arm64 --variant=minbase --include="$ARM64_PACKAGES" bookworm \
		"$root.new" http://deb.debian.org/debian >"$ARM64_CACHE/debootstrap.log" 2>&1 ||
		die 1 "debootstrap arm64 failed; see $ARM64_CACHE/debootstrap.log"
	arm64_kernel "$root.new"
	arm64_relative_links "$root.new"
	# qemu-aarch64 -L looks up absolute paths in the root first: the root's /dev/ptmx node
	# (unusable where the cache is on a nodev file system) would hide the host's
	rm -f "$root.new/dev/ptmx"
	printf '%s\n' "$ARM64_PACKAGES" >"$root.new/.em-packages"
	rm -rf "$root"
	mv "$root.new" "$root"
	say "arm64 ready: $root ($(cat "$root/.em-kernel"))"
}

# ---- main -------------------------------------------------------------------------------------

if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
	setup_apt
elif command -v dnf >/dev/null 2>&1; then
	setup_rpm dnf
elif command -v yum >/dev/null 2>&1; then
	setup_rpm yum
else
	die 1 "no apt-get, dnf or yum found; install by hand: a C compiler, cmake >= 3.13," \
		"pkg-config, libbcc (bcc) development files, libyaml, Check, python3 and kernel headers"
fi

headers_ok || die 1 "no kernel headers at $MODDIR/build (install headers for $KREL)"
warn_if_mismatched_headers
setup_tracefs
[ "$VM_LANE" -eq 0 ] || setup_vm_lane
[ "$BULLSEYE" -eq 0 ] || setup_bullseye
[ "$ARM64" -eq 0 ] || setup_arm64
say "ready (kernel $KREL)"
