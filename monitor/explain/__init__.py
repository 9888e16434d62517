"""Explanations: which explainer fits a model, global and local SHAP explanations, attribution drift.

Build one :class:`ModelExplainer` per model version and reuse it for every batch; it holds the
chosen explainer (exact for trees and linear models, a sampling explainer within a time budget
otherwise; its ``description`` says which and why) so a warm local explanation is fast. Results
are frozen values with ``to_dict()``.
"""

from monitor.explain._ndcg import ndcg
from monitor.explain.errors import ExplainError
from monitor.explain.explainer import ModelExplainer
from monitor.explain.results import GlobalExplanation, LocalExplanation, RowExplanations

__all__ = [
    "ExplainError",
    "GlobalExplanation",
    "LocalExplanation",
    "ModelExplainer",
    "RowExplanations",
    "ndcg",
]
