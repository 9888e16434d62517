"""A minimal Cosmos DB REST responder that throttles: enough of the protocol for the real SDK to
read and upsert items, answering ``429`` with ``x-ms-retry-after-ms`` for the first
``throttle`` item requests (``None``: every item request)."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

_ITEM = re.compile(r"^/dbs/([^/]+)/colls/([^/]+)/docs(?:/([^/?]+))?$")
_CONTAINER = re.compile(r"^/dbs/([^/]+)/colls/([^/]+)$")


class ThrottleState:
    """Shared state of one responder: how many item requests to throttle and what was seen."""

    def __init__(self, throttle: int | None, retry_after_ms: int = 20):
        self.throttle = throttle
        self.retry_after_ms = retry_after_ms
        self.throttled = 0
        self.served = 0
        self.docs: dict[tuple[str, str], dict[str, Any]] = {}
        self.lock = threading.Lock()

    def should_throttle(self) -> bool:
        with self.lock:
            if self.throttle is None or self.throttled < self.throttle:
                self.throttled += 1
                return True
            self.served += 1
            return False


class ThrottlingCosmosHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    @property
    def state(self) -> ThrottleState:
        return self.server.peer.state

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-ms-request-charge", "1")
        self.send_header("x-ms-session-token", "0:1#1")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("content-length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def do_GET(self) -> None:
        path = self.path.split("?")[0].rstrip("/") or "/"
        host = f"https://{self.headers['host']}/"
        if path == "/":
            location = [{"name": "Loopback", "databaseAccountEndpoint": host}]
            self._send(200, {
                "id": "loopback", "_rid": "loopback", "_self": "", "_dbs": "//dbs/",
                "writableLocations": location, "readableLocations": location,
                "enableMultipleWriteLocations": False,
                "userConsistencyPolicy": {"defaultConsistencyLevel": "Session"},
                "userReplicationPolicy": {"asyncReplication": False, "minReplicaSetSize": 1, "maxReplicasetSize": 4},
                "systemReplicationPolicy": {"minReplicaSetSize": 1, "maxReplicasetSize": 4},
                "readPolicy": {"primaryReadCoefficient": 1, "secondaryReadCoefficient": 1},
                "queryEngineConfiguration": "{}",
            })
            return
        if match := _CONTAINER.match(path):
            self._send(200, {
                "id": match.group(2), "_rid": "AAAAAAAAAAA=", "_self": "dbs/AAAAAA==/colls/AAAAAAAAAAA=/",
                "_etag": '"1"', "_ts": 1, "partitionKey": {"paths": ["/model"], "kind": "Hash", "version": 2},
                "indexingPolicy": {"indexingMode": "consistent", "automatic": True},
            })
            return
        if (match := _ITEM.match(path)) and match.group(3):
            if self._throttled():
                return
            model = json.loads(self.headers.get("x-ms-documentdb-partitionkey") or '[""]')[0]
            doc = self.state.docs.get((model, unquote(match.group(3))))
            if doc is None:
                self._send(404, {"code": "NotFound", "message": "Entity with the specified id does not exist in the system."})
            else:
                self._send(200, doc, {"etag": doc["_etag"]})
            return
        self._send(400, {"code": "BadRequest", "message": f"no route for GET {path}"})

    def do_POST(self) -> None:
        path = self.path.split("?")[0].rstrip("/")
        body = self._body()
        if (match := _ITEM.match(path)) and not match.group(3) and "query" not in body:
            if self._throttled():
                return
            doc = {**body, "_rid": "x", "_self": "x", "_etag": '"2"', "_attachments": "attachments/", "_ts": 2}
            self.state.docs[(body["model"], body["id"])] = doc
            self._send(200, doc, {"etag": doc["_etag"]})
            return
        self._send(400, {"code": "BadRequest", "message": f"no route for POST {path}"})

    def _throttled(self) -> bool:
        if not self.state.should_throttle():
            return False
        self._send(
            429,
            {"code": "TooManyRequests", "message": "Request rate is large. More Request Units may be needed."},
            {"x-ms-retry-after-ms": str(self.state.retry_after_ms), "x-ms-substatus": "3200"},
        )
        return True
