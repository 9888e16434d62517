"""Widgets shared by the pages. UI selections live in st.session_state under these keys:

- ``model``: the selected model name (shared across pages)
- ``period``: the selected (start, end) dates
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from monitor.errors import MonitorError, SettingsError, SpecError
from ui import cache


def service_or_stop():
    """The service, or a clear error box and a stop when settings or monitor.toml are broken."""
    try:
        svc = cache.service()
        svc.spec  # noqa: B018
        return svc
    except SettingsError as exc:
        st.error(f"**Settings problem.** {exc}")
    except SpecError as exc:
        st.error("**monitor.toml has problems.** Fix them and reload:\n\n" + "\n".join(f"- {p}" for p in exc.problems))
    except MonitorError as exc:
        st.error(f"**Backend problem.** {exc}")
    st.stop()


def backend_warnings() -> None:
    """Say which backend is unreachable; the page goes on with what it can show."""
    for name, problem in cache.backend_status().items():
        if problem:
            st.warning(f"**{name}** is unreachable: {problem}", icon="⚠️")


def model_picker(models: list[str], label: str = "Model") -> str:
    if st.session_state.get("model") not in models:
        st.session_state["model"] = models[0]
    return st.selectbox(label, models, key="model")


def period_picker(default_days: int = 120) -> tuple[dt.date, dt.date]:
    """A date range; defaults to the last ``default_days`` days up to today."""
    today = dt.datetime.now(dt.timezone.utc).date()
    value = st.session_state.get("period") or (today - dt.timedelta(days=default_days), today)
    picked = st.date_input("Period", value=value, max_value=today + dt.timedelta(days=1), key="period_input")
    if isinstance(picked, tuple | list) and len(picked) == 2:
        st.session_state["period"] = (picked[0], picked[1])
    return st.session_state.get("period", value)


def empty_state(message: str, hint: str = "") -> None:
    st.info(message + (f"\n\n{hint}" if hint else ""), icon="ℹ️")


def download_csv(frame, name: str, label: str = "Download CSV") -> None:
    st.download_button(label, frame.to_csv(index=False).encode(), file_name=name, mime="text/csv", key=f"dl-{name}")
