"""Fast closed forms over long step ranges: about one pass of memory per curve, within a few ulps.

numpy's float64 ``cos`` costs ~10 ns an element and ``pow`` 3-70 ns (far more where results
underflow), while writing an element costs ~1 ns. So when a schedule is asked for a plain step
range of at least :data:`FAST_FROM` rows (its ``lr_range``), it evaluates its closed
form with these kernels, which split the range into blocks of :data:`BLOCK` rows (step t = t_j + k
in block j) and write the blocks with matrix (or outer) products: row j of ``left`` times a table
``right`` shared by all blocks, so the transcendental functions are evaluated only
``n / BLOCK + BLOCK`` times, and each row of the result is written once.

- :func:`cosine`: ``mid + amp·cos(π·(t − start)/length)`` by angle addition,
  cos(θ_j + δ_k) = cos θ_j·cos δ_k − sin θ_j·sin δ_k, with both angles reduced exactly when the
  wave is periodic in whole steps (more accurate than ``np.cos`` of an unreduced angle).
- :func:`geometric`: ``scale·r^t`` as (scale·r^t_j)·r^k; values below the normal range are 0,
  which both avoids the subnormal slowdown and changes a rate by less than 2.3e-308.
- :func:`power`: ``scale·(1 − t/T)^p`` by the binomial series of (1 − k/J_j)^p in each block
  (J_j = T − t_j), truncated where it is exact to below an ulp.
- :func:`affine`: a straight line, from the plain formula at each block's first step.
- :func:`tile`, :func:`stairs` and :func:`pieces`: one period repeated, treads of a staircase,
  piecewise constants.

Each agrees with the plain formula to a few ulps of the curve's scale (``tests/test_kernels.py``);
callers put back, with the plain formula, the rows where it is exact (a cosine of ±1, a phase end).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from lrplot.registry import FAST_FROM  # noqa: F401 - the kernels' threshold, named here too

# Steps per block: the shared tables (2 to SERIES_TERMS rows of BLOCK) stay in the L1/L2 cache.
BLOCK = 2048
TINY = float(np.finfo(np.float64).tiny)
HUGE = float(np.finfo(np.float64).max)
# The binomial series is summed to this many terms; a block uses it only where the rest is < 2^-56.
SERIES_TERMS = 8
SERIES_ERROR = 2.0**-56
# Multiply-adds per matrix product (see _products).
PRODUCT_SIZE = 200_000


def _products(out: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``out[j·B + k] = left[j] @ right[:, k]`` for k < B = right's width: matrix products
    written in place (no temporaries), a few dozen blocks at a time, then the short last block."""
    n = len(out)
    if n == 0:
        return out
    width = right.shape[1]
    whole = n // width
    rows = out[: whole * width].reshape(whole, width)
    # Products this small stay on one thread in OpenBLAS (under 65536·4 multiply-adds): the work
    # is bound by memory, and threads only add jitter; each group's rows also stay in cache.
    group = max(1, PRODUCT_SIZE // (width * right.shape[0]))
    for j in range(0, whole, group):
        np.matmul(left[j : min(j + group, whole)], right, out=rows[j : j + group])
    if whole * width < n:
        np.matmul(left[whole], right[:, : n - whole * width], out=out[whole * width :])
    return out


def cosine(
    out: np.ndarray, first: int, *, start: float, length: float, amp: float, mid: float, periodic: bool
) -> np.ndarray:
    """``out`` (row i is step t = first + i) set to ``mid + amp·cos(π·(t − start)/length)``.

    ``periodic``: ``start`` and ``length`` are whole numbers, so the angle is reduced modulo 2π
    exactly (in integers, modulo 2·length steps) before it is rounded.

    >>> cosine(np.empty(5), 0, start=0, length=2, amp=1.0, mid=0.0, periodic=True).round(12) + 0.0
    array([ 1.,  0., -1.,  0.,  1.])
    """
    n = len(out)
    if n == 0:
        return out
    blocks = -(-n // BLOCK)
    offsets = np.arange(min(BLOCK, n))
    if periodic:
        period = 2 * int(length)
        firsts = ((first - int(start)) + BLOCK * np.arange(blocks, dtype=np.int64)) % period
        offsets = offsets % period
    else:
        firsts = (first + BLOCK * np.arange(blocks, dtype=np.float64)) - start
    theta = np.pi * firsts.astype(np.float64) / length
    delta = np.pi * offsets.astype(np.float64) / length
    left = np.empty((blocks, 3))
    left[:, 0] = mid
    np.multiply(amp, np.cos(theta), out=left[:, 1])
    np.multiply(-amp, np.sin(theta), out=left[:, 2])
    right = np.stack((np.ones(len(delta)), np.cos(delta), np.sin(delta)))
    return _products(out, left, right)


def affine(
    out: np.ndarray, first: int, *, slope: float, plain: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """``out`` (row i is step t = first + i) set to a straight line: ``plain(t_j) + slope·k`` at
    t = t_j + k, where ``plain`` is the schedule's own formula, evaluated at each block's first step."""
    n = len(out)
    if n == 0:
        return out
    blocks = -(-n // BLOCK)
    left = np.empty((blocks, 2))
    left[:, 0] = plain(first + BLOCK * np.arange(blocks, dtype=np.float64))
    left[:, 1] = slope
    right = np.stack((np.ones(min(BLOCK, n)), np.arange(min(BLOCK, n), dtype=np.float64)))
    return _products(out, left, right)


def _scaled_power(scale: float, ratio: float, steps: np.ndarray) -> np.ndarray:
    """scale·ratio^t with ratio^t taken in two halves: near the top of the float range ratio^t
    alone may overflow (or near the bottom underflow) while scale·ratio^t does not."""
    half = np.floor(steps / 2)
    return scale * np.power(ratio, half) * np.power(ratio, steps - half)


def geometric(out: np.ndarray, first: int, *, scale: float, ratio: float) -> np.ndarray:
    """``out`` (row i is step t = first + i) set to ``scale·ratio^t``, every value below the
    normal range 0.

    Block j is (scale·ratio^t_j)·ratio^k, so ``pow`` runs once per block and once per offset. Rows
    past the one where the value leaves the normal range are 0 (decay) or inf (growth) without
    computing them; the few rows around it take the plain formula.

    >>> geometric(np.empty(4), 0, scale=3.0, ratio=0.5)
    array([3.   , 1.5  , 0.75 , 0.375])
    """
    n = len(out)
    if ratio == 1.0 or n == 0:
        out[:] = scale * ratio**0
        return out
    if not (scale > 0 and ratio > 0):
        with np.errstate(over="ignore", under="ignore"):
            out[:] = scale * np.power(ratio, np.arange(first, first + n, dtype=np.float64))
        return out
    log_ratio = math.log(ratio)
    edge_value = TINY if ratio < 1 else HUGE
    # The last step in the normal range (estimated; the rows around it are computed plainly).
    edge = (math.log(edge_value) - math.log(scale)) / log_ratio if scale > 0 else -1.0
    margin = 4
    fast = int(min(max(math.floor(edge) - margin - first, 0), n))
    plain = int(min(max(math.floor(edge) + margin + 2 - first, fast), n))
    if fast:
        # ratio^k must itself stay normal across a block.
        width = int(max(1, min(BLOCK, fast, 600.0 // abs(log_ratio))))
        blocks = -(-fast // width)
        left = _scaled_power(scale, ratio, first + width * np.arange(blocks, dtype=np.float64))
        right = np.power(ratio, np.arange(width, dtype=np.float64))
        whole = fast // width
        np.multiply(left[:whole, None], right, out=out[: whole * width].reshape(whole, width))
        np.multiply(left[whole:], right[: fast - whole * width], out=out[whole * width : fast])
    if plain > fast:
        steps = np.arange(first + fast, first + plain, dtype=np.float64)
        with np.errstate(over="ignore", under="ignore"):
            part = _scaled_power(scale, ratio, steps)
        part[np.abs(part) < TINY] = 0.0
        out[fast:plain] = part
    out[plain:] = 0.0 if ratio < 1 else math.inf
    return out


def _series_reach(p: float) -> float:
    """The largest u (a power of two, at most 1/2) for which the binomial series of (1 − u)^p,
    cut after SERIES_TERMS terms, leaves less than SERIES_ERROR."""
    u = 0.5
    while u > 2.0**-40:
        term, rest = 1.0, 0.0
        for m in range(1, SERIES_TERMS + 80):
            term *= (p - m + 1) / m * u
            if m >= SERIES_TERMS:
                rest += abs(term)
        if rest < SERIES_ERROR:
            return u
        u /= 2
    return 0.0


def power(
    out: np.ndarray, first: int, *, total: int, p: float, plain: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """``out`` (row i is step t = first + i, all below ``total``) set to ``scale·(1 − t/total)^p``,
    where ``plain(t)`` is that formula itself (the schedule's, used where the series is not).

    Write J = total − t; in block j, (J_j − k)^p = J_j^p·(1 − k/J_j)^p, and the binomial series
    Σ_m C(p, m)·(−k/J_j)^m is one matrix product: ``left[j, m] = plain(t_j)·C(p, m)·(−B/J_j)^m``
    times ``right[m, k] = (k/B)^m``. Blocks too close to the end for the series to converge to
    below an ulp in SERIES_TERMS terms (k/J_j above :func:`_series_reach`) take ``plain``.
    """
    n = len(out)
    reach = _series_reach(p)
    series_rows = 0
    if reach > 0:
        last_first = total - math.ceil((BLOCK - 1) / reach)  # the last block start the series covers
        if last_first >= first:
            series_rows = min(n, ((last_first - first) // BLOCK + 1) * BLOCK)
    if series_rows:
        blocks = -(-series_rows // BLOCK)
        starts = first + BLOCK * np.arange(blocks, dtype=np.float64)
        remaining = total - starts
        m = np.arange(SERIES_TERMS)
        binomial = np.cumprod(np.concatenate(([1.0], (p - m[1:] + 1) / m[1:])))
        left = plain(starts)[:, None] * binomial * np.power(-BLOCK / remaining[:, None], m)
        right = np.power(np.arange(BLOCK, dtype=np.float64) / BLOCK, m[:, None])
        _products(out[:series_rows], left, right)
    if series_rows < n:
        out[series_rows:] = plain(np.arange(first + series_rows, first + n, dtype=np.float64))
    return out


def tile(n: int, period: Sequence[float] | np.ndarray) -> np.ndarray:
    """``period`` repeated over n rows (row i is ``period[i % len(period)]``)."""
    pattern = np.asarray(period, dtype=np.float64)
    out = np.empty(n)
    whole = n // len(pattern)
    out[: whole * len(pattern)].reshape(whole, len(pattern))[:] = pattern
    out[whole * len(pattern) :] = pattern[: n - whole * len(pattern)]
    return out


def stairs(first: int, n: int, width: int, levels: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Rows of first..first+n−1 on treads ``width`` steps wide: step t gets
    ``levels[t // width − first // width]`` (into ``out``, n rows, when given).

    >>> stairs(3, 6, 2, np.array([1.0, 2.0, 3.0, 4.0]))
    array([1., 2., 2., 3., 3., 4.])
    """
    out = np.empty(n) if out is None else out
    head = min(n, width - first % width)
    out[:head] = levels[0]
    whole = (n - head) // width
    out[head : head + whole * width].reshape(whole, width)[:] = levels[1 : 1 + whole, None]
    if head + whole * width < n:
        out[head + whole * width :] = levels[1 + whole]
    return out


def pieces(n: int, bounds: Sequence[int], values: Sequence[float]) -> np.ndarray:
    """Rows [bounds[i], bounds[i+1]) set to values[i]; bounds start at 0 and end at n."""
    out = np.empty(n)
    for low, high, value in zip(bounds[:-1], bounds[1:], values):
        if high > low:
            out[low:high] = value
    return out


def phase_rows(first: int, n: int, ends: Sequence[float]) -> list[tuple[int, int]]:
    """For phases i that hold the steps t <= ends[i] (after the phases before; the last phase
    holds everything after), the rows [lo, hi) of the range first..first+n−1 in each."""
    rows = []
    low = 0
    for i, end in enumerate(ends):
        high = n if i == len(ends) - 1 else int(min(max(math.floor(end) + 1 - first, low), n))
        rows.append((low, high))
        low = high
    return rows


def steps_at(first: int, n: int, every: int, offset: int = 0) -> slice:
    """The rows of first..first+n−1 whose step is ``offset`` modulo ``every``, as a slice."""
    return slice((offset - first) % every, n, every)
