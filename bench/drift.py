"""Speed and memory of the drift engine against Evidently's DataDriftPreset, on the same data.

Data: a reference and a current batch of N rows x 25 columns (20 numeric, 5 categorical) with
known shifts in 4 numeric and 2 categorical columns, at N = 100,000, 1,000,000 and 10,000,000,
and a 200-column-wide case. Evidently is configured with our methods' per-column equivalents
(normalized Wasserstein 0.1 for numeric, Jensen-Shannon 0.1 for categorical: its own choice for
references above 1,000 rows) so verdicts can be compared column by column; our default methods
(guarded Wasserstein and Jensen-Shannon) are timed too.

What is timed is what a user waits for when ``python -m monitor run`` meets a new batch: a fresh
process that has the stored profile document and the batch as logged (Parquet, read with
pandas), computing the drift report once. Nothing is warm: the first call of a process pays for
touching fresh memory, which a loop that times the same call again and again does not see. Each
measurement runs in its own process and is repeated (``--repeat``, default 3); the median is
reported, with the process CPU time beside it (wall time well above CPU time means the machine
was busy) and the load average. Reading the batch is reported apart (``read_s``).

Peak memory is the peak resident set size during the call above the resident size just before
it (the kernel's high-water mark is reset via /proc/self/clear_refs); ``batch_mb`` is what reading
the batch added to the process, i.e. the batch's own size in memory.

Evidently runs once per case up to 1,000,000 rows. At 10,000,000 rows it would need about 19 GB
and twenty minutes (ten times its 1,000,000-row figures), so that case times our engine only and
the speedups of the last line are formed on the 1,000,000-row batch, where both engines run on
the same rows.

Run: ``python bench/drift.py`` (about eight minutes) or ``--quick``. The last line is one JSON
object: the 1,000,000-row case, plus ``large_*`` figures for the 10,000,000-row case.
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

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CATEGORIES = np.array([f"level_{i}" for i in range(8)] + ["unseen_level"], dtype=object)
CAT_P = np.array([0.3, 0.2, 0.15, 0.1, 0.1, 0.08, 0.05, 0.02, 0.0])


def make_data(n: int, n_num: int, n_cat: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str], set[str]]:
    """Reference and current frames; returns (ref, cur, numeric, categorical, shifted columns)."""
    rng = np.random.default_rng(seed)
    num = [f"num_{i:03d}" for i in range(n_num)]
    cat = [f"cat_{i:03d}" for i in range(n_cat)]
    ref, cur = {}, {}
    for i, c in enumerate(num):
        loc, scale = rng.uniform(-5, 5), rng.uniform(0.5, 20)
        kind = i % 4
        gen = {0: lambda m, loc=loc, scale=scale: rng.normal(loc, scale, m),
               1: lambda m, scale=scale: rng.lognormal(0, 0.6, m) * scale,
               2: lambda m, loc=loc: rng.exponential(2.0, m) + loc,
               3: lambda m, loc=loc: rng.poisson(6, m).astype(float) + loc}[kind]
        ref[c] = gen(n)
        x = gen(n)
        if i % 5 == 0 and i < 20:  # known shifts, far from the 0.1 threshold
            x = x + 0.5 * ref[c].std() if i % 10 == 0 else ref[c].mean() + 2.0 * (x - ref[c].mean())
        cur[c] = x
    for i, c in enumerate(cat):
        ref[c] = CATEGORIES[rng.choice(len(CAT_P), n, p=CAT_P)]
        p = CAT_P.copy()
        if i == 0:
            p = np.array([0.1, 0.2, 0.25, 0.15, 0.1, 0.1, 0.05, 0.05, 0.0])
        elif i == 1:
            p = np.append(CAT_P[:-1] * 0.85, 0.15)
        cur[c] = CATEGORIES[rng.choice(len(p), n, p=p)]
    for frame in (ref, cur):  # a few missing values everywhere
        for c in list(frame)[::3]:
            frame[c] = frame[c].copy()
            frame[c][rng.random(n) < 0.01] = None if frame[c].dtype == object else np.nan
    shifted = {c for i, c in enumerate(num) if i % 5 == 0 and i < 20} | set(cat[:2])
    return pd.DataFrame(ref), pd.DataFrame(cur), num, cat, shifted


def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def _reset_peak() -> int:
    import gc

    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass
    return _rss_kb("VmRSS")


def _timed(fn):
    """(result, wall s, CPU s, peak MB above the resident size before the call)."""
    base = _reset_peak()
    cpu, t0 = time.process_time(), time.perf_counter()
    out = fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu
    return out, wall, cpu, (_rss_kb("VmHWM") - base) / 1024


def _read(path: Path) -> tuple[pd.DataFrame, float, float]:
    """(frame, seconds to read, MB it added to the process)."""
    before = _rss_kb("VmRSS")
    t0 = time.perf_counter()
    frame = pd.read_parquet(path)
    return frame, time.perf_counter() - t0, (_rss_kb("VmRSS") - before) / 1024


def worker_fit(data: Path) -> dict:
    from monitor.drift import ReferenceProfile

    meta = json.loads((data / "meta.json").read_text())
    ref, read_s, ref_mb = _read(data / "ref.parquet")
    profile, wall, cpu, peak = _timed(lambda: ReferenceProfile.fit(ref, meta["num"], meta["cat"]))
    (data / "profile.json").write_text(json.dumps(profile.to_dict()))
    return {"s": wall, "cpu_s": cpu, "peak_mb": peak, "data_mb": ref_mb, "read_s": read_s}


def worker_drift(data: Path, methods: str) -> dict:
    from monitor.drift import ReferenceProfile, compute_drift
    from monitor.spec import DriftSpec

    profile = ReferenceProfile.from_dict(json.loads((data / "profile.json").read_text()))
    cur, read_s, cur_mb = _read(data / "cur.parquet")
    spec = DriftSpec(numeric_method="wasserstein", categorical_method="jensenshannon", threshold=0.1) \
        if methods == "evidently" else None
    report, wall, cpu, peak = _timed(lambda: compute_drift(profile, cur, spec))
    return {"s": wall, "cpu_s": cpu, "peak_mb": peak, "data_mb": cur_mb, "read_s": read_s,
            "verdicts": {c: f.drifted for c, f in report.features.items()},
            "scores": {c: f.statistic for c, f in report.features.items()},
            "report_kb": len(json.dumps(report.to_dict())) / 1024,
            "profile_kb": (data / "profile.json").stat().st_size / 1024}


def worker_evidently(data: Path) -> dict:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    meta = json.loads((data / "meta.json").read_text())
    num, cat = meta["num"], meta["cat"]
    ref, _, _ = _read(data / "ref.parquet")
    cur, _, _ = _read(data / "cur.parquet")

    def run() -> dict:
        definition = DataDefinition(numerical_columns=num, categorical_columns=cat)
        methods = {**{c: "wasserstein" for c in num}, **{c: "jensenshannon" for c in cat}}
        preset = DataDriftPreset(per_column_method=methods, per_column_threshold={c: 0.1 for c in methods})
        snapshot = Report([preset], include_tests=True).run(
            Dataset.from_pandas(cur, data_definition=definition), Dataset.from_pandas(ref, data_definition=definition))
        return snapshot.dict()

    doc, wall, cpu, peak = _timed(run)
    return {"s": wall, "cpu_s": cpu, "peak_mb": peak, **evidently_verdicts(doc)}


def evidently_verdicts(doc: dict) -> dict:
    """Per-column scores and verdicts (failed ValueDrift tests) from an Evidently snapshot dict."""
    status = {t["metric_config"]["metric_id"]: t["status"] for t in doc.get("tests", [])}
    scores, verdicts = {}, {}
    for m in doc["metrics"]:
        cfg = m.get("config", {})
        if cfg.get("type", "").endswith("ValueDrift"):
            scores[cfg["column"]] = m["value"]
            verdicts[cfg["column"]] = status.get(m["id"]) == "FAIL"
    return {"scores": scores, "verdicts": verdicts}


def _run(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--worker", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if proc.returncode:
        raise RuntimeError(f"worker {args[0]} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _median(runs: list[dict]) -> dict:
    """The run with the median wall time, with every run's wall time listed."""
    ordered = sorted(runs, key=lambda r: r["s"])
    return {**ordered[len(ordered) // 2], "all_s": [round(r["s"], 3) for r in runs]}


def run_case(n: int, n_num: int, n_cat: int, seed: int, repeat: int, evidently: bool) -> dict:
    ref, cur, num, cat, shifted = make_data(n, n_num, n_cat, seed)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        ref.to_parquet(data / "ref.parquet", index=False)
        cur.to_parquet(data / "cur.parquet", index=False)
        (data / "meta.json").write_text(json.dumps({"num": num, "cat": cat}))
        del ref, cur
        load = os.getloadavg()[0]
        fit = _median([_run(["fit", tmp]) for _ in range(repeat)])
        ours = _median([_run(["drift", tmp, "evidently"]) for _ in range(repeat)])
        default = _median([_run(["drift", tmp, "default"]) for _ in range(repeat)])
        ev = _run(["evidently", tmp]) if evidently else None
    expected = {c for c, v in ours["verdicts"].items() if v}
    out = {
        "rows": n, "cols": n_num + n_cat, "fit_s": fit["s"], "fit_cpu_s": fit["cpu_s"], "fit_peak_mb": fit["peak_mb"],
        "ours_s": ours["s"], "ours_cpu_s": ours["cpu_s"], "ours_default_s": default["s"], "ours_default_cpu_s": default["cpu_s"],
        "ours_peak_mb": max(ours["peak_mb"], default["peak_mb"]), "batch_mb": ours["data_mb"], "read_s": ours["read_s"],
        "runs_s": {"fit": fit["all_s"], "ours": ours["all_s"], "default": default["all_s"]}, "load_avg": load,
        "found_known_shifts": expected == shifted, "report_kb": ours["report_kb"], "profile_kb": ours["profile_kb"],
        "default_drifted": sorted(c for c, v in default["verdicts"].items() if v) == sorted(shifted),
    }
    if ev is not None:
        out.update({"evidently_s": ev["s"], "evidently_peak_mb": ev["peak_mb"], "speedup": ev["s"] / ours["s"],
                    "default_speedup": ev["s"] / default["s"], "verdicts_agree": ours["verdicts"] == ev["verdicts"],
                    "max_score_diff": max(abs(ours["scores"][c] - ev["scores"][c]) for c in ev["scores"])})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes for a sanity run")
    ap.add_argument("--repeat", type=int, default=3, help="fresh processes per measurement (median reported)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        data = Path(args.args[0])
        fn = {"fit": worker_fit, "evidently": worker_evidently}.get(args.worker)
        print(json.dumps(fn(data) if fn else worker_drift(data, args.args[1])))
        return
    cases = [(20_000, 20, 5, True), (2_000, 160, 40, True), (200_000, 20, 5, False)] if args.quick else \
        [(100_000, 20, 5, True), (10_000, 160, 40, True), (1_000_000, 20, 5, True), (10_000_000, 20, 5, False)]
    print(f"{'rows':>10} {'cols':>4} {'fit s':>6} {'ours s':>7} {'default s':>9} {'(cpu s)':>7} {'evidently s':>11} "
          f"{'speedup':>8} {'default':>8} {'agree':>6} {'batch MB':>8} {'ours MB':>8} {'fit MB':>7} {'evid. MB':>8} {'load':>5}")
    results = []
    for n, n_num, n_cat, evidently in cases:
        r = run_case(n, n_num, n_cat, seed=n + n_num, repeat=args.repeat, evidently=evidently)
        results.append(r)
        ev = (f"{r['evidently_s']:>11.2f} {r['speedup']:>7.1f}x {r['default_speedup']:>7.1f}x {str(r['verdicts_agree']):>6}"
              if evidently else f"{'-':>11} {'-':>8} {'-':>8} {'-':>6}")
        print(f"{r['rows']:>10,} {r['cols']:>4} {r['fit_s']:>6.2f} {r['ours_s']:>7.2f} {r['ours_default_s']:>9.2f} "
              f"{r['ours_default_cpu_s']:>7.2f} {ev} {r['batch_mb']:>8.0f} {r['ours_peak_mb']:>8.0f} {r['fit_peak_mb']:>7.0f} "
              f"{r.get('evidently_peak_mb', float('nan')):>8.0f} {r['load_avg']:>5.1f}", flush=True)
        if not r["found_known_shifts"] or not r["default_drifted"]:
            print(f"  note: known shifts found with Evidently methods: {r['found_known_shifts']}, "
                  f"with our defaults: {r['default_drifted']}")
    compared = [r for r in results if r["cols"] == 25 and "evidently_s" in r][-1]
    large = [r for r in results if r["cols"] == 25 and "evidently_s" not in r][-1]
    keys = ("rows", "cols", "fit_s", "ours_s", "ours_default_s", "evidently_s", "speedup", "default_speedup", "verdicts_agree",
            "ours_peak_mb", "evidently_peak_mb", "batch_mb")
    last = {k: compared[k] for k in keys}
    last.update({"large_rows": large["rows"], "large_fit_s": large["fit_s"], "large_s": large["ours_s"],
                 "large_default_s": large["ours_default_s"], "large_peak_mb": large["ours_peak_mb"],
                 "large_fit_peak_mb": large["fit_peak_mb"], "large_batch_mb": large["batch_mb"]})
    print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in last.items()}))


if __name__ == "__main__":
    main()
