"""Benchmark of the explain engine against calling shap directly.

Global importance for 2,000 rows of a 300-tree GradientBoostingClassifier with 25 features and a
warm local explanation, next to ``shap.Explainer(model)(rows)`` on the same rows in the same run;
plus global importance of 300 rows of the demo loan-default pipeline. Pinned to one core; the
two global timings alternate and the best of five is kept, since the machine may be shared.
The last line printed is one JSON object.

    python bench/explain.py
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROWS, FEATURES, TREES, REPEATS = 2_000, 25, 300, 5


def timed(fn, repeats: int) -> tuple[float, object]:
    """Median wall time in seconds of ``repeats`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def best_of_alternating(first, second, repeats: int) -> tuple[float, object, float, object]:
    """Best wall time and last result of two calls run alternately ``repeats`` times."""
    best = [float("inf"), float("inf")]
    results: list[object] = [None, None]
    for _ in range(repeats):
        for i, fn in enumerate((first, second)):
            start = time.perf_counter()
            results[i] = fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best[0], results[0], best[1], results[1]


def gbc_case() -> dict:
    import shap
    from sklearn.datasets import make_classification
    from sklearn.ensemble import GradientBoostingClassifier

    from monitor.explain import ModelExplainer

    data, target = make_classification(n_samples=ROWS, n_features=FEATURES, n_informative=10, random_state=0)
    X = pd.DataFrame(data, columns=[f"f{i}" for i in range(FEATURES)])
    start = time.perf_counter()
    model = GradientBoostingClassifier(n_estimators=TREES, random_state=0).fit(X, target)
    fit_s = time.perf_counter() - start

    build_s, explainer = timed(lambda: ModelExplainer(model, list(X.columns), "classification"), REPEATS)
    explainer.explain_row(X, 0)
    local_s, _ = timed(lambda: explainer.explain_row(X, 17), 20)

    def direct():
        return shap.Explainer(model)(X)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        global_s, ours, direct_s, explanation = best_of_alternating(
            lambda: explainer.global_importance(X, sample_size=ROWS), direct, REPEATS
        )
        direct_explainer = shap.Explainer(model)
        direct_explainer(X.iloc[[0]])
        direct_local_s, _ = timed(lambda: direct_explainer(X.iloc[[17]]), 20)
    direct_importance = np.abs(explanation.values).mean(axis=0)
    ours_importance = np.array([ours.importance[c] for c in X.columns])
    return {
        "fit_s": fit_s,
        "build_s": build_s,
        "global_s": global_s,
        "local_s": local_s,
        "direct_s": direct_s,
        "direct_local_s": direct_local_s,
        "max_importance_diff": float(np.abs(direct_importance - ours_importance).max()),
        "explainer": f"{explainer.kind}: {explainer.method}",
    }


def demo_case() -> dict:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    from monitor.explain import ModelExplainer

    rng = np.random.default_rng(0)
    n = ROWS
    X = pd.DataFrame(
        {
            "income": rng.normal(50_000, 15_000, n),
            "age": rng.integers(18, 70, n).astype(float),
            "debt_ratio": rng.uniform(0, 1, n),
            "credit_history_years": rng.integers(0, 30, n).astype(float),
            "loan_amount": rng.normal(10_000, 3_000, n),
            "employment_type": rng.choice(["salaried", "self-employed", "unemployed"], n),
            "region": rng.choice(["north", "south", "east", "west"], n),
        }
    )
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(1 - 3 * X.debt_ratio + X.income / 30_000))).astype(int)
    numeric, categorical = list(X.columns[:5]), list(X.columns[5:])
    prep = ColumnTransformer(
        [("num", SimpleImputer(strategy="median"), numeric), ("cat", OneHotEncoder(handle_unknown="ignore"), categorical)]
    )
    model = Pipeline([("prep", prep), ("model", GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=0))]).fit(
        X, y
    )
    batch = X.copy()
    batch.loc[batch.index[::7], "income"] = np.nan
    batch.loc[batch.index[::5], "region"] = "unseen"
    explainer = ModelExplainer(model, list(X.columns), "classification", background=X)
    global_s, _ = timed(lambda: explainer.global_importance(batch, sample_size=300), REPEATS)
    explainer.explain_row(batch, 0)
    local_s, _ = timed(lambda: explainer.explain_row(batch, 17), 20)
    return {"global_s": global_s, "local_s": local_s, "explainer": f"{explainer.kind}: {explainer.method}"}


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    gbc = gbc_case()
    demo = demo_case()
    rows = [
        ("GBC 300 trees x 25 features: fit (setup)", f"{gbc['fit_s']:.2f} s"),
        ("  ModelExplainer build", f"{gbc['build_s'] * 1000:.1f} ms"),
        (f"  global importance, {ROWS} rows", f"{gbc['global_s']:.3f} s"),
        (f"  shap.Explainer(model)(X), {ROWS} rows", f"{gbc['direct_s']:.3f} s"),
        ("  local explanation, warm", f"{gbc['local_s'] * 1000:.2f} ms"),
        ("  shap.Explainer(model)(one row), warm", f"{gbc['direct_local_s'] * 1000:.2f} ms"),
        ("  max |importance difference| vs shap", f"{gbc['max_importance_diff']:.2e}"),
        ("  explainer", gbc["explainer"]),
        ("demo loan pipeline: global importance, 300 rows", f"{demo['global_s'] * 1000:.1f} ms"),
        ("  local explanation, warm", f"{demo['local_s'] * 1000:.2f} ms"),
        ("  explainer", demo["explainer"]),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'measure':<{width}}  value")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(
        json.dumps(
            {
                "global_s": round(gbc["global_s"], 4),
                "local_ms": round(gbc["local_s"] * 1000, 3),
                "shap_direct_global_s": round(gbc["direct_s"], 4),
            }
        )
    )


if __name__ == "__main__":
    main()
