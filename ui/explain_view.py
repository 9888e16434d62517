"""Local explanations as people read them: a classifier's log-odds turned into probabilities of a named class."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["class_name", "named_output", "on_probability_scale", "in_log_odds"]


def in_log_odds(local: dict[str, Any]) -> bool:
    return str(local.get("output", "")).startswith("log-odds")


def class_name(output: str, target: str | None) -> str:
    """``defaulted = 1`` from ``log-odds of class 1`` and the target column's name (or the output itself)."""
    label = output.rsplit("class ", 1)[-1] if "class " in output else None
    if label is None:
        return output
    return f"{target} = {label}" if target else f"class {label}"


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def on_probability_scale(local: dict[str, Any], target: str | None) -> dict[str, Any]:
    """The explanation of a log-odds output on the probability scale.

    Contributions are taken largest first, as the waterfall draws them: each feature's share is the change
    of probability when its log-odds contribution is added to those before it, so they still add up from the
    base probability to the predicted one.
    """
    base = float(local["base_value"])
    order = sorted(local["contributions"], key=lambda c: abs(local["contributions"][c]), reverse=True)
    running, before = base, _sigmoid(base)
    contributions = {}
    for c in order:
        running += float(local["contributions"][c])
        now = _sigmoid(running)
        contributions[c] = now - before
        before = now
    name = class_name(str(local.get("output", "")), target)
    out = dict(local, base_value=_sigmoid(base), output_value=_sigmoid(float(local["output_value"])),
               contributions=contributions, output=f"probability of {name}")
    out["sentence"] = _probability_sentence(out, name)
    return out


def _probability_sentence(local: dict[str, Any], name: str) -> str:
    ups = sorted((c for c, v in local["contributions"].items() if v > 0), key=lambda c: -local["contributions"][c])[:3]
    downs = sorted((c for c, v in local["contributions"].items() if v < 0), key=lambda c: local["contributions"][c])[:1]
    said = f"The model gives this row a {local['output_value']:.0%} probability of {name}, against {local['base_value']:.0%} " \
           "for a typical row."
    if ups:
        said += " Pushed up most by " + ", ".join(f"{c} ({local['values'].get(c)}, {local['contributions'][c]:+.1%})"
                                                  for c in ups) + "."
    if downs:
        c = downs[0]
        said += f" Pulled down most by {c} ({local['values'].get(c)}, {local['contributions'][c]:+.1%})."
    return said


def named_output(output: str | None, target: str | None) -> str:
    """``log-odds of defaulted = 1`` for ``log-odds of class 1``; other outputs unchanged."""
    if not output or "class " not in output:
        return output or "—"
    return output.rsplit("class ", 1)[0] + class_name(output, target)
