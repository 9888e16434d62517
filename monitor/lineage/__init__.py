"""The provenance graph: plain nodes and edges from pipeline runs to drift snapshots.

Pure computation on plain typed records; :mod:`monitor.collect.lineage` reads those records from
the backends (``MonitorService.lineage_records``) and the app draws and exports the graph
(``ui.graph``, ``ui.graph_layout``).

- :mod:`monitor.lineage.records`: :class:`LineageRecords` (logged batches, model versions, the
  :class:`TrainingRun` each version came from, pipeline runs, typed snapshots) and the graph's
  :class:`Node`, :class:`Edge` and :class:`LineageGraph`;
- :mod:`monitor.lineage.build`: :func:`build_graph`, records to graph;
- :mod:`monitor.lineage.navigate`: a time :func:`window`, the :func:`recent` batches of each model (older
  ones folded into the summary node), the :func:`neighbourhood` of a node and :func:`trace_back`
  (everything upstream of a node).

Edges run in the direction data flows, left to right::

    pipeline run --produced--> dataset --consumed--> training run --trained--> model version
    pipeline run --triggered--> scoring batch <--scored_by-- model version
    scoring batch --monitored_by--> snapshot

``registered_as`` links a model version to a source run that is not a training run of the
logging API (or an unknown one); ``triggered`` also links a pipeline run to a training run that
logged no dataset, and a failed pipeline run to the batch it failed to deliver. A link that the
records name but cannot resolve becomes an explicit node with status ``unknown``.
"""

from monitor.lineage.build import build_graph
from monitor.lineage.navigate import neighbourhood, recent, trace_back, window
from monitor.lineage.records import (
    EDGE_KINDS,
    KIND_LABELS,
    LAYERS,
    NODE_KINDS,
    STATUS_COLORS,
    SUMMARY,
    DatasetInput,
    Edge,
    LineageGraph,
    LineageRecords,
    Node,
    TrainingRun,
)

__all__ = ["NODE_KINDS", "EDGE_KINDS", "SUMMARY", "KIND_LABELS", "STATUS_COLORS", "LAYERS", "Node", "Edge",
           "LineageGraph", "DatasetInput", "TrainingRun", "LineageRecords", "build_graph", "window", "recent",
           "neighbourhood", "trace_back"]
