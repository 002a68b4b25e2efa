"""The ``mpo-pipeline`` command and its subcommands (``main`` is the entry point)."""

from mpo_pipeline.cli.main import COMMANDS, main

__all__ = ["COMMANDS", "main"]
