"""Attribution drift: how far a batch's feature-importance ranking moved from the reference's (NDCG).

The snapshot compares the score with the model's ``explain.ndcg_threshold`` (see :mod:`monitor.snapshots.compute`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from monitor.explain.errors import ExplainError


def _clean(importances: Mapping[str, float], which: str) -> dict[str, float]:
    cleaned = {}
    for name, value in importances.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ExplainError(f"{which} importance of feature {name!r} is not a number: {value!r}") from None
        if not math.isfinite(number):
            raise ExplainError(f"{which} importance of feature {name!r} is not finite: {value!r}")
        cleaned[str(name)] = abs(number)
    return cleaned


def ndcg(reference: Mapping[str, float], current: Mapping[str, float], k: int | None = None) -> float:
    """Normalized discounted cumulative gain of the current importance ranking against the reference's.

    The features are ordered by their current importance (highest first); each position earns the
    feature's *reference* importance as relevance, discounted by ``log2(position + 1)``. The sum is
    divided by the best achievable one (the reference's own order), so the result lies in [0, 1] and
    is 1.0 exactly when the current ranking puts features in the reference's order. This is the
    measure SageMaker Clarify uses for feature attribution drift.

    Features missing from one mapping count as importance 0 there; importances are taken in absolute
    value. ``k`` limits both sums to the top ``k`` positions. When the reference has no importance
    at all there is nothing to disagree with and the result is 1.0.
    """
    ref = _clean(reference, "reference")
    cur = _clean(current, "current")
    features = sorted(set(ref) | set(cur))
    if not features:
        return 1.0
    if k is None:
        k = len(features)
    elif isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ExplainError(f"k must be a positive integer or None, got {k!r}")
    k = min(k, len(features))

    # Ties in the current ranking are broken by name so the score is deterministic.
    order = sorted(features, key=lambda f: (-cur.get(f, 0.0), f))
    ideal = sorted((ref.get(f, 0.0) for f in features), reverse=True)
    discounts = [1.0 / math.log2(i + 2) for i in range(k)]
    idcg = sum(r * d for r, d in zip(ideal[:k], discounts, strict=True))
    if idcg == 0.0:
        return 1.0
    dcg = sum(ref.get(f, 0.0) * d for f, d in zip(order[:k], discounts, strict=True))
    return min(1.0, dcg / idcg)
