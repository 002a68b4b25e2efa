"""A local, deterministic, faulty-on-demand simulator of the Criteo MPO API (see its README).

```python
from mpo_pipeline.simulator import SimulatorConfig, GroundTruth, running_simulator
with running_simulator(SimulatorConfig(seed=42)) as sim:
    sim.url, sim.truth, sim.set_today(...), sim.request_log
```
See README.md in this package for the behaviour choices.
"""

from .clock import Clock
from .config import SimulatorConfig
from .directory import missing_seller_names, seller_directory, write_seller_directory
from .server import RunningSimulator, running_simulator
from .truth import GroundTruth

__all__ = [
    "Clock",
    "GroundTruth",
    "RunningSimulator",
    "SimulatorConfig",
    "missing_seller_names",
    "running_simulator",
    "seller_directory",
    "write_seller_directory",
]
