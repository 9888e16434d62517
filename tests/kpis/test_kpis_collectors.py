"""The collectors read the service's port methods; a fake service stands in for MLflow and the stores."""

import dataclasses

from kpi_data import CLASSIFIER, NOW, REGRESSOR, run, snapshot, weeks

from monitor.errors import BackendError
from monitor.kpis import business_kpis_for, engineer_kpis_for, production_model_for


@dataclasses.dataclass
class Version:
    version: str
    run_id: str | None
    created: str


class FakeMlflow:
    def __init__(self, fail: bool = False):
        self.fail = fail

    def production_version(self, registered_model):
        if self.fail:
            raise BackendError("MLflow", "connection refused")
        return Version("3", "train-3", "2025-01-20T00:00:00+00:00")

    def run(self, run_id):
        return {"start": "2025-01-15T00:00:00+00:00"}


class FakeService:
    def __init__(self, profile: dict | None = None, fail: bool = False):
        self.mlflow = FakeMlflow(fail)
        self.profile = profile
        self.calls: list[tuple] = []

    def model(self, name):
        return {"churn": CLASSIFIER, "demand": REGRESSOR}[name]

    def profile_doc(self, model, version):
        return self.profile

    def snapshots(self, model, start=None, end=None):
        return [s for s in (snapshot(n, model=model) for n in range(8)) if end is None or s["ts"] < end.isoformat()]

    def pipeline_runs(self, start=None, end=None, pipelines=None):
        self.calls.append((start, end, tuple(pipelines)))
        return [run(n, 18) for n in range(8)]


def test_training_date_comes_from_the_profile_then_the_run():
    assert production_model_for(FakeService({"trained_at": "2025-01-10T00:00:00+00:00"}), CLASSIFIER).trained_at \
        == "2025-01-10T00:00:00+00:00"
    prod = production_model_for(FakeService(), CLASSIFIER)
    assert (prod.version, prod.trained_at, prod.run_id) == ("3", "2025-01-15T00:00:00+00:00", "train-3")
    assert production_model_for(FakeService(fail=True), CLASSIFIER) is None


def test_collectors_read_history_up_to_the_end_of_the_period():
    service = FakeService()
    business = business_kpis_for(service, "churn", weeks(4, 7), now=NOW)
    assert business.kpi("volume").value == 4000 and business.kpi("training_age").details["version"] == "3"
    engineer = engineer_kpis_for(service, "churn", weeks(4, 7), now=NOW)
    assert engineer.kpi("success").value == 100 and service.calls[0][2] == ("pl_ingest",)
    assert not engineer_kpis_for(service, "demand", weeks(4, 7), now=NOW).kpi("success").run_ids
    assert len(service.calls) == 1  # a model without pipelines asks for no runs
