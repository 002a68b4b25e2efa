"""Pieces every layer shares: the pipeline's clock and dates, secrets that never print, the
Dagster patch the definitions and the runner apply."""
