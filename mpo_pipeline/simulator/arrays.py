"""Arrow arrays and scalars built straight from numpy buffers, for the serving path.

``pyarrow.array`` and ``pyarrow.scalar`` (also called for a Python ``str`` given to a compute
function) import pandas the first time (about 2 s here), which would land on the first stats
response a server sends. Building from buffers never does, and is zero-copy for integers.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def int64s(values: np.ndarray) -> pa.Array:
    """An int64 Arrow array of ``values`` (no nulls)."""
    data = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


def bools(values: np.ndarray) -> pa.Array:
    """A boolean Arrow array of ``values`` (no nulls)."""
    bits = np.packbits(np.asarray(values, dtype=bool), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])


def strings(texts: list[str]) -> pa.Array:
    """A string Arrow array of ``texts`` (no nulls)."""
    encoded = [t.encode("utf-8") for t in texts]
    offsets = np.zeros(len(encoded) + 1, np.int32)
    np.cumsum(np.array([len(e) for e in encoded], np.int64), out=offsets[1:])
    data = pa.py_buffer(b"".join(encoded))
    return pa.Array.from_buffers(pa.string(), len(encoded), [None, pa.py_buffer(offsets), data])


@lru_cache(maxsize=64)
def scalar(text: str) -> pa.Scalar:
    """A string scalar (taken from a one-element array)."""
    return strings([text])[0]


def join(*parts: pa.Array | str, sep: str = "") -> pa.Array:
    """Element-wise concatenation of string arrays with ``sep``; a ``str`` part is broadcast."""
    args = [scalar(p) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*args, scalar(sep))
