"""Plain-language sentences for the figures of the business page: what a number means, in words.

Each function words a figure computed elsewhere (:mod:`monitor.figures`); none computes a value of its own,
so a sentence always says what the card shows.
"""

from __future__ import annotations

import datetime as dt

from monitor.figures import PredictionShift
from monitor.spec import ModelSpec
from monitor.timeutil import parse_utc

__all__ = ["how_often", "target_words", "shift_plain", "utc_text"]


def utc_text(value: dt.datetime | str | None) -> str:
    """``2026-11-16 06:00 UTC`` (empty for None)."""
    return "" if value is None else parse_utc(value).strftime("%Y-%m-%d %H:%M UTC")


def how_often(ratio: float) -> str:
    """A ratio of two rates in words: ``nearly twice as often``, ``30% less often``, ``about as often``."""
    if ratio <= 0:
        return "never, where the training data had some"
    if abs(ratio - 1) < 0.05:
        return "about as often"
    if ratio < 1:
        if ratio >= 0.6:
            return f"{1 - ratio:.0%} less often"
        if ratio >= 0.4:
            return "about half as often"
        return f"only {ratio:.0%} as often"
    if ratio < 1.45:
        return f"{ratio - 1:.0%} more often"
    if ratio < 1.6:
        return "about one and a half times as often"
    if ratio < 1.9:
        return "well over one and a half times as often"
    if ratio < 2.0:
        return "nearly twice as often"
    if ratio < 2.15:
        return "about twice as often"
    return f"{ratio:.1f} times as often"


def target_words(spec: ModelSpec) -> str:
    """The model's target column in words (``units_sold`` -> ``units sold``)."""
    return (spec.target or "value").replace("_", " ")


def shift_plain(spec: ModelSpec, shift: PredictionShift) -> str:
    """What the prediction shift means, e.g. "The model predicted 'defaulted' for 3.3% of cases, against 1.7% in the
    training data: nearly twice as often." or "Average predicted units sold 41.2, 8% above the training data (38.1)."
    Empty when the shift is unknown."""
    if shift.level is None or shift.reference is None:
        return ""
    if shift.classifier:
        said = (f"The model predicted '{spec.target or 'positive'}' for {shift.level:.1%} of cases, against "
                f"{shift.reference:.1%} in the training data")
        if not shift.reference:
            return said + "."
        return f"{said}: {how_often(shift.level / shift.reference)}."
    said = f"Average predicted {target_words(spec)} {shift.level:,.1f}"
    if shift.relative is None or abs(shift.relative) < 0.005:
        return f"{said}, the same as in the training data ({shift.reference:,.1f})."
    side = "above" if shift.relative > 0 else "below"
    size = f"{abs(shift.relative):.1%}" if abs(shift.relative) < 0.1 else f"{abs(shift.relative):.0%}"  # as the card
    return f"{said}, {size} {side} the training data ({shift.reference:,.1f})."
