"""A 10,000,000-row x 25-column batch: drift on local Spark against the pandas path, on the same Parquet file.

Data: the generator of ``bench/drift.py`` (20 numeric, 5 categorical columns, 6 known shifts). The
reference profile is fitted once with pandas on the generator's reference of the same size and
stored as JSON, as the job stores it. Then, each in a fresh process, from the batch's Parquet file to a drift report
with the default methods:

- Spark (``local[2]``): :func:`monitor.spark.summarise_batch` on the Parquet path, then
  ``compute_drift(profile, summary)``. No row reaches the driver; ``spark_s`` excludes starting
  the session (``spark_start_s``). ``spark_driver_peak_mb`` is the Python driver's peak resident
  size above its size before the work; the JVM's (driver and executors share it in local mode) is
  ``spark_jvm_peak_mb``, and the Python workers are separate processes, not counted.
- pandas: ``pd.read_parquet`` then ``compute_drift(profile, batch)``; ``pandas_s`` includes the read
  (Spark reads the file too) and ``pandas_peak_mb`` includes the batch held in memory.

``verdicts_agree`` compares the two reports feature by feature. Run: ``python bench/spark.py``
(a few minutes; ``--rows`` for another size). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _hwm_kb(pid: int | str = "self", field: str = "VmHWM") -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def _reset(pid: int | str = "self") -> int:
    import gc

    gc.collect()
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass
    return _hwm_kb(pid, "VmRSS")


def _profile(data: Path):
    from monitor.drift import ReferenceProfile

    return ReferenceProfile.from_dict(json.loads((data / "profile.json").read_text()))


def worker_pandas(data: Path) -> dict:
    import pandas as pd

    from monitor.drift import compute_drift

    profile = _profile(data)
    base = _reset()
    t0 = time.perf_counter()
    batch = pd.read_parquet(data / "cur.parquet")
    read_s = time.perf_counter() - t0
    report = compute_drift(profile, batch)
    seconds = time.perf_counter() - t0
    return {"s": seconds, "read_s": read_s, "peak_mb": (_hwm_kb() - base) / 1024,
            "verdicts": {c: f.drifted for c, f in report.features.items()}}


def worker_spark(data: Path, cores: int) -> dict:
    from monitor.drift import compute_drift
    from monitor.spark import local_session, summarise_batch

    meta = json.loads((data / "meta.json").read_text())
    profile = _profile(data)
    t0 = time.perf_counter()
    spark = local_session(cores=cores, memory="4g", app="bench-spark")
    spark.sparkContext.setLogLevel("ERROR")
    spark.range(1).collect()
    start_s = time.perf_counter() - t0
    jvm = int(spark._jvm.java.lang.ProcessHandle.current().pid())
    base, jvm_base = _reset(), _reset(jvm)
    t0 = time.perf_counter()
    summary = summarise_batch(str(data / "cur.parquet"), meta["num"], meta["cat"])
    report = compute_drift(profile, summary)
    seconds = time.perf_counter() - t0
    out = {"s": seconds, "start_s": start_s, "peak_mb": (_hwm_kb() - base) / 1024,
           "jvm_peak_mb": (_hwm_kb(jvm) - jvm_base) / 1024, "summary_kb": len(json.dumps(summary.to_dict())) / 1024,
           "verdicts": {c: f.drifted for c, f in report.features.items()}}
    spark.stop()
    return out


def _run(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--worker", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if proc.returncode:
        raise RuntimeError(f"worker {args[0]} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        data = Path(args.args[0])
        print(json.dumps(worker_pandas(data) if args.worker == "pandas" else worker_spark(data, int(args.args[1]))))
        return
    from drift import make_data

    from monitor.drift import ReferenceProfile

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        ref, cur, num, cat, shifted = make_data(args.rows, 20, 5, seed=1)
        (data / "profile.json").write_text(json.dumps(ReferenceProfile.fit(ref, num, cat).to_dict()))
        del ref
        cur.to_parquet(data / "cur.parquet", index=False, row_group_size=1_000_000)
        (data / "meta.json").write_text(json.dumps({"num": num, "cat": cat}))
        del cur
        load = os.getloadavg()[0]
        spark = _run(["spark", tmp, str(args.cores)])
        pandas = _run(["pandas", tmp])
    agree = spark["verdicts"] == pandas["verdicts"]
    found = {c for c, v in spark["verdicts"].items() if v} == shifted
    print(f"{'engine':>7} {'seconds':>8} {'driver peak MB':>15} {'note'}")
    print(f"{'spark':>7} {spark['s']:>8.2f} {spark['peak_mb']:>15.0f} session start {spark['start_s']:.1f} s (not counted), "
          f"JVM peak {spark['jvm_peak_mb']:.0f} MB, summary {spark['summary_kb']:.0f} KB")
    print(f"{'pandas':>7} {pandas['s']:>8.2f} {pandas['peak_mb']:>15.0f} of which reading Parquet {pandas['read_s']:.1f} s")
    print(f"verdicts agree: {agree}; known shifts found: {found}; load average at start {load:.1f}")
    print(json.dumps({"rows": args.rows, "spark_s": round(spark["s"], 3), "pandas_s": round(pandas["s"], 3),
                      "spark_driver_peak_mb": round(spark["peak_mb"], 1), "pandas_peak_mb": round(pandas["peak_mb"], 1),
                      "verdicts_agree": agree, "spark_jvm_peak_mb": round(spark["jvm_peak_mb"], 1),
                      "spark_start_s": round(spark["start_s"], 2)}))


if __name__ == "__main__":
    main()
