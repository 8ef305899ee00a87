"""run.py - integration test runner: imports every test_*.py here and runs them against the
binary named on the command line. Prints "N passed, N failed[, N skipped]" last."""
import glob
import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

for path in sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_*.py"))):
    importlib.import_module(os.path.splitext(os.path.basename(path))[0])

sys.exit(harness.main())
