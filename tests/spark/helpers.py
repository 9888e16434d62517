"""A local SparkSession for tests (one per test session) and a helper that logs a batch from Spark.

Any test may call :func:`spark_session`; the first call starts ``local[2]`` (Java comes from the
system packages that ``scripts/system-deps.sh`` installs) and later calls reuse it.
"""

from __future__ import annotations

import functools
import shutil

import pandas as pd


@functools.cache
def spark_session():
    """The test session's SparkSession; fails (never skips) when Java is missing."""
    if shutil.which("java") is None:
        raise RuntimeError("Java is missing: run `make system-deps` (scripts/system-deps.sh installs a JRE) "
                           "before the Spark tests")
    from monitor.spark import local_session

    spark = local_session(cores=2, memory="1g", app="mlops-monitor-tests")
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def log_spark_batch(model: str, frame: pd.DataFrame, *, model_version: str, tracking_uri: str | None = None,
                    partitions: int = 3, **kwargs) -> str:
    """Log ``frame`` (features and prediction columns) as a batch scored on Spark: it goes through a Spark
    DataFrame of ``partitions`` partitions and :func:`monitor.spark.log_batch`, like a Databricks job's batch."""
    from monitor.spark import log_batch

    sdf = spark_session().createDataFrame(frame).repartition(partitions)
    return log_batch(model, sdf, model_version=model_version, tracking_uri=tracking_uri, **kwargs)
