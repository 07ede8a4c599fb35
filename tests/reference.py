"""The torch side of every comparison: real schedulers stepped by lrplot's index convention, and the
one tolerance rule that decides whether lrplot's curve equals torch's.

Importing this module does not import torch; :func:`torch_rows` does, when it is called. A new
schedule is one entry in :data:`REFERENCES`: how to build its torch scheduler from lrplot-style
parameters, and which kind of arithmetic torch uses for it (which picks the tolerance).
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# The reference optimizer: SGD with momentum, so OneCycleLR has a momentum to cycle.
SGD_MOMENTUM = 0.9
# torch.optim.SGD's own default lr, which is also lrplot's default --lr.
DEFAULT_LR = 1e-3
# lrplot options that are not scheduler arguments (steps_per_epoch is passed on only to torch
# classes that take it, i.e. OneCycleLR; lr is the optimizer's, except where a class takes one).
SPEC_OPTIONS = frozenset({"lr", "steps", "steps_per_epoch", "label", "warmup_steps",
                          "warmup_start_factor"})
# torch warns when a scheduler steps before the optimizer did; a composite first in a SequentialLR
# does exactly that while it is constructed (torch's own protocol, see lrplot/schedules/compose.py).
STEP_ORDER_WARNING = r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"

EPS = float(np.finfo(np.float64).eps)

Build = Callable[[Any, Any, Mapping[str, Any]], Any]


def torch_class(class_name: str, *, skip: Sequence[str] = (), **rename: str) -> Build:
    """A constructor for ``torch.optim.lr_scheduler.<class_name>``: every lrplot parameter is passed
    as a keyword argument, renamed where torch spells it differently (``t_max="T_max"``)."""

    def build(torch: Any, optimizer: Any, params: Mapping[str, Any]) -> Any:
        cls = getattr(torch.optim.lr_scheduler, class_name)
        accepted = inspect.signature(cls).parameters
        kwargs = {}
        for name, value in params.items():
            if name in skip or value is None:
                continue
            if name in SPEC_OPTIONS and name not in accepted:
                continue
            kwargs[rename.get(name, name)] = value
        return cls(optimizer, **kwargs)

    return build


@dataclass(frozen=True)
class Reference:
    """How to get one schedule from torch.

    ``build(torch, optimizer, params)`` returns the scheduler; ``kind`` names the arithmetic torch
    uses for it (a key of :data:`TOLERANCES`); ``metric`` is the parameter whose values are fed to
    ``step(metric)`` one per step (ReduceLROnPlateau), None for ``step()``.
    """

    build: Build
    kind: str
    metric: str | None = None


def children_of(params: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """A composite's children as (schedule, params), from the nested mappings lrplot takes."""
    return [(child["type"], {k: v for k, v in child.items() if k != "type"})
            for child in params["schedules"]]


def composite(class_name: str) -> Build:
    """torch's SequentialLR or ChainedScheduler over children built (and so constructed) in order,
    as ``SequentialLR(opt, [A(opt, ...), B(opt, ...)], milestones=[...])`` builds them."""

    def build(torch: Any, optimizer: Any, params: Mapping[str, Any]) -> Any:
        children = [build_scheduler(torch, optimizer, name, child) for name, child in children_of(params)]
        cls = getattr(torch.optim.lr_scheduler, class_name)
        if class_name == "SequentialLR":
            return cls(optimizer, children, milestones=list(params.get("milestones") or []))
        return cls(children, optimizer=optimizer)

    return build


def warm_up(torch: Any, optimizer: Any, schedule: str, params: Mapping[str, Any]) -> Any:
    """``SequentialLR([LinearLR(start_factor=F, total_iters=N), schedule], milestones=[N])``: what
    lrplot's warmup_steps N (and warmup_start_factor F, else LinearLR's default) stand for."""
    steps = params["warmup_steps"]
    factor = params.get("warmup_start_factor")
    linear = torch.optim.lr_scheduler.LinearLR(
        optimizer, total_iters=steps, **({} if factor is None else {"start_factor": factor})
    )
    inner = {k: v for k, v in params.items() if k not in ("warmup_steps", "warmup_start_factor")}
    scheduler = build_scheduler(torch, optimizer, schedule, inner)
    return torch.optim.lr_scheduler.SequentialLR(optimizer, [linear, scheduler], milestones=[steps])


def build_scheduler(torch: Any, optimizer: Any, schedule: str, params: Mapping[str, Any]) -> Any:
    """The torch scheduler for lrplot's schedule and parameters, warm-up included."""
    if params.get("warmup_steps") is not None:
        return warm_up(torch, optimizer, schedule, params)
    return REFERENCES[schedule].build(torch, optimizer, params)


REFERENCES: dict[str, Reference] = {
    "step": Reference(torch_class("StepLR"), "product"),
    "multistep": Reference(torch_class("MultiStepLR"), "product"),
    "exponential": Reference(torch_class("ExponentialLR"), "product"),
    "constant": Reference(torch_class("ConstantLR"), "product"),
    "linear": Reference(torch_class("LinearLR"), "product"),
    "polynomial": Reference(torch_class("PolynomialLR"), "product"),
    "cosine": Reference(torch_class("CosineAnnealingLR", t_max="T_max"), "recurrence"),
    "cosine-restarts": Reference(
        torch_class("CosineAnnealingWarmRestarts", t_0="T_0", t_mult="T_mult"), "closed"
    ),
    "cyclic": Reference(torch_class("CyclicLR"), "closed"),
    "onecycle": Reference(torch_class("OneCycleLR"), "closed"),
    "plateau": Reference(
        torch_class("ReduceLROnPlateau", skip=("metrics", "column")), "exact", metric="metrics"
    ),
    # Composites and the warm-up: their arithmetic is their schedules' (see kind_of).
    "sequential": Reference(composite("SequentialLR"), "composite"),
    "chained": Reference(composite("ChainedScheduler"), "composite"),
}
# The warm-up: LinearLR's arithmetic, then the schedule's.
WARM_UP = Reference(lambda torch, optimizer, params: None, "product")

# Tolerance kinds from tight to loose: each allows at least what the one before it does.
LOOSENESS = ("exact", "closed", "product", "recurrence", "cancelling")


def kind_of(schedule: str, params: Mapping[str, Any] | None = None) -> str:
    """The tolerance kind of a schedule; a composite (or a warm-up) takes the loosest of its
    schedules', and a chain in which a cosine with eta_min > 0 shares the rate with another
    schedule is "cancelling" (see TOLERANCES)."""
    params = params or {}
    kinds = []
    if params.get("warmup_steps") is not None:
        kinds.append(WARM_UP.kind)
    reference = REFERENCES[schedule]
    if reference.kind != "composite":
        kinds.append(reference.kind)
    else:
        kinds += [kind_of(name, child) for name, child in children_of(params)]
        if schedule == "chained" and len(params["schedules"]) > 1 and _scales_about_eta(params):
            kinds.append("cancelling")
    return max(kinds, key=LOOSENESS.index)


def _scales_about_eta(params: Mapping[str, Any]) -> bool:
    """Whether a cosine with eta_min > 0 is anywhere among a composite's schedules."""
    for name, child in children_of(params):
        if name == "cosine" and child.get("eta_min", 0.0) > 0:
            return True
        if REFERENCES[name].kind == "composite" and _scales_about_eta(child):
            return True
    return False


def torch_rows(schedule: str, params: Mapping[str, Any], rows: int) -> dict[str, np.ndarray]:
    """Rows 0..rows-1 of the schedule as torch produces them.

    Row t is ``scheduler.get_last_lr()[0]`` after t calls of ``scheduler.step()`` (each preceded by
    ``optimizer.step()``, the order torch asks for); for a metric-driven schedule, step i gets
    metric i, so row t has seen metrics 0..t-1. Returns ``{"lr": ...}``, plus ``"momentum"`` (the
    optimizer's momentum after t steps) when the scheduler cycles it.
    """
    import torch

    reference = REFERENCES[schedule]
    feed: list[float] = []
    if reference.metric is not None:
        feed = [float(v) for v in params[reference.metric]]
        if len(feed) < rows - 1:
            raise ValueError(f"{rows} rows need {rows - 1} metric values, got {len(feed)}")
    lr_given = params.get("lr")
    weight = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([weight], lr=DEFAULT_LR if lr_given is None else lr_given,
                                momentum=SGD_MOMENTUM)
    with warnings.catch_warnings():
        # Any UserWarning here (e.g. torch's step-order warning) means the protocol is wrong.
        warnings.simplefilter("error", UserWarning)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", STEP_ORDER_WARNING, UserWarning)
            scheduler = build_scheduler(torch, optimizer, schedule, params)
        cycles_momentum = any(bool(getattr(s, "cycle_momentum", False)) for s in all_of(scheduler))
        group = optimizer.param_groups[0]
        lr = np.empty(rows, dtype=np.float64)
        momentum = np.empty(rows if cycles_momentum else 0, dtype=np.float64)
        for t in range(rows):
            lr[t] = float(scheduler.get_last_lr()[0])
            if cycles_momentum:
                momentum[t] = float(group["momentum"])
            if t == rows - 1:
                break
            optimizer.step()
            if reference.metric is not None:
                scheduler.step(feed[t])
            else:
                scheduler.step()
    return {"lr": lr, "momentum": momentum} if cycles_momentum else {"lr": lr}


def all_of(scheduler: Any) -> list[Any]:
    """A scheduler and every scheduler inside it."""
    return [scheduler, *(s for child in getattr(scheduler, "_schedulers", ()) for s in all_of(child))]


# --- the tolerance rule -------------------------------------------------------------------------


@dataclass(frozen=True)
class Tolerance:
    """How far lrplot's row t may be from torch's: ``|ours_t - ref_t| <= bound_t`` with

        bound_t = (rel + rel_per_step * t * EPS) * |ref_t|
                  + (abs + abs_per_step * t * EPS + conditioned * K * EPS * [t >= turn]) * S

    S is the curve's scale (the largest finite ``|ref|``). ``turn`` is the first row where the
    curve changes direction (a trough or a peak), and K = (max ref - min ref) / d with d the
    curve's smallest non-zero step: torch's cosine recursion restarts after the turn with a step of
    size d, and an ulp lost in that step is a relative error of ~EPS * (max - min) / d in every later
    rate of the half-period (see "recurrence" below). Every quantity comes from ``ref`` and the row
    index, nothing from the schedule's parameters. Non-finite rows must be identical (NaN matches
    NaN).
    """

    rel: float
    abs: float
    rel_per_step: float = 0.0
    abs_per_step: float = 0.0
    conditioned: float = 0.0

    def bound(self, ref: np.ndarray) -> np.ndarray:
        ref = np.asarray(ref, dtype=np.float64)
        finite = ref[np.isfinite(ref)]
        scale = float(np.max(np.abs(finite))) if finite.size else 0.0
        t = np.arange(len(ref), dtype=np.float64)
        absolute = self.abs + self.abs_per_step * EPS * t
        if self.conditioned and finite.size > 1:
            kappa, turn = conditioning(ref)
            absolute = absolute + np.where(t >= turn, self.conditioned * EPS * kappa, 0.0)
        rel = self.rel + self.rel_per_step * EPS * t
        return rel * np.abs(ref) + absolute * scale


def conditioning(ref: np.ndarray) -> tuple[float, int]:
    """(K, turn) of a curve (see :class:`Tolerance`); turn is len(ref) when it never turns."""
    with np.errstate(invalid="ignore"):
        steps = np.diff(ref)
    moving = np.flatnonzero(np.isfinite(steps) & (steps != 0))
    if moving.size == 0:
        return 0.0, len(ref)
    signs = np.sign(steps[moving])
    reversals = np.flatnonzero(signs != signs[0])
    turn = int(moving[reversals[0]]) if reversals.size else len(ref)
    if turn == len(ref):
        return 0.0, turn
    finite = ref[np.isfinite(ref)]
    return float((finite.max() - finite.min()) / np.min(np.abs(steps[moving]))), turn


# Round-off is the only difference allowed, and how much depends on how torch computes the curve:
# lrplot's closed forms are within an ulp or two of the exact values; the rest is torch's rounding.
# Measured with torch 2.13.0 over the golden grid (tests/make_golden.py --measure) and random
# sweeps of the live tests' strategies (thousands of cases per schedule, up to 2e5 rows).
#
# exact       ReduceLROnPlateau. lrplot's scan forms the same float products torch does
#             (rate * factor, the max with min_lr, the eps test) in the same order, so the rates
#             are identical; any difference is a logic error (a cut missed or added).
#             Measured: bit-identical, always.
# closed      OneCycleLR, CyclicLR, CosineAnnealingWarmRestarts. torch evaluates a closed
#             form at every step with the operations lrplot uses; only the cosine may differ
#             (libm's math.cos vs numpy's, within an ulp, a few for SIMD builds), and CyclicLR's
#             exp_range gamma**t (libm's pow vs numpy's), which moves a rate by a few ulps of the
#             scale. Allowed: 1e-14 relative + 1e-14 of the scale (~45 ulps; the scale term
#             covers the final rates, 1e-5 of the scale and less). Measured: bit-identical (lr
#             and momentum) on this machine, except exp_range: at most 0.015 of the allowed.
# product     ExponentialLR, StepLR, MultiStepLR, ConstantLR, LinearLR, PolynomialLR, and the
#             warm-up (a LinearLR). torch multiplies the previous rate by a factor, rounding once
#             per step, so after t steps its relative error is at most t * EPS/2 (the classical
#             bound for a product of t factors); lr * gamma**t is within an ulp or two. Allowed:
#             1e-14 + t * EPS relative, twice that worst case; the scale term (1e-14) only
#             matters where tiny gammas underflow to subnormals. Measured: at most 0.32 * t * EPS
#             (3e-14 relative after 2e5 steps; the errors mostly cancel, growing like sqrt(t)).
#             LinearLR and PolynomialLR round a computed ratio each step, but the ratios telescope
#             in floats too (torch computes the same 1 - k/T as one step's numerator and the next
#             one's denominator), so only the division, the power and the product round:
#             measured at most 0.16 (LinearLR) and 0.36 (PolynomialLR, powers up to 20, 5000
#             steps) of the allowed error. Compositions whose schedules are all "product" are
#             solved by a scan whose pairwise products round less than torch's chain.
# recurrence  CosineAnnealingLR. torch multiplies (rate - eta_min) by a ratio of cosines each step.
#             Within the first half-period the ratios telescope: measured at most 0.16 * t * EPS
#             of the scale (66 ulps at t = 2e4). Two errors come later:
#             (1) The angle pi * t / T_max carries an ulp of its own size, which grows with t,
#             and near each trough the recursion divides by 1 + cos ~ (pi / T_max)^2 / 2.
#             Measured: at most 1.9 * t * EPS of the scale (~1e-11 after 10^4 periods).
#             (2) After a trough torch restarts from eta_min with the step
#             (lr - eta_min) * (1 - cos(pi / T_max)) / 2, the curve's smallest step d; the ulp it
#             loses (in 1 - cos, and in eta_min + step) is a relative error of ~EPS * range / d
#             carried into every rate up to the next trough: ~K * EPS of the scale. It dominates
#             for long periods with eta_min > 0: 7.5e-10 of the scale at T_max = 9999, lr = 0.1,
#             eta_min = 0.2, where lrplot is within 3e-18 of the exact value and torch is off
#             by 1.5e-10. Each trough resets torch to eta_min exactly, so (2) does not pile up.
#             Measured: at most 0.55 * K * EPS.
#             Allowed: 1e-14 relative + (1e-14 + 4 * t * EPS + 2 * K * EPS after the turn) of
#             the scale: about twice the worst measured, and 45 + 4t ulps of the scale before
#             the first trough, where torch is accurate.
# cancelling  A ChainedScheduler in which CosineAnnealingLR (eta_min > 0) shares the rate with
#             other schedules: they can hold the rate x far below eta_min, and torch's
#             eta_min + r * (x - eta_min) then cancels: x - eta_min is rounded to eta_min's ulp
#             grid, so the step's result carries an error of about eta_min / x of its ulps.
#             lrplot refines its rows by stepping each row's maps in torch's order (see
#             lrplot/schedules/compose.py, run), which reproduces torch's roundings; what is left
#             is an ulp of a factor (numpy's cos or pow against libm's) times that same
#             amplification. Measured over adversarial chains (cosine with eta_min = lr..3*lr
#             against constants and linear ramps with factors down to 1e-6, exponentials down to
#             0.5, onecycles with max_lr down to 1e-6): up to 2.8 times recurrence's allowance
#             (lrplot and torch are both ~2500 ulps of the scale from the exact composition of
#             torch's factors there), and 0.039 of this one's.
#             Allowed: 1e-12 relative + 1e-12 of the scale (4500 ulps), and recurrence's terms.
TOLERANCES: dict[str, Tolerance] = {
    "exact": Tolerance(rel=0.0, abs=0.0),
    "closed": Tolerance(rel=1e-14, abs=1e-14),
    "product": Tolerance(rel=1e-14, abs=1e-14, rel_per_step=1.0),
    "recurrence": Tolerance(rel=1e-14, abs=1e-14, abs_per_step=4.0, conditioned=2.0),
    "cancelling": Tolerance(rel=1e-12, abs=1e-12, abs_per_step=4.0, conditioned=2.0),
}


def mismatches(ours: Any, ref: Any, kind: str) -> np.ndarray:
    """Indices of the rows where ``ours`` is not within the tolerance of ``kind`` of ``ref``."""
    ours = np.asarray(ours, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if ours.shape != ref.shape:
        raise AssertionError(f"shape {ours.shape} differs from torch's {ref.shape}")
    finite = np.isfinite(ref)
    with np.errstate(invalid="ignore"):
        close = np.abs(ours - ref) <= TOLERANCES[kind].bound(ref)
    # NaN == NaN and inf == inf count as equal; a non-finite value matches only itself.
    same = (ours == ref) | (np.isnan(ours) & np.isnan(ref))
    return np.flatnonzero(~np.where(finite, close & np.isfinite(ours), same))


def assert_matches_torch(
    ours: Any, ref: Any, kind: str, *, what: str = "lr", context: str = ""
) -> None:
    """Fail unless ``ours`` equals torch's ``ref`` up to the round-off that ``kind`` allows (see
    :data:`TOLERANCES`), naming the first rows that differ, both values and the allowed error."""
    bad = mismatches(ours, ref, kind)
    if bad.size == 0:
        return
    ours = np.asarray(ours, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    bound = TOLERANCES[kind].bound(ref)
    lines = [
        f"row {t}: lrplot {ours[t]!r}, torch {ref[t]!r}, "
        f"|diff| {abs(ours[t] - ref[t]):.3g} > allowed {bound[t]:.3g}"
        for t in bad[:5]
    ]
    more = f" (and {bad.size - 5} more)" if bad.size > 5 else ""
    where = f" for {context}" if context else ""
    raise AssertionError(
        f"{what}{where} differs from torch ({kind} tolerance) in {bad.size} of {len(ref)} rows"
        f"{more}:\n  " + "\n  ".join(lines)
    )


def worst_error(ours: Any, ref: Any) -> tuple[float, float]:
    """(largest |diff| / |ref|, largest |diff| / scale) over the finite rows: for measuring."""
    ours = np.asarray(ours, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    finite = np.isfinite(ref) & np.isfinite(ours)
    if not finite.any():
        return 0.0, 0.0
    diff = np.abs(ours[finite] - ref[finite])
    scale = float(np.max(np.abs(ref[finite])))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(diff == 0, 0.0, diff / np.abs(ref[finite]))
    return float(np.max(rel)), float(np.max(diff) / scale) if scale else 0.0


def used(ours: Any, ref: Any, kind: str) -> float:
    """The largest fraction of the allowed error that ``ours`` uses (inf where none is allowed but
    the values differ): for measuring how tight the rule is."""
    ours = np.asarray(ours, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    finite = np.isfinite(ref) & np.isfinite(ours)
    diff = np.abs(ours[finite] - ref[finite])
    bound = TOLERANCES[kind].bound(ref)[finite]
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(diff == 0, 0.0, diff / bound)
    return float(np.max(fraction)) if fraction.size else 0.0
