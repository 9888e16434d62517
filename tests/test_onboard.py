"""``python -m monitor onboard``: the proposed [[models]] table, on plain frames and against real MLflow on SQLite."""

from __future__ import annotations

import tomllib
import warnings

import numpy as np
import pandas as pd
import pytest

from monitor.onboard import OnboardError, append_table, model_name, propose_table
from monitor.spec import load_spec, parse_spec

CLASSIFIER, REGRESSOR = "churn-classifier", "Store Demand.Regressor"
EXISTING = """# Onboarding file of the team.

[[models]]
name = "loan_default"
registered_model = "loan-default-classifier"
task = "classification"
numeric_features = ["income"]
categorical_features = ["region"]
prediction = "prediction"

[models.drift]
share = 0.25
"""


def _table(text: str) -> dict:
    """The one proposed table, checked by TOML and by the onboarding file's own parser."""
    data = tomllib.loads(text)
    spec = parse_spec(data)
    assert [m.name for m in spec.models] == [data["models"][0]["name"]]
    return data["models"][0]


def _mixed(n: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "income": rng.normal(50, 10, n),
        "age": rng.integers(18, 90, n),
        "children": rng.integers(0, 4, n),
        "region": rng.choice(["north", "south"], n),
        "plan": pd.Categorical(rng.choice(["basic", "plus", "pro"], n)),
        "active": rng.random(n) < 0.5,
        "signed_up": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
        "churned": rng.integers(0, 2, n),
    })


# -- the pure proposal -------------------------------------------------------------------------


def test_kinds_come_from_dtypes_and_the_one_non_input_column_is_the_target():
    frame = _mixed()
    inputs = [c for c in frame.columns if c != "churned"]
    text = propose_table("Churn-Classifier v2", "3", frame, inputs, is_classifier=True, n_classes=2)
    table = _table(text)
    assert table["name"] == "churn_classifier_v2" and table["registered_model"] == "Churn-Classifier v2"
    assert table["numeric_features"] == ["income", "age", "children"]
    assert table["categorical_features"] == ["region", "plan", "active"]
    assert (table["task"], table["prediction"], table["score"], table["target"]) == (
        "classification", "prediction", "score", "churned")
    assert (table["reference"], table["pipelines"], table["schedule_days"]) == ("training", [], 7)
    assert "version 3" in text
    code_note = next(line for line in text.splitlines() if "few distinct values" in line)
    assert line_is_comment(code_note) and "children (4 values)" in code_note and "age" not in code_note
    assert "signed_up (datetime64[ns])" in text  # left out, and said so


def line_is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def test_few_values_is_judged_against_the_number_of_rows():
    small = _mixed(n=40)  # 4 values in 40 rows is 10%: a quantity as much as a code
    text = propose_table("m", "1", small, [c for c in small.columns if c != "churned"], is_classifier=True, n_classes=2)
    assert "few distinct values" not in text
    assert _table(text)["numeric_features"] == ["income", "age", "children"]


def test_without_a_signature_every_column_but_target_prediction_and_score_is_a_feature():
    rng = np.random.default_rng(0)
    batch = pd.DataFrame({"price": rng.normal(20, 3, 50), "store": rng.choice(["a", "b"], 50),
                          "prediction": rng.integers(0, 2, 50), "score": rng.random(50), "sold": rng.integers(0, 2, 50)})
    table = _table(propose_table("demand", "1", batch, None, is_classifier=True, n_classes=2, target="sold"))
    assert table["numeric_features"] == ["price"] and table["categorical_features"] == ["store"]
    assert table["target"] == "sold" and table["score"] == "score"


def test_several_non_input_columns_name_no_target_but_list_them():
    frame = _mixed()
    text = propose_table("m", "1", frame, ["income", "region"], is_classifier=True, n_classes=2)
    table = _table(text)
    assert "target" not in table
    note = next(line for line in text.splitlines() if "are not model inputs" in line)
    assert line_is_comment(note) and all(c in note for c in ("age", "churned", "signed_up"))


def test_dtypes_alone_and_a_multiclass_model_get_no_score():
    dtypes = {"a": "float64", "b": "int32", "c": "category", "d": "bool", "e": "string", "f": "object"}
    text = propose_table("m", "2", dtypes, list(dtypes), is_classifier=True, n_classes=3, target="label")
    table = _table(text)
    assert table["numeric_features"] == ["a", "b"] and table["categorical_features"] == ["c", "d", "e", "f"]
    assert "score" not in table and "# no score: 3 classes" in text and table["target"] == "label"


def test_signature_types_decide_kinds_of_columns_missing_from_the_data():
    signature = {"x": "double", "n": "long", "s": "string", "b": "boolean", "when": "datetime"}
    text = propose_table("m", "1", None, signature, is_classifier=False)
    table = _table(text)
    assert table["numeric_features"] == ["x", "n"] and table["categorical_features"] == ["s", "b"]
    assert table["task"] == "regression" and "score" not in table and "when (datetime)" in text


def test_task_option_wins_and_an_unknown_binary_classifier_gets_score_commented_out():
    frame = _mixed().drop(columns=["signed_up"])
    inputs = [c for c in frame.columns if c != "churned"]
    forced = _table(propose_table("m", "1", frame, inputs, is_classifier=True, n_classes=2, task="regression"))
    assert forced["task"] == "regression" and "score" not in forced
    text = propose_table("m", "1", frame.dtypes, inputs, is_classifier=True, target="churned")
    assert "score" not in _table(text) and '# score = "score"' in text


def test_task_is_guessed_from_the_target_when_the_model_is_unknown_and_said_so():
    frame = _mixed().drop(columns=["signed_up"])
    inputs = [c for c in frame.columns if c != "churned"]
    text = propose_table("m", "1", frame, inputs)
    table = _table(text)
    assert table["task"] == "classification" and table["score"] == "score"
    assert "guessed from the target column 'churned'" in text
    regression = frame.assign(churned=np.linspace(0, 100, len(frame)))
    assert _table(propose_table("m", "1", regression, inputs))["task"] == "regression"
    with pytest.raises(OnboardError, match="pass --task"):
        propose_table("m", "1", frame.drop(columns=["churned"]), inputs)


def test_refusals():
    frame = _mixed()
    with pytest.raises(OnboardError, match="'income' is an input of the model"):
        propose_table("m", "1", frame, ["income", "region"], is_classifier=True, target="income")
    with pytest.raises(OnboardError, match="no numeric or categorical feature"):
        propose_table("m", "1", frame[["signed_up"]], ["signed_up"], is_classifier=True)
    with pytest.raises(OnboardError, match="task must be one of"):
        propose_table("m", "1", frame, ["income"], task="ranking")


def test_names_needing_escapes_survive_the_round_trip():
    odd = ['say "hi"', "back\\slash", "naïve col", "tab\there"]
    frame = pd.DataFrame({odd[0]: [1.0, 2.0], odd[1]: ["a", "b"], odd[2]: [1.5, 2.5], odd[3]: ["x", "y"], "y": [0, 1]})
    table = _table(propose_table('Model "quoted"\nline', "1", frame, odd, is_classifier=True, n_classes=2,
                                 description="Two\nlines", name="quoted"))
    assert table["registered_model"] == 'Model "quoted"\nline' and table["description"] == "Two lines"
    assert table["numeric_features"] == [odd[0], odd[2]] and table["categorical_features"] == [odd[1], odd[3]]
    assert table["target"] == "y"


def test_long_feature_lists_wrap_and_still_parse():
    columns = [f"feature_number_{i:03d}" for i in range(40)]
    frame = pd.DataFrame(np.zeros((3, 40)), columns=columns)
    text = propose_table("wide", "1", frame, columns, is_classifier=False)
    assert max(len(line) for line in text.splitlines() if "feature_number" in line) <= 100
    assert _table(text)["numeric_features"] == columns


def test_model_name():
    assert model_name("Loan-Default Classifier") == "loan_default_classifier"
    assert model_name("team/store.demand@v2") == "team_store_demand_v2"
    assert model_name("2024 model") == "model_2024_model"
    with pytest.raises(OnboardError, match="pass --name"):
        model_name("--")


# -- appending to the onboarding file ---------------------------------------------------------


def _proposal(name: str = "churn") -> str:
    frame = _mixed().drop(columns=["signed_up"])
    return propose_table("churn-classifier", "1", frame, [c for c in frame.columns if c != "churned"],
                         is_classifier=True, n_classes=2, name=name)


def test_append_keeps_the_file_valid_and_refuses_a_name_twice(tmp_path):
    path = tmp_path / "monitor.toml"
    path.write_text(EXISTING.rstrip("\n"))  # no final newline: the table must still start on its own line
    append_table(path, "churn", _proposal())
    spec = load_spec(path)
    assert spec.names == ["loan_default", "churn"] and spec.model("loan_default").drift.share == 0.25
    assert spec.model("churn").categorical_features == ("region", "plan", "active")
    before = path.read_text()
    with pytest.raises(OnboardError, match="already has a model named 'churn'"):
        append_table(path, "churn", _proposal())
    assert path.read_text() == before


def test_append_creates_a_missing_file(tmp_path):
    path = tmp_path / "conf" / "monitor.toml"
    append_table(path, "churn", _proposal())
    assert load_spec(path).names == ["churn"]


def test_an_append_that_would_break_the_file_is_undone_and_explained(tmp_path):
    path = tmp_path / "monitor.toml"
    path.write_text(EXISTING)
    broken = _proposal("other").replace('task = "classification"', 'task = "ranking"')
    with pytest.raises(OnboardError, match="field 'task' must be one of") as info:
        append_table(path, "other", broken)
    assert "left as it was" in str(info.value)
    assert path.read_text() == EXISTING
    fresh = tmp_path / "fresh.toml"
    with pytest.raises(OnboardError):
        append_table(fresh, "other", broken)
    assert not fresh.exists()


def test_a_file_that_is_not_toml_is_not_touched(tmp_path):
    path = tmp_path / "monitor.toml"
    path.write_text("[[models]\nname = ")
    with pytest.raises(OnboardError, match="not valid TOML"):
        append_table(path, "churn", _proposal())
    assert path.read_text() == "[[models]\nname = "


# -- end to end: a registered model in real MLflow (SQLite) -------------------------------------


def _churn(n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.DataFrame({
        "tenure": rng.integers(1, 73, n),
        "monthly_charges": rng.normal(70, 20, n).round(2),
        "contract": rng.choice(["monthly", "yearly", "two_year"], n),
        "payment_method": rng.choice(["card", "transfer", "check"], n),
    })
    logit = -0.04 * (frame["tenure"] - 30) + 0.03 * (frame["monthly_charges"] - 70) + (frame["contract"] == "monthly")
    return frame, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int).to_numpy()


def _pipeline(numeric: list[str], categorical: list[str], estimator):
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    prep = ColumnTransformer([("num", "passthrough", numeric), ("cat", OneHotEncoder(handle_unknown="ignore"), categorical)])
    return Pipeline([("prep", prep), ("model", estimator)])


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """One MLflow store for the module (creating one costs seconds): a classifier with signature and reference,
    and a regressor with neither whose scoring job logged one batch."""
    import mlflow
    from mlflow.models import infer_signature
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from monitor.batches import log_batch, log_reference
    from monitor.config import Settings

    workspace = tmp_path_factory.mktemp("onboard-ws")
    settings = Settings(workspace=workspace)
    uri, root = settings.mlflow_tracking_uri, settings.artifact_root
    previous = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    rng = np.random.default_rng(11)
    try:
        with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # MLflow's hints about integer columns and pip requirements
            mp.setenv("MONITOR_WORKSPACE", str(workspace))
            mp.setenv("MONITOR_SPEC", str(workspace / "no-spec-yet.toml"))
            mlflow.set_tracking_uri(uri)
            mlflow.set_registry_uri(uri)
            exp = mlflow.MlflowClient(uri, registry_uri=uri).create_experiment("training", artifact_location=f"{root}/training")
            X, y = _churn(300, rng)
            classifier = _pipeline(["tenure", "monthly_charges"], ["contract", "payment_method"],
                                   LogisticRegression(max_iter=500)).fit(X, y)
            with mlflow.start_run(experiment_id=exp):
                log_reference(X.assign(churned=y))
                mlflow.sklearn.log_model(classifier, name="model", registered_model_name=CLASSIFIER,
                                         signature=infer_signature(X, y))
            demand = pd.DataFrame({"price": rng.normal(20, 4, 200), "weekday": rng.integers(0, 7, 200),
                                   "store": rng.choice(["urban", "rural"], 200)})
            units = 100 - 2 * demand["price"] + rng.normal(0, 5, 200)
            regressor = _pipeline(["price", "weekday"], ["store"], LinearRegression()).fit(demand, units)
            with mlflow.start_run(experiment_id=exp):
                mlflow.sklearn.log_model(regressor, name="model", registered_model_name=REGRESSOR)
            log_batch(model_name(REGRESSOR), demand.head(80), pd.Series(regressor.predict(demand.head(80)), name="prediction"),
                      model_version="1", tracking_uri=uri, artifact_root=root)
    finally:
        mlflow.set_tracking_uri(previous[0])
        mlflow.set_registry_uri(previous[1])
    return workspace


@pytest.fixture
def cli(registry, tmp_path, monkeypatch, capsys):
    """Runs ``python -m monitor ...`` in-process against the module's store and a fresh onboarding file."""
    import mlflow

    from monitor.cli import main

    spec = tmp_path / "monitor.toml"
    spec.write_text(EXISTING)
    monkeypatch.setenv("MONITOR_WORKSPACE", str(registry))
    monkeypatch.setenv("MONITOR_SPEC", str(spec))
    previous = mlflow.get_tracking_uri(), mlflow.get_registry_uri()

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["onboard", *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    run.spec = spec
    yield run
    mlflow.set_tracking_uri(previous[0])  # the CLI points the process-wide URIs at this module's store
    mlflow.set_registry_uri(previous[1])


@pytest.mark.slow
def test_onboard_appends_the_classifier_table_and_the_file_still_parses(cli):
    code, out, err = cli(CLASSIFIER, "--append")
    assert code == 0, err
    table = _table(out)
    assert "appended model 'churn_classifier'" in err
    spec = load_spec(cli.spec)
    assert spec.names == ["loan_default", "churn_classifier"]
    model = spec.model("churn_classifier")
    assert (model.registered_model, model.task, model.numeric_features, model.categorical_features) == (
        CLASSIFIER, "classification", ("tenure", "monthly_charges"), ("contract", "payment_method"))
    assert (model.prediction, model.score, model.target, model.reference) == ("prediction", "score", "churned", "training")
    assert table["name"] == "churn_classifier" and "version 1" in out and "reference data logged by training run" in out
    assert cli.spec.read_text().endswith(out)


@pytest.mark.slow
def test_a_second_append_is_refused_and_changes_nothing(cli):
    assert cli(CLASSIFIER, "--append")[0] == 0
    before = cli.spec.read_text()
    code, _, err = cli(CLASSIFIER, "--append")
    assert code != 0 and "already has a model named 'churn_classifier'" in err
    assert cli.spec.read_text() == before


@pytest.mark.slow
def test_a_misspelt_registered_model_gets_did_you_mean(cli):
    code, out, err = cli("churn-clasifier")
    assert code != 0 and out == ""
    assert "no registered model 'churn-clasifier'" in err and "Did you mean 'churn-classifier'?" in err
    assert f"Registered models: {CLASSIFIER}, {REGRESSOR}" in err
    assert cli.spec.read_text() == EXISTING


@pytest.mark.slow
def test_options_override_name_task_and_target_and_an_unknown_version_is_named(cli):
    code, out, err = cli(CLASSIFIER, "--name", "churn", "--task", "regression", "--target", "churned", "--version", "1")
    assert code == 0, err
    table = _table(out)
    assert (table["name"], table["task"], table["target"]) == ("churn", "regression", "churned") and "score" not in table
    assert cli.spec.read_text() == EXISTING  # printed only
    code, _, err = cli(CLASSIFIER, "--version", "7")
    assert code != 0 and "has no version 7; versions: 1" in err


@pytest.mark.slow
def test_a_model_without_signature_or_reference_is_proposed_from_its_newest_batch(cli):
    code, out, err = cli(REGRESSOR)
    assert code == 0, err
    table = _table(out)
    assert table["name"] == "store_demand_regressor" and table["task"] == "regression" and "score" not in table
    assert table["numeric_features"] == ["price", "weekday"] and table["categorical_features"] == ["store"]
    assert "target" not in table
    assert "feature_names_in_" in out and "newest logged batch" in out and "no reference data" in out
