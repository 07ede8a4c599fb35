"""Exponential decay: torch's ExponentialLR."""

from __future__ import annotations

import math

import numpy as np

from lrplot.params import Real
from lrplot.registry import Schedule, Stepping, register

from ._common import BASE_LR

# Open-ended schedules get a horizon that shows their shape: here, until the rate is 1% of lr.
DECAY_TO = 0.01
MAX_DEFAULT_ROWS = 10_000
GROWTH_DEFAULT_ROWS = 100


def exponential(t: np.ndarray, *, lr: float, gamma: float) -> np.ndarray:
    """η_t = η_0 · γ^t.

    >>> exponential(np.arange(3.0), lr=1.0, gamma=0.5)
    array([1.  , 0.5 , 0.25])
    """
    return lr * np.power(gamma, t)


def exponential_rule(k: np.ndarray, *, first: bool, gamma: float) -> tuple[np.ndarray, float, float]:
    """torch's ExponentialLR.get_lr: the rate times γ (unchanged at the constructor's first step)."""
    return np.full_like(k, 1.0 if first else gamma), 0.0, 0.0


def horizon(params) -> int:
    """Rows up to and including the first step where η_t <= 1% of η_0 (at most 10^4)."""
    gamma = params["gamma"]
    if gamma >= 1.0:
        return GROWTH_DEFAULT_ROWS
    return min(math.ceil(math.log(DECAY_TO) / math.log(gamma)) + 1, MAX_DEFAULT_ROWS)


EXPONENTIAL = register(
    Schedule(
        name="exponential",
        torch_class="ExponentialLR",
        summary="Multiply the rate by gamma every step: lr * gamma^t.",
        params=(
            BASE_LR,
            Real("gamma", "Multiplicative factor applied at every step.", required=True, gt=0),
        ),
        lr=exponential,
        horizon=horizon,
        horizon_text="until the rate falls to 1% of lr (at most 10,000 rows; 100 if gamma >= 1)",
        example="exponential --lr 0.001 --gamma 0.9 --steps 20",
        stepping=Stepping(rule=exponential_rule),
    )
)
