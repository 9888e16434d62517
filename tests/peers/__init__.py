"""Loopback protocol peers for the Azure backends: a Cosmos DB-compatible server, a throttling
Cosmos responder and an ARM-shaped Data Factory server, all driven by the real Azure SDKs."""
