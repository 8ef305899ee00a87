# stalls.sh - sourced by run.sh and soak.sh: the guest kernel's reports of a CPU that did not
# run for a while (soft lockups, RCU stalls, a starved RCU kthread), counted in a serial log.
STALL_RE='watchdog: BUG: soft lockup|rcu: INFO: rcu_[a-z]* (self-)?detected stall|rcu_[a-z]* kthread (starved|timer wakeup)'

# stall_count LOG: how many lines of LOG are such reports (0 when LOG is missing).
stall_count() {
	if [ -r "$1" ]; then
		grep -caE "$STALL_RE" "$1" || true
	else
		echo 0
	fi
}
