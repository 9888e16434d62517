"""SQLite snapshot store: the embedded default. One file, WAL mode, one row per document."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from monitor.errors import BackendError
from monitor.store.base import SnapshotStore

__all__ = ["SqliteSnapshotStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    model TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    ts TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (model, id)
);
CREATE INDEX IF NOT EXISTS documents_by_time ON documents (model, kind, ts);
"""


class SqliteSnapshotStore(SnapshotStore):
    """Documents in a SQLite file. A connection per call keeps it safe across threads and processes."""

    name = "SQLite snapshot store"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._ready = False

    @contextlib.contextmanager
    def _connect(self):
        try:
            if not self._ready:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except (sqlite3.Error, OSError) as exc:
            raise BackendError(self.name, f"{self.path}: {exc}") from exc
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            if not self._ready:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.executescript(_SCHEMA)
                self._ready = True
            yield conn
        except sqlite3.Error as exc:
            raise BackendError(self.name, f"{self.path}: {exc}") from exc
        finally:
            conn.close()

    def _get(self, model: str, doc_id: str) -> dict[str, Any] | None:
        with self._connect() as conn:
            row = conn.execute("SELECT body FROM documents WHERE model = ? AND id = ?", (model, doc_id)).fetchone()
        return json.loads(row[0]) if row else None

    def _put(self, doc: dict[str, Any]) -> None:
        body = json.dumps(doc, allow_nan=False)
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO documents (model, id, kind, ts, body) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (model, id) DO UPDATE SET kind = excluded.kind, ts = excluded.ts, body = excluded.body",
                (doc["model"], doc["id"], doc["kind"], doc["ts"], body),
            )

    def _compare_and_set(self, doc: dict[str, Any], expected_hash: str | None) -> bool:
        body = json.dumps(doc, allow_nan=False)
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")  # the write lock first: the read and the write are one step
            try:
                row = conn.execute("SELECT body FROM documents WHERE model = ? AND id = ?", (doc["model"], doc["id"])).fetchone()
                stored = json.loads(row[0]).get("content_hash") if row else None
                if (row is None) != (expected_hash is None) or stored != expected_hash:
                    conn.execute("ROLLBACK")
                    return False
                conn.execute(
                    "INSERT INTO documents (model, id, kind, ts, body) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (model, id) DO UPDATE SET kind = excluded.kind, ts = excluded.ts, body = excluded.body",
                    (doc["model"], doc["id"], doc["kind"], doc["ts"], body),
                )
                conn.execute("COMMIT")
                return True
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def kinds(self, model: str) -> list[str]:
        with self._connect() as conn:
            rows = conn.execute("SELECT DISTINCT kind FROM documents WHERE model = ? ORDER BY kind", (model,)).fetchall()
        return [r[0] for r in rows]

    def _query(self, model: str, kind: str, start: str | None, end: str | None) -> list[dict[str, Any]]:
        sql = "SELECT body FROM documents WHERE model = ? AND kind = ?"
        args: list[Any] = [model, kind]
        if start is not None:
            sql += " AND ts >= ?"
            args.append(start)
        if end is not None:
            sql += " AND ts < ?"
            args.append(end)
        with self._connect() as conn:
            rows = conn.execute(sql + " ORDER BY ts, id", args).fetchall()
        return [json.loads(r[0]) for r in rows]
