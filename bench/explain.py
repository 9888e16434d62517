"""Benchmark of the explain engine against calling shap directly.

Global importance for 2,000 rows of a 300-tree GradientBoostingClassifier with 25 features and a
warm local explanation, next to ``shap.Explainer(model)(rows)`` on the same rows in the same run;
plus global importance of 300 rows of the demo loan-default pipeline; of a HistGradientBoosting
pipeline with native categorical features (exact TreeSHAP on its own splits); and of an SVC
pipeline, explained by the sampling explainer within its default budget. Pinned to one core; the
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


def mixed_frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Four numeric and four categorical columns with missing values; a target using both."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({f"n{i}": rng.normal(size=n) for i in range(4)})
    for i in range(4):
        X[f"c{i}"] = rng.choice([f"level{k}" for k in range(4 + 2 * i)], n)
    X.loc[X.index[::13], "n1"] = np.nan
    X.loc[X.index[::11], "c1"] = np.nan
    logit = X.n0 + X.n1.fillna(0) * X.n2 + (X.c0 == "level0") + X.c1.isin(["level1", "level2"]) - 1.5 * (X.c3 == "level5")
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int).to_numpy()
    return X, y


def mixed_batch() -> pd.DataFrame:
    batch = mixed_frame(300, seed=1)[0]
    batch.loc[batch.index[::5], "c0"] = "never-seen"
    return batch


def hist_categorical_case() -> dict:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    from monitor.explain import ModelExplainer

    X, y = mixed_frame(5_000, seed=0)
    numeric, categorical = list(X.columns[:4]), list(X.columns[4:])
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan)
    prep = ColumnTransformer([("cat", encoder, categorical), ("num", "passthrough", numeric)])
    hgb = HistGradientBoostingClassifier(max_iter=100, categorical_features=[0, 1, 2, 3], early_stopping=False, random_state=0)
    model = Pipeline([("prep", prep), ("model", hgb)]).fit(X, y)
    batch = mixed_batch()
    build_s, explainer = timed(lambda: ModelExplainer(model, list(X.columns), "classification", background=X), 3)
    global_s, _ = timed(lambda: explainer.global_importance(batch, sample_size=300), REPEATS)
    rows = explainer.explain_rows(batch)
    error = float(np.abs(rows.output_values - model.decision_function(batch)).max())
    return {"build_s": build_s, "global_s": global_s, "additivity_error": error, "description": explainer.description}


def svc_sampling_case() -> dict:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from sklearn.svm import SVC

    from monitor.explain import ModelExplainer

    X, y = mixed_frame(5_000, seed=0)
    numeric, categorical = list(X.columns[:4]), list(X.columns[4:])
    prep = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make_pipeline(prep, SVC(probability=True, random_state=0)).fit(X, y)
    batch = mixed_batch()
    background = X.sample(100, random_state=0)
    build_s, explainer = timed(lambda: ModelExplainer(model, list(X.columns), "classification", background=background), 1)
    global_s, _ = timed(lambda: explainer.global_importance(batch, sample_size=300), 3)
    rows = explainer.explain_rows(batch.head(20))
    error = float(np.abs(rows.output_values - model.predict_proba(batch.head(20))[:, 1]).max())
    return {
        "build_s": build_s,
        "global_s": global_s,
        "additivity_error": error,
        "expected_s": explainer.expected_seconds,
        "description": explainer.description,
    }


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    gbc = gbc_case()
    demo = demo_case()
    hist = hist_categorical_case()
    svc = svc_sampling_case()
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
        ("HGB native categorical pipeline (8 columns, 5,000 rows): build", f"{hist['build_s'] * 1000:.1f} ms"),
        ("  global importance, 300 rows", f"{hist['global_s'] * 1000:.1f} ms"),
        ("  max |additivity error|", f"{hist['additivity_error']:.1e}"),
        ("SVC pipeline (8 columns, 5,000 rows), sampling: build", f"{svc['build_s'] * 1000:.1f} ms"),
        ("  global importance, 300 rows", f"{svc['global_s']:.2f} s (planned {svc['expected_s']:.2f} s)"),
        ("  max |additivity error|", f"{svc['additivity_error']:.1e}"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'measure':<{width}}  value")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(f"HGB explainer: {hist['description']}")
    print(f"SVC explainer: {svc['description']}")
    print(
        json.dumps(
            {
                "global_s": round(gbc["global_s"], 4),
                "local_ms": round(gbc["local_s"] * 1000, 3),
                "shap_direct_global_s": round(gbc["direct_s"], 4),
                "hgb_categorical_global_300_s": round(hist["global_s"], 4),
                "svc_sampling_global_300_s": round(svc["global_s"], 4),
            }
        )
    )


if __name__ == "__main__":
    main()
