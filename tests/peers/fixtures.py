"""Pytest fixtures for the Azure protocol peers. Import them into a package's conftest.py.

``cosmos_server`` installs and starts ``@vercel/cosmosdb-server`` once per session; when node or
npm are missing it skips the Cosmos tests with the reason (set ``REQUIRE_AZURE_PEERS=1`` to make
that a failure instead, e.g. in CI).
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.peers.arm import ArmHandler, ArmState, StaticTokenCredential
from tests.peers.cosmos_server import EMULATOR_KEY, CosmosServer, PeerUnavailable
from tests.peers.cosmos_throttle import ThrottleState, ThrottlingCosmosHandler
from tests.peers.loopback import LoopbackServer
from tests.peers.tls import server_context

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache"


def _unavailable(reason: str) -> None:
    message = f"Cosmos DB peer unavailable, Cosmos tests NOT run: {reason}"
    if os.environ.get("REQUIRE_AZURE_PEERS") == "1":
        pytest.fail(message)
    warnings.warn(message, stacklevel=2)
    pytest.skip(message)


@pytest.fixture(scope="session")
def cosmos_server() -> Iterator[CosmosServer]:
    """A running cosmosdb-server on loopback (installed into ``.cache/cosmosdb-server`` on first use)."""
    try:
        server = CosmosServer(CACHE / "cosmosdb-server").start()
    except PeerUnavailable as exc:
        _unavailable(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def cosmos_store_factory(cosmos_server: CosmosServer) -> Callable[..., Any]:
    """Make CosmosSnapshotStores on the test server, each in a fresh container unless one is named."""
    from monitor.store.cosmos import CosmosSnapshotStore

    stores: list[CosmosSnapshotStore] = []

    def make(container: str | None = None, **kwargs: Any) -> CosmosSnapshotStore:
        store = CosmosSnapshotStore(
            cosmos_server.endpoint, EMULATOR_KEY, "monitor-tests", container or f"c-{uuid.uuid4().hex[:12]}",
            connection_verify=False, enable_endpoint_discovery=False, **kwargs,
        )
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


@pytest.fixture
def throttling_cosmos() -> Iterator[Callable[..., LoopbackServer]]:
    """Start a throttling Cosmos responder: ``throttling_cosmos(throttle=2, retry_after_ms=50)``."""
    servers: list[LoopbackServer] = []

    def start(throttle: int | None, retry_after_ms: int = 20) -> LoopbackServer:
        server = LoopbackServer(ThrottlingCosmosHandler, server_context(CACHE / "tls"))
        server.state = ThrottleState(throttle, retry_after_ms)
        servers.append(server.start())
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def arm_server() -> Iterator[LoopbackServer]:
    """An ARM-shaped Data Factory endpoint over HTTPS; fill ``arm_server.state`` with runs."""
    server = LoopbackServer(ArmHandler, server_context(CACHE / "tls"))
    server.state = ArmState("00000000-0000-0000-0000-00000000feed", "rg-monitor")
    with server:
        yield server


@pytest.fixture
def arm_credential() -> StaticTokenCredential:
    return StaticTokenCredential()


__all__ = ["arm_credential", "arm_server", "cosmos_server", "cosmos_store_factory", "throttling_cosmos", "EMULATOR_KEY"]
