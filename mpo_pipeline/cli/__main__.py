"""``python -m mpo_pipeline.cli``."""

import sys

from mpo_pipeline.cli.main import main

sys.exit(main())
