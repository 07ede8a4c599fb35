"""The 1cycle policy: torch's OneCycleLR, with its cycled momentum."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lrplot.params import Choice, Integer, Invalid, Real, Switch
from lrplot.registry import Annotations, Context, Phase, Schedule, Stepping, register

from . import _kernels


def phase_ends(total_steps: int, pct_start: float, three_phase: bool) -> list[float]:
    """The last step of each phase, exactly as torch computes them (phase i spans (end[i-1], end[i]])."""
    if three_phase:
        return [
            float(pct_start * total_steps) - 1,
            float(2 * pct_start * total_steps) - 2,
            float(total_steps - 1),
        ]
    return [float(pct_start * total_steps) - 1, float(total_steps - 1)]


def _anneal(start: np.ndarray, end: np.ndarray, pct: np.ndarray, strategy: str) -> np.ndarray:
    """Cosine or linear interpolation from ``start`` (pct=0) to ``end`` (pct=1), in torch's op order."""
    if strategy == "cos":
        return end + (start - end) / 2.0 * (np.cos(np.pi * pct) + 1)
    return (end - start) * pct + start


def _piecewise(t, ends, values, strategy):
    """Anneal between ``values[i]`` and ``values[i+1]`` over phase i; steps past the end extrapolate
    the last phase, as torch's loop does."""
    ends = np.asarray(ends, dtype=np.float64)
    starts = np.concatenate(([0.0], ends[:-1]))
    # torch takes the first phase with step <= end (the last phase catches everything after).
    phase = np.minimum(np.searchsorted(ends, t, side="left"), len(ends) - 1)
    start_step = starts[phase]
    pct = (t - start_step) / (ends[phase] - start_step)
    v = np.asarray(values, dtype=np.float64)
    return _anneal(v[phase], v[phase + 1], pct, strategy)


def _by_phase(first: int, n: int, ends, values, strategy) -> np.ndarray:
    """:func:`_piecewise` over a long step range, phase by phase: a cosine by angle addition, a
    line from the formula at each block's start; each phase's first and last step (pct 0 and, when
    the phase ends on a step, 1, where torch lands exactly on the phase's rates) by the formula."""
    out = np.empty(n)
    starts = [0.0, *ends[:-1]]

    def plain(steps: np.ndarray) -> np.ndarray:
        return _piecewise(steps, ends, values, strategy)

    for phase, (low, high) in enumerate(_kernels.phase_rows(first, n, ends)):
        rows, begin, length = out[low:high], starts[phase], ends[phase] - starts[phase]
        start, end = values[phase], values[phase + 1]
        if high - low < _kernels.FAST_FROM:
            rows[:] = plain(np.arange(first + low, first + high, dtype=np.float64))
            continue
        if strategy == "cos":
            half = (start - end) / 2.0
            _kernels.cosine(rows, first + low, start=begin, length=length, amp=half, mid=end + half,
                            periodic=False)
        else:
            _kernels.affine(rows, first + low, slope=(end - start) / length, plain=plain)
        rows[[0, -1]] = plain(np.array([first + low, first + high - 1], dtype=np.float64))
    return out


def _rates(max_lr, div_factor, final_div_factor):
    initial_lr = max_lr / div_factor
    return initial_lr, initial_lr / final_div_factor


def one_cycle(
    t: np.ndarray,
    *,
    max_lr: float,
    total_steps: int,
    pct_start: float,
    anneal_strategy: str,
    div_factor: float,
    final_div_factor: float,
    three_phase: bool,
) -> np.ndarray:
    """Warm up from η_0 = max_lr/div_factor to max_lr, then anneal down to η_0/final_div_factor.

    With p = (t − s_i)/(e_i − s_i) the position inside phase i and (a, b) its start and end rates:
    cos: η_t = b + (a − b)/2 · (1 + cos(π·p)); linear: η_t = a + (b − a)·p.
    Phases end at steps pct_start·T − 1 and T − 1 (three-phase: pct_start·T − 1, 2·pct_start·T − 2,
    T − 1, going initial → max → initial → min).

    >>> one_cycle(np.arange(4.0), max_lr=1.0, total_steps=4, pct_start=0.5, anneal_strategy="linear",
    ...           div_factor=4.0, final_div_factor=1.0, three_phase=False)
    array([0.25, 1.  , 0.625, 0.25 ])
    """
    values = _rate_levels(max_lr, div_factor, final_div_factor, three_phase)
    return _piecewise(t, phase_ends(total_steps, pct_start, three_phase), values, anneal_strategy)


def one_cycle_range(first: int, n: int, **params: Any) -> np.ndarray:
    """:func:`one_cycle` at steps first..first+n-1 (its parameters, ``params``), phase by phase
    (:func:`_by_phase`)."""
    values = _rate_levels(params["max_lr"], params["div_factor"], params["final_div_factor"],
                          params["three_phase"])
    return _by_phase(first, n, _ends(params), values, params["anneal_strategy"])


def _ends(params: Mapping[str, Any]) -> list[float]:
    return phase_ends(params["total_steps"], params["pct_start"], params["three_phase"])


def _rate_levels(max_lr: float, div_factor: float, final_div_factor: float, three_phase: bool) -> list[float]:
    """The rate at each phase boundary: initial → max → (initial →) min."""
    initial_lr, min_lr = _rates(max_lr, div_factor, final_div_factor)
    return [initial_lr, max_lr, initial_lr, min_lr] if three_phase else [initial_lr, max_lr, min_lr]


def _momentum_levels(base_momentum: float, max_momentum: float, three_phase: bool) -> list[float]:
    """The momentum at each phase boundary, opposite to the rate: max → base → max (→ max)."""
    if three_phase:
        return [max_momentum, base_momentum, max_momentum, max_momentum]
    return [max_momentum, base_momentum, max_momentum]


def one_cycle_momentum(
    t: np.ndarray,
    *,
    total_steps: int,
    pct_start: float,
    anneal_strategy: str,
    three_phase: bool,
    cycle_momentum: bool,
    base_momentum: float,
    max_momentum: float,
) -> dict[str, np.ndarray]:
    """Momentum (or Adam's beta1) moves opposite to the rate: max → base → max (→ max)."""
    if not cycle_momentum:
        return {}
    ends = phase_ends(total_steps, pct_start, three_phase)
    return {"momentum": _piecewise(t, ends, _momentum_levels(base_momentum, max_momentum, three_phase),
                                   anneal_strategy)}


def one_cycle_momentum_range(first: int, n: int, **params: Any) -> dict[str, np.ndarray]:
    """:func:`one_cycle_momentum` at steps first..first+n-1 (its parameters, ``params``), phase by
    phase."""
    if not params["cycle_momentum"]:
        return {}
    levels = _momentum_levels(params["base_momentum"], params["max_momentum"], params["three_phase"])
    return {"momentum": _by_phase(first, n, _ends(params), levels, params["anneal_strategy"])}


PHASE_NAMES = {False: ("warm-up", "cool-down"), True: ("warm-up", "cool-down", "annealing")}


def resolve(params: dict[str, Any], context: Context) -> dict[str, Any]:
    """Settle total_steps (given, or epochs x steps_per_epoch) and refuse cycles with an empty phase."""
    total, epochs, per_epoch = params["total_steps"], params["epochs"], context.steps_per_epoch
    if total is not None and epochs is not None:
        raise Invalid("{} and {} cannot be used together: give one of them", "total_steps", "epochs")
    if total is None:
        if epochs is None:
            raise Invalid("onecycle needs {}, or {} with {}", "total_steps", "epochs", "steps_per_epoch")
        if per_epoch is None:
            raise Invalid("{} needs {} (total steps = epochs x steps per epoch)", "epochs", "steps_per_epoch")
        total = epochs * per_epoch
    pct = params["pct_start"]
    ends = phase_ends(total, pct, params["three_phase"])
    if ends[0] <= 0:
        raise Invalid(
            f"{{}} {pct:g} leaves the warm-up without a step over {total} total steps: "
            f"pct_start x total steps must be > 1 (here {pct * total:g})",
            "pct_start",
        )
    if params["three_phase"] and ends[1] >= ends[2]:
        raise Invalid(
            f"{{}} {pct:g} with {{}} leaves the final annealing phase without a step over "
            f"{total} total steps: pct_start must be < {(total + 1) / (2 * total):g}",
            "pct_start",
            "three_phase",
        )
    # Kept as torch's OneCycleLR takes it: warn() checks total_steps against it.
    return {**params, "total_steps": total, "steps_per_epoch": per_epoch}


def limit(params: Mapping[str, Any]) -> tuple[int, Invalid]:
    total = params["total_steps"]
    # torch computes one extrapolated row past the cycle (after total_steps calls) and raises on
    # the call after that; neither is a rate anyone should train with.
    return total, Invalid(
        f"the cycle has {total} steps (rows 0..{total - 1}); past them torch extrapolates, then "
        f"raises 'Tried to step {total + 1} times'; raise {{}} (or {{}}) to plot more",
        "total_steps", "epochs",
    )


def warn(params: Mapping[str, Any], n: int) -> tuple[str, ...]:
    """total_steps that is not epochs x steps_per_epoch: OneCycleLR counts batches, and the step()
    after total_steps of them raises (the extrapolated row before it is the last one allowed)."""
    total, per_epoch = params["total_steps"], params.get("steps_per_epoch")
    if params["epochs"] is not None or per_epoch is None or total % per_epoch == 0:
        return ()
    size = "set total_steps = epochs x steps_per_epoch, or give epochs with steps_per_epoch"
    if total < per_epoch:
        return (
            f"total_steps {total} is less than one epoch of {per_epoch} steps: OneCycleLR counts "
            f"batches, not epochs, and step() number {total + 1} raises 'Tried to step {total + 1} "
            f"times' in the first epoch; {size} instead of total_steps",
        )
    whole = total // per_epoch
    return (
        f"total_steps {total} is {total / per_epoch:.4g} epochs of {per_epoch} steps: OneCycleLR "
        f"counts batches, so epoch {whole + 1} stops at its batch {total % per_epoch + 1} with "
        f"'Tried to step {total + 1} times', and {whole} epochs leave the cycle unfinished; "
        f"{size} (e.g. {whole + 1} x {per_epoch} = {(whole + 1) * per_epoch})",
    )


def annotate(params: Mapping[str, Any], n: int) -> Annotations:
    ends = phase_ends(params["total_steps"], params["pct_start"], params["three_phase"])
    names = PHASE_NAMES[params["three_phase"]]
    starts = [0.0, *ends[:-1]]
    initial_lr, min_lr = _rates(params["max_lr"], params["div_factor"], params["final_div_factor"])
    return Annotations(
        phases=tuple(Phase(name, s, e) for name, s, e in zip(names, starts, ends)),
        guides={"max_lr": params["max_lr"], "initial_lr": initial_lr, "min_lr": min_lr},
    )


ONECYCLE = register(
    Schedule(
        name="onecycle",
        origin="torch.optim.lr_scheduler.OneCycleLR",
        signature=(
            "optimizer", "max_lr", "total_steps", "epochs", "steps_per_epoch", "pct_start",
            "anneal_strategy", "cycle_momentum", "base_momentum", "max_momentum", "div_factor",
            "final_div_factor", "three_phase", "last_epoch",
        ),
        summary="1cycle: warm up to max_lr, anneal far below the start; stepped per batch.",
        params=(
            Real("max_lr", "The peak rate, reached at the end of the warm-up.", required=True, gt=0),
            Integer("total_steps", "Steps in the cycle (or give --epochs with --steps-per-epoch).", ge=1),
            Integer("epochs", "Epochs in the cycle; total steps = epochs x steps per epoch.", ge=1),
            Real("pct_start", "Fraction of the steps spent warming up.", 0.3, gt=0, lt=1),
            Choice("anneal_strategy", "Shape of each phase.", "cos", choices=("cos", "linear")),
            Real("div_factor", "Start rate = max_lr / div_factor.", 25.0, gt=0),
            Real("final_div_factor", "Final rate = start rate / final_div_factor.", 1e4, gt=0),
            Switch(
                "three_phase",
                "Anneal back to the start rate, then to the final rate (the original paper's shape).",
                False,
            ),
            Switch("cycle_momentum", "Cycle momentum (or beta1) inversely to the rate.", True),
            Real("base_momentum", "Momentum at the peak rate.", 0.85, ge=0, le=1),
            Real("max_momentum", "Momentum at the start and end.", 0.95, ge=0, le=1),
        ),
        lr=one_cycle,
        lr_range=one_cycle_range,
        per_batch=True,
        horizon=lambda p: p["total_steps"],
        horizon_text="total_steps rows (steps 0..total_steps-1); more is an error, as in torch",
        resolve=resolve,
        limit=limit,
        extras=one_cycle_momentum,
        extras_range=one_cycle_momentum_range,
        annotate=annotate,
        warn=warn,
        example="onecycle --max-lr 0.01 --epochs 20 --steps-per-epoch 50 --pct-start 0.3",
        # The constructor overwrites the optimizer's initial_lr with max_lr / div_factor (and sets
        # max_lr, min_lr and the momentum bounds on it); get_lr reads those, never the rate.
        stepping=Stepping(
            base_param=None, sets_initial_lr=lambda p: p["max_lr"] / p["div_factor"]
        ),
    )
)
