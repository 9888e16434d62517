from tests.peers.fixtures import arm_credential, arm_server  # noqa: F401
