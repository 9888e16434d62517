"""Snapshot stores: the port and its adapters (SQLite by default, Cosmos DB when configured)."""

from monitor.store.base import SCHEMA_VERSION, SnapshotStore, StoreError
from monitor.store.sqlite import SqliteSnapshotStore

__all__ = ["SCHEMA_VERSION", "SnapshotStore", "SqliteSnapshotStore", "StoreError"]
