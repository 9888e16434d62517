"""The ADF source drives the real azure-mgmt-datafactory client against an ARM-shaped loopback server."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from monitor.config import Settings
from monitor.errors import BackendError
from monitor.sources.adf import AdfPipelineRunSource
from monitor.sources.pipelines import PipelineRun
from tests.peers.arm import activity_run, pipeline_run

pytestmark = [pytest.mark.azure, pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")]

FACTORY = "adf-monitor-demo"
RUNS = [
    pipeline_run("r1", "ingest_churn", "Succeeded", "2026-01-05T06:00:00Z", "2026-01-05T06:10:00Z",
                 parameters={"batch": "2026-01-05"}),
    pipeline_run("r2", "ingest_fraud", "Succeeded", "2026-01-05T07:00:00Z", "2026-01-05T07:05:30Z"),
    pipeline_run("r3", "ingest_churn", "Failed", "2026-01-06T06:00:00Z", "2026-01-06T06:02:00Z",
                 message="Operation on target copy_features failed: source table not found", invoked_by="Manual"),
    pipeline_run("r4", "ingest_churn", "Succeeded", "2026-01-07T06:00:00Z", "2026-01-07T06:09:00Z"),
    pipeline_run("r5", "score_churn", "InProgress", "2026-01-07T07:00:00Z", None),
    pipeline_run("r0", "ingest_churn", "Succeeded", "2026-01-04T06:00:00Z", "2026-01-04T06:08:00Z"),
]
ACTIVITIES = {
    "r3": [
        activity_run("r3", "ingest_churn", "copy_features", "Copy", "Failed", "2026-01-06T06:00:05Z", "2026-01-06T06:01:55Z",
                     error={"errorCode": "2200", "message": "Table 'features.churn' not found", "failureType": "UserError",
                            "target": "copy_features"}),
        activity_run("r3", "ingest_churn", "check_rows", "Validation", "Succeeded", "2026-01-06T06:00:01Z", "2026-01-06T06:00:04Z"),
        activity_run("r3", "ingest_churn", "notify", "WebActivity", "Skipped", "2026-01-06T06:01:56Z", "2026-01-06T06:01:57Z"),
    ],
}


@pytest.fixture
def adf(arm_server, arm_credential):
    state = arm_server.state
    state.factories[FACTORY] = RUNS
    state.activities.update(ACTIVITIES)
    source = AdfPipelineRunSource(state.subscription, state.resource_group, FACTORY, credential=arm_credential,
                                  base_url=arm_server.url, connection_verify=False, retry_total=0)
    yield source
    source.close()


def test_query_pages_filters_and_maps_runs(adf, arm_server):
    runs = adf.query("2026-01-05T00:00:00Z", "2026-01-07T06:30:00Z", pipelines=["ingest_churn", "ingest_fraud"])
    assert [r.run_id for r in runs] == ["r1", "r2", "r3", "r4"]
    bodies = [body for path, body in arm_server.state.requests if path.endswith("/queryPipelineRuns")]
    assert len(bodies) == 2  # 4 runs updated in range, 2 per page
    assert bodies[0]["filters"] == [{"operand": "PipelineName", "operator": "In", "values": ["ingest_churn", "ingest_fraud"]}]
    assert bodies[0]["orderBy"] == [{"orderBy": "RunStart", "order": "ASC"}]
    assert "continuationToken" not in bodies[0] and bodies[1]["continuationToken"]
    assert bodies[0]["lastUpdatedAfter"].startswith("2026-01-05T00:00:00")
    assert runs[0] == PipelineRun(
        run_id="r1", pipeline_name="ingest_churn", status="Succeeded", run_start="2026-01-05T06:00:00+00:00",
        run_end="2026-01-05T06:10:00+00:00", duration_ms=600_000, message="", parameters={"batch": "2026-01-05"},
        invoked_by="Daily 06:00", run_group_id="r1", factory=FACTORY,
    )
    failed = runs[2]
    assert failed.failed and failed.invoked_by == "Manual" and "source table not found" in failed.message


def test_query_without_filter_returns_all_runs_in_range_oldest_first(adf):
    runs = adf.query(start="2026-01-01T00:00:00Z")
    assert [r.run_id for r in runs] == ["r0", "r1", "r2", "r3", "r4", "r5"]
    assert runs[-1].run_end is None and runs[-1].duration_ms is None
    assert adf.query(pipelines=[]) == []


def test_activity_runs_of_a_failed_run_carry_the_error(adf, arm_server):
    run = next(r for r in adf.query("2026-01-06T00:00:00Z", "2026-01-07T00:00:00Z"))
    activities = adf.activity_runs(run)
    assert [a.activity_name for a in activities] == ["check_rows", "copy_features", "notify"]  # 2 pages, by start
    copy = activities[1]
    assert (copy.activity_type, copy.status, copy.error, copy.duration_ms) == ("Copy", "Failed", "Table 'features.churn' not found", 110_000)
    assert activities[0].error == "" and activities[0].run_start == "2026-01-06T06:00:01+00:00"


def test_unknown_factory_is_a_clear_backend_error(arm_server, arm_credential):
    source = AdfPipelineRunSource(arm_server.state.subscription, arm_server.state.resource_group, "no-such-factory",
                                  credential=arm_credential, base_url=arm_server.url, connection_verify=False)
    with pytest.raises(BackendError, match=r"Azure Data Factory .*no-such-factory: query pipeline runs failed: HTTP 404 "
                                           r"ResourceNotFound: The Resource 'Microsoft.DataFactory/factories/no-such-factory'"):
        source.query("2026-01-01T00:00:00Z")


def test_forbidden_factory_is_a_clear_backend_error(adf, arm_server):
    arm_server.state.forbidden.add(FACTORY)
    with pytest.raises(BackendError, match=r"adf-monitor-demo: query pipeline runs failed: HTTP 403 AuthorizationFailed: .*does not have authorization"):
        adf.query("2026-01-01T00:00:00Z")


def test_bad_token_is_a_clear_backend_error(adf, arm_server):
    arm_server.state.token = "another-token"
    with pytest.raises(BackendError, match="HTTP 401"):
        adf.query("2026-01-01T00:00:00Z")


def test_connection_refused_is_a_backend_error(arm_credential):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    source = AdfPipelineRunSource("sub", "rg", FACTORY, credential=arm_credential, base_url=f"https://127.0.0.1:{port}",
                                  connection_verify=False, retry_total=0)
    with pytest.raises(BackendError, match=r"Azure Data Factory is unreachable or failed: adf-monitor-demo: query pipeline runs failed"):
        source.query("2026-01-01T00:00:00Z")


def test_from_settings_and_lazy_client(arm_credential):
    settings = Settings(pipelines="adf", adf_subscription_id="sub", adf_resource_group="rg", adf_factory="f",
                        adf_base_url="https://management.example")
    source = AdfPipelineRunSource.from_settings(settings, credential=arm_credential)
    assert (source.subscription_id, source.resource_group, source.factory, source.base_url) == (
        "sub", "rg", "f", "https://management.example")
    assert source._client is None and arm_credential.calls == 0
    code = ("import sys; import monitor.sources.adf; "
            "assert 'azure.mgmt.datafactory' not in sys.modules and 'azure.identity' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
