"""The details panel of a provenance node, in plain language: what it is, when, its status in words, what it
found or how it ran, where to open it, what it links to, and the raw record behind an expander.

Every value from the records is escaped (:func:`monitor.escape.md`) or a code span
(:func:`monitor.escape.inline_code`); only links with an http(s) address are offered.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import streamlit as st

from monitor.escape import inline_code, md
from monitor.lineage import KIND_LABELS, SUMMARY, LineageGraph, Node

__all__ = ["details", "when", "duration", "short_id", "status_words", "connections"]

_COLOURS = {"ok": "green", "drifted": "red", "failed": "red", "warning": "orange", "running": "blue",
            "unknown": "gray", "collapsed": "gray"}
_WORDS = {"ok": "ok", "drifted": "drifted", "failed": "failed", "warning": "warning", "running": "running",
          "unknown": "unknown link", "collapsed": "collapsed"}
_LINKS_SHOWN = 12


def details(node: Node, graph: LineageGraph) -> None:
    """The details panel of ``node``: a plain-language summary, its links, and its raw record in an expander."""
    st.subheader(f"{KIND_LABELS[node.kind]}: {md(node.label)}")
    facts = [f"Status: :{_COLOURS.get(node.status, 'gray')}[**{md(status_words(node))}**]"]
    if node.model:
        facts.append(f"model {inline_code(node.model)}")
    if node.time:
        facts.append(md(when(node.time)))
    st.markdown(" · ".join(facts))
    what, lines = _describe(node)
    st.markdown(what)
    if lines:
        st.markdown("\n".join(f"- {line}" for line in lines))
    if node.kind == "pipeline_run" and node.fields.get("message"):
        box = st.error if node.status == "failed" else st.info
        box(f"**Message:** {md(node.fields['message'])}")
    if node.url and node.url.startswith(("https://", "http://")):
        st.link_button("Open in MLflow", node.url)
    links = connections(node, graph)
    if links:
        st.markdown("**Linked to**\n\n" + "\n".join(f"- {line}" for line in links))
    with st.expander("Raw record"):
        st.markdown(f"Node id {inline_code(node.id)}")
        rows = [{"field": k, "value": v if isinstance(v, str) else json.dumps(v, default=str)} for k, v in node.fields.items()]
        st.dataframe(rows, hide_index=True, width="stretch")
        raw_links = [{"link": e.kind, "from": e.source, "to": e.target} for e in graph.edges_of(node.id)]
        if raw_links:
            st.dataframe(raw_links, hide_index=True, width="stretch")


def status_words(node: Node) -> str:
    """The node's status in words, e.g. ``failed`` or ``drifted``."""
    return _WORDS.get(node.status, node.status)


def connections(node: Node, graph: LineageGraph) -> list[str]:
    """One markdown line per link of ``node``: where it comes from or goes to, named by kind and label."""
    lines = []
    for e in sorted(graph.edges_of(node.id), key=lambda e: e.target == node.id, reverse=True):  # upstream first
        incoming = e.target == node.id
        other_id = e.source if incoming else e.target
        other = graph.node(other_id) if other_id in graph else None
        name = f"{KIND_LABELS[other.kind]} {md(other.label)}" if other else inline_code(short_id(other_id))
        count = e.attrs.get("count")
        how = md(e.kind.replace("_", " ")) + (f", {count} links" if isinstance(count, int) and count > 1 else "")
        outcome = e.attrs.get("outcome")
        if isinstance(outcome, str) and outcome not in ("Succeeded", ""):
            how += f", {md(outcome.lower())}"
        lines.append(f"{'← from' if incoming else '→ to'} {name} ({how})")
    if len(lines) > _LINKS_SHOWN:
        lines = lines[:_LINKS_SHOWN] + [f"and {len(lines) - _LINKS_SHOWN} more (see the raw record)"]
    return lines


# -- one description per kind ---------------------------------------------------------------------------
def _describe(node: Node) -> tuple[str, list[str]]:
    """A sentence saying what ``node`` is, and the facts worth reading (markdown, values escaped)."""
    f = node.fields
    if node.unknown:
        return ("A link the records name but cannot resolve: the other end is missing from MLflow, the registry or "
                "the pipeline-run source.", [md(f.get("why") or "no reason recorded")])
    describe = {"pipeline_run": _pipeline_run, "dataset": _dataset, "training_run": _training_run,
                "model_version": _model_version, "batch": _batch, "snapshot": _snapshot, SUMMARY: _summary}[node.kind]
    return describe(node, f)


def _pipeline_run(node: Node, f: Mapping[str, Any]) -> tuple[str, list[str]]:
    what = f"A run of the data pipeline {inline_code(f.get('pipeline') or '?')}"
    if f.get("invoked_by"):
        what += f", started by {md(f['invoked_by'])}"
    lines = [f"Outcome: **{md(str(f.get('status') or 'unknown').lower())}**"
             + (f" after {md(duration(f.get('duration_s')))}" if f.get("duration_s") is not None else ""),
             _span(f.get("start"), f.get("end"))]
    params = f.get("parameters") or {}
    if params:
        lines.append("Parameters: " + ", ".join(f"{md(k)} = {inline_code(v)}" for k, v in params.items()))
    lines.append(f"Run id {inline_code(short_id(f.get('runId')))}" + (f" · factory {md(f['factory'])}" if f.get("factory") else ""))
    return what + ".", lines


def _dataset(node: Node, f: Mapping[str, Any]) -> tuple[str, list[str]]:
    context = f.get("context")
    what = (f"Data set {inline_code(f.get('name') or node.label)}, logged as an input of the training run"
            + (f" ({md(context)} data)." if context else "."))
    lines = []
    if isinstance(f.get("rows"), int):
        lines.append(f"{f['rows']:,} rows")
    schema = f.get("schema")
    if isinstance(schema, list) and schema:
        lines.append(f"{len(schema)} columns: " + ", ".join(md(c) for c in schema))
    if f.get("digest"):
        lines.append(f"Digest {inline_code(short_id(f['digest']))}" + (f" · source {md(f['source_type'])}" if f.get("source_type") else ""))
    return what, lines


def _training_run(node: Node, f: Mapping[str, Any]) -> tuple[str, list[str]]:
    what = f"The MLflow run the model version was registered from: {inline_code(f.get('run_name') or node.label)}."
    lines = [f"Run status: **{md(str(f.get('status') or 'unknown').lower())}**", _span(f.get("start"), f.get("end"))]
    params, metrics = f.get("params") or {}, f.get("metrics") or {}
    if params:
        lines.append("Parameters: " + ", ".join(f"{md(k)} = {inline_code(v)}" for k, v in list(params.items())[:8]))
    if metrics:
        lines.append("Metrics: " + ", ".join(f"{md(k)} = {_number(v)}" for k, v in list(metrics.items())[:8]))
    lines.append(f"Run id {inline_code(short_id(f.get('run_id')))}"
                 + (f" · experiment {inline_code(f['experiment_id'])}" if f.get("experiment_id") else ""))
    return what, lines


def _model_version(node: Node, f: Mapping[str, Any]) -> tuple[str, list[str]]:
    aliases = f.get("aliases") or []
    what = (f"Version {md(f.get('version'))} of the registered model {inline_code(f.get('registered_model') or '?')}"
            + (", alias " + ", ".join(inline_code("@" + str(a)) for a in aliases) if aliases else "") + ".")
    lines = [f"Registered {md(when(f.get('created')))}", f"Registry status: **{md(str(f.get('status') or 'unknown').lower())}**"]
    if f.get("source_run"):
        lines.append(f"Trained by run {inline_code(short_id(f['source_run']))}")
    return what, lines


def _batch(node: Node, f: Mapping[str, Any]) -> tuple[str, list[str]]:
    rows = f.get("rows")
    what = (f"A scoring batch: {f'{rows:,} rows' if isinstance(rows, int) else 'rows'} scored by version "
            f"{md(f.get('model_version') or '?')} of the model, logged with the logging API.")
    lines = [f"Batch {inline_code(f.get('batch_id') or node.label)} of {md(when(f.get('batch_time')))}",
             f"Labels arrived {md(when(f['labels_at']))}" if f.get("labels_at") else "No labels yet"]
    if f.get("pipeline_run_id"):
        lines.append(f"Delivered by pipeline run {inline_code(short_id(f['pipeline_run_id']))}")
    lines.append(f"MLflow run {inline_code(short_id(f.get('run_id')))}"
                 + (f" · data digest {inline_code(short_id(f['digest']))}" if f.get("digest") else ""))
    return what, lines


def _snapshot(node: Node, f: Mapping[str, Any]) -> tuple[str, list[str]]:
    what = f"The monitoring job's checks of batch {inline_code(f.get('batch_id') or '?')}."
    n, total = f.get("n_drifted"), f.get("n_features")
    share, threshold = f.get("share_drifted"), f.get("share_threshold")
    counted = f"{n} of {total} features drifted" if isinstance(n, int) and isinstance(total, int) else "drifted features unknown"
    if isinstance(share, int | float) and isinstance(threshold, int | float):
        counted += f" ({share:.0%}; the batch counts as drifted from {threshold:.0%})"
    verdict = "**Drift detected**" if f.get("drifted") else "**No data drift**"
    lines = [f"{verdict}: {counted}"]
    features = f.get("drifted_features") or []
    if features:
        lines.append("Drifted features: " + ", ".join(inline_code(x) for x in features))
    status = f.get("status") or {}
    if isinstance(status, Mapping):
        lines.append("Prediction drift: " + ("**yes**" if status.get("prediction_drifted") else "no")
                     + " · attribution drift: " + ("**yes**" if status.get("attribution_drift") else "no")
                     + f" · critical data-quality findings: {int(status.get('critical_findings') or 0)}"
                     + " · labels: " + ("arrived" if status.get("labelled") else "not yet"))
    if isinstance(f.get("rows"), int):
        lines.append(f"{f['rows']:,} rows checked; computed {md(when(f.get('computed_at')))}")
    return what, lines


def _summary(node: Node, f: Mapping[str, Any]) -> tuple[str, list[str]]:
    what = (f"{int(f.get('batches') or 0)} older scoring batches, shown as one box with their snapshots and the "
            "pipeline runs that fed only them.")
    lines = [f"From {md(when(f.get('first')))} to {md(when(f.get('last')))}",
             f"{int(f.get('drifted_snapshots') or 0)} of {int(f.get('snapshots') or 0)} snapshots drifted",
             f"{int(f.get('pipeline_runs') or 0)} pipeline runs, {int(f.get('failed_pipeline_runs') or 0)} failed",
             "To draw them one by one, raise **Batches per model** (0 draws every batch of the period); batches "
             "before the period need an earlier start."]
    return what, lines


# -- formatting -----------------------------------------------------------------------------------------
def when(value: Any) -> str:
    """A readable UTC time: ``2026-11-16 06:00 UTC``; text that is not a time comes back as it is."""
    if not value:
        return "unknown time"
    try:
        at = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.timezone.utc)
    return at.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def duration(seconds: Any) -> str:
    """``42 s``, ``31 min``, ``1 h 05 min`` or ``2 d 3 h``."""
    try:
        s = int(round(float(seconds)))
    except (TypeError, ValueError):
        return "an unknown time"
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def short_id(value: Any, keep: int = 8) -> str:
    """A long id cut to its first ``keep`` characters and an ellipsis (the raw record holds the whole id)."""
    text = "" if value is None else str(value)
    return text if len(text) <= keep + 4 else text[:keep] + "…"


def _span(start: Any, end: Any) -> str:
    if not start:
        return "Start time unknown"
    if not end:
        return f"Started {md(when(start))}, not finished"
    first, last = when(start), when(end)
    if first[:10] == last[:10]:
        last = last[11:]
    return f"Ran {md(first)} → {md(last)}"


def _number(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else md(value)
