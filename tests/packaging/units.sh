#!/usr/bin/env bash
# units.sh - the systemd unit each target gets, checked against what its systemd knows.
#
# packaging/systemd/unit.awk writes the unit for one systemd version from
# packaging/systemd/ebpf-monitor.service.in. packaging/systemd/directives.txt records, for every
# directive the unit may use (and every value of those whose values came later: system-call
# groups, capabilities, ProtectSystem=strict, ...), the first systemd release that knows it, from
# systemd's NEWS. This test writes the unit of every target and fails on any directive or value
# its systemd does not know, on a system call its kernel does not have, and on a unit that lost
# one of the protections every target keeps. No root needed; no RHEL machine either: the table
# stands in for systemd 219 and 239, which cannot run here.
#
# Usage: tests/packaging/units.sh
#        tests/packaging/units.sh --unit FILE --systemd N [--kernel VERSION:MAX_NR] [--name NAME]
# The first form checks every target's unit, two planted violations, and verifies the unit for
# this host's systemd with systemd-analyze; the second checks one unit file (an installed one, or
# one taken out of a package: tests/packaging/run.sh). Last line "N passed, N failed".
# Exit status: 0 all passed, 1 something failed, 2 usage error.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SRC=$ROOT/packaging/systemd/ebpf-monitor.service.in
GEN=$ROOT/packaging/systemd/unit.awk
TABLE=$ROOT/packaging/systemd/directives.txt

# The targets: name, systemd version, kernel version and its highest x86_64 system call number
# (3.10: 313 finit_module; 4.18: 334 rseq; 5.10: 440 process_madvise; 5.14: 447 memfd_secret;
# 6.1: 450 set_mempolicy_home_node).
TARGETS=(
	"rhel7 219 3.10:313"
	"rhel8 239 4.18:334"
	"debian11 247 5.10:440"
	"rhel9 250 5.14:447"
	"debian12 252 6.1:450"
)
# What every target's unit keeps, whatever its systemd.
REQUIRED=(ExecStart User CapabilityBoundingSet NoNewPrivileges ProtectSystem ProtectHome
	PrivateTmp PrivateDevices RestrictAddressFamilies SystemCallArchitectures SystemCallFilter
	SystemCallErrorNumber RestartPreventExitStatus StartLimitBurst WorkingDirectory
	RuntimeDirectory LimitMEMLOCK)

PASSED=0
FAILED=0
pass() {
	PASSED=$((PASSED + 1))
	printf 'units: PASS %s\n' "$*"
}
fail() {
	FAILED=$((FAILED + 1))
	printf 'units: FAIL %s\n' "$*"
}

usage() { sed -n '14,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

# The x86_64 system call numbers, from the installed kernel headers.
UNISTD=''
for f in /usr/include/x86_64-linux-gnu/asm/unistd_64.h /usr/include/asm/unistd_64.h; do
	[ -f "$f" ] && UNISTD=$f && break
done
if [ -z "$UNISTD" ]; then
	printf 'units: error: asm/unistd_64.h (x86_64 system call numbers) not found: install linux-libc-dev\n' >&2
	exit 2
fi

# check_unit FILE SYSTEMD KERNEL:MAX: prints one line per problem; exit 1 when there is any.
check_unit() {
	local file=$1 sd=$2 kernel=${3%%:*} kmax=${3##*:}
	awk -v sd="$sd" -v kname="$kernel" -v kmax="$kmax" -v unit="$file" '
	FILENAME == ARGV[1] {
		if ($0 ~ /^[[:space:]]*(#|$)/)
			next
		k = $1 SUBSEP $2
		ev = $0
		sub(/^[^[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+[0-9]+[[:space:]]*/, "", ev)
		if ($3 == "*") {
			since[k] = $4
			evid[k] = ev
		} else {
			hasvals[k] = 1
			vsince[k, $3] = $4
			vevid[k, $3] = ev
		}
		next
	}
	FILENAME == ARGV[2] {
		if ($1 == "#define" && $2 ~ /^__NR_/ && $3 ~ /^[0-9]+$/)
			nr[substr($2, 6)] = $3 + 0
		next
	}
	function problem(msg) {
		printf "%s:%d: [%s] %s\n", unit, FNR, sec, msg
		bad++
	}
	/^[[:space:]]*([#;]|$)/ { next }
	/^\[.*\]$/ { sec = substr($0, 2, length($0) - 2); next }
	/\\$/ { problem("a continued line: keep each directive on one line"); next }
	{
		eq = index($0, "=")
		if (eq == 0) { problem("not a Directive=value line: " $0); next }
		key = substr($0, 1, eq - 1)
		val = substr($0, eq + 1)
		k = sec SUBSEP key
		checked++
		if (!(k in since)) {
			problem(key "= is not in packaging/systemd/directives.txt: add it with the first systemd that knows it")
			next
		}
		if (since[k] + 0 > sd + 0) {
			problem(key "=: systemd " sd " does not know it (first in " since[k] ": " evid[k] ")")
			next
		}
		if (!(k in hasvals))
			next
		n = split(val, w, /[[:space:]]+/)
		for (i = 1; i <= n; i++) {
			v = w[i]
			sub(/^~/, "", v)
			if (v == "")
				continue
			if (key == "SystemCallFilter" && v !~ /^@/) {
				if (!(v in nr))
					problem(key "=" v ": not an x86_64 system call (" ARGV[2] ")")
				else if (nr[v] > kmax + 0)
					problem(key "=" v ": system call " nr[v] " is newer than Linux " kname " (last " kmax ")")
				continue
			}
			if (!((k, v) in vsince))
				problem(key "=" v ": this value is not in packaging/systemd/directives.txt")
			else if (vsince[k, v] + 0 > sd + 0)
				problem(key "=" v ": systemd " sd " does not know it (first in " vsince[k, v] ": " vevid[k, v] ")")
		}
	}
	END {
		if (checked == 0) {
			printf "%s: no directives\n", unit
			exit 1
		}
		exit bad > 0
	}' "$TABLE" "$UNISTD" "$file"
}

# kernel_for SYSTEMD: the kernel (VERSION:MAX_NR) of the newest target whose systemd is not
# newer, the oldest target's when all are.
kernel_for() {
	local t tsd tk kernel=''
	for t in "${TARGETS[@]}"; do
		read -r _ tsd tk <<<"$t"
		[ "$tsd" -le "$1" ] && kernel=$tk
	done
	printf '%s\n' "${kernel:-${TARGETS[0]##* }}"
}

# directives FILE: the directive names the unit sets, one per line.
directives() { sed -nE 's/^([A-Za-z]+)=.*/\1/p' "$1" | sort -u; }

# check_target NAME SYSTEMD KERNEL:MAX FILE: the table check plus the protections every unit keeps.
check_target() {
	local name=$1 sd=$2 kernel=$3 file=$4 out missing=() d allow
	if out=$(check_unit "$file" "$sd" "$kernel"); then
		pass "$name (systemd $sd, Linux ${kernel%%:*}): $(grep -cE '^[A-Za-z]+=' "$file") directives, all known to systemd $sd"
	else
		printf '%s\n' "$out" | sed 's/^/  /'
		fail "$name (systemd $sd): the unit uses what systemd $sd or Linux ${kernel%%:*} lacks (above)"
	fi
	for d in "${REQUIRED[@]}"; do
		directives "$file" | grep -qxF "$d" || missing+=("$d")
	done
	# An allow-list (SystemCallFilter= without ~) must let the monitor's own calls through.
	allow=$(sed -nE 's/^SystemCallFilter=([^~].*)/\1/p' "$file")
	if [ -n "$allow" ]; then
		for d in bpf perf_event_open; do
			grep -qw -- "$d" <<<"$allow" || missing+=("SystemCallFilter=...$d")
		done
	fi
	if [ ${#missing[@]} -eq 0 ]; then
		pass "$name: keeps ${#REQUIRED[@]} protections every target has${allow:+; its allow-list names bpf and perf_event_open}"
	else
		fail "$name: the unit lacks ${missing[*]}"
	fi
}

# ---- one unit file ----
if [ $# -gt 0 ]; then
	file='' sd='' kernel='' name=''
	while [ $# -gt 0 ]; do
		case $1 in
		--unit) file=${2:-} ;;
		--systemd) sd=${2:-} ;;
		--kernel) kernel=${2:-} ;;
		--name) name=${2:-} ;;
		-h | --help)
			usage
			exit 0
			;;
		*)
			printf 'units: unknown argument: %s\n' "$1" >&2
			usage >&2
			exit 2
			;;
		esac
		shift 2 || {
			usage >&2
			exit 2
		}
	done
	if [ ! -f "$file" ] || ! [[ $sd =~ ^[0-9]+$ ]]; then
		printf 'units: --unit FILE (an existing file) and --systemd N (a number) are needed\n' >&2
		exit 2
	fi
	if [ -z "$kernel" ]; then
		kernel=$(kernel_for "$sd")
	fi
	check_target "${name:-$file}" "$sd" "$kernel" "$file"
	printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
	exit $((FAILED > 0))
fi

TMP=$(mktemp -d /tmp/ebpf-monitor-units.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# ---- every target's unit, from the one source ----
for t in "${TARGETS[@]}"; do
	read -r name sd kernel <<<"$t"
	awk -v version="$sd" -f "$GEN" "$SRC" >"$TMP/$name.service"
	check_target "$name" "$sd" "$kernel" "$TMP/$name.service"
done

# ---- systemd 219's deny-list: the calls of the groups the newer units deny, by name ----
# Members of each group the newer units deny, from systemd 252's src/shared/seccomp-util.c.
DENIED_GROUPS=(
	"@clock adjtimex clock_adjtime clock_adjtime64 clock_settime clock_settime64 settimeofday"
	"@cpu-emulation modify_ldt subpage_prot switch_endian vm86 vm86old"
	"@module delete_module finit_module init_module"
	"@mount chroot fsconfig fsmount fsopen fspick mount mount_setattr move_mount open_tree pivot_root umount umount2"
	"@obsolete _sysctl afs_syscall bdflush break create_module ftime get_kernel_syms getpmsg gtty idle lock mpx prof profil putpmsg query_module security sgetmask ssetmask stime stty sysfs tuxcall ulimit uselib ustat vserver"
	"@raw-io ioperm iopl pciconfig_iobase pciconfig_read pciconfig_write s390_pci_mmio_read s390_pci_mmio_write"
	"@reboot kexec_file_load kexec_load reboot"
	"@swap swapoff swapon"
)
groups=$(sed -nE 's/^SystemCallFilter=~(@.*)/\1/p' "$TMP/debian12.service" | tr ' ' '\n' | sort)
listed=$(printf '%s\n' "${DENIED_GROUPS[@]}" | awk '{ print $1 }' | sort)
# Those of Linux 3.10 on x86_64 (number at most 313): what the 219 unit must deny, no more.
want=$(printf '%s\n' "${DENIED_GROUPS[@]}" | cut -d' ' -f2- | tr ' ' '\n' | sort -u |
	while read -r c; do
		n=$(awk -v c="__NR_$c" '$1 == "#define" && $2 == c { print $3 }' "$UNISTD")
		[ -n "$n" ] && [ "$n" -le 313 ] && printf '%s\n' "$c"
	done)
got=$(sed -nE 's/^SystemCallFilter=~([^@].*)/\1/p' "$TMP/rhel7.service" | tr ' ' '\n' | sort)
if [ "$groups" != "$listed" ]; then
	fail "the newest unit denies $(tr '\n' ' ' <<<"$groups")but this test knows the members of $(tr '\n' ' ' <<<"$listed")"
elif [ "$got" = "$want" ]; then
	pass "rhel7: its deny-list is the $(wc -l <<<"$want") x86_64 calls of Linux 3.10 in $(tr '\n' ' ' <<<"$groups")"
else
	diff -u <(printf '%s\n' "$want") <(printf '%s\n' "$got") | sed 's/^/  /' || true
	fail "rhel7: its deny-list differs from the Linux 3.10 calls of the groups (above: - missing, + extra)"
fi

# ---- the check can fail: planted violations ----
# The newest unit given to systemd 219 must be refused, naming what 219 lacks.
if out=$(check_unit "$TMP/debian12.service" 219 3.10:313); then
	fail "planted: the systemd 252 unit passed as a systemd 219 unit"
elif grep -q 'StateDirectory=: systemd 219 does not know it (first in 235' <<<"$out" &&
	grep -q 'SystemCallFilter=@system-service: systemd 219 does not know it' <<<"$out" &&
	grep -q 'CapabilityBoundingSet=CAP_BPF: systemd 219 does not know it' <<<"$out" &&
	grep -q 'StartLimitIntervalSec=: systemd 219' <<<"$out"; then
	pass "planted: the systemd 252 unit as a systemd 219 one: $(wc -l <<<"$out") problems named (StateDirectory=, @system-service, CAP_BPF, StartLimitIntervalSec=, ...)"
else
	printf '%s\n' "$out" | sed 's/^/  /'
	fail "planted: the systemd 252 unit under 219: not the problems expected (above)"
fi
# A directive the table does not know, a system call newer than the kernel, a continued line.
{
	cat "$TMP/rhel7.service"
	printf '[Service]\nProtectMagic=yes\nSystemCallFilter=~kexec_file_load\nExecStartPre=/bin/true \\\n'
} >"$TMP/planted.service"
if out=$(check_unit "$TMP/planted.service" 219 3.10:313); then
	fail "planted: an unknown directive and a 3.17 system call passed under systemd 219 / Linux 3.10"
elif grep -q 'ProtectMagic= is not in packaging/systemd/directives.txt' <<<"$out" &&
	grep -q 'kexec_file_load: system call 320 is newer than Linux 3.10' <<<"$out" &&
	grep -q 'a continued line' <<<"$out" && [ "$(wc -l <<<"$out")" -eq 3 ]; then
	pass "planted: unknown directive, kexec_file_load (320) under Linux 3.10, a continued line: each named"
else
	printf '%s\n' "$out" | sed 's/^/  /'
	fail "planted: unknown directive / new system call / continued line not each named (above)"
fi

# ---- the unit for this host's systemd, verified by systemd itself ----
# And the table against that systemd's own parser: the newest unit (every "@>=" line) given to
# it, the directives it calls unknown must be exactly those the table says it lacks. Debian 12
# (252) knows them all; the Debian 11 lane runs this with 247, which must name PrivateIPC= alone.
if command -v systemd-analyze >/dev/null 2>&1 && command -v systemctl >/dev/null 2>&1; then
	host=$(systemctl --version | awk 'NR == 1 { print $2 + 0 }')
	mkdir -p "$TMP/host" "$TMP/newest"
	awk -v version="$host" -f "$GEN" "$SRC" >"$TMP/host/ebpf-monitor.service"
	awk -v version=9999 -f "$GEN" "$SRC" >"$TMP/newest/ebpf-monitor.service"
	# verify needs ExecStart's binary: /bin/true stands in for /usr/bin/ebpf-monitor.
	sed -i 's#^ExecStart=/usr/bin/ebpf-monitor#ExecStart=/bin/true#' \
		"$TMP/host/ebpf-monitor.service" "$TMP/newest/ebpf-monitor.service"
	if out=$(systemd-analyze verify --man=no "$TMP/host/ebpf-monitor.service" 2>&1) &&
		[ -z "$out" ]; then
		pass "systemd-analyze verify: the unit for this host's systemd $host, no message"
	else
		printf '%s\n' "$out" | sed 's/^/  /'
		fail "systemd-analyze verify: the unit for this host's systemd $host (above)"
	fi
	kernel=$(kernel_for "$host")
	# (Both commands fail when they find something: their output is what counts here.)
	predicted=$({ check_unit "$TMP/newest/ebpf-monitor.service" "$host" "$kernel" ||
		true; } | sed -nE 's/.*\] ([A-Za-z]+)=: systemd [0-9]+ does not know it.*/\1/p' |
		sort -u)
	actual=$({ systemd-analyze verify --man=no "$TMP/newest/ebpf-monitor.service" 2>&1 ||
		true; } | sed -nE "s/.*Unknown (key name|key|lvalue) '([A-Za-z]+)'.*/\2/p" | sort -u)
	if [ "$predicted" = "$actual" ]; then
		pass "systemd $host's own parser on the newest unit: unknown directives: $(tr '\n' ' ' <<<"${actual:-none}" | sed 's/ $//'), as the table says"
	else
		printf '  the table says systemd %s lacks: %s\n  its parser says: %s\n' "$host" \
			"$(tr '\n' ' ' <<<"$predicted")" "$(tr '\n' ' ' <<<"$actual")"
		fail "packaging/systemd/directives.txt disagrees with systemd $host's parser (above)"
	fi
else
	printf 'units: no systemd-analyze here: the host unit is checked against the table only\n'
fi

printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]
