"""The DuckDB warehouse: the cross-process writer lock and publishing the snapshot BI reads."""
