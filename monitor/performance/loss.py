"""Loss-based performance estimation of a regressor, without labels.

Fitted once per model version on labelled reference rows the model did not train on: two
gradient-boosted models learn, from the features and the model's prediction, the absolute error
``|y - ŷ|`` and the squared error ``(y - ŷ)²`` that a row can expect. On a batch without labels the
expected MAE is the mean predicted absolute error, the expected RMSE the square root of the mean
predicted squared error. This is the idea of NannyML's DLE (direct loss estimation).

The band adds the batch's own sampling noise, from the expected spread of each row's error around
its prediction (measured on the reference by cross-fitting), to the systematic error of the loss
models measured the same way. Like every estimate made without labels, it follows covariate shift
(rows where the model is known to err more) but cannot see concept drift (the same rows now having
other targets).
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from monitor.performance._bands import BAND_LEVEL
from monitor.performance.errors import EstimationError

__all__ = ["LossEstimator", "LOSS_METRICS"]

LOSS_METRICS = ("mae", "rmse")
MIN_REFERENCE_ROWS = 200
MAX_CATEGORIES = 250  # levels kept per categorical column; rarer ones share one code
CROSS_FOLDS = 3
_KIND = "loss"
_FORMAT = 1
_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "builtins.")
_TRUSTED_NAMES = {"functools.partial"}


def _regressor(categorical: list[bool], seed: int):
    from sklearn.ensemble import HistGradientBoostingRegressor

    # At most 100 small trees: the stored form of the two models stays below ~0.5 MB.
    return HistGradientBoostingRegressor(
        learning_rate=0.15, max_iter=100, max_leaf_nodes=15, min_samples_leaf=40, l2_regularization=1.0,
        early_stopping=True, validation_fraction=0.15, n_iter_no_change=15, random_state=seed,
        categorical_features=categorical if any(categorical) else None,
    )


def _levels(column: pd.Series) -> tuple[str, ...]:
    counts = column.dropna().astype(str).value_counts(sort=True)
    return tuple(sorted(counts.index[:MAX_CATEGORIES].tolist()))


def _is_categorical(column: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype))


def _dumps(model) -> str:
    import zipfile

    import skops.io as sio

    return base64.b64encode(sio.dumps(model, compression=zipfile.ZIP_DEFLATED, compresslevel=9)).decode("ascii")


def _loads(text: str):
    import skops.io as sio

    data = base64.b64decode(text.encode("ascii"))
    types = sio.get_untrusted_types(data=data)
    odd = [t for t in types if not (t.startswith(_TRUSTED_PREFIXES) or t in _TRUSTED_NAMES)]
    if odd:
        raise EstimationError(f"the stored loss model holds types that are not scikit-learn's: {', '.join(odd)}")
    return sio.loads(data, trusted=types)


@dataclasses.dataclass(frozen=True)
class LossEstimator:
    """A fitted loss-based estimator (see the module docstring); build it with :meth:`fit`."""

    columns: tuple[str, ...]
    categories: Mapping[str, tuple[str, ...]]
    abs_model: Any = dataclasses.field(repr=False, compare=False)
    squared_model: Any = dataclasses.field(repr=False, compare=False)
    abs_spread: float  # Var(|e| given x) ≈ abs_spread * E[|e| given x]²
    squared_spread: float  # Var(e² given x) ≈ squared_spread * E[e² given x]²
    abs_bias: float  # relative systematic error of the absolute-error model
    squared_bias: float  # relative systematic error of the squared-error model
    n_reference: int
    reference_mae: float
    reference_rmse: float

    kind = _KIND

    @classmethod
    def fit(cls, features: pd.DataFrame, prediction, y_true, *, seed: int = 0) -> LossEstimator:
        """Learn the expected absolute and squared error of each row from labelled reference rows.

        ``features`` holds the model's input columns (numbers, booleans or text; text columns are
        treated as categories), ``prediction`` the model's prediction and ``y_true`` the target.
        """
        if not isinstance(features, pd.DataFrame):
            raise EstimationError("loss-based estimation needs the features as a data frame")
        frame = features.reset_index(drop=True)
        pred = pd.to_numeric(pd.Series(prediction).reset_index(drop=True), errors="coerce").astype(float).to_numpy()
        truth = pd.to_numeric(pd.Series(y_true).reset_index(drop=True), errors="coerce").astype(float).to_numpy()
        if not (len(frame) == len(pred) == len(truth)):
            raise EstimationError(f"the reference has {len(frame)} feature rows, {len(pred)} predictions and "
                                  f"{len(truth)} targets")
        rows = np.isfinite(pred) & np.isfinite(truth)
        if rows.sum() < MIN_REFERENCE_ROWS:
            raise EstimationError(f"loss-based estimation needs at least {MIN_REFERENCE_ROWS} reference rows with a "
                                  f"prediction and a target; the reference has {int(rows.sum())}")
        frame, pred, truth = frame[rows].reset_index(drop=True), pred[rows], truth[rows]
        columns = tuple(str(c) for c in frame.columns)
        frame.columns = list(columns)
        categories = {c: _levels(frame[c]) for c in columns if _is_categorical(frame[c])}
        X = _encode(frame, columns, categories, pred)
        mask = [c in categories for c in columns] + [False]
        err = pred - truth
        absolute, squared = np.abs(err), err**2
        oof_abs, oof_sq = _cross_fit(X, absolute, squared, mask, seed)
        abs_model = _regressor(mask, seed).fit(X, absolute)
        squared_model = _regressor(mask, seed).fit(X, squared)
        return cls(columns, {c: tuple(v) for c, v in categories.items()}, abs_model, squared_model,
                   _spread(absolute, oof_abs), _spread(squared, oof_sq), _bias(absolute, oof_abs), _bias(squared, oof_sq),
                   int(len(truth)), float(absolute.mean()), float(np.sqrt(squared.mean())))

    def expected_errors(self, features: pd.DataFrame, prediction) -> tuple[np.ndarray, np.ndarray]:
        """Each row's expected absolute and squared error (rows without a prediction get NaN)."""
        missing = [c for c in self.columns if c not in features.columns.map(str)]
        if missing:
            raise EstimationError(f"the batch lacks feature column(s) {', '.join(missing)} that the loss model uses")
        frame = features.reset_index(drop=True).copy()
        frame.columns = [str(c) for c in frame.columns]
        pred = pd.to_numeric(pd.Series(prediction).reset_index(drop=True), errors="coerce").astype(float).to_numpy()
        if len(pred) != len(frame):
            raise EstimationError(f"the batch has {len(frame)} feature rows but {len(pred)} predictions")
        X = _encode(frame, self.columns, self.categories, pred)
        known = np.isfinite(pred)
        absolute, squared = np.full(len(pred), np.nan), np.full(len(pred), np.nan)
        if known.any():
            absolute[known] = np.maximum(self.abs_model.predict(X[known]), 0.0)
            squared[known] = np.maximum(self.squared_model.predict(X[known]), 0.0)
        return absolute, squared

    def estimate(self, features: pd.DataFrame, prediction, *, level: float = BAND_LEVEL) -> dict[str, Any]:
        """Expected MAE and RMSE of a batch, each with a band. Rows without a prediction are left out."""
        from scipy.stats import norm

        absolute, squared = self.expected_errors(features, prediction)
        rows = np.isfinite(absolute)
        absolute, squared = absolute[rows], squared[rows]
        n = int(rows.sum())
        out: dict[str, Any] = {"method": "loss-based (gradient-boosted loss models)", "n": n}
        if not n:
            return {**out, "mae": None, "rmse": None, "bands": {}, "band_level": level}
        z = float(norm.ppf(0.5 + level / 2))
        mae, mse = float(absolute.mean()), float(squared.mean())
        sd_mae = np.sqrt(self.abs_spread * (absolute**2).sum() / n**2 + (self.abs_bias * mae) ** 2)
        sd_mse = np.sqrt(self.squared_spread * (squared**2).sum() / n**2 + (self.squared_bias * mse) ** 2)
        bands = {"mae": [max(0.0, mae - z * sd_mae), mae + z * sd_mae],
                 "rmse": [float(np.sqrt(max(0.0, mse - z * sd_mse))), float(np.sqrt(mse + z * sd_mse))]}
        return {**out, "mae": mae, "rmse": float(np.sqrt(mse)), "bands": {k: [float(a), float(b)] for k, (a, b) in bands.items()},
                "band_level": level}

    def to_dict(self) -> dict[str, Any]:
        """The fitted state as JSON-able data; the two loss models are skops archives in base64."""
        return {"kind": _KIND, "format": _FORMAT, "columns": list(self.columns),
                "categories": {c: list(v) for c, v in self.categories.items()},
                "models": {"serialiser": "skops", "absolute": _dumps(self.abs_model), "squared": _dumps(self.squared_model)},
                "abs_spread": self.abs_spread, "squared_spread": self.squared_spread, "abs_bias": self.abs_bias,
                "squared_bias": self.squared_bias, "n_reference": self.n_reference, "reference_mae": self.reference_mae,
                "reference_rmse": self.reference_rmse}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LossEstimator:
        if data.get("kind") != _KIND or data.get("format") != _FORMAT:
            raise EstimationError(f"not a stored loss-based estimator (kind {data.get('kind')!r}, "
                                  f"format {data.get('format')!r})")
        models = data["models"]
        return cls(tuple(data["columns"]), {c: tuple(v) for c, v in data["categories"].items()},
                   _loads(models["absolute"]), _loads(models["squared"]), float(data["abs_spread"]),
                   float(data["squared_spread"]), float(data["abs_bias"]), float(data["squared_bias"]),
                   int(data["n_reference"]), float(data["reference_mae"]), float(data["reference_rmse"]))


def _encode(frame: pd.DataFrame, columns, categories: Mapping[str, tuple[str, ...]], prediction: np.ndarray) -> np.ndarray:
    """The loss models' input: numbers as they are, categories as codes (unknown levels share the last code)."""
    out = np.empty((len(frame), len(columns) + 1))
    for i, c in enumerate(columns):
        col = frame[c]
        if c in categories:
            levels = categories[c]
            codes = pd.Categorical(col.astype(str), categories=levels).codes.astype(float)
            codes[codes < 0] = len(levels)  # a level the reference did not have
            codes[col.isna().to_numpy()] = np.nan
            out[:, i] = codes
        else:
            out[:, i] = pd.to_numeric(col, errors="coerce").astype(float).to_numpy()
    out[:, -1] = prediction
    return out


def _cross_fit(X: np.ndarray, absolute: np.ndarray, squared: np.ndarray, mask: list[bool],
               seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold predictions of both losses, to measure how far the loss models are from the truth."""
    from sklearn.model_selection import KFold

    oof_abs, oof_sq = np.empty(len(X)), np.empty(len(X))
    for train, test in KFold(CROSS_FOLDS, shuffle=True, random_state=seed).split(X):
        oof_abs[test] = np.maximum(_regressor(mask, seed).fit(X[train], absolute[train]).predict(X[test]), 0.0)
        oof_sq[test] = np.maximum(_regressor(mask, seed).fit(X[train], squared[train]).predict(X[test]), 0.0)
    return oof_abs, oof_sq


def _spread(actual: np.ndarray, expected: np.ndarray) -> float:
    """The ratio of a row's error variance around its expectation to the squared expectation, on average."""
    return float(((actual - expected) ** 2).sum() / max((expected**2).sum(), 1e-300))


def _bias(actual: np.ndarray, expected: np.ndarray) -> float:
    """The relative systematic error of the out-of-fold expectations: their mean bias plus its standard error."""
    total = max(expected.sum(), 1e-300)
    bias = abs((actual - expected).sum()) / total
    stderr = float(np.std(actual - expected) * np.sqrt(len(actual))) / total
    return float(bias + stderr)
