"""Model performance: realized metrics on labelled rows, the honest baseline they are compared with,
and estimates made before labels arrive (confidence-based for classifiers, loss-based for regressors).

Pure computation on plain frames and arrays; the service loads the data and stores the results.
"""

from monitor.performance._baseline import Baseline, baseline_performance, baseline_plan
from monitor.performance._estimate import (
    Estimator,
    EstimatorChoice,
    estimate_performance,
    estimator_for,
    estimator_from_dict,
    fit_estimator,
)
from monitor.performance._metrics import performance, positive_label
from monitor.performance.confidence import CONFIDENCE_METRICS, ConfidenceEstimator
from monitor.performance.errors import EstimationError
from monitor.performance.loss import LOSS_METRICS, LossEstimator

__all__ = ["Baseline", "baseline_performance", "baseline_plan", "performance", "positive_label",
           "ConfidenceEstimator", "LossEstimator", "CONFIDENCE_METRICS", "LOSS_METRICS", "EstimationError",
           "Estimator", "EstimatorChoice", "estimator_for", "fit_estimator", "estimator_from_dict", "estimate_performance"]
