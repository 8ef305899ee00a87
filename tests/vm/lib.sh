# shellcheck shell=bash
# lib.sh - what the lanes around tests/vm/run.sh share (sourced by tests/bullseye/run.sh,
# tests/arm64/cross.sh, tests/arm64/run.sh and tests/systemd/run.sh).

# say MSG..., die RC MSG...: the lane's messages, prefixed with LANE_NAME (set it first); die
# exits with RC.
say() { printf '%s: %s\n' "$LANE_NAME" "$*"; }
die() {
	local rc=$1
	shift
	printf '%s: error: %s\n' "$LANE_NAME" "$*" >&2
	exit "$rc"
}

# MOUNTS: the mounts a lane made, in order; lane_unmount undoes them, last first (set it as the
# EXIT trap, and call it when the mounts are no longer needed).
MOUNTS=()
lane_unmount() {
	local i
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		umount -l "${MOUNTS[$i]}" 2>/dev/null || true
	done
	MOUNTS=()
}

# vm_lane_add_counts LOG RC: adds the "N passed, N failed" of a tests/vm/run.sh run (its output
# in LOG, its exit status RC) to the caller's passed and failed; a VM that did not finish, or
# hung, is one more failure.
vm_lane_add_counts() {
	local log=$1 rc=$2 line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n1)
	if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
	fi
	if [ "$rc" -ne 0 ] && { [ -z "$line" ] || [ "${BASH_REMATCH[2]:-0}" -eq 0 ]; }; then
		failed=$((failed + 1))
	fi
}
