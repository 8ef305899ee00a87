# unit.awk - writes the systemd unit for one systemd version from packaging/systemd/
# ebpf-monitor.service.in (cmake/Install.cmake at configure time; tests/packaging/units.sh).
#
#   awk -v version=N -f packaging/systemd/unit.awk packaging/systemd/ebpf-monitor.service.in
#
# A line "@>=N text" is kept (as "text") for systemd N and newer, "@<N text" for versions older
# than N; "#@" lines are the source's own comments and are dropped; every other line is kept.
# Exit 2 on a version that is not a number or a guard that is not of those forms.
BEGIN {
	if (version !~ /^[0-9]+$/) {
		print "unit.awk: version must be a systemd version number (219, 239, 252, ...)" > "/dev/stderr"
		exit 2
	}
	version += 0
}
/^#@/ { next }
/^@/ {
	if (!match($0, /^@(>=|<)[0-9]+ /)) {
		printf "unit.awk: %s:%d: a guard is \"@>=N \" or \"@<N \": %s\n", FILENAME, FNR, $0 > "/dev/stderr"
		exit 2
	}
	guard = substr($0, 2, RLENGTH - 2)
	text = substr($0, RLENGTH + 1)
	if (substr(guard, 1, 2) == ">=")
		keep = version >= substr(guard, 3) + 0
	else
		keep = version < substr(guard, 2) + 0
	gsub(/@SYSTEMD_VERSION@/, version, text)
	if (keep)
		print text
	next
}
{ print }
