"""Factors over a fixed number of steps: torch's ConstantLR, LinearLR and PolynomialLR."""

from __future__ import annotations

import numpy as np

from lrplot.params import Integer, Real
from lrplot.registry import Schedule, Stepping, register

from . import _kernels
from ._common import BASE_LR

TOTAL_ITERS_DEFAULT = 5  # torch's default for all three


def constant(t: np.ndarray, *, lr: float, factor: float, total_iters: int) -> np.ndarray:
    """η_t = η_0 · factor for t < total_iters, then η_0.

    torch multiplies by factor at step 0 and by 1/factor at total_iters, so its rates after that
    are η_0 within two roundings.

    >>> constant(np.arange(4.0), lr=1.0, factor=0.5, total_iters=2)
    array([0.5, 0.5, 1. , 1. ])
    """
    return np.where(t < total_iters, lr * factor, lr)


def constant_range(first: int, n: int, *, lr: float, factor: float, total_iters: int) -> np.ndarray:
    """:func:`constant` at steps first..first+n-1, as two pieces."""
    bounds = [0, min(max(total_iters - first, 0), n), n]
    return _kernels.pieces(n, bounds, [lr * factor, lr])


def constant_rule(k: np.ndarray, *, factor: float, total_iters: int) -> tuple[np.ndarray, float, float]:
    """torch's ConstantLR.get_lr: times factor at step 0, times 1/factor at total_iters."""
    a = np.where(k == total_iters, 1.0 / factor, 1.0)
    return np.where(k == 0, factor, a), 0.0, 0.0


def linear(
    t: np.ndarray, *, lr: float, start_factor: float, end_factor: float, total_iters: int
) -> np.ndarray:
    """η_t = η_0 · (s + (e − s) · min(t, T) / T) with s, e the start and end factors, T total_iters.

    torch multiplies the rate by a ratio of consecutive factors each step; the products telescope
    to this. min(t, T) / T is taken first so the end is exactly e (torch's own closed form,
    which multiplies by min(t, T) before dividing, can miss it by an ulp: a tiny negative rate
    for e = 0).

    >>> linear(np.arange(4.0), lr=1.0, start_factor=0.25, end_factor=1.0, total_iters=2)
    array([0.25 , 0.625, 1.   , 1.   ])
    """
    return lr * (start_factor + (end_factor - start_factor) * (np.minimum(t, total_iters) / total_iters))


def linear_range(
    first: int, n: int, *, lr: float, start_factor: float, end_factor: float, total_iters: int
) -> np.ndarray:
    """:func:`linear` at steps first..first+n-1: the ramp a straight line (from the formula at
    each block's start), then flat."""

    def plain(steps: np.ndarray) -> np.ndarray:
        return linear(steps, lr=lr, start_factor=start_factor, end_factor=end_factor,
                      total_iters=total_iters)

    ramp = min(max(total_iters - first, 0), n)
    out = np.empty(n)
    _kernels.affine(out[:ramp], first, slope=lr * (end_factor - start_factor) / total_iters, plain=plain)
    out[ramp:] = plain(np.array([max(first, total_iters)], dtype=np.float64))[0]
    return out


def linear_rule(
    k: np.ndarray, *, first: bool, start_factor: float, end_factor: float, total_iters: int
) -> tuple[np.ndarray, float, float]:
    """torch's LinearLR.get_lr: times s at step 0, then times 1 + (e − s) / (T·s + (k − 1)(e − s))
    up to step T, then unchanged."""
    slope = end_factor - start_factor
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = 1.0 + slope / (total_iters * start_factor + (k - 1) * slope)
    a = np.where(first | (k > total_iters), 1.0, ratio)
    return np.where(k == 0, start_factor, a), 0.0, 0.0


def polynomial(t: np.ndarray, *, lr: float, total_iters: int, power: float) -> np.ndarray:
    """η_t = η_0 · (1 − min(t, T) / T)^power: down to 0 at T = total_iters, then 0.

    >>> polynomial(np.arange(4.0), lr=1.0, total_iters=2, power=2.0)
    array([1.  , 0.25, 0.  , 0.  ])
    """
    return lr * np.power(1.0 - np.minimum(t, total_iters) / total_iters, power)


def polynomial_range(first: int, n: int, *, lr: float, total_iters: int, power: float) -> np.ndarray:
    """:func:`polynomial` at steps first..first+n-1: the binomial series of the power summed in
    blocks (_kernels.power), then flat."""

    def plain(steps: np.ndarray) -> np.ndarray:
        return polynomial(steps, lr=lr, total_iters=total_iters, power=power)

    ramp = min(max(total_iters - first, 0), n)
    out = np.empty(n)
    _kernels.power(out[:ramp], first, total=total_iters, p=power, plain=plain)
    out[ramp:] = plain(np.array([max(first, total_iters)], dtype=np.float64))[0]
    return out


def polynomial_rule(
    k: np.ndarray, *, first: bool, total_iters: int, power: float
) -> tuple[np.ndarray, float, float]:
    """torch's PolynomialLR.get_lr: times ((1 − k/T) / (1 − (k − 1)/T))^power up to step T, then
    unchanged (and unchanged at the constructor's first step)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.power((1.0 - k / total_iters) / (1.0 - (k - 1) / total_iters), power)
    return np.where(first | (k > total_iters), 1.0, ratio), 0.0, 0.0


def _total_iters(params) -> int:
    """The step from which the factor stays at its final value."""
    return params["total_iters"]


TOTAL_ITERS_HELP = "Steps until the factor reaches its final value."

CONSTANT = register(
    Schedule(
        name="constant",
        origin="torch.optim.lr_scheduler.ConstantLR",
        signature=("optimizer", "factor", "total_iters", "last_epoch"),
        summary="lr * factor for total_iters steps, then lr.",
        params=(
            BASE_LR,
            # 0 is refused: torch divides by the factor at total_iters.
            Real("factor", "The fraction of lr used until total_iters.", 1.0 / 3, gt=0, le=1),
            Integer("total_iters", "Steps at the reduced rate.", TOTAL_ITERS_DEFAULT, ge=1),
        ),
        lr=constant,
        lr_range=constant_range,
        horizon=lambda p: 2 * p["total_iters"] + 1,
        horizon_text="2 * total_iters + 1 rows: the reduced rate, then as long at lr",
        example="constant --lr 0.1 --factor 0.5 --total-iters 10",
        stepping=Stepping(rule=constant_rule, factor=True, flat_from=_total_iters),
    )
)

LINEAR = register(
    Schedule(
        name="linear",
        origin="torch.optim.lr_scheduler.LinearLR",
        signature=("optimizer", "start_factor", "end_factor", "total_iters", "last_epoch"),
        summary="Scale lr by a factor moving linearly from start_factor to end_factor over total_iters.",
        params=(
            BASE_LR,
            Real("start_factor", "The factor at step 0.", 1.0 / 3, gt=0, le=1),
            Real("end_factor", "The factor from total_iters on.", 1.0, ge=0, le=1),
            Integer("total_iters", TOTAL_ITERS_HELP, TOTAL_ITERS_DEFAULT, ge=1),
        ),
        lr=linear,
        lr_range=linear_range,
        horizon=lambda p: p["total_iters"] + 1,
        horizon_text="total_iters + 1 rows (steps 0..total_iters), so the curve reaches end_factor",
        example="linear --lr 0.1 --start-factor 0.1 --total-iters 20",
        stepping=Stepping(rule=linear_rule, factor=True, flat_from=_total_iters),
    )
)

POLYNOMIAL = register(
    Schedule(
        name="polynomial",
        origin="torch.optim.lr_scheduler.PolynomialLR",
        signature=("optimizer", "total_iters", "power", "last_epoch"),
        summary="Decay to 0 over total_iters steps: lr * (1 - t / total_iters)^power.",
        params=(
            BASE_LR,
            Integer("total_iters", "Steps until the rate reaches 0.", TOTAL_ITERS_DEFAULT, ge=1),
            Real("power", "The power of the polynomial (1: linear decay).", 1.0, gt=0),
        ),
        lr=polynomial,
        lr_range=polynomial_range,
        horizon=lambda p: p["total_iters"] + 1,
        horizon_text="total_iters + 1 rows (steps 0..total_iters), so the curve reaches 0",
        example="polynomial --lr 0.1 --total-iters 100 --power 2",
        stepping=Stepping(rule=polynomial_rule, factor=True, flat_from=_total_iters),
    )
)
