"""Step decays: torch's StepLR (every step_size steps) and MultiStepLR (at given milestones)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from lrplot.params import Integer, IntegerList, Invalid, Real
from lrplot.registry import Context, Schedule, Stepping, register

from . import _kernels
from ._common import BASE_LR, growth_headroom, overflow

# Staircases get a horizon that shows their shape: until the rate is 1% of lr, at most 10 drops.
DECAY_TO = 0.01
MAX_DROPS = 10
GROWTH_DROPS = 3


def step_decay(t: np.ndarray, *, lr: float, step_size: int, gamma: float) -> np.ndarray:
    """η_t = η_0 · γ^⌊t / step_size⌋.

    torch multiplies the rate by γ at every multiple of step_size; the power is the same product
    without the rounding of each multiplication.

    >>> step_decay(np.arange(5.0), lr=1.0, step_size=2, gamma=0.5)
    array([1.  , 1.  , 0.5 , 0.5 , 0.25])
    """
    # floor_divide on floats is exact for whole numbers (t / step_size could round up to one).
    return lr * np.power(gamma, t // step_size)


def step_decay_range(first: int, n: int, *, lr: float, step_size: int, gamma: float) -> np.ndarray:
    """:func:`step_decay` at steps first..first+n-1: one value per tread, by the same formula (or
    by block products when there are many), written as stairs."""
    low, high = first // step_size, (first + n - 1) // step_size
    if high - low + 1 >= _kernels.FAST_FROM:
        levels = _kernels.geometric(np.empty(high - low + 1), low, scale=lr, ratio=gamma)
    else:
        levels = step_decay(np.arange(low, high + 1.0) * step_size, lr=lr, step_size=step_size,
                            gamma=gamma)
    return _kernels.stairs(first, n, step_size, levels)


def step_rule(k: np.ndarray, *, step_size: int, gamma: float) -> tuple[np.ndarray, float, float]:
    """torch's StepLR.get_lr: the rate times γ when k is a non-zero multiple of step_size."""
    drop = (k != 0) & (k % step_size == 0)
    return np.where(drop, gamma, 1.0), 0.0, 0.0


def _drops(gamma: float) -> int:
    if gamma >= 1.0:
        return GROWTH_DROPS
    return min(math.ceil(math.log(DECAY_TO) / math.log(gamma)), MAX_DROPS)


def multi_step(t: np.ndarray, *, lr: float, milestones: tuple[int, ...], gamma: float) -> np.ndarray:
    """η_t = η_0 · γ^(number of milestones <= t); a milestone given twice counts twice.

    >>> multi_step(np.arange(5.0), lr=1.0, milestones=(1, 3, 3), gamma=0.5)
    array([1.   , 0.5  , 0.5  , 0.125, 0.125])
    """
    passed = np.searchsorted(np.asarray(milestones, dtype=np.float64), t, side="right")
    return lr * np.power(gamma, passed.astype(np.float64))


def multi_step_range(
    first: int, n: int, *, lr: float, milestones: tuple[int, ...], gamma: float
) -> np.ndarray:
    """:func:`multi_step` at steps first..first+n-1: constant between milestones, each stretch
    by the formula at its first step."""
    marks = [m - first for m in sorted(set(milestones)) if first < m < first + n]
    bounds = [0, *marks, n]
    values = multi_step(np.array(bounds[:-1], dtype=np.float64) + first, lr=lr,
                        milestones=milestones, gamma=gamma)
    return _kernels.pieces(n, bounds, values)


def multi_step_rule(
    k: np.ndarray, *, milestones: tuple[int, ...], gamma: float
) -> tuple[np.ndarray, float, float]:
    """torch's MultiStepLR.get_lr: the rate times γ^c when k is a milestone given c times."""
    marks = np.asarray(milestones, dtype=np.float64)
    count = np.searchsorted(marks, k, side="right") - np.searchsorted(marks, k, side="left")
    return np.where(count > 0, np.power(gamma, count.astype(np.float64)), 1.0), 0.0, 0.0


def resolve_milestones(params: dict[str, Any], context: Context) -> dict[str, Any]:
    """Milestones in order (torch's docs ask for increasing ones; repeats apply γ again)."""
    milestones = params["milestones"]
    for earlier, later in zip(milestones, milestones[1:]):
        if later < earlier:
            raise Invalid(
                f"{{}} must be in increasing order (a repeat applies gamma again), got "
                f"{later} after {earlier}",
                "milestones",
            )
    return params


def _multi_step_horizon(params: Mapping[str, Any]) -> int:
    last = params["milestones"][-1]
    return last + math.ceil(last / 4) + 1


GAMMA_HELP = "Multiplicative factor of each decay."

def _step_limit(params: Mapping[str, Any]):
    """Growth overflows: rows while lr·γ^⌊t/step_size⌋ stays finite."""
    headroom = growth_headroom(params["lr"], params["gamma"])
    return None if headroom is None else overflow((headroom + 1) * params["step_size"])


def _multi_step_limit(params: Mapping[str, Any]):
    """Growth overflows: rows until the milestone that would take the rate past float64."""
    headroom = growth_headroom(params["lr"], params["gamma"])
    milestones = sorted(params["milestones"])
    if headroom is None or len(milestones) <= headroom:
        return None
    return overflow(milestones[headroom])


STEP = register(
    Schedule(
        name="step",
        origin="torch.optim.lr_scheduler.StepLR",
        signature=("optimizer", "step_size", "gamma", "last_epoch"),
        summary="Multiply the rate by gamma every step_size steps: lr * gamma^floor(t / step_size).",
        params=(
            BASE_LR,
            Integer("step_size", "Steps between two decays.", required=True, ge=1),
            Real("gamma", GAMMA_HELP, 0.1, gt=0),
        ),
        lr=step_decay,
        lr_range=step_decay_range,
        horizon=lambda p: _drops(p["gamma"]) * p["step_size"] + 1,
        limit=_step_limit,
        horizon_text="until the rate falls to 1% of lr, at most 10 decays (3 if gamma >= 1)",
        example="step --lr 0.1 --step-size 30 --gamma 0.1",
        stepping=Stepping(rule=step_rule, factor=True),
    )
)

MULTISTEP = register(
    Schedule(
        name="multistep",
        origin="torch.optim.lr_scheduler.MultiStepLR",
        signature=("optimizer", "milestones", "gamma", "last_epoch"),
        summary="Multiply the rate by gamma at each milestone: lr * gamma^(milestones passed).",
        params=(
            BASE_LR,
            IntegerList(
                "milestones",
                "Steps at which the rate is multiplied by gamma; a repeated one applies it twice.",
                required=True,
                ge=1,
            ),
            Real("gamma", GAMMA_HELP, 0.1, gt=0),
        ),
        lr=multi_step,
        lr_range=multi_step_range,
        horizon=_multi_step_horizon,
        limit=_multi_step_limit,
        horizon_text="the last milestone and a quarter more (last + ceil(last / 4) + 1 rows)",
        resolve=resolve_milestones,
        example="multistep --lr 0.1 --milestones 30,80 --gamma 0.1",
        stepping=Stepping(rule=multi_step_rule, factor=True, flat_from=lambda p: max(p["milestones"])),
    )
)
