"""Alerts: rules evaluated on snapshots and pipeline runs, fired once per change of state, delivered to channels.

- :mod:`monitor.alerts.config`: the typed rules of ``monitor.toml`` (``[alerts]``, ``[models.alerts]``);
- :mod:`monitor.alerts.rules`: pure evaluation, snapshots and pipeline runs to rule states;
- :mod:`monitor.alerts.state`: alert state, history and user actions as documents of the snapshot store;
- :mod:`monitor.alerts.channels`: generic webhook, Microsoft Teams, Slack and e-mail (SMTP);
- :mod:`monitor.alerts.deliver`: what the monitoring job runs after it wrote the snapshots.

Importing this package imports only the configuration (the onboarding file's parser needs it).
"""

from monitor.alerts.config import RULES, AlertsSpec, ModelAlerts, Rule

__all__ = ["RULES", "AlertsSpec", "ModelAlerts", "Rule"]
