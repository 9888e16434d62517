"""Which original input column each column of a fitted preprocessing step comes from.

A map is a list with one entry per output column: the position of the single input column it is
computed from. It exists only for transformers that work column by column; anything that mixes
columns (PCA, polynomial features, arbitrary functions) yields ``None`` and the caller falls back
to a model-agnostic explainer.
"""

from __future__ import annotations

from typing import Any

_PER_COLUMN = (
    "StandardScaler",
    "MinMaxScaler",
    "MaxAbsScaler",
    "RobustScaler",
    "OrdinalEncoder",
    "PowerTransformer",
    "QuantileTransformer",
    "Binarizer",
)


def column_map(transformer: Any, n_inputs: int) -> list[int] | None:
    """The input position behind each output column of a fitted ``transformer``, or None if unknown."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, KBinsDiscretizer, OneHotEncoder

    if transformer is None or (isinstance(transformer, str) and transformer == "passthrough"):
        return list(range(n_inputs))
    if isinstance(transformer, str):
        return [] if transformer == "drop" else None
    if isinstance(transformer, Pipeline):
        mapping = list(range(n_inputs))
        for _, step in transformer.steps:
            inner = column_map(step, len(mapping))
            if inner is None:
                return None
            mapping = [mapping[i] for i in inner]
        return mapping
    if isinstance(transformer, ColumnTransformer):
        return _column_transformer_map(transformer, n_inputs)
    if isinstance(transformer, SimpleImputer):
        return _imputer_map(transformer, n_inputs)
    if isinstance(transformer, OneHotEncoder):
        counts = getattr(transformer, "_n_features_outs", None)
        if counts is None or len(counts) != n_inputs:
            return None
        return [i for i, count in enumerate(counts) for _ in range(int(count))]
    if isinstance(transformer, FunctionTransformer) and transformer.func is None:
        return list(range(n_inputs))
    if isinstance(transformer, KBinsDiscretizer) and transformer.encode == "ordinal":
        return list(range(n_inputs))
    if type(transformer).__name__ in _PER_COLUMN and type(transformer).__module__.startswith("sklearn."):
        if getattr(transformer, "n_features_in_", n_inputs) != n_inputs:
            return None
        return list(range(n_inputs))
    return None


def _column_transformer_map(ct: Any, n_inputs: int) -> list[int] | None:
    inputs = getattr(ct, "_transformer_to_input_indices", None)
    outputs = getattr(ct, "output_indices_", None)
    if inputs is None or outputs is None:
        return None
    width = max((s.stop for s in outputs.values()), default=0)
    mapping: list[int | None] = [None] * width
    for name, transformer, _ in ct.transformers_:
        out = outputs.get(name)
        if out is None or out.stop == out.start:
            continue
        indices = list(inputs.get(name, []))
        if any(i >= n_inputs for i in indices):
            return None
        inner = column_map(transformer, len(indices))
        if inner is None or len(inner) != out.stop - out.start:
            return None
        mapping[out] = [indices[i] for i in inner]
    if any(m is None for m in mapping):
        return None
    return mapping  # type: ignore[return-value]


def _imputer_map(imputer: Any, n_inputs: int) -> list[int] | None:
    # Columns that were all missing at fit time are dropped and indicator columns are appended;
    # the output names say which input each column belongs to.
    names_in = getattr(imputer, "feature_names_in_", None)
    names_in = [str(n) for n in names_in] if names_in is not None else [f"x{i}" for i in range(n_inputs)]
    if len(names_in) != n_inputs:
        return None
    position = {name: i for i, name in enumerate(names_in)}
    mapping = []
    for name in imputer.get_feature_names_out():
        name = str(name)
        if name in position:
            mapping.append(position[name])
        elif name.startswith("missingindicator_") and name[len("missingindicator_") :] in position:
            mapping.append(position[name[len("missingindicator_") :]])
        else:
            return None
    return mapping
