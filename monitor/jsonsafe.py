"""The one JSON-safety helper: what is stored or exported passes through :func:`clean_json`."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

from monitor.timeutil import to_iso

__all__ = ["clean_json"]


_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(value: str) -> str:
    """``value`` as valid Unicode: lone surrogates (undecodable bytes carried in a str) become U+FFFD."""
    return value if value.isascii() else _SURROGATE.sub("\ufffd", value)


def clean_json(value: Any) -> Any:
    """Make a value JSON-safe: NaN/inf become None, numpy scalars become Python numbers, text valid UTF-8.

    Bytes are decoded as UTF-8 and text that cannot be encoded as UTF-8 is repaired, each bad part
    replaced by U+FFFD, so a document is stored (and shown) instead of failing as a whole.
    """
    if isinstance(value, str):
        return _text(str(value))  # str() also turns numpy's str_ into a plain str
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, Mapping):
        return {_text(str(k)): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.datetime):
        return to_iso(value)
    return value
