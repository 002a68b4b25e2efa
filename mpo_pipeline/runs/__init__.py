"""Running the Dagster definitions from the command line: the local instance, run progress,
the runner."""
