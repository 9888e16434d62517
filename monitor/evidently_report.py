"""The full Evidently HTML report for one batch, built on demand for users who want its detail."""

from __future__ import annotations

import pandas as pd

from monitor.escape import sanitise_evidently_html
from monitor.spec import ModelSpec

__all__ = ["evidently_html"]


def evidently_html(spec: ModelSpec, reference: pd.DataFrame, current: pd.DataFrame) -> str:
    """Evidently's DataDriftPreset of ``current`` against ``reference`` as a standalone HTML page.

    Values from the data are escaped where the page embeds them (see
    :func:`monitor.escape.sanitise_evidently_html`), so opening the downloaded file runs no script
    taken from the data.
    """
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    numeric = [c for c in spec.numeric_features if c in current.columns and c in reference.columns]
    categorical = [c for c in spec.categorical_features if c in current.columns and c in reference.columns]
    columns = numeric + categorical
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    ref = Dataset.from_pandas(reference[columns].reset_index(drop=True), data_definition=definition)
    cur = Dataset.from_pandas(current[columns].reset_index(drop=True), data_definition=definition)
    snapshot = Report([DataDriftPreset()]).run(cur, ref)
    # The data (category values, column names) is embedded in a <script>: make it inert there.
    return sanitise_evidently_html(snapshot.get_html_str(as_iframe=False))
