"""With MONITOR_COSMOS_VERIFY_TLS=false, urllib3's warning about unverified HTTPS is printed at most once per command."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from monitor.store.base import SCHEMA_VERSION
from monitor.store.sqlite import SqliteSnapshotStore
from tests.peers.cosmos_server import EMULATOR_KEY

pytestmark = [pytest.mark.azure, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def test_unverified_tls_is_warned_about_once(cosmos_server, tmp_path):
    source = SqliteSnapshotStore(tmp_path / "snapshots.db")
    for n in range(40):
        source.upsert({"id": f"snap-{n:03d}", "kind": "snapshot", "model": "loan_default",
                       "ts": f"2026-03-01T{n % 24:02d}:{n // 24:02d}:00Z", "schema_version": SCHEMA_VERSION})
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_") and k != "PYTHONWARNINGS"}
    env.update(MONITOR_SPEC=str(ROOT / "monitor.toml"), MONITOR_STORE="cosmos", MONITOR_COSMOS_ENDPOINT=cosmos_server.endpoint,
               MONITOR_COSMOS_KEY=EMULATOR_KEY, MONITOR_COSMOS_VERIFY_TLS="false",
               MONITOR_COSMOS_CONTAINER=f"tls-{uuid.uuid4().hex[:8]}")
    result = subprocess.run([sys.executable, "-m", "monitor", "migrate-store", "--source-workspace", str(tmp_path)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "documents copied: 40, unchanged: 0, failed: 0"
    assert result.stderr.count("InsecureRequestWarning") <= 1, result.stderr[:3000]
