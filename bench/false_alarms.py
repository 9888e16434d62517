"""False alarms and detection power of drift defaults, by batch size.

Batches of 1k, 10k, 100k and 1M rows are drawn from the reference distribution (no drift) and
with known small shifts (mean +0.2 sd, variance x1.5, one category's share +10 points, 5% of
rows in a new category). Each batch is judged against a reference profile of 100,000 rows
(a pool of independently drawn references, and a second scenario with a 1,000-row reference)
by three rules, all through this package's method registry:

* ours: the package defaults (``monitor.drift.DEFAULTS``);
* Evidently's default rule, reproduced with the registry's Evidently-equivalent methods
  (tests/drift/test_parity.py checks those against Evidently 0.7): reference <= 1000 rows ->
  KS (numeric) / chi-square (categorical) at p < 0.05, else normalized Wasserstein 0.1 /
  Jensen-Shannon 0.1;
* p-value tests only: KS (numeric) and chi-square (categorical) at 0.05.

Run: ``python bench/false_alarms.py`` (about five minutes on two cores) or ``--quick``.
The last line is one JSON object with the worst false-alarm and detection rates over batch sizes
for the 100,000-row reference.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.drift import DEFAULTS, ReferenceProfile, get_method  # noqa: E402
from monitor.drift.summary import CategoricalBatch, NumericBatch  # noqa: E402

NUMERIC = {
    "normal": lambda rng, n: rng.normal(50, 10, n),
    "lognormal": lambda rng, n: rng.lognormal(0, 0.5, n),
    "exponential": lambda rng, n: rng.exponential(1.0, n),
    "uniform": lambda rng, n: rng.uniform(0, 1, n),
    "bimodal": lambda rng, n: np.where(rng.random(n) < 0.3, rng.normal(-2, 1, n), rng.normal(2, 0.7, n)),
    "poisson": lambda rng, n: rng.poisson(4, n).astype(float),
}
CATEGORICAL = {
    "cat3": np.array([0.5, 0.3, 0.2]),
    "cat5": np.array([0.35, 0.25, 0.2, 0.12, 0.08]),
    "cat12": (lambda w: w / w.sum())(1 / np.arange(1, 13) ** 0.8),
}
SHIFTS = {"mean +0.2 sd": "numeric", "variance x1.5": "numeric", "category +10 pts": "categorical", "new category 5%": "categorical"}
RULES = ("ours", "evidently", "p-value")
HEADLINE_REF = 100_000  # the JSON line summarises this reference size; the 1,000-row one is printed only


def _moments() -> dict[str, tuple[float, float]]:
    rng = np.random.default_rng(12345)
    return {k: (float(g(rng, 2_000_000).mean()), float(g(rng, 2_000_000).std())) for k, g in NUMERIC.items()}


def _numeric(rng, name: str, n: int, shift: str | None, moments) -> np.ndarray:
    x = NUMERIC[name](rng, n)
    mu, sd = moments[name]
    if shift == "mean +0.2 sd":
        return x + 0.2 * sd if name != "poisson" else rng.poisson(4 + 0.2 * 2.0, n).astype(float)
    if shift == "variance x1.5":
        return mu + np.sqrt(1.5) * (x - mu)
    return x


def _categorical(rng, name: str, n: int, shift: str | None) -> np.ndarray:
    p = CATEGORICAL[name].copy()
    labels = np.array([f"{name}_{i}" for i in range(len(p))] + ["NEW"], dtype=object)
    if shift == "category +10 pts":
        top = int(np.argmax(p))
        rest = 1 - p[top]
        p = p * (rest - 0.10) / rest
        p[top] = CATEGORICAL[name][top] + 0.10
    p = np.append(p, 0.0)
    if shift == "new category 5%":
        p = np.append(p[:-1] * 0.95, 0.05)
    return labels[rng.choice(len(p), n, p=p)]


def _frame(rng, n: int, shift: str | None, moments) -> pd.DataFrame:
    cols = {k: _numeric(rng, k, n, shift, moments) for k in NUMERIC}
    cols.update({k: _categorical(rng, k, n, shift) for k in CATEGORICAL})
    return pd.DataFrame(cols)


def _rule(rule: str, kind: str, n_ref: int) -> tuple[str, float]:
    if rule == "ours":
        return DEFAULTS[kind]
    if rule == "p-value" or n_ref <= 1000:
        return ("ks", 0.05) if kind == "numeric" else ("chisquare", 0.05)
    return ("wasserstein", 0.1) if kind == "numeric" else ("jensenshannon", 0.1)


def _judge(profile: ReferenceProfile, batch: pd.DataFrame, columns, n_ref: int) -> dict[str, list[bool]]:
    verdicts: dict[str, list[bool]] = {r: [] for r in RULES}
    for c in columns:
        ref = profile.columns[c]
        cur = NumericBatch.of(batch[c], c) if ref.kind == "numeric" else CategoricalBatch.of(batch[c])
        for r in RULES:
            name, thr = _rule(r, ref.kind, n_ref)
            verdicts[r].append(get_method(name).func(ref, cur, thr).drifted)
    return verdicts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer trials and no 1M-row batches")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    sizes = {1_000: 300, 10_000: 150, 100_000: 30, 1_000_000: 6}
    if args.quick:
        sizes = {1_000: 60, 10_000: 30, 100_000: 6}
    ref_sizes = (HEADLINE_REF, 1_000)
    rng = np.random.default_rng(args.seed)
    moments = _moments()
    num_cols, cat_cols = list(NUMERIC), list(CATEGORICAL)
    t0 = time.perf_counter()
    summary = {r: {"fa": [], "det": []} for r in RULES}
    by_column: dict[tuple, list[bool]] = {}
    print(f"{'reference':>9} {'batch':>9} {'case':<18} " + " ".join(f"{r:>10}" for r in RULES))
    for n_ref in ref_sizes:
        refs = [ReferenceProfile.fit(_frame(rng, n_ref, None, moments), num_cols, cat_cols) for _ in range(10)]
        for n, trials in sizes.items():
            rates: dict[str, dict[str, list[bool]]] = {case: {r: [] for r in RULES} for case in ("no drift", *SHIFTS)}
            for t in range(trials):
                profile = refs[t % len(refs)]
                v = _judge(profile, _frame(rng, n, None, moments), num_cols + cat_cols, n_ref)
                for r in RULES:
                    rates["no drift"][r] += v[r]
                for shift, kind in SHIFTS.items():
                    cols = num_cols if kind == "numeric" else cat_cols
                    if shift == "variance x1.5":
                        cols = [c for c in cols if c != "poisson"]
                    batch = pd.DataFrame({c: (_numeric(rng, c, n, shift, moments) if kind == "numeric"
                                              else _categorical(rng, c, n, shift)) for c in cols})
                    v = _judge(profile, batch, cols, n_ref)
                    for r in RULES:
                        rates[shift][r] += v[r]
                        for c, d in zip(cols, v[r], strict=True):
                            by_column.setdefault((n_ref, n, shift, r, c), []).append(d)
            for case, per_rule in rates.items():
                vals = {r: float(np.mean(per_rule[r])) for r in RULES}
                print(f"{n_ref:>9,} {n:>9,} {case:<18} " + " ".join(f"{vals[r]:>10.2%}" for r in RULES), flush=True)
                if n_ref == HEADLINE_REF:
                    for r in RULES:
                        summary[r]["fa" if case == "no drift" else "det"].append(vals[r])
    weakest = sorted(((float(np.mean(v)), k) for k, v in by_column.items() if k[3] == "ours" and k[0] == HEADLINE_REF))[:5]
    print("weakest detections of our defaults (reference, batch, shift, column):")
    for rate, (n_ref, n, shift, _, c) in weakest:
        print(f"  {rate:7.2%}  ref {n_ref:,} batch {n:,} {shift} {c}")
    print(f"defaults: {DEFAULTS}; elapsed {time.perf_counter() - t0:.0f} s")
    print(json.dumps({
        "false_alarm_rate_max": round(max(summary["ours"]["fa"]), 4),
        "detection_rate_min": round(min(summary["ours"]["det"]), 4),
        "evidently_false_alarm_rate_max": round(max(summary["evidently"]["fa"]), 4),
        "evidently_detection_rate_min": round(min(summary["evidently"]["det"]), 4),
    }))


if __name__ == "__main__":
    main()
