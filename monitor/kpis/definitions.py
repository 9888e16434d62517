"""The definition of every KPI (the ⓘ text of the cards, the ``definition`` column of the CSV) and its levels.

The same definitions are written out in ``docs/kpis.md``. The levels of the figures shared with other
pages (performance, prediction shift, health) live in :mod:`monitor.figures`.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["HELP", "HELP_ENGINEER", "VOLUME_LEVELS", "TRAINING_AGE_DAYS", "SUCCESS_LEVELS", "LATE_GRACE",
           "MIN_RUNS_FOR_RANGE", "DURATION_TOLERANCE", "FINISHED", "PERFORMANCE_TITLES"]

VOLUME_LEVELS = (0.25, 0.50)          # |actual / usual - 1|: <= 25% ok, <= 50% warn
TRAINING_AGE_DAYS = (90, 180)         # <= 90 days ok, <= 180 warn
SUCCESS_LEVELS = (1.0, 0.8)           # every run ok, >= 80% warn
LATE_GRACE = dt.timedelta(hours=1)    # a batch is late when it comes more than schedule + 1 h after the previous one
MIN_RUNS_FOR_RANGE = 4                # successful runs needed before a pipeline has a usual duration range
DURATION_TOLERANCE = 0.25             # the usual duration range is at least median +/- 25%
FINISHED = ("Succeeded", "Failed", "Cancelled")

PERFORMANCE_TITLES = {"auc": "Accuracy (AUC)", "accuracy": "Accuracy", "mae": "Average error (MAE)"}
"""The card title of each main metric, in business words."""

HELP = {
    "health": "Health score 0-100 of the period: weighted mean of input data (30%: 100 × (1 − share of changed "
              "inputs ÷ alert share), latest batch of the period), data quality (20%: 100 − 25 per serious and 5 per "
              "minor problem, latest batch), accuracy (30%: 100 × (1 − loss of the period's performance figure "
              "against the baseline ÷ 10%), the same figure as the performance card) and freshness (20%: 100 up to "
              "one schedule interval, 0 at two). Parts without data are left out. Green ≥ 80, amber ≥ 60, red "
              "below. The trend scores each batch on its own. Source: stored batch snapshots.",
    "performance": "Main accuracy figure on the batches in the period whose labels have arrived (AUC, or accuracy, for "
                   "classifiers; mean absolute error for regressors), averaged weighted by labelled rows, against the "
                   "baseline: the same figure on data the model did not train on (validation data, else "
                   "cross-validation). Green within 5% of the baseline, amber within 10%, red beyond. While no label "
                   "of the period has arrived, the figure is estimated from the model's scores (classifiers) or "
                   "inputs and predictions (regressors) and marked 'estimated'; with neither, the last known value "
                   "and its batch. Source: snapshot performance and estimate.",
    "volume": "Predictions made in the period (rows scored), against the usual volume: the typical batch size "
              "(median over all batches so far) × the batches the schedule expects in the period. Green within 25% "
              "of usual, amber within 50%, red beyond. Source: snapshot row counts, monitor.toml schedule_days.",
    "shift": "How far the average prediction moved from the training data: for classifiers the share of positive "
             "predictions in percentage points, for regressors the mean predicted value in percent. Green within "
             "10% (relative) of training, amber within 25%, red beyond; at least amber when the distribution of "
             "the predictions drifted in the latest batch of the period (the verdict of the Drift page). "
             "Source: snapshot prediction summary and prediction drift.",
    "training_age": "Days from the training of the model version in production (alias champion/production, else the "
                    "newest) to the end of the period (or now). Green up to 90 days, amber up to 180, red beyond. "
                    "A period that ends before the training has no value. Source: MLflow model registry and "
                    "training run.",
}

HELP_ENGINEER = {
    "success": "Succeeded ÷ finished runs (Succeeded, Failed, Cancelled) of the model's pipelines (monitor.toml "
               "`pipelines`) that started in the period. Green at 100%, amber from 80%, red below. "
               "Source: ADF pipeline runs or the local pipeline-run source.",
    "freshness": "Days from the latest monitored batch to the end of the period (or now), against the schedule "
                 "(monitor.toml `schedule_days`). A batch is late when it arrives more than the schedule + 1 h after "
                 "the previous one. Green when on time, amber when overdue or a batch in the period was late, red past "
                 "two intervals. Source: snapshot batch times.",
    "quality": "Data-quality findings (missing values, unseen categories, out-of-range values, type and schema "
               "problems) in the period's batches, by severity and column. Red with any critical finding, amber with "
               "any warning. Source: snapshot quality findings.",
    "drift": "Features whose drift test fails in the latest batch of the period (per-feature method and threshold), "
             "and since when every batch has drifted features. Red when the share of drifted features reaches the "
             "model's drift share, amber with any drifted feature. Source: snapshot drift report.",
    "duration": "Median duration of the main pipeline's successful runs in the period. Usual range per pipeline: "
                "Q1 − 1.5 × IQR to Q3 + 1.5 × IQR of its successful runs (at least 4) up to the end of the period, and "
                "never narrower than the median ± 25%; "
                "runs outside it are flagged (amber). Source: pipeline-run durations.",
}
