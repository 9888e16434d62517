"""The container image and its start script, checked without a Docker engine.

The Dockerfile is parsed and held to the rules App Service deployment relies on; scripts/start.sh is
run with a stand-in Python that records what it would have started; .streamlit/config.toml is checked
against the options of the installed Streamlit. hadolint runs too when it is on PATH.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.servers import START_COMMAND

ROOT = Path(__file__).resolve().parents[1]
SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|CONNECTION_STRING", re.IGNORECASE)


def instructions(path: Path = ROOT / "Dockerfile") -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continued lines joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not stripped or (stripped.startswith("#") and not pending):
            continue
        if stripped.startswith("#"):  # a comment inside a continued instruction
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        text = pending + stripped
        pending = ""
        keyword, _, args = text.partition(" ")
        out.append((keyword.upper(), args.strip()))
    assert not pending, "the Dockerfile ends inside a continued line"
    return out


def _index(steps, keyword: str, contains: str = "") -> int:
    return next(i for i, (k, a) in enumerate(steps) if k == keyword and contains in a)


def _env_names(args: str) -> list[str]:
    if "=" not in args.split()[0]:  # legacy form: ENV NAME value
        return [args.split()[0]]
    return re.findall(r"(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=", args)


def _dockerignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern matching a parent folder covers its files."""
    def regex(pattern: str) -> re.Pattern:
        out = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                out += "(?:.*/)?"
                i += 3
            elif pattern.startswith("**", i):
                out += ".*"
                i += 2
            elif pattern[i] == "*":
                out += "[^/]*"
                i += 1
            elif pattern[i] == "?":
                out += "[^/]"
                i += 1
            else:
                out += re.escape(pattern[i])
                i += 1
        return re.compile(out + "$")

    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw.lstrip("!").strip("/")
        if any(regex(pattern).match(c) for c in candidates):
            ignored = not negate
    return ignored


def _dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def test_base_image_is_a_slim_python_311():
    steps = instructions()
    assert steps[0][0] == "FROM"
    froms = [a for k, a in steps if k == "FROM"]
    assert len(froms) == 1, froms
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?", froms[0]), froms[0]


def test_requirements_are_installed_in_their_own_layer_before_the_code_is_copied():
    steps = instructions()
    copy_reqs = _index(steps, "COPY", "requirements.txt")
    install = _index(steps, "RUN", "pip install")
    copy_code = _index(steps, "COPY", ". ")
    assert copy_reqs < install < copy_code
    assert steps[copy_reqs][1].split()[:-1] == ["requirements.txt", "constraints.txt"]  # nothing else: the layer stays cached
    assert "-r requirements.txt" in steps[install][1] and "-c constraints.txt" in steps[install][1]
    assert not any(k in ("COPY", "ADD") for k, _ in steps[copy_reqs + 1: install])


def test_runs_as_a_non_root_user_before_cmd():
    steps = instructions()
    users = [(i, a) for i, (k, a) in enumerate(steps) if k == "USER"]
    assert users, "no USER instruction: the container would run as root"
    cmd = _index(steps, "CMD")
    last_index, last_user = users[-1]
    assert last_index < cmd
    assert last_user.split(":")[0] not in ("root", "0")
    created = " ".join(a for k, a in steps[:last_index] if k == "RUN")
    assert re.search(rf"useradd\b.*\b{re.escape(last_user.split(':')[0])}\b", created), "the USER is never created"


def test_healthcheck_hits_the_streamlit_health_endpoint_on_the_app_service_port():
    (check,) = [a for k, a in instructions() if k == "HEALTHCHECK"]
    assert "/_stcore/health" in check
    assert "PORT" in check and "WEBSITES_PORT" in check and "8501" in check


def test_cmd_is_the_start_command_of_the_app_tests():
    (cmd,) = [a for k, a in instructions() if k == "CMD"]
    assert json.loads(cmd) == START_COMMAND  # exec form, the same command the live_app fixture runs
    assert [a for k, a in instructions() if k == "EXPOSE"] == ["8501"]


def test_no_secret_is_baked_into_the_image():
    steps = instructions()
    for keyword, args in steps:
        if keyword in ("ENV", "ARG"):
            for name in _env_names(args):
                assert not SECRET_NAME.search(name), f"{keyword} {name} would bake a secret into the image"
        if keyword in ("COPY", "ADD"):
            assert "secrets.toml" not in args and ".env" not in args.split()
    assert _index(steps, "COPY", ". ") is not None
    patterns = _dockerignore()
    assert _dockerignored(".streamlit/secrets.toml", patterns)
    assert _dockerignored("sub/.streamlit/secrets.toml", patterns)
    assert _dockerignored(".env", patterns)


@pytest.mark.parametrize("path", [".venv/bin/python", ".monitor/mlflow.db", ".monitor/mlartifacts/1/model.pkl",
                                  "some/where/snapshots.db", "mlruns/0/meta.yaml", ".git/HEAD",
                                  "test-artifacts/screenshots/drift.png", "monitor/__pycache__/x.cpython-311.pyc"])
def test_dockerignore_keeps_workspaces_environments_and_output_out(path):
    assert _dockerignored(path, _dockerignore())


@pytest.mark.parametrize("path", ["streamlit_app.py", "monitor/config.py", "pages/drift.py", "ui/cache.py",
                                  "scripts/start.sh", "monitor.toml", ".streamlit/config.toml",
                                  "requirements.txt", "constraints.txt"])
def test_dockerignore_keeps_what_the_app_needs(path):
    assert not _dockerignored(path, _dockerignore())


def _start(tmp_path: Path, args: list[str] | None = None, **env: str) -> list[list[str]]:
    """Run scripts/start.sh with a stand-in Python; return the argument lists it was called with."""
    calls = tmp_path / "calls"
    fake = tmp_path / "python"
    fake.write_text(f'#!/bin/sh\nfor a in "$@"; do printf "%s\\037" "$a"; done >> {calls}\nprintf "\\036" >> {calls}\n')
    fake.chmod(0o755)
    base = {k: v for k, v in os.environ.items() if k not in ("PORT", "WEBSITES_PORT", "MONITOR_DEMO")}
    subprocess.run([*START_COMMAND, *(args or [])], cwd=ROOT, env={**base, "PYTHON": str(fake), **env}, check=True, timeout=30)
    return [call.split("\x1f")[:-1] for call in calls.read_text().split("\x1e")[:-1]]


def _port(call: list[str]) -> str:
    return call[call.index("--server.port") + 1]


@pytest.mark.parametrize(("env", "port"), [({}, "8501"), ({"WEBSITES_PORT": "8000"}, "8000"),
                                           ({"PORT": "9000", "WEBSITES_PORT": "8000"}, "9000")])
def test_start_script_listens_on_the_port_app_service_passes(tmp_path, env, port):
    (call,) = _start(tmp_path, **env)
    assert call[call.index("run") + 1] == "streamlit_app.py"
    assert _port(call) == port
    assert call[call.index("--server.address") + 1] == "0.0.0.0"
    assert call[call.index("--server.headless") + 1] == "true"


@pytest.mark.parametrize("flag", ["1", "true", "YES", "on"])
def test_start_script_builds_the_demo_only_when_asked(tmp_path, flag):
    demo, job, app = _start(tmp_path, MONITOR_DEMO=flag)
    assert demo == ["-m", "monitor", "demo"] and job == ["-m", "monitor", "run"]
    assert "streamlit_app.py" in app


def test_start_script_does_not_build_the_demo_by_default(tmp_path):
    (app,) = _start(tmp_path, MONITOR_DEMO="0")
    assert "streamlit_app.py" in app


def test_start_script_forwards_extra_streamlit_options(tmp_path):
    (app,) = _start(tmp_path, args=["--secrets.files", "/run/secrets/monitor.toml"])
    assert app[-2:] == ["--secrets.files", "/run/secrets/monitor.toml"]


def test_streamlit_config_uses_only_known_options_with_production_values():
    from streamlit import config

    config.get_config_options()
    known = config._config_options
    data = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    unknown = [f"{section}.{key}" for section, values in data.items() for key in values if f"{section}.{key}" not in known]
    assert not unknown, f"unknown Streamlit options: {unknown}"
    assert data["server"]["enableXsrfProtection"] is True
    assert data["browser"]["gatherUsageStats"] is False
    assert 0 < data["server"]["maxUploadSize"] <= 200
    assert data["theme"]["font"] in ("sans-serif", "serif", "monospace")
    assert data["client"]["showErrorDetails"] in ("full", "stacktrace", "type", "none")
    assert data["client"]["toolbarMode"] in ("auto", "developer", "viewer", "minimal")


def test_hadolint_finds_nothing():
    beside = Path(sys.executable).parent / "hadolint"  # installed into the venv by requirements-dev.txt
    hadolint = str(beside) if beside.exists() else shutil.which("hadolint")
    if not hadolint:
        pytest.skip("hadolint is not installed (the rules above are checked by parsing the Dockerfile instead)")
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
