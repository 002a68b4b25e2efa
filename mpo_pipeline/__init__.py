"""mpo-pipeline: the Criteo MPO Standard Reporting API into a Parquet lake, then dbt on DuckDB."""

import os

# Arrow's default allocator for the whole process, chosen before pyarrow is first imported (it is
# read once): the system allocator. The stats hot path converts into its own jemalloc pool
# (client/hotpath.py); beside it, pyarrow's default (mimalloc) commits up to ~50 MB of pages of
# its own during an extraction (measured, a year of one 2,000-seller account: peak RSS 241 MB
# with mimalloc, 201 MB with the system allocator, 206 MB with jemalloc). A setting in the
# environment wins.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
