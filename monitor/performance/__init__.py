"""Model performance: realized metrics on labelled rows, and the honest baseline they are compared with.

Pure computation on plain frames and arrays; the service loads the data and stores the results.
"""

from monitor.performance._baseline import Baseline, baseline_performance, baseline_plan
from monitor.performance._metrics import performance

__all__ = ["Baseline", "baseline_performance", "baseline_plan", "performance"]
