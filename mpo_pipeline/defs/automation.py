"""Jobs and schedules: what runs together, and when."""

import dagster as dg

LOAD_SELECTION = dg.AssetSelection.groups("mpo_stats", "mpo_metadata")

load_job = dg.define_asset_job(
    "load",
    selection=LOAD_SELECTION,
    description=(
        "Ingest a day range (stats for every endpoint and policy, a metadata snapshot) and build "
        "the warehouse for it. Launch it for a partition range: one run for the whole range."
    ),
)

ingest_job = dg.define_asset_job(
    "ingest",
    selection=dg.AssetSelection.groups("mpo_stats", "mpo_metadata"),
    description="Only the extraction into the Parquet lake (no DuckDB writes).",
)
