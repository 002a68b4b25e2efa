"""Extraction: the lake's layout and atomic writes, the Standard and Real-Time extraction,
the lake's checks (plain Python, no Dagster)."""
