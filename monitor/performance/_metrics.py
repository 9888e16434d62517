"""Realized performance of one batch: classifiers and regressors, on the rows that have labels."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["performance"]


def _numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype)


def performance(task: str, y_true, y_pred, score=None) -> dict[str, Any]:
    """Accuracy/AUC/precision/recall for classifiers, MAE/MAPE/RMSE for regressors, on labelled rows.

    Class labels may be numbers, booleans or text; the positive class of a binary classifier is
    ``1`` / ``True`` when present, else the last class in sorted order.
    """
    truth = pd.Series(y_true).reset_index(drop=True)
    pred = pd.Series(y_pred).reset_index(drop=True)
    if task == "classification" and not (_numeric(truth) and _numeric(pred)):
        return _classification_by_label(truth, pred, score)
    truth = pd.to_numeric(truth, errors="coerce").astype(float)
    pred = pd.to_numeric(pred, errors="coerce").astype(float)
    mask = truth.notna() & pred.notna() & np.isfinite(truth) & np.isfinite(pred)
    t, p = truth[mask].to_numpy(float), pred[mask].to_numpy(float)
    out: dict[str, Any] = {"n_labelled": int(mask.sum())}
    if not len(t):
        return out
    if task == "classification":
        return {**out, **_classification(t == 1, p == 1, p == t, _score(score, mask), len(set(t)) == 2)}
    err = p - t
    out["mae"] = float(np.abs(err).mean())
    out["rmse"] = float(math.sqrt((err**2).mean()))
    nz = t != 0
    out["mape"] = float(np.abs(err[nz] / t[nz]).mean()) if nz.any() else None
    return out


def _score(score, mask: pd.Series) -> np.ndarray | None:
    if score is None:
        return None
    s = pd.to_numeric(pd.Series(score).reset_index(drop=True), errors="coerce")[mask]
    return s.to_numpy(float) if s.notna().all() else None


def _classification_by_label(truth: pd.Series, pred: pd.Series, score) -> dict[str, Any]:
    mask = truth.notna() & pred.notna()
    t, p = truth[mask].astype(str).to_numpy(), pred[mask].astype(str).to_numpy()
    out: dict[str, Any] = {"n_labelled": int(mask.sum())}
    if not len(t):
        return out
    classes = sorted(set(t) | set(p))
    positive = "True" if "True" in classes else classes[-1]
    return {**out, **_classification(t == positive, p == positive, p == t, _score(score, mask), len(set(t)) == 2)}


def _classification(actual: np.ndarray, predicted: np.ndarray, correct: np.ndarray, score: np.ndarray | None,
                    binary: bool) -> dict[str, Any]:
    tp = float((predicted & actual).sum())
    out: dict[str, Any] = {
        "accuracy": float(correct.mean()),
        "precision": tp / float(predicted.sum()) if predicted.any() else None,
        "recall": tp / float(actual.sum()) if actual.any() else None,
        "positive_rate_actual": float(actual.mean()),
    }
    if score is not None and binary:
        from sklearn.metrics import roc_auc_score

        out["auc"] = float(roc_auc_score(actual, score))
    return out
