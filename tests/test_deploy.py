"""The production job definitions in deploy/, checked without a cloud account.

- The Databricks bundle's job is parsed with the Databricks SDK's ``JobSettings`` (and the scoring job's
  ``run_job_task`` from the README with ``Task``): what the YAML says must survive the SDK's round trip.
- The Data Factory pipelines are parsed with azure-mgmt-datafactory's models: activities, dependencies, the Web
  activities' ARM calls and managed-identity authentication.
- The Container Apps job's ``az containerapp job create`` command is read from its script.
- The command line each definition runs is run here against the demo workspace, with a snapshot store of its own:
  exit 0 and ``snapshots written: N, skipped: M, failed: 0``; and exit codes 1 and 2 reach the scheduler.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import string
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.test_dockerfile import _dockerignore, _dockerignored, instructions

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
BUNDLE_DIR = DEPLOY / "databricks"
RUNNER = DEPLOY / "run_monitor.py"
ACA_SCRIPT = DEPLOY / "containerapps" / "create-job.sh"
ADF_PIPELINE = DEPLOY / "adf" / "pl_monitor_after_scoring.json"
ADF_DATABRICKS_PIPELINE = DEPLOY / "adf" / "pl_monitor_after_scoring_databricks.json"
SUMMARY = re.compile(r"^snapshots written: (\d+), skipped: (\d+), failed: (\d+)", re.M)

# Values for the bundle's variables without a default, and for the bundle's own substitutions.
BUNDLE_VALUES = {
    "var.cosmos_endpoint": "https://acct.documents.azure.com:443/",
    "var.adf_subscription_id": "00000000-0000-0000-0000-000000000000",
    "var.adf_resource_group": "rg-ml",
    "var.adf_factory": "adf-ml",
    "workspace.file_path": "/Workspace/Users/ci@example.com/.bundle/mlops-monitor/prod/files",
}
# Values for the Container Apps script's shell variables.
SHELL_VALUES = {
    "JOB": "mlops-monitor-job", "RG": "rg-ml", "ENVIRONMENT": "cae-ml", "REGISTRY": "acrml", "TAG": "0.2.0",
    "IDENTITY_ID": "/subscriptions/0/resourceGroups/rg-ml/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id",
    "IDENTITY_CLIENT_ID": "11111111-1111-1111-1111-111111111111", "MLFLOW_URI": "https://mlflow.example.com",
    "MLFLOW_TOKEN_SECRET": "https://kv-ml.vault.azure.net/secrets/mlflow-token",
    "COSMOS_ENDPOINT": "https://acct.documents.azure.com:443/", "ADF_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000000",
    "ADF_RESOURCE_GROUP": "rg-ml", "ADF_FACTORY": "adf-ml",
}
# A runner that executes a file in-process, as Databricks runs a spark_python_task's file.
IN_PROCESS = """
import runpy, sys
path, args = sys.argv[1], sys.argv[2:]
sys.argv = [path, *args]
try:
    runpy.run_path(path, run_name="__main__")
except SystemExit as exc:
    print(f"raised SystemExit({exc.code})", flush=True)
    raise
print("returned normally", flush=True)
"""


# -- helpers -------------------------------------------------------------------------------------------------------

def bundle() -> dict:
    return yaml.safe_load((BUNDLE_DIR / "databricks.yml").read_text())


def substitute(value, values: dict[str, str]):
    """``${...}`` references replaced, as ``databricks bundle deploy`` does; an unknown reference fails the test."""
    if isinstance(value, dict):
        return {k: substitute(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, values) for v in value]
    if isinstance(value, str):
        def one(match: re.Match) -> str:
            assert match.group(1) in values, f"unknown reference ${{{match.group(1)}}} in {value!r}"
            return values[match.group(1)]
        return re.sub(r"\$\{([\w.]+)\}", one, value)
    return value


def bundle_values(doc: dict) -> dict[str, str]:
    values = {f"var.{name}": str(spec["default"]) for name, spec in doc["variables"].items() if "default" in spec}
    return {**values, **BUNDLE_VALUES}


def monitor_job() -> tuple[dict, dict]:
    """(the job resource as written, the same with every reference resolved)."""
    doc = bundle()
    job = doc["resources"]["jobs"]["mlops_monitor"]
    return job, substitute(job, bundle_values(doc))


def local_path(bundle_relative: str) -> Path:
    """A path of the bundle as a local file (paths in databricks.yml are relative to it)."""
    return (BUNDLE_DIR / bundle_relative).resolve()


_QUARTZ_FIELDS = [("seconds", 0, 59), ("minutes", 0, 59), ("hours", 0, 23), ("day-of-month", 1, 31), ("month", 1, 12),
                  ("day-of-week", 1, 7), ("year", 1970, 2099)]
_CRON_FIELDS = [("minute", 0, 59), ("hour", 0, 23), ("day-of-month", 1, 31), ("month", 1, 12), ("day-of-week", 0, 7)]
_NAMES = {"month": ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
          "day-of-week": ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]}


def _field_problems(text: str, name: str, lo: int, hi: int) -> list[str]:
    """Problems of one cron field: lists of ``*``, ``n``, ``a-b``, with an optional ``/step`` (names for months/days)."""
    names = _NAMES.get(name, [])
    first = lo if names else 0  # JAN is 1; SUN is 1 in Quartz, 0 in cron
    problems = []
    for part in text.split(","):
        base, slash, step = part.partition("/")
        if slash and not (step.isdigit() and int(step) >= 1):
            problems.append(f"{name}: bad step in '{part}'")
        if base == "*":
            continue
        for bound in base.split("-", 1):
            number = str(names.index(bound.upper()) + first) if bound.upper() in names else bound
            if not (number.isdigit() and lo <= int(number) <= hi):
                problems.append(f"{name}: '{bound}' is not in {lo}-{hi}")
    return problems


def quartz_problems(expression: str) -> list[str]:
    """Why ``expression`` is not a Quartz cron expression (the subset without L, W and #); empty when it is one."""
    fields = expression.split()
    if len(fields) not in (6, 7):
        return [f"{len(fields)} fields; Quartz has 6 or 7 (seconds first, year optional)"]
    problems = []
    for text, (name, lo, hi) in zip(fields, _QUARTZ_FIELDS, strict=False):
        if text == "?":
            if name not in ("day-of-month", "day-of-week"):
                problems.append(f"{name}: '?' is only for day-of-month or day-of-week")
            continue
        problems += _field_problems(text, name, lo, hi)
    if (fields[3] == "?") == (fields[5] == "?"):
        problems.append("exactly one of day-of-month and day-of-week must be '?'")
    return problems


def cron_problems(expression: str) -> list[str]:
    """Why ``expression`` is not a five-field cron expression (as Container Apps jobs take); empty when it is one."""
    fields = expression.split()
    if len(fields) != 5:
        return [f"{len(fields)} fields; cron has 5 (minute first)"]
    return [p for text, (name, lo, hi) in zip(fields, _CRON_FIELDS, strict=True) for p in _field_problems(text, name, lo, hi)]


def _command(text: str, start: str) -> list[str]:
    """The shell command beginning with ``start`` in ``text`` (continued lines joined), as tokens."""
    lines = text[text.index(start):].splitlines()
    command = []
    for line in lines:
        command.append(line.rstrip().removesuffix("\\"))
        if not line.rstrip().endswith("\\"):
            break
    return shlex.split(" ".join(command))


def az_job_create(text: str | None = None) -> dict[str, list[str]]:
    """The options of the ``az containerapp job create`` command of the Container Apps script (or of ``text``)."""
    tokens = _command(text if text is not None else ACA_SCRIPT.read_text(), "az containerapp job create")
    assert tokens[:4] == ["az", "containerapp", "job", "create"]
    options: dict[str, list[str]] = {}
    current = None
    for token in tokens[4:]:
        if token.startswith("--"):
            assert token not in options, f"{token} given twice"
            current = options.setdefault(token, [])
        else:
            assert current is not None, token
            # az takes a value starting with '-' for one of its own options: "unrecognized arguments".
            assert not token.startswith("-"), f"az containerapp cannot take the value {token!r}"
            current.append(token)
    return options


def expand(value: str) -> str:
    return string.Template(value).substitute(SHELL_VALUES)


def check_settings(env: dict[str, str]) -> None:
    """The job's ``MONITOR_*`` variables are a valid, complete configuration of the monitor."""
    from monitor.config import SETTING_NAMES, Settings

    monitor_env = {k: v for k, v in env.items() if k.startswith("MONITOR_")}
    unknown = [k for k in monitor_env if k.removeprefix("MONITOR_").lower() not in SETTING_NAMES]
    assert not unknown, f"not settings of the monitor: {unknown}"
    settings = Settings.load(env=monitor_env)
    assert settings.store == "cosmos", "a scheduled job keeps nothing between runs: the store must be Cosmos DB"
    assert settings.pipelines == "adf"
    assert not settings.is_local_mlflow


def activity_models() -> dict[str, type]:
    """Activity type -> its model class, from the SDK's own discriminator registries.

    azure-mgmt-datafactory 10 nests the registries (Activity -> ControlActivity "Container" / ExecutionActivity
    "Execution" -> WebActivity, ...), and its deserializer looks only at the first level, so a pipeline read with
    ``PipelineResource`` holds plain ``Activity`` objects; :func:`as_activity` reads each one with its own class.
    """
    from azure.mgmt.datafactory import models

    found: dict[str, type] = {}
    stack = [models.Activity]
    while stack:
        parent = stack.pop()
        for key, cls in parent.__dict__.get("__mapping__", {}).items():
            if "__mapping__" in cls.__dict__:
                stack.append(cls)
            else:
                found[key] = cls
    return found


def as_activity(data):
    """The activity JSON ``data`` as the SDK model of its type.

    Built with the models' common constructor (``Model.__init__``): the generated ``__init__`` of the intermediate
    classes overwrites ``type`` with the group name ("Container", "Execution"), which would lose the activity's type.
    """
    from azure.mgmt.datafactory._utils.model_base import Model

    data = data.as_dict() if isinstance(data, Model) else data
    cls = activity_models()[data["type"]]
    activity = cls.__new__(cls)
    Model.__init__(activity, data)
    assert activity.as_dict() == data, data["name"]
    return activity


def unknown_keys(model, where: str = "") -> list[str]:
    """Keys of the JSON behind ``model`` (recursively) that its SDK class does not define."""
    from azure.mgmt.datafactory import models
    from azure.mgmt.datafactory._utils.model_base import Model

    if isinstance(model, models.Activity):
        model = as_activity(model)
    fields = type(model)._attr_to_rest_field  # the SDK's field table: attribute -> REST name and type
    out = [f"{where}.{k}" for k in model if k not in {rf._rest_name for rf in fields.values()}]
    for attr, rf in fields.items():
        value = getattr(model, attr, None)
        children = dict(enumerate(value)) if isinstance(value, list) else value if isinstance(value, dict) else {None: value}
        for key, child in children.items():
            if isinstance(child, Model):
                out += unknown_keys(child, f"{where}.{rf._rest_name}" + ("" if key is None else f"[{key!r}]"))
    return out


def read_pipeline(path: Path):
    """(the pipeline JSON, the SDK's PipelineResource, {activity name: activity model} at every depth)."""
    from azure.mgmt.datafactory import models

    doc = json.loads(path.read_text())
    resource = models.PipelineResource(doc)
    assert resource.as_dict() == doc
    assert unknown_keys(resource) == []
    activities = {}

    def walk(items):
        for item in items:
            activity = as_activity(item)
            activities[activity.name] = activity
            for nested in ("activities", "if_true_activities", "if_false_activities"):
                walk(getattr(activity, nested, None) or [])

    walk(resource.properties.activities)
    return doc, resource, activities


def interpolate(expression: str, parameters: dict[str, str], outputs: dict[str, str]) -> str:
    """A Data Factory string with ``@{pipeline().parameters.x}`` and ``@{activity('a').output.name}`` filled in."""
    def one(match: re.Match) -> str:
        inner = match.group(1)
        if m := re.fullmatch(r"pipeline\(\)\.parameters\.(\w+)", inner):
            return parameters[m.group(1)]
        if m := re.fullmatch(r"activity\('([^']+)'\)\.output\.name", inner):
            return outputs[m.group(1)]
        raise AssertionError(f"unexpected expression @{{{inner}}}")
    return re.sub(r"@\{([^}]*)\}", one, expression)


def depends(activity, name: str) -> list[str]:
    return [c for d in (activity.depends_on or []) if d.activity == name for c in d.dependency_conditions]


def readme_section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("## Running the job in production")
    return text[start:text.index("\n## ", start + 1)]


def run(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


def summary(result: subprocess.CompletedProcess) -> tuple[int, int, int]:
    found = SUMMARY.findall(result.stdout)
    assert found, f"no summary line in:\n{result.stdout}\n{result.stderr}"
    return tuple(int(n) for n in found[-1])


# -- the Databricks bundle -----------------------------------------------------------------------------------------

def test_the_bundle_job_survives_the_sdk_round_trip():
    from databricks.sdk.service.jobs import JobSettings

    _, job = monitor_job()
    settings = JobSettings.from_dict(job)
    assert settings.as_dict() == job
    assert settings.name == "mlops-monitor"
    assert settings.max_concurrent_runs == 1 and settings.queue.enabled, "one run at a time; the others wait"
    assert settings.schedule.quartz_cron_expression == "0 15 * * * ?"
    assert quartz_problems(settings.schedule.quartz_cron_expression) == []
    assert settings.schedule.timezone_id == "UTC" and settings.schedule.pause_status.value == "UNPAUSED"


def test_the_quartz_check_refuses_what_databricks_refuses():
    assert quartz_problems("0 0/30 8-18 ? * MON-FRI") == []
    assert quartz_problems("15 * * * *")  # five fields: plain cron
    assert quartz_problems("0 15 * * * *")  # Quartz wants '?' in day-of-month or day-of-week
    assert quartz_problems("0 60 * * * ?")
    assert quartz_problems("0 15 * ? * ?")
    assert cron_problems("15 * * * *") == [] and cron_problems("0 15 * * * ?")


def test_the_bundle_task_runs_the_runner_with_the_wheel_and_the_engine_dependencies():
    from databricks.sdk.service.jobs import JobSettings

    doc = bundle()
    _, job = monitor_job()
    [task] = JobSettings.from_dict(job).tasks
    assert task.spark_python_task.python_file == "../run_monitor.py" and local_path("../run_monitor.py") == RUNNER
    assert task.spark_python_task.parameters == ["run"]
    assert task.max_retries == 1 and task.retry_on_timeout is False

    # The wheel built by the bundle's artifact from this repository is the wheel the task installs.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    [artifact] = doc["artifacts"].values()
    assert artifact["type"] == "whl" and (local_path(artifact["path"]) / "pyproject.toml").is_file()
    assert local_path(artifact["path"]) == ROOT
    assert "--wheel-dir dist" in artifact["build"] and "--no-deps" in artifact["build"]
    [wheel] = [lib.whl for lib in task.libraries if lib.whl]
    assert Path(wheel).parent == Path("../../dist") and local_path(wheel).parent == ROOT / "dist"
    built = f"{project['name'].replace('-', '_')}-{project['version']}-py3-none-any.whl"
    assert re.fullmatch(Path(wheel).name.replace(".", r"\.").replace("*", ".*"), built), (wheel, built)
    # The runner calls what the wheel's console script `mlops-monitor` calls.
    assert project["scripts"]["mlops-monitor"] == "monitor.cli:main"
    assert "from monitor.cli import main" in RUNNER.read_text()

    # A wheel library is installed without its extras: the `engine` extra comes as PyPI libraries, pinned as tested.
    pins = dict(line.split("==") for line in (ROOT / "constraints.txt").read_text().split() if "==" in line)
    pins = {name.lower(): version for name, version in pins.items()}
    engine = {re.split(r"[<>=!~\[ ]", req)[0].lower() for req in project["optional-dependencies"]["engine"]}
    libraries = dict(lib.pypi.package.split("==") for lib in task.libraries if lib.pypi)
    assert set(libraries) == engine
    assert {name: pins[name] for name in libraries} == libraries

    # What the runner reads from the workspace is uploaded by the bundle.
    synced = {local_path(p) for p in doc["sync"]["paths"]}
    assert synced == {RUNNER, ROOT / "monitor.toml"}


def test_the_bundle_cluster_is_one_node_with_the_monitor_settings_and_secrets_from_the_scope():
    from databricks.sdk.service.jobs import JobSettings

    raw, job = monitor_job()
    [cluster] = JobSettings.from_dict(job).job_clusters
    [task] = JobSettings.from_dict(job).tasks
    assert task.job_cluster_key == cluster.job_cluster_key
    spec = cluster.new_cluster
    assert spec.num_workers == 0
    assert spec.spark_conf["spark.databricks.cluster.profile"] == "singleNode"
    assert spec.spark_conf["spark.master"].startswith("local[")
    assert spec.custom_tags == {"ResourceClass": "SingleNode"}

    env = spec.spark_env_vars
    assert env["MONITOR_TRACKING_URI"] == "databricks"
    assert env["MONITOR_STORE"] == "cosmos" and env["MONITOR_PIPELINES"] == "adf"
    written = raw["job_clusters"][0]["new_cluster"]["spark_env_vars"]
    assert written["MONITOR_COSMOS_ENDPOINT"] == "${var.cosmos_endpoint}"
    assert written["MONITOR_SPEC"] == "${workspace.file_path}/monitor.toml"  # the copy uploaded by `sync`
    check_settings(env)

    # Credentials come from the secret scope only, as {{secrets/<scope>/<key>}}.
    secrets = {name: value for name, value in env.items() if re.search(r"SECRET|KEY|TOKEN|PASSWORD", name)}
    assert secrets, "the service principal's secret is missing"
    scope = bundle()["variables"]["secret_scope"]["default"]
    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"):
        assert re.fullmatch(rf"\{{\{{secrets/{scope}/[\w-]+\}}\}}", env[name]), (name, env[name])
    for name, value in secrets.items():
        assert value.startswith("{{secrets/"), f"{name} must come from the secret scope"


def test_the_scoring_job_in_the_readme_starts_the_monitor_job_when_scoring_succeeded():
    from databricks.sdk.service.jobs import RunIf, Task

    block = re.search(r"<!-- deploy: databricks-scoring-task -->\s*```yaml\n(.*?)```", readme_section(), re.S)
    assert block, "the README's scoring-job block is missing"
    snippet = yaml.safe_load(re.sub(r"^ {3}", "", block.group(1), flags=re.M))
    assert snippet["variables"]["mlops_monitor_job_id"]["lookup"]["job"] == monitor_job()[0]["name"]
    written = snippet["resources"]["jobs"]["scoring"]["tasks"][-1]
    task_doc = substitute(written, {"var.mlops_monitor_job_id": "123"})
    task_doc["run_job_task"]["job_id"] = int(task_doc["run_job_task"]["job_id"])
    task = Task.from_dict(task_doc)
    assert task.as_dict() == task_doc
    assert task.run_job_task.job_id == 123 and written["run_job_task"]["job_id"] == "${var.mlops_monitor_job_id}"
    assert task.run_if == RunIf.ALL_SUCCESS and [d.task_key for d in task.depends_on] == ["score"]


# -- the Container Apps job ----------------------------------------------------------------------------------------

def test_the_container_apps_job_overrides_the_image_command_on_a_schedule():
    options = az_job_create()
    assert options["--trigger-type"] == ["Schedule"]
    [cron] = options["--cron-expression"]
    assert cron_problems(cron) == []
    # The same hours as the Databricks job: Quartz has seconds first and '?' for the unused day field.
    quartz = monitor_job()[1]["schedule"]["quartz_cron_expression"].split()
    assert quartz[0] == "0" and quartz[1:5] == cron.split()[:4] and (quartz[5], cron.split()[4]) == ("?", "*")
    assert options["--replica-retry-limit"] == ["1"] and options["--parallelism"] == ["1"]
    assert expand(options["--image"][0]) == "acrml.azurecr.io/mlops-monitor:0.2.0"

    # The image starts the site with CMD and has no ENTRYPOINT, so --command/--args are the whole command line,
    # run from WORKDIR /app where the runner and monitor.toml are (not excluded from the build context).
    steps = instructions()
    assert not [a for k, a in steps if k == "ENTRYPOINT"]
    assert [a for k, a in steps if k == "WORKDIR"] == ["/app"]
    assert options["--command"] == ["python"] and options["--args"] == ["deploy/run_monitor.py", "run"]
    assert (ROOT / options["--args"][0]) == RUNNER
    for path in ("deploy/run_monitor.py", "monitor.toml"):
        assert not _dockerignored(path, _dockerignore()), path


def test_the_container_apps_job_settings_and_secrets():
    options = az_job_create()
    env = dict(expand(item).split("=", 1) for item in options["--env-vars"])
    check_settings(env)
    assert env["AZURE_CLIENT_ID"] == SHELL_VALUES["IDENTITY_CLIENT_ID"], "DefaultAzureCredential must use the job's identity"
    assert options["--mi-user-assigned"] == options["--registry-identity"] == ["$IDENTITY_ID"]

    # Secrets are Key Vault references read with the job's identity, and every secretref names one of them.
    secrets = dict(item.split("=", 1) for item in options["--secrets"])
    assert all(v.startswith("keyvaultref:") and v.endswith(",identityref:$IDENTITY_ID") for v in secrets.values())
    refs = {v.removeprefix("secretref:") for v in env.values() if v.startswith("secretref:")}
    assert refs and refs <= set(secrets)
    assert env["MLFLOW_TRACKING_TOKEN"] == "secretref:mlflow-token"


def test_the_readme_shows_the_container_apps_command_of_the_script():
    assert az_job_create(readme_section()) == az_job_create()


# -- the Data Factory pipelines ------------------------------------------------------------------------------------

def test_the_adf_pipeline_starts_the_container_apps_job_after_scoring_succeeded():
    from azure.mgmt.datafactory import models

    doc, resource, activities = read_pipeline(ADF_PIPELINE)
    assert resource.name == "pl_monitor_after_scoring"
    assert set(resource.properties.parameters) >= {"subscriptionId", "resourceGroup", "jobName"}

    scoring = activities["Run scoring"]
    assert isinstance(scoring, models.ExecutePipelineActivity) and scoring.wait_on_completion is True
    assert scoring.pipeline.type == "PipelineReference"

    start = activities["Start monitor job"]
    assert isinstance(start, models.WebActivity)
    assert depends(start, "Run scoring") == ["Succeeded"]
    assert start.method == "POST" and start.body == {}
    assert (start.authentication.type, start.authentication.resource) == ("MSI", "https://management.azure.com/")
    parameters = {"subscriptionId": "sub-1", "resourceGroup": "rg-ml", "jobName": "mlops-monitor-job"}
    job = "https://management.azure.com/subscriptions/sub-1/resourceGroups/rg-ml/providers/Microsoft.App/jobs/mlops-monitor-job"
    assert start.url["type"] == "Expression"
    assert interpolate(start.url["value"], parameters, {}) == f"{job}/start?api-version=2024-03-01"
    # The default job name is the one the Container Apps script creates.
    default_job = re.search(r'^JOB="\$\{JOB:-([\w-]+)\}"$', ACA_SCRIPT.read_text(), re.M).group(1)
    assert az_job_create()["--name"] == ["$JOB"]
    assert resource.properties.parameters["jobName"].default_value == default_job == "mlops-monitor-job"


def test_the_adf_pipeline_fails_when_the_job_execution_fails():
    from azure.mgmt.datafactory import models

    doc, resource, activities = read_pipeline(ADF_PIPELINE)
    wait = activities["Wait for monitor job"]
    assert isinstance(wait, models.UntilActivity) and depends(wait, "Start monitor job") == ["Succeeded"]
    assert wait.expression.value == "@contains(createArray('Succeeded', 'Failed', 'Stopped', 'Degraded'), variables('jobStatus'))"
    read = activities["Read monitor job execution"]
    assert isinstance(read, models.WebActivity) and read.method == "GET" and read.authentication.type == "MSI"
    parameters = {"subscriptionId": "sub-1", "resourceGroup": "rg-ml", "jobName": "mlops-monitor-job"}
    assert interpolate(read.url["value"], parameters, {"Start monitor job": "mlops-monitor-job-x1y2z3"}) == (
        "https://management.azure.com/subscriptions/sub-1/resourceGroups/rg-ml/providers/Microsoft.App/jobs/"
        "mlops-monitor-job/executions/mlops-monitor-job-x1y2z3?api-version=2024-03-01")
    keep = activities["Keep job status"]
    assert isinstance(keep, models.SetVariableActivity) and keep.variable_name in resource.properties.variables
    assert keep.value["value"] == "@activity('Read monitor job execution').output.properties.status"

    check = activities["Check monitor job"]
    assert isinstance(check, models.IfConditionActivity) and depends(check, "Wait for monitor job") == ["Succeeded"]
    assert check.expression.value == "@equals(variables('jobStatus'), 'Succeeded')"
    [fail] = check.if_false_activities
    assert isinstance(activities[fail.name], models.FailActivity) and activities[fail.name].error_code == "MonitorJobFailed"

    # Every expression names only what the pipeline defines.
    text = json.dumps(doc)
    assert set(re.findall(r"pipeline\(\)\.parameters\.(\w+)", text)) <= set(resource.properties.parameters)
    assert set(re.findall(r"variables\('(\w+)'\)", text)) <= set(resource.properties.variables)
    assert set(re.findall(r"activity\('([^']+)'\)", text)) <= set(activities)


def test_the_adf_pipeline_for_databricks_runs_the_monitor_job_after_scoring_succeeded():
    from azure.mgmt.datafactory import models

    _doc, resource, activities = read_pipeline(ADF_DATABRICKS_PIPELINE)
    job = activities["Run monitor job"]
    assert isinstance(job, models.DatabricksJobActivity)
    assert depends(job, "Run scoring") == ["Succeeded"]
    assert job.linked_service_name.type == "LinkedServiceReference"
    assert job.job_id == {"value": "@pipeline().parameters.monitorJobId", "type": "Expression"}
    assert "monitorJobId" in resource.properties.parameters


# -- the README --------------------------------------------------------------------------------------------------

def test_the_readme_documents_the_three_ways_and_the_exit_codes():
    section = readme_section()
    for path in ("deploy/databricks/databricks.yml", "deploy/containerapps/create-job.sh", "deploy/adf/pl_monitor_after_scoring.json"):
        assert path in section and (ROOT / path).is_file(), path
    for command in ("databricks bundle validate -t prod", "databricks bundle deploy -t prod",
                    "databricks bundle run -t prod mlops_monitor"):
        assert command in section, command
    assert "mlops_monitor" in bundle()["resources"]["jobs"]
    for name in bundle()["variables"]:
        assert f"`{name}`" in section or f"BUNDLE_VAR_{name}" in section, name
    for code in ("| 0 |", "| 1 |", "| 2 |"):
        assert code in section, code
    # The site is told the job's period, so its pages warn when the hourly job stops.
    from monitor.config import Settings

    [hours] = re.findall(r"`MONITOR_JOB_SCHEDULE_HOURS=(\d+)`", section)
    assert Settings.load(env={"MONITOR_JOB_SCHEDULE_HOURS": hours}).job_schedule_hours == 1
    quartz = monitor_job()[1]["schedule"]["quartz_cron_expression"].split()
    cron = az_job_create()["--cron-expression"][0].split()
    assert quartz[2] == cron[1] == "*" and quartz[1].isdigit() and cron[0].isdigit(), "both schedules are hourly"
    readme = (ROOT / "README.md").read_text()
    assert readme.index("## Running the job in production") < readme.index("## Security")


# -- the command lines, run against the demo workspace -------------------------------------------------------------

@pytest.fixture(scope="module")
def job_env(demo, tmp_path_factory):
    """The demo workspace's environment with a snapshot store of its own, so the job has every batch to compute."""
    env = dict(os.environ)
    env["MONITOR_SQLITE_PATH"] = str(tmp_path_factory.mktemp("deploy-store") / "snapshots.db")
    return env


@pytest.fixture(scope="module")
def databricks_run(job_env, tmp_path_factory):
    """The Databricks task's command line, its file run in-process as Databricks runs it, from another folder."""
    _, job = monitor_job()
    task = job["tasks"][0]["spark_python_task"]
    argv = [sys.executable, "-c", IN_PROCESS, str(local_path(task["python_file"])), *task["parameters"]]
    return run(argv, job_env, tmp_path_factory.mktemp("cluster-cwd"))


@pytest.mark.slow
def test_the_databricks_task_command_line_computes_every_snapshot(databricks_run):
    assert databricks_run.returncode == 0, databricks_run.stderr
    written, skipped, failed = summary(databricks_run)
    assert written > 0 and failed == 0
    assert databricks_run.stdout.rstrip().endswith("returned normally")


@pytest.mark.slow
def test_the_container_apps_command_line_and_python_m_monitor_run_then_write_nothing_new(databricks_run, job_env):
    written, skipped, _ = summary(databricks_run)
    options = az_job_create()
    argv = [sys.executable if options["--command"] == ["python"] else options["--command"][0], *options["--args"]]
    aca = run(argv, job_env, ROOT)  # WORKDIR /app: the image's copy of this repository
    assert aca.returncode == 0, aca.stderr
    assert summary(aca) == (0, written + skipped, 0)
    plain = run([sys.executable, "-m", "monitor", "run"], job_env, ROOT)
    assert plain.returncode == 0, plain.stderr
    assert summary(plain) == (0, written + skipped, 0)


@pytest.mark.slow
def test_a_failed_model_fails_the_task(databricks_run, job_env, tmp_path):
    """Exit 1 (one model failed, the others done) is raised in-process, so Databricks marks the task failed."""
    written, skipped, _ = summary(databricks_run)
    spec = tmp_path / "monitor.toml"
    spec.write_text((ROOT / "monitor.toml").read_text() + '\n[[models]]\nname = "ghost"\nregistered_model = "ghost-classifier"\n')
    argv = [sys.executable, "-c", IN_PROCESS, str(RUNNER), "run"]
    result = run(argv, {**job_env, "MONITOR_SPEC": str(spec)}, tmp_path)
    assert result.returncode == 1, result.stderr
    assert "raised SystemExit(1)" in result.stdout and "FAILED model 'ghost'" in result.stderr
    assert summary(result) == (0, written + skipped, 1)


def test_nothing_to_run_exits_2_from_both_command_lines(tmp_path):
    env = {**os.environ, "MONITOR_WORKSPACE": str(tmp_path / "not-a-workspace")}
    for argv in ([sys.executable, str(RUNNER), "run"], [sys.executable, "-m", "monitor", "run"]):
        result = run(argv, env, ROOT)
        assert result.returncode == 2, (argv, result.stdout, result.stderr)
        assert "MLflow" in result.stderr
