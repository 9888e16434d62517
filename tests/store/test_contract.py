"""One contract for every SnapshotStore adapter: SQLite (embedded) and Cosmos DB (cosmosdb-server)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from monitor.store.base import SCHEMA_VERSION, SnapshotStore, StoreError
from monitor.store.sqlite import SqliteSnapshotStore

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


@pytest.fixture(params=["sqlite", pytest.param("cosmos", marks=pytest.mark.azure)])
def store(request, tmp_path) -> SnapshotStore:
    if request.param == "sqlite":
        return SqliteSnapshotStore(tmp_path / "snapshots.db")
    return request.getfixturevalue("cosmos_store_factory")(page_size=40)


def doc(model: str = "churn", n: int = 0, kind: str = "snapshot", **extra) -> dict:
    return {
        "id": f"{kind}:{n:04d}", "kind": kind, "model": model, "ts": f"2026-01-{1 + n // 24:02d}T{n % 24:02d}:00:00Z",
        "schema_version": SCHEMA_VERSION, "drift": {"share": 0.25, "features": ["age", "income"]}, **extra,
    }


def test_upsert_is_idempotent(store):
    assert store.upsert(doc()) is True
    first = store.get("churn", "snapshot:0000")
    assert store.upsert(doc()) is False
    assert store.get("churn", "snapshot:0000") == first  # nothing written: stored_at unchanged


def test_update_replaces_the_whole_document(store):
    store.upsert(doc(extra_field="old", drift={"share": 0.1}))
    assert store.upsert(doc(drift={"share": 0.9})) is True
    stored = store.get("churn", "snapshot:0000")
    assert stored["drift"] == {"share": 0.9}
    assert "extra_field" not in stored
    assert not any(k.startswith("_") for k in stored)


def test_get_missing_is_none(store):
    assert store.get("churn", "nope") is None
    store.upsert(doc())
    assert store.get("other-model", "snapshot:0000") is None


def test_range_query_is_half_open_and_oldest_first(store):
    for n in (5, 1, 3, 2, 4, 0):
        store.upsert(doc(n=n))
    got = store.query("churn", start="2026-01-01T01:00:00Z", end="2026-01-01T04:00:00+00:00")
    assert [d["id"] for d in got] == ["snapshot:0001", "snapshot:0002", "snapshot:0003"]
    assert [d["ts"] for d in store.query("churn")] == sorted(d["ts"] for d in store.query("churn"))
    assert len(store.query("churn", start="2026-01-01T05:00:00Z")) == 1
    assert len(store.query("churn", end="2026-01-01T00:00:00Z")) == 0


def test_partitions_and_kinds_are_isolated(store):
    store.upsert(doc("churn", 0))
    store.upsert(doc("fraud", 0))
    store.upsert(doc("churn", 1, kind="profile"))
    assert [d["model"] for d in store.query("churn")] == ["churn"]
    assert [d["id"] for d in store.query("churn", kind="profile")] == ["profile:0001"]
    assert store.query("fraud", kind="profile") == []
    assert set(store.ids("churn")) == {"snapshot:0000"}
    assert all(len(h) == 64 for h in store.ids("churn").values())


def test_nan_is_stored_as_null(store):
    store.upsert(doc(score=float("nan"), values=[1.0, float("inf")]))
    stored = store.get("churn", "snapshot:0000")
    assert stored["score"] is None and stored["values"] == [1.0, None]


@pytest.mark.parametrize("bad", [{"id": ""}, {"model": None}, {"id": "a/b"}, {"ts": None}])
def test_malformed_document_is_refused_and_nothing_is_lost(store, bad):
    store.upsert(doc())
    before = store.get("churn", "snapshot:0000")
    with pytest.raises(StoreError):
        store.upsert({**doc(), **bad})
    assert store.get("churn", "snapshot:0000") == before


def test_many_documents_page_through(store):
    docs = [doc(n=n) for n in range(250)]
    assert sum(store.upsert(d) for d in docs) == 250
    got = store.query("churn")
    assert len(got) == 250 and [d["id"] for d in got] == [d["id"] for d in docs]
    assert len(store.ids("churn")) == 250
    assert len(store.query("churn", start=docs[100]["ts"], end=docs[200]["ts"])) == 100


def test_ping(store):
    store.ping()


_WRITER = """
import sys
from monitor.store.sqlite import SqliteSnapshotStore
path, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
store = SqliteSnapshotStore(path)
written = 0
for n in range(count):
    doc = {"id": f"doc-{n:04d}", "kind": "snapshot", "model": f"m{worker}", "ts": f"2026-01-01T00:{n // 60:02d}:{n % 60:02d}+00:00",
           "schema_version": 1, "value": n}
    written += store.upsert(doc)
    store.query(f"m{1 - worker}")  # read the other writer's partition while it writes
print(written)
"""


def test_sqlite_two_processes_write_and_read_concurrently(tmp_path: Path):
    path = str(tmp_path / "shared.db")
    SqliteSnapshotStore(path).ping()  # create the file and switch it to WAL first
    root = Path(__file__).resolve().parents[2]
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, path, str(w), "60"], cwd=root, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for w in (0, 1)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    assert [int(out) for out, _ in outputs] == [60, 60]
    store = SqliteSnapshotStore(path)
    assert len(store.query("m0")) == len(store.query("m1")) == 60
    with store._connect() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_lease_has_one_holder_until_it_expires_or_is_released(store):
    assert store.acquire_lease("job:churn", "a", 60) is True
    assert store.acquire_lease("job:churn", "b", 60) is False  # held by a
    assert store.acquire_lease("job:churn", "a", 60) is True   # a renews it
    store.release_lease("job:churn", "b")                       # not b's to give up
    assert store.acquire_lease("job:churn", "b", 60) is False
    store.release_lease("job:churn", "a")
    assert store.acquire_lease("job:churn", "b", 60) is True
    assert store.acquire_lease("job:churn", "a", -1) is False
    assert store.acquire_lease("job:other", "a", -1) is True    # another lease; granted already expired
    assert store.acquire_lease("job:other", "b", 60) is True    # an expired lease goes to the next asker


def test_two_writers_racing_for_a_lease_cannot_both_win(store):
    from monitor.store.base import LEASE_PARTITION

    stale = store.get(LEASE_PARTITION, "lease:job:race")
    assert stale is None
    first = {"id": "lease:job:race", "kind": "lease", "model": LEASE_PARTITION, "ts": "2026-01-01T00:00:00+00:00",
             "schema_version": SCHEMA_VERSION, "owner": "a", "expires": "2999-01-01T00:00:00+00:00", "content_hash": "h1"}
    assert store._compare_and_set(dict(first), None) is True
    assert store._compare_and_set({**first, "owner": "b", "content_hash": "h2"}, None) is False   # b read "absent" too late
    assert store._compare_and_set({**first, "owner": "b", "content_hash": "h2"}, "stale") is False
    assert store.get(LEASE_PARTITION, "lease:job:race")["owner"] == "a"
