"""An ARM-shaped Azure Data Factory endpoint on loopback (HTTPS, self-signed certificate).

It answers the two REST calls the monitor makes, with the documented JSON shapes
(api-version 2018-06-01):

- ``POST /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DataFactory/factories/{f}/queryPipelineRuns``
- ``POST .../factories/{f}/pipelineruns/{runId}/queryActivityruns``

Both honour ``lastUpdatedAfter`` / ``lastUpdatedBefore``, ``filters`` (``In``, ``NotIn``,
``Equals``, ``NotEquals``), ``orderBy`` and ``continuationToken``, and page ``page_size`` runs at
a time. Unknown factories get ARM's 404 ``ResourceNotFound``; factories in ``forbidden`` get 403
``AuthorizationFailed``; a request without a bearer token gets 401.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from azure.core.credentials import AccessToken

API_VERSION = "2018-06-01"
_FACTORY = r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.DataFactory/factories/(?P<factory>[^/]+)"
_RUNS = re.compile(_FACTORY + r"/queryPipelineRuns$", re.IGNORECASE)
_ACTIVITIES = re.compile(_FACTORY + r"/pipelineruns/(?P<run>[^/]+)/queryActivityruns$", re.IGNORECASE)
_OPERANDS = {"PipelineName": "pipelineName", "Status": "status", "RunGroupId": "runGroupId",
             "ActivityName": "activityName", "ActivityType": "activityType"}
_ORDER_FIELDS = {"RunStart": "runStart", "RunEnd": "runEnd", "PipelineName": "pipelineName", "Status": "status",
                 "ActivityName": "activityName", "ActivityRunStart": "activityRunStart", "ActivityRunEnd": "activityRunEnd"}


class StaticTokenCredential:
    """A token credential that hands out a fixed bearer token (what a test needs of azure-identity)."""

    def __init__(self, token: str = "loopback-token"):
        self.token = token
        self.calls = 0

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls += 1
        return AccessToken(self.token, int(time.time()) + 3600)


class ArmState:
    """What the ARM peer serves, and the request bodies it received."""

    def __init__(self, subscription: str, resource_group: str, page_size: int = 2):
        self.subscription = subscription
        self.resource_group = resource_group
        self.page_size = page_size
        self.factories: dict[str, list[dict[str, Any]]] = {}
        self.activities: dict[str, list[dict[str, Any]]] = {}
        self.forbidden: set[str] = set()
        self.token = "loopback-token"
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()


class ArmHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    @property
    def state(self) -> ArmState:
        return self.server.peer.state

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-ms-request-id", "00000000-0000-0000-0000-000000000000")
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: str, message: str) -> None:
        self._send(status, {"error": {"code": code, "message": message}})

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        with self.state.lock:
            self.state.requests.append((parts.path, body))
        if parse_qs(parts.query).get("api-version") != [API_VERSION]:
            self._error(400, "InvalidApiVersionParameter", f"api-version {API_VERSION} is required")
            return
        if self.headers.get("authorization") != f"Bearer {self.state.token}":
            self._error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or invalid.")
            return
        match = _RUNS.match(parts.path) or _ACTIVITIES.match(parts.path)
        if match is None:
            self._error(404, "NotFound", f"no route for POST {parts.path}")
            return
        sub, rg, factory = match.group("sub"), match.group("rg"), match.group("factory")
        scope = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DataFactory/factories/{factory}"
        if factory in self.state.forbidden:
            self._error(
                403, "AuthorizationFailed",
                f"The client 'loopback' with object id '00000000-0000-0000-0000-000000000001' does not have authorization "
                f"to perform action 'Microsoft.DataFactory/factories/querypipelineruns/read' over scope '{scope}' "
                "or the scope is invalid.",
            )
            return
        if sub != self.state.subscription or rg != self.state.resource_group or factory not in self.state.factories:
            self._error(
                404, "ResourceNotFound",
                f"The Resource 'Microsoft.DataFactory/factories/{factory}' under resource group '{rg}' was not found.",
            )
            return
        if "run" in match.groupdict():
            runs = [r for r in self.state.factories[factory] if r["runId"] == match.group("run")]
            if not runs:
                self._error(404, "PipelineRunNotFound", f"Pipeline run {match.group('run')} does not exist.")
                return
            records, stamp = self.state.activities.get(match.group("run"), []), "activityRunEnd"
        else:
            records, stamp = self.state.factories[factory], "lastUpdated"
        try:
            self._send(200, self._page(records, body, stamp))
        except (KeyError, ValueError) as exc:
            self._error(400, "BadRequest", f"invalid filter parameters: {exc}")

    def _page(self, records: list[dict[str, Any]], body: dict[str, Any], stamp: str) -> dict[str, Any]:
        after, before = _parse(body["lastUpdatedAfter"]), _parse(body["lastUpdatedBefore"])
        selected = [r for r in records if r.get(stamp) is None or after <= _parse(r[stamp]) <= before]
        for flt in body.get("filters") or []:
            field, values = _OPERANDS[flt["operand"]], set(flt["values"])
            keep = {"In": True, "Equals": True, "NotIn": False, "NotEquals": False}[flt["operator"]]
            selected = [r for r in selected if (r.get(field) in values) == keep]
        for order in reversed(body.get("orderBy") or []):
            field = _ORDER_FIELDS[order["orderBy"]]
            selected.sort(key=lambda r, f=field: r.get(f) or "", reverse=order["order"] == "DESC")
        offset = int(base64.b64decode(body["continuationToken"]).decode()) if body.get("continuationToken") else 0
        page = selected[offset:offset + self.state.page_size]
        more = offset + self.state.page_size < len(selected)
        token = base64.b64encode(str(offset + self.state.page_size).encode()).decode() if more else None
        return {"value": page, "continuationToken": token}


def _parse(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def pipeline_run(
    run_id: str, pipeline: str, status: str, start: str, end: str | None, *, message: str = "",
    parameters: dict[str, str] | None = None, factory: str = "", invoked_by: str = "Daily 06:00",
) -> dict[str, Any]:
    """A PipelineRun as ADF returns it (camelCase, ISO timestamps with a Z)."""
    duration = int((_parse(end) - _parse(start)).total_seconds() * 1000) if end else None
    return {
        "id": f"/factories/{factory}/pipelineruns/{run_id}", "runId": run_id, "runGroupId": run_id, "isLatest": True,
        "pipelineName": pipeline, "parameters": parameters or {}, "runDimensions": {},
        "invokedBy": {"name": invoked_by, "id": "trigger-1", "invokedByType": "ScheduleTrigger"},
        "lastUpdated": end or start, "runStart": start, "runEnd": end, "durationInMs": duration,
        "status": status, "message": message,
    }


def activity_run(
    run_id: str, pipeline: str, name: str, kind: str, status: str, start: str, end: str, error: dict | None = None,
) -> dict[str, Any]:
    """An ActivityRun as ADF returns it; ``error`` is ADF's error object (errorCode, message, ...)."""
    return {
        "pipelineName": pipeline, "pipelineRunId": run_id, "activityName": name, "activityType": kind,
        "activityRunId": f"{run_id}-{name}", "linkedServiceName": "", "status": status,
        "activityRunStart": start, "activityRunEnd": end,
        "durationInMs": int((_parse(end) - _parse(start)).total_seconds() * 1000),
        "input": {}, "output": {},
        "error": error or {"errorCode": "", "message": "", "failureType": "", "target": name},
    }
