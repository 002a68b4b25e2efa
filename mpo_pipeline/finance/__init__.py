"""Finance logic in plain Python on DuckDB: month readiness, month close, statement export.

No Dagster import here: the assets in ``mpo_pipeline.defs.finance`` and the CLI in
``mpo_pipeline.cli.finance`` are thin wrappers around these modules, which unit tests call directly.
"""
