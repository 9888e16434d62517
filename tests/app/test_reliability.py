"""A backend that is down never takes a page down: the page says which backend, and shows what it can."""


import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.app.apptest import open_page
from tests.servers import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def fresh_service(monkeypatch):
    """Each test builds the service from its own settings; the shared one is restored afterwards."""
    st.cache_resource.clear()
    st.cache_data.clear()
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "3")
    yield monkeypatch
    st.cache_resource.clear()
    st.cache_data.clear()


def _run(page: str) -> AppTest:
    return open_page(page)


def test_mlflow_down_pages_still_show_stored_snapshots(demo, fresh_service):
    fresh_service.setenv("MONITOR_TRACKING_URI", f"http://127.0.0.1:{free_port()}")
    at = _run("pages/drift.py")
    assert any("MLflow" in w.value and "unreachable" in w.value for w in at.warning), [w.value for w in at.warning]
    assert {m.label for m in at.metric} >= {"Dataset drift", "Drifted features"}


def test_store_down_page_names_the_store(demo, fresh_service, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    fresh_service.setenv("MONITOR_SQLITE_PATH", str(blocker / "snapshots.db"))
    for page in ("pages/drift.py", "pages/business.py", "pages/models.py"):
        at = _run(page)
        shown = [e.value for e in at.error] + [w.value for w in at.warning]
        assert any("SQLite snapshot store" in text for text in shown), (page, shown)


def test_broken_monitor_toml_is_explained_on_every_page(demo, fresh_service, tmp_path):
    spec = tmp_path / "monitor.toml"
    spec.write_text('[[models]]\nname = "x"\ntask = "clustering"\n')
    fresh_service.setenv("MONITOR_SPEC", str(spec))
    at = _run("pages/drift.py")
    text = at.error[0].value
    assert "Model 'x' is disabled: its table in monitor.toml is broken." in text and "No other model is onboarded" in text
    assert "field 'registered_model' is required" in text
