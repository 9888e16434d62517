"""The full Evidently HTML report for one batch, built on demand for users who want its detail.

The report judges drift exactly as the Drift page does: every drift method of
:mod:`monitor.drift.methods` is registered as an Evidently stat test (``monitor_<method>``) that
computes with this package's drift engine, and the report is configured with the model's own
methods, thresholds and drift share (``[models.drift]`` of ``monitor.toml``). So each column's
verdict, the count of drifted columns and the dataset verdict are the page's; Evidently adds its
plots and tables. A note at the top of the page states the methods, thresholds and share used.
"""

from __future__ import annotations

import dataclasses
import functools
import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from monitor.drift.config import DriftSpec
from monitor.errors import BatchError
from monitor.escape import ReportError, sanitise_evidently_html

if TYPE_CHECKING:
    from monitor.drift import DriftReport
    from monitor.snapshots.types import DriftSummary
    from monitor.spec import ModelSpec

__all__ = ["evidently_html", "evidently_report", "EvidentlyReport", "ColumnVerdict", "STATTEST_PREFIX"]

STATTEST_PREFIX = "monitor_"
"""Evidently stat test names are ``monitor_<method>``: Evidently's own tests keep their names."""


@dataclasses.dataclass(frozen=True)
class ColumnVerdict:
    """One column as the Evidently report judged it (``threshold`` as applied: a guarded method's is at least
    the batch's sampling-noise bound)."""

    method: str
    threshold: float | None
    drifted: bool
    score: float | None


@dataclasses.dataclass(frozen=True)
class EvidentlyReport:
    """The report page and the verdicts read back from Evidently's own results."""

    html: str
    drifted: bool
    n_drifted: int
    n_columns: int
    share: float | None
    drift_share: float
    columns: Mapping[str, ColumnVerdict]
    notes: tuple[str, ...]


def evidently_html(spec: ModelSpec, reference: pd.DataFrame, current: pd.DataFrame, **options: Any) -> str:
    """The report page of :func:`evidently_report`."""
    return evidently_report(spec, reference, current, **options).html


def evidently_report(spec: ModelSpec, reference: pd.DataFrame, current: pd.DataFrame, *,
                     page_drift: DriftSummary | None = None, notes: Sequence[str] = ()) -> EvidentlyReport:
    """Evidently's DataDriftPreset of ``current`` against ``reference``, judged with the model's drift settings.

    ``page_drift`` is the drift the Drift page shows for this batch (the stored snapshot's): the note
    says where a column's method differs from it. ``notes`` are further sentences for the note.
    Features the drift engine cannot judge (too few reference values, no usable values in the
    batch) are left out, as the page leaves them out of its share; the note names them.

    Values from the data are escaped where the page embeds them (see
    :func:`monitor.escape.sanitise_evidently_html`), so opening the downloaded file runs no script
    taken from the data.
    """
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    _register_stattests()
    drift_spec = getattr(spec, "drift", None) or DriftSpec()
    ours = _engine_report(spec, reference, current, drift_spec)
    judged = [c for c, r in ours.features.items() if r.error is None]
    skipped = {c: r.error for c, r in ours.features.items() if r.error is not None}
    skipped.update({c: f"column '{c}' is missing from the reference data" for c in (*spec.numeric_features,
                    *spec.categorical_features) if c not in ours.features})
    if not judged:
        raise BatchError("no feature of this batch can be judged, so Evidently has nothing to report: "
                          + "; ".join(f"{e}" for e in skipped.values()))
    numeric = [c for c in judged if c in spec.numeric_features]
    categorical = [c for c in judged if c not in numeric]
    configured = {c: drift_spec.method_for(c, ours.features[c].kind) for c in judged}
    methods = {c: STATTEST_PREFIX + configured[c][0] for c in judged}
    thresholds = {c: float(t) for c, (_, t) in configured.items() if t is not None}
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    ref = Dataset.from_pandas(_frame(reference, numeric, categorical), data_definition=definition)
    cur = Dataset.from_pandas(_frame(current, numeric, categorical), data_definition=definition)
    preset = DataDriftPreset(columns=judged, drift_share=drift_spec.share, per_column_method=methods,
                             per_column_threshold=thresholds)
    snapshot = Report([preset], include_tests=True).run(cur, ref)
    columns, n_drifted, share = _read_verdicts(snapshot.dict(), judged, ours)
    drifted = share is not None and share >= drift_spec.share
    all_notes = _notes(ours, drift_spec, skipped, columns, drifted, n_drifted, page_drift) + list(notes)
    # The data (category values, column names) is embedded in a <script>: make it inert there.
    page = sanitise_evidently_html(snapshot.get_html_str(as_iframe=False))
    return EvidentlyReport(_with_note(page, drifted, n_drifted, len(judged), drift_spec.share, all_notes), drifted,
                           n_drifted, len(judged), share, drift_spec.share, columns, tuple(all_notes))


# ----------------------------------------------------------------------------------------------
# the drift engine as Evidently stat tests


@functools.cache
def _register_stattests() -> None:
    """Register every method of the drift registry as the Evidently stat test ``monitor_<method>`` (once)."""
    from evidently.legacy.calculations.stattests.registry import StatTest, register_stattest
    from evidently.legacy.core import ColumnType

    from monitor.drift import get_method, method_names

    types = {"numeric": ColumnType.Numerical, "categorical": ColumnType.Categorical}
    for name in sorted(set(method_names("numeric")) | set(method_names("categorical"))):
        method = get_method(name)
        test = StatTest(name=STATTEST_PREFIX + name, display_name=f"{name} (MLOps Monitor drift engine)",
                        allowed_feature_types=[types[k] for k in method.kinds], default_threshold=method.default_threshold)
        register_stattest(test, _engine_stattest(name))


def _engine_stattest(method: str):
    """``func(reference, current, column_type, threshold) -> (score, drifted)`` computed by the drift engine."""

    def stattest(reference: pd.Series, current: pd.Series, column_type, threshold: float) -> tuple[float, bool]:
        from evidently.legacy.core import ColumnType

        from monitor.drift import ReferenceProfile, column_drift

        name = str(reference.name)
        numeric = column_type == ColumnType.Numerical
        profile = ReferenceProfile.fit(pd.DataFrame({name: reference.reset_index(drop=True)}),
                                       [name] if numeric else [], [] if numeric else [name])
        result = column_drift(profile, name, current.reset_index(drop=True), method, threshold)
        if result.error is not None:
            raise ValueError(result.error)
        return float(result.statistic), bool(result.drifted)

    stattest.__name__ = f"{STATTEST_PREFIX}{method}"
    return stattest


def _engine_report(spec: ModelSpec, reference: pd.DataFrame, current: pd.DataFrame, drift: DriftSpec) -> DriftReport:
    """The drift engine's report of the batch: which features it can judge, with which method and threshold."""
    from monitor.drift import ReferenceProfile, compute_drift

    numeric = [c for c in spec.numeric_features if c in reference.columns]
    categorical = [c for c in spec.categorical_features if c in reference.columns]
    profile = ReferenceProfile.fit(reference.reset_index(drop=True), numeric, categorical)
    return compute_drift(profile, current.reset_index(drop=True), drift)


def _frame(data: pd.DataFrame, numeric: list[str], categorical: list[str]) -> pd.DataFrame:
    """The judged columns; a numeric column that arrived as text is read as numbers, as the drift engine reads it."""
    out = data[numeric + categorical].reset_index(drop=True).copy()
    for c in numeric:
        if not pd.api.types.is_numeric_dtype(out[c].dtype) or pd.api.types.is_bool_dtype(out[c].dtype):
            out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    return out


def _read_verdicts(doc: Mapping[str, Any], judged: list[str],
                   ours: DriftReport) -> tuple[dict[str, ColumnVerdict], int, float | None]:
    """Per-column verdicts, the drifted count and share, as Evidently's results state them."""
    n_drifted, share = 0, None
    for metric in doc.get("metrics", ()):
        if str(metric.get("metric_name", "")).startswith("DriftedColumnsCount"):
            value = metric.get("value") or {}
            n_drifted, share = int(value.get("count", 0)), float(value.get("share", 0.0))
    status = {str(t.get("name", "")).removeprefix("Value Drift for column "): str(getattr(t.get("status"), "value", t.get("status")))
              for t in doc.get("tests", ()) if str(t.get("name", "")).startswith("Value Drift for column ")}
    scores = {str(m.get("config", {}).get("column")): m.get("value") for m in doc.get("metrics", ())
              if str(m.get("metric_name", "")).startswith("ValueDrift")}
    columns = {c: ColumnVerdict(ours.features[c].method, ours.features[c].threshold, status.get(c, "").upper() == "FAIL",
                                _number(scores.get(c))) for c in judged}
    return columns, n_drifted, share if judged else None


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# ----------------------------------------------------------------------------------------------
# the note at the top of the page


def _notes(ours: DriftReport, drift: DriftSpec, skipped: Mapping[str, str | None], columns: Mapping[str, ColumnVerdict],
           drifted: bool, n_drifted: int, page_drift: DriftSummary | None) -> list[str]:
    lines = [f"Drift share: the dataset drifts when {drift.share:g} or more of the judged features drift "
             "(the model's [models.drift] share)."]
    lines += [f"{column} ({r.kind}): method {r.method} (Evidently stat test {STATTEST_PREFIX}{r.method}), {r.rule}."
              for column, r in ours.features.items() if r.error is None]
    lines += [f"{column} is left out: {error}" for column, error in skipped.items()]
    lines += [f"{column}: Evidently's run of {v.method} says {'drift' if v.drifted else 'no drift'}, the drift engine "
              f"on the same data {'drift' if ours.features[column].drifted else 'no drift'}."
              for column, v in columns.items() if v.drifted != ours.features[column].drifted]
    if page_drift is None:
        return lines
    for column, r in ours.features.items():
        shown = page_drift.features.get(column)
        if shown is not None and shown.method and shown.method != r.method:
            lines.append(f"{column}: this report uses {r.method}, the Drift page used {shown.method} "
                         "(the model's drift settings changed since the batch was monitored).")
    page_n = getattr(page_drift, "n_drifted", None)
    page_verdict = getattr(page_drift, "drifted", None)
    if page_verdict is not None and (page_verdict != drifted or page_n != n_drifted):
        lines.append(f"The Drift page shows {'DRIFT' if page_verdict else 'no drift'} with {page_n} drifted feature(s) "
                     "for this batch, computed when the batch was monitored: the data or the drift settings differ.")
    return lines


def _with_note(page: str, drifted: bool, n_drifted: int, n_columns: int, share: float, lines: Sequence[str]) -> str:
    """``page`` with a short visible note after ``<body>``; every value in it is escaped."""
    verdict = "DRIFT" if drifted else "no drift"
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    note = ('<div id="monitor-note" style="font-family:sans-serif;font-size:14px;margin:12px;padding:8px 12px;'
            'border:1px solid #999;background:#f6f6f6">'
            f"<p><b>MLOps Monitor:</b> {html.escape(verdict)}: {n_drifted} of {n_columns} features drifted "
            f"(share threshold {html.escape(f'{share:g}')}). Each column is judged by the monitor's drift engine with "
            "the model's own methods and thresholds, registered in Evidently as stat tests named monitor_&lt;method&gt;, "
            "so these verdicts are the Drift page's. Guarded methods flag drift only at or above the larger of the "
            "threshold and the batch's sampling-noise bound.</p>"
            f"<ul>{items}</ul></div>")
    at = page.find("<body>")
    if at < 0:
        raise ReportError("the Evidently report has no <body> to put the note in")
    at += len("<body>")
    return page[:at] + note + page[at:]
