"""Cosmos DB for NoSQL snapshot store (azure-cosmos 4.x).

One container, partition key ``/model``: all documents of a model (its snapshots over time, its
profiles) live in one logical partition, so every range query the monitor runs is a
single-partition query. Pipeline runs have their own partition (``_pipeline_runs``).

The client is built on first use, never at import or construction time. Throttling (429) and
transient failures (408, 449, 503, dropped connections) are retried here, with exponential backoff
that never waits less than the service's ``x-ms-retry-after-ms``, within a bound on attempts and
total seconds; after that the store raises :class:`monitor.errors.BackendError`. The SDK's own
retries are switched off by default so the bound holds (callers may override through
``client_kwargs``).

Cosmos DB refuses items larger than 2 MB. A document that would not fit is refused before any
request with a :class:`monitor.store.base.StoreError` naming the model, the id and the size; the
stored version, if any, stays as it was (a document is stored whole or not at all).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from monitor.errors import BackendError
from monitor.net import CONNECT_TIMEOUT, DEFAULT_BUDGET, READ_TIMEOUT, Breaker, BudgetExceeded, quiet_insecure_tls, within
from monitor.store.base import SnapshotStore, StoreError

if TYPE_CHECKING:
    from monitor.config import Settings

__all__ = ["CosmosSnapshotStore", "MAX_ITEM_BYTES", "SYSTEM_FIELDS"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Cosmos DB's limit on one item (2 MB), less room for the system properties the service adds.
MAX_ITEM_BYTES = 2 * 1024 * 1024 - 1024
#: Properties Cosmos DB adds to every item; never returned to callers.
SYSTEM_FIELDS = ("_rid", "_self", "_etag", "_attachments", "_ts")
PARTITION_KEY_PATH = "/model"
_TRANSIENT_STATUS = {408, 429, 449, 503}
_BACKEND = "Cosmos DB"

_QUERY = "SELECT * FROM c WHERE c.model = @model AND c.kind = @kind"


class CosmosSnapshotStore(SnapshotStore):
    """Snapshot documents in one Cosmos DB container partitioned by ``/model``.

    ``credential`` is an account key (string) or an azure-identity token credential; when it is
    ``None`` the store uses ``DefaultAzureCredential`` (managed identity on App Service, the
    Azure CLI login on a laptop). ``client_kwargs`` go to ``CosmosClient`` unchanged, e.g.
    ``enable_endpoint_discovery=False`` for the emulator or a local test server.
    """

    name = "Cosmos DB snapshot store"

    def __init__(
        self,
        endpoint: str,
        credential: Any = None,
        database: str = "mlops-monitor",
        container: str = "snapshots",
        *,
        connection_verify: bool = True,
        create_if_missing: bool = True,
        page_size: int = 100,
        retry_attempts: int = 6,
        retry_max_seconds: float = DEFAULT_BUDGET,
        retry_backoff: float = 0.2,
        retry_backoff_max: float = 10.0,
        max_item_bytes: int = MAX_ITEM_BYTES,
        **client_kwargs: Any,
    ):
        if not endpoint:
            raise BackendError(_BACKEND, "no endpoint configured (MONITOR_COSMOS_ENDPOINT)")
        self.endpoint = endpoint
        self.credential = credential
        self.database_name = database
        self.container_name = container
        self.connection_verify = connection_verify
        self.create_if_missing = create_if_missing
        self.page_size = page_size
        self.retry_attempts = max(1, retry_attempts)
        self.retry_max_seconds = retry_max_seconds
        self.retry_backoff = retry_backoff
        self.retry_backoff_max = retry_backoff_max
        self.max_item_bytes = max_item_bytes
        self.client_kwargs = client_kwargs
        self._client: Any = None
        self._container: Any = None
        self._lock = threading.Lock()
        self._breaker = Breaker()

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> CosmosSnapshotStore:
        """Build the store from ``MONITOR_COSMOS_*`` settings; no key means managed identity."""
        kwargs.setdefault("retry_max_seconds", settings.backend_timeout)
        return cls(
            settings.cosmos_endpoint,
            settings.cosmos_key or None,
            settings.cosmos_database,
            settings.cosmos_container,
            connection_verify=settings.cosmos_verify_tls,
            **kwargs,
        )

    def __repr__(self) -> str:
        return f"CosmosSnapshotStore({self.endpoint!r}, database={self.database_name!r}, container={self.container_name!r})"

    # -- connection ---------------------------------------------------------------------------

    @property
    def _where(self) -> str:
        return f"{self.endpoint} {self.database_name}/{self.container_name}"

    def _container_client(self) -> Any:
        if self._container is not None:
            return self._container
        with self._lock:
            if self._container is None:
                self._container = self._call("open container", self._open)
        return self._container

    def _open(self) -> Any:
        from azure.cosmos import CosmosClient, PartitionKey
        from azure.cosmos.exceptions import CosmosHttpResponseError

        if self._client is None:
            credential = self.credential
            if credential is None:
                from azure.identity import DefaultAzureCredential

                credential = DefaultAzureCredential()
            kwargs = {"retry_total": 0, "connection_policy": _single_attempt_policy(),
                      "timeout": max(1, round(self.retry_max_seconds)), **self.client_kwargs}
            if not self.connection_verify:
                quiet_insecure_tls()
            self._client = CosmosClient(self.endpoint, credential=credential, connection_verify=self.connection_verify, **kwargs)
        database = self._client.get_database_client(self.database_name)
        container = database.get_container_client(self.container_name)
        try:
            properties = container.read()
        except CosmosHttpResponseError as exc:
            if exc.status_code != 404 or not self.create_if_missing:
                raise
            try:
                database = self._client.create_database_if_not_exists(self.database_name)
                container = database.create_container_if_not_exists(
                    self.container_name, partition_key=PartitionKey(path=PARTITION_KEY_PATH)
                )
            except CosmosHttpResponseError as create_exc:
                if create_exc.status_code == 403:
                    raise BackendError(
                        _BACKEND,
                        f"{self._where}: the container does not exist and this identity may not create it "
                        f"(data-plane roles cannot); create it with partition key {PARTITION_KEY_PATH} "
                        "(see docs/azure.md)",
                    ) from create_exc
                raise
            properties = container.read()
        paths = (properties.get("partitionKey") or {}).get("paths") or []
        if paths and paths != [PARTITION_KEY_PATH]:
            raise BackendError(
                _BACKEND, f"{self._where}: container is partitioned by {', '.join(paths)}, expected {PARTITION_KEY_PATH}"
            )
        return container

    def close(self) -> None:
        """Close the client; the next call opens a new one."""
        with self._lock:
            client, self._client, self._container = self._client, None, None
        if client is not None:
            client.close()

    # -- retries ------------------------------------------------------------------------------

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run ``fn``, retrying throttling and transient failures within the configured bound."""
        from azure.core.exceptions import AzureError, ServiceRequestError, ServiceResponseError
        from azure.cosmos.exceptions import CosmosHttpResponseError

        down = self._breaker.open_reason()
        if down is not None:
            raise BackendError(_BACKEND, f"{self._where}: {what} not tried: {down} a moment ago")
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                # A last attempt gets at least 2 s, so a short bound still lets one request complete.
                return within(max(2.0, self.retry_max_seconds - (time.monotonic() - started)), fn)
            except (BackendError, StoreError):
                raise
            except BudgetExceeded as exc:
                elapsed = time.monotonic() - started
                self._breaker.trip(f"gave no answer within {elapsed:.1f}s")
                raise BackendError(_BACKEND, f"{self._where}: {what} got no answer within {elapsed:.0f} s "
                                             f"({attempt} attempt(s))") from exc
            except CosmosHttpResponseError as exc:
                if exc.status_code not in _TRANSIENT_STATUS:
                    raise BackendError(_BACKEND, f"{self._where}: {what} failed: {_describe(exc)}") from exc
                failure, error, hint = _describe(exc), exc, _retry_after(exc)
            except (ServiceRequestError, ServiceResponseError) as exc:
                failure, error, hint = f"connection failed ({exc.message or type(exc).__name__})", exc, None
            except AzureError as exc:  # authentication (DefaultAzureCredential), client timeouts
                reason = str(exc.message or type(exc).__name__).splitlines()[0]
                raise BackendError(_BACKEND, f"{self._where}: {what} failed: {reason}") from exc
            delay = min(self.retry_backoff_max, self.retry_backoff * 2 ** (attempt - 1)) * random.uniform(0.8, 1.0)
            if hint is not None:
                delay = max(delay, hint)
            elapsed = time.monotonic() - started
            if attempt >= self.retry_attempts or elapsed + delay > self.retry_max_seconds:
                if not isinstance(error, CosmosHttpResponseError):  # no answer at all: do not wait again at once
                    self._breaker.trip(f"gave up after {attempt} attempt(s) in {elapsed:.1f}s ({failure})")
                raise BackendError(
                    _BACKEND,
                    f"{self._where}: {what} gave up after {attempt} attempt(s) in {elapsed:.1f}s: {failure}",
                ) from error
            log.info("Cosmos DB %s: %s; retry %d in %.2fs", what, failure, attempt, delay)
            time.sleep(delay)

    # -- port hooks ---------------------------------------------------------------------------

    def ping(self) -> None:
        """Open the container (creating it if allowed); raise BackendError if Cosmos DB cannot be reached."""
        container = self._container_client()
        self._call("ping", container.read)

    def kinds(self, model: str) -> list[str]:
        """The distinct document kinds stored in one model's partition (read for migrations)."""
        container = self._container_client()

        def run() -> list[str]:
            items = container.query_items(
                "SELECT VALUE c.kind FROM c WHERE c.model = @model",
                parameters=[{"name": "@model", "value": model}], partition_key=model, max_item_count=1000,
            )
            return sorted({str(k) for k in items if k})

        return self._call(f"list kinds of {model}", run)

    def _get(self, model: str, doc_id: str) -> dict[str, Any] | None:
        from azure.cosmos.exceptions import CosmosResourceNotFoundError

        container = self._container_client()

        def read() -> dict[str, Any] | None:
            try:
                return container.read_item(doc_id, partition_key=model)
            except CosmosResourceNotFoundError:
                return None

        item = self._call(f"read {model}/{doc_id}", read)
        return _strip(item) if item is not None else None

    def _put(self, doc: dict[str, Any]) -> None:
        size = len(json.dumps(doc, allow_nan=False).encode("utf-8"))
        if size > self.max_item_bytes:
            raise StoreError(
                f"document {doc['id']!r} of model {doc['model']!r} is {size:,} bytes; Cosmos DB stores at most "
                f"{self.max_item_bytes:,} bytes per item, so it was not stored (the stored version, if any, is unchanged)"
            )
        container = self._container_client()
        self._call(f"upsert {doc['model']}/{doc['id']}", lambda: container.upsert_item(doc))

    def _compare_and_set(self, doc: dict[str, Any], expected_hash: str | None) -> bool:
        """Create only if absent, or replace only if the stored item is unchanged (its etag), so one writer wins."""
        from azure.core import MatchConditions
        from azure.cosmos.exceptions import CosmosHttpResponseError, CosmosResourceNotFoundError

        container = self._container_client()

        def attempt() -> bool:
            try:
                if expected_hash is None:
                    container.create_item(doc)
                    return True
                stored = container.read_item(doc["id"], partition_key=doc["model"])
                if stored.get("content_hash") != expected_hash:
                    return False
                container.replace_item(doc["id"], doc, etag=stored["_etag"], match_condition=MatchConditions.IfNotModified)
                return True
            except CosmosResourceNotFoundError:
                return False
            except CosmosHttpResponseError as exc:
                if exc.status_code in (409, 412):  # created or changed by another writer meanwhile
                    return False
                raise

        return self._call(f"compare-and-set {doc['model']}/{doc['id']}", attempt)

    def _query(self, model: str, kind: str, start: str | None, end: str | None) -> list[dict[str, Any]]:
        sql = _QUERY
        parameters: list[dict[str, Any]] = [{"name": "@model", "value": model}, {"name": "@kind", "value": kind}]
        if start is not None:
            sql += " AND c.ts >= @start"
            parameters.append({"name": "@start", "value": start})
        if end is not None:
            sql += " AND c.ts < @end"
            parameters.append({"name": "@end", "value": end})
        sql += " ORDER BY c.ts"
        container = self._container_client()
        out: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            # One page per call, so a retry resumes from the last continuation token.
            def page(token: str | None = token) -> tuple[list[dict[str, Any]], str | None]:
                pager = container.query_items(
                    sql, parameters=parameters, partition_key=model, max_item_count=self.page_size
                ).by_page(token)
                try:
                    items = list(next(pager))
                except StopIteration:
                    return [], None
                return items, pager.continuation_token

            items, token = self._call(f"query {model}/{kind}", page)
            out.extend(_strip(item) for item in items)
            if not token:
                return out


def _single_attempt_policy() -> Any:
    """A connection policy whose throttling retries are off: :meth:`CosmosSnapshotStore._call` owns them."""
    from azure.cosmos.documents import ConnectionPolicy, RetryOptions

    policy = ConnectionPolicy()
    policy.RetryOptions = RetryOptions(max_retry_attempt_count=0, max_wait_time_in_seconds=0)
    policy.RequestTimeout = CONNECT_TIMEOUT
    policy.ReadTimeout = READ_TIMEOUT
    return policy


def _strip(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in SYSTEM_FIELDS}


def _header(exc: Any, name: str) -> str | None:
    headers = getattr(exc, "headers", None) or {}
    value = headers.get(name)
    if value is None:
        lowered = {str(k).lower(): v for k, v in headers.items()}
        value = lowered.get(name.lower())
    return value


def _retry_after(exc: Any) -> float | None:
    value = _header(exc, "x-ms-retry-after-ms")
    try:
        return float(value) / 1000.0 if value is not None else None
    except ValueError:
        return None


def _describe(exc: Any) -> str:
    message = str(getattr(exc, "message", "") or exc).strip().splitlines()
    first = message[0] if message else ""
    return f"HTTP {exc.status_code}: {first[:300]}" if first else f"HTTP {exc.status_code}"
