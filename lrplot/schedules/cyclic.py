"""Cyclical learning rates: torch's CyclicLR (triangular, triangular2, exp_range), with momentum."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from lrplot.params import Choice, Integer, Invalid, Real, Switch
from lrplot.registry import Annotations, Context, Schedule, Stepping, register

from . import _kernels

# Three cycles show the shape, and two halvings of triangular2.
CYCLES_SHOWN = 3


def _position(t: np.ndarray, step_size_up: int, step_size_down: int | None):
    """(cycle, scale): the cycle number (from 1) and where step t is on the triangle, 0 at the
    bottom, 1 at the top; the float operations are torch's."""
    up = float(step_size_up)
    total = up + (float(step_size_down) if step_size_down is not None else up)
    ratio = up / total
    cycle = np.floor(1 + t / total)
    x = 1.0 + t / total - cycle
    scale = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
    return cycle, scale


def _amplitude(t: np.ndarray, cycle: np.ndarray, mode: str, gamma: float) -> np.ndarray | float:
    """torch's scale_fn: 1; halved each cycle (triangular2); gamma^t (exp_range)."""
    if mode == "triangular2":
        return 1 / np.power(2.0, cycle - 1)
    if mode == "exp_range":
        return np.power(gamma, t)
    return 1.0


def cyclic(
    t: np.ndarray,
    *,
    base_lr: float,
    max_lr: float,
    step_size_up: int,
    step_size_down: int | None,
    mode: str,
    gamma: float,
) -> np.ndarray:
    """η_t = base_lr + (max_lr − base_lr) · s_t · a_t: a triangle wave s_t rising from 0 to 1 over
    step_size_up steps and back over step_size_down, times the amplitude a_t (1; 1/2^(cycle−1)
    for triangular2; γ^t for exp_range).

    >>> cyclic(np.arange(5.0), base_lr=1.0, max_lr=3.0, step_size_up=2, step_size_down=None,
    ...        mode="triangular", gamma=1.0)
    array([1., 2., 3., 2., 1.])
    """
    cycle, scale = _position(t, step_size_up, step_size_down)
    return base_lr + (max_lr - base_lr) * scale * _amplitude(t, cycle, mode, gamma)


# The parameters that shape the triangle wave (and its amplitude), shared by rate and momentum.
SHAPE = ("step_size_up", "step_size_down", "mode", "gamma")


def cyclic_range(first: int, n: int, **params: Any) -> np.ndarray:
    """:func:`cyclic` at steps first..first+n-1 (its parameters, ``params``), a run of cycles at a
    time (:func:`_wave`)."""
    shape = {key: params[key] for key in SHAPE}
    base_lr, max_lr = params["base_lr"], params["max_lr"]
    return _wave(first, n, top=base_lr, height=max_lr - base_lr, sign=1.0, shape=shape,
                 plain=lambda steps: cyclic(steps, base_lr=base_lr, max_lr=max_lr, **shape))


def cyclic_momentum(
    t: np.ndarray,
    *,
    step_size_up: int,
    step_size_down: int | None,
    mode: str,
    gamma: float,
    cycle_momentum: bool,
    base_momentum: float,
    max_momentum: float,
) -> dict[str, np.ndarray]:
    """Momentum (or Adam's beta1) mirrors the rate: max_momentum − (max − base) · s_t · a_t."""
    if not cycle_momentum:
        return {}
    cycle, scale = _position(t, step_size_up, step_size_down)
    amplitude = _amplitude(t, cycle, mode, gamma)
    return {"momentum": max_momentum - (max_momentum - base_momentum) * scale * amplitude}


def cyclic_momentum_range(first: int, n: int, **params: Any) -> dict[str, np.ndarray]:
    """:func:`cyclic_momentum` at steps first..first+n-1 (its parameters, ``params``), a run of
    cycles at a time."""
    if not params["cycle_momentum"]:
        return {}
    shape = {key: params[key] for key in SHAPE}
    low, high = params["base_momentum"], params["max_momentum"]
    momentum = {"cycle_momentum": True, "base_momentum": low, "max_momentum": high}
    return {"momentum": _wave(
        first, n, top=high, height=high - low, sign=-1.0, shape=shape,
        plain=lambda steps: cyclic_momentum(steps, **shape, **momentum)["momentum"],
    )}


# --- long step ranges, a run of cycles at a time ------------------------------------------------


def _cycle_runs(last: int) -> list[tuple[int, int]]:
    """Runs [first, last] of cycle numbers over which t/total and 1 + t/total stay in one binade
    each: cycle 1, then for k >= 1 cycle 2^k alone and cycles 2^k + 1 .. 2^(k+1) − 1."""
    runs = [(1, 1)]
    k = 1
    while 2**k <= last:
        runs += [(2**k, 2**k), (2**k + 1, 2 ** (k + 1) - 1)]
        k += 1
    return runs


def _wave(
    first: int,
    n: int,
    *,
    top: float,
    height: float,
    sign: float,
    shape: Mapping[str, Any],
    plain: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """top + sign·(height·s_t)·a_t for t = first..first+n−1 (the rate: sign +1; the momentum: −1),
    bit for bit the formula ``plain`` except exp_range's γ^t, which takes block products.

    The triangle repeats exactly, roundings included, over each run of :func:`_cycle_runs`: in
    cycle q (t = (q−1)·total + r) the exact t/total is (q−1) + r/total, and rounding it to the
    grid of its binade (a grid on which q−1 is an even multiple of the spacing) adds q−1 to
    r/total rounded the same way; so t/total − (q−1), 1 + t/total − q, x, s_t and the height
    depend on r alone while both binades stay. One cycle of each run is computed by the formula
    and repeated; a_t is 1, 1/2^(q−1) per cycle (an outer product) or γ^t = γ^((q−1)·total)·γ^r,
    which makes each run of whole cycles one matrix product [top, sign·a_q] @ [1; height·s_r·γ^r].
    """
    up, down, mode, gamma = (shape[k] for k in ("step_size_up", "step_size_down", "mode", "gamma"))
    total = up + (down if down is not None else up)
    out = np.empty(n)
    last_cycle = (first + n - 1) // total + 1
    offsets = np.arange(total, dtype=np.float64)
    for run_first, run_last in _cycle_runs(last_cycle):
        low = max((run_first - 1) * total, first)
        high = min(run_last * total, first + n)
        if high <= low:
            continue
        whole_first = -(-low // total) * total  # the first step of a whole cycle in the run
        whole = (high - whole_first) // total
        if whole < 2:
            _plainly(out, first, low, high, plain)
            continue
        _plainly(out, first, low, whole_first, plain)
        _plainly(out, first, whole_first + whole * total, high, plain)
        # The height·s_r of one cycle of the run, by the formula about 0 with amplitude 1.
        heights = cyclic(whole_first + offsets, base_lr=0.0, max_lr=height, step_size_up=up,
                         step_size_down=down, mode="triangular", gamma=1.0)
        cycles = whole_first // total + 1 + np.arange(whole, dtype=np.float64)
        rows = out[whole_first - first : whole_first - first + whole * total].reshape(whole, total)
        if mode == "triangular":
            rows[:] = top + sign * (heights * 1.0)
            continue
        if mode == "triangular2":
            # The formula's own two roundings (a power of two times the height is exact until it
            # is subnormal), a few cycles at a time so that the second pass finds them in cache.
            amplitude = 1 / np.power(2.0, cycles - 1)
            group = max(1, _kernels.FAST_FROM // total)
            for j in range(0, whole, group):
                part = rows[j : j + group]
                np.multiply(amplitude[j : j + group, None], heights, out=part)
                (np.add if sign > 0 else np.subtract)(top, part, out=part)
            continue
        amplitude = np.power(gamma, (cycles - 1) * total)
        amplitude[amplitude < _kernels.TINY] = 0.0  # its products would only be subnormal
        left = np.stack((np.full(whole, top), sign * amplitude), axis=1)
        np.matmul(left, np.stack((np.ones(total), heights * np.power(gamma, offsets))), out=rows)
    return out


def _plainly(out: np.ndarray, first: int, low: int, high: int, plain) -> None:
    """Steps [low, high) of ``out`` (whose row 0 is step ``first``) by the formula, a slice at a
    time (its temporaries stay small)."""
    for start in range(low, high, _kernels.FAST_FROM):
        stop = min(start + _kernels.FAST_FROM, high)
        out[start - first : stop - first] = plain(np.arange(start, stop, dtype=np.float64))


def resolve(params: dict[str, Any], context: Context) -> dict[str, Any]:
    """gamma shapes exp_range only; torch ignores it otherwise, so a gamma given there is a mistake."""
    if params["gamma"] != 1.0 and params["mode"] != "exp_range":
        raise Invalid(f"{{}} applies only to {{}} exp_range (here {params['mode']})", "gamma", "mode")
    return params


def warn(params: Mapping[str, Any], n: int) -> tuple[str, ...]:
    if params["max_lr"] < params["base_lr"]:
        return (
            f"max_lr {params['max_lr']:g} is below base_lr {params['base_lr']:g}: each cycle dips "
            "below base_lr instead of rising (torch allows it)",
        )
    return ()


def _horizon(params: Mapping[str, Any]) -> int:
    up, down = params["step_size_up"], params["step_size_down"]
    return CYCLES_SHOWN * (up + (down if down is not None else up)) + 1


CYCLIC = register(
    Schedule(
        name="cyclic",
        origin="torch.optim.lr_scheduler.CyclicLR",
        signature=(
            "optimizer", "base_lr", "max_lr", "step_size_up", "step_size_down", "mode", "gamma",
            "scale_fn", "scale_mode", "cycle_momentum", "base_momentum", "max_momentum", "last_epoch",
        ),
        summary="Triangle waves between base_lr and max_lr (CLR); momentum cycles the other way.",
        params=(
            Real("base_lr", "The bottom of each cycle (where it starts).", required=True, gt=0),
            Real("max_lr", "The top of each cycle (reached only by triangular's full amplitude).",
                 required=True, gt=0),
            Integer("step_size_up", "Steps from base_lr up to the top.", 2000, ge=1),
            Integer("step_size_down", "Steps from the top back down (default: step_size_up).", ge=1),
            Choice(
                "mode",
                "triangular: same every cycle; triangular2: amplitude halved each cycle; "
                "exp_range: amplitude times gamma^step.",
                "triangular",
                choices=("triangular", "triangular2", "exp_range"),
            ),
            Real("gamma", "exp_range's factor per step.", 1.0, gt=0, le=1),
            Switch("cycle_momentum", "Cycle momentum (or beta1) inversely to the rate.", True),
            Real("base_momentum", "Momentum at the top of the cycle.", 0.8, ge=0, le=1),
            Real("max_momentum", "Momentum at the bottom of the cycle.", 0.9, ge=0, le=1),
            Real(
                "lr",
                "The optimizer's lr. CyclicLR replaces it with base_lr; it only matters to what "
                "comes first (a warm-up ramps up to it).",
                1e-3,
                gt=0,
                argument=False,
            ),
        ),
        lr=cyclic,
        lr_range=cyclic_range,
        per_batch=True,
        horizon=_horizon,
        horizon_text="three cycles and one more step: 3 * (step_size_up + step_size_down) + 1 rows",
        resolve=resolve,
        extras=cyclic_momentum,
        extras_range=cyclic_momentum_range,
        annotate=lambda p, n: Annotations(guides={"base_lr": p["base_lr"], "max_lr": p["max_lr"]}),
        warn=warn,
        example="cyclic --base-lr 0.001 --max-lr 0.01 --step-size-up 20 --mode triangular2",
        # The constructor sets the optimizer's lr to base_lr before LRScheduler.__init__ (so
        # initial_lr is base_lr unless an earlier scheduler set it), takes its first step with that
        # initial_lr as base, and only then sets base_lrs to base_lr.
        stepping=Stepping(base_param="base_lr", sets_lr="base_lr"),
    )
)
