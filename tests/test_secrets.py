"""Credentials in settings are never shown: not by `monitor settings`, not in CLI output, log lines, pages or exports."""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from monitor.config import Settings
from monitor.errors import BackendError, MonitorError
from monitor.redact import mask, public_url, register_secret
from tests.mlflow_state import kept_mlflow_uris
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "pw-Xq7Zr2Lm9"
TOKEN = "tok-Hv4Ns8Kd1"
COSMOS_KEY = "C2y6yDjf5-Rob0N8A7Cgv30-SECRET-KEY=="
DATABRICKS_TOKEN = "dapi-Secret-55aa77"
SECRETS = (PASSWORD, TOKEN, COSMOS_KEY, DATABRICKS_TOKEN)
ALL_PAGES = ["pages/business.py", "pages/data_engineer.py", "pages/drift.py", "pages/explain.py",
             "pages/provenance.py", "pages/models.py"]


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def _tracking_uri() -> str:
    return f"http://alice:{PASSWORD}@127.0.0.1:{free_port()}/?token={TOKEN}"


@pytest.mark.parametrize("text, expected", [
    ("http://alice:s3cr3t@host:5000/x", "http://alice:***@host:5000/x"),
    ("https://host/api?x=1&token=abc&y=2", "https://host/api?x=1&token=***&y=2"),
    ("https://acct.blob.core.windows.net/c?sv=2024&sig=AbC%2Fd", "https://acct.blob.core.windows.net/c?sv=2024&sig=***"),
    ("AccountEndpoint=https://a.documents.azure.com:443/;AccountKey=abc/def==;", "AccountEndpoint=https://a.documents.azure.com:443/;AccountKey=***;"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", "Authorization: Bearer ***"),
    ("API request to http://u:p@ss@h:1/api/2.0 failed", "API request to http://u:***@h:1/api/2.0 failed"),
    ("sqlite:////data/monitor/mlflow.db", "sqlite:////data/monitor/mlflow.db"),
    ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
])
def test_mask(text, expected):
    assert mask(text) == expected


def test_registered_values_are_masked_anywhere():
    register_secret("registered-Secret-Value-42")
    assert mask("the reply was: registered-Secret-Value-42!") == "the reply was: ***!"


def test_public_url_drops_credentials_and_query():
    assert public_url(f"http://alice:{PASSWORD}@127.0.0.1:5000/mlflow?token={TOKEN}#x") == "http://127.0.0.1:5000/mlflow"


def test_settings_describe_and_errors_mask_secrets():
    settings = Settings.load(env={"MONITOR_TRACKING_URI": _tracking_uri(), "MONITOR_STORE": "cosmos",
                                  "MONITOR_COSMOS_ENDPOINT": f"https://acct.documents.azure.com:443/?sig={TOKEN}",
                                  "MONITOR_COSMOS_KEY": COSMOS_KEY, "DATABRICKS_TOKEN": DATABRICKS_TOKEN})
    shown = "\n".join(f"{k} = {v}" for k, v in settings.describe().items())
    assert not _leaks(shown), shown
    assert "alice:***@" in shown and "cosmos_key = ***" in shown
    error = BackendError(f"MLflow ({settings.mlflow_tracking_uri})", f"request failed, key {COSMOS_KEY}, token {DATABRICKS_TOKEN}")
    assert not _leaks(str(error)) and not _leaks(error.backend) and not _leaks(error.detail)
    assert not _leaks(str(MonitorError(f"cannot reach {settings.mlflow_tracking_uri}")))


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.slow
def test_cli_output_never_shows_secrets(demo):
    base = {**os.environ, "MONITOR_TRACKING_URI": _tracking_uri(), "DATABRICKS_TOKEN": DATABRICKS_TOKEN,
            "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"}
    cosmos = {**base, "MONITOR_STORE": "cosmos", "MONITOR_COSMOS_ENDPOINT": "https://acct.documents.azure.com:443/",
              "MONITOR_COSMOS_KEY": COSMOS_KEY}
    settings = _cli("settings", env=cosmos)
    validate = _cli("validate", env=base)
    run = _cli("run", env=base)
    assert settings.returncode == 0 and "tracking_uri = http://alice:***@" in settings.stdout
    assert validate.returncode == 1 and "MLflow" in validate.stdout
    assert run.returncode != 0 and "MLflow" in run.stderr
    for result in (settings, validate, run):
        assert not _leaks(result.stdout + result.stderr), result.args


@pytest.fixture
def secret_settings(monkeypatch):
    """The app's service rebuilt with an unreachable MLflow whose URI holds a password and a token."""
    import streamlit as st

    st.cache_resource.clear()
    st.cache_data.clear()
    monkeypatch.setenv("MONITOR_TRACKING_URI", _tracking_uri())
    monkeypatch.setenv("DATABRICKS_TOKEN", DATABRICKS_TOKEN)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with kept_mlflow_uris():
        yield Settings.load()
    st.cache_resource.clear()
    st.cache_data.clear()


def _everything_shown(at) -> str:
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "code", "error", "warning", "info",
                 "success", "exception", "json", "metric", "dataframe", "table"):
        for element in at.get(kind):
            value = getattr(element, "value", "")
            parts.append(value.to_csv() if isinstance(value, pd.DataFrame) else str(value))
            parts.append(str(getattr(element, "label", "")))
            parts.append(str(getattr(element, "help", "") or ""))
    for expander in at.get("expander"):
        parts.append(str(expander.label))
    return "\n".join(parts)


@pytest.mark.slow
def test_pages_exports_and_log_lines_never_show_secrets(demo, secret_settings, caplog):
    from monitor.bootstrap import build_service
    from monitor.kpis import Period
    from monitor.lineage import build_graph
    from tests.app.apptest import open_page
    from ui.graph_layout import to_dot
    from ui.kpi_tables import business_summary_html, kpi_frame

    caplog.set_level(logging.INFO)
    warned = []
    for page in ALL_PAGES:
        at = open_page(page)
        shown = _everything_shown(at)
        assert not _leaks(shown), (page, _leaks(shown))
        warned += [w.value for w in at.warning]
    assert any("MLflow" in w and "alice:\\*\\*\\*@" in w for w in warned), warned  # the warning is there, masked

    service = build_service(secret_settings)
    today = dt.datetime.now(dt.timezone.utc).date()
    period = Period.from_dates(today - dt.timedelta(days=120), today)
    business = [service.business_kpis(m, period) for m in service.spec.names]
    engineer = [service.engineer_kpis(m, period) for m in service.spec.names]
    records = service.lineage_records(service.spec.names)
    graph = build_graph(records)
    exports = {
        "summary.html": business_summary_html(business),
        "kpis.csv": kpi_frame(business + engineer).to_csv(index=False),
        "provenance.json": graph.to_json(),
        "provenance.dot": to_dot(graph),
        "problems": "\n".join(records.problems),
    }
    for name, text in exports.items():
        assert not _leaks(text), (name, _leaks(text))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not _leaks(logged), _leaks(logged)
