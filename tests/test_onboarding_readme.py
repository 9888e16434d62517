"""Onboarding a third model by running the README's walk-through exactly as written.

The code blocks marked ``<!-- onboarding: ... -->`` in README.md are extracted and run in order in
a fresh workspace: Python blocks in one namespace (as a notebook would), shell lines as the user
would type them. The model must then show on every page with no exception, error or warning, and
its batches, drawn like its training data, must be green for accuracy.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from tests.app.apptest import open_page

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"<!-- onboarding: (\w+) -->\s*```(\w+)\n(.*?)```", re.S)
PAGES = ["pages/business.py", "pages/data_engineer.py", "pages/drift.py", "pages/explain.py", "pages/provenance.py",
         "pages/models.py"]


def readme_blocks() -> list[tuple[str, str]]:
    """(kind, code) of every onboarding block of the README, in order."""
    blocks = [(kind, code) for kind, _lang, code in MARKER.findall((ROOT / "README.md").read_text())]
    assert [k for k, _ in blocks] == ["train", "shell", "score", "shell"], blocks
    return blocks


def user_code_lines() -> int:
    """Lines of Python a user writes for the monitor: those marked ``# monitor``."""
    return sum(line.count("# monitor") > 0 for kind, code in readme_blocks() if kind != "shell" for line in code.splitlines())


@pytest.fixture(scope="module")
def onboarded(tmp_path_factory):
    """A fresh workspace with the third model onboarded by the README's steps; yields (workspace, outputs)."""
    import streamlit as st
    from mlflow.tracking._model_registry import utils as registry
    from mlflow.tracking._tracking_service import utils as tracking  # the raw value: None when never set

    workspace = tmp_path_factory.mktemp("third-model")
    saved_env = {k: os.environ.get(k) for k in ("MONITOR_WORKSPACE", "MONITOR_SPEC", "MLFLOW_TRACKING_URI",
                                                 "MLFLOW_REGISTRY_URI")}
    saved_uri, saved_registry, saved_cwd = tracking._tracking_uri, registry._registry_uri, os.getcwd()
    # A new user's job: MLflow has not been pointed anywhere (earlier tests in this process may have).
    tracking._tracking_uri, registry._registry_uri = None, None
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    os.environ.pop("MLFLOW_REGISTRY_URI", None)
    os.environ["MONITOR_WORKSPACE"] = str(workspace / ".monitor")
    os.environ["MONITOR_SPEC"] = str(workspace / "monitor.toml")
    os.chdir(workspace)
    st.cache_resource.clear()
    st.cache_data.clear()
    outputs: dict[str, subprocess.CompletedProcess] = {}
    namespace: dict = {}
    timings: dict[str, float] = {}
    try:
        for kind, code in readme_blocks():
            if kind == "shell":
                for line in code.strip().splitlines():
                    argv = shlex.split(line)
                    assert argv[:3] == ["python", "-m", "monitor"], line
                    began = time.perf_counter()
                    outputs[argv[3]] = subprocess.run([sys.executable, *argv[1:]], capture_output=True, text=True,
                                                      timeout=900, env={**os.environ, "PYTHONPATH": str(ROOT)})
                    timings[argv[3]] = time.perf_counter() - began
                    assert outputs[argv[3]].returncode == 0, (line, outputs[argv[3]].stdout, outputs[argv[3]].stderr)
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", category=Warning)
                    warnings.filterwarnings("ignore", category=DeprecationWarning)
                    warnings.filterwarnings("ignore", category=FutureWarning)
                    exec(compile(code, f"README.md:{kind}", "exec"), namespace)  # noqa: S102 - the README's own code
        print(f"\nREADME walk-through: {user_code_lines()} lines of monitor code; "
              + ", ".join(f"`monitor {k}` {v:.1f} s" for k, v in timings.items()))
        yield workspace, outputs, namespace
    finally:
        os.chdir(saved_cwd)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        tracking._tracking_uri, registry._registry_uri = saved_uri, saved_registry
        st.cache_resource.clear()
        st.cache_data.clear()


def test_the_walk_through_needs_few_lines_of_monitor_code():
    assert 0 < user_code_lines() <= 15


def test_onboard_wrote_a_valid_table_with_the_model_columns(onboarded):
    workspace, outputs, namespace = onboarded
    from monitor.spec import load_spec

    spec = load_spec(workspace / "monitor.toml")
    assert not spec.broken and spec.names == ["affairs"]
    model = spec.model("affairs")
    assert set(model.categorical_features) == set(namespace["categorical"])
    assert set(model.numeric_features) == set(namespace["numeric"])
    assert (model.task, model.target, model.score) == ("classification", "affair", "score")


def test_validate_is_clean_and_names_the_exact_explainer_and_honest_baseline(onboarded):
    _, outputs, _ = onboarded
    out = outputs["validate"].stdout
    assert "0 error(s), 0 warning(s)" in out, out
    assert "model 'affairs': explanations:" in out and "exact" in out.lower(), out
    assert "performance baseline: measured on the logged validation data (1500 rows" in out, out


def test_run_wrote_one_snapshot_per_batch(onboarded):
    _, outputs, _ = onboarded
    assert "snapshots written: 3, skipped: 0, failed: 0" in outputs["run"].stdout, outputs["run"].stdout
    assert "slower path" not in outputs["run"].stdout


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_the_model_without_warning(onboarded, page):
    at = open_page(page, None if page in ("pages/models.py", "pages/provenance.py") else "affairs", errors_allowed=False)
    assert not at.warning, [w.value for w in at.warning]
    text = "\n".join(e.value for e in [*at.markdown, *at.caption, *at.title, *at.header, *at.subheader] if e.value)
    text += "\n".join(df.value.to_string() for df in at.dataframe)
    text += "\n".join(str(option) for box in at.selectbox for option in box.options)
    _, _, namespace = onboarded
    shown = {"affairs", *namespace["numeric"], *namespace["categorical"]} & set(re.findall(r"\w+", text))
    assert shown, text[:2000]


def test_unshifted_batches_are_green_for_accuracy(onboarded):
    from monitor.bootstrap import build_service
    from monitor.kpis import Period

    service = build_service()
    today = dt.datetime.now(dt.timezone.utc).date()
    report = service.business_kpis("affairs", Period.from_dates(today - dt.timedelta(days=30), today))
    kpis = {k.key: k for k in report.kpis}
    performance = kpis["performance"]
    assert performance.value is not None and performance.status == "ok", (performance.display, performance.note)
    assert kpis["health"].status == "ok", kpis["health"].note
    snaps = service.snapshots("affairs")
    assert len(snaps) == 3 and not any(s.drift.drifted for s in snaps)
