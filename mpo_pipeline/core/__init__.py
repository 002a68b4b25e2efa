"""Pieces every layer shares: the pipeline's clock and dates."""
