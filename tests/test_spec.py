import copy
from pathlib import Path

import pytest

from monitor.errors import SpecError
from monitor.spec import load_spec, parse_spec

ROOT = Path(__file__).resolve().parents[1]

GOOD = {
    "models": [{
        "name": "m1", "registered_model": "rm1", "task": "classification",
        "numeric_features": ["a", "b"], "categorical_features": ["c"], "prediction": "prediction",
        "score": "score", "target": "y", "pipelines": ["p1"],
        "drift": {"share": 0.3, "features": {"a": {"method": "psi", "threshold": 0.2}}},
    }]
}


def _problems(mutate) -> list[str]:
    data = copy.deepcopy(GOOD)
    mutate(data["models"][0])
    with pytest.raises(SpecError) as err:
        parse_spec(data, strict=True)
    return err.value.problems


def test_the_shipped_monitor_toml_is_valid():
    spec = load_spec(ROOT / "monitor.toml")
    assert spec.names == ["loan_default", "store_demand"]
    loan = spec.model("loan_default")
    assert loan.task == "classification" and loan.score == "score" and loan.drift.share == 0.25
    assert "debt_ratio" in loan.features and loan.kind_of("region") == "categorical"


def test_good_spec_parses_with_overrides():
    spec = parse_spec(GOOD)
    m = spec.model("m1")
    assert m.drift.features["a"].method == "psi" and m.drift.features["a"].threshold == 0.2
    assert m.batch_columns == ("a", "b", "c", "prediction", "score")


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda m: m.update(task="clustering"), "model 'm1': field 'task' must be one of classification, regression"),
        (lambda m: m["drift"].update(share=1.5), "model 'm1': field 'drift.share' must be in (0, 1]"),
        (lambda m: m["drift"]["features"]["a"].update(threshold=-1), "model 'm1': field 'drift.features.a'.threshold must be a positive number"),
        (lambda m: m["drift"]["features"]["a"].update(method="magic"), "model 'm1': field 'drift.features.a'.method is 'magic'; valid methods:"),
        (lambda m: m["drift"].update(features={"zzz": {"method": "psi"}}), "field 'drift.features.zzz' names a column that is not a feature"),
        (lambda m: m.pop("prediction"), "model 'm1': field 'prediction' is required"),
        (lambda m: m.update(colour="red"), "model 'm1': unknown field 'colour'"),
        (lambda m: m.update(categorical_features=["a"]), "column(s) a are both numeric and categorical"),
        (lambda m: m.update(target="a"), "field 'target' names column 'a', which is also a feature"),
        (lambda m: m.update(schedule_days=0), "field 'schedule_days' must be a number of days"),
        (lambda m: m.update(explain={"sample_size": 2}), "field 'explain.sample_size' must be an integer >= 10"),
    ],
)
def test_broken_spec_names_model_and_field(mutate, needle):
    problems = _problems(mutate)
    assert any(needle in p for p in problems), problems


def test_every_problem_is_reported_at_once():
    problems = _problems(lambda m: m.update(task="x", schedule_days=-1, colour="red"))
    assert len(problems) >= 2


def test_invalid_method_lists_the_registry_names():
    from monitor.drift import method_names

    problems = _problems(lambda m: m["drift"].update(numeric_method="nope"))
    assert any(", ".join(method_names("numeric")) in p for p in problems), problems


def test_duplicate_model_names_and_bad_toml(tmp_path):
    data = copy.deepcopy(GOOD)
    data["models"].append(copy.deepcopy(GOOD["models"][0]))
    with pytest.raises(SpecError, match="name is used by another"):
        parse_spec(data, strict=True)
    bad = tmp_path / "monitor.toml"
    bad.write_text("[[models]\nname=")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(bad)
    with pytest.raises(SpecError, match="file not found"):
        load_spec(tmp_path / "missing.toml")


def test_one_broken_table_disables_only_that_model():
    data = copy.deepcopy(GOOD)
    typo = copy.deepcopy(GOOD["models"][0])
    typo.update(name="m2", numeric_featuers=["a"])
    typo.pop("numeric_features")
    data["models"].append(typo)
    spec = parse_spec(data)
    assert spec.names == ["m1"]
    assert list(spec.broken) == ["m2"]
    assert any("unknown field 'numeric_featuers' (did you mean 'numeric_features'?)" in p for p in spec.broken["m2"])
    with pytest.raises(KeyError, match="model 'm2' is disabled"):
        spec.model("m2")
    assert spec.model("m1").name == "m1"


def test_a_table_without_a_name_is_reported_by_position():
    data = copy.deepcopy(GOOD)
    data["models"].append({"task": "regression"})
    spec = parse_spec(data)
    assert spec.names == ["m1"] and list(spec.broken) == ["models[1]"]
    assert any("field 'name' is required" in p for p in spec.problems)


def test_misspelt_feature_override_suggests_the_column():
    problems = _problems(lambda m: m["drift"].update(features={"bb": {"threshold": 0.1}}))
    assert any("did you mean 'b'?" in p for p in problems), problems
