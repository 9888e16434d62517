"""Mapping preprocessed columns back to the input columns they come from."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from monitor.explain._columns import column_map

FRAME = pd.DataFrame(
    {
        "a": [1.0, np.nan, 3.0, 4.0],
        "b": ["x", "y", "x", "z"],
        "c": [0.5, 0.1, 0.2, 0.3],
        "d": ["p", "q", "p", "q"],
        "e": [1, 2, 3, 4],
    }
)


def test_column_transformer_with_indicator_one_hot_remainder_and_drop():
    ct = ColumnTransformer(
        [
            ("num", SimpleImputer(add_indicator=True), ["a"]),
            ("cat", OneHotEncoder(), ["b"]),
            ("ord", OrdinalEncoder(), ["d"]),
            ("gone", "drop", ["c"]),
        ],
        remainder="passthrough",
    ).fit(FRAME)
    mapping = column_map(ct, 5)
    assert mapping == [0, 0, 1, 1, 1, 3, 4]
    assert len(mapping) == ct.transform(FRAME).shape[1]


def test_mixing_transformer_has_no_map():
    ct = ColumnTransformer([("num", make_pipeline(StandardScaler(), PCA(n_components=1)), ["a", "c"])]).fit(FRAME.fillna(0))
    assert column_map(ct, 5) is None
    assert column_map(make_pipeline(StandardScaler()).fit(FRAME[["a", "c"]]), 2) == [0, 1]
