"""Parity with Evidently 0.7: same data, same method and threshold per column, same numbers.

Tolerances:
* exact profiles (every distinct reference value kept, which holds while a column has at most
  ``max_points`` distinct values) use the same formulas as Evidently on the same counts, so
  statistics agree to 1e-6 (absolute, or relative for p-values far below 1e-6);
* a reference with more distinct values than ``max_points`` (1024) is summarised by centroids
  (t-digest's arcsine scale: single values in the tails, at most ~1.6/1022 of the rows in the
  middle). That moves the reference CDF by at most ~0.0016 at any point, which bounds the
  change of a Sturges-bin share to ~0.0016 per bin edge and of the Wasserstein distance to the
  CDF error integrated over the range. We allow 2e-3 absolute for normalized Wasserstein,
  Jensen-Shannon and PSI on such profiles (observed here: < 4e-4). KS p-values are compared
  only on exact profiles (Evidently picks KS only for references of at most 1000 rows, which
  are exact here; at large n a p-value amplifies any CDF error).
Every verdict must match in every case.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

evidently = pytest.importorskip("evidently")

from evidently import DataDefinition, Dataset, Report  # noqa: E402
from evidently.metrics import ValueDrift  # noqa: E402

from monitor.drift import ReferenceProfile, column_drift  # noqa: E402

# Evidently's chi-square divides by a zero expected count for categories absent from the reference
pytestmark = pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")

NUM_METHODS = ("ks", "wasserstein", "psi", "jensenshannon")
CAT_METHODS = ("chisquare", "jensenshannon", "psi")
THRESHOLDS = {"ks": 0.05, "wasserstein": 0.1, "psi": 0.1, "jensenshannon": 0.1, "chisquare": 0.05, "z": 0.05}


def _dataset(n_ref: int, n_cur: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], list[str], list[str]]:
    rng = np.random.default_rng(seed)
    ref, cur, methods = {}, {}, {}
    for method in NUM_METHODS:
        for shift in (0.0, 0.5):
            name = f"num_{method}_{'shift' if shift else 'same'}"
            ref[name] = rng.normal(10, 3, n_ref)
            cur[name] = rng.normal(10 + shift * 3, 3 * (1 + shift / 2), n_cur)
            methods[name] = method
    for method in ("psi", "jensenshannon"):  # <= 20 distinct values: Evidently compares values as categories
        name = f"int_{method}"
        ref[name] = rng.poisson(3, n_ref).astype(float)
        cur[name] = rng.poisson(3.6, n_cur).astype(float)
        methods[name] = method
    levels = np.array(list("abcdef"), dtype=object)
    for method in CAT_METHODS:
        for shifted in (False, True):
            name = f"cat_{method}_{'shift' if shifted else 'same'}"
            p = np.array([0.3, 0.25, 0.2, 0.15, 0.1, 0.0])
            q = np.array([0.15, 0.25, 0.2, 0.15, 0.15, 0.1]) if shifted else p
            ref[name] = levels[rng.choice(6, n_ref, p=p)]
            cur[name] = levels[rng.choice(6, n_cur, p=q)]
            methods[name] = method
    ref["cat_z"] = np.where(rng.random(n_ref) < 0.4, "yes", "no").astype(object)
    cur["cat_z"] = np.where(rng.random(n_cur) < 0.48, "yes", "no").astype(object)
    methods["cat_z"] = "z"
    ref_df, cur_df = pd.DataFrame(ref), pd.DataFrame(cur)
    for df in (ref_df, cur_df):  # missing values in a third of the columns
        for c in list(df.columns)[::3]:
            df.loc[rng.random(len(df)) < 0.05, c] = None if df[c].dtype == object else np.nan
    numeric = [c for c in methods if c.startswith(("num_", "int_"))]
    categorical = [c for c in methods if c.startswith("cat_")]
    return ref_df, cur_df, methods, numeric, categorical


def _evidently(ref: pd.DataFrame, cur: pd.DataFrame, methods: dict[str, str], numeric, categorical) -> dict[str, tuple[float, bool]]:
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    metrics = [ValueDrift(column=c, method=m, threshold=THRESHOLDS[m]) for c, m in methods.items()]
    doc = Report(metrics, include_tests=True).run(
        Dataset.from_pandas(cur, data_definition=definition), Dataset.from_pandas(ref, data_definition=definition)).dict()
    status = {t["metric_config"]["metric_id"]: t["status"] for t in doc["tests"]}
    return {m["config"]["column"]: (float(m["value"]), status[m["id"]] == "FAIL") for m in doc["metrics"]}


CASES = [
    # (n_ref, n_cur, seed, max_points, exact)
    (200, 300, 1, 1024, True),
    (1000, 800, 2, 1024, True),
    (20_000, 12_000, 3, 50_000, True),
    (20_000, 12_000, 3, 1024, False),
]


@pytest.mark.parametrize(("n_ref", "n_cur", "seed", "max_points", "exact"), CASES)
def test_statistics_and_verdicts_match_evidently(n_ref, n_cur, seed, max_points, exact):
    ref, cur, methods, numeric, categorical = _dataset(n_ref, n_cur, seed)
    if not exact:
        methods = {c: m for c, m in methods.items() if m != "ks"}
    expected = _evidently(ref, cur, methods, numeric, categorical)
    profile = ReferenceProfile.fit(ref, numeric, categorical, max_points=max_points)
    assert all(profile.columns[c].exact for c in numeric if c.startswith("num_")) is exact
    mismatches = []
    for column, method in methods.items():
        ours = column_drift(profile, column, cur[column], method, THRESHOLDS[method])
        ev_score, ev_drift = expected[column]
        assert ours.error is None, ours.error
        if exact:
            ok = math.isclose(ours.statistic, ev_score, rel_tol=1e-6, abs_tol=1e-6)
        else:
            ok = abs(ours.statistic - ev_score) <= (2e-3 if column.startswith("num_") else 1e-6)
        if not ok or ours.drifted != ev_drift:
            mismatches.append((column, method, ours.statistic, ev_score, ours.drifted, ev_drift))
    assert not mismatches
    # the data sets exercise both verdicts
    verdicts = {expected[c][1] for c in methods}
    assert verdicts == {True, False}
