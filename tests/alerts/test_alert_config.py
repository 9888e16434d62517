"""Alert rules in monitor.toml: defaults, per-model overrides, and mistakes named by the parser and `validate`."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from monitor.alerts.config import DEFAULT_COOLDOWN_HOURS, RULES, ModelAlerts
from monitor.errors import SpecError
from monitor.snapshots import spec_digest
from monitor.spec import parse_spec

ROOT = Path(__file__).resolve().parents[2]
MODELS = """
[[models]]
name = "loan_default"
registered_model = "loan-default-classifier"
task = "classification"
numeric_features = ["income", "debt_ratio"]
categorical_features = ["region"]
prediction = "prediction"
score = "score"
target = "defaulted"
pipelines = ["pl_loans"]
{loan_alerts}

[[models]]
name = "store_demand"
registered_model = "store-demand-regressor"
task = "regression"
numeric_features = ["price", "temperature"]
categorical_features = ["store_region"]
prediction = "prediction"
target = "units_sold"
{demand_alerts}
"""
ALERTS = """
[alerts]
cooldown_hours = 2

[alerts.routes]
business = ["teams"]
data_science = ["slack"]

[alerts.rules]
health = { level = "red" }
feature_drift = { features = ["debt_ratio", "temperature"] }
labels_late = { days = 5 }
"""


def spec_of(alerts: str = ALERTS, loan: str = "", demand: str = ""):
    return parse_spec(tomllib.loads(alerts + MODELS.format(loan_alerts=loan, demand_alerts=demand)))


def test_without_alert_tables_every_rule_has_its_documented_default():
    spec = spec_of(alerts="")
    config = spec.alerts.for_model("loan_default")
    assert config == ModelAlerts() and config.routes == {} and config.cooldown_hours == DEFAULT_COOLDOWN_HOURS
    assert list(config.rules) == list(RULES) and all(r.enabled for r in config.rules.values())
    assert config.rule("feature_drift").features == () and config.rule("health").level == "amber"
    assert config.channels_for(["business"], ["teams", "email"]) == ("teams", "email")  # no routes: every channel


def test_defaults_apply_to_every_model_and_a_model_table_overrides_field_by_field():
    spec = spec_of(loan="""
[models.alerts]
cooldown_hours = 0
routes.data_science = ["webhook", "slack"]
rules.health = { personas = ["business", "data_engineering"] }
rules.labels_late = false
""")
    loan, demand = spec.alerts.for_model("loan_default"), spec.alerts.for_model("store_demand")
    assert loan.rule("health").level == "red" and loan.rule("health").routed_to == ("business", "data_engineering")
    assert not loan.rule("labels_late").enabled and demand.rule("labels_late").days == 5
    assert loan.rule("feature_drift").features == ("debt_ratio",) and demand.rule("feature_drift").features == ("temperature",)
    assert loan.cooldown_hours == 0 and demand.cooldown_hours == 2
    assert loan.channels_for(["data_science"], ["teams", "slack", "webhook"]) == ("webhook", "slack")
    assert demand.channels_for(["data_science"], ["teams", "slack", "webhook"]) == ("slack",)
    assert demand.channels_for(["data_engineering"], ["teams", "slack"]) == ()  # routed nowhere: recorded, not sent
    assert spec.alerts.route_channels() == {"teams", "slack", "webhook"}


def test_alert_rules_never_change_a_models_digest():
    """Editing alerts must not recompute every snapshot: the rules live beside the model, not in it."""
    plain, alerted = spec_of(alerts=""), spec_of(loan="[models.alerts]\nrules.stale = { grace_hours = 3 }")
    assert [spec_digest(m) for m in plain.models] == [spec_digest(m) for m in alerted.models]


@pytest.mark.parametrize(("alerts", "expected"), [
    ("[alerts]\ncooldown = 1", "[alerts]: unknown field 'cooldown' (did you mean 'cooldown_hours'?)"),
    ("[alerts.rules]\nhelth = true", "[alerts].rules: unknown rule 'helth' (did you mean 'health'?)"),
    ("[alerts.rules]\nhealth = { level = \"orange\" }", "[alerts].rules.health: level must be one of amber, red, got 'orange'"),
    ("[alerts.rules]\nstale = { grace = 2 }", "[alerts].rules.stale: unknown field 'grace' (did you mean 'grace_hours'?)"),
    ("[alerts.rules]\nlabels_late = { days = \"ten\" }", "[alerts].rules.labels_late.days must be a number, got 'ten'"),
    ("[alerts.rules]\npipeline_not_rerun = { hours = 0 }", "[alerts].rules.pipeline_not_rerun: hours must be more than 0"),
    ("[alerts.rules]\nperformance = { metric = \"auroc\" }", "[alerts].rules.performance: metric 'auroc' is unknown"),
    ("[alerts.routes]\nbusines = [\"teams\"]", "[alerts].routes: 'busines' is not a persona (did you mean 'business'?)"),
    ("[alerts.routes]\nbusiness = \"teams\"", "[alerts].routes.business must be a list of names"),
    ("[alerts.rules]\nfeature_drift = { features = [\"debt_ration\"] }",
     "[alerts].rules.feature_drift.features names 'debt_ration', which is a feature of no model (did you mean 'debt_ratio'?)"),
])
def test_mistakes_in_the_alerts_table_are_named(alerts, expected):
    with pytest.raises(SpecError) as info:
        spec_of(alerts=alerts)
    assert any(p.startswith(expected) for p in info.value.problems), info.value.problems


def test_a_mistake_in_a_models_alerts_disables_that_model_only():
    spec = spec_of(demand="""
[models.alerts]
rules.feature_drift = { features = ["temprature"] }
rules.performance = { metric = "auc" }
""")
    assert spec.names == ["loan_default"]
    assert spec.broken["store_demand"] == (
        "model 'store_demand': alerts.rules.feature_drift.features names 'temprature', which is not a feature of "
        "this model (did you mean 'temperature'?)",
        "model 'store_demand': alerts.rules.performance.metric 'auc' does not apply to a regression model; "
        "regression metrics: mae, rmse, mape, r2",
    )


def test_a_misspelt_alerts_table_in_a_model_gets_a_did_you_mean():
    spec = spec_of(alerts="", loan="[models.alert]\nrules.stale = false")
    assert "unknown field 'alert' (did you mean 'alerts'?)" in spec.broken["loan_default"][0]


def test_validate_names_alert_mistakes(tmp_path):
    path = tmp_path / "monitor.toml"
    path.write_text(ALERTS + MODELS.format(loan_alerts="[models.alerts]\nrules.health = { level = \"crimson\" }",
                                           demand_alerts=""))
    out = subprocess.run([sys.executable, "-m", "monitor", "validate", "--offline"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env={**os.environ, "MONITOR_SPEC": str(path)})
    assert out.returncode == 1
    assert ("error: model 'loan_default': alerts.rules.health: level must be one of amber, red, got 'crimson' "
            "(this model is disabled until its table is fixed)") in out.stdout


def test_every_rule_links_to_a_page_of_the_app():
    from ui.gate import PAGES, SHARED

    paths = {p.url_path for _, pages in [*PAGES.values(), SHARED] for p in pages}
    assert {cls.page for cls in RULES.values()} | {"alerts"} <= paths
