"""Step-index arrays as the engine hands them to schedule functions, and recognizing them.

A schedule function receives ``t``, float64 step indices. Most of the time ``t`` is a plain range
start, start+1, ..., start+n-1 made by :func:`step_range`; a schedule that has its whole curve
precomputed (a scan) or a faster formula for ranges asks :func:`as_range` instead of inspecting
the values, which would cost a pass over the array.

A function marked :func:`range_aware` promises more: given a long range (the kernels' FAST_FROM
steps or more, see lrplot/schedules/_kernels.py), it reads nothing but :func:`as_range`. Such
functions get an :func:`unread_range`, whose values are never written: the range costs no pass
over memory, and no memory until read.
"""

from __future__ import annotations

import weakref

import numpy as np

# Arrays made by step_range, by id; the `is` check below guards against a recycled id.
_RANGES: weakref.WeakValueDictionary[int, np.ndarray] = weakref.WeakValueDictionary()
# The steps 0..M-1 behind the ranges alive: a range inside them is a view, made without a pass
# over memory (the engine asks for the whole curve's steps, a composite for each schedule's).
_shared: list[weakref.ref[np.ndarray]] = []


def step_range(start: int, n: int) -> np.ndarray:
    """The steps start..start+n-1 as a read-only float64 array that :func:`as_range` recognizes."""
    steps = _shared[0]() if _shared else None
    if steps is None or start < 0 or start + n > len(steps):
        if 0 <= start <= n:  # 0..start+n-1 is at most twice the range: worth keeping for others
            steps = np.arange(start + n, dtype=np.float64)
            _shared[:] = [weakref.ref(steps)]
        else:
            steps, start = np.arange(start, start + n, dtype=np.float64), 0
        steps.flags.writeable = False  # read-only, so it is still the range it was made as
    t = steps[start : start + n]
    _RANGES[id(t)] = t
    return t


def unread_range(start: int, n: int) -> np.ndarray:
    """The steps start..start+n-1 for :func:`range_aware` functions: recognized by
    :func:`as_range`, but only its first value is written (the others hold whatever the memory
    held, and are never read)."""
    t = np.empty(n)
    if n:
        t[0] = start  # what as_range reads
    t.flags.writeable = False
    _RANGES[id(t)] = t
    return t


def range_aware(fn):
    """Mark a schedule function that reads a long step range only through :func:`as_range` /
    :func:`as_slice`, never its values (tests/test_kernels.py checks it)."""
    fn.range_aware = True
    return fn


def is_range_aware(fn) -> bool:
    return getattr(fn, "range_aware", False)


def as_range(t: np.ndarray) -> tuple[int, int] | None:
    """``(start, n)`` when ``t`` was made by :func:`step_range`, else None."""
    if _RANGES.get(id(t)) is not t:
        return None
    return (int(t[0]) if len(t) else 0), len(t)


def as_slice(t: np.ndarray) -> slice | None:
    """``slice(start, start + n)`` when ``t`` is a step range, for slicing a precomputed curve."""
    found = as_range(t)
    return None if found is None else slice(found[0], found[0] + found[1])
