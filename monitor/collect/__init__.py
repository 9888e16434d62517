"""Reads through the service's ports (MLflow, the snapshot store, pipeline runs) that gather the plain
records the pure packages compute on: :mod:`monitor.collect.kpis` and :mod:`monitor.collect.lineage`."""
