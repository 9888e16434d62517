"""What needs attention on a model, read from its business KPIs: every failing part, each with one next step.

A *failing part* is a part of the health score below 80 (the score's own green level), or a business KPI
that is amber or red (performance, prediction shift, volume, days since training). Each item says what is
wrong in plain words (the sentence of the figure it comes from), one next step, and where the cause is shown:
the page (by its URL path) and, where that page shows one batch at a time, the batch. Nothing is computed
here that the cards do not show: the items only read the :class:`~monitor.kpis.values.Kpi` results.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from monitor.figures import HEALTH_LEVELS, STATUS_ORDER, health_status, loss_text, worst
from monitor.kpis.values import Kpi, ModelKpis

__all__ = ["Attention", "attention", "TITLES", "NEXT_STEPS", "PAGE_OF"]

TITLES = {"input data": "Inputs changed", "data quality": "Data problems", "accuracy": "Accuracy below baseline",
          "freshness": "Data is late", "prediction shift": "Predictions shifted", "volume": "Unusual prediction volume",
          "training age": "Model is getting old"}
NEXT_STEPS = {
    "input data": "See which inputs changed and since when on the Drift page. If the change is real (not a pipeline "
                  "fault), plan a retraining on recent data.",
    "data quality": "Look at the data-quality findings of this batch by column, and have the source or the pipeline "
                    "that produced them fixed.",
    "accuracy": "Check on the Performance page whether the loss holds over several batches; if it does, retrain on "
                "recent labelled data.",
    "freshness": "Check the runs of the pipelines that feed the model: a run may have failed, or the monitoring job "
                 "may have stopped.",
    "prediction shift": "Compare the predictions with the training data on the Drift page, and ask the business owner "
                        "whether the change is expected (a new customer segment, a season, a campaign).",
    "volume low": "Check the runs of the pipelines that feed the model: a batch may be missing or cut short.",
    "volume high": "Check the pipelines that feed the model for duplicated rows or a new source of traffic.",
    "training age": "Plan a retraining: see the version in production and its training run on the Provenance page.",
}
PAGE_OF = {"input data": "drift", "data quality": "drift", "accuracy": "performance", "freshness": "pipelines",
           "prediction shift": "drift", "volume": "pipelines", "training age": "provenance"}
"""The URL path of the page that shows the cause of each item."""


@dataclasses.dataclass(frozen=True)
class Attention:
    """One failing part of a model: what is wrong, one next step, and the page (and batch) that shows it."""

    key: str
    status: str
    title: str
    what: str
    next_step: str
    page: str
    figure: str = ""
    batch_id: str | None = None
    batch_ts: str | None = None

    @property
    def short(self) -> str:
        """One phrase for a table cell: ``Inputs changed (0/100)``."""
        return f"{self.title} ({self.figure})" if self.figure else self.title


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _times(report: ModelKpis) -> dict[str, str]:
    """Batch id -> time of the batches the KPIs name (the volume trend has one point per batch of the period)."""
    out: dict[str, str] = {}
    for key in ("volume", "shift"):
        kpi = report.get(key)
        if kpi is not None and kpi.figure is not None and hasattr(kpi.figure, "times"):
            out.update(zip(kpi.figure.batch_ids, kpi.figure.times, strict=False))
        elif kpi is not None and len(kpi.batch_ids) == len(kpi.trend):
            out.update(zip(kpi.batch_ids, (t for t, _ in kpi.trend), strict=True))
    return out


def _item(key: str, status: str, what: str, figure: str, times: Mapping[str, str], batch_id: str | None = None,
          step: str | None = None, title: str | None = None) -> Attention:
    return Attention(key=key, status=status, title=title or TITLES[key], what=_sentence(what),
                     next_step=NEXT_STEPS[step or key], page=PAGE_OF[key], figure=figure, batch_id=batch_id,
                     batch_ts=times.get(batch_id) if batch_id else None)


def _failing(kpi: Kpi | None) -> bool:
    return kpi is not None and kpi.status in ("warn", "alert")


def attention(report: ModelKpis) -> list[Attention]:
    """Every failing part of ``report`` (business KPIs), red before amber, in the order of the cards."""
    times = _times(report)
    items: list[Attention] = []
    health, performance = report.get("health"), report.get("performance")
    parts = health.figure.parts if health is not None and health.figure is not None else {}
    for name, part in parts.items():
        if part.score >= HEALTH_LEVELS[0]:
            continue
        status, figure = health_status(part.score), f"{part.score:.0f}/100"
        batch = part.batch_ids[-1] if part.batch_ids and name != "accuracy" else None
        if name == "accuracy" and performance is not None:
            status = worst([status, performance.status])
            figure = loss_text(performance.figure.relative_loss) if performance.figure is not None else figure
        items.append(_item(name, status, part.reason, figure, times, batch))
    if _failing(performance) and "accuracy" not in {i.key for i in items}:
        items.append(_item("accuracy", performance.status, performance.note.split(". ")[0], performance.display, times))
    shift = report.get("shift")
    if _failing(shift):
        batch = shift.figure.drift_batch or (shift.batch_ids[-1] if shift.batch_ids else None)
        items.append(_item("prediction shift", shift.status, shift.note, shift.display, times, batch))
    volume = report.get("volume")
    if _failing(volume):
        ratio = volume.details.get("ratio")
        low = ratio is None or ratio < 1
        items.append(_item("volume", volume.status, volume.note, f"{ratio:.0%} of usual" if ratio is not None else "",
                           times, step="volume low" if low else "volume high",
                           title="Fewer predictions than usual" if low else "More predictions than usual"))
    age = report.get("training_age")
    if _failing(age):
        items.append(_item("training age", age.status, age.note, age.display, times))
    return sorted(items, key=lambda i: -STATUS_ORDER[i.status])
