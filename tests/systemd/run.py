"""run.py - the systemd lane's test runner, run inside the VM by tests/vm/guest.sh --runner (systemd
is PID 1 there: tests/vm/run.sh --systemd). It runs tests/systemd/test_service.py in order against
the installed program (BINARY, /usr/bin/ebpf-monitor) with the integration harness (progress
lines for the watchdog, "N passed, N failed" last), then saves the service's journal next to
the progress file (the results share): journal-ebpf-monitor.txt."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)
import harness  # noqa: E402

# test_service reuses the integration tests' workloads, importing their modules registers their
# tests too: only the service's run here.
import test_service  # noqa: E402,F401

harness.TESTS[:] = [t for t in harness.TESTS if t.__module__ == "test_service"]
rc = 1
try:
    rc = harness.main()
finally:
    out = os.path.dirname(os.environ.get("EM_TEST_PROGRESS", ""))
    if out:
        with open(os.path.join(out, "journal-ebpf-monitor.txt"), "w") as f:
            subprocess.run(["journalctl", "-u", "ebpf-monitor.service", "-o", "short-precise",
                            "--no-pager"], stdout=f, stderr=subprocess.STDOUT, check=False)
sys.exit(rc)
