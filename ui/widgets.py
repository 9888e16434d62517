"""Widgets shared by the pages. UI selections live in st.session_state under these keys:

- ``model``: the selected model name (shared across pages; a link's ``?model=`` picks it on arrival)
- ``_model_from_link``: the model of the last link applied, so the visitor's own choice then wins
- ``_batch_from_link``: the same for a link's ``?batch=`` (the Drift page)
- ``period``: the selected (start, end) dates
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys

import streamlit as st

from monitor.errors import MonitorError, SettingsError, SpecError
from monitor.escape import csv_safe, md
from monitor.redact import mask
from monitor.spec import ModelSpec
from ui import cache
from ui.gate import require_access


@dataclasses.dataclass(frozen=True)
class Header:
    """What a page's header chose: the model (its name and onboarding spec) and the period."""

    names: list[str]
    name: str | None = None
    spec: ModelSpec | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    slots: tuple = ()
    """Extra header columns, left to right, for the page's own controls."""


def page_header(title: str, caption: str = "", *, model: bool = True, period: bool = True, slots: int = 0) -> Header:
    """The header every page shares: access check, title, freshness, broken models, unreachable backends, and the
    model and period pickers (each optional), with ``slots`` extra columns between them for the page's own controls."""
    require_access(sys._getframe(1).f_globals.get("__file__"))
    st.title(title)
    if caption:
        st.caption(caption)
    svc = _service_or_stop()
    backend_warnings()
    names = svc.spec.names
    if not (model or period or slots):
        return Header(names)
    widths = ([1] if model else []) + [1] * slots + ([2] if period else [])
    cols = st.columns(widths)
    name = spec = start = end = None
    if model:
        with cols[0]:
            name = model_picker(names)
        spec = svc.model(name)
    extra = tuple(cols[int(model):int(model) + slots])
    if period:
        with cols[-1]:
            start, end = period_picker()
    return Header(names, name, spec, start, end, extra)


def _service_or_stop():
    """The service, or a clear error box and a stop when settings or monitor.toml are broken."""
    try:
        svc = cache.service()
        freshness_banner()
        others = "The other models work." if svc.spec.models else "No other model is onboarded."
        for name, problems in svc.spec.broken.items():
            st.error(f"**Model '{md(name)}' is disabled: its table in monitor.toml is broken.** {others} "
                     "Fix it and reload:\n\n" + "\n".join(f"- {md(p)}" for p in problems))
        return svc
    except SettingsError as exc:
        st.error(f"**Settings problem.** {md(exc)}")
    except SpecError as exc:
        st.error("**monitor.toml has problems.** Fix them and reload:\n\n" + "\n".join(f"- {md(p)}" for p in exc.problems))
    except MonitorError as exc:
        st.error(f"**Backend problem.** {md(exc)}")
    st.stop()


def _ago(at: dt.datetime, now: dt.datetime) -> str:
    minutes = max(0, int((now - at).total_seconds() // 60))
    if minutes < 120:
        return f"{minutes} minute(s) ago"
    return f"{minutes // 60} hour(s) ago" if minutes < 72 * 60 else f"{minutes // 1440} day(s) ago"


def freshness_banner() -> None:
    """When the figures were computed, and a warning when the monitoring job has stopped (or never ran)."""
    try:
        status = cache.job_status()
    except MonitorError:
        return  # the store's own problem is reported by backend_warnings
    at, now = status.computed_at, status.now
    every = f"every {status.schedule_hours:g} h (MONITOR_JOB_SCHEDULE_HOURS)"
    if at is None:
        st.warning("**The monitoring job has not completed a run yet**, so these figures may be missing or old. Run "
                   "`python -m monitor run` (or the job on the Models page), and schedule it: see the README, "
                   "\"Running the job in production\".", icon="⏱️")
    elif status.stale:
        st.warning(f"**Figures may be out of date:** the monitoring job last completed at {at:%Y-%m-%d %H:%M} UTC "
                   f"({_ago(at, now)}), but it is expected {every}. Check its schedule.", icon="⏱️")
    else:
        failed = " Its latest run reported failures: see \"Monitoring job\" on Pipelines & data." if status.last_failed else ""
        st.caption(f"Figures computed at {at:%Y-%m-%d %H:%M} UTC ({_ago(at, now)}) by the monitoring job.{failed}")


def backend_warnings() -> None:
    """Say which backend is unreachable; the page goes on with what it can show (credentials masked)."""
    for name, problem in cache.backend_status().items():
        if problem:
            st.warning(f"**{md(mask(name))}** is unreachable: {md(mask(problem))}", icon="⚠️")


def model_picker(models: list[str], label: str = "Model") -> str:
    if not models:
        empty_state("No model can be monitored yet.",
                    "Add a `[[models]]` table to monitor.toml, or fix the broken ones named above, and reload.")
        st.stop()
    asked = st.query_params.get("model")  # links from alerts and Model health name the model: ?model=...
    if asked in models and st.session_state.get("_model_from_link") != asked:  # each new link once; then the visitor's choice
        st.session_state["model"], st.session_state["_model_from_link"] = asked, asked
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
    st.download_button(label, csv_safe(frame).to_csv(index=False).encode(), file_name=name, mime="text/csv", key=f"dl-{name}")
