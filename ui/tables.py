"""Tables of the drift pages as Streamlit shows them: readable column names, formats and highlights."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from monitor.views import FEATURE_COLUMNS

DRIFTED_ROW = "background-color: #ffebee"


def _highlight(row: pd.Series) -> list[str]:
    return [DRIFTED_ROW if row["Drifted"] else ""] * len(row)


def feature_table_view(table: pd.DataFrame) -> None:
    """The per-feature drift table (:func:`monitor.views.feature_table`): drifted rows tinted, importance as a bar."""
    top = float(table["importance"].max()) if table["importance"].notna().any() else 1.0
    st.dataframe(table.rename(columns=FEATURE_COLUMNS).style.apply(_highlight, axis=1), hide_index=True, width="stretch",
                 column_config={
                     "Drifted": st.column_config.CheckboxColumn(width="small"),
                     "Importance (mean |SHAP|)": st.column_config.ProgressColumn(min_value=0.0, max_value=top, format="%.3f"),
                     "Drift statistic": st.column_config.NumberColumn(format="%.4f"),
                     "Change since previous batch": st.column_config.NumberColumn(format="%+.4f"),
                     "Threshold": st.column_config.NumberColumn(format="%.3g"),
                     "p-value": st.column_config.NumberColumn(format="%.3g"),
                     "Missing (reference)": st.column_config.NumberColumn(format="percent"),
                     "Missing (this batch)": st.column_config.NumberColumn(format="percent"),
                     "Unseen categories": st.column_config.NumberColumn(format="percent"),
                 })
