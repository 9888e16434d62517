"""A scoring job with the light install (no SciPy, no PySpark until it logs) can import monitor.spark."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_monitor_spark_imports_without_scipy_or_pyspark():
    code = ("import sys; sys.modules['scipy'] = None; sys.modules['pyspark'] = None\n"
            "import monitor.spark\n"
            "assert 'monitor.drift.methods' not in sys.modules\n"
            "from monitor.drift import ReferenceProfile\n"
            "print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
