from pathlib import Path

import pytest

from monitor.config import Settings
from monitor.errors import SettingsError


def test_defaults_are_embedded_backends(tmp_path):
    s = Settings.load(env={"MONITOR_WORKSPACE": str(tmp_path)})
    assert s.store == "sqlite" and s.pipelines == "local"
    assert s.mlflow_tracking_uri == f"sqlite:///{(tmp_path / 'mlflow.db').resolve()}"
    assert s.mlflow_registry_uri == s.mlflow_tracking_uri
    assert s.snapshot_db == tmp_path / "snapshots.db"


def test_env_wins_over_secrets():
    s = Settings.load(env={"MONITOR_TRACKING_URI": "http://127.0.0.1:5000"}, secrets={"tracking_uri": "databricks"})
    assert s.mlflow_tracking_uri == "http://127.0.0.1:5000"
    assert Settings.load(env={}, secrets={"tracking_uri": "databricks"}).mlflow_tracking_uri == "databricks"


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"MONITOR_STOER": "sqlite"}, "unknown setting MONITOR_STOER"),
        ({"MONITOR_STORE": "postgres"}, "MONITOR_STORE must be one of sqlite, cosmos"),
        ({"MONITOR_STORE": "cosmos"}, "MONITOR_STORE=cosmos needs MONITOR_COSMOS_ENDPOINT"),
        ({"MONITOR_COSMOS_ENDPOINT": "https://x.documents.azure.com"}, "MONITOR_STORE is not 'cosmos'"),
        ({"MONITOR_PIPELINES": "adf", "MONITOR_ADF_FACTORY": "f"}, "MONITOR_ADF_SUBSCRIPTION_ID, MONITOR_ADF_RESOURCE_GROUP"),
        ({"MONITOR_COSMOS_VERIFY_TLS": "maybe"}, "MONITOR_COSMOS_VERIFY_TLS must be true or false"),
        ({"MONITOR_TRACKING_URI": "ftp://nowhere"}, "MONITOR_TRACKING_URI"),
    ],
)
def test_bad_settings_name_the_setting(env, needle):
    with pytest.raises(SettingsError, match=needle.replace("(", r"\(")):
        Settings.load(env=env)


def test_unknown_secret_is_named():
    with pytest.raises(SettingsError, match="unknown setting 'cosmos_endpiont'"):
        Settings.load(env={}, secrets={"cosmos_endpiont": "x"})


def test_describe_masks_the_key():
    s = Settings.load(env={"MONITOR_STORE": "cosmos", "MONITOR_COSMOS_ENDPOINT": "https://a", "MONITOR_COSMOS_KEY": "secret"})
    assert s.describe()["cosmos_key"] == "***"
    assert isinstance(s.workspace, Path)
