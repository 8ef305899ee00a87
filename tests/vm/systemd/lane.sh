#!/bin/bash
# lane.sh - em-lane.service's command in the systemd lane (tests/vm/run.sh --systemd): the
# markers the host waits for, the lane's command (/tmp/lane-cmd.sh), the boot's record, power off.
out=/tmp/em-lane
echo "EM-LANE-BOOTED uptime=$(cut -d' ' -f1 /proc/uptime) pid1=$(cat /proc/1/comm)"
echo "EM-LANE: $(systemctl --version | head -n1); system state: $(timeout 120 systemctl is-system-running --wait)"
systemctl --failed --no-legend --plain >"$out/failed-units.txt" 2>&1
systemd-analyze time >"$out/systemd-boot-time.txt" 2>&1
bash /tmp/lane-cmd.sh
rc=$?
# The whole boot's journal, the kernel's lines included (the lane's own tests save their unit's).
journalctl -b --no-pager -o short-precise >"$out/journal-boot.txt" 2>&1
sync
echo "EM-LANE-EXIT=$rc"
systemctl poweroff --force --force
