"""Drift results as the engine computes them and a snapshot stores them: one column's, and the batch's with its
findings (plain records: no numpy, no SciPy)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["ColumnDriftResult", "DriftSummary", "Finding"]


def _f(value: Any) -> float | None:
    """A finite float, or None (NaN and infinities are not stored)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclasses.dataclass(frozen=True)
class ColumnDriftResult:
    """Drift of one column (a feature, the prediction, the score or the target) in one batch."""

    column: str
    kind: str
    method: str
    statistic: float | None
    threshold: float | None
    drifted: bool
    rule: str = ""
    p_value: float | None = None
    missing_ref: float | None = None
    missing_cur: float | None = None
    n_cur: int = 0
    unseen_share: float | None = None
    error: str | None = None
    dist: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def computed(self) -> bool:
        return self.error is None and self.statistic is not None

    def to_doc(self) -> dict[str, Any]:
        return {"column": self.column, "kind": self.kind, "method": self.method, "statistic": _f(self.statistic),
                "threshold": _f(self.threshold), "drifted": bool(self.drifted), "rule": self.rule,
                "p_value": _f(self.p_value), "missing_ref": _f(self.missing_ref), "missing_cur": _f(self.missing_cur),
                "n_cur": int(self.n_cur), "unseen_share": _f(self.unseen_share), "error": self.error,
                "dist": dict(self.dist)}

    @classmethod
    def from_doc(cls, column: str, doc: Mapping[str, Any]) -> ColumnDriftResult:
        """``column`` names the result when the document does not (documents before schema 2)."""
        return cls(column=str(doc.get("column") or column), kind=str(doc.get("kind") or ""), method=str(doc.get("method") or ""),
                   statistic=_f(doc.get("statistic")), threshold=_f(doc.get("threshold")), drifted=bool(doc.get("drifted")),
                   rule=str(doc.get("rule") or ""), p_value=_f(doc.get("p_value")), missing_ref=_f(doc.get("missing_ref")),
                   missing_cur=_f(doc.get("missing_cur")), n_cur=int(doc.get("n_cur") or 0),
                   unseen_share=_f(doc.get("unseen_share")), error=doc.get("error"), dist=dict(doc.get("dist") or {}))


@dataclasses.dataclass(frozen=True)
class Finding:
    """One data-quality (or computation) finding of a batch."""

    check: str
    column: str | None
    severity: str
    detail: str
    value: Any = None

    def to_doc(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Finding:
        return cls(check=str(doc.get("check") or ""), column=doc.get("column"), severity=str(doc.get("severity") or "info"),
                   detail=str(doc.get("detail") or ""), value=doc.get("value"))


@dataclasses.dataclass(frozen=True)
class DriftSummary:
    """Dataset-level drift of a batch and the per-feature results it was judged from."""

    features: Mapping[str, ColumnDriftResult]
    n_features: int
    n_drifted: int
    share_drifted: float | None
    weighted_score: float | None
    drifted: bool
    share_threshold: float
    rule: str
    findings: tuple[Finding, ...] = ()

    @property
    def drifted_features(self) -> tuple[str, ...]:
        """Names of the features whose drift test failed, in the report's order."""
        return tuple(c for c, r in self.features.items() if r.drifted)

    def to_doc(self) -> dict[str, Any]:
        return {"overall": {"n_features": int(self.n_features), "n_drifted": int(self.n_drifted),
                            "share_drifted": _f(self.share_drifted), "weighted_score": _f(self.weighted_score),
                            "drifted": bool(self.drifted), "share_threshold": float(self.share_threshold), "rule": self.rule},
                "features": {c: r.to_doc() for c, r in self.features.items()},
                "findings": [f.to_doc() for f in self.findings]}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> DriftSummary:
        overall = doc.get("overall") or {}
        features = {str(c): ColumnDriftResult.from_doc(str(c), r) for c, r in (doc.get("features") or {}).items()}
        n_drifted = sum(r.drifted for r in features.values())
        return cls(features=features, n_features=int(overall.get("n_features", len(features))),
                   n_drifted=int(overall.get("n_drifted", n_drifted)), share_drifted=_f(overall.get("share_drifted")),
                   weighted_score=_f(overall.get("weighted_score")), drifted=bool(overall.get("drifted")),
                   share_threshold=float(overall.get("share_threshold") or 0.0), rule=str(overall.get("rule") or ""),
                   findings=tuple(Finding.from_doc(f) for f in doc.get("findings") or ()))
