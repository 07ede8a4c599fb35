"""Step-index arrays as the engine hands them to schedule functions, and recognizing them.

A schedule function receives ``t``, float64 step indices. Most of the time ``t`` is a plain range
start, start+1, ..., start+n-1 made by :func:`step_range`; a schedule that has its whole curve
precomputed (a scan) or a faster formula for ranges asks :func:`as_range` instead of inspecting
the values, which would cost a pass over the array.
"""

from __future__ import annotations

import weakref

import numpy as np

# Arrays made by step_range, by id; the `is` check below guards against a recycled id.
_RANGES: weakref.WeakValueDictionary[int, np.ndarray] = weakref.WeakValueDictionary()


def step_range(start: int, n: int) -> np.ndarray:
    """The steps start..start+n-1 as a read-only float64 array that :func:`as_range` recognizes."""
    t = np.arange(start, start + n, dtype=np.float64)
    t.flags.writeable = False  # read-only, so it is still the range it was made as
    _RANGES[id(t)] = t
    return t


def as_range(t: np.ndarray) -> tuple[int, int] | None:
    """``(start, n)`` when ``t`` was made by :func:`step_range`, else None."""
    if _RANGES.get(id(t)) is not t:
        return None
    return (int(t[0]) if len(t) else 0), len(t)


def as_slice(t: np.ndarray) -> slice | None:
    """``slice(start, start + n)`` when ``t`` is a step range, for slicing a precomputed curve."""
    found = as_range(t)
    return None if found is None else slice(found[0], found[0] + found[1])
