"""Speed and memory of the drift engine against Evidently's DataDriftPreset, on the same data.

Data: a reference and a current batch of N rows x 25 columns (20 numeric, 5 categorical) with
known shifts in 4 numeric and 2 categorical columns; also N=100,000 and a 200-column-wide case.
Both engines are configured with the same per-column methods and thresholds (normalized
Wasserstein 0.1 for numeric, Jensen-Shannon 0.1 for categorical: Evidently's own choice for
references above 1,000 rows) so their verdicts can be compared column by column. Our default
methods are timed too.

Each engine runs in its own subprocess on data loaded from disk. Time is wall-clock of the
calculation (for us: profile fit and per-batch drift timed apart). Peak memory is the peak
resident set size during the calculation above the resident size just before it (the kernel's
high-water mark is reset after loading the data, via /proc/self/clear_refs).

Run: ``python bench/drift.py`` (about four minutes, most of it Evidently) or ``--quick``.
The last line is one JSON object for the largest 25-column case.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
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


def worker_ours(data: Path) -> dict:
    from monitor.drift import ReferenceProfile, compute_drift
    from monitor.spec import DriftSpec

    ref, cur, num, cat = pickle.loads((data / "data.pkl").read_bytes())
    base = _reset_peak()
    t0 = time.perf_counter()
    profile = ReferenceProfile.fit(ref, num, cat)
    fit_s = time.perf_counter() - t0
    spec = DriftSpec(numeric_method="wasserstein", categorical_method="jensenshannon", threshold=0.1)
    t0 = time.perf_counter()
    report = compute_drift(profile, cur, spec)
    batch_s = time.perf_counter() - t0
    peak_mb = (_rss_kb("VmHWM") - base) / 1024
    t0 = time.perf_counter()
    default_report = compute_drift(profile, cur)
    default_s = time.perf_counter() - t0
    return {
        "fit_s": fit_s, "batch_s": batch_s, "default_batch_s": default_s, "peak_mb": peak_mb,
        "verdicts": {c: f.drifted for c, f in report.features.items()},
        "scores": {c: f.statistic for c, f in report.features.items()},
        "default_verdicts": {c: f.drifted for c, f in default_report.features.items()},
        "report_kb": len(json.dumps(report.to_dict())) / 1024,
        "profile_kb": len(json.dumps(profile.to_dict())) / 1024,
    }


def worker_evidently(data: Path) -> dict:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    ref, cur, num, cat = pickle.loads((data / "data.pkl").read_bytes())
    base = _reset_peak()
    t0 = time.perf_counter()
    definition = DataDefinition(numerical_columns=num, categorical_columns=cat)
    methods = {**{c: "wasserstein" for c in num}, **{c: "jensenshannon" for c in cat}}
    preset = DataDriftPreset(per_column_method=methods, per_column_threshold={c: 0.1 for c in methods})
    snapshot = Report([preset], include_tests=True).run(
        Dataset.from_pandas(cur, data_definition=definition), Dataset.from_pandas(ref, data_definition=definition))
    doc = snapshot.dict()
    seconds = time.perf_counter() - t0
    peak_mb = (_rss_kb("VmHWM") - base) / 1024
    return {"seconds": seconds, "peak_mb": peak_mb, **evidently_verdicts(doc)}


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


def run_case(n: int, n_num: int, n_cat: int, seed: int) -> dict:
    ref, cur, num, cat, shifted = make_data(n, n_num, n_cat, seed)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "data.pkl").write_bytes(pickle.dumps((ref, cur, num, cat), protocol=5))
        del ref, cur
        out = {}
        for engine in ("ours", "evidently"):
            proc = subprocess.run([sys.executable, __file__, "--worker", engine, "--data", tmp], capture_output=True, text=True,
                                  env={**os.environ, "PYTHONWARNINGS": "ignore"})
            if proc.returncode:
                raise RuntimeError(f"{engine} worker failed:\n{proc.stderr[-3000:]}")
            out[engine] = json.loads(proc.stdout.strip().splitlines()[-1])
    ours, ev = out["ours"], out["evidently"]
    agree = ours["verdicts"] == ev["verdicts"]
    max_diff = max(abs(ours["scores"][c] - ev["scores"][c]) for c in ev["scores"])
    expected = {c for c, v in ours["verdicts"].items() if v}
    return {
        "rows": n, "cols": n_num + n_cat, "fit_s": ours["fit_s"], "ours_s": ours["batch_s"],
        "ours_default_s": ours["default_batch_s"], "evidently_s": ev["seconds"],
        "speedup": ev["seconds"] / ours["batch_s"], "verdicts_agree": agree, "max_score_diff": max_diff,
        "found_known_shifts": expected == shifted, "ours_peak_mb": ours["peak_mb"], "evidently_peak_mb": ev["peak_mb"],
        "report_kb": ours["report_kb"], "profile_kb": ours["profile_kb"],
        "default_drifted": sorted(c for c, v in ours["default_verdicts"].items() if v) == sorted(shifted),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes for a sanity run")
    ap.add_argument("--worker", choices=["ours", "evidently"], help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        fn = worker_ours if args.worker == "ours" else worker_evidently
        print(json.dumps(fn(Path(args.data))))
        return
    cases = [(20_000, 20, 5), (2_000, 160, 40)] if args.quick else [(100_000, 20, 5), (10_000, 160, 40), (1_000_000, 20, 5)]
    print(f"{'rows':>9} {'cols':>4} {'fit s':>7} {'ours s':>7} {'default s':>9} {'evidently s':>11} {'speedup':>8} "
          f"{'agree':>6} {'max|diff|':>9} {'ours MB':>8} {'evid. MB':>8} {'report KB':>9} {'profile KB':>10}")
    result = {}
    for n, n_num, n_cat in cases:
        r = run_case(n, n_num, n_cat, seed=n + n_num)
        print(f"{r['rows']:>9,} {r['cols']:>4} {r['fit_s']:>7.2f} {r['ours_s']:>7.2f} {r['ours_default_s']:>9.2f} "
              f"{r['evidently_s']:>11.2f} {r['speedup']:>7.1f}x {str(r['verdicts_agree']):>6} {r['max_score_diff']:>9.1e} "
              f"{r['ours_peak_mb']:>8.0f} {r['evidently_peak_mb']:>8.0f} {r['report_kb']:>9.1f} {r['profile_kb']:>10.0f}",
              flush=True)
        if not r["found_known_shifts"] or not r["default_drifted"]:
            print(f"  note: known shifts found with Evidently methods: {r['found_known_shifts']}, "
                  f"with our defaults: {r['default_drifted']}")
        if r["cols"] == 25:
            result = r
    print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in result.items()
                      if k in ("rows", "cols", "ours_s", "evidently_s", "speedup", "verdicts_agree", "ours_peak_mb",
                               "evidently_peak_mb")}))


if __name__ == "__main__":
    main()
