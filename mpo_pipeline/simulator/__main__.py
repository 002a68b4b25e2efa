"""``python -m mpo_pipeline.simulator``."""

from .cli import main

raise SystemExit(main())
