"""Explanation results: frozen values with ``to_dict()`` for the snapshot and the pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from monitor.jsonsafe import clean_json


def json_safe(value: Any) -> Any:
    """One cell value as :func:`monitor.jsonsafe.clean_json` stores it; missing values (NA, NaT) become None,
    numpy date-times UTC ISO text, and any other object its text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    value = clean_json(value)
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


@dataclass(frozen=True)
class GlobalExplanation:
    """Mean absolute contribution of each original feature over a seeded sample of a batch.

    ``importance`` is ordered from most to least important. ``description`` is the explainer's
    one-sentence account of itself (which explainer, why, at what cost), shown next to the figures.
    """

    importance: dict[str, float]
    explainer: str
    output: str
    n_rows: int
    seed: int
    method: str = ""
    description: str = ""

    def to_dict(self) -> dict:
        """A JSON-safe dict for the snapshot."""
        return {
            "importance": {name: float(value) for name, value in self.importance.items()},
            "explainer": self.explainer,
            "output": self.output,
            "n_rows": int(self.n_rows),
            "seed": int(self.seed),
            "method": self.method,
            "description": self.description,
        }


@dataclass(frozen=True, eq=False)
class RowExplanations:
    """Contributions of every original feature for each explained row.

    ``base_value + values.sum(axis=1) == output_values`` for every row.
    """

    base_value: float
    values: pd.DataFrame
    data: pd.DataFrame
    output_values: pd.Series
    explainer: str
    output: str

    def to_dict(self) -> dict:
        """A JSON-safe dict: one record per row with its index, output and contributions."""
        return {
            "base_value": float(self.base_value),
            "explainer": self.explainer,
            "output": self.output,
            "rows": [
                {
                    "index": json_safe(index),
                    "output_value": float(self.output_values.loc[index]),
                    "contributions": {col: float(v) for col, v in row.items()},
                }
                for index, row in zip(self.values.index, self.values.to_dict("records"), strict=True)
            ],
        }


@dataclass(frozen=True)
class LocalExplanation:
    """Why the model gave one row its output: the baseline plus each feature's push up or down."""

    index: Any
    base_value: float
    output_value: float
    contributions: dict[str, float]
    values: dict[str, Any]
    explainer: str
    output: str
    sentence: str = field(default="")

    def to_dict(self) -> dict:
        """A JSON-safe dict for the snapshot or a page."""
        return {
            "index": json_safe(self.index),
            "base_value": float(self.base_value),
            "output_value": float(self.output_value),
            "contributions": {col: float(v) for col, v in self.contributions.items()},
            "values": {col: json_safe(v) for col, v in self.values.items()},
            "explainer": self.explainer,
            "output": self.output,
            "sentence": self.sentence,
        }


def format_value(value: Any) -> str:
    """A feature value as a business user reads it: thousands separators, few decimals."""
    value = json_safe(value)
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 1:
            return f"{value:,.2f}".rstrip("0").rstrip(".")
        return f"{value:.3g}"
    return str(value)


_COUNT_WORDS = {1: "", 2: "two ", 3: "three "}


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def explanation_sentence(
    contributions: dict[str, float], values: dict[str, Any], base_value: float, output_value: float, output: str, top: int = 3
) -> str:
    """The business-readable summary of a local explanation."""
    ups = sorted((c for c in contributions if contributions[c] > 0), key=lambda c: -contributions[c])[:top]
    downs = sorted((c for c in contributions if contributions[c] < 0), key=lambda c: contributions[c])[:1]

    def named(cols: list[str]) -> str:
        return _listing([f"{c} ({format_value(values.get(c))})" for c in cols])

    if not ups and not downs:
        first = "No factor moved this prediction away from the baseline."
    else:
        if ups:
            count = _COUNT_WORDS.get(len(ups), f"{len(ups)} ")
            noun, verb = ("factor", "was") if len(ups) == 1 else ("factors", "were")
            up_part = f"The {count}{noun} that pushed this prediction up most {verb} {named(ups)}"
        else:
            up_part = "No factor pushed this prediction up"
        down_part = f"the factor that pulled it down most was {named(downs)}" if downs else "no factor pulled it down"
        first = f"{up_part}; {down_part}."
    return f"{first} The {output} is {format_value(output_value)}, against a baseline of {format_value(base_value)}."
