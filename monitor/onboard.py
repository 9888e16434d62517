"""``python -m monitor onboard``: propose the ``[[models]]`` table of a registered model.

:func:`propose_table` is pure: from plain values (the registered model, the columns and dtypes of
its reference data or of a logged batch, the signature's input columns, whether the model is a
classifier) it writes the TOML table, with comments where a human has to decide.
:func:`onboard` gathers those values from MLflow and optionally appends the table to the
onboarding file, which is then re-read with :func:`monitor.spec.load_spec` to prove it is valid.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from monitor.batches import REFERENCE_FILE
from monitor.errors import BackendError, MonitorError, SpecError
from monitor.spec import TASKS, load_spec

__all__ = ["OnboardError", "Proposal", "propose_table", "onboard", "append_table", "model_name"]

PREDICTION, SCORE = "prediction", "score"
FEW_VALUES = 10     # an integer column with at most this many distinct values ...
FEW_SHARE = 0.05    # ... and at most this share of its rows may be a code rather than a quantity
_SIGNATURE_KINDS = {"integer": "numeric", "long": "numeric", "float": "numeric", "double": "numeric",
                    "string": "categorical", "boolean": "categorical"}
_COMMENT_AT = 38


class OnboardError(MonitorError):
    """The table cannot be proposed or appended; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class Proposal:
    """A proposed ``[[models]]`` table and, with ``--append``, the file it was appended to."""

    name: str
    version: str | None
    text: str
    appended_to: Path | None = None


def model_name(registered_model: str) -> str:
    """The monitor's name for a registered model: lower case, non-identifier characters as ``_``."""
    name = re.sub(r"\W+", "_", registered_model.strip().lower()).strip("_")
    if not name:
        raise OnboardError(f"cannot derive a model name from '{registered_model}'; pass --name")
    return f"model_{name}" if name[0].isdigit() else name


def _kind(dtype: Any) -> str | None:
    """``numeric``, ``categorical``, or ``None`` for columns that are neither (dates, durations, bytes)."""
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return "numeric"
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        return "categorical"
    return None


def _dtypes(frame: pd.DataFrame | Mapping[str, Any] | pd.Series | None) -> dict[str, Any]:
    if frame is None:
        return {}
    items = frame.dtypes.items() if isinstance(frame, pd.DataFrame) else frame.items()
    return {str(col): pd.api.types.pandas_dtype(dtype) for col, dtype in items}


def _quote(value: str) -> str:
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _listing(values: Sequence[str]) -> str:
    return ", ".join(str(v) for v in values)


def _line(key: str, value: str, comment: str = "") -> str:
    text = f"{key} = {value}"
    return f"{text.ljust(_COMMENT_AT - 2)}  # {_one_line(comment)}" if comment else text


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _array(key: str, values: Sequence[str], width: int = 100) -> list[str]:
    quoted = [_quote(v) for v in values]
    if len(key) + sum(len(q) + 2 for q in quoted) + 5 <= width:
        return [_line(key, "[" + ", ".join(quoted) + "]")]
    lines, current = [f"{key} = ["], "   "
    for q in quoted:
        if len(current) + len(q) + 2 > width:
            lines.append(current.rstrip())
            current = "   "
        current += f" {q},"
    return [*lines, current.rstrip(), "]"]


def _inputs_and_target(dtypes: dict[str, Any], signature: dict[str, str | None] | None, target: str | None,
                       notes: list[str]) -> tuple[list[str], str | None]:
    """The model's input columns, and the target: given, or the one column of the data that is not an input."""
    outputs = {PREDICTION, SCORE}
    if signature:
        others = [c for c in dtypes if c not in signature and c not in outputs]
        missing = [c for c in signature if dtypes and c not in dtypes]
        if missing:
            notes.append(f"input column(s) {_listing(missing)} are not in the data; `validate` reports them until it has them")
        inputs = list(signature)
    else:
        others, inputs = [], [c for c in dtypes if c not in outputs and c != target]
    if target is None and len(others) == 1:
        notes.append(f"target: '{others[0]}' is the only column of the data that is not a model input")
        return inputs, others[0]
    if target is None and others:
        notes.append(f"target: columns {_listing(others)} of the data are not model inputs; set target to the label column")
    elif target is None and not signature and inputs:
        notes.append("the model's input columns are unknown, so every column is proposed as a feature: "
                     "move the label column to target")
    elif target is not None and dtypes and target not in dtypes:
        notes.append(f"target column '{target}' is not in the data")
    return inputs, target


def _features(inputs: list[str], dtypes: dict[str, Any], signature: dict[str, str | None], rows: pd.DataFrame | None,
              notes: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Numeric and categorical features by dtype (else by signature type), and integer columns that look like codes."""
    numeric, categorical, left_out, codes = [], [], [], []
    for col in inputs:
        kind = _kind(dtypes[col]) if col in dtypes else _SIGNATURE_KINDS.get(str(signature.get(col)))
        if kind is None:
            left_out.append(f"{col} ({dtypes[col] if col in dtypes else signature.get(col) or 'unknown type'})")
            continue
        (numeric if kind == "numeric" else categorical).append(col)
        if kind == "numeric" and rows is not None and col in rows and pd.api.types.is_integer_dtype(dtypes[col]):
            values = rows[col].dropna()
            distinct = int(values.nunique())
            if 0 < distinct <= FEW_VALUES and distinct <= FEW_SHARE * len(values):
                codes.append(f"{col} ({distinct} values)")
    if left_out:
        notes.append(f"left out, neither numeric nor categorical: {_listing(left_out)}")
    return numeric, categorical, codes


def _task(registered_model: str, task: str | None, is_classifier: bool | None, target: str | None,
          target_values: pd.Series | None) -> tuple[str, str]:
    """The task and why: as given, from the model, else guessed from the target column."""
    if task is not None:
        if task not in TASKS:
            raise OnboardError(f"task must be one of {', '.join(TASKS)}, got '{task}'")
        return task, "as given"
    if is_classifier is not None:
        return ("classification", "the model has predict_proba or classes_") if is_classifier else (
            "regression", "the model has no predict_proba or classes_")
    if target_values is not None:
        few = _kind(target_values.dtype) == "categorical" or (
            pd.api.types.is_integer_dtype(target_values.dtype) and target_values.nunique() <= FEW_VALUES)
        return ("classification" if few else "regression"), f"guessed from the target column '{target}'; check it"
    raise OnboardError(f"registered model '{registered_model}': cannot tell classification from regression "
                       "(the model could not be loaded and there is no target column to judge by); pass --task")


def propose_table(
    registered_model: str, version: str | None = None, frame: pd.DataFrame | Mapping[str, Any] | pd.Series | None = None,
    signature_columns: Mapping[str, str | None] | Sequence[str] | None = None, *, is_classifier: bool | None = None,
    n_classes: int | None = None, target: str | None = None, name: str | None = None, task: str | None = None,
    description: str = "", source: str = "", notes: Sequence[str] = (),
) -> str:
    """The proposed ``[[models]]`` table as TOML text, with comments where a human has to decide.

    ``frame`` is the reference data (or a logged batch), or only its dtypes (column -> dtype).
    ``signature_columns`` are the model's input columns, optionally mapped to their MLflow type
    (``double``, ``long``, ``string``, ``boolean``...); without them every column of ``frame``
    but the target, prediction and score columns is proposed as a feature. ``is_classifier``
    (``None`` when the model could not be loaded) decides the task unless ``task`` is given.
    Raises :class:`OnboardError` when no table can be proposed.
    """
    name = name or model_name(registered_model)
    dtypes = _dtypes(frame)
    rows = frame if isinstance(frame, pd.DataFrame) else None
    signature = None if signature_columns is None else (
        {str(c): t for c, t in signature_columns.items()} if isinstance(signature_columns, Mapping)
        else {str(c): None for c in signature_columns})
    notes = [_one_line(n) for n in notes]
    if target is not None and signature and target in signature:
        raise OnboardError(f"registered model '{registered_model}': column '{target}' is an input of the model, "
                           "so it cannot be the target")
    inputs, target = _inputs_and_target(dtypes, signature, target, notes)
    numeric, categorical, codes = _features(inputs, dtypes, signature or {}, rows, notes)
    if not numeric and not categorical:
        raise OnboardError(f"registered model '{registered_model}': no numeric or categorical feature columns "
                           f"found in {'its signature or ' if signature is not None else ''}{source or 'the data'}")
    target_values = rows[target].dropna() if rows is not None and target is not None and target in rows else None
    task, why = _task(registered_model, task, is_classifier, target, target_values)
    if task == "classification" and n_classes is None and target_values is not None:
        n_classes = int(target_values.nunique())

    head = [f"# Proposed by `python -m monitor onboard` from registered model '{_one_line(registered_model)}'"
            + (f" version {version}" if version else "") + ": review it, then run `python -m monitor validate`."]
    if source:
        head.append(f"# Columns and kinds from {_one_line(source)}.")
    head += [f"# Note: {n}" for n in notes]
    lines = [*head, "[[models]]", _line("name", _quote(name)),
             _line("description", _quote(_one_line(description)), "" if description else "one sentence shown on the pages"),
             _line("registered_model", _quote(registered_model)), _line("task", _quote(task), why)]
    if codes:
        lines.append(f"# integer column(s) with few distinct values, kept numeric: {_listing(codes)}; "
                     "move codes to categorical_features")
    lines += _array("numeric_features", numeric)
    lines += _array("categorical_features", categorical)
    lines.append(_line("prediction", _quote(PREDICTION), "the predictions' column in logged batches"))
    if task == "classification":
        if n_classes == 2:
            lines.append(_line("score", _quote(SCORE), "probability of the positive class"))
        elif n_classes is None:
            lines.append(_line("# score", _quote(SCORE), "for a binary classifier: probability of the positive class"))
        else:
            lines.append(f"# no score: {n_classes} classes (score is the probability of the positive class of a binary classifier)")
    if target is not None:
        lines.append(_line("target", _quote(target), "the label column"))
    else:
        lines.append(_line("# target", _quote("label_column"), "the label column, if labels are logged"))
    lines.append(_line("reference", _quote("training"), "the data logged by monitor.log_reference in the training run"))
    lines.append(_line("pipelines", "[]", f'pipelines that feed it (ADF or monitor.pipeline_run names), e.g. ["pl_{name}_scoring"]'))
    lines.append(_line("schedule_days", "7", "how often a batch is expected"))
    return "\n".join(lines) + "\n"


def append_table(path: str | Path, name: str, text: str) -> Path:
    """Append a proposed table to the onboarding file, then prove the whole file is still valid.

    Refuses when a model called ``name`` is already there; when the appended file does not pass
    :func:`monitor.spec.load_spec`, its previous content is put back and the problems are reported.
    """
    path = Path(path)
    previous = path.read_text() if path.exists() else None
    before: list[str] = []
    if previous is not None:
        try:
            data = tomllib.loads(previous)
        except tomllib.TOMLDecodeError as exc:
            raise OnboardError(f"{path} is not valid TOML ({exc}); fix it first, nothing was appended") from exc
        tables = data.get("models", [])
        if isinstance(tables, list) and any(isinstance(t, dict) and t.get("name") == name for t in tables):
            raise OnboardError(f"{path} already has a model named '{name}'; nothing was appended "
                               "(edit that table, or pass --name to onboard under another name)")
        before = _spec_problems(path)
    body = previous.rstrip() + "\n\n" if previous and previous.strip() else ""
    _write(path, body + text)
    after = _spec_problems(path)
    if after:
        if previous is None:
            path.unlink()
        else:
            _write(path, previous)
        listing = "; ".join(f"{p} (already there before)" if p in before else p for p in after)
        raise OnboardError(f"appending model '{name}' would leave {path} invalid, so it was left as it was: {listing}")
    return path


def _spec_problems(path: Path) -> list[str]:
    """Every problem :func:`load_spec` finds, whether it raises them or lists a broken table in ``problems``."""
    try:
        spec = load_spec(path)
    except SpecError as exc:
        return list(exc.problems)
    return list(getattr(spec, "problems", ()))


def _write(path: Path, text: str) -> None:
    """Replace the file in one step, so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.onboard.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _backend(what: str, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # MLflow raises many types: report them as the backend failing
        raise BackendError("MLflow", f"{what}: {exc}") from exc


def _registered_models(client) -> list[str]:
    names, token = [], None
    while True:
        page = _backend("listing registered models", client.search_registered_models, max_results=200, page_token=token)
        names += [m.name for m in page]
        if not (token := page.token):
            return sorted(names, key=str.lower)


def _unknown_model(source, registered_model: str) -> OnboardError:
    names = _registered_models(source.client)
    lowered = {n.lower(): n for n in names}
    close = [lowered[m] for m in difflib.get_close_matches(registered_model.lower(), list(lowered), n=3, cutoff=0.6)]
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    shown = _listing(names[:30]) + (f" and {len(names) - 30} more" if len(names) > 30 else "")
    return OnboardError(f"no registered model '{registered_model}' in MLflow ({source.tracking_uri}).{hint} "
                        f"Registered models: {shown or 'none'}")


def _signature(uri: str, notes: list[str]) -> dict[str, str] | None:
    import mlflow

    try:
        signature = mlflow.models.get_model_info(uri).signature
    except Exception as exc:  # a model without an MLmodel file still gets a proposal from its data
        notes.append(f"could not read the signature of {uri}: {exc}")
        return None
    if signature is None or signature.inputs is None:
        return None
    if not signature.inputs.has_input_names():
        notes.append("the model signature's inputs are unnamed tensors, so they do not name the feature columns")
        return None
    return {spec.name: getattr(spec.type, "name", str(spec.type)) for spec in signature.inputs.inputs}


def _load_model(source, registered_model: str, version: str, notes: list[str]):
    import mlflow

    try:
        return source.load_model(registered_model, version)
    except (BackendError, KeyError) as sk_exc:
        try:
            return mlflow.pyfunc.load_model(f"models:/{registered_model}/{version}").get_raw_model()
        except Exception as exc:
            notes.append(f"the model could not be loaded ({sk_exc}; as pyfunc: {exc})")
            return None


def _data(source, name: str, version, notes: list[str]) -> tuple[pd.DataFrame | None, str]:
    if not version.run_id:
        notes.append(f"no reference data: version {version.version} has no source run")
    elif REFERENCE_FILE not in {a.path for a in _backend(f"run {version.run_id}", source.client.list_artifacts,
                                                         version.run_id, REFERENCE_FILE.split("/")[0])}:
        notes.append(f"no reference data: training run {version.run_id} logged no {REFERENCE_FILE} "
                     "(call monitor.log_reference in the training job)")
    else:
        frame = source.reference_frame(name, "training", version)
        return frame, f"the reference data logged by training run {version.run_id} ({len(frame)} rows)"
    if batches := source.list_batches(name):
        latest = batches[-1]
        notes.append(f"used the newest logged batch of '{name}' instead; it has no labels, so the target is unknown")
        return source.load_batch(latest), f"batch '{latest.batch_id}' of model '{name}' ({latest.n_rows} rows)"
    notes.append(f"no batch of '{name}' is logged either (experiment monitor/{name}/batches)")
    return None, "the model signature"


def onboard(settings, registered_model: str, *, name: str | None = None, version: str | None = None,
            target: str | None = None, task: str | None = None, append: bool = False, source=None) -> Proposal:
    """Propose the ``[[models]]`` table of ``registered_model`` from MLflow; with ``append``, add it to ``settings.spec``.

    Reads the given (default: newest) version, its signature and model, and the reference data
    its training run logged, else the newest logged batch, else the signature alone.
    """
    from monitor.bootstrap import build_mlflow

    source = source or build_mlflow(settings)
    if not source.registered_model_exists(registered_model):
        raise _unknown_model(source, registered_model)
    versions = source.model_versions(registered_model)
    if not versions:
        raise OnboardError(f"registered model '{registered_model}' has no versions; log and register a model first")
    chosen = versions[0] if version is None else next((v for v in versions if v.version == str(version)), None)
    if chosen is None:
        raise OnboardError(f"registered model '{registered_model}' has no version {version}; "
                           f"versions: {_listing(v.version for v in versions)}")
    name = name or model_name(registered_model)
    notes: list[str] = []
    signature = _signature(f"models:/{registered_model}/{chosen.version}", notes)
    model = _load_model(source, registered_model, chosen.version, notes)
    if signature is None and model is not None and hasattr(model, "feature_names_in_"):
        signature = {str(c): None for c in model.feature_names_in_}
        notes.append("the model version has no signature; its input columns come from the fitted model (feature_names_in_)")
    frame, where = _data(source, name, chosen, notes)
    if frame is None and not signature:
        raise OnboardError(f"registered model '{registered_model}' version {chosen.version}: no reference data, "
                           "no logged batch and no signature to propose features from; call monitor.log_reference "
                           "in the training job, or log the model with a signature")
    classes = getattr(model, "classes_", None) if model is not None else None
    is_classifier = None if model is None else hasattr(model, "predict_proba") or classes is not None
    registered = _backend(f"registered model '{registered_model}'", source.client.get_registered_model, registered_model)
    text = propose_table(
        registered_model, chosen.version, frame, signature, is_classifier=is_classifier,
        n_classes=len(classes) if classes is not None else None, target=target, name=name, task=task,
        description=registered.description or "", source=where, notes=notes,
    )
    appended = append_table(settings.spec, name, text) if append else None
    return Proposal(name, chosen.version, text, appended)
