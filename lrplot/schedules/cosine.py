"""Cosine annealing: torch's CosineAnnealingLR, and CosineAnnealingWarmRestarts (SGDR)."""

from __future__ import annotations

import math

import numpy as np

from lrplot.params import Integer, Real
from lrplot.registry import Annotations, Phase, Schedule, Stepping, register

from . import _kernels
from ._common import BASE_LR


def cosine_annealing(t: np.ndarray, *, lr: float, t_max: int, eta_min: float) -> np.ndarray:
    """η_t = η_min + (η_0 − η_min) · (1 + cos(π·t / T_max)) / 2.

    Past T_max the cosine keeps going, so the rate climbs back to η_0 at 2·T_max, as in torch
    (which computes the same values with a recursive formula).

    >>> cosine_annealing(np.array([0.0, 1.0, 2.0]), lr=1.0, t_max=2, eta_min=0.0)
    array([1. , 0.5, 0. ])
    """
    return eta_min + (lr - eta_min) * (1.0 + np.cos(np.pi * t / t_max)) / 2.0


def cosine_annealing_range(first: int, n: int, *, lr: float, t_max: int, eta_min: float) -> np.ndarray:
    """:func:`cosine_annealing` at steps first..first+n-1 by angle addition over blocks
    (_kernels.cosine), the angle reduced modulo the period 2·T_max first; the steps where cos is
    ±1 keep the formula's exact values."""
    period = 2 * t_max
    if period <= _kernels.BLOCK:
        # One period by the formula, on steps reduced modulo it, repeated.
        steps = ((first + np.arange(period)) % period).astype(np.float64)
        return _kernels.tile(n, cosine_annealing(steps, lr=lr, t_max=t_max, eta_min=eta_min))
    half = (lr - eta_min) / 2.0
    out = _kernels.cosine(np.empty(n), first, start=0, length=t_max, amp=half, mid=eta_min + half,
                          periodic=True)
    # At multiples of T_max the formula gives lr and eta_min exactly, and so does torch.
    top, bottom = cosine_annealing(np.array([0.0, t_max]), lr=lr, t_max=t_max, eta_min=eta_min)
    out[_kernels.steps_at(first, n, period, 0)] = top
    out[_kernels.steps_at(first, n, period, t_max)] = bottom
    return out


def cosine_rule(
    k: np.ndarray, *, base: float, first: bool, t_max: int, eta_min: float
) -> tuple[np.ndarray, np.ndarray | float, np.ndarray | float]:
    """torch's CosineAnnealingLR.get_lr as a map of the current rate x: x -> η_min + r·(x − η_min)
    with r = (1 + cos(π·k/T)) / (1 + cos(π·(k − 1)/T)), except one step past each trough, where r's
    denominator is 0 and torch adds (base − η_min)·(1 − cos(π/T))/2 instead."""
    if first:
        return np.ones_like(k), 0.0, 0.0
    restart = (k - 1 - t_max) % (2 * t_max) == 0
    # Where the denominator is 0 the ratio is inf or nan; those are the restart rows, masked out.
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (1 + np.cos(np.pi * k / t_max)) / (1 + np.cos(np.pi * (k - 1) / t_max))
    climb = (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
    # As x -> a·(x − p) + q, both branches keep η_min as p: x − η_min is what torch scales.
    return np.where(restart, 1.0, ratio), eta_min, np.where(restart, eta_min + climb, eta_min)


# --- traps --------------------------------------------------------------------------------------


def eta_min_trap(lr: float, eta_min: float, torch_class: str) -> tuple[str, ...]:
    """eta_min >= lr: the "annealing" is a flat line or a climb (the seed's
    CosineAnnealingLR(T_max=20, eta_min=1e-3) on an optimizer with lr=1e-3 is flat)."""
    if eta_min < lr:
        return ()
    what = "equals" if eta_min == lr else "is above"
    shape = "stays flat at lr" if eta_min == lr else "rises from lr to eta_min instead of falling"
    return (
        f"eta_min {eta_min:g} {what} lr {lr:g}: the rate {shape} ({torch_class} anneals from the "
        "optimizer's lr down to eta_min); set eta_min below lr, e.g. 0 or lr / 100",
    )


def past_t_max(t_max: int, n: int) -> bool:
    """Whether rows run past step t_max, where torch's cosine turns and climbs again."""
    return n > t_max + 1


def warn_cosine(params, n: int) -> tuple[str, ...]:
    found = eta_min_trap(params["lr"], params["eta_min"], "CosineAnnealingLR")
    t_max = params["t_max"]
    if past_t_max(t_max, n):
        found += (
            f"{n} steps run past t_max {t_max}: after step {t_max} the rate climbs back up from "
            f"eta_min (torch's cosine keeps going: back at lr at step {2 * t_max}); to end at "
            f"eta_min, set t_max to {n - 1} (the last step), or use {n - t_max - 1} fewer steps",
        )
    return found


def annotate_cosine(params, n: int) -> Annotations:
    """Past t_max, the annealing and the climb after it as two phases: the picture shows the turn."""
    t_max = params["t_max"]
    if not past_t_max(t_max, n):
        return Annotations()
    return Annotations(phases=(Phase("annealing", 0, t_max), Phase("past t_max", t_max, n - 1)))


COSINE = register(
    Schedule(
        name="cosine",
        origin="torch.optim.lr_scheduler.CosineAnnealingLR",
        signature=("optimizer", "T_max", "eta_min", "last_epoch"),
        summary="Half a cosine from lr down to eta_min over t_max steps (and back up after).",
        params=(
            BASE_LR,
            Integer("t_max", "Steps from lr down to eta_min (half a period).", required=True, ge=1),
            Real("eta_min", "The lowest rate, reached at step t_max.", 0.0, ge=0),
        ),
        lr=cosine_annealing,
        lr_range=cosine_annealing_range,
        native={"t_max": "T_max"},
        horizon=lambda p: p["t_max"] + 1,
        horizon_text="t_max + 1 rows (steps 0..t_max), so the curve reaches eta_min",
        example="cosine --lr 0.1 --t-max 20 --eta-min 0.001",
        stepping=Stepping(rule=cosine_rule, pivots=lambda p: p["eta_min"] > 0),
        annotate=annotate_cosine,
        warn=warn_cosine,
    )
)


def _cycle_starts(t_0: int, t_mult: int, last: float) -> np.ndarray:
    """The first step of each cycle up to step ``last``: 0, T_0, T_0(1 + m), T_0(1 + m + m²), ..."""
    starts = [0]
    length = t_0
    while starts[-1] <= last:
        # The cycle that runs past `last` may be astronomically long (a huge T_mult): capping it
        # keeps it a float and leaves T_cur / T_i, already ~0, as it is.
        starts.append(min(starts[-1] + length, CYCLE_CAP))
        length *= t_mult
    return np.array(starts, dtype=np.float64)


CYCLE_CAP = 2**1000


def cosine_warm_restarts(
    t: np.ndarray, *, lr: float, t_0: int, t_mult: int, eta_min: float
) -> np.ndarray:
    """η_t = η_min + (η_0 − η_min) · (1 + cos(π·T_cur/T_i)) / 2, where cycle i lasts
    T_i = T_0·T_mult^i steps and T_cur counts the steps since it began: back to η_0 at each restart.

    torch counts T_cur and T_i in whole numbers step by step; so does this (no logarithms), then
    evaluates the same expression.

    >>> cosine_warm_restarts(np.arange(5.0), lr=1.0, t_0=2, t_mult=1, eta_min=0.0)
    array([1. , 0.5, 1. , 0.5, 1. ])
    """
    if t_mult == 1:
        t_cur, t_i = t % t_0, float(t_0)
    else:
        starts = _cycle_starts(t_0, t_mult, float(t.max()) if t.size else 0.0)
        cycle = np.searchsorted(starts, t, side="right") - 1
        t_cur = t - starts[cycle]
        t_i = t_0 * np.power(float(t_mult), cycle)
    return eta_min + (lr - eta_min) * (1 + np.cos(np.pi * t_cur / t_i)) / 2


def cosine_warm_restarts_range(
    first: int, n: int, *, lr: float, t_0: int, t_mult: int, eta_min: float
) -> np.ndarray:
    """:func:`cosine_warm_restarts` at steps first..first+n-1, cycle by cycle."""
    if t_mult == 1 and t_0 <= n // 2:
        # Every cycle is the same: one period of rows, repeated.
        return _kernels.tile(n, _restarts_by_cycle(first, t_0, lr=lr, t_0=t_0, t_mult=1, eta_min=eta_min))
    return _restarts_by_cycle(first, n, lr=lr, t_0=t_0, t_mult=t_mult, eta_min=eta_min)


def _restarts_by_cycle(first: int, n: int, *, lr: float, t_0: int, t_mult: int, eta_min: float) -> np.ndarray:
    """Rows first..first+n−1 of :func:`cosine_warm_restarts`, cycle by cycle: a long stretch of a
    cycle by angle addition (its first step, cos 0 = 1, by the formula), a short one plainly."""
    out = np.empty(n)
    starts = _cycle_starts(t_0, t_mult, float(first + n - 1))
    half = (lr - eta_min) / 2.0
    length = t_0
    for begin, end in zip(starts[:-1].tolist(), starts[1:].tolist()):
        low, high = max(int(begin), first), min(end, first + n)
        if high > low:
            rows = slice(low - first, int(high) - first)
            if high - low < _kernels.FAST_FROM:
                steps = np.arange(low, int(high), dtype=np.float64)
                out[rows] = cosine_warm_restarts(steps, lr=lr, t_0=t_0, t_mult=t_mult, eta_min=eta_min)
            else:
                _kernels.cosine(out[rows], low, start=begin, length=min(length, CYCLE_CAP), amp=half,
                                mid=eta_min + half, periodic=length < 2**52)
                if low == begin:
                    out[low - first] = eta_min + (lr - eta_min) * (1 + np.cos(0.0)) / 2
        length *= t_mult
    return out


# Three cycles and the restart after them show the shape; a huge T_mult is cut at 10^6 rows.
RESTART_CYCLES = 3
MAX_RESTART_ROWS = 1_000_000


def _restarts_horizon(params) -> int:
    t_0, t_mult = params["t_0"], params["t_mult"]
    return min(t_0 * sum(t_mult**i for i in range(RESTART_CYCLES)) + 1, MAX_RESTART_ROWS)


COSINE_RESTARTS = register(
    Schedule(
        name="cosine-restarts",
        origin="torch.optim.lr_scheduler.CosineAnnealingWarmRestarts",
        signature=("optimizer", "T_0", "T_mult", "eta_min", "last_epoch"),
        summary="Cosine from lr to eta_min, restarting at lr; each cycle t_mult times longer (SGDR).",
        params=(
            BASE_LR,
            Integer("t_0", "Steps in the first cycle (until the first restart).", required=True, ge=1),
            Integer("t_mult", "Each cycle is this many times longer than the one before.", 1, ge=1),
            Real("eta_min", "The lowest rate, approached at the end of each cycle.", 0.0, ge=0),
        ),
        lr=cosine_warm_restarts,
        lr_range=cosine_warm_restarts_range,
        native={"t_0": "T_0", "t_mult": "T_mult"},
        horizon=_restarts_horizon,
        horizon_text="three cycles and the first step of the fourth: "
        "t_0 * (1 + t_mult + t_mult^2) + 1 rows (at most 10^6)",
        example="cosine-restarts --lr 0.1 --t-0 10 --t-mult 2 --eta-min 0.001",
        warn=lambda p, n: eta_min_trap(p["lr"], p["eta_min"], "CosineAnnealingWarmRestarts"),
        # get_lr is a closed form of T_cur; _update_lr(0) in a SequentialLR does not reset T_cur,
        # but nothing steps a scheduler before its milestone, so T_cur is still 0 there.
        stepping=Stepping(),
    )
)
