"""The collectors read the service's port methods; a fake service stands in for MLflow and the stores."""

import dataclasses

from kpi_data import CLASSIFIER, NOW, REGRESSOR, run, snapshot, week, weeks

from monitor.collect.kpis import business_kpis, engineer_kpis, production_model
from monitor.errors import BackendError


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


class FakeSpec:
    def model(self, name):
        return {"churn": CLASSIFIER, "demand": REGRESSOR}[name]


class FakeService:
    def __init__(self, profile: dict | None = None, fail: bool = False):
        self.mlflow = FakeMlflow(fail)
        self.spec = FakeSpec()
        self.profile = profile
        self.calls: list[tuple] = []
        self.snapshot_calls: list[tuple] = []

    def profile_doc(self, model, version):
        return self.profile

    def snapshots(self, model, start=None, end=None):
        self.snapshot_calls.append((model, start, end))
        return [s for s in (snapshot(n, model=model) for n in range(12))
                if (start is None or s.time >= start) and (end is None or s.time < end)]

    def pipeline_runs(self, start=None, end=None, pipelines=None):
        self.calls.append((start, end, tuple(pipelines)))
        return [run(n, 18) for n in range(8)]


def test_training_date_comes_from_the_profile_then_the_run():
    assert production_model(FakeService({"trained_at": "2025-01-10T00:00:00+00:00"}), CLASSIFIER).trained_at \
        == "2025-01-10T00:00:00+00:00"
    prod = production_model(FakeService(), CLASSIFIER)
    assert (prod.version, prod.trained_at, prod.run_id) == ("3", "2025-01-15T00:00:00+00:00", "train-3")
    assert production_model(FakeService(fail=True), CLASSIFIER) is None


def test_collectors_read_every_batch_and_the_kpis_use_those_up_to_the_end_of_the_period():
    service = FakeService()
    business = business_kpis(service, "churn", weeks(4, 7), now=NOW)
    assert service.snapshot_calls == [("churn", None, None)]  # later batches too, to say where they are
    assert business.kpi("volume").value == 4000 and business.kpi("training_age").details["version"] == "3"
    assert business.kpi("volume").batch_ids == ("churn-w04", "churn-w05", "churn-w06", "churn-w07")
    engineer = engineer_kpis(service, "churn", weeks(4, 7), now=NOW)
    assert engineer.kpi("success").value == 100 and service.calls[0][2] == ("pl_ingest",)
    assert engineer.kpi("freshness").details["latest"] == week(7).isoformat()
    assert not engineer_kpis(service, "demand", weeks(4, 7), now=NOW).kpi("success").run_ids
    assert len(service.calls) == 1  # a model without pipelines asks for no runs


def test_an_unreadable_registry_is_said_so_on_the_training_age():
    k = business_kpis(FakeService(fail=True), "churn", weeks(4, 7), now=NOW).kpi("training_age")
    assert k.value is None and k.status == "none"
    assert k.note.startswith("The model registry could not be read:") and "connection refused" in k.note
