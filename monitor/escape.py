"""Output encoding: values from data or configuration, made safe for the place they are written to.

- :func:`html_text` for HTML text and attribute values (the business summary export, tooltips
  drawn as HTML by the provenance graph);
- :func:`md` for Streamlit markdown (titles, captions, alerts), :func:`inline_code` for a value
  shown as code inside markdown;
- :func:`script_json` for JSON embedded in an HTML ``<script>`` element, and
  :func:`sanitise_evidently_html` for Evidently's standalone report, which embeds the data that way;
- :func:`csv_safe` for CSV downloads opened in a spreadsheet.
"""

from __future__ import annotations

import html
import re

import pandas as pd

__all__ = ["html_text", "md", "inline_code", "script_json", "sanitise_evidently_html", "csv_safe", "ReportError"]

# Characters that start markup anywhere in Streamlit markdown (CommonMark, GFM tables and
# strike-through, ``$`` maths); ``_`` only where it could open or close emphasis (not inside a word);
# ``:`` only where it could start an emoji, icon or colour (``:red[``, ``:material/``); the first
# character only when it would start a heading, a quote, a list or a rule.
_MD_ALWAYS = re.compile(r"([\\`*\[\]<>$~|&])")
_MD_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_MD_COLON = re.compile(r":(?=[A-Za-z/+]|[0-9_-]+:)")
_MD_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+(?=[.)]))")
_SCRIPT_CLOSE = re.compile(r"</script", re.IGNORECASE)


class ReportError(ValueError):
    """A generated HTML report does not have the expected shape, so it cannot be made safe."""


def html_text(value: object, quote: bool = True) -> str:
    """``value`` as HTML text, safe inside elements and (with ``quote``) inside quoted attributes."""
    return html.escape("" if value is None else str(value), quote=quote)


def md(value: object) -> str:
    """``value`` as literal text inside Streamlit markdown: no markup, links, HTML, maths or icons."""
    text = ("" if value is None else str(value)).replace("\r", " ").replace("\n", " ")
    text = _MD_ALWAYS.sub(r"\\\1", text)
    text = _MD_UNDERSCORE.sub(r"\\_", text)
    text = _MD_COLON.sub(r"\\:", text)
    return _MD_LINE_START.sub(lambda m: m[1] + ("\\" + m[2] if not m[2].isdigit() else m[2] + "\\"), text)


def inline_code(value: object) -> str:
    """``value`` as a markdown code span, whatever backticks it contains."""
    text = ("" if value is None else str(value)).replace("\r", " ").replace("\n", " ")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def script_json(text: str) -> str:
    """JSON text made safe inside ``<script>``: ``<``, ``>`` and ``&`` as ``\\u`` escapes (same value)."""
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


# Evidently's standalone page keeps the report in one <script> of the <head>:
#   <script>\n    var <id> = {json};\n    var additional_graphs_<id> = {json};\n</script>
# JSON text never holds a raw line break, so the first ";\n</script>" after its start ends it.
_DATA_START = re.compile(r"<script>\s*\n\s*var (?P<id>[A-Za-z_][A-Za-z0-9_]*) = ")
_DATA_END = ";\n</script>"


def sanitise_evidently_html(page: str) -> str:
    """Evidently's standalone HTML with its embedded data made inert.

    Values of the data (category values, column names) sit in JSON inside a ``<script>``
    element; a value such as ``</script><script>...`` would close it and run. Inside the data
    block every ``<``, ``>`` and ``&`` becomes a ``\\u`` escape, which JavaScript reads back as the
    same character. Raises :class:`ReportError` when the page does not have the expected shape.
    """
    start = _DATA_START.search(page)
    if start is None:
        raise ReportError("the Evidently report has no embedded data block where one was expected")
    end = page.find(_DATA_END, start.end())
    if end < 0:
        raise ReportError("the Evidently report's data block does not end where expected")
    body = page[start.end():end]
    if f"var additional_graphs_{start['id']} = " not in body:
        raise ReportError("the Evidently report's data block does not have the expected variables")
    safe = script_json(body)
    out = page[:start.end()] + safe + page[end:]
    if _SCRIPT_CLOSE.search(safe):  # pragma: no cover - script_json removed every '<'
        raise ReportError("the Evidently report's data still closes its script element")
    return out


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot run as spreadsheet formulas (a leading ``'`` is added)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v)
    out.columns = ["'" + c if isinstance(c, str) and c.startswith(_FORMULA_START) else c for c in out.columns]
    return out
