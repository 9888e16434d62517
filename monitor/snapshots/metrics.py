"""Performance records of a snapshot: realized metrics, the estimate made before labels arrive, the baseline."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

__all__ = ["Band", "Metrics", "Estimate", "Baseline"]


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


Band = tuple[float | None, float | None]


def _bands(doc: Mapping[str, Any] | None) -> dict[str, Band]:
    return {str(k): (_f(v[0]), _f(v[1])) for k, v in ((doc or {}).items()) if v is not None and len(v) == 2}


@dataclasses.dataclass(frozen=True)
class Metrics:
    """Realized performance of a batch on its labels, each metric with its sampling band."""

    values: Mapping[str, float]
    bands: Mapping[str, Band] = dataclasses.field(default_factory=dict)
    band_level: float | None = None
    n_labelled: int = 0
    labels_at: str | None = None

    def get(self, metric: str) -> float | None:
        return self.values.get(metric)

    def to_doc(self) -> dict[str, Any]:
        return {"metrics": dict(self.values), "bands": {k: list(v) for k, v in self.bands.items()},
                "band_level": self.band_level, "n_labelled": self.n_labelled, "labels_at": self.labels_at}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> Metrics | None:
        if not doc:
            return None
        return cls(values={str(k): float(v) for k, v in (doc.get("metrics") or {}).items() if v is not None},
                   bands=_bands(doc.get("bands")), band_level=_f(doc.get("band_level")),
                   n_labelled=int(doc.get("n_labelled") or 0), labels_at=doc.get("labels_at"))


@dataclasses.dataclass(frozen=True)
class Estimate:
    """Performance estimated before labels arrive (``values`` empty and ``note`` set when there is none)."""

    values: Mapping[str, float] = dataclasses.field(default_factory=dict)
    bands: Mapping[str, Band] = dataclasses.field(default_factory=dict)
    band_level: float | None = None
    method: str | None = None
    n: int = 0
    note: str | None = None

    def get(self, metric: str) -> float | None:
        return self.values.get(metric)

    def to_doc(self) -> dict[str, Any]:
        return {"metrics": dict(self.values), "bands": {k: list(v) for k, v in self.bands.items()},
                "band_level": self.band_level, "method": self.method, "n": self.n, "note": self.note}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> Estimate | None:
        if not doc:
            return None
        return cls(values={str(k): float(v) for k, v in (doc.get("metrics") or {}).items() if v is not None},
                   bands=_bands(doc.get("bands")), band_level=_f(doc.get("band_level")), method=doc.get("method"),
                   n=int(doc.get("n") or 0), note=doc.get("note"))


@dataclasses.dataclass(frozen=True)
class Baseline:
    """The model version's performance on data it did not train on, and where that was measured."""

    values: Mapping[str, float] = dataclasses.field(default_factory=dict)
    bands: Mapping[str, Band] = dataclasses.field(default_factory=dict)
    source: str | None = None

    def get(self, metric: str) -> float | None:
        return self.values.get(metric)

    def to_doc(self) -> dict[str, Any]:
        return {"metrics": dict(self.values), "bands": {k: list(v) for k, v in self.bands.items()}, "source": self.source}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> Baseline | None:
        if not doc:
            return None
        return cls(values={str(k): float(v) for k, v in (doc.get("metrics") or {}).items() if v is not None},
                   bands=_bands(doc.get("bands")), source=doc.get("source"))
