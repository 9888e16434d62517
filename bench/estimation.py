"""Performance estimation without labels against NannyML's CBPE and DLE, on the same batches.

Cases (each: a model, labelled reference rows it did not train on, batches with and without shift):

- loan_default: the demo classifier (``monitor.demo``), batches from ``loan_frame`` with
  ``drifted=False`` and ``drifted=True``;
- store_demand: the demo regressor, batches from ``demand_frame`` likewise;
- fair: a classifier of ``affairs > 0`` on statsmodels' ``fair`` data set (4 numeric, 4 categorical
  columns); shifted batches favour rows with a low marriage rating;
- randhie: a regressor of doctor visits (``mdvis``) on statsmodels' ``randhie`` data set; shifted
  batches favour rows with many chronic diseases.

For the two data sets, each draw splits the rows into training, reference and a pool, and batches are
drawn from the pool: uniformly without shift, with weights rising along one column with shift.
Every model is the demo's pipeline (``monitor.demo._pipeline``).

Each case is drawn three times (model, reference and batches; seeded), 40 batches a draw, half of
them shifted. Our estimators run in this process; NannyML 0.13 runs in its own virtual environment
(``bench/out/nannyml-venv``, created on first run with pip), in a subprocess that reads the same
batches from Parquet files. Each batch is one NannyML chunk (one day per batch, ``chunk_period='D'``).
For each case the figure is the mean absolute error between the estimated and the realized metric
over all batches, averaged over the metrics (classifiers: AUC, accuracy, precision, recall, F1;
regressors: MAE and RMSE, in the target's units). Band coverage is the share of batches whose
realized metric lies inside the band (ours: 95% band; NannyML: its ±3 sampling-error band). The
paired difference is the mean over batches of our absolute error minus NannyML's, with its
standard error.

Run: ``python bench/estimation.py`` (under a minute, plus a few minutes on first run for the venv) or
``--quick`` (one draw of 20 batches per case: too few to separate close estimators).
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.demo import (  # noqa: E402
    DEMAND_CATEGORICAL,
    DEMAND_NUMERIC,
    LOAN_CATEGORICAL,
    LOAN_NUMERIC,
    _pipeline,
    demand_frame,
    loan_frame,
)
from monitor.performance import ConfidenceEstimator, LossEstimator, performance  # noqa: E402

OUT = ROOT / "bench" / "out" / "estimation"
VENV = ROOT / "bench" / "out" / "nannyml-venv"
NANNYML_REQUIREMENTS = ["nannyml==0.13.*", "statsmodels", "pyarrow", "pandas>=2.2,<3"]
CLASSIFIER_METRICS = {"auc": "roc_auc", "accuracy": "accuracy", "precision": "precision", "recall": "recall", "f1": "f1"}
REGRESSOR_METRICS = {"mae": "mae", "rmse": "rmse"}

RUNNER = r'''
import json, sys, time, warnings
import numpy as np, pandas as pd
warnings.simplefilter("ignore")
import nannyml as nml

job = json.loads(open(sys.argv[1]).read())
out = {}
for case in job["cases"]:
    ref = pd.read_parquet(case["reference"])
    ana = pd.read_parquet(case["batches"])
    day = pd.Timestamp("2024-01-01")
    ref["ts"] = day + pd.to_timedelta(np.arange(len(ref)) // case["batch_rows"], unit="D")
    ana["ts"] = ref["ts"].max() + pd.Timedelta(days=1) + pd.to_timedelta(ana["batch"], unit="D")
    for c in case["categorical"]:
        ref[c] = ref[c].astype(str).astype(object)
        ana[c] = ana[c].astype(str).astype(object)
    start = time.perf_counter()
    metrics = list(case["metrics"].values())
    if case["task"] == "classification":
        est = nml.CBPE(y_pred_proba="score", y_pred="y_pred", y_true="y_true", timestamp_column_name="ts",
                       metrics=metrics, chunk_period="D", problem_type="classification_binary")
    else:
        est = nml.DLE(feature_column_names=case["numeric"] + case["categorical"], y_pred="y_pred", y_true="y_true",
                      timestamp_column_name="ts", metrics=metrics, chunk_period="D", hyperparameters={"verbosity": -1})
    est.fit(ref)
    res = est.estimate(ana.drop(columns=["y_true"], errors="ignore")).filter(period="analysis").to_df()
    res = res.sort_values(("chunk", "start_date"))
    figures = {}
    for ours, theirs in case["metrics"].items():
        figures[ours] = {k: [None if pd.isna(v) else float(v) for v in res[(theirs, f)]] for k, f in
                         (("value", "value"), ("lower", "lower_confidence_boundary"), ("upper", "upper_confidence_boundary"))}
    out[case["name"]] = {"figures": figures, "seconds": time.perf_counter() - start, "chunks": len(res)}
json.dump(out, open(sys.argv[2], "w"))
'''


def ensure_venv() -> Path:
    """NannyML's own virtual environment (its pins clash with the app's), created once."""
    python = VENV / "bin" / "python"
    check = "import nannyml, pyarrow, pandas; assert int(pandas.__version__.split('.')[0]) < 3"  # DLE breaks on pandas 3
    ok = python.exists() and subprocess.run([python, "-c", check], capture_output=True).returncode == 0
    if not ok:
        print(f"creating {VENV} with {' '.join(NANNYML_REQUIREMENTS)} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", *NANNYML_REQUIREMENTS], check=True)
    return python


class Case:
    """A model, its labelled reference (features, y_true, y_pred, score) and its batches (with a 'batch' and 'shifted' column)."""

    def __init__(self, name, task, numeric, categorical, reference, batches, batch_rows):
        self.name, self.task, self.numeric, self.categorical = name, task, numeric, categorical
        self.reference, self.batches, self.batch_rows = reference, batches, batch_rows

    @property
    def features(self) -> list[str]:
        return self.numeric + self.categorical

    @property
    def metrics(self) -> dict[str, str]:
        return CLASSIFIER_METRICS if self.task == "classification" else REGRESSOR_METRICS


def _scored(model, frame: pd.DataFrame, truth, task: str) -> pd.DataFrame:
    out = frame.reset_index(drop=True).copy()
    out["y_true"] = np.asarray(truth)
    out["y_pred"] = model.predict(frame)
    if task == "classification":
        out["score"] = model.predict_proba(frame)[:, 1]
    return out


def demo_case(name: str, make, numeric, categorical, task: str, n_batches: int, batch_rows: int, seed: int) -> Case:
    rng = np.random.default_rng(seed)
    X, y = make(12000, rng)
    model = _pipeline(numeric, categorical, task).fit(X, y)
    reference = _scored(model, *make(5000, rng), task)
    batches = []
    for k in range(n_batches):
        shifted = k >= n_batches // 2
        b = _scored(model, *make(batch_rows, rng, drifted=shifted), task)
        batches.append(b.assign(batch=k, shifted=shifted))
    return Case(name, task, numeric, categorical, reference, pd.concat(batches, ignore_index=True), batch_rows)


def dataset_case(name: str, frame: pd.DataFrame, target, numeric, categorical, task: str, shift_column: str,
                 shift_strength: float, n_batches: int, batch_rows: int, seed: int) -> Case:
    rng = np.random.default_rng(seed)
    frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    for c in categorical:
        frame[c] = frame[c].astype(str)
    n = len(frame)
    train, ref, pool = frame.iloc[: int(0.4 * n)], frame.iloc[int(0.4 * n): int(0.65 * n)], frame.iloc[int(0.65 * n):]
    model = _pipeline(numeric, categorical, task).fit(train[numeric + categorical], target(train))
    reference = _scored(model, ref[numeric + categorical], target(ref), task)
    z = pool[shift_column].to_numpy(float)
    z = (z - z.mean()) / z.std()
    weights = np.exp(shift_strength * z)
    batches = []
    for k in range(n_batches):
        shifted = k >= n_batches // 2
        pick = rng.choice(len(pool), batch_rows, replace=False, p=weights / weights.sum() if shifted else None)
        rows = pool.iloc[pick]
        b = _scored(model, rows[numeric + categorical], target(rows), task)
        batches.append(b.assign(batch=k, shifted=shifted))
    return Case(name, task, numeric, categorical, reference, pd.concat(batches, ignore_index=True), batch_rows)


def build_cases(n_batches: int, repeats: int) -> list[Case]:
    """Every case ``repeats`` times, each time with another training/reference draw (seeded), named ``case#k``."""
    import statsmodels.api as sm

    fair = sm.datasets.fair.load_pandas().data
    randhie = sm.datasets.randhie.load_pandas().data
    randhie["health"] = np.select([randhie.hlthp == 1, randhie.hlthf == 1, randhie.hlthg == 1], ["poor", "fair", "good"],
                                  "excellent")
    cases = []
    for k in range(repeats):
        cases += [
            demo_case(f"loan_default#{k}", loan_frame, LOAN_NUMERIC, LOAN_CATEGORICAL, "classification", n_batches, 1000,
                      110 + k),
            demo_case(f"store_demand#{k}", demand_frame, DEMAND_NUMERIC, DEMAND_CATEGORICAL, "regression", n_batches, 1000,
                      120 + k),
            dataset_case(f"fair#{k}", fair, lambda f: (f["affairs"] > 0).astype(int).to_numpy(),
                         ["rate_marriage", "age", "yrs_married", "children"],
                         ["religious", "educ", "occupation", "occupation_husb"], "classification", "rate_marriage", -0.8,
                         n_batches, 400, 130 + k),
            dataset_case(f"randhie#{k}", randhie, lambda f: f["mdvis"].to_numpy(float),
                         ["lncoins", "idp", "lpi", "fmde", "physlm", "disea"], ["health"], "regression", "disea", 0.8,
                         n_batches, 800, 140 + k),
        ]
    return cases


def realized(case: Case) -> dict[str, list[float | None]]:
    out: dict[str, list[float | None]] = {m: [] for m in case.metrics}
    for _, b in case.batches.groupby("batch", sort=True):
        perf = performance(case.task, b["y_true"], b["y_pred"], b["score"] if case.task == "classification" else None,
                           resamples=2)
        for m in case.metrics:
            out[m].append(perf.get(m))
    return out


def ours(case: Case) -> dict:
    start = time.perf_counter()
    ref = case.reference
    if case.task == "classification":
        est = ConfidenceEstimator.fit(ref["y_true"], ref["score"], ref["y_pred"])
    else:
        est = LossEstimator.fit(ref[case.features], ref["y_pred"], ref["y_true"])
    fit_s = time.perf_counter() - start
    figures = {m: {"value": [], "lower": [], "upper": []} for m in case.metrics}
    for _, b in case.batches.groupby("batch", sort=True):
        e = (est.estimate(b["score"], b["y_pred"]) if case.task == "classification"
             else est.estimate(b[case.features], b["y_pred"]))
        for m in case.metrics:
            band = e["bands"].get(m, [None, None])
            figures[m]["value"].append(e.get(m))
            figures[m]["lower"].append(band[0])
            figures[m]["upper"].append(band[1])
    return {"figures": figures, "seconds": time.perf_counter() - start, "fit_seconds": fit_s}


def run_nannyml(cases: list[Case]) -> dict:
    python = ensure_venv()
    OUT.mkdir(parents=True, exist_ok=True)
    job = {"cases": []}
    for case in cases:
        ref_path, batch_path = OUT / f"{case.name}_reference.parquet", OUT / f"{case.name}_batches.parquet"
        case.reference.to_parquet(ref_path, index=False)
        case.batches.drop(columns=["shifted"]).to_parquet(batch_path, index=False)
        job["cases"].append({"name": case.name, "task": case.task, "reference": str(ref_path), "batches": str(batch_path),
                             "numeric": case.numeric, "categorical": case.categorical, "metrics": case.metrics,
                             "batch_rows": case.batch_rows})
    (OUT / "job.json").write_text(json.dumps(job))
    (OUT / "nannyml_runner.py").write_text(RUNNER)
    proc = subprocess.run([python, str(OUT / "nannyml_runner.py"), str(OUT / "job.json"), str(OUT / "nannyml.json")],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"NannyML run failed:\n{proc.stderr[-4000:]}")
    return json.loads((OUT / "nannyml.json").read_text())


def _array(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], float)


def errors(figures: dict, truth: dict) -> dict[str, dict[str, np.ndarray]]:
    """Per metric: absolute error of the estimate and whether the band covers the realized value, per batch."""
    out = {}
    for m, real in truth.items():
        real_a, val = _array(real), _array(figures[m]["value"])
        lo, hi = _array(figures[m]["lower"]), _array(figures[m]["upper"])
        out[m] = {"error": np.abs(val - real_a), "covered": (lo <= real_a) & (real_a <= hi)}
    return out


def summarise(err: np.ndarray, covered: np.ndarray, shifted: np.ndarray) -> dict[str, float]:
    ok = np.isfinite(err)
    return {"mae": float(np.mean(err[ok])), "mae_no_shift": float(np.mean(err[ok & ~shifted])),
            "mae_shift": float(np.mean(err[ok & shifted])), "coverage_no_shift": float(np.mean(covered[ok & ~shifted])),
            "coverage_shift": float(np.mean(covered[ok & shifted]))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one draw of each case with 20 batches")
    parser.add_argument("--batches", type=int, default=None, help="batches per draw of a case, half of them shifted")
    parser.add_argument("--repeats", type=int, default=None, help="draws of each case (model, reference and batches)")
    args = parser.parse_args()
    n_batches = args.batches or (20 if args.quick else 40)
    repeats = args.repeats or (1 if args.quick else 3)
    warnings.simplefilter("ignore")
    cases = build_cases(n_batches, repeats)
    theirs = run_nannyml(cases)
    pooled: dict[str, dict] = {}
    for case in cases:
        base = case.name.split("#")[0]
        truth = realized(case)
        mine = ours(case)
        a, b = errors(mine["figures"], truth), errors(theirs[case.name]["figures"], truth)
        entry = pooled.setdefault(base, {"task": case.task, "metrics": list(case.metrics), "ours": {}, "nannyml": {},
                                         "shifted": [], "ours_s": 0.0, "nannyml_s": 0.0, "ours_fit_s": 0.0})
        entry["shifted"].append(case.batches.groupby("batch", sort=True)["shifted"].first().to_numpy(bool))
        entry["ours_s"] += mine["seconds"]
        entry["ours_fit_s"] += mine["fit_seconds"]
        entry["nannyml_s"] += theirs[case.name]["seconds"]
        for who, e in (("ours", a), ("nannyml", b)):
            for m, v in e.items():
                entry[who].setdefault(m, []).append(v)
    summary: dict = {"batches_per_case": n_batches * repeats, "draws_per_case": repeats, "cases": {}}
    print(f"{'case':<13} {'metric':<9} {'MAE ours':>9} {'NannyML':>8} {'no shift':>17} {'with shift':>17} "
          f"{'band coverage, no shift':>24}")
    for base, entry in pooled.items():
        shifted = np.concatenate(entry["shifted"])
        per_metric, paired = {}, []
        for m in entry["metrics"]:
            cat = {who: {k: np.concatenate([x[k] for x in entry[who][m]]) for k in ("error", "covered")}
                   for who in ("ours", "nannyml")}
            a, b = (summarise(cat[w]["error"], cat[w]["covered"], shifted) for w in ("ours", "nannyml"))
            per_metric[m] = {"ours": {k: round(v, 5) for k, v in a.items()}, "nannyml": {k: round(v, 5) for k, v in b.items()}}
            paired.append(cat["ours"]["error"] - cat["nannyml"]["error"])
            print(f"{base:<13} {m:<9} {a['mae']:>9.4f} {b['mae']:>8.4f} {a['mae_no_shift']:>8.4f} {b['mae_no_shift']:>8.4f} "
                  f"{a['mae_shift']:>8.4f} {b['mae_shift']:>8.4f} {a['coverage_no_shift']:>11.0%} {b['coverage_no_shift']:>11.0%}")
        diff = np.nanmean(np.stack(paired), axis=0)
        diff = diff[np.isfinite(diff)]
        case_ours = float(np.mean([per_metric[m]["ours"]["mae"] for m in entry["metrics"]]))
        case_theirs = float(np.mean([per_metric[m]["nannyml"]["mae"] for m in entry["metrics"]]))
        se = float(diff.std(ddof=1) / np.sqrt(len(diff)))
        verdict = "ours no worse" if case_ours <= case_theirs else "NannyML better"
        print(f"{base:<13} {'mean':<9} {case_ours:>9.4f} {case_theirs:>8.4f}   {verdict}: paired difference "
              f"{diff.mean():+.5f} ± {se:.5f} (1 s.e.); time ours {entry['ours_s']:.1f} s "
              f"(fit {entry['ours_fit_s']:.1f} s), NannyML {entry['nannyml_s']:.1f} s")
        summary["cases"][base] = {"task": entry["task"], "ours_mae": round(case_ours, 5), "nannyml_mae": round(case_theirs, 5),
                                  "ours_no_worse": case_ours <= case_theirs, "paired_difference": round(float(diff.mean()), 6),
                                  "paired_difference_se": round(se, 6), "metrics": per_metric,
                                  "ours_seconds": round(entry["ours_s"], 2), "nannyml_seconds": round(entry["nannyml_s"], 2)}
    for kind, task in (("cbpe", "classification"), ("dle", "regression")):
        rows = [c for c in summary["cases"].values() if c["task"] == task]
        summary[f"{kind}_mae"] = round(float(np.mean([c["ours_mae"] for c in rows])), 5)
        summary[f"nannyml_{kind}_mae"] = round(float(np.mean([c["nannyml_mae"] for c in rows])), 5)
    head = {k: summary[k] for k in ("cbpe_mae", "nannyml_cbpe_mae", "dle_mae", "nannyml_dle_mae", "batches_per_case")}
    print(json.dumps({**head, **{k: v for k, v in summary.items() if k not in head}}))


if __name__ == "__main__":
    main()
