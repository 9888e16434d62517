from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from monitor.drift import ReferenceProfile, column_drift, get_method, method_names
from monitor.drift.methods import wasserstein_noise_floor


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(42)
    ref = pd.DataFrame({"x": rng.normal(0, 1, 500), "c": rng.choice(list("abc"), 500, p=[0.5, 0.3, 0.2])})
    return ref, ReferenceProfile.fit(ref, ["x"], ["c"]), rng


def test_registry_lists_methods_by_kind():
    assert method_names("numeric") == ["chisquare", "jensenshannon", "ks", "psi", "wasserstein", "wasserstein_guarded", "z"]
    assert method_names("categorical") == ["chisquare", "jensenshannon", "jensenshannon_guarded", "psi", "unseen_share", "z"]
    with pytest.raises(ValueError, match="numeric"):
        method_names("text")


def test_unknown_method_error_lists_registry_names():
    with pytest.raises(ValueError) as err:
        get_method("kolmogorov", "numeric")
    for name in method_names("numeric"):
        assert name in str(err.value)
    with pytest.raises(ValueError, match="does not apply to categorical"):
        get_method("ks", "categorical")


def test_threshold_semantics():
    assert get_method("ks").rule(0.05) == "drift if p_value < 0.05"
    assert get_method("wasserstein").rule(0.1) == "drift if normalized Wasserstein distance >= 0.1"
    assert get_method("ks").direction == "p_value" and get_method("psi").direction == "distance"


def test_ks_matches_scipy(small):
    ref, profile, rng = small
    cur = pd.Series(rng.normal(0.3, 1, 400))
    r = column_drift(profile, "x", cur, "ks", 0.05)
    expected = stats.ks_2samp(ref["x"], cur)
    assert r.statistic == pytest.approx(expected.pvalue, rel=1e-9)
    assert r.statistic == pytest.approx(1.487578673809167e-05, rel=1e-9)
    assert r.p_value == r.statistic and r.drifted


def test_ks_asymptotic_branch_matches_scipy():
    rng = np.random.default_rng(5)
    ref = pd.DataFrame({"x": rng.integers(0, 500, 30_000).astype(float)})  # > 10,000 rows, exact profile
    profile = ReferenceProfile.fit(ref, ["x"], [])
    cur = pd.Series(rng.integers(0, 505, 20_000).astype(float))
    assert profile.columns["x"].exact
    r = column_drift(profile, "x", cur, "ks")
    assert r.statistic == pytest.approx(stats.ks_2samp(ref["x"], cur).pvalue, rel=1e-9)


def test_wasserstein_matches_scipy(small):
    ref, profile, rng = small
    cur = pd.Series(rng.normal(0.3, 1, 400))
    r = column_drift(profile, "x", cur, "wasserstein", 0.1)
    assert r.statistic == pytest.approx(stats.wasserstein_distance(ref["x"], cur) / np.std(ref["x"]), rel=1e-9)
    assert r.drifted and r.threshold == 0.1 and r.p_value is None


def test_jensenshannon_of_a_ten_point_share_rise(small):
    # a category going from 10% to 20%: JS distance 0.0998 (misses Evidently's 0.1); from 50% to 60%: 0.0711
    _, _, rng = small
    for p, expected in ((0.1, 0.0998318052585084), (0.5, 0.07112938864483193)):
        ref = pd.DataFrame({"c": ["a"] * int(p * 10_000) + ["b"] * int((1 - p) * 10_000)})
        cur = pd.Series(["a"] * int((p + 0.1) * 10_000) + ["b"] * int((0.9 - p) * 10_000))
        profile = ReferenceProfile.fit(ref, [], ["c"])
        assert column_drift(profile, "c", cur, "jensenshannon").statistic == pytest.approx(expected, abs=1e-12)
        guarded = column_drift(profile, "c", cur, "jensenshannon_guarded")
        assert guarded.drifted and guarded.threshold == pytest.approx(0.04)


def test_categorical_methods_pinned(small):
    _, profile, _ = small
    rng = np.random.default_rng(7)
    cur = pd.Series(rng.choice(list("abcd"), 400, p=[0.6, 0.2, 0.15, 0.05]))
    got = {m: column_drift(profile, "c", cur, m) for m in ("chisquare", "jensenshannon", "psi", "unseen_share")}
    ref_share = ref_counts(profile, "abcd")
    cur_share = cur.value_counts(normalize=True).reindex(list("abcd"), fill_value=0).to_numpy()
    assert got["jensenshannon"].statistic == pytest.approx(jensenshannon(ref_share, cur_share), abs=1e-12)
    assert got["jensenshannon"].statistic == pytest.approx(0.1419434741031557, abs=1e-12)
    filled = np.where(ref_share == 0, 0.0001, ref_share)  # Evidently fills empty bins with 0.0001
    assert got["psi"].statistic == pytest.approx(np.sum((filled - cur_share) * np.log(filled / cur_share)), abs=1e-12)
    assert got["unseen_share"].statistic == pytest.approx(cur_share[3])
    assert got["chisquare"].statistic == 0.0  # an unseen category has zero expected count, as in Evidently
    assert all(r.unseen_share == pytest.approx(cur_share[3]) for r in got.values())


def ref_counts(profile, keys):
    counts = profile.columns["c"].counts
    total = sum(counts.values())
    return np.array([counts.get(k, 0) / total for k in keys])


def test_z_test_matches_two_proportion_formula():
    ref = pd.DataFrame({"b": ["no"] * 600 + ["yes"] * 400})
    cur = pd.Series(["no"] * 520 + ["yes"] * 480)
    r = column_drift(ReferenceProfile.fit(ref, [], ["b"]), "b", cur, "z")
    pooled = 0.44
    z = (0.4 - 0.48) / math.sqrt(pooled * (1 - pooled) * (2 / 1000))
    assert r.statistic == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)
    assert r.drifted


def test_guarded_wasserstein_noise_floor_shrinks_with_n(small):
    _, profile, _ = small
    summary = profile.columns["x"]
    floors = [wasserstein_noise_floor(summary, n) for n in (100, 1_000, 100_000)]
    assert floors[0] > floors[1] > floors[2]
    # n_eff = 500*1000/1500; J/std of a normal is ~1.6, times q=2.4
    assert floors[1] == pytest.approx(2.4 * 1.6 / math.sqrt(500 * 1000 / 1500), rel=0.05)


def test_guarded_methods_ignore_noise_at_small_n_and_tiny_effects_at_large_n():
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"x": rng.normal(0, 1, 200_000)})
    profile = ReferenceProfile.fit(ref, ["x"], [])
    # 0.12 sd shift at 50 rows: above the 0.1 effect size, but within sampling noise
    small = column_drift(profile, "x", pd.Series(rng.normal(0.12, 1, 50)))
    assert small.method == "wasserstein_guarded" and small.threshold > 0.3 and not small.drifted
    # 0.03 sd shift at 1M rows: significant, but below the effect size
    large = column_drift(profile, "x", pd.Series(rng.normal(0.03, 1, 1_000_000)))
    assert large.threshold == 0.1 and not large.drifted
    assert column_drift(profile, "x", pd.Series(rng.normal(0.2, 1, 1_000))).drifted


def test_numeric_js_and_psi_on_few_values_use_values_as_categories():
    ref = pd.DataFrame({"k": [0, 1, 2, 3] * 250})
    profile = ReferenceProfile.fit(ref, ["k"], [])
    cur = pd.Series([0, 1, 2, 3, 4] * 200)
    r = column_drift(profile, "k", cur, "jensenshannon")
    assert r.statistic == pytest.approx(jensenshannon([0.25] * 4 + [0], [0.2] * 5), abs=1e-12)
