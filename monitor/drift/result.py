"""The drift result of one column, as the engine computes it and a snapshot stores it (no numpy, no SciPy)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["ColumnDriftResult"]


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
