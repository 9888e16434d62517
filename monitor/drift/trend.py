"""Drift over time: a tidy table from a sequence of drift reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["trend_frame", "OVERALL"]

OVERALL = "__overall__"
_COLUMNS = ["batch_id", "batch_index", "feature", "kind", "method", "statistic", "threshold", "drifted", "flipped",
            "weighted_score", "error"]


def trend_frame(reports: Sequence[Mapping[str, Any]], batch_ids: Sequence[str]) -> pd.DataFrame:
    """One row per (batch, feature) plus one ``__overall__`` row per batch, in batch order.

    ``reports`` are ``DriftReport.to_dict()`` documents ordered by batch time. Overall rows carry
    the share of drifted features as ``statistic``, the share threshold and the weighted score.
    ``flipped`` is True where a verdict differs from the same feature's previous verdict.
    """
    if len(reports) != len(batch_ids):
        raise ValueError(f"got {len(reports)} reports but {len(batch_ids)} batch ids")
    rows: list[dict[str, Any]] = []
    for i, (rep, bid) in enumerate(zip(reports, batch_ids, strict=True)):
        rep = rep.to_dict() if hasattr(rep, "to_dict") else rep
        overall = rep.get("overall") or {}
        rows.append({"batch_id": bid, "batch_index": i, "feature": OVERALL, "kind": None, "method": "share_drifted",
                     "statistic": overall.get("share_drifted"), "threshold": overall.get("share_threshold"),
                     "drifted": overall.get("drifted"), "weighted_score": overall.get("weighted_score"), "error": None})
        for name, f in (rep.get("features") or {}).items():
            rows.append({"batch_id": bid, "batch_index": i, "feature": name, "kind": f.get("kind"), "method": f.get("method"),
                         "statistic": f.get("statistic"), "threshold": f.get("threshold"),
                         "drifted": None if f.get("error") else f.get("drifted"), "weighted_score": None,
                         "error": f.get("error")})
    df = pd.DataFrame(rows, columns=[c for c in _COLUMNS if c != "flipped"])
    for col in ("statistic", "threshold", "weighted_score"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    df["flipped"] = False
    if len(df):
        df = df.sort_values(["feature", "batch_index"], kind="stable")
        prev = df.groupby("feature", sort=False)["drifted"].shift(1)
        flips = [bool(p is not None and c is not None and not _isna(p) and not _isna(c) and bool(p) != bool(c))
                 for p, c in zip(prev, df["drifted"], strict=True)]
        df["flipped"] = flips
        df = df.sort_values(["batch_index", "feature"], key=lambda s: s.map(lambda v: "" if v == OVERALL else v)
                            if s.name == "feature" else s, kind="stable")
    return df[_COLUMNS].reset_index(drop=True)


def _isna(v: Any) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v))
