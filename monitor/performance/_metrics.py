"""Realized performance of one batch: classifiers and regressors, on the rows that have labels.

Every figure comes with a sampling band (``bands``: metric -> [low, high]) from a seeded bootstrap
of the labelled rows: the range the figure would take on other batches of the same size drawn
from the same population. A band is missing when the metric is undefined on too many resamples.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from monitor.performance._bands import BAND_LEVEL, BOOTSTRAP_RESAMPLES, bootstrap, percentile_band, weighted_auc

__all__ = ["performance", "positive_label"]

_EPS = 1e-15
MAX_BOOTSTRAP_ROWS = 50_000


def _numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype)


def positive_label(classes) -> Any:
    """The positive class of a binary classifier: ``1`` / ``True`` when present, else the last class in sorted order."""
    classes = sorted(classes)
    for candidate in (1, "1", "True", "true"):
        if candidate in classes:
            return candidate
    return classes[-1]


def performance(task: str, y_true, y_pred, score=None, *, resamples: int = BOOTSTRAP_RESAMPLES,
                seed: int = 0) -> dict[str, Any]:
    """Realized metrics on the labelled rows, each with a bootstrap band.

    Classifiers: accuracy, precision, recall, F1 (of the positive class for a binary classifier,
    macro-averaged over classes otherwise), the actual positive rate, and with ``score`` AUC and
    log loss. A binary ``score`` is the probability of the positive class; a multiclass ``score`` is
    one column per class (a frame named by class, or an array in sorted class order).
    Regressors: MAE, RMSE, MAPE (over rows whose target is not zero) and R².
    Class labels may be numbers, booleans or text; see :func:`positive_label`.
    """
    truth = pd.Series(y_true).reset_index(drop=True)
    pred = pd.Series(y_pred).reset_index(drop=True)
    if task == "classification":
        numeric = _numeric(truth) and _numeric(pred)
        if not numeric:
            truth, pred = truth.where(truth.isna(), truth.astype(str)), pred.where(pred.isna(), pred.astype(str))
        mask = truth.notna() & pred.notna()
        out: dict[str, Any] = {"n_labelled": int(mask.sum())}
        if not mask.any():
            return out
        t, p = truth[mask].to_numpy(), pred[mask].to_numpy()
        if numeric:
            t, p = t.astype(float), p.astype(float)
        return {**out, **_banded(_classification, t, p, _score(score, mask), resamples=resamples, seed=seed)}
    truth = pd.to_numeric(truth, errors="coerce").astype(float)
    pred = pd.to_numeric(pred, errors="coerce").astype(float)
    mask = truth.notna() & pred.notna() & np.isfinite(truth) & np.isfinite(pred)
    out = {"n_labelled": int(mask.sum())}
    if not mask.any():
        return out
    return {**out, **_banded(_regression, truth[mask].to_numpy(float), pred[mask].to_numpy(float), resamples=resamples,
                             seed=seed)}


def _score(score, mask: pd.Series) -> np.ndarray | pd.DataFrame | None:
    if score is None:
        return None
    if isinstance(score, pd.DataFrame) or (isinstance(score, np.ndarray) and score.ndim == 2):
        frame = pd.DataFrame(score).reset_index(drop=True).apply(pd.to_numeric, errors="coerce")[mask.to_numpy()]
        return frame if frame.notna().all().all() else None
    s = pd.to_numeric(pd.Series(score).reset_index(drop=True), errors="coerce")[mask]
    return s.to_numpy(float) if s.notna().all() else None


def _take(values, rows: np.ndarray):
    if values is None:
        return None
    return values.iloc[rows] if isinstance(values, pd.DataFrame) else values[rows]


def _banded(metrics, t: np.ndarray, p: np.ndarray, *extra, resamples: int, seed: int) -> dict[str, Any]:
    """``metrics(...)`` with bands; above ``MAX_BOOTSTRAP_ROWS`` rows the bands come from a seeded subsample.

    Every metric here is asymptotically normal with a spread shrinking as 1/√n, so the subsample's
    bootstrap deviations are scaled by √(m/n) around the full batch's figure.
    """
    n = len(t)
    if n <= MAX_BOOTSTRAP_ROWS:
        return metrics(t, p, *extra, resamples, seed)
    full = metrics(t, p, *extra, 0, seed)
    rows = np.sort(np.random.default_rng(seed).choice(n, MAX_BOOTSTRAP_ROWS, replace=False))
    sub = metrics(t[rows], p[rows], *(_take(x, rows) for x in extra), resamples, seed)
    factor = np.sqrt(MAX_BOOTSTRAP_ROWS / n)
    full["bands"] = {k: [float(full[k] + factor * (lo - sub[k])), float(full[k] + factor * (hi - sub[k]))]
                     for k, (lo, hi) in sub["bands"].items() if full.get(k) is not None and sub.get(k) is not None}
    return full


def _regression(t: np.ndarray, p: np.ndarray, resamples: int, seed: int) -> dict[str, Any]:
    err = p - t
    nz = t != 0
    ape = np.where(nz, np.abs(err) / np.where(nz, np.abs(t), 1.0), 0.0)
    sst = float(((t - t.mean()) ** 2).sum())
    out: dict[str, Any] = {
        "mae": float(np.abs(err).mean()),
        "rmse": float(math.sqrt((err**2).mean())),
        "mape": float(ape[nz].mean()) if nz.any() else None,
        "r2": 1.0 - float((err**2).sum()) / sst if sst > 0 else None,
    }
    n = len(t)
    columns = np.column_stack([np.abs(err), err**2, ape, nz, t, t**2])

    def stats(counts: np.ndarray) -> dict[str, np.ndarray]:
        s = counts @ columns
        with np.errstate(divide="ignore", invalid="ignore"):
            total_ss = s[:, 5] - s[:, 4] ** 2 / n
            return {"mae": s[:, 0] / n, "rmse": np.sqrt(s[:, 1] / n), "mape": s[:, 2] / s[:, 3],
                    "r2": np.where(total_ss > 0, 1 - s[:, 1] / total_ss, np.nan)}

    return {**out, **_bands(out, bootstrap(n, stats, resamples, seed))}


def _bands(point: dict[str, Any], draws: dict[str, np.ndarray]) -> dict[str, Any]:
    bands = {}
    for name, values in draws.items():
        band = percentile_band(values) if point.get(name) is not None else None
        if band is not None:
            bands[name] = band
    return {"bands": bands, "band_level": BAND_LEVEL}


def _classification(t: np.ndarray, p: np.ndarray, score, resamples: int, seed: int) -> dict[str, Any]:
    classes = sorted(set(t.tolist()) | set(p.tolist()))
    if len(classes) > 2:
        return _multiclass(t, p, classes, score, resamples, seed)
    positive = positive_label(classes)
    actual, predicted = t == positive, p == positive
    if isinstance(score, pd.DataFrame):
        score = score.iloc[:, -1].to_numpy(float)
    if score is not None:  # every statistic ignores row order; sorting once spares the AUC a sort per resample
        order = np.argsort(score, kind="mergesort")
        t, p, score, actual, predicted = t[order], p[order], score[order], actual[order], predicted[order]
    tp = float((predicted & actual).sum())
    out: dict[str, Any] = {
        "accuracy": float((p == t).mean()),
        "precision": tp / float(predicted.sum()) if predicted.any() else None,
        "recall": tp / float(actual.sum()) if actual.any() else None,
        "f1": 2 * tp / float(predicted.sum() + actual.sum()) if (predicted.any() or actual.any()) else None,
        "positive_rate_actual": float(actual.mean()),
    }
    both = bool(actual.any() and (~actual).any())
    loss = None
    if score is not None:
        if both:
            from sklearn.metrics import roc_auc_score

            out["auc"] = float(roc_auc_score(actual, score))
        if np.all((score >= 0) & (score <= 1)):
            prob = np.clip(score, _EPS, 1 - _EPS)
            loss = -np.where(actual, np.log(prob), np.log1p(-prob))
            out["log_loss"] = float(loss.mean())
    n = len(t)
    columns = np.column_stack([p == t, predicted & actual, predicted, actual, np.zeros(n) if loss is None else loss])

    def stats(counts: np.ndarray) -> dict[str, np.ndarray]:
        s = counts @ columns
        with np.errstate(divide="ignore", invalid="ignore"):
            draws = {"accuracy": s[:, 0] / n, "precision": s[:, 1] / s[:, 2], "recall": s[:, 1] / s[:, 3],
                     "f1": 2 * s[:, 1] / (s[:, 2] + s[:, 3]), "log_loss": s[:, 4] / n}
        if "auc" in out:
            draws["auc"] = weighted_auc(actual, score, counts, presorted=True)
        return draws

    return {**out, **_bands(out, bootstrap(n, stats, resamples, seed))}


def _class_scores(score, classes: list) -> np.ndarray | None:
    """The (n, classes) probability matrix in ``classes`` order, or None when it cannot be lined up."""
    if isinstance(score, pd.DataFrame):
        names = {str(c): c for c in score.columns}
        if all(str(c) in names for c in classes):
            return score[[names[str(c)] for c in classes]].to_numpy(float)
        score = score.to_numpy(float)
    if isinstance(score, np.ndarray) and score.ndim == 2 and score.shape[1] == len(classes):
        return score.astype(float)
    return None


def _multiclass(t: np.ndarray, p: np.ndarray, classes: list, score, resamples: int, seed: int) -> dict[str, Any]:
    onehot_t = np.stack([t == c for c in classes], axis=1).astype(float)
    onehot_p = np.stack([p == c for c in classes], axis=1).astype(float)
    hits = onehot_t * onehot_p

    def macro(tp: np.ndarray, predicted: np.ndarray, actual: np.ndarray) -> dict[str, np.ndarray]:
        with np.errstate(divide="ignore", invalid="ignore"):
            return {"precision": np.nanmean(np.where(predicted > 0, tp / predicted, np.nan), axis=-1),
                    "recall": np.nanmean(np.where(actual > 0, tp / actual, np.nan), axis=-1),
                    "f1": np.nanmean(np.where(predicted + actual > 0, 2 * tp / (predicted + actual), np.nan), axis=-1)}

    with np.errstate(all="ignore"), _quiet():
        point = macro(hits.sum(0), onehot_p.sum(0), onehot_t.sum(0))
    out: dict[str, Any] = {"accuracy": float((p == t).mean()), "average": "macro", "n_classes": len(classes)}
    out.update({k: (float(v) if np.isfinite(v) else None) for k, v in point.items()})
    proba = _class_scores(score, classes) if score is not None else None
    present = [i for i in range(len(classes)) if 0 < onehot_t[:, i].sum() < len(t)]
    if proba is not None:
        if present:
            from sklearn.metrics import roc_auc_score

            out["auc"] = float(np.mean([roc_auc_score(onehot_t[:, i], proba[:, i]) for i in present]))
        if np.all((proba >= 0) & (proba <= 1)):
            loss = -np.log(np.clip((proba * onehot_t).sum(axis=1), _EPS, 1.0))
            out["log_loss"] = float(loss.mean())
    n = len(t)

    def stats(counts: np.ndarray) -> dict[str, np.ndarray]:
        with np.errstate(all="ignore"), _quiet():
            draws = macro(counts @ hits, counts @ onehot_p, counts @ onehot_t)
        draws["accuracy"] = counts @ (p == t).astype(float) / n
        if "log_loss" in out:
            draws["log_loss"] = counts @ loss / n
        if "auc" in out:
            draws["auc"] = np.nanmean(np.stack([weighted_auc(onehot_t[:, i] > 0, proba[:, i], counts) for i in present]), axis=0)
        return draws

    return {**out, **_bands(out, bootstrap(n, stats, resamples, seed))}


@contextlib.contextmanager
def _quiet():
    """Silence numpy's 'mean of empty slice' warning for classes absent from a resample."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
