from tests.peers.fixtures import cosmos_server, cosmos_store_factory  # noqa: F401
