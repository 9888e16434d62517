"""`python -m monitor validate` against the demo's MLflow: every problem names the model and the field."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
SPEC = (ROOT / "monitor.toml").read_text()


def _validate(demo, tmp_path, text: str):
    import os

    spec = tmp_path / "monitor.toml"
    spec.write_text(text)
    env = {**os.environ, "MONITOR_SPEC": str(spec)}
    return subprocess.run([sys.executable, "-m", "monitor", "validate"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_shipped_spec_is_valid_against_the_demo(demo, tmp_path):
    out = _validate(demo, tmp_path, SPEC)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip().splitlines()[-1] == "monitor.toml: 0 error(s), 0 warning(s)"


def test_missing_column_and_unknown_model_are_named(demo, tmp_path):
    broken = SPEC.replace('"loan_amount"]', '"loan_amount", "zip_code"]', 1)
    broken = broken.replace('registered_model = "store-demand-regressor"', 'registered_model = "no-such-model"')
    out = _validate(demo, tmp_path, broken)
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert any("model 'loan_default': field 'numeric_features': column(s) zip_code not in the latest logged batch" in line
               for line in lines), out.stdout
    assert any("model 'store_demand': field 'registered_model': no registered model 'no-such-model'" in line
               for line in lines), out.stdout
    assert any("model 'loan_default': field 'reference': reference data lacks column(s) zip_code" in line
               for line in lines), out.stdout
    assert lines[-1] == "monitor.toml: 3 error(s), 0 warning(s)"


def test_bad_task_and_threshold_are_all_reported_at_once(demo, tmp_path):
    broken = SPEC.replace('task = "regression"', 'task = "forecasting"').replace("share = 0.25", "share = 2")
    out = _validate(demo, tmp_path, broken)
    assert out.returncode == 1
    assert "model 'store_demand': field 'task' must be one of classification, regression, got 'forecasting'" in out.stdout
    assert "model 'loan_default': field 'drift.share' must be in (0, 1], got 2" in out.stdout
