"""DeepSpeed's schedules (deepspeed.runtime.lr_schedules) and the "scheduler" section of its config.

Row t is the rate the optimizer holds for update t when the scheduler is stepped after every
update, as DeepSpeed's engine does (``engine.step()`` runs ``optimizer.step()``, then
``lr_scheduler.step()``; an update skipped for an fp16 overflow steps neither). The constructor
writes row 0 into the optimizer; every ``step()`` then adds one to ``last_batch_iteration`` and
writes the schedule at that iteration. So with k₀ the constructor's ``last_batch_iteration``
(-1 for a fresh run), row t ≥ 1 is the schedule at iteration k = k₀ + t: a fresh run's update t
trains with the schedule at t − 1. Row 0 is what the constructor leaves:

- WarmupLR, WarmupDecayLR: ``warmup_min_lr``; WarmupCosineLR: 0, whatever ``warmup_min_ratio``
  ("before it has started"); OneCycle: ``cycle_min_lr`` (and ``cycle_min_mom``); LRRangeTest:
  ``lr_range_test_min_lr``;
- with k₀ ≥ 0 (a resumed run) the constructors leave the optimizer alone: row 0 is its own lr
  (``--lr``) and, for the momentum, its own beta1 (AdamW's default, 0.9).

DeepSpeed computes with Python floats; lrplot takes the same float64 operations in the same order
(numpy's log may differ from math.log by an ulp), and the long-range paths (``*_range``) are
within a few ulps of the plain formulas. OneCycle's momentum is beta1 of the optimizer's
``betas``: DeepSpeed cycles momentum only for optimizers that have betas (Adam, AdamW, ...), and
sets beta2 to 0.99 when it does.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from lrplot.params import Choice, Integer, Invalid, Param, Real, Switch, literal, show
from lrplot.registry import Annotations, Phase, Schedule, call_with, closest, register, schedules_of

from . import _kernels

FRAMEWORK = "deepspeed"
ORIGIN = "deepspeed.runtime.lr_schedules."
# The optimizer lrplot's numbers and emitted code assume: torch's AdamW, whose defaults these are.
ADAMW_LR = 1e-3
ADAMW_BETA1 = 0.9
# OneCycle writes (momentum, ONE_CYCLE_BETA2) into the optimizer's betas.
ONE_CYCLE_BETA2 = 0.99


# --- parameters ---------------------------------------------------------------------------------


def _optimizer_lr(role: str) -> Real:
    return Real("lr", f"The optimizer's learning rate (its lr): {role}", ADAMW_LR, ge=0, argument=False)


LAST_BATCH_ITERATION = Integer(
    "last_batch_iteration",
    "Iterations already done (a resumed run); -1 starts from the beginning.",
    -1,
    ge=-1,
)
WARMUP_MIN_LR = Real("warmup_min_lr", "The rate at the start of the warm-up.", 0.0, ge=0)
WARMUP_NUM_STEPS = Integer(
    "warmup_num_steps", "Steps of the warm-up (DeepSpeed takes at least 2).", 1000, ge=1
)
WARMUP_TYPE = Choice(
    "warmup_type",
    "Shape of the warm-up: log (ln(k+1)/ln W, DeepSpeed's default) or linear (k/W).",
    "log",
    choices=("log", "linear"),
)
TOTAL_NUM_STEPS = Integer(
    "total_num_steps", "Steps of the whole run, warm-up included.", required=True, ge=1
)

WARMUP_LR_PARAMS = (
    _optimizer_lr("the peak when warmup_max_lr is not given (WarmupLR's default)."),
    WARMUP_MIN_LR,
    Real("warmup_max_lr", "The rate after the warm-up (default: the optimizer's lr).", ge=0),
    WARMUP_NUM_STEPS,
    WARMUP_TYPE,
    LAST_BATCH_ITERATION,
)
WARMUP_DECAY_LR_PARAMS = (
    _optimizer_lr("row 0 of a resumed run (last_batch_iteration >= 0); else overwritten."),
    TOTAL_NUM_STEPS,
    WARMUP_MIN_LR,
    Real("warmup_max_lr", "The rate at the end of the warm-up.", 0.001, ge=0),
    WARMUP_NUM_STEPS,
    WARMUP_TYPE,
    LAST_BATCH_ITERATION,
)
WARMUP_COSINE_LR_PARAMS = (
    _optimizer_lr("the peak; WarmupCosineLR scales it by its ratio."),
    TOTAL_NUM_STEPS,
    Real("warmup_min_ratio", "Ratio of lr at the start of the warm-up.", 0.0, ge=0),
    WARMUP_NUM_STEPS,
    Real("cos_min_ratio", "Ratio of lr at the end of the cosine (the floor after it).", 0.0001),
    WARMUP_TYPE,
    LAST_BATCH_ITERATION,
)
ONE_CYCLE_PARAMS = (
    _optimizer_lr("row 0 of a resumed run (last_batch_iteration >= 0); else overwritten."),
    Real("cycle_min_lr", "The rate at both ends of the cycle.", required=True, ge=0),
    Real("cycle_max_lr", "The rate at the top of the cycle.", required=True, ge=0),
    Real("decay_lr_rate", "After the cycle: rate = cycle_min_lr / (1 + decay_lr_rate x i / "
         "decay_step_size), i steps past the cycle.", 0.0, ge=0),
    Integer("cycle_first_step_size", "Steps of the rising half of the cycle.", 2000, ge=1),
    Integer("cycle_second_step_size", "Steps of the falling half (default: cycle_first_step_size).",
            ge=0),
    Integer("cycle_first_stair_count", "Stairs of the rising half (0: a straight line).", 0),
    Integer("cycle_second_stair_count", "Stairs of the falling half (default: "
            "cycle_first_stair_count).", None),
    Integer("decay_step_size", "Scale of the decay after the cycle (0: no decay).", 0, ge=0),
    Switch("cycle_momentum", "Cycle the optimizer's beta1 inversely to the rate.", True),
    Real("cycle_min_mom", "Momentum (beta1) at the top of the cycle.", 0.8, ge=0, le=1),
    Real("cycle_max_mom", "Momentum (beta1) at both ends of the cycle.", 0.9, ge=0, le=1),
    Real("decay_mom_rate", "After the cycle: momentum = cycle_max_mom x (1 + decay_mom_rate x i / "
         "decay_step_size).", 0.0),
    LAST_BATCH_ITERATION,
)
LR_RANGE_TEST_PARAMS = (
    _optimizer_lr("row 0 of a resumed run (last_batch_iteration >= 0); else overwritten."),
    Real("lr_range_test_min_lr", "The rate at the start.", 1e-3, ge=0),
    Integer("lr_range_test_step_size", "Steps per increase of lr_range_test_step_rate x the start.",
            2000, ge=1),
    Real("lr_range_test_step_rate", "Increase per lr_range_test_step_size steps, in units of the start.",
         1.0),
    Switch("lr_range_test_staircase", "Increase in stairs instead of continuously.", False),
    LAST_BATCH_ITERATION,
)


def warmup_length(warmup_num_steps: int) -> int:
    """The warm-up DeepSpeed runs: ``max(2, warmup_num_steps)`` steps."""
    return max(2, warmup_num_steps)


def _first_row(out: np.ndarray, t: np.ndarray, value: float) -> np.ndarray:
    """``out`` with row 0 (where t is 0) set to what the constructor left in the optimizer."""
    return np.where(t == 0, value, out)


def _start(last_batch_iteration: int, fresh: float, lr: float) -> float:
    """Row 0: the constructor's value on a fresh run, the optimizer's own rate on a resumed one."""
    return fresh if last_batch_iteration == -1 else lr


def _iterations(t: np.ndarray, last_batch_iteration: int) -> np.ndarray:
    """``last_batch_iteration`` at row t (t ≥ 1); row 0's (the constructor's -1) is taken as 0
    here, and its row replaced by :func:`_first_row`."""
    return np.maximum(last_batch_iteration + t, 0.0)


def warmup_fraction(k: np.ndarray, warmup: int, warmup_type: str) -> np.ndarray:
    """How far the warm-up is at iteration k < W (W = max(2, warmup_num_steps)), in DeepSpeed's
    operations: log: (1/ln W)·ln(k + 1); linear: k/W."""
    if warmup_type == "log":
        return (1.0 / math.log(warmup)) * np.log(k + 1.0)
    return k / warmup


# --- WarmupLR and WarmupDecayLR -----------------------------------------------------------------


def _peak(lr: float, warmup_max_lr: float | None) -> float:
    return lr if warmup_max_lr is None else warmup_max_lr


def warmup_lr(
    t: np.ndarray,
    *,
    lr: float,
    warmup_min_lr: float,
    warmup_max_lr: float | None,
    warmup_num_steps: int,
    warmup_type: str,
    last_batch_iteration: int,
) -> np.ndarray:
    """η(k) = η_min + (η_max − η_min)·γ(k), γ(k) = ln(k+1)/ln W (log) or k/W (linear) for k < W,
    then 1; W = max(2, warmup_num_steps), η_max = warmup_max_lr (or the optimizer's lr), and row
    t ≥ 1 is iteration k = last_batch_iteration + t (row 0: η_min).

    >>> warmup_lr(np.arange(5.0), lr=1.0, warmup_min_lr=0.0, warmup_max_lr=None, warmup_num_steps=2,
    ...           warmup_type="linear", last_batch_iteration=-1)
    array([0. , 0. , 0.5, 1. , 1. ])
    """
    return _warmup_decay(t, None, lr, warmup_min_lr, _peak(lr, warmup_max_lr), warmup_num_steps,
                         warmup_type, last_batch_iteration)


def warmup_decay_lr(
    t: np.ndarray,
    *,
    lr: float,
    total_num_steps: int,
    warmup_min_lr: float,
    warmup_max_lr: float,
    warmup_num_steps: int,
    warmup_type: str,
    last_batch_iteration: int,
) -> np.ndarray:
    """η(k) = η_min + (η_max − η_min)·γ(k) at iteration k = last_batch_iteration + t (row t ≥ 1;
    row 0: η_min): γ(k) = ln(k+1)/ln W (log) or k/W (linear) for k < W = max(2, warmup_num_steps),
    then γ(k) = max(0, (T − k)/max(1, T − W)): a straight line from η_max at k = W down to η_min at
    k = T = total_num_steps, and η_min after it.

    >>> warmup_decay_lr(np.arange(7.0), lr=1.0, total_num_steps=4, warmup_min_lr=0.0, warmup_max_lr=1.0,
    ...                 warmup_num_steps=2, warmup_type="linear", last_batch_iteration=-1)
    array([0. , 0. , 0.5, 1. , 0.5, 0. , 0. ])
    """
    return _warmup_decay(t, total_num_steps, lr, warmup_min_lr, warmup_max_lr, warmup_num_steps,
                         warmup_type, last_batch_iteration)


def _warmup_decay(t, total, lr, low, high, warmup_num_steps, warmup_type, last) -> np.ndarray:
    warmup = warmup_length(warmup_num_steps)
    k = _iterations(t, last)
    if total is None:
        after = 1.0
    else:
        after = np.maximum(0.0, (total - k) / float(max(1.0, total - warmup)))
    gamma = np.where(k < warmup, warmup_fraction(np.minimum(k, warmup), warmup, warmup_type), after)
    return _first_row(low + (high - low) * gamma, t, _start(last, low, lr))


# --- WarmupCosineLR -----------------------------------------------------------------------------


def warmup_cosine_lr(
    t: np.ndarray,
    *,
    lr: float,
    total_num_steps: int,
    warmup_min_ratio: float,
    warmup_num_steps: int,
    cos_min_ratio: float,
    warmup_type: str,
    last_batch_iteration: int,
) -> np.ndarray:
    """η(k) = lr·ρ(k) at iteration k = last_batch_iteration + t (row t ≥ 1; row 0: 0): in the
    warm-up (k < W = max(2, warmup_num_steps)) ρ = ρ_w + γ(k)·(1 − ρ_w), γ(k) = ln(k+1)/ln W (log)
    or k/W (linear); after it ρ = max(0, ρ_c + (1 − ρ_c)·(1 + cos(π·p))/2) with
    p = min(1, (k − W + 1)/max(1, T − W)): the cosine reaches its floor ρ_c = cos_min_ratio at
    k = T − 1 (T = total_num_steps) and stays there.

    >>> warmup_cosine_lr(np.arange(6.0), lr=1.0, total_num_steps=4, warmup_min_ratio=0.0, warmup_num_steps=2,
    ...                  cos_min_ratio=0.0, warmup_type="linear", last_batch_iteration=-1)
    array([0. , 0. , 0.5, 0.5, 0. , 0. ])
    """
    warmup = warmup_length(warmup_num_steps)
    k = _iterations(t, last_batch_iteration)
    rising = warmup_min_ratio + warmup_fraction(np.minimum(k, warmup), warmup, warmup_type) * (
        1.0 - warmup_min_ratio
    )
    progress = np.minimum(1.0, (k - warmup + 1) / max(1, total_num_steps - warmup))
    falling = np.maximum(0.0, cos_min_ratio + (1.0 - cos_min_ratio) * ((1 + np.cos(np.pi * progress)) / 2))
    ratio = np.where(k < warmup, rising, falling)
    return _first_row(lr * ratio, t, _start(last_batch_iteration, 0.0, lr))


# --- OneCycle -----------------------------------------------------------------------------------


def _cycle_sizes(first: int, second: int | None) -> tuple[float, float, float]:
    """(first, second, total) half sizes as OneCycle keeps them (floats)."""
    up = float(first)
    down = float(second) if second is not None else up
    return up, down, up + down


def _stairs(first_stairs: int, second_stairs: int | None) -> tuple[int, int]:
    return first_stairs, first_stairs if second_stairs is None else second_stairs


def cycle_scale(
    b: np.ndarray, *, first: int, second: int | None, first_stairs: int, second_stairs: int | None
) -> np.ndarray:
    """OneCycle's position in its cycle at batch b = k + 1, 0 at the ends, 1 at the top:
    x = 1 + b/S − ⌊1 + b/S⌋ (S = both halves), x/r rising (x ≤ r = first/S), (x − 1)/(r − 1)
    falling; with a stair count c > 0 in the half, ⌊c·i/h⌋/c (i the steps into the half, counted
    from its low end, h its size)."""
    up, down, total = _cycle_sizes(first, second)
    c_up, c_down = _stairs(first_stairs, second_stairs)
    ratio = up / total
    cycle = np.floor(1 + b / total)
    x = 1.0 + b / total - cycle
    rising = x <= ratio
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(rising, x / ratio, (x - 1) / (ratio - 1))
        if c_up > 0 or c_down > 0:
            count = np.where(rising, c_up, c_down)
            into = b % total
            position = np.where(into <= up, into * count / up, (total - into) * count / down)
            scale = np.where(count > 0, np.floor(position) / count, scale)
    return scale


def _decay_interval(b: np.ndarray, total: float, decay_step_size: int) -> np.ndarray:
    return (b - total) / decay_step_size


def one_cycle_lr(
    t: np.ndarray,
    *,
    lr: float,
    cycle_min_lr: float,
    cycle_max_lr: float,
    decay_lr_rate: float,
    cycle_first_step_size: int,
    cycle_second_step_size: int | None,
    cycle_first_stair_count: int,
    cycle_second_stair_count: int | None,
    decay_step_size: int,
    last_batch_iteration: int,
) -> np.ndarray:
    """At iteration k = last_batch_iteration + t (row t ≥ 1; row 0: η_min) and batch b = k + 1:
    in the cycle (k < S, S both halves) η = η_min + (η_max − η_min)·s(b), s rising from 0 to 1
    over cycle_first_step_size steps and back over the second half (:func:`cycle_scale`: stairs
    with a stair count); after it η_min / (1 + decay_lr_rate·(b − S)/decay_step_size) (η_min when
    either is 0).

    >>> one_cycle_lr(np.arange(6.0), lr=1.0, cycle_min_lr=0.0, cycle_max_lr=1.0, decay_lr_rate=0.0,
    ...              cycle_first_step_size=2, cycle_second_step_size=None, cycle_first_stair_count=0,
    ...              cycle_second_stair_count=None, decay_step_size=0, last_batch_iteration=-1)
    array([0. , 0.5, 1. , 0.5, 0. , 0. ])
    """
    _, _, total = _cycle_sizes(cycle_first_step_size, cycle_second_step_size)
    k = _iterations(t, last_batch_iteration)
    b = k + 1
    scale = cycle_scale(b, first=cycle_first_step_size, second=cycle_second_step_size,
                        first_stairs=cycle_first_stair_count, second_stairs=cycle_second_stair_count)
    cycling = cycle_min_lr + (cycle_max_lr - cycle_min_lr) * scale
    if _decays(decay_step_size, decay_lr_rate):
        # Inside the cycle the decay's denominator may pass 0: those rows take the cycle.
        with np.errstate(divide="ignore", invalid="ignore"):
            after = cycle_min_lr / (1 + decay_lr_rate * _decay_interval(b, total, decay_step_size))
    else:
        after = cycle_min_lr
    return _first_row(np.where(k < total, cycling, after), t,
                      _start(last_batch_iteration, cycle_min_lr, lr))


def _decays(decay_step_size: float, rate: float) -> bool:
    """Whether OneCycle decays after its cycle: math.isclose(x, 0) is x == 0 for both."""
    return decay_step_size != 0 and rate != 0


def one_cycle_momentum(
    t: np.ndarray,
    *,
    cycle_first_step_size: int,
    cycle_second_step_size: int | None,
    cycle_first_stair_count: int,
    cycle_second_stair_count: int | None,
    decay_step_size: int,
    cycle_momentum: bool,
    cycle_min_mom: float,
    cycle_max_mom: float,
    decay_mom_rate: float,
    last_batch_iteration: int,
) -> dict[str, np.ndarray]:
    """beta1 = μ_max − (μ_max − μ_min)·s(b) in the cycle, μ_max·(1 + decay_mom_rate·(b − S)/
    decay_step_size) after it (μ_max when either is 0); row 0 of a fresh run is μ_min, which the
    constructor sets, against μ_max for the formula."""
    if not cycle_momentum:
        return {}
    _, _, total = _cycle_sizes(cycle_first_step_size, cycle_second_step_size)
    k = _iterations(t, last_batch_iteration)
    b = k + 1
    scale = cycle_scale(b, first=cycle_first_step_size, second=cycle_second_step_size,
                        first_stairs=cycle_first_stair_count, second_stairs=cycle_second_stair_count)
    cycling = cycle_max_mom - (cycle_max_mom - cycle_min_mom) * scale
    if _decays(decay_step_size, decay_mom_rate):
        after = cycle_max_mom * (1 + decay_mom_rate * _decay_interval(b, total, decay_step_size))
    else:
        after = cycle_max_mom
    momentum = np.where(k < total, cycling, after)
    return {"momentum": _first_row(momentum, t, _start(last_batch_iteration, cycle_min_mom, ADAMW_BETA1))}


# --- LRRangeTest --------------------------------------------------------------------------------


def lr_range_test_lr(
    t: np.ndarray,
    *,
    lr: float,
    lr_range_test_min_lr: float,
    lr_range_test_step_size: int,
    lr_range_test_step_rate: float,
    lr_range_test_staircase: bool,
    last_batch_iteration: int,
) -> np.ndarray:
    """η(k) = η_0·(1 + rate·i) at iteration k = last_batch_iteration + t (row t ≥ 1; row 0: η_0),
    with i = (k + 1)/step_size, or ⌊(k + 1)/step_size⌋ with the staircase: a straight climb (or
    stairs) from η_0 = lr_range_test_min_lr.

    >>> lr_range_test_lr(np.arange(5.0), lr=1.0, lr_range_test_min_lr=1.0, lr_range_test_step_size=2,
    ...                  lr_range_test_step_rate=1.0, lr_range_test_staircase=True, last_batch_iteration=-1)
    array([1., 1., 2., 2., 3.])
    """
    interval = (_iterations(t, last_batch_iteration) + 1) / lr_range_test_step_size
    if lr_range_test_staircase:
        interval = np.floor(interval)
    out = lr_range_test_min_lr * (1 + lr_range_test_step_rate * interval)
    return _first_row(out, t, _start(last_batch_iteration, lr_range_test_min_lr, lr))


# --- long step ranges -----------------------------------------------------------------------------
#
# A curve here is a few pieces in row space: the constructor's row 0, a warm-up (log: np.log over
# its rows; linear: a line), a line or a cosine, stairs, and a flat end. Long pieces take the
# kernels, their first and last rows (where the pieces join, and the plain formula is exact) the
# plain formula; short ones the plain formula.

Plain = Callable[[np.ndarray], np.ndarray]


def _assemble(first: int, n: int, plain: Plain, pieces: list[tuple[int, int, tuple]]) -> np.ndarray:
    """Rows first..first+n−1 from ``pieces`` of (start row, end row (exclusive), how), in order:
    how is ("plain",), ("flat",) (the plain value of its first row throughout), ("line", slope),
    ("cosine", start, length, amp, mid) (as _kernels.cosine), ("treads", bounds) (rows
    [bounds[i], bounds[i+1]) flat) or ("reciprocal", numerator, slope, denominator): numerator
    over the line ``denominator``. Row 0, the constructor's, and rows no piece covers take the
    plain formula."""
    out = np.empty(n)
    done = 0
    for low, high, how in pieces:
        low, high = max(low, first + done, 1), min(high, first + n)
        if high <= low:
            continue
        if low > first + done:
            out[done : low - first] = plain(np.arange(first + done, low, dtype=np.float64))
        _piece(out[low - first : high - first], low, plain, how)
        done = high - first
    if done < n:
        out[done:] = plain(np.arange(first + done, first + n, dtype=np.float64))
    return out


def _piece(rows: np.ndarray, low: int, plain: Plain, how: tuple) -> None:
    n = len(rows)
    kind = how[0]
    if kind == "flat":
        rows[:] = plain(np.array([float(low)]))[0]
        return
    if n < _kernels.FAST_FROM or kind == "plain":
        rows[:] = plain(np.arange(low, low + n, dtype=np.float64))
        return
    if kind == "line":
        _kernels.affine(rows, low, slope=how[1], plain=plain)
    elif kind == "cosine":
        _, start, length, amp, mid = how
        _kernels.cosine(rows, low, start=start, length=length, amp=amp, mid=mid, periodic=True)
    elif kind == "treads":
        bounds = np.asarray(how[1], dtype=np.int64)
        widths = np.diff(np.clip(bounds, low, low + n))
        starts = np.clip(bounds[:-1], low, low + n - 1).astype(np.float64)
        rows[:] = np.repeat(plain(starts), widths)
    elif kind == "reciprocal":
        _, numerator, slope, denominator = how
        _kernels.affine(rows, low, slope=slope, plain=denominator)
        np.divide(numerator, rows, out=rows)
    # Where pieces join, the kernels' neighbours: the plain formula, exact as DeepSpeed's.
    rows[[0, -1]] = plain(np.array([low, low + n - 1], dtype=np.float64))


def _warmup_piece(low: int, high: int, warmup_type: str, slope: float) -> tuple[int, int, tuple]:
    return low, high, ("plain",) if warmup_type == "log" else ("line", slope)


def warmup_decay_range(first: int, n: int, *, total: int | None, lr: float, low: float, high: float,
                       warmup_num_steps: int, warmup_type: str, last: int) -> np.ndarray:
    """WarmupLR (``total`` None) or WarmupDecayLR at rows first..first+n−1: the warm-up (np.log, or
    a line), the decay's line, and the flat rest."""
    warmup = warmup_length(warmup_num_steps)

    def plain(t: np.ndarray) -> np.ndarray:
        return _warmup_decay(t, total, lr, low, high, warmup_num_steps, warmup_type, last)

    # Row t is iteration last + t: the warm-up holds rows 1..warmup - last - 1.
    ramp_end = warmup - last
    pieces = [_warmup_piece(1, ramp_end, warmup_type, (high - low) / warmup)]
    if total is None or total <= warmup:
        pieces.append((ramp_end, 2**63, ("flat",)))
    else:
        pieces.append((ramp_end, total - last, ("line", -(high - low) / float(max(1.0, total - warmup)))))
        pieces.append((total - last, 2**63, ("flat",)))
    return _assemble(first, n, plain, pieces)


def warmup_lr_range(first: int, n: int, *, lr, warmup_min_lr, warmup_max_lr, warmup_num_steps, warmup_type,
                    last_batch_iteration) -> np.ndarray:
    """:func:`warmup_lr` at rows first..first+n−1, piece by piece."""
    return warmup_decay_range(first, n, total=None, lr=lr, low=warmup_min_lr,
                              high=_peak(lr, warmup_max_lr), warmup_num_steps=warmup_num_steps,
                              warmup_type=warmup_type, last=last_batch_iteration)


def warmup_decay_lr_range(first: int, n: int, *, lr, total_num_steps, warmup_min_lr, warmup_max_lr,
                          warmup_num_steps, warmup_type, last_batch_iteration) -> np.ndarray:
    """:func:`warmup_decay_lr` at rows first..first+n−1, piece by piece."""
    return warmup_decay_range(first, n, total=total_num_steps, lr=lr, low=warmup_min_lr,
                              high=warmup_max_lr, warmup_num_steps=warmup_num_steps,
                              warmup_type=warmup_type, last=last_batch_iteration)


def warmup_cosine_lr_range(first: int, n: int, *, lr, total_num_steps, warmup_min_ratio, warmup_num_steps,
                           cos_min_ratio, warmup_type, last_batch_iteration) -> np.ndarray:
    """:func:`warmup_cosine_lr` at rows first..first+n−1: the cosine by angle addition."""
    params = dict(lr=lr, total_num_steps=total_num_steps, warmup_min_ratio=warmup_min_ratio,
                  warmup_num_steps=warmup_num_steps, cos_min_ratio=cos_min_ratio, warmup_type=warmup_type,
                  last_batch_iteration=last_batch_iteration)

    def plain(t: np.ndarray) -> np.ndarray:
        return warmup_cosine_lr(t, **params)

    warmup = warmup_length(warmup_num_steps)
    last = last_batch_iteration
    ramp_end = warmup - last
    pieces = [_warmup_piece(1, ramp_end, warmup_type, lr * (1.0 - warmup_min_ratio) / warmup)]
    length = max(1, total_num_steps - warmup)
    floor_from = ramp_end + length - 1  # p = 1 at k = warmup + length - 1
    if cos_min_ratio >= 0 and floor_from > ramp_end:
        half = lr * (1.0 - cos_min_ratio) / 2.0
        # p = (k - warmup + 1)/length = (t - (warmup - 1 - last))/length.
        cosine = ("cosine", ramp_end - 1, length, half, lr * cos_min_ratio + half)
        pieces.append((ramp_end, floor_from, cosine))
    else:
        pieces.append((ramp_end, floor_from, ("plain",)))
    pieces.append((floor_from, 2**63, ("flat",)))
    return _assemble(first, n, plain, pieces)


def _cycle_pieces(params: Mapping[str, Any], slopes: tuple[float, float]) -> tuple[list, int]:
    """OneCycle's cycle in rows (row t is batch b = last_batch_iteration + 1 + t): rising over b in
    [0, first], falling over (first, total], each a line of the given slope per row or, with a
    stair count, treads; and the first row after the cycle."""
    up = params["cycle_first_step_size"]
    second = params["cycle_second_step_size"]
    down = up if second is None else second
    total = up + down
    c_up, c_down = _stairs(params["cycle_first_stair_count"], params["cycle_second_stair_count"])
    offset = params["last_batch_iteration"] + 1
    top, end = up - offset + 1, total - offset + 1
    pieces: list[tuple[int, int, tuple]] = []
    if c_up > up:  # stairs narrower than a step: no wider treads than the plain formula's rows
        pieces.append((-offset, top, ("plain",)))
    elif c_up > 0:
        # Stair j of the rising half: ⌊c·b/first⌋ = j from b = ⌈j·first/c⌉ (integers, so exact).
        bounds = [-(-j * up // c_up) - offset for j in range(c_up + 1)]
        pieces.append((-offset, top, ("treads", sorted({*bounds, top}))))
    else:
        pieces.append((-offset, top, ("line", slopes[0])))
    if down > 0:
        if c_down > down:
            pieces.append((top, end, ("plain",)))
        elif c_down > 0:
            # Falling: ⌊c·(total − b)/second⌋ = j down to b = total − ⌈j·second/c⌉ + 1.
            bounds = [total - (-(-j * down // c_down)) + 1 - offset for j in range(c_down + 1)]
            pieces.append((top, end, ("treads", sorted({top, *(b for b in bounds if b > top), end}))))
        else:
            pieces.append((top, end, ("line", slopes[1])))
    return pieces, end


def one_cycle_lr_range(first: int, n: int, **params: Any) -> np.ndarray:
    """:func:`one_cycle_lr` at rows first..first+n−1 (its parameters, ``params``): lines (or
    stairs) in the cycle, and a line's reciprocal in the decay."""

    def plain(t: np.ndarray) -> np.ndarray:
        return call_with(one_cycle_lr, t, params)

    low, high = params["cycle_min_lr"], params["cycle_max_lr"]
    up, down, total = _cycle_sizes(params["cycle_first_step_size"], params["cycle_second_step_size"])
    pieces, decay_from = _cycle_pieces(params, ((high - low) / up, -(high - low) / down if down else 0.0))
    rate, size = params["decay_lr_rate"], params["decay_step_size"]
    if _decays(size, rate):
        offset = params["last_batch_iteration"] + 1

        def denominator(t: np.ndarray) -> np.ndarray:
            return 1 + rate * _decay_interval(offset + t, total, size)

        pieces.append((decay_from, 2**63, ("reciprocal", low, rate / size, denominator)))
    else:
        pieces.append((decay_from, 2**63, ("flat",)))
    return _assemble(first, n, plain, pieces)


def one_cycle_momentum_range(first: int, n: int, **params: Any) -> dict[str, np.ndarray]:
    """:func:`one_cycle_momentum` at rows first..first+n−1 (its parameters, ``params``), as
    :func:`one_cycle_lr_range`."""
    if not params["cycle_momentum"]:
        return {}

    def plain(t: np.ndarray) -> np.ndarray:
        return call_with(one_cycle_momentum, t, params)["momentum"]

    low, high = params["cycle_min_mom"], params["cycle_max_mom"]
    up, down, _ = _cycle_sizes(params["cycle_first_step_size"], params["cycle_second_step_size"])
    pieces, decay_from = _cycle_pieces(params, (-(high - low) / up, (high - low) / down if down else 0.0))
    rate, size = params["decay_mom_rate"], params["decay_step_size"]
    if _decays(size, rate):
        pieces.append((decay_from, 2**63, ("line", high * rate / size)))
    else:
        pieces.append((decay_from, 2**63, ("flat",)))
    return {"momentum": _assemble(first, n, plain, pieces)}


def lr_range_test_lr_range(first: int, n: int, **params: Any) -> np.ndarray:
    """:func:`lr_range_test_lr` at rows first..first+n−1 (its parameters, ``params``): a line, or
    stairs step_size rows wide."""

    def plain(t: np.ndarray) -> np.ndarray:
        return call_with(lr_range_test_lr, t, params)

    low, size = params["lr_range_test_min_lr"], params["lr_range_test_step_size"]
    rate = params["lr_range_test_step_rate"]
    if params["lr_range_test_staircase"]:
        offset = params["last_batch_iteration"] + 1  # interval ⌊(offset + t)/size⌋
        start = max(first, 1)
        first_stair = -(-(offset + start) // size)  # the first whole stair after row `start`
        bounds = [start, *range(first_stair * size - offset, first + n, size), first + n]
        how: tuple = ("treads", sorted(set(b for b in bounds if start <= b <= first + n)))
    else:
        how = ("line", low * rate / size)
    return _assemble(first, n, plain, [(1, 2**63, how)])


# --- warnings -----------------------------------------------------------------------------------


def _row_of(k: int, last: int) -> int:
    """The row that trains with iteration k."""
    return k - last


def _warmup_warnings(params: Mapping[str, Any], n: int) -> list[str]:
    """What surprises in DeepSpeed's warm-up: warmup_num_steps 1 taken as 2, and the log warm-up's
    shape (DeepSpeed's default)."""
    found = []
    given, last, shape = params["warmup_num_steps"], params["last_batch_iteration"], params["warmup_type"]
    warmup = warmup_length(given)
    if given < warmup:
        found.append(f"warmup_num_steps {given} is taken as {warmup}: DeepSpeed warms up over "
                     "max(2, warmup_num_steps) steps")
    # Past 4 steps the log ramp is half-way (at √W) before half its steps.
    if shape == "log" and warmup > 4 and last < warmup - 1 and n > _row_of(1, last):
        half = math.ceil(math.sqrt(warmup))
        share = math.log(2) / math.log(warmup)
        found.append(f"warmup_type log (DeepSpeed's default) is front-loaded: the rate is {share:.0%} of the "
                     f"way up at step {_row_of(1, last)} and half-way at step {_row_of(half - 1, last)} of "
                     f"{warmup}; set warmup_type linear for a straight ramp")
    return found


def _idle_start(params: Mapping[str, Any], n: int, floor: float, what: str) -> list[str]:
    """Rows 0 and 1 of a fresh run are the warm-up's floor: 0 trains nothing."""
    if params["last_batch_iteration"] != -1 or floor != 0:
        return []
    return [f"rows 0 and 1 are {what} 0: the constructor sets it for the first update, and the first "
            "step() computes iteration 0, the warm-up's start again, so two updates change no weight"]


def _resumed(params: Mapping[str, Any], what: str) -> list[str]:
    last = params["last_batch_iteration"]
    if last == -1:
        return []
    return [f"row 0 is the optimizer's own {what}: with last_batch_iteration {last} the constructor "
            "leaves the optimizer alone (a checkpoint is meant to supply it), and step() moves on "
            f"to iteration {last + 1}"]


def _short_run(total: int, warmup: int, after: str) -> list[str]:
    """total_num_steps that leaves no decay after the warm-up: DeepSpeed logs it (when below) and
    carries on."""
    if total > warmup:
        return []
    logged = " (DeepSpeed only logs that it is less than warmup_num_steps)" if total < warmup else ""
    return [f"total_num_steps {total} leaves no steps after the warm-up of {warmup}: {after}{logged}"]


def warn_warmup_lr(params: Mapping[str, Any], n: int) -> tuple[str, ...]:
    found = _idle_start(params, n, params["warmup_min_lr"], "warmup_min_lr") + _warmup_warnings(params, n)
    return tuple(found + _resumed(params, "lr (--lr)"))


def warn_warmup_decay_lr(params: Mapping[str, Any], n: int) -> tuple[str, ...]:
    found = _idle_start(params, n, params["warmup_min_lr"], "warmup_min_lr") + _warmup_warnings(params, n)
    total, last, low = params["total_num_steps"], params["last_batch_iteration"], params["warmup_min_lr"]
    warmup = warmup_length(params["warmup_num_steps"])
    found += _short_run(total, warmup, f"the rate falls from the warm-up straight to warmup_min_lr {low:g} "
                        f"at step {_row_of(warmup, last)}")
    flat_from = _row_of(max(total, warmup), last)
    if n > flat_from + 1 and total > warmup:
        found.append(f"{n} steps run past total_num_steps {total}: from step {flat_from} on the rate stays "
                     f"at warmup_min_lr {low:g}" + (" and trains nothing" if low == 0 else ""))
    return tuple(found + _resumed(params, "lr (--lr)"))


def warn_warmup_cosine_lr(params: Mapping[str, Any], n: int) -> tuple[str, ...]:
    last, total = params["last_batch_iteration"], params["total_num_steps"]
    warmup = warmup_length(params["warmup_num_steps"])
    found = []
    if last == -1:
        idle = params["warmup_min_ratio"] == 0
        found.append(("rows 0 and 1 are 0" if idle else "row 0 is 0") + ": WarmupCosineLR's constructor "
                     "sets the rate to 0 'before it has started', whatever warmup_min_ratio, and row 1 is "
                     "warmup_min_ratio x lr" + (" = 0" if idle else "") + ", so "
                     + ("two updates change" if idle else "the first update changes") + " no weight")
    found += _warmup_warnings(params, n)
    found += _short_run(total, warmup, f"the rate falls from the warm-up straight to cos_min_ratio x lr at "
                        f"step {_row_of(warmup, last)}")
    peak_shown = last < warmup - 1 and _row_of(warmup, last) < n
    if params["warmup_type"] == "linear" and total > warmup and peak_shown:
        top = params["warmup_min_ratio"] + (warmup - 1) / warmup * (1.0 - params["warmup_min_ratio"])
        found.append(f"the rate never reaches lr with warmup_type linear: the warm-up ends at {top:.4g} x lr "
                     f"(step {_row_of(warmup - 1, last)}), and the cosine starts one step into its decay")
    ratio = params["cos_min_ratio"]
    if ratio < 0:
        found.append(f"cos_min_ratio {ratio:g} is below 0: DeepSpeed clips the ratio at 0, so the rate is 0 "
                     "for the last part of the cosine")
    elif ratio > 1:
        found.append(f"cos_min_ratio {ratio:g} is above 1: after the warm-up the rate rises to "
                     f"{ratio:g} x lr instead of decaying")
    return tuple(found + _resumed(params, "lr (--lr), which WarmupCosineLR also scales"))


def warn_one_cycle(params: Mapping[str, Any], n: int) -> tuple[str, ...]:
    found = []
    size = params["decay_step_size"]
    for rate_name in ("decay_lr_rate", "decay_mom_rate"):
        rate = params[rate_name]
        if rate_name == "decay_mom_rate" and not params["cycle_momentum"]:
            continue
        if rate != 0 and size == 0:
            found.append(f"{rate_name} {rate:g} has no effect: decay_step_size is 0 (DeepSpeed's default), "
                         "which turns the decay after the cycle off")
    momentum_decays = params["cycle_momentum"] and params["decay_mom_rate"] != 0
    if size != 0 and (params["decay_lr_rate"] != 0 or momentum_decays):
        found.append(f"decay_step_size {size} does not make steps: after the cycle DeepSpeed decays "
                     f"smoothly, dividing the rate by 1 + decay_lr_rate x i / {size} at every step i")
    stairs, second = params["cycle_first_stair_count"], params["cycle_second_step_size"]
    top = params["cycle_first_step_size"] - params["last_batch_iteration"] - 1  # the row of the peak
    if params["cycle_max_lr"] != params["cycle_min_lr"] and 0 <= top < n:
        if second == 0:
            found.append("the rate never reaches cycle_max_lr: with cycle_second_step_size 0 the top of "
                         f"the cycle (step {top}) wraps around to its start, cycle_min_lr")
        elif stairs > 0 and top < n - 1:
            found.append(f"the rate is at cycle_max_lr for step {top} only: the last of the {stairs} "
                         "stairs up starts at the top of the cycle, and the way down starts the step after")
    if params["cycle_momentum"]:
        if params["last_batch_iteration"] == -1 and params["cycle_min_mom"] != params["cycle_max_mom"]:
            found.append(f"momentum row 0 is cycle_min_mom {params['cycle_min_mom']:g}, the constructor's "
                         "value, though the cycle starts at cycle_max_mom: the first update runs at the "
                         "momentum of the top of the cycle with the rate of its bottom")
        found.append(f"OneCycle writes (momentum, {ONE_CYCLE_BETA2}) into the optimizer's betas: beta2 "
                     f"becomes {ONE_CYCLE_BETA2} whatever the optimizer had (AdamW's default is 0.999)")
        past = _momentum_past_one(params, n)
        if past is not None:
            where = "above 1" if params["decay_mom_rate"] > 0 else "below 0"
            found.append(f"from step {past} the momentum is {where}: decay_mom_rate multiplies cycle_max_mom "
                         "by 1 + decay_mom_rate x i / decay_step_size, and nothing clips it")
    return tuple(found + _resumed(params, "lr (--lr) and beta1 (AdamW's 0.9)"))


def _first_row_where(estimate: float, n: int, test: Callable[[np.ndarray], np.ndarray]) -> int | None:
    """The first row among 1..n−1 where ``test`` of the curve holds, given a closed-form estimate of
    it: the rows around the estimate are checked with the curve itself (rounding may move it)."""
    if not estimate < n + 2:  # past the rows, or not finite
        return None
    estimate = max(estimate, 1.0)
    around = np.arange(max(1, math.floor(estimate) - 2), min(n, math.floor(estimate) + 3), dtype=np.float64)
    hits = around[test(around)]
    return int(hits[0]) if hits.size else None


def _momentum_past_one(params: Mapping[str, Any], n: int) -> int | None:
    """The first row whose decayed momentum leaves [0, 1], if it is among the n rows."""
    rate, size, top = params["decay_mom_rate"], params["decay_step_size"], params["cycle_max_mom"]
    if not _decays(size, rate) or top == 0:
        return None
    total = _cycle_sizes(params["cycle_first_step_size"], params["cycle_second_step_size"])[2]
    # top·(1 + rate·i/size) passes 1 (rising) or 0 (falling) at interval i = bound, row total + i.
    bound = (1 / top - 1) / rate * size if rate > 0 else -size / rate
    estimate = total + bound - params["last_batch_iteration"] - 1
    momentum_params = {p.name: params[p.name] for p in ONE_CYCLE_PARAMS if p.name != "lr" and
                       p.name not in ("cycle_min_lr", "cycle_max_lr", "decay_lr_rate")}

    def outside(t: np.ndarray) -> np.ndarray:
        momentum = one_cycle_momentum(t, **momentum_params)["momentum"]
        return (momentum > 1) if rate > 0 else (momentum < 0)

    return _first_row_where(estimate, n, outside)


def warn_lr_range_test(params: Mapping[str, Any], n: int) -> tuple[str, ...]:
    found = []
    rate, size = params["lr_range_test_step_rate"], params["lr_range_test_step_size"]
    if rate < 0 and params["lr_range_test_min_lr"] > 0:
        # 1 + rate·i < 0 from i > -1/rate; i = (k + 1)/size (floored with the staircase).
        bound = -1 / rate
        stairs = params["lr_range_test_staircase"] and math.isfinite(bound)
        estimate = (math.floor(bound) + 1) * size if stairs else bound * size
        estimate -= params["last_batch_iteration"] + 1
        plain = {p.name: params[p.name] for p in LR_RANGE_TEST_PARAMS}
        row = _first_row_where(estimate, n, lambda t: lr_range_test_lr(t, **plain) < 0)
        if row is not None:
            found.append(f"lr_range_test_step_rate {rate:g} is negative: the rate falls, and from step "
                         f"{row} it is below 0 (DeepSpeed does not stop it)")
    return tuple(found + _resumed(params, "lr (--lr)"))


# --- phases -------------------------------------------------------------------------------------


def _phases(n: int, *spans: tuple[str, float, float]) -> tuple[Phase, ...]:
    """The named spans that show within rows 0..n−1, cut to them."""
    out = []
    for name, start, end in spans:
        start, end = max(start, 0), min(end, n - 1)
        if end > start:
            out.append(Phase(name, start, end))
    return tuple(out)


def annotate_warmup(params: Mapping[str, Any], n: int) -> Annotations:
    last = params["last_batch_iteration"]
    warmup = warmup_length(params["warmup_num_steps"])
    top = _row_of(warmup, last)
    spans = [("warm-up", 0, top)]
    guides = {"warmup_min_lr": params["warmup_min_lr"],
              "warmup_max_lr": _peak(params["lr"], params["warmup_max_lr"])}
    if "total_num_steps" in params:
        end = _row_of(max(params["total_num_steps"], warmup), last)
        spans += [("decay", top, end), ("after total_num_steps", end, n - 1)]
    else:
        spans.append(("warmup_max_lr", top, n - 1))
    return Annotations(phases=_phases(n, *spans), guides=guides)


def annotate_warmup_cosine(params: Mapping[str, Any], n: int) -> Annotations:
    last = params["last_batch_iteration"]
    warmup = warmup_length(params["warmup_num_steps"])
    top = _row_of(warmup - 1, last)
    end = _row_of(warmup + max(1, params["total_num_steps"] - warmup) - 1, last)
    spans = [("warm-up", 0, top), ("cosine", top, end), ("floor", end, n - 1)]
    return Annotations(phases=_phases(n, *spans),
                       guides={"lr": params["lr"], "floor": params["lr"] * max(0.0, params["cos_min_ratio"])})


def annotate_one_cycle(params: Mapping[str, Any], n: int) -> Annotations:
    up, _, total = _cycle_sizes(params["cycle_first_step_size"], params["cycle_second_step_size"])
    offset = params["last_batch_iteration"] + 1
    after = "decay" if _decays(params["decay_step_size"], params["decay_lr_rate"]) else "after the cycle"
    spans = [("rising", -offset, up - offset), ("falling", up - offset, total - offset),
             (after, total - offset, n - 1)]
    return Annotations(phases=_phases(n, *spans),
                       guides={name: params[name] for name in ("cycle_min_lr", "cycle_max_lr")})


# --- horizons -----------------------------------------------------------------------------------


def _remaining(total: int, last: int) -> int:
    """Rows of the updates left in a run of ``total`` steps after ``last + 1`` of them."""
    return max(1, total - 1 - last)


def _one_cycle_horizon(params: Mapping[str, Any]) -> int:
    total = int(_cycle_sizes(params["cycle_first_step_size"], params["cycle_second_step_size"])[2])
    rows = total + 1
    if _decays(params["decay_step_size"], params["decay_lr_rate"]):
        rows += total
    return max(1, rows - params["last_batch_iteration"] - 1)


# --- emitted code ---------------------------------------------------------------------------------

WIDTH = 96


def emitter(class_name: str, schedule_params: tuple[Param, ...]) -> Callable[..., str]:
    """emit(params, rows, label): a script building DeepSpeed's class on a placeholder model and
    torch's AdamW, stepped after every optimizer step as DeepSpeed's engine steps it."""

    def emit(params: Mapping[str, Any], rows: int, label: str) -> str:
        given = {p.name: params[p.name] for p in schedule_params if p.argument
                 and params.get(p.name) is not None and (p.required or params[p.name] != p.default)}
        arguments = ["optimizer", *(f"{name}={value!r}" for name, value in given.items())]
        call = f"scheduler = {class_name}({', '.join(arguments)})"
        if len(call) > WIDTH:
            call = "\n".join([f"scheduler = {class_name}(", *(f"    {a}," for a in arguments), ")"])
        section = json.dumps({"scheduler": {"type": class_name, "params": given}})
        momentum = class_name == "OneCycle" and params.get("cycle_momentum")
        record = ['    lrs.append(optimizer.param_groups[0]["lr"])']
        if momentum:
            record.append('    momenta.append(optimizer.param_groups[0]["betas"][0])  # beta1, cycled')
        return "\n".join([
            f"# {label}: DeepSpeed's {class_name}, as lrplot draws it: optimizer update t trains with row t",
            f"# of lrplot's curve (t = 0..{rows - 1}). DeepSpeed's engine calls scheduler.step() after every",
            "# optimizer step (in engine.step()); the same scheduler in a DeepSpeed config is",
            *textwrap.wrap(section, WIDTH - 4, initial_indent="#   ", subsequent_indent="#   ",
                           break_on_hyphens=False),
            "import torch",
            f"from deepspeed.runtime.lr_schedules import {class_name}",
            "",
            "model = torch.nn.Linear(1, 1)  # replace with your model",
            f"optimizer = torch.optim.AdamW(model.parameters(), lr={params['lr']!r})",
            call,
            "",
            "lrs = []",
            *(["momenta = []"] if momentum else []),
            f"for step in range({rows}):",
            *record,
            "    optimizer.step()  # replace with a training step (forward, backward, optimizer.step())",
            "    scheduler.step()",
            "",
            "for lr in lrs:",
            "    print(repr(float(lr)))",
            "",
        ])

    return emit


# --- the registry ---------------------------------------------------------------------------------

CLASSES = {
    "warmup-lr": "WarmupLR",
    "warmup-decay-lr": "WarmupDecayLR",
    "warmup-cosine-lr": "WarmupCosineLR",
    "one-cycle": "OneCycle",
    "lr-range-test": "LRRangeTest",
}


def _register(name: str, params: tuple[Param, ...], **entry: Any) -> Schedule:
    return register(Schedule(
        name=name,
        framework=FRAMEWORK,
        origin=ORIGIN + CLASSES[name],
        params=params,
        per_batch=True,
        emit=emitter(CLASSES[name], params),
        # The constructor's parameters in order (the schedule's are declared in that order).
        signature=("optimizer", *(p.name for p in params if p.argument)),
        **entry,
    ))


WARMUP_LR = _register(
    "warmup-lr",
    WARMUP_LR_PARAMS,
    summary="Warm up from warmup_min_lr to warmup_max_lr (log or linear), then hold it.",
    lr=warmup_lr,
    lr_range=warmup_lr_range,
    horizon=lambda p: 2 * warmup_length(p["warmup_num_steps"]),
    horizon_text="2 x warmup_num_steps rows: the warm-up, and as long again at warmup_max_lr",
    example="deepspeed warmup-lr --warmup-max-lr 0.001 --warmup-num-steps 100",
    warn=warn_warmup_lr,
    annotate=annotate_warmup,
    scaled=lambda n: {"warmup_max_lr": 0.001, "warmup_num_steps": max(2, n // 100)},
)

WARMUP_DECAY_LR = _register(
    "warmup-decay-lr",
    WARMUP_DECAY_LR_PARAMS,
    summary="WarmupLR's warm-up, then a straight line down to warmup_min_lr at total_num_steps.",
    lr=warmup_decay_lr,
    lr_range=warmup_decay_lr_range,
    horizon=lambda p: _remaining(p["total_num_steps"], p["last_batch_iteration"]),
    horizon_text="total_num_steps rows: the updates of the run (the line reaches warmup_min_lr one "
    "row after them)",
    example="deepspeed warmup-decay-lr --total-num-steps 1000 --warmup-max-lr 0.001 --warmup-num-steps 100",
    warn=warn_warmup_decay_lr,
    annotate=annotate_warmup,
    scaled=lambda n: {"total_num_steps": n, "warmup_num_steps": max(2, n // 100), "warmup_type": "linear"},
)

WARMUP_COSINE_LR = _register(
    "warmup-cosine-lr",
    WARMUP_COSINE_LR_PARAMS,
    summary="Warm up to the optimizer's lr, then a cosine down to cos_min_ratio x lr at total_num_steps.",
    lr=warmup_cosine_lr,
    lr_range=warmup_cosine_lr_range,
    horizon=lambda p: _remaining(p["total_num_steps"], p["last_batch_iteration"]),
    horizon_text="total_num_steps rows: the updates of the run (the floor comes one row after them)",
    example="deepspeed warmup-cosine-lr --lr 0.001 --total-num-steps 1000 --warmup-num-steps 100",
    warn=warn_warmup_cosine_lr,
    annotate=annotate_warmup_cosine,
    scaled=lambda n: {"lr": 0.001, "total_num_steps": n, "warmup_num_steps": max(2, n // 100)},
)

ONE_CYCLE = _register(
    "one-cycle",
    ONE_CYCLE_PARAMS,
    summary="1cycle: a line (or stairs) up to cycle_max_lr and back, then an optional decay.",
    lr=one_cycle_lr,
    lr_range=one_cycle_lr_range,
    extras=one_cycle_momentum,
    extras_range=one_cycle_momentum_range,
    horizon=_one_cycle_horizon,
    horizon_text="the cycle and one row (back at cycle_min_lr); with a decay, as long again",
    example="deepspeed one-cycle --cycle-min-lr 0.0001 --cycle-max-lr 0.001 --cycle-first-step-size 500",
    warn=warn_one_cycle,
    annotate=annotate_one_cycle,
    scaled=lambda n: {"cycle_min_lr": 1e-4, "cycle_max_lr": 1e-3, "cycle_first_step_size": max(1, n // 4),
                      "decay_lr_rate": 0.1, "decay_step_size": max(1, n // 100), "decay_mom_rate": 0.01},
)

LR_RANGE_TEST = _register(
    "lr-range-test",
    LR_RANGE_TEST_PARAMS,
    summary="The LR range test: the rate climbs from lr_range_test_min_lr in a line (or stairs).",
    lr=lr_range_test_lr,
    lr_range=lr_range_test_lr_range,
    horizon=lambda p: 10 * p["lr_range_test_step_size"] + 1,
    horizon_text="10 x lr_range_test_step_size + 1 rows: the rate climbs to 1 + 10 x step_rate "
    "times the start",
    example="deepspeed lr-range-test --lr-range-test-min-lr 0.0001 --lr-range-test-step-size 200 "
    "--lr-range-test-step-rate 5",
    warn=warn_lr_range_test,
    scaled=lambda n: {"lr_range_test_min_lr": 1e-5, "lr_range_test_step_size": max(1, n // 100)},
)


# --- the "scheduler" section of a DeepSpeed config -----------------------------------------------

TYPES = {class_name: name for name, class_name in CLASSES.items()}
# DeepSpeed checks these with isinstance(value, int): 1000.0 from a JSON file is refused.
INT_CHECKED = frozenset({"warmup_num_steps", "lr_range_test_step_size"})
AUTO = "auto"


def _fill(name: str) -> str:
    """How the command line fills a key of the config: ``lrplot run CONFIG --set key=VALUE``."""
    return f"--set {name}=VALUE"


def from_config(
    section: Mapping[str, Any], overrides: Mapping[str, Any], *, missing: Sequence[tuple[str, str]] = ()
) -> tuple[str, dict[str, Any]]:
    """The schedule and raw parameters (lrplot's names) of a DeepSpeed config's "scheduler" section:
    ``{"type": "WarmupLR", "params": {...}}``, DeepSpeed's own class names, or the name of a torch
    scheduler (DeepSpeed falls back to torch.optim.lr_scheduler). ``overrides`` (the command line's
    values by lrplot name) fill or replace its parameters: a value "auto" (the Hugging Face
    integration's placeholder) must come from there. ``lr``, the optimizer's rate, is not the
    section's; an override gives it. ``missing``: (config key, name to --set) of other "auto"
    values the command line did not fill, reported with the section's own.

    >>> from_config({"type": "WarmupLR", "params": {"warmup_num_steps": "auto"}}, {"warmup_num_steps": 50})
    ('deepspeed.warmup_lr', {'warmup_num_steps': 50})
    """
    where = 'the DeepSpeed config\'s "scheduler"'
    if not isinstance(section, Mapping):
        raise Invalid(f'{where} must be a mapping with "type" and "params", got {show(section)}')
    extra = sorted(str(k) for k in section if k not in ("type", "params"))
    if extra:
        raise Invalid(f'{where} takes "type" and "params", not {literal(", ".join(map(repr, extra)))}')
    kind = section.get("type")
    if not isinstance(kind, str) or not kind:
        raise Invalid(f'{where} needs a "type": one of {", ".join(TYPES)} (or a torch scheduler\'s '
                      "class name)")
    schedule = _schedule_of(kind)
    if "params" not in section or not isinstance(section["params"], Mapping):
        got = "none" if "params" not in section else show(section["params"])
        raise Invalid(f'{where} needs "params", a mapping (DeepSpeed calls {literal(kind)}(optimizer, '
                      f"**params); an empty one takes every default), got {got}")
    names = {p.name: p for p in schedule.params if p.argument}
    native = {schedule.native.get(p, p): p for p in names}
    result: dict[str, Any] = {}
    unfilled = []
    for key, value in section["params"].items():
        name = native.get(str(key)) or native.get(str(key).lower())
        if name is None:
            hint = literal(closest(str(key), list(native)))
            takes = ("DeepSpeed would fail with a TypeError; it takes" if kind in TYPES
                     else f"lrplot's {schedule.command} takes")
            raise Invalid(f"{literal(kind)} takes no parameter {show(str(key))}{hint}: {takes} "
                          f"{', '.join(native)}")
        param = names[name]
        path = literal(f"scheduler.params.{key}")
        if overrides.get(name) is not None:
            continue  # the command line's, below
        if value == AUTO:
            unfilled.append((f"scheduler.params.{key}", name))
            continue
        if value is None:
            if param.default is None and not param.required:
                continue
            raise Invalid(f"{path} is null: give a value, or leave it out for DeepSpeed's default")
        if name in INT_CHECKED and isinstance(value, float):
            raise Invalid(f"{path} must be an integer, got {show(value)}: DeepSpeed refuses a float there "
                          "(it checks isinstance(value, int))")
        result[name] = value
    unfilled += missing
    if unfilled:
        keys = [literal(key) for key, _ in unfilled]
        listed = keys[0] if len(keys) == 1 else f"{', '.join(keys[:-1])} and {keys[-1]}"
        fills = " ".join(_fill(name) for _, name in unfilled)
        raise Invalid(f'{listed} {"is" if len(keys) == 1 else "are"} "auto" in the DeepSpeed config: give '
                      f"{'it' if len(keys) == 1 else 'them'} on the command line with {fills}")
    for param in schedule.params:
        if overrides.get(param.name) is not None:
            result[param.name] = overrides[param.name]
    return schedule.yaml_type, result


# --set keys read_config takes besides the schedule's own parameters (also as scheduler.params.X).
OPTIMIZER_LR = "optimizer.params.lr"
BATCHES_PER_EPOCH = "batches_per_epoch"
GRADIENT_ACCUMULATION_STEPS = "gradient_accumulation_steps"
# The schedules that read the optimizer's lr on a fresh run (the others overwrite it).
READ_LR = {"WarmupCosineLR": "scales it", "WarmupLR": "takes it as warmup_max_lr when that is not given"}


def read_config(document: Mapping[str, Any], values: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The schedule of a DeepSpeed JSON config (for ``lrplot run``): its "scheduler" section (see
    :func:`from_config`), the optimizer's lr from its "optimizer" section, and, with
    ``batches_per_epoch``, the updates per epoch (batches / gradient_accumulation_steps).
    ``values`` (--set) fill or replace the section's parameters (by name, or as
    ``scheduler.params.NAME``), the optimizer's lr (``lr`` or ``optimizer.params.lr``) and
    ``gradient_accumulation_steps``."""
    section = document.get("scheduler")
    if section is None:
        raise Invalid('the DeepSpeed config has no "scheduler" section: DeepSpeed then schedules nothing '
                      "(the optimizer keeps its lr)")
    if isinstance(section, Mapping) and isinstance(section.get("type"), str):
        schedule = _schedule_of(section["type"])
    else:
        schedule = None  # from_config says what is wrong with it
    overrides: dict[str, Any] = {}
    for key, value in values.items():
        name = "lr" if key == OPTIMIZER_LR else key.removeprefix("scheduler.params.")
        known = {BATCHES_PER_EPOCH, GRADIENT_ACCUMULATION_STEPS, "lr"}
        if schedule is not None:
            known |= {p.name for p in schedule.params} | set(schedule.native.values())
        if name not in known:
            hint = literal(closest(name, sorted(known)))
            raise Invalid(f"--set {literal(key)}: not a key of the DeepSpeed config's scheduler{hint}; "
                          f"known: {', '.join(sorted(known))}")
        if schedule is not None:
            name = {v: k for k, v in schedule.native.items()}.get(name, name)
        overrides[name] = value
    missing = []
    if overrides.get("lr") is None:
        overrides["lr"] = _optimizer_rate(document, section, schedule)
        if overrides["lr"] == AUTO:
            overrides["lr"] = None
            missing.append((OPTIMIZER_LR, "lr"))
    epoch = _updates_per_epoch(document, overrides.pop(BATCHES_PER_EPOCH, None),
                               overrides.pop(GRADIENT_ACCUMULATION_STEPS, None))
    key, raw = from_config(section, overrides, missing=missing)
    if epoch is not None:
        raw["steps_per_epoch"] = epoch
    return [(key, raw)]


def _optimizer_rate(document: Mapping[str, Any], section: Any, schedule: Schedule | None) -> Any:
    """The optimizer's lr as the config's "optimizer" section gives it (None: not given; "auto":
    an "auto" the schedule needs). A schedule that reads it on a fresh run refuses to go without it."""
    optimizer = document.get("optimizer")
    params = optimizer.get("params") if isinstance(optimizer, Mapping) else None
    lr = params.get("lr") if isinstance(params, Mapping) else None
    kind = section.get("type") if isinstance(section, Mapping) else None
    given = section.get("params") if isinstance(section, Mapping) else None
    needs = kind in READ_LR and not (kind == "WarmupLR" and isinstance(given, Mapping)
                                     and given.get("warmup_max_lr") is not None)
    if kind not in TYPES and schedule is not None:
        needs = any(p.name == "lr" for p in schedule.params)  # a torch scheduler starts from it
    if lr == AUTO:
        return AUTO if needs else None
    if lr is None and needs:
        raise Invalid(f"the DeepSpeed config gives no optimizer lr (optimizer.params.lr), and "
                      f"{literal(kind)} {READ_LR.get(kind, 'starts from it')}: give it with {_fill('lr')}")
    return lr


def _updates_per_epoch(document: Mapping[str, Any], batches: Any, accumulation: Any) -> int | None:
    """Optimizer updates in an epoch of ``batches`` micro-batches: DeepSpeed's engine steps the
    optimizer (and the scheduler) every gradient_accumulation_steps of them."""
    if batches is None:
        return None
    if accumulation is None:
        accumulation = document.get(GRADIENT_ACCUMULATION_STEPS, 1)
        if accumulation == AUTO:
            raise Invalid('gradient_accumulation_steps is "auto" in the DeepSpeed config: give it with '
                          f"{_fill(GRADIENT_ACCUMULATION_STEPS)} to count the updates in an epoch")
    steps = Integer(GRADIENT_ACCUMULATION_STEPS, "", ge=1).parse(accumulation)
    batches = Integer(BATCHES_PER_EPOCH, "", ge=1).parse(batches)
    if batches % steps:
        raise Invalid(f"{batches} batches per epoch are not a whole number of updates of {steps} batches "
                      "(gradient_accumulation_steps): DeepSpeed counts batches across epochs, so its "
                      "epochs hold different numbers of updates; give a multiple")
    return batches // steps


def _schedule_of(kind: str) -> Schedule:
    """DeepSpeed's own class, or (as DeepSpeed falls back to torch.optim.lr_scheduler) torch's."""
    if kind in TYPES:
        return schedules_of(FRAMEWORK)[TYPES[kind]]
    for schedule in schedules_of("torch").values():
        if schedule.origin == f"torch.optim.lr_scheduler.{kind}" and not schedule.yaml_only:
            return schedule
    hint = literal(closest(kind, list(TYPES)))
    raise Invalid(f"DeepSpeed does not recognize LR scheduler {show(kind)}{hint}: "
                  f"use one of {', '.join(TYPES)}, or a class of torch.optim.lr_scheduler")
