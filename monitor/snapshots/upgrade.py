"""Reading snapshot documents written by earlier releases.

Schema 1 (engine versions up to 5) stored realized and baseline performance as flat dicts of
metric values next to ``bands`` and ``n_labelled``, the baseline's source in ``baseline_source``,
and no ``computed_at``. :func:`upgrade` turns any known layout into the current one without
touching the stored document; a document from a newer release is refused with a clear message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monitor.errors import MonitorError

__all__ = ["upgrade", "SnapshotSchemaError"]

CURRENT = 2
_NOT_METRICS = {"bands", "band_level", "n_labelled", "labels_at", "n", "method", "note"}


class SnapshotSchemaError(MonitorError):
    """A snapshot document this release cannot read."""


def upgrade(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The document in the current layout (a new dict; ``doc`` is left alone)."""
    version = doc.get("schema_version") or 1
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise SnapshotSchemaError(f"snapshot {doc.get('id')!r} of model {doc.get('model')!r} has an unreadable "
                                  f"schema_version {version!r}") from None
    if version > CURRENT:
        raise SnapshotSchemaError(f"snapshot {doc.get('id')!r} of model {doc.get('model')!r} was written by a newer "
                                  f"release (snapshot schema {version}; this one reads up to {CURRENT}): upgrade the app")
    out = dict(doc)
    if version < 2:
        out = _from_1(out)
    return out


def _metric_block(block: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not block:
        return None
    metrics = {k: v for k, v in block.items() if k not in _NOT_METRICS and isinstance(v, int | float)
               and not isinstance(v, bool)}
    return {"metrics": metrics, "bands": block.get("bands") or {}, "band_level": block.get("band_level"),
            "n_labelled": block.get("n_labelled") or 0, "labels_at": block.get("labels_at")}


def _from_1(doc: dict[str, Any]) -> dict[str, Any]:
    doc["performance"] = _metric_block(doc.get("performance"))
    base = _metric_block(doc.get("baseline"))
    doc["baseline"] = None if base is None else {"metrics": base["metrics"], "bands": base["bands"],
                                                 "source": doc.get("baseline_source")}
    doc.pop("baseline_source", None)
    doc.setdefault("computed_at", doc.get("stored_at"))
    doc["schema_version"] = CURRENT
    return doc
