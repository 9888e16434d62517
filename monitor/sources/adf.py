"""Pipeline runs read from Azure Data Factory (azure-mgmt-datafactory).

The management client is built on first use. Its credential is ``DefaultAzureCredential`` (the
App Service managed identity, or the Azure CLI login on a laptop) unless one is passed in; the
identity needs the Reader role on the factory (see docs/azure.md).

ADF filters runs by when they were last updated, not by when they started. A run that started in
``[start, end)`` may have been updated later (it finished after ``end``), so the query asks for
runs updated between ``start`` and now and then keeps the runs that started in ``[start, end)``.
ADF keeps run history for 45 days; without ``start`` the query goes back that far.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from monitor.errors import BackendError
from monitor.net import CONNECT_TIMEOUT, DEFAULT_BUDGET, READ_TIMEOUT, BudgetExceeded, quiet_insecure_tls, within
from monitor.sources.pipelines import ActivityRun, PipelineRun, PipelineRunSource
from monitor.timeutil import parse_utc, to_iso

if TYPE_CHECKING:
    from monitor.config import Settings

__all__ = ["AdfPipelineRunSource", "RETENTION"]

T = TypeVar("T")

#: How long ADF keeps pipeline-run history.
RETENTION = dt.timedelta(days=45)
_BACKEND = "Azure Data Factory"
# Room for clock skew between this machine and ADF when "now" is the upper bound.
_SKEW = dt.timedelta(hours=1)


class AdfPipelineRunSource(PipelineRunSource):
    """Pipeline runs of one data factory.

    ``client_kwargs`` go to ``DataFactoryManagementClient`` unchanged (e.g. ``retry_total``,
    ``connection_verify``); by default each request has a connect and a read timeout and each
    call at most ``budget`` seconds in all (see :mod:`monitor.net`).
    """

    name = "Azure Data Factory pipeline runs"

    def __init__(
        self,
        subscription_id: str,
        resource_group: str,
        factory: str,
        *,
        credential: Any = None,
        base_url: str = "https://management.azure.com",
        budget: float | None = DEFAULT_BUDGET,
        **client_kwargs: Any,
    ):
        missing = [n for n, v in (("subscription id", subscription_id), ("resource group", resource_group),
                                  ("factory", factory)) if not v]
        if missing:
            raise BackendError(_BACKEND, f"missing {', '.join(missing)} (MONITOR_ADF_* settings)")
        self.subscription_id = subscription_id
        self.resource_group = resource_group
        self.factory = factory
        self.credential = credential
        self.base_url = base_url
        self.client_kwargs = client_kwargs
        self.budget = budget
        self._client: Any = None

    @classmethod
    def from_settings(cls, settings: Settings, credential: Any = None, **client_kwargs: Any) -> AdfPipelineRunSource:
        """Build the source from ``MONITOR_ADF_*`` settings."""
        client_kwargs.setdefault("timeout", settings.backend_timeout)
        client_kwargs.setdefault("budget", settings.backend_timeout)
        return cls(
            settings.adf_subscription_id,
            settings.adf_resource_group,
            settings.adf_factory,
            credential=credential,
            base_url=settings.adf_base_url,
            **client_kwargs,
        )

    def __repr__(self) -> str:
        return f"AdfPipelineRunSource({self.resource_group!r}, {self.factory!r})"

    def _get_client(self) -> Any:
        if self._client is None:
            from azure.mgmt.datafactory import DataFactoryManagementClient

            credential = self.credential
            if credential is None:
                from azure.identity import DefaultAzureCredential

                credential = DefaultAzureCredential()
            # Bounded waits: a connect and a read timeout per request, two retries, and a total budget
            # (``timeout``, seconds, retries included) unless the caller chose otherwise.
            kwargs = {"connection_timeout": CONNECT_TIMEOUT, "read_timeout": READ_TIMEOUT, "retry_total": 2,
                      "timeout": DEFAULT_BUDGET, **self.client_kwargs}
            if kwargs.get("connection_verify") is False:
                quiet_insecure_tls()
            self._client = DataFactoryManagementClient(credential, self.subscription_id, base_url=self.base_url, **kwargs)
        return self._client

    def close(self) -> None:
        """Close the management client; the next call opens a new one."""
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        from azure.core.exceptions import AzureError, HttpResponseError

        try:
            return within(self.budget, fn)
        except BudgetExceeded as exc:
            raise BackendError(_BACKEND, f"{self.factory} at {self.base_url}: {what} got {exc}") from exc
        except HttpResponseError as exc:
            raise BackendError(_BACKEND, f"{self.factory}: {what} failed: {_describe(exc)}") from exc
        except AzureError as exc:
            reason = str(getattr(exc, "message", "") or exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise BackendError(_BACKEND, f"{self.factory}: {what} failed: {reason}") from exc

    def query(
        self, start: dt.datetime | str | None = None, end: dt.datetime | str | None = None,
        pipelines: Sequence[str] | None = None,
    ) -> list[PipelineRun]:
        """Runs that started in ``[start, end)``, optionally only of the named pipelines, oldest first."""
        from azure.mgmt.datafactory.models import RunFilterParameters, RunQueryFilter, RunQueryOrderBy

        if pipelines is not None and not pipelines:
            return []
        now = dt.datetime.now(dt.timezone.utc)
        start_iso, end_iso = to_iso(start), to_iso(end)
        after = parse_utc(start_iso) if start_iso else now - RETENTION
        filters = []
        if pipelines:
            filters.append(RunQueryFilter(operand="PipelineName", operator="In", values_property=list(pipelines)))
        order = [RunQueryOrderBy(order_by="RunStart", order="ASC")]
        client = self._get_client()
        runs: list[PipelineRun] = []
        token: str | None = None
        while True:
            params = RunFilterParameters(
                last_updated_after=after, last_updated_before=now + _SKEW, filters=filters or None,
                order_by=order, continuation_token=token,
            )
            page = self._call(
                "query pipeline runs",
                lambda params=params: client.pipeline_runs.query_by_factory(self.resource_group, self.factory, params),
            )
            runs.extend(self._to_run(r) for r in page.value or [])
            token = page.continuation_token
            if not token:
                break
        selected = [
            r for r in runs
            if r.run_start is not None
            and (start_iso is None or r.run_start >= start_iso)
            and (end_iso is None or r.run_start < end_iso)
        ]
        return sorted(selected, key=lambda r: (r.run_start or "", r.run_id))

    def activity_runs(self, run: PipelineRun) -> list[ActivityRun]:
        """The activity runs of one pipeline run, in the order they started."""
        from azure.mgmt.datafactory.models import RunFilterParameters, RunQueryOrderBy

        now = dt.datetime.now(dt.timezone.utc)
        after = (parse_utc(run.run_start) - _SKEW) if run.run_start else now - RETENTION
        client = self._get_client()
        out: list[ActivityRun] = []
        token: str | None = None
        while True:
            params = RunFilterParameters(
                last_updated_after=after, last_updated_before=now + _SKEW,
                order_by=[RunQueryOrderBy(order_by="ActivityRunStart", order="ASC")], continuation_token=token,
            )
            page = self._call(
                f"query activity runs of run {run.run_id}",
                lambda params=params: client.activity_runs.query_by_pipeline_run(
                    self.resource_group, self.factory, run.run_id, params
                ),
            )
            out.extend(_to_activity(a) for a in page.value or [])
            token = page.continuation_token
            if not token:
                return out

    def _to_run(self, r: Any) -> PipelineRun:
        invoked_by = getattr(r, "invoked_by", None)
        return PipelineRun(
            run_id=r.run_id or "",
            pipeline_name=r.pipeline_name or "",
            status=r.status or "",
            run_start=to_iso(r.run_start),
            run_end=to_iso(r.run_end),
            duration_ms=r.duration_in_ms,
            message=r.message or "",
            parameters={str(k): "" if v is None else str(v) for k, v in (r.parameters or {}).items()},
            invoked_by=(getattr(invoked_by, "name", None) or "") if invoked_by is not None else "",
            run_group_id=r.run_group_id or "",
            factory=self.factory,
        )


def _to_activity(a: Any) -> ActivityRun:
    error = a.error
    message = ""
    if isinstance(error, dict):
        message = str(error.get("message") or "")
    elif error is not None:
        message = str(getattr(error, "message", "") or "")
    return ActivityRun(
        activity_name=a.activity_name or "",
        activity_type=a.activity_type or "",
        status=a.status or "",
        run_start=to_iso(a.activity_run_start),
        run_end=to_iso(a.activity_run_end),
        duration_ms=a.duration_in_ms,
        error=message,
    )


def _describe(exc: Any) -> str:
    status = getattr(exc, "status_code", None)
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    message = getattr(error, "message", None)
    if not message:
        message = str(getattr(exc, "message", "") or exc).strip().splitlines()[0] if str(exc) else ""
    parts = [f"HTTP {status}" if status else "", f"{code}:" if code else "", message or ""]
    return " ".join(p for p in parts if p)
