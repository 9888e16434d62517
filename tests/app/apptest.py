"""Open a page of the app in AppTest, optionally for one model, and check it ran without an exception."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


def shown(markdown: str) -> str:
    """The text a markdown element shows: its source without the backslash escapes of literal characters."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def open_page(path: str, model: str | None = None, errors_allowed: bool = True) -> AppTest:
    """Run ``streamlit_app.py`` on the page ``path`` (e.g. ``pages/drift.py``); pick ``model`` in its selector."""
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page(path)
    at.run()
    if model is not None:
        at.selectbox(key="model").set_value(model).run()
    assert not at.exception, [e.value for e in at.exception]
    if not errors_allowed:
        assert not at.error, [e.value for e in at.error]
    return at
