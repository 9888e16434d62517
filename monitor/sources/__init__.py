"""Sources the monitor reads: MLflow (runs, models, batches) and pipeline runs."""
