from tests.peers.fixtures import cosmos_server, cosmos_store_factory, throttling_cosmos  # noqa: F401
