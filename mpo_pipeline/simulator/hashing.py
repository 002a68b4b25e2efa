"""Counter-based random numbers (splitmix64) on numpy arrays.

Every random draw is a pure function of its key (seed, entity, day, stream), so any window of data
can be generated on its own and always agrees with any other window: no generator state, no
dependence on which cells were asked for.
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_INV_2_32 = 1.0 / 4294967296.0


def mix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser: a bijective, well-mixed scramble of uint64 values."""
    with np.errstate(over="ignore"):
        x = np.array(x, dtype=np.uint64)  # a copy, then in place: less memory traffic
        x ^= x >> np.uint64(30)
        x *= _M1
        x ^= x >> np.uint64(27)
        x *= _M2
        x ^= x >> np.uint64(31)
        return x


def hash_key(*parts: int | np.ndarray) -> np.ndarray:
    """Hash several integer keys (scalars or broadcastable arrays) into one uint64 key."""
    h = np.asarray(0x5EED, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for part in parts:
            p = np.asarray(part).astype(np.int64).astype(np.uint64)
            h = mix64(h ^ (p * _GOLDEN + np.uint64(0x632BE59BD9B4E019)))
    return h


def stream(key: np.ndarray, stream_id: int) -> np.ndarray:
    """An independent hash of ``key`` for the numbered random stream."""
    with np.errstate(over="ignore"):
        return mix64(key ^ (np.uint64(stream_id) * _GOLDEN))


def uniforms(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two independent uniforms in [0, 1) from the two 32-bit halves of each hash."""
    hi = (h >> np.uint64(32)).astype(np.float64) * _INV_2_32
    lo = (h & np.uint64(0xFFFFFFFF)).astype(np.float64) * _INV_2_32
    return hi, lo


def uniform(key: np.ndarray, stream_id: int) -> np.ndarray:
    """One uniform in [0, 1) per key for the numbered stream."""
    return uniforms(stream(key, stream_id))[0]


def normal_and_uniforms(
    key: np.ndarray, stream_id: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An approximately standard-normal draw and two independent uniforms, from one hash.

    The four 16-bit quarters of the hash give four uniforms (plenty of resolution for noise and
    stochastic rounding); the normal is the scaled sum of two of them (triangular, variance 1),
    much cheaper than Box-Muller on millions of cells.
    """
    h = np.ascontiguousarray(stream(key, stream_id))
    # The quarters, read as uint16 through a view (their order depends on the byte order, which
    # only permutes which quarter is which: still four independent uniforms).
    q = h.view(np.uint16).reshape(*h.shape, 4).astype(np.float64)
    q += 0.5
    q *= 1.0 / 65536.0
    return (q[..., 0] + q[..., 1] - 1.0) * 2.449489742783178, q[..., 2], q[..., 3]
