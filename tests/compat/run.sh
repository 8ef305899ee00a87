#!/usr/bin/env bash
# run.sh - the compile matrix, for the systems the project builds on:
#   1. every source that uses bcc's or the kernel's BPF headers, built with -Werror against the
#      headers of each bcc release supported (0.10 to 0.26) and the installed one, through CMake
#      as a user's build goes (configure-time checks included); a planted header set without
#      bcc_prog_load() and a bcc older than 0.10 must stop at configure time, naming the problem;
#   2. the sources that use libmicrohttpd, libyaml and Check, compiled with -Werror against the
#      headers of the releases RHEL/CentOS 7 ships (0.9.33, 0.1.4, 0.9.9);
#   3. the C floor (gcc 4.8.5 on RHEL 7): no construct newer than it in the sources.
#
# The header sets are reference copies kept outside the project (EM_BCC_COMPAT_DIR, default
# ../shared/compat/bcc beside the checkout; EM_EL7_COMPAT_DIR, default ../shared/compat/el7).
# Only objects are built: the installed libraries belong to other releases.
#
# Usage: tests/compat/run.sh [BUILD-PARENT]   (default: build-compat)
# Prints "N passed, N failed[, N skipped]" last; exit 1 when a build failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${1:-$ROOT/build-compat}
CMAKE=cmake
command -v cmake3 >/dev/null 2>&1 && CMAKE=cmake3
SETS=${EM_BCC_COMPAT_DIR:-}
if [ -z "$SETS" ]; then
	for d in "$ROOT/../shared/compat/bcc" /work/shared/compat/bcc; do
		[ -d "$d" ] && SETS=$(cd "$d" && pwd) && break
	done
fi
EL7=${EM_EL7_COMPAT_DIR:-}
if [ -z "$EL7" ]; then
	for d in "$ROOT/../shared/compat/el7" /work/shared/compat/el7; do
		[ -d "$d" ] && EL7=$(cd "$d" && pwd) && break
	done
fi
passed=0 failed=0 skipped=0
mkdir -p "$OUT"

# build NAME [CMAKE-ARGS...]: configure and compile the bcc-facing targets with -Werror.
build() {
	local name=$1 dir=$OUT/$1 log=$OUT/$1.log t0=$SECONDS
	shift
	if "$CMAKE" -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEM_WERROR=ON \
		-DEM_SANITIZE=OFF "$@" >"$log" 2>&1 &&
		"$CMAKE" --build "$dir" -j"$(nproc)" --target emcore emmon em_personality >>"$log" 2>&1; then
		printf 'PASS bcc %s (%ss)\n' "$name" $((SECONDS - t0))
		passed=$((passed + 1))
	else
		printf 'FAIL bcc %s (%ss): %s\n' "$name" $((SECONDS - t0)) \
			"$(grep -m3 -E 'error|Error' "$log" | tr '\n' ' ')"
		failed=$((failed + 1))
	fi
}

build installed
if [ -z "$SETS" ]; then
	printf 'SKIP the older bcc header sets: none found (set EM_BCC_COMPAT_DIR)\n'
	skipped=$((skipped + 1))
else
	for inc in "$SETS"/*/include; do
		v=$(basename "$(dirname "$inc")")
		build "$v" -DEM_BCC_INCLUDE_DIR="$inc" -DEM_BCC_VERSION="$v"
	done
	# A planted set: 0.10's headers without bcc_prog_load(). Configure must stop with the
	# message that names it.
	plant=$OUT/planted-no-prog-load
	rm -rf "$plant"
	oldest=$(ls -d "$SETS"/*/include | sort -V | head -n1)
	cp -r "$oldest" "$plant"
	sed -i '/^int bcc_prog_load(/,/);/d' "$plant/bcc/libbpf.h"
	if grep -q 'bcc_prog_load(' "$plant/bcc/libbpf.h"; then
		printf 'FAIL planted set: bcc_prog_load could not be taken out of libbpf.h\n'
		failed=$((failed + 1))
	elif "$CMAKE" -S "$ROOT" -B "$OUT/planted" -DEM_BCC_INCLUDE_DIR="$plant" \
		-DEM_BCC_VERSION=0.10.0 >"$OUT/planted.log" 2>&1; then
		printf 'FAIL planted set: configure passed without bcc_prog_load\n'
		failed=$((failed + 1))
	elif grep -q 'declares no bcc_prog_load() (bcc 0.9+)' "$OUT/planted.log" &&
		! grep -q 'error:' "$OUT/planted.log"; then
		printf 'PASS planted set without bcc_prog_load: stopped at configure time\n'
		passed=$((passed + 1))
	else
		printf 'FAIL planted set: not the configure-time message:\n'
		sed 's/^/  /' "$OUT/planted.log" | tail -n 15
		failed=$((failed + 1))
	fi
	# A bcc older than the floor: the version check.
	if ! "$CMAKE" -S "$ROOT" -B "$OUT/too-old" -DEM_BCC_INCLUDE_DIR="$oldest" \
		-DEM_BCC_VERSION=0.8.0 >"$OUT/too-old.log" 2>&1 &&
		grep -q 'bcc 0.8.0 is older than 0.10' "$OUT/too-old.log"; then
		printf 'PASS bcc 0.8: stopped at configure time, naming the floor\n'
		passed=$((passed + 1))
	else
		printf 'FAIL bcc 0.8: no configure-time floor message\n'
		failed=$((failed + 1))
	fi
fi
# 2. EL7's library headers: each source that includes them, alone, -Werror, the project's flags.
if [ -z "$EL7" ]; then
	printf 'SKIP the EL7 library headers: none found (set EM_EL7_COMPAT_DIR)\n'
	skipped=$((skipped + 1))
else
	flags=(-std=gnu11 -fsyntax-only -Wall -Wextra -Wformat=2 -Wshadow -Wno-unused-parameter
		-Wno-missing-field-initializers -Werror -D_GNU_SOURCE -DEM_VERSION='"0"'
		-DEM_SOURCE_DIR='"."' -DEM_FIXTURES='"."'
		-I"$EL7/libmicrohttpd-0.9.33/include" -I"$EL7/libyaml-0.1.4/include"
		-I"$EL7/check-0.9.9/include" -I"$ROOT/src" -I"$ROOT" -I"$OUT/installed"
		-I"$ROOT/tests/personality" -I"$ROOT/tests/unit")
	# The endpoint's GnuTLS code too, where this host has GnuTLS's headers (not EL7's 3.3: not
	# among the reference sets).
	pkg-config --exists gnutls 2>/dev/null && flags+=(-DEM_HAVE_GNUTLS=1)
	# The sources that include them, and every unit test source (their helpers too).
	for f in $(cd "$ROOT" && { grep -lE '#include <(microhttpd|yaml|check)\.h>' -r src tests/unit &&
		ls tests/unit/*.c; } | sort -u); do
		if out=$(cd "$ROOT" && gcc "${flags[@]}" "$f" 2>&1); then
			printf 'PASS el7 headers: %s\n' "$f"
			passed=$((passed + 1))
		else
			printf 'FAIL el7 headers: %s: %s\n' "$f" "$(grep -m3 error <<<"$out" | tr '\n' ' ')"
			failed=$((failed + 1))
		fi
	done
fi

# 3. The C floor: gcc 4.8.5 (RHEL 7) has C11 but not these (4.9 or later). Comments aside.
floor=$(cd "$ROOT" && grep -nE '_Generic|<stdatomic\.h>|_Atomic|__has_include|_Thread_local|__builtin_[a-z]+_overflow|__auto_type' \
	-r src tests/unit tests/personality --include='*.c' --include='*.h' | grep -vE ':\s*(/\*|\*)' || true)
if [ -n "$floor" ]; then
	printf 'FAIL C floor (gcc 4.8): constructs it does not have:\n%s\n' "$floor"
	failed=$((failed + 1))
else
	printf 'PASS C floor (gcc 4.8): no _Generic, atomics, __has_include, _Thread_local, overflow builtins\n'
	passed=$((passed + 1))
fi

line="$passed passed, $failed failed"
[ "$skipped" -eq 0 ] || line="$line, $skipped skipped"
printf '%s\n' "$line"
[ "$failed" -eq 0 ]
