"""``python -m monitor <command>`` for schedulers: the same command line, with its exit code made unmissable.

The Databricks job (``spark_python_task``) and the Azure Container Apps job (the app's image, whose checkout is
``/app``) both run this file; without arguments it runs ``python -m monitor run``. The exit codes are those of
the command line:

- 0: every snapshot was written (or was already there);
- 1: some model or batch failed; the others were still done (the failures are on stderr);
- 2: nothing could run: MLflow missing or not answering, settings or ``monitor.toml`` broken as a whole.

A non-zero code is raised as ``SystemExit``, so a runner that executes the file in-process (Databricks) marks
the task failed too; ``monitor.cli.main`` itself only returns the code, which such a runner would ignore. Code 0
returns normally. The installed package (the wheel on a Databricks cluster) is used when there is one; otherwise
the checkout this file lives in (the container image, where the package is not installed).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    if importlib.util.find_spec("monitor") is None:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from monitor.cli import main as monitor_main

    return monitor_main(list(argv) if argv else ["run"])


if __name__ == "__main__":
    code = main(sys.argv[1:])
    if code:
        raise SystemExit(code)
