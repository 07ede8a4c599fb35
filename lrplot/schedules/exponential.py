"""Exponential decay: torch's ExponentialLR."""

from __future__ import annotations

import math

import numpy as np

from lrplot.params import Real
from lrplot.registry import Schedule, Stepping, register

from . import _kernels
from ._common import BASE_LR, growth_headroom, overflow

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


def exponential_range(first: int, n: int, *, lr: float, gamma: float) -> np.ndarray:
    """:func:`exponential` at steps first..first+n-1 by block products instead of a pow per row
    (see _kernels.geometric); rates below the normal range (2.2e-308) are then 0."""
    return _kernels.geometric(np.empty(n), first, scale=lr, ratio=gamma)


def exponential_rule(k: np.ndarray, *, first: bool, gamma: float) -> tuple[np.ndarray, float, float]:
    """torch's ExponentialLR.get_lr: the rate times γ (unchanged at the constructor's first step)."""
    return np.full_like(k, 1.0 if first else gamma), 0.0, 0.0


def horizon(params) -> int:
    """Rows up to and including the first step where η_t <= 1% of η_0 (at most 10^4)."""
    gamma = params["gamma"]
    if gamma >= 1.0:
        return GROWTH_DEFAULT_ROWS
    return min(math.ceil(math.log(DECAY_TO) / math.log(gamma)) + 1, MAX_DEFAULT_ROWS)


def _limit(lr: float, gamma: float):
    """Growth overflows: rows while lr·γ^t stays finite."""
    headroom = growth_headroom(lr, gamma)
    return None if headroom is None else overflow(headroom + 1)


# Below this a rate no longer trains anything: the updates are lost in the weights' round-off.
NEGLIGIBLE = 1e-10


def first_below(lr: float, gamma: float, level: float) -> int | None:
    """The first step t with lr·γ^t < ``level`` (None when the rate never gets there).

    The logarithm gives the step to within one; the curve itself settles which."""
    if lr < level:
        return 0
    if gamma >= 1.0 or level <= 0.0:  # a level of 0: 1% of a subnormal lr underflows
        return None
    t = max(0, math.floor(math.log(level / lr) / math.log(gamma)))
    while t > 0 and _rate_at(t - 1, lr, gamma) < level:
        t -= 1
    while _rate_at(t, lr, gamma) >= level:
        t += 1
    return t


def _rate_at(step: int, lr: float, gamma: float) -> float:
    return float(exponential(np.array([float(step)]), lr=lr, gamma=gamma)[0])


def warn(params, n: int) -> tuple[str, ...]:
    """The rate spends the end of the curve below 1% of lr (and maybe below 1e-10): a gamma meant
    per epoch, stepped per batch, is the usual cause."""
    lr, gamma = params["lr"], params["gamma"]
    faint = first_below(lr, gamma, DECAY_TO * lr)
    # The default horizon ends on the first row below 1%: only rows past it are worth a word.
    if faint is None or faint >= n - 1:
        return ()
    gone = first_below(lr, gamma, NEGLIGIBLE) if lr >= NEGLIGIBLE else None
    below = f" and below {NEGLIGIBLE:g} at step {gone}" if gone is not None and gone < n else ""
    return (
        f"the rate falls below 1% of lr at step {faint}{below}: {n - faint} of the {n} steps "
        f"train at under 1% of lr; gamma {gamma:g} decays too fast for {n} steps (stepped per "
        f"batch instead of per epoch?), gamma = 0.01 ** (1 / {n - 1}) = "
        f"{DECAY_TO ** (1 / (n - 1)):.6g} reaches 1% at the last step",
    )


EXPONENTIAL = register(
    Schedule(
        name="exponential",
        origin="torch.optim.lr_scheduler.ExponentialLR",
        signature=("optimizer", "gamma", "last_epoch"),
        summary="Multiply the rate by gamma every step: lr * gamma^t.",
        params=(
            BASE_LR,
            Real("gamma", "Multiplicative factor applied at every step.", required=True, gt=0),
        ),
        lr=exponential,
        lr_range=exponential_range,
        horizon=horizon,
        limit=lambda p: _limit(p["lr"], p["gamma"]),
        horizon_text="until the rate falls to 1% of lr (at most 10,000 rows; 100 if gamma >= 1)",
        example="exponential --lr 0.001 --gamma 0.9 --steps 20",
        stepping=Stepping(rule=exponential_rule, factor=True),
        warn=warn,
    )
)
