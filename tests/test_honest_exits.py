"""A wrong workspace is not taken for an empty one: `run` and `migrate-store` say what is wrong and exit non-zero."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _cli(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    base.update(MONITOR_SPEC=str(ROOT / "monitor.toml"), PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, "-m", "monitor", *args], cwd=cwd, env=base, capture_output=True, text=True,
                          timeout=300)


def test_run_refuses_a_workspace_without_an_mlflow_database(tmp_path):
    workspace = tmp_path / "typo-workspace"
    workspace.mkdir()
    result = _cli(tmp_path, "run", MONITOR_WORKSPACE=str(workspace))
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"no MLflow database at {workspace / 'mlflow.db'}" in result.stderr
    assert "MONITOR_WORKSPACE" in result.stderr
    assert not (workspace / "mlflow.db").exists()  # nothing was created
    assert not (workspace / "snapshots.db").exists()


def test_the_monitor_never_creates_the_mlflow_database(tmp_path):
    from monitor.bootstrap import build_mlflow
    from monitor.config import Settings
    from monitor.errors import BackendError

    source = build_mlflow(Settings(workspace=tmp_path))
    with pytest.raises(BackendError, match="no MLflow database at"):
        source.list_batches("loan_default")
    assert not (tmp_path / "mlflow.db").exists()


@pytest.mark.slow
def test_migrate_store_reads_the_workspace_of_monitor_workspace(demo, tmp_path):
    target = tmp_path / "target" / "snapshots.db"
    result = _cli(tmp_path, "migrate-store", MONITOR_WORKSPACE=str(demo.settings.workspace), MONITOR_SQLITE_PATH=str(target))
    assert result.returncode == 0, result.stderr
    copied = int(result.stdout.strip().splitlines()[-1].split("documents copied: ")[1].split(",")[0])
    assert copied > 0
    assert not (tmp_path / ".monitor").exists()  # the default folder was not read (nor created)


def test_migrate_store_refuses_a_missing_source(tmp_path):
    result = _cli(tmp_path, "migrate-store", MONITOR_WORKSPACE=str(tmp_path / "nowhere"),
                  MONITOR_SQLITE_PATH=str(tmp_path / "target.db"))
    assert result.returncode == 2
    assert f"no snapshot store at {tmp_path / 'nowhere' / 'snapshots.db'}" in result.stderr
    assert not (tmp_path / "nowhere").exists() and not (tmp_path / "target.db").exists()


def test_migrate_store_refuses_an_empty_source(tmp_path):
    from monitor.store.sqlite import SqliteSnapshotStore

    source = tmp_path / "empty-ws"
    SqliteSnapshotStore(source / "snapshots.db").kinds("anything")  # an existing store with no documents
    result = _cli(tmp_path, "migrate-store", "--source-workspace", str(source), MONITOR_SQLITE_PATH=str(tmp_path / "t.db"))
    assert result.returncode == 1
    assert "holds no documents of the models in monitor.toml" in result.stderr
    assert "documents copied" not in result.stdout


def test_a_reference_file_that_is_not_utf8_is_named(tmp_path):
    from monitor.errors import BatchError
    from monitor.sources.mlflow import MlflowSource, ModelVersionInfo

    path = tmp_path / "reference.csv"
    path.write_bytes("region,income\nZürich,5\n".encode("latin-1"))
    version = ModelVersionInfo(name="m", version="1", run_id=None, source="", created="")
    with pytest.raises(BatchError, match=r"model 'churn': field 'reference': .*reference\.csv is not UTF-8 text .*b'\\xfc'"):
        MlflowSource("sqlite:///unused.db").reference_frame("churn", str(path), version)
