"""Cosmos DB adapter specifics: laziness, paging, the 2 MB limit, throttling and failures."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from monitor.config import Settings
from monitor.errors import BackendError
from monitor.store.base import SCHEMA_VERSION, StoreError
from monitor.store.cosmos import MAX_ITEM_BYTES, CosmosSnapshotStore
from tests.peers.cosmos_server import EMULATOR_KEY

pytestmark = [pytest.mark.azure, pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")]


def doc(n: int = 0, model: str = "churn", **extra) -> dict:
    return {"id": f"snapshot:{n:04d}", "kind": "snapshot", "model": model, "ts": f"2026-02-01T00:{n % 60:02d}:{n // 60:02d}Z",
            "schema_version": SCHEMA_VERSION, **extra}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_import_and_construction_do_not_connect():
    code = (
        "import sys; from monitor.store.cosmos import CosmosSnapshotStore; "
        "s = CosmosSnapshotStore('https://unreachable.invalid:1', 'a2V5'); "
        "assert s._client is None; assert 'azure.cosmos' not in sys.modules, 'azure.cosmos imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_from_settings_uses_key_or_managed_identity():
    settings = Settings(store="cosmos", cosmos_endpoint="https://acct.documents.azure.com:443/", cosmos_key="a2V5",
                        cosmos_database="db", cosmos_container="snaps", cosmos_verify_tls=False)
    store = CosmosSnapshotStore.from_settings(settings)
    assert (store.endpoint, store.credential, store.database_name, store.container_name, store.connection_verify) == (
        "https://acct.documents.azure.com:443/", "a2V5", "db", "snaps", False)
    no_key = CosmosSnapshotStore.from_settings(Settings(store="cosmos", cosmos_endpoint="https://acct.documents.azure.com/"))
    assert no_key.credential is None and no_key._client is None  # DefaultAzureCredential is made on first use


def test_queries_follow_continuation_tokens(cosmos_store_factory):
    store = cosmos_store_factory(page_size=7)
    for n in range(30):
        store.upsert(doc(n))
    pages = []
    original = store._call
    store._call = lambda what, fn: pages.append(what) or original(what, fn)
    assert [d["id"] for d in store.query("churn")] == [f"snapshot:{n:04d}" for n in range(30)]
    assert pages.count("query churn/snapshot") == 5


def test_system_fields_are_stripped_and_kinds_listed(cosmos_store_factory):
    store = cosmos_store_factory()
    store.upsert(doc(0))
    store.upsert({**doc(1), "kind": "profile"})
    assert not {"_rid", "_self", "_etag", "_attachments", "_ts"} & set(store.get("churn", "snapshot:0000"))
    assert store.kinds("churn") == ["profile", "snapshot"]


def test_document_over_2mb_is_refused_whole_and_the_stored_one_kept(cosmos_store_factory):
    store = cosmos_store_factory()
    store.upsert(doc(0, detail="small"))
    before = store.get("churn", "snapshot:0000")
    with pytest.raises(StoreError, match=r"'snapshot:0000' of model 'churn' is 2,\d{3},\d{3} bytes; Cosmos DB stores at most"):
        store.upsert(doc(0, detail="x" * (2 * 1024 * 1024)))
    assert store.get("churn", "snapshot:0000") == before


def test_document_just_under_the_limit_is_stored_whole(cosmos_store_factory):
    store = cosmos_store_factory()
    big = doc(1, rows=["y" * 1000] * ((MAX_ITEM_BYTES - 4096) // 1004))
    assert store.upsert(big) is True
    stored = store.get("churn", "snapshot:0001")
    assert stored["rows"] == big["rows"]


def test_existing_container_with_another_partition_key_is_refused(cosmos_server):
    from azure.cosmos import CosmosClient, PartitionKey

    client = CosmosClient(cosmos_server.endpoint, EMULATOR_KEY, connection_verify=False, enable_endpoint_discovery=False)
    client.create_database_if_not_exists("monitor-tests").create_container_if_not_exists("by-id", PartitionKey(path="/id"))
    store = CosmosSnapshotStore(cosmos_server.endpoint, EMULATOR_KEY, "monitor-tests", "by-id",
                                connection_verify=False, enable_endpoint_discovery=False)
    with pytest.raises(BackendError, match="partitioned by /id, expected /model"):
        store.ping()


def _throttled_store(server, **kwargs) -> CosmosSnapshotStore:
    return CosmosSnapshotStore(server.url, EMULATOR_KEY, "db", "snapshots", connection_verify=False,
                               enable_endpoint_discovery=False, **kwargs)


def test_throttling_is_retried_after_the_advertised_delay(throttling_cosmos):
    server = throttling_cosmos(throttle=2, retry_after_ms=150)
    store = _throttled_store(server, retry_backoff=0.001)
    started = time.monotonic()
    assert store.get("churn", "snapshot:0000") is None
    assert time.monotonic() - started >= 0.3  # two waits of x-ms-retry-after-ms
    assert store.upsert(doc(0)) is True
    assert server.state.throttled == 2
    assert store.get("churn", "snapshot:0000")["id"] == "snapshot:0000"


def test_endless_throttling_ends_in_a_clear_error_after_the_attempt_bound(throttling_cosmos):
    server = throttling_cosmos(throttle=None, retry_after_ms=10)
    store = _throttled_store(server, retry_attempts=4, retry_backoff=0.001)
    with pytest.raises(BackendError, match=r"Cosmos DB .*read churn/snapshot:0000 gave up after 4 attempt\(s\).*HTTP 429"):
        store.get("churn", "snapshot:0000")
    assert server.state.throttled == 4


def test_endless_throttling_ends_within_the_time_bound(throttling_cosmos):
    server = throttling_cosmos(throttle=None, retry_after_ms=200)
    store = _throttled_store(server, retry_attempts=100, retry_max_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(BackendError, match="HTTP 429"):
        store.get("churn", "snapshot:0000")
    assert time.monotonic() - started < 2
    assert server.state.throttled <= 4


def test_unreachable_endpoint_is_a_backend_error():
    store = CosmosSnapshotStore(f"https://127.0.0.1:{free_port()}", EMULATOR_KEY, connection_verify=False,
                                enable_endpoint_discovery=False, retry_attempts=2, retry_backoff=0.01)
    with pytest.raises(BackendError, match=r"Cosmos DB is unreachable or failed: https://127\.0\.0\.1:\d+ mlops-monitor/snapshots"):
        store.ping()
