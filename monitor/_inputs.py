"""Checks at the door of the logging API: identifiers, times, frames and labels.

Everything a scoring or training job sends is checked here before anything is written, so a
refused call leaves nothing behind and the error names the model, the column and the value.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from monitor.errors import BatchError

__all__ = ["IDENTIFIER_RULE", "MAX_TEXT_CHARS", "check_identifier", "check_time", "check_frame", "value_kind",
           "check_labels", "check_against_spec"]

IDENTIFIER_RULE = "letters, digits, '_', '-' and '.', starting with a letter or digit, at most 128 characters"
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}")
MAX_TEXT_CHARS = 1000


def _show(value) -> str:
    """A value for a message: numpy scalars shown as plain Python values."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def check_identifier(value, what: str, model: str | None = None) -> str:
    """``value`` as a string if it follows the identifier rule, else a :class:`BatchError` naming it."""
    where = f"model '{model}': " if model and what != "model name" else ""
    if isinstance(value, bool) or not isinstance(value, str | int | np.integer):
        raise BatchError(f"{where}{what} must be a string, got {type(value).__name__}")
    text = str(value)
    if not _IDENTIFIER.fullmatch(text):
        raise BatchError(f"{where}{what} {text!r} is not a valid identifier: use {IDENTIFIER_RULE}")
    return text


def check_time(value, model: str) -> dt.datetime:
    """A timezone-aware UTC datetime from a datetime, date, pandas Timestamp or ISO-8601 string."""
    if value is None:
        return dt.datetime.now(dt.timezone.utc)
    try:
        if isinstance(value, bool) or not isinstance(value, dt.datetime | dt.date | str | pd.Timestamp | np.datetime64):
            raise TypeError(type(value).__name__)
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise BatchError(f"model '{model}': batch_time {value!r} is not a date-time (give a datetime or an "
                         f"ISO-8601 string such as '2026-01-31T06:00:00Z'): {exc}") from None
    if stamp is pd.NaT or pd.isna(stamp):
        raise BatchError(f"model '{model}': batch_time is missing (NaT)")
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.to_pydatetime()


def value_kind(values: pd.Series) -> str:
    """'numeric', 'bool', 'text', 'bytes', 'datetime', 'empty' or 'mixed (<types>)' for the non-missing values."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(values.dtype):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return "datetime"
    if isinstance(values.dtype, pd.CategoricalDtype):
        return value_kind(pd.Series(values.cat.categories))
    present = values.dropna()
    if present.empty:
        return "empty"
    types = {type(v) for v in present}
    if all(issubclass(t, str) for t in types):
        return "text"
    if all(issubclass(t, bytes) for t in types):
        return "bytes"
    if all(issubclass(t, bool | np.bool_) for t in types):
        return "bool"
    if all(issubclass(t, int | float | np.integer | np.floating) and not issubclass(t, bool | np.bool_) for t in types):
        return "numeric"
    return "mixed (" + ", ".join(sorted(t.__name__ for t in types)) + ")"


def check_frame(frame: pd.DataFrame, model: str, what: str) -> pd.DataFrame:
    """Refuse what cannot be stored and read back exactly: mixed-type, non-UTF-8 or oversized text columns."""
    for column in frame.columns:
        values = frame[column]
        kind = value_kind(values)
        if kind.startswith("mixed"):
            raise BatchError(f"model '{model}': {what} column '{column}' mixes value types {kind[6:]}; "
                             "send one type per column (e.g. cast it with .astype(str) or pd.to_numeric)")
        if kind == "text":
            text = values.dropna().astype(str)
            too_long = text[text.str.len() > MAX_TEXT_CHARS]
            if not too_long.empty:
                raise BatchError(f"model '{model}': {what} column '{column}' has a value of {len(too_long.iloc[0])} "
                                 f"characters; text values are limited to {MAX_TEXT_CHARS}")
            try:
                text.str.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise BatchError(f"model '{model}': {what} column '{column}' has text that is not valid UTF-8 "
                                 f"({exc.reason})") from None
        elif kind == "bytes":
            raise BatchError(f"model '{model}': {what} column '{column}' holds bytes; decode them to text first")
    return frame


def check_labels(model: str, labels: pd.Series, prediction_kind: str | None, task: str | None) -> None:
    """Labels must be of the predictions' kind (numbers for numbers, classes for classes)."""
    kind = value_kind(labels)
    if kind.startswith("mixed") or kind == "datetime":
        raise BatchError(f"model '{model}': labels are {kind}; send the true values in the predictions' type")
    if kind == "empty":
        return
    if task == "regression" and kind not in ("numeric", "bool"):
        raise BatchError(f"model '{model}': labels of a regression model must be numbers, got {kind} "
                         f"(e.g. {_show(labels.dropna().iloc[0])})")
    numeric = {"numeric", "bool"}
    if prediction_kind and prediction_kind != "empty" and ((kind in numeric) != (prediction_kind in numeric)):
        example = labels.dropna().iloc[0]
        raise BatchError(f"model '{model}': labels are {kind} (e.g. {_show(example)}) but the predictions are "
                         f"{prediction_kind}; send labels as the model's own classes or values")


def check_against_spec(model: str, frame: pd.DataFrame, spec) -> None:
    """Refuse a batch that lacks a column the model's ``[[models]]`` table names, or has the wrong kind in it."""
    expected = list(spec.features) + [spec.prediction] + ([spec.score] if spec.score else [])
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise BatchError(f"model '{model}': the batch lacks column(s) {', '.join(missing)} named in monitor.toml "
                         f"(it has: {', '.join(map(str, frame.columns))}); nothing was logged")
    for column in spec.numeric_features:
        kind = value_kind(frame[column])
        if kind not in ("numeric", "bool", "empty"):
            bad = pd.to_numeric(frame[column], errors="coerce").isna() & frame[column].notna()
            if bad.any():
                raise BatchError(f"model '{model}': numeric feature '{column}' holds {kind} values such as "
                                 f"{_show(frame[column][bad].iloc[0])}; nothing was logged")
    if spec.task == "regression":
        kind = value_kind(frame[spec.prediction])
        if kind not in ("numeric", "bool"):
            raise BatchError(f"model '{model}': prediction column '{spec.prediction}' of a regression model must be "
                             f"numbers, got {kind}")
    if spec.score:
        score = pd.to_numeric(frame[spec.score], errors="coerce")
        outside = score[(score < 0) | (score > 1) | (score.isna() & frame[spec.score].notna())]
        if not outside.empty:
            raise BatchError(f"model '{model}': score column '{spec.score}' must hold probabilities in [0, 1], "
                             f"got {_show(frame[spec.score][outside.index[0]])}")
