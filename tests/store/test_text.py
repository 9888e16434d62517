"""Text that is not valid UTF-8 (undecodable bytes, lone surrogates) is repaired, not a reason to lose a document."""

from __future__ import annotations

import pytest

from monitor.store.base import SCHEMA_VERSION
from monitor.store.sqlite import SqliteSnapshotStore

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


@pytest.fixture(params=["sqlite", pytest.param("cosmos", marks=pytest.mark.azure)])
def store(request, tmp_path):
    if request.param == "sqlite":
        return SqliteSnapshotStore(tmp_path / "s.db")
    return request.getfixturevalue("cosmos_store_factory")()


def test_undecodable_text_is_stored_with_replacement_characters(store):
    raw = b"caf\xe9 \xff".decode("utf-8", "surrogateescape")  # how Python carries bytes it could not decode
    doc = {"id": "snap-1", "kind": "snapshot", "model": "churn", "ts": "2026-03-01T00:00:00Z",
           "schema_version": SCHEMA_VERSION, "categories": {raw: 3, "ok": 1}, "note": b"bad \xfe bytes", "name": "é"}
    assert store.upsert(doc) is True
    stored = store.get("churn", "snap-1")
    assert stored["categories"] == {"caf\ufffd \ufffd": 3, "ok": 1}
    assert stored["note"] == "bad \ufffd bytes" and stored["name"] == "é"
    assert store.upsert(doc) is False  # the same document again writes nothing
