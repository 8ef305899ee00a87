#!/usr/bin/env bash
# The layers of src/, kept apart: every quoted #include is qualified by its directory
# ("core/log.h"), and a layer includes only the layers below it. Run by ctest (test_layers).
#
#   common    text helpers (time formats, UTF-8, errno names)
#   core      config, log, CLI, kernel checks            -> common
#   output    rows and sinks                             -> core, common
#   bpf       loader, compiler processes, bcc compat     -> core, common
#   monitors  the registry, lifecycle, maps, monitors    -> bpf, output, core, common, probes
#   app       event loop, --check, runtime; main.c       -> everything
#   analyze   the offline analyzer                       -> common (and the syscall table)
set -u
src=${1:-$(dirname "$0")/../../src}
declare -A allowed=(
	[common]="common"
	[core]="core common"
	[output]="output core common"
	[bpf]="bpf core common"
	[monitors]="monitors bpf output core common probes"
	[app]="app monitors bpf output core common probes"
	[analyze]="analyze common monitors/syscall_table.h"
)
if [ ! -d "$src" ]; then
	echo "tests/layers/check.sh: no source directory $src" >&2
	exit 2
fi
bad=0
seen=0
while IFS= read -r line; do
	seen=$((seen + 1))
	file=${line%%:*}
	inc=$(sed -n 's/.*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' <<<"$line")
	rel=${file#"$src"/}
	layer=${rel%%/*}
	[ "$layer" = "$rel" ] && layer=app # src/main.c
	case $inc in
	*/*) ;;
	syscall_names.h) continue ;; # generated into the build directory, syscall_table.c only
	*)
		echo "$rel: #include \"$inc\" is not qualified by its directory"
		bad=$((bad + 1))
		continue
		;;
	esac
	ok=0
	for a in ${allowed[$layer]:-}; do
		case $inc in "$a"/* | "$a") ok=1 ;; esac
	done
	if [ $ok = 0 ]; then
		echo "$rel: #include \"$inc\": layer $layer may include only: ${allowed[$layer]:-nothing}"
		bad=$((bad + 1))
	fi
done < <(grep -rn --include='*.c' --include='*.h' '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$src")
if [ $seen -lt 100 ]; then
	echo "tests/layers/check.sh: only $seen includes read under $src: the check saw nothing" >&2
	exit 2
fi
if [ $bad -gt 0 ]; then
	echo "$bad include(s) cross the layers (tests/layers/check.sh says which may)"
	exit 1
fi
echo "layers: $seen includes, every one qualified and within its layer's dependencies"
