"""Settings: which backends the monitor talks to.

Read from environment variables (``MONITOR_*``) and, in the app, from the ``[monitor]`` table of
``.streamlit/secrets.toml``. Environment variables win over secrets, secrets over defaults. The
defaults are the embedded backends: MLflow on a SQLite file and a SQLite snapshot store, both in
the workspace folder, and pipeline runs recorded locally.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from monitor.errors import SettingsError
from monitor.redact import mask, register_secret

__all__ = ["Settings", "SETTING_NAMES"]

_PREFIX = "MONITOR_"
_STORES = ("sqlite", "cosmos")
_PIPELINE_SOURCES = ("local", "adf")


@dataclasses.dataclass(frozen=True)
class Settings:
    """Resolved settings. Build with :meth:`Settings.load`; every field has an env var ``MONITOR_<FIELD>``."""

    workspace: Path = Path(".monitor")
    spec: Path = Path("monitor.toml")
    tracking_uri: str = ""
    registry_uri: str = ""
    store: str = "sqlite"
    sqlite_path: Path | None = None
    cosmos_endpoint: str = ""
    cosmos_key: str = ""
    cosmos_database: str = "mlops-monitor"
    cosmos_container: str = "snapshots"
    cosmos_verify_tls: bool = True
    pipelines: str = "local"
    adf_subscription_id: str = ""
    adf_resource_group: str = ""
    adf_factory: str = ""
    adf_base_url: str = "https://management.azure.com"
    demo: bool = False
    personas: str = ""
    backend_timeout: float = 20.0
    job_schedule_hours: float = 24.0
    job_wait_seconds: float = 1800.0
    app_url: str = "http://localhost:8501"
    alert_webhook_url: str = ""
    alert_teams_url: str = ""
    alert_slack_url: str = ""
    alert_email_to: str = ""
    alert_email_from: str = ""
    alert_smtp_host: str = ""
    alert_smtp_port: int = 587
    alert_smtp_user: str = ""
    alert_smtp_password: str = ""
    alert_smtp_starttls: bool = True
    alert_channels: str = ""
    alert_retries: int = 3
    alert_backoff: float = 1.0
    alert_timeout: float = 10.0

    @property
    def mlflow_tracking_uri(self) -> str:
        """The tracking URI, defaulting to a SQLite file in the workspace."""
        return self.tracking_uri or f"sqlite:///{(self.workspace / 'mlflow.db').resolve()}"

    @property
    def mlflow_registry_uri(self) -> str:
        return self.registry_uri or self.mlflow_tracking_uri

    @property
    def artifact_root(self) -> str:
        """Where new experiments keep their artifacts when MLflow runs on a local file."""
        return (self.workspace / "mlartifacts").resolve().as_uri()

    @property
    def snapshot_db(self) -> Path:
        return self.sqlite_path or self.workspace / "snapshots.db"

    @property
    def is_local_mlflow(self) -> bool:
        return self.mlflow_tracking_uri.startswith("sqlite:")

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, secrets: Mapping[str, Any] | None = None) -> Settings:
        """Resolve settings from ``env`` (default ``os.environ``) and an optional secrets mapping.

        Raises :class:`SettingsError` naming the setting when one is unknown, malformed, or
        contradicts another.
        """
        env = os.environ if env is None else env
        raw: dict[str, Any] = {}
        for key, value in (secrets or {}).items():
            name = key.lower()
            if name not in SETTING_NAMES:
                raise SettingsError(f"unknown setting '{key}' in [monitor] secrets; known: {', '.join(SETTING_NAMES)}")
            raw[name] = value
        for key, value in env.items():
            if not key.startswith(_PREFIX):
                continue
            name = key[len(_PREFIX):].lower()
            if name not in SETTING_NAMES:
                raise SettingsError(f"unknown setting {key}; known: {', '.join(_PREFIX + n.upper() for n in SETTING_NAMES)}")
            raw[name] = value
        kwargs = {name: _coerce(name, value) for name, value in raw.items()}
        settings = cls(**kwargs)
        register_secret(settings.cosmos_key, *(_password(u) for u in (settings.tracking_uri, settings.registry_uri)),
                        *(env.get(name) for name in _SECRET_ENV), *settings._alert_secrets())
        settings._check()
        return settings

    def _check(self) -> None:
        if self.store not in _STORES:
            raise SettingsError(f"MONITOR_STORE must be one of {', '.join(_STORES)}, got '{self.store}'")
        if self.pipelines not in _PIPELINE_SOURCES:
            raise SettingsError(f"MONITOR_PIPELINES must be one of {', '.join(_PIPELINE_SOURCES)}, got '{self.pipelines}'")
        if self.store == "cosmos" and not self.cosmos_endpoint:
            raise SettingsError("MONITOR_STORE=cosmos needs MONITOR_COSMOS_ENDPOINT")
        if self.store != "cosmos" and (self.cosmos_endpoint or self.cosmos_key):
            raise SettingsError("MONITOR_COSMOS_ENDPOINT / MONITOR_COSMOS_KEY are set but MONITOR_STORE is not 'cosmos'")
        if self.store == "cosmos" and self.sqlite_path is not None:
            raise SettingsError("MONITOR_SQLITE_PATH is set but MONITOR_STORE is 'cosmos'")
        if not 0 < self.job_schedule_hours <= 24 * 366:
            raise SettingsError(f"MONITOR_JOB_SCHEDULE_HOURS must be a number of hours in (0, 8784], got {self.job_schedule_hours:g}")
        if not 0 <= self.job_wait_seconds <= 86400:
            raise SettingsError(f"MONITOR_JOB_WAIT_SECONDS must be a number of seconds in [0, 86400], got {self.job_wait_seconds:g}")
        if not 0 < self.backend_timeout <= 3600:
            raise SettingsError(f"MONITOR_BACKEND_TIMEOUT must be a number of seconds between 0 and 3600, got {self.backend_timeout:g}")
        if self.pipelines == "adf":
            missing = [n for n in ("adf_subscription_id", "adf_resource_group", "adf_factory") if not getattr(self, n)]
            if missing:
                raise SettingsError("MONITOR_PIPELINES=adf needs " + ", ".join(_PREFIX + n.upper() for n in missing))
        uri = self.mlflow_tracking_uri
        if not (uri.startswith(("sqlite:", "http://", "https://", "file:", "databricks")) or uri.startswith("/")):
            raise SettingsError(f"MONITOR_TRACKING_URI '{uri}' is not a sqlite:, http(s)://, file: or databricks URI")
        self._check_alerts()

    def _check_alerts(self) -> None:
        """Alert settings: the app's URL, the retry budget, and every channel (see :mod:`monitor.alerts.channels`)."""
        from monitor.alerts.channels import channel_specs

        if not self.app_url.startswith(("http://", "https://")):
            raise SettingsError(f"MONITOR_APP_URL must be the app's http(s):// address (used in alert links), got "
                                f"'{self.app_url}'")
        if not 0 <= self.alert_retries <= 10:
            raise SettingsError(f"MONITOR_ALERT_RETRIES must be between 0 and 10, got {self.alert_retries}")
        if not 0 <= self.alert_backoff <= 60:
            raise SettingsError(f"MONITOR_ALERT_BACKOFF must be between 0 and 60 seconds, got {self.alert_backoff:g}")
        if not 0 < self.alert_timeout <= 120:
            raise SettingsError(f"MONITOR_ALERT_TIMEOUT must be between 0 and 120 seconds, got {self.alert_timeout:g}")
        if not 0 < self.alert_smtp_port < 65536:
            raise SettingsError(f"MONITOR_ALERT_SMTP_PORT must be a TCP port, got {self.alert_smtp_port}")
        channel_specs(self)

    def _alert_secrets(self) -> list[str]:
        """Values that must never be printed: the channel URLs (their path or query is the credential) and the password."""
        from monitor.alerts.channels import secret_values

        return secret_values(self)

    def describe(self) -> dict[str, str]:
        """Settings as shown to users: the key hidden, every other value masked (:func:`monitor.redact.mask`)."""
        out = {}
        from monitor.alerts.channels import describe_target

        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name in ("cosmos_key", "alert_smtp_password") and value:
                value = "***"
            elif field.name in _ALERT_URLS and value:
                value = describe_target(value)
            out[field.name] = mask(str(value))
        out["tracking_uri"] = mask(self.mlflow_tracking_uri)
        return out


SETTING_NAMES = tuple(f.name for f in dataclasses.fields(Settings))
_ALERT_URLS = ("alert_webhook_url", "alert_teams_url", "alert_slack_url", "alert_channels")
# Credentials read by MLflow, the Databricks SDK and azure-identity from the environment: never shown.
_SECRET_ENV = ("DATABRICKS_TOKEN", "DATABRICKS_CLIENT_SECRET", "ARM_CLIENT_SECRET", "AZURE_CLIENT_SECRET",
               "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN")


def _password(uri: str) -> str | None:
    """The password of a URI's user info, if it has one."""
    import urllib.parse

    try:
        return urllib.parse.urlsplit(uri).password if "@" in uri else None
    except ValueError:
        return None
_TYPES = {f.name: f.type for f in dataclasses.fields(Settings)}


def _coerce(name: str, value: Any) -> Any:
    kind = _TYPES[name]
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise SettingsError(f"{_PREFIX}{name.upper()} must be true or false, got '{value}'")
    if kind == "float":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{_PREFIX}{name.upper()} must be a number, got '{value}'") from None
    if kind == "int":
        text = str(value).strip()
        if isinstance(value, bool) or not text.lstrip("+-").isdigit():
            raise SettingsError(f"{_PREFIX}{name.upper()} must be a whole number, got '{value}'")
        return int(text)
    if kind in ("Path", "Path | None"):
        text = str(value).strip()
        if not text:
            raise SettingsError(f"{_PREFIX}{name.upper()} is empty")
        return Path(text)
    return str(value).strip()
