#!/usr/bin/env bash
# setup.sh - installs what ebpf-monitor needs to build, test and run (apt, dnf or yum), makes
# kernel headers available to bcc and mounts tracefs. Idempotent: a second run changes nothing.
set -euo pipefail

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
	local pkgs=(build-essential cmake pkg-config libbpfcc-dev bpfcc-tools libyaml-dev check python3 strace)
	local missing=() p fallback=0

	for p in "${pkgs[@]}"; do
		deb_installed "$p" || missing+=("$p")
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
	else
		say "packages already installed"
	fi

	if [ "$fallback" -eq 1 ] && ! headers_ok; then
		deb_link_fallback_headers
	fi
}

# ---- RHEL / CentOS / Fedora -------------------------------------------------------------------

setup_rpm() {
	local pm=$1 os_id="" major="" p
	local pkgs=(bcc-devel bcc-tools libyaml-devel check-devel gcc make pkgconfig python3 strace)
	local missing=()
	if [ -r /etc/os-release ]; then
		# shellcheck disable=SC1091
		os_id=$(. /etc/os-release && echo "${ID:-}")
		# shellcheck disable=SC1091
		major=$(. /etc/os-release && echo "${VERSION_ID:-}")
		major=${major%%.*}
	fi
	if [ "$major" = 7 ] && [ "$os_id" != fedora ]; then
		# CMake >= 3.13 is needed; RHEL/CentOS 7 ship 2.8, EPEL has cmake3.
		pkgs+=(cmake3)
	else
		pkgs+=(cmake)
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
			die 1 "$pm install failed. check-devel and cmake3 come from EPEL; libyaml-devel" \
				"from CRB/PowerTools on RHEL 8/9; kernel-devel-$KREL must match uname -r"
		fi
	else
		say "packages already installed"
	fi
}

# ---- tracefs ----------------------------------------------------------------------------------

setup_tracefs() {
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
say "ready (kernel $KREL)"
