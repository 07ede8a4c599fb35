"""Cosine annealing: torch's CosineAnnealingLR, and CosineAnnealingWarmRestarts (SGDR)."""

from __future__ import annotations

import math

import numpy as np

from lrplot.params import Integer, Real
from lrplot.registry import Schedule, Stepping, register

from ._common import BASE_LR


def cosine_annealing(t: np.ndarray, *, lr: float, t_max: int, eta_min: float) -> np.ndarray:
    """η_t = η_min + (η_0 − η_min) · (1 + cos(π·t / T_max)) / 2.

    Past T_max the cosine keeps going, so the rate climbs back to η_0 at 2·T_max, as in torch
    (which computes the same values with a recursive formula).

    >>> cosine_annealing(np.array([0.0, 1.0, 2.0]), lr=1.0, t_max=2, eta_min=0.0)
    array([1. , 0.5, 0. ])
    """
    return eta_min + (lr - eta_min) * (1.0 + np.cos(np.pi * t / t_max)) / 2.0


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


COSINE = register(
    Schedule(
        name="cosine",
        torch_class="CosineAnnealingLR",
        summary="Half a cosine from lr down to eta_min over t_max steps (and back up after).",
        params=(
            BASE_LR,
            Integer("t_max", "Steps from lr down to eta_min (half a period).", required=True, ge=1),
            Real("eta_min", "The lowest rate, reached at step t_max.", 0.0, ge=0),
        ),
        lr=cosine_annealing,
        horizon=lambda p: p["t_max"] + 1,
        horizon_text="t_max + 1 rows (steps 0..t_max), so the curve reaches eta_min",
        example="cosine --lr 0.1 --t-max 20 --eta-min 0.001",
        stepping=Stepping(rule=cosine_rule),
    )
)


def _cycle_starts(t_0: int, t_mult: int, last: float) -> np.ndarray:
    """The first step of each cycle up to step ``last``: 0, T_0, T_0(1 + m), T_0(1 + m + m²), ..."""
    starts = [0]
    length = t_0
    while starts[-1] <= last:
        starts.append(starts[-1] + length)
        length *= t_mult
    return np.array(starts, dtype=np.float64)


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


# Three cycles and the restart after them show the shape; a huge T_mult is cut at 10^6 rows.
RESTART_CYCLES = 3
MAX_RESTART_ROWS = 1_000_000


def _restarts_horizon(params) -> int:
    t_0, t_mult = params["t_0"], params["t_mult"]
    return min(t_0 * sum(t_mult**i for i in range(RESTART_CYCLES)) + 1, MAX_RESTART_ROWS)


COSINE_RESTARTS = register(
    Schedule(
        name="cosine-restarts",
        torch_class="CosineAnnealingWarmRestarts",
        summary="Cosine from lr to eta_min, restarting at lr; each cycle t_mult times longer (SGDR).",
        params=(
            BASE_LR,
            Integer("t_0", "Steps in the first cycle (until the first restart).", required=True, ge=1),
            Integer("t_mult", "Each cycle is this many times longer than the one before.", 1, ge=1),
            Real("eta_min", "The lowest rate, approached at the end of each cycle.", 0.0, ge=0),
        ),
        lr=cosine_warm_restarts,
        horizon=_restarts_horizon,
        horizon_text="three cycles and the first step of the fourth: "
        "t_0 * (1 + t_mult + t_mult^2) + 1 rows (at most 10^6)",
        example="cosine-restarts --lr 0.1 --t-0 10 --t-mult 2 --eta-min 0.001",
        # get_lr is a closed form of T_cur; _update_lr(0) in a SequentialLR does not reset T_cur,
        # but nothing steps a scheduler before its milestone, so T_cur is still 0 there.
        stepping=Stepping(),
    )
)
