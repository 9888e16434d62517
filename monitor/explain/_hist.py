"""Exact TreeSHAP for scikit-learn's HistGradientBoosting models, native categorical splits included.

SHAP's TreeExplainer reads only the threshold of each split, so the categorical splits of a
HistGradientBoosting model (a bitset of the categories that go left) break its additivity. Here
every row's decision at every split is computed with the predictor's own rule (missing values
and unknown or negative categories follow ``missing_go_to_left``) and fed to
:class:`~monitor.explain._treeshap.TreeShap`. Contributions are reported on the estimator's input
columns, undoing the reordering of its internal categorical encoder.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from monitor.explain._treeshap import TreeShap

_HIST = {"HistGradientBoostingClassifier", "HistGradientBoostingRegressor"}


def is_hist_gradient_boosting(estimator: Any) -> bool:
    """Whether ``estimator`` is a fitted scikit-learn HistGradientBoosting model."""
    names = {cls.__name__ for cls in type(estimator).__mro__}
    return bool(names & _HIST) and hasattr(estimator, "_predictors") and hasattr(estimator, "_baseline_prediction")


def has_categorical_splits(estimator: Any) -> bool:
    """Whether any tree of a HistGradientBoosting model splits on a native categorical feature."""
    return any(bool(p.nodes["is_categorical"].any()) for trees in estimator._predictors for p in trees)


class HistTreeShap:
    """Path-dependent TreeSHAP of one raw output (``output`` = class position, 0 for one output)."""

    def __init__(self, estimator: Any, output: int = 0):
        self.estimator = estimator
        predictors = [trees[output] for trees in estimator._predictors]
        n_inputs = int(estimator.n_features_in_)
        self.input_of = _internal_to_input(estimator, n_inputs)
        nodes, left, right, bitsets, roots = [], [], [], [], []
        start, bit_start = 0, 0
        for predictor in predictors:
            tree = predictor.nodes
            leaf = tree["is_leaf"].astype(bool)
            left.append(np.where(leaf, -1, tree["left"].astype(np.int64) + start))
            right.append(np.where(leaf, -1, tree["right"].astype(np.int64) + start))
            shifted = tree.copy()
            shifted["bitset_idx"] = np.where(tree["is_categorical"].astype(bool), tree["bitset_idx"] + bit_start, 0)
            nodes.append(shifted)
            bitsets.append(np.asarray(predictor.raw_left_cat_bitsets, dtype=np.uint32).reshape(-1, 8))
            roots.append(start)
            start += len(tree)
            bit_start += len(bitsets[-1])
        self.nodes = np.concatenate(nodes)
        self.split = ~self.nodes["is_leaf"].astype(bool)
        self.feature = np.where(self.split, self.nodes["feature_idx"], 0).astype(np.int64)
        self.categorical = self.split & self.nodes["is_categorical"].astype(bool)
        self.missing_left = self.nodes["missing_go_to_left"].astype(bool)
        self.raw_left = np.concatenate(bitsets) if bit_start else np.zeros((1, 8), dtype=np.uint32)
        self.known, self.known_index = estimator._bin_mapper.make_known_categories_bitsets()
        baseline = np.ravel(np.asarray(estimator._baseline_prediction, dtype=float))
        self.tree_shap = TreeShap(
            np.concatenate(left),
            np.concatenate(right),
            self.feature,
            self.nodes["count"],
            self.nodes["value"],
            np.array(roots),
            self.input_of,
            n_inputs,
            offset=float(baseline[output]),
        )
        self.expected_value = self.tree_shap.expected_value

    def shap_values(self, X: Any) -> np.ndarray:
        """Contributions on the estimator's input columns for ``X`` as the estimator receives it."""
        return self.tree_shap.shap_values(self.decisions(X))

    def decisions(self, X: Any) -> np.ndarray:
        """``go_left[row, node]`` with the predictor's rule, on the estimator's internal matrix."""
        Z = np.asarray(self.estimator._preprocess_X(X, reset=False), dtype=float)
        values = Z[:, self.feature]
        missing = np.isnan(values)
        with np.errstate(invalid="ignore"):
            go_left = np.where(missing, self.missing_left, values <= self.nodes["num_threshold"])
        cat = np.flatnonzero(self.categorical)
        if len(cat):
            raw = values[:, cat]
            with np.errstate(invalid="ignore"):
                valid = ~np.isnan(raw) & (raw >= 0) & (raw < 256)
            code = np.where(valid, raw, 0).astype(np.int64)
            word, bit = code >> 5, (code & 31).astype(np.uint32)
            in_left = (self.raw_left[self.nodes["bitset_idx"][cat][None, :], word] >> bit) & 1
            known_row = self.known_index[self.feature[cat]][None, :]
            known = (self.known[known_row, word] >> bit) & 1
            go_left[:, cat] = np.where(
                valid & (in_left == 1), True, np.where(valid & (known == 1), False, self.missing_left[cat])
            )
        return go_left


def _internal_to_input(estimator: Any, n_inputs: int) -> np.ndarray:
    """The estimator input column behind each column of its internal matrix (categoricals first)."""
    is_categorical = getattr(estimator, "is_categorical_", None)
    if getattr(estimator, "_preprocessor", None) is None or is_categorical is None:
        return np.arange(n_inputs)
    is_categorical = np.asarray(is_categorical, dtype=bool)
    if is_categorical.shape != (n_inputs,):
        raise ValueError(f"is_categorical_ has shape {is_categorical.shape}, expected ({n_inputs},)")
    order = np.concatenate([np.flatnonzero(is_categorical), np.flatnonzero(~is_categorical)])
    outputs = estimator._preprocessor.output_indices_
    if outputs["encoder"].stop - outputs["encoder"].start != int(is_categorical.sum()) or outputs["encoder"].start != 0:
        raise ValueError("the model's categorical encoder does not put its columns first")
    return order
