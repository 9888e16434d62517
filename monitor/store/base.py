"""The SnapshotStore port: JSON documents keyed by (model, id).

A document is a plain dict with at least ``id``, ``kind`` (``snapshot``, ``profile``,
``pipeline_run``), ``model`` (the partition: a model's documents stay together), ``ts`` (ISO-8601
UTC timestamp used for range queries) and ``schema_version``. Adapters only write the private
hooks; the public methods check documents and make upserts idempotent.
"""

from __future__ import annotations

import abc
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from monitor.errors import MonitorError
from monitor.jsonsafe import clean_json
from monitor.timeutil import to_iso

__all__ = ["SnapshotStore", "SCHEMA_VERSION", "StoreError", "canonical_json"]

SCHEMA_VERSION = 1
_REQUIRED = ("id", "kind", "model", "ts", "schema_version")
_FORBIDDEN_ID_CHARS = set("/\\?#")


LEASE_PARTITION = "_leases"


def _lease_id(name: str) -> str:
    return f"lease:{name}"


class StoreError(MonitorError):
    """A document was refused by the store (malformed, too large) or the store failed."""


def canonical_json(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _content_hash(doc: Mapping[str, Any]) -> str:
    body = {k: v for k, v in doc.items() if k not in ("content_hash", "stored_at") and not k.startswith("_")}
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


class SnapshotStore(abc.ABC):
    """Port for the snapshot store. ``name`` says which backend it is, for messages."""

    name = "snapshot store"

    def upsert(self, doc: Mapping[str, Any]) -> bool:
        """Store ``doc`` whole, replacing the document with the same (model, id).

        Returns ``False`` and writes nothing when the stored document already has the same
        content, so running a job twice writes nothing new.
        """
        doc = clean_json(dict(doc))
        missing = [k for k in _REQUIRED if doc.get(k) in (None, "")]
        if missing:
            raise StoreError(f"document {doc.get('id')!r} lacks field(s) {', '.join(missing)}")
        if set(str(doc["id"])) & _FORBIDDEN_ID_CHARS:
            raise StoreError(f"document id {doc['id']!r} contains one of / \\ ? #")
        doc["ts"] = to_iso(doc["ts"])
        doc["content_hash"] = _content_hash(doc)
        stored = self._get(doc["model"], doc["id"])
        if stored is not None and stored.get("content_hash") == doc["content_hash"]:
            return False
        doc["stored_at"] = dt.datetime.now(dt.timezone.utc).isoformat()
        self._put(doc)
        return True

    def get(self, model: str, doc_id: str) -> dict[str, Any] | None:
        """The document with this id in this model's partition, or ``None``."""
        return self._get(model, doc_id)

    def query(
        self,
        model: str,
        kind: str = "snapshot",
        start: dt.datetime | str | None = None,
        end: dt.datetime | str | None = None,
    ) -> list[dict[str, Any]]:
        """Documents of one kind for one model with ``start <= ts < end``, oldest first."""
        return sorted(self._query(model, kind, to_iso(start), to_iso(end)), key=lambda d: (d["ts"], d["id"]))

    def ids(self, model: str, kind: str = "snapshot") -> dict[str, str]:
        """Map of document id to content hash for one model and kind (cheap existence checks)."""
        return {d["id"]: d.get("content_hash", "") for d in self._query(model, kind, None, None)}

    @abc.abstractmethod
    def kinds(self, model: str) -> list[str]:
        """The distinct document kinds stored in one model's partition."""

    # -- leases: one writer at a time, across processes and machines --------------------------------
    def acquire_lease(self, name: str, owner: str, seconds: float) -> bool:
        """Hold the lease ``name`` for ``seconds`` (or renew it, for its holder). False while another owner holds it.

        Two jobs started together both try; the store's atomic create / compare-and-set lets exactly one win.
        A holder that dies loses the lease when it expires, so a killed job never blocks the next one for long.
        """
        now = dt.datetime.now(dt.timezone.utc)
        current = self._get(LEASE_PARTITION, _lease_id(name))
        if current is not None and current.get("owner") != owner and current.get("expires", "") > now.isoformat():
            return False
        doc = {"id": _lease_id(name), "kind": "lease", "model": LEASE_PARTITION, "ts": now.isoformat(),
               "schema_version": SCHEMA_VERSION, "owner": owner, "expires": (now + dt.timedelta(seconds=seconds)).isoformat()}
        doc["content_hash"] = _content_hash(doc)
        return self._compare_and_set(doc, current.get("content_hash") if current is not None else None)

    def release_lease(self, name: str, owner: str) -> None:
        """Give the lease up now, if ``owner`` holds it."""
        current = self._get(LEASE_PARTITION, _lease_id(name))
        if current is None or current.get("owner") != owner:
            return
        doc = {**current, "expires": dt.datetime.now(dt.timezone.utc).isoformat(), "owner": ""}
        doc["content_hash"] = _content_hash(doc)
        self._compare_and_set(doc, current.get("content_hash"))

    @abc.abstractmethod
    def _compare_and_set(self, doc: dict[str, Any], expected_hash: str | None) -> bool:
        """Write ``doc`` only if the stored one has ``expected_hash`` (None: only if there is none), atomically."""

    def ping(self) -> None:
        """Raise :class:`monitor.errors.BackendError` if the store cannot be reached."""
        self.query("__ping__")

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections, if any."""

    @abc.abstractmethod
    def _get(self, model: str, doc_id: str) -> dict[str, Any] | None: ...

    @abc.abstractmethod
    def _put(self, doc: dict[str, Any]) -> None: ...

    @abc.abstractmethod
    def _query(self, model: str, kind: str, start: str | None, end: str | None) -> list[dict[str, Any]]: ...
