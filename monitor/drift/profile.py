"""Reference profiles: fitted once per model version, stored as JSON, reused for every batch."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd

from monitor.drift.summary import MAX_CATEGORIES, MAX_POINTS, CategoricalSummary, NumericSummary, Scratch

__all__ = ["ReferenceProfile", "PROFILE_SCHEMA"]

PROFILE_SCHEMA = "drift-profile/1"


@dataclasses.dataclass(frozen=True)
class ReferenceProfile:
    """Mergeable summaries of the reference data, one per column.

    ``numeric`` and ``categorical`` are the model's features; ``extra_numeric`` and
    ``extra_categorical`` (prediction, score, target) are profiled too but never count as
    features in a drift report.
    """

    n_rows: int
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    extra_numeric: tuple[str, ...]
    extra_categorical: tuple[str, ...]
    columns: Mapping[str, NumericSummary | CategoricalSummary]
    max_points: int = MAX_POINTS
    max_categories: int = MAX_CATEGORIES

    @classmethod
    def fit(cls, df: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str], extra_numeric: Sequence[str] = (),
            extra_categorical: Sequence[str] = (), max_points: int = MAX_POINTS,
            max_categories: int = MAX_CATEGORIES) -> ReferenceProfile:
        """Profile ``df``: one pass per column. Raises ``ValueError`` naming columns absent from ``df``."""
        numeric, categorical = tuple(numeric), tuple(categorical)
        extra_numeric, extra_categorical = tuple(extra_numeric), tuple(extra_categorical)
        names = numeric + categorical + extra_numeric + extra_categorical
        dupes = sorted({c for c in names if names.count(c) > 1})
        if dupes:
            raise ValueError(f"column(s) {', '.join(dupes)} listed more than once for the reference profile")
        absent = [c for c in names if c not in df.columns]
        if absent:
            raise ValueError(f"reference data lacks column(s) {', '.join(absent)}; it has {', '.join(map(str, df.columns))}")
        scratch = Scratch()
        numerics = set(numeric + extra_numeric)

        def one(c: str) -> NumericSummary | CategoricalSummary:
            if c in numerics:
                return NumericSummary.fit(df[c], c, max_points, scratch)
            return CategoricalSummary.fit(df[c], c, max_categories)

        workers = min(4, os.cpu_count() or 1)
        if workers > 1 and len(df) * len(names) > 200_000:
            with ThreadPoolExecutor(workers) as pool:  # numpy releases the GIL while sorting
                fitted = list(pool.map(one, names))
        else:
            fitted = [one(c) for c in names]
        cols = dict(zip(names, fitted, strict=True))
        return cls(len(df), numeric, categorical, extra_numeric, extra_categorical, cols, max_points, max_categories)

    @property
    def features(self) -> tuple[str, ...]:
        return self.numeric + self.categorical

    def kind_of(self, column: str) -> str:
        """"numeric" or "categorical"; ``KeyError`` naming the profiled columns otherwise."""
        if column not in self.columns:
            raise KeyError(f"column '{column}' is not in the reference profile; profiled: {', '.join(self.columns)}")
        return self.columns[column].kind

    def merge(self, other: ReferenceProfile) -> ReferenceProfile:
        """Profile of the union of both reference chunks.

        Counts, moments, min/max and category counts are exact; the numeric sketch is exact
        while a column has at most ``max_points`` distinct values, otherwise each merge moves a
        reference CDF value by at most ~1/max_points. Category counts are exact unless a chunk
        spilled categories into "other".
        """
        return ReferenceProfile.merged([self, other])

    @staticmethod
    def merged(parts: Sequence[ReferenceProfile]) -> ReferenceProfile:
        """Profile of the union of many chunks (e.g. the partitions of a Spark DataFrame), in their order.

        Each numeric sketch is compressed once over all chunks, so the result is within ~1.6/max_points
        (as a CDF value) of the chunks' own sketches however many chunks there are.
        """
        if not parts:
            raise ValueError("no profiles to merge")
        first = parts[0]
        layout = ("numeric", "categorical", "extra_numeric", "extra_categorical")
        for other in parts[1:]:
            if any(getattr(first, a) != getattr(other, a) for a in layout):
                raise ValueError("cannot merge reference profiles with different columns: "
                                 f"{first._layout()} vs {other._layout()}")
        cols: dict[str, NumericSummary | CategoricalSummary] = {}
        for c, s in first.columns.items():
            same = [p.columns[c] for p in parts]
            if s.kind == "numeric" and all(x.kind == "numeric" for x in same):
                cols[c] = NumericSummary.merged(same, first.max_points)
            elif s.kind == "categorical" and all(x.kind == "categorical" for x in same):
                cols[c] = CategoricalSummary.merged(same, first.max_categories)
            else:
                raise ValueError(f"cannot merge profiles: column '{c}' is numeric in some and categorical in others")
        return dataclasses.replace(first, n_rows=sum(p.n_rows for p in parts), columns=cols)

    def _layout(self) -> str:
        return f"numeric={list(self.numeric)}, categorical={list(self.categorical)}, extra={list(self.extra_numeric + self.extra_categorical)}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe document."""
        return {
            "schema": PROFILE_SCHEMA, "n_rows": self.n_rows, "numeric": list(self.numeric), "categorical": list(self.categorical),
            "extra_numeric": list(self.extra_numeric), "extra_categorical": list(self.extra_categorical),
            "max_points": self.max_points, "max_categories": self.max_categories,
            "columns": {c: s.to_dict() for c, s in self.columns.items()},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ReferenceProfile:
        """Inverse of :meth:`to_dict`. Raises ``ValueError`` for a document of another schema."""
        if d.get("schema") != PROFILE_SCHEMA:
            raise ValueError(f"not a drift profile document (schema {d.get('schema')!r}, expected {PROFILE_SCHEMA!r})")
        cols = {c: (NumericSummary.from_dict(s) if s["kind"] == "numeric" else CategoricalSummary.from_dict(s))
                for c, s in d["columns"].items()}
        return cls(int(d["n_rows"]), tuple(d["numeric"]), tuple(d["categorical"]), tuple(d["extra_numeric"]),
                   tuple(d["extra_categorical"]), cols, int(d["max_points"]), int(d["max_categories"]))
