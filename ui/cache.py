"""Every st.cache_* wrapper of the app, in one place: the pages' only way to the service.

Pages never call MLflow, Azure or SHAP directly: they call these functions, which call the service.
Figures computed from snapshots are kept until the monitoring job completes a run (:func:`data_version`
changes, checked every few seconds), so a returning user never waits again when nothing changed, and a
page shows what the job wrote as soon as it wrote it. What other systems change on their own (pipeline
runs from Azure Data Factory, backend health) expires after a minute.

One error policy for every wrapper: a backend failure (:class:`MonitorError`) is shown on the page,
naming the backend, and stops the page (:func:`guarded`); nothing is cached for a failed call. A
wrapper that serves several models at once (``business_kpis_all``) isolates them itself: a model
whose figures cannot be read comes back as an ``unavailable`` result saying why, and the others show.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from monitor.bootstrap import build_service
from monitor.config import Settings
from monitor.errors import MonitorError
from monitor.escape import md
from monitor.service import MonitorService
from monitor.snapshots import Snapshot

TTL = 60
VERSION_TTL = 10
KEEP = 24 * 3600


def guarded(fn: Callable) -> Callable:
    """On a backend failure, say which backend on the page and stop it, instead of a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except MonitorError as exc:
            st.error(f"**{md(exc)}**")
            st.stop()

    return wrapper


def secrets_table(name: str) -> dict[str, Any] | None:
    """A table of .streamlit/secrets.toml (``monitor``, ``auth``), or None when there is none."""
    try:
        return dict(st.secrets[name]) if name in st.secrets else None
    except Exception:  # no secrets.toml: the embedded defaults apply
        return None


@st.cache_resource(show_spinner="Connecting to the monitoring backends...")
def service() -> MonitorService:
    """The service, built once per process from env vars and `[monitor]` secrets; the models' stored contexts are
    loaded in the background, so the first explanation a visitor asks for does not wait for them."""
    svc = build_service(Settings.load(secrets=secrets_table("monitor")))
    threading.Thread(target=svc.warm, name="monitor-warm-up", daemon=True).start()
    return svc


@guarded
@st.cache_data(ttl=TTL, show_spinner=False)
def backend_status() -> dict[str, str | None]:
    return service().backend_status()


@guarded
@st.cache_data(ttl=VERSION_TTL, show_spinner=False)
def job_status():
    """When the monitoring job last computed the figures (see monitor.job_runs)."""
    return service().job_status()


def data_version() -> str:
    """Changes each time the monitoring job completes a run: the key under which figures are cached."""
    run = job_status().last_run
    return "never" if run is None else f"{run.run_id}|{run.status}|{run.run_end}"


def versioned(show_spinner: bool | str = False) -> Callable[[Callable], Callable]:
    """Cache ``fn`` until :func:`data_version` changes (then recompute on first use)."""

    def decorate(fn: Callable) -> Callable:
        def inner(version: str, *args, **kwargs):
            return fn(*args, **kwargs)

        inner.__name__ = inner.__qualname__ = f"{fn.__name__}_cached"  # one cache per wrapped function
        inner.__module__ = fn.__module__
        cached = st.cache_data(ttl=KEEP, max_entries=512, show_spinner=show_spinner)(inner)

        @functools.wraps(fn)
        def outer(*args, **kwargs):
            return cached(data_version(), *args, **kwargs)

        return guarded(outer)

    return decorate


@versioned()
def job_runs(start: dt.date | None = None, end: dt.date | None = None):
    return service().job_runs(_day(start), _day(end, 1))


@versioned("Loading snapshots...")
def snapshots(model: str, start: dt.date | None = None, end: dt.date | None = None) -> list[Snapshot]:
    return service().snapshots(model, _day(start), _day(end, 1))


@guarded
@st.cache_data(ttl=TTL, show_spinner="Loading pipeline runs...")
def pipeline_runs(start: dt.date | None = None, end: dt.date | None = None, pipelines: tuple[str, ...] | None = None):
    return service().pipeline_runs(_day(start), _day(end, 1), list(pipelines) if pipelines is not None else None)


@guarded
@st.cache_data(ttl=600, show_spinner="Loading the batch from MLflow...")
def batch_frame(model: str, batch_id: str) -> pd.DataFrame:
    return service().batch_frame(model, batch_id)


@guarded
@st.cache_data(ttl=600, show_spinner="Explaining the prediction...")
def explain_row(model: str, batch_id: str, row: int) -> dict:
    return service().explain_row(model, batch_id, row)


@guarded
@st.cache_data(ttl=600, show_spinner="Explaining a sample of the batch...")
def explain_sample(model: str, batch_id: str, n: int = 200) -> pd.DataFrame:
    return service().explain_sample(model, batch_id, n)


def _day(value: dt.date | None, plus: int = 0) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime.combine(value, dt.time(), tzinfo=dt.timezone.utc) + dt.timedelta(days=plus)


def clear() -> None:
    """Forget cached data (after the job wrote new snapshots)."""
    st.cache_data.clear()


# --- lineage (provenance page) ---


@versioned("Collecting provenance records...")
def lineage_records(models: tuple[str, ...]):
    """Plain records (batches, versions, runs, pipeline runs, snapshots) of the provenance graph."""
    return service().lineage_records(list(models))


@versioned()
def lineage_graph(models: tuple[str, ...], start: dt.date | None = None, end: dt.date | None = None):
    """The provenance graph of ``models``, batches before ``start`` collapsed, after ``end`` left out."""
    from monitor.lineage import build_graph

    return build_graph(lineage_records(models), start=_day(start), end=_day(end, 1))


# --- persona KPIs ---


def _period(start: dt.date, end: dt.date):
    from monitor.kpis import Period

    return Period.from_dates(start, end)


@versioned("Computing the business KPIs...")
def business_kpis_all(models: tuple[str, ...], start: dt.date, end: dt.date):
    """Business KPIs of each model over the days ``start``..``end``; a model that fails is ``unavailable``, with why."""
    from monitor.kpis import unavailable

    out = []
    for model in models:
        try:
            out.append(service().business_kpis(model, _period(start, end)))
        except Exception as exc:  # one model's problem never takes the page down
            out.append(unavailable(model, "business", _period(start, end), f"Figures unavailable: {exc}"))
    return out


@versioned("Computing the data-engineering KPIs...")
def engineer_kpis(model: str, start: dt.date, end: dt.date):
    """Data-engineer KPIs of one model over the days ``start``..``end`` (see monitor.kpis)."""
    return service().engineer_kpis(model, _period(start, end))


# --- on-demand reports ---


@guarded
@st.cache_data(ttl=600, show_spinner="Building the Evidently report (this reads the batch and reference from MLflow)...")
def evidently_report(model: str, batch_id: str) -> str:
    """Evidently's drift report of one batch, built with the model's own drift methods and thresholds."""
    return service().evidently_report_html(model, batch_id)


# --- actions and settings (not cached: each call does the work) ---


def onboarded_models():
    """The onboarding specs of every model that can be monitored (broken tables are reported by the page header)."""
    return service().models()


def validate():
    """Every problem of monitor.toml, checked against MLflow (see monitor.validate)."""
    from monitor.validate import validate as check

    return check(service())


def run_job(progress=None):
    """Run the monitoring job now (under the job lease), then forget cached data so pages show what it wrote."""
    result = service().run_job(progress=progress)
    clear()
    return result


def settings_in_force() -> dict[str, Any]:
    """The settings the app runs with, secrets masked."""
    return service().settings.describe()
