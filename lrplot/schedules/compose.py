"""Composite schedules: torch's SequentialLR and ChainedScheduler, and the warm-up in front of any
schedule (a SequentialLR of LinearLR and the schedule), reproduced as torch steps them together."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Union

import numpy as np

from lrplot.params import IntegerList, Invalid, Real, Schedules
from lrplot.records import REQUIRED, Record
from lrplot.registry import Annotations, Context, Event, Phase, Schedule, call_with, entry, register

from . import _kernels
from ._common import BASE_LR
from .factor import LINEAR

# How the pieces fit (torch/optim/lr_scheduler.py, 2.13):
#
# All schedulers of a composite share one optimizer and talk through its param group: its "lr"
# (read by every recursive get_lr, written by every step), its "initial_lr" (set by the first
# constructor that runs, overwritten by OneCycleLR's) and its "momentum". A scheduler's base_lrs
# is the initial_lr it found when it was constructed. Children are constructed before their
# composite, in order, each taking its initial step. Then:
#
# - SequentialLR's constructor resets the lr to initial_lr, takes one step back on every
#   scheduler below it (recursive_undo: last_epoch -= 1, composites untouched) and calls the first
#   child's _initial_step(). Each step() advances its own counter and steps the child whose
#   interval holds it, except at a milestone, where the next child restarts with _update_lr(0):
#   the closed form at 0 (get_lr at 0 when there is none, and NotImplementedError for a composite).
# - ChainedScheduler.step() steps every child in turn on the same lr.
#
# A step either rescales the lr it finds (x -> a*(x - p) + q, see Stepping.rule) or overwrites it
# (a = 0). So each row of a composite is a composition of affine maps, planned here symbolically
# as segments (a scheduler, its rows, its last_epoch), evaluated with array arithmetic, and the
# rows follow from x_t = a_t * (x_{t-1} - p_t) + q_t, solved for all t at once by a log-depth
# scan (and, where a chain's steps can cancel, refined in torch's order of operations: see run).
#
# The quirks come out of the same rules, e.g.: a warm-up in front of OneCycleLR ramps to
# max_lr / div_factor (OneCycleLR overwrote the initial_lr the warm-up restarts from), in front of
# CyclicLR to the optimizer's lr (CyclicLR starts at base_lr after it); a composite first in a
# SequentialLR steps its children once more, without _is_initial, at construction (so an
# ExponentialLR inside starts at lr * gamma), and a SequentialLR first in a SequentialLR runs one
# step ahead of its parent.

HUGE = 1 << 62  # rows "forever", for planning without arrays

STEP, FIRST, RESTART = "step", "first", "restart"


# --- the tree of schedules ----------------------------------------------------------------------


class Leaf(Record):
    """One torch scheduler: a registered schedule with resolved parameters."""

    FIELDS = (("name", REQUIRED), ("params", REQUIRED), ("label", REQUIRED), ("where", REQUIRED))

    name: str
    params: tuple[tuple[str, Any], ...]
    label: str
    where: str


class Sequence(Record):
    """torch's SequentialLR; ``warm_up`` when it is a schedule's warm-up."""

    FIELDS = (
        ("children", REQUIRED),
        ("milestones", REQUIRED),
        ("label", REQUIRED),
        ("where", REQUIRED),
        ("warm_up", False),
    )

    children: tuple[Node, ...]
    milestones: tuple[int, ...]
    label: str
    where: str
    warm_up: bool


class Chain(Record):
    """torch's ChainedScheduler."""

    FIELDS = (("children", REQUIRED), ("label", REQUIRED), ("where", REQUIRED))

    children: tuple[Node, ...]
    label: str
    where: str


Node = Union[Leaf, Sequence, Chain]  # noqa: UP007 - a runtime alias


def node_of(spec: Any, where: str = "") -> Node:
    """The torch schedulers behind a spec (anything with schedule, params, label, warmup_steps
    and warmup_start_factor): a leaf, a composite of child specs, wrapped in its warm-up."""
    label = spec.label or spec.schedule
    params = spec.params
    if spec.schedule in (SEQUENTIAL.name, CHAINED.name):
        children = tuple(
            node_of(child, f"{where}schedules[{i}] ({child.schedule}): ")
            for i, child in enumerate(params["schedules"])
        )
        node: Node = (
            Sequence(children, tuple(params["milestones"] or ()), label, where)
            if spec.schedule == SEQUENTIAL.name
            else Chain(children, label, where)
        )
    else:
        node = Leaf(spec.schedule, tuple(params.items()), label, where)
    if spec.warmup_steps is None:
        return node
    warm = {
        "lr": optimizer_lr(params),
        "start_factor": spec.warmup_start_factor,
        "end_factor": 1.0,
        "total_iters": spec.warmup_steps,
    }
    linear = Leaf(LINEAR.name, tuple(warm.items()), "warm-up", f"{where}warm-up: ")
    return Sequence((linear, node), (spec.warmup_steps,), label, where, warm_up=True)


def leaves(node: Node) -> list[Leaf]:
    """The torch schedulers of a tree in the order they are constructed."""
    if isinstance(node, Leaf):
        return [node]
    return [leaf for child in node.children for leaf in leaves(child)]


def check(node: Node) -> None:
    """Refuse what torch refuses, and what would silently take another schedule's parameters."""
    for leaf in leaves(node):
        stepping = entry(leaf.name).stepping
        if stepping is None or stepping.refused:
            schedule = entry(leaf.name)
            why = stepping.refused if stepping else (
                f"{schedule.command} ({schedule.origin}) is not a torch scheduler: it cannot go inside "
                "torch's SequentialLR or ChainedScheduler")
            raise Invalid(f"{leaf.where}{why}")
    _check_restarts(node)
    _check_shared_keys(node)


def _check_restarts(node: Node) -> None:
    if isinstance(node, Leaf):
        return
    if isinstance(node, Sequence):
        for child in node.children[1:]:
            if isinstance(child, Leaf):
                continue
            kind, inner = _kind(child)
            why = (f"torch restarts it with _update_lr(0), which {inner} does not implement "
                   "(NotImplementedError)")
            if node.warm_up:
                raise Invalid(
                    f"{node.where}{{}} cannot be used on a {kind}: a warm-up is a SequentialLR "
                    f"of LinearLR and the {kind}, and {why}; start the {kind} with a linear "
                    "schedule instead",
                    "warmup_steps",
                )
            what = "with a warm-up" if isinstance(child, Sequence) and child.warm_up else ""
            raise Invalid(
                f"{child.where}a {kind}{' ' + what if what else ''} can only come first in a "
                f"sequential: {why}"
            )
    for child in node.children:
        _check_restarts(child)


def _kind(node: Node) -> tuple[str, str]:
    """(lrplot's name, torch's class) of a composite node."""
    if isinstance(node, Sequence) and not node.warm_up:
        return SEQUENTIAL.name, SEQUENTIAL.origin_name
    if isinstance(node, Chain):
        return CHAINED.name, CHAINED.origin_name
    return "schedule", SEQUENTIAL.origin_name


def optimizer_lr(params: Mapping[str, Any]) -> float:
    """The optimizer's lr behind a schedule's parameters (torch's SGD default when it takes none)."""
    return params.get("lr", BASE_LR.default)


def _check_shared_keys(node: Node) -> None:
    """A scheduler that sets the optimizer's initial_lr (OneCycleLR) reads initial_lr, max_lr,
    min_lr and the momentum bounds from the optimizer at every step, so a later constructor
    writing them would silently change its curve."""
    owner: Leaf | None = None
    for leaf in leaves(node):
        params = dict(leaf.params)
        if entry(leaf.name).stepping.sets_initial_lr is not None:
            if owner is not None:
                raise Invalid(
                    f"{leaf.where}a second {leaf.name} in one composite would overwrite the first's "
                    "max_lr, initial_lr and min_lr on the shared optimizer (torch reads them from "
                    f"there): use one {leaf.name}"
                )
            owner = leaf
        elif (
            owner is not None
            and params.get("cycle_momentum")
            and dict(owner.params).get("cycle_momentum")
            and entry(leaf.name).extras is not None
        ):
            raise Invalid(
                f"{leaf.where}cycling momentum after a {owner.name} that cycles it overwrites that "
                f"{owner.name}'s base_momentum and max_momentum on the shared optimizer (torch reads "
                f"them from there): put it before the {owner.name}, or turn one cycle_momentum off"
            )


def horizon(node: Node) -> int:
    """Natural rows: a sequence, up to its last milestone plus the last schedule's rows; a chain,
    its longest schedule's; never past a cycle's end (see :func:`limit`)."""
    rows = _natural(node)
    bound = limit(node)
    return min(rows, bound[0]) if bound else rows


def _natural(node: Node) -> int:
    if isinstance(node, Leaf):
        return entry(node.name).horizon(dict(node.params))
    if isinstance(node, Sequence):
        return (node.milestones[-1] if node.milestones else 0) + _natural(node.children[-1])
    return max(_natural(child) for child in node.children)


def limit(node: Node) -> tuple[int, Invalid] | None:
    """(rows, why) when a scheduler inside cannot be stepped that far (OneCycleLR past its cycle)."""
    plan = _Torch(node, 1.0)
    segments: list[_Segment] = []
    plan.plan(plan.root, 1, HUGE, segments)
    found: tuple[int, Invalid] | None = None
    for seg in segments:
        schedule = seg.scheduler.schedule
        limited = schedule.limit is not None and seg.kind != RESTART
        bound = schedule.limit(seg.scheduler.params) if limited else None
        if bound is None:
            continue
        rows, why = bound
        last = seg.k0 + (seg.stop - seg.start) - 1
        if last < rows:
            continue
        row = seg.start + (rows - seg.k0)
        if found is None or row < found[0]:
            where = seg.scheduler.leaf.where
            found = row, Invalid(
                f"{where}{why.template}; its step 0 is row {row - rows} here, so at most {row} rows",
                *why.names,
            )
    return found


# --- torch's protocol, planned in segments ------------------------------------------------------


# Plain classes with slots, not dataclasses: these are built for every composite, and defining
# six dataclasses would add ~1.5 ms to every start of the command line, which imports this module
# (the tree's nodes above are lrplot.records' records, for the same reason).


class _Optimizer:
    """The one param group all the schedulers share."""

    __slots__ = ("lr", "initial_lr", "momentum")

    def __init__(self, lr: float, initial_lr: float | None = None, momentum: float | None = None) -> None:
        self.lr, self.initial_lr, self.momentum = lr, initial_lr, momentum


class _Scheduler:
    """One torch scheduler: its leaf and schedule, parameters, last_epoch ``k`` and base_lrs[0]."""

    __slots__ = ("leaf", "schedule", "params", "k", "base")

    def __init__(self, leaf: Leaf, schedule: Schedule, params: dict[str, Any], k: int = -1,
                 base: float = 0.0) -> None:
        self.leaf, self.schedule, self.params, self.k, self.base = leaf, schedule, params, k, base


class _Sequential:
    """torch's SequentialLR: its children and milestones, and its own last_epoch ``clock``."""

    __slots__ = ("children", "milestones", "clock")

    def __init__(self, children: list[Any], milestones: tuple[int, ...], clock: int = 0) -> None:
        self.children, self.milestones, self.clock = children, milestones, clock


class _Chained:
    """torch's ChainedScheduler."""

    __slots__ = ("children",)

    def __init__(self, children: list[Any]) -> None:
        self.children = children


class _Segment:
    """Rows [start, stop) on which a scheduler steps (last_epoch k0, k0+1, ...), restarts or
    takes its initial step."""

    __slots__ = ("scheduler", "start", "stop", "k0", "kind")

    def __init__(self, scheduler: _Scheduler, start: int, stop: int, k0: int, kind: str) -> None:
        self.scheduler, self.start, self.stop, self.k0, self.kind = scheduler, start, stop, k0, kind


class _Torch:
    """The schedulers of a tree on one optimizer: constructed in torch's order (the optimizer's
    rate and momentum after it are row 0), then planned row range by row range."""

    def __init__(self, node: Node, lr: float) -> None:
        self.node, self.lr = node, lr
        self.optimizer = _Optimizer(lr)
        self.root = self._construct(node)

    def _construct(self, node: Node) -> Any:
        if isinstance(node, Leaf):
            return self._construct_scheduler(node)
        children = [self._construct(child) for child in node.children]
        if isinstance(node, Chain):
            return _Chained(children)  # its constructor steps nothing
        sequential = _Sequential(children, node.milestones)
        self.optimizer.lr = self.optimizer.initial_lr
        for scheduler in _schedulers(sequential):
            scheduler.k -= 1
        first = children[0]
        events: list[_Segment] = []
        if isinstance(first, _Scheduler):
            events.append(_Segment(first, 0, 1, 0, FIRST))
            first.k = 0
        else:  # a composite's _initial_step() is its step()
            self.plan(first, 0, 1, events)
        for event in events:
            self._apply(event)
        return sequential

    def _construct_scheduler(self, leaf: Leaf) -> _Scheduler:
        schedule = entry(leaf.name)
        scheduler = _Scheduler(leaf, schedule, dict(leaf.params))
        stepping, optimizer = schedule.stepping, self.optimizer
        if stepping.sets_lr:
            optimizer.lr = scheduler.params[stepping.sets_lr]
        if stepping.sets_initial_lr:
            optimizer.initial_lr = stepping.sets_initial_lr(scheduler.params)
        elif optimizer.initial_lr is None:
            optimizer.initial_lr = optimizer.lr
        scheduler.base = optimizer.initial_lr
        self._apply(_Segment(scheduler, 0, 1, 0, FIRST))
        scheduler.k = 0
        if stepping.sets_lr:
            scheduler.base = scheduler.params[stepping.sets_lr]
        return scheduler

    def _apply(self, event: _Segment) -> None:
        """One row-0 event, applied to the optimizer at once."""
        a, p, q, momentum = effect(event)
        lr = self.optimizer.lr
        self.optimizer.lr = float(q[0]) if a[0] == 0 else float(a[0] * (lr - p[0]) + q[0])
        if momentum is not None:
            self.optimizer.momentum = float(momentum[0])

    def plan(self, node: Any, start: int, stop: int, out: list[_Segment]) -> None:
        """Append the segments of ``step()`` called on ``node`` once per row in [start, stop)."""
        if start >= stop:
            return
        if isinstance(node, _Scheduler):
            if node.k + 1 < 0:  # pragma: no cover - every path restarts such a scheduler first
                raise AssertionError("a scheduler stepped before its restart")
            out.append(_Segment(node, start, stop, node.k + 1, STEP))
            node.k += stop - start
        elif isinstance(node, _Chained):
            for child in node.children:
                self.plan(child, start, stop, out)
        else:
            self._plan_sequential(node, start, stop, out)

    def _plan_sequential(self, node: _Sequential, start: int, stop: int, out: list[_Segment]) -> None:
        clock = node.clock

        def row(count: int) -> int:  # the row at which this sequence's counter reaches ``count``
            return start + count - clock - 1

        bounds = [-HUGE, *node.milestones, HUGE]
        for index, child in enumerate(node.children):
            low, high = bounds[index], bounds[index + 1]
            if index:
                restart = row(low)
                if start <= restart < stop:
                    if not isinstance(child, _Scheduler):  # pragma: no cover - refused by check()
                        raise AssertionError("a composite restarted")
                    out.append(_Segment(child, restart, restart + 1, 0, RESTART))
                    child.k = 0
                low += 1
            self.plan(child, max(start, row(low)), min(stop, row(high)), out)
        node.clock += stop - start


def _schedulers(node: Any) -> list[_Scheduler]:
    if isinstance(node, _Scheduler):
        return [node]
    return [s for child in node.children for s in _schedulers(child)]


def effect(segment: _Segment) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """(a, p, q, momentum) of a segment's rows: each turns the rate x into a*(x - p) + q (a = 0:
    the scheduler overwrites it) and writes the momentum, when it cycles one."""
    scheduler, kind = segment.scheduler, segment.kind
    schedule, params = scheduler.schedule, scheduler.params
    stepping = schedule.stepping
    k = segment.k0 + np.arange(segment.stop - segment.start, dtype=np.float64)
    if kind == RESTART or stepping.rule is None:
        own = params if stepping.base_param is None else {**params, stepping.base_param: scheduler.base}
        q = schedule.curve(k, own)
        a = p = np.zeros_like(q)
    else:
        a, p, q = call_with(stepping.rule, k, {**params, "base": scheduler.base, "first": kind == FIRST})
        a, p, q = np.broadcast_arrays(a, np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64))
    momentum = schedule.extra_series(k, params).get("momentum")
    return a, p, q, momentum


# --- rows from segments -------------------------------------------------------------------------


def solve(a: np.ndarray, p: np.ndarray, q: np.ndarray, x0: float) -> np.ndarray:
    """x_0, then x_t = a_t * (x_{t-1} - p_t) + q_t for t = 1..len(a): every row at once.

    A Hillis-Steele scan: after pass j, entry t holds the composition of the maps t-2^j+1..t, so
    log2(n) array passes replace n steps, and products are formed pairwise (a rounding error of
    log2(n) ulps where torch's sequential product has up to n). A composition keeps its first
    map's p, so p is never carried: a block's p is its first row's. See :func:`_then` for q.
    """
    rows = _scan(a, p, q, x0, guard=False)
    if not np.isfinite(rows).all():
        # An overflow met a reset (0 * inf): redo with the resets kept exact.
        rows = _scan(a, p, q, x0, guard=True)
    return np.concatenate(([x0], rows))


def _scan(a: np.ndarray, p: np.ndarray, q: np.ndarray, x0: float, guard: bool) -> np.ndarray:
    a, q = a.copy(), q.copy()
    # Whether any map scales about a point other than 0 (a cosine about η_min), see _then.
    about_points = bool(np.any((q == p) & (p != 0)))
    n, shift = len(a), 1
    with np.errstate(invalid="ignore", over="ignore"):
        while shift < n:
            # Entry i (i >= shift) composes block (i - shift, i] after block (i - 2*shift, i - shift].
            later_p = p[1 : n - shift + 1]
            a[shift:], q[shift:] = _then(a[:-shift], q[:-shift], a[shift:], later_p, q[shift:],
                                         about_points, guard)
            shift *= 2
        first_p = p[0] if n else 0.0
        return np.where(a == 0, q, a * (x0 - first_p) + q) if guard else a * (x0 - first_p) + q


def _then(a1, q1, a2, p2, q2, about_points: bool = True, guard: bool = True):
    """Map 1 (ending at q1 from its own point), then map 2: the composition's (a, q),
    x -> a2*(a1*(x - p1) + q1 - p2) + q2 = a2*a1*(x - p1) + q.

    q = a2*(q1 - p2) + q2, which is q2 exactly when map 1 ends at map 2's point (q1 == p2, e.g.
    two steps of one cosine) and when map 2 overwrites the rate (a2 == 0). When map 2 shrinks
    towards its own fixed point (q2 == p2, a2 <= 1: a falling cosine about η_min) and map 1 ends
    elsewhere, q = a2*q1 + p2*(1 - a2) instead: 1 - a2 is exact for a2 in [0.5, 1], and both
    terms are >= 0, where η_min - r*η_min would lose η_min's last bits against a small
    η_min*(1 - r). ``guard`` keeps resets exact even after an overflow (0 * inf).
    """
    with np.errstate(invalid="ignore", over="ignore"):
        a = a2 * a1
        q = a2 * (q1 - p2)
        q += q2
        if about_points:
            about = (q2 == p2) & (q1 != p2) & (a2 != 0) & (a2 <= 1)
            if about.any():
                at = np.flatnonzero(about)
                q[at] = a2[at] * q1[at] + p2[at] * (1 - a2[at])
        if guard:
            resets = a2 == 0
            a[resets], q[resets] = 0.0, np.broadcast_to(q2, q.shape)[resets]
    return a, q


# Residuals above this many ulps of a row (or of the largest rate) are worth a refinement.
RESIDUAL_ULPS = 4
REFINEMENTS = 2


def run(node: Node, lr: float, rows: int, momentum: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Rows 0..rows-1 of the rate (and of the momentum, when a scheduler cycles one and
    ``momentum`` asks for it) that torch's composite gives an optimizer whose lr is ``lr``: new
    arrays, the caller's to change.

    A long curve comes from the schedules' closed forms, stretch by stretch, computed when asked
    (:func:`_closed_form_rates`; the momentum, which no step ever rescales, always so); the rest
    from the scan, whose rows are cached (:func:`_scanned`)."""
    rates = _closed_form_rates(node, lr, rows) if rows >= _kernels.FAST_FROM else None
    if rates is None:
        rate_parts, momentum_parts = _scanned(node, lr, rows)
        rates = _assemble(rate_parts, rows)
        return rates, (_assemble(momentum_parts, rows) if momentum and momentum_parts else None)
    return rates, (_momentum_rows(node, lr, rows) if momentum else None)


def momentum_rows(node: Node, lr: float, rows: int) -> np.ndarray | None:
    """Rows 0..rows-1 of the momentum (None when no scheduler cycles one), without the rate."""
    if rows >= _kernels.FAST_FROM:
        return _momentum_rows(node, lr, rows)
    parts = _scanned(node, lr, rows)[1]
    return None if parts is None else _assemble(parts, rows)


# (first row, rows after the last, values): an array, or one value for all of them.
Part = tuple[int, int, Any]


def _assemble(parts: tuple[Part, ...], rows: int) -> np.ndarray:
    out = np.empty(rows)
    for low, high, values in parts:
        out[low:high] = values
    return out


def _planned(node: Node, lr: float, rows: int) -> tuple[_Torch, list[_Segment]]:
    torch = _Torch(node, lr)
    segments: list[_Segment] = []
    torch.plan(torch.root, 1, rows, segments)
    return torch, segments


@lru_cache(maxsize=8)
def _scanned(node: Node, lr: float, rows: int) -> tuple[tuple[Part, ...], tuple[Part, ...] | None]:
    """:func:`run`'s rows (rate, momentum) by a scan over the maps of every step.

    Each row's steps are composed into one map and the recurrence solved by :func:`solve`. Where
    a row's steps can cancel (a cosine pulling towards an η_min far above the rate that other
    schedules in a chain hold), composing them loses digits that torch, stepping one map after
    the other, does not. There the rows are refined while their residuals exceed a few ulps: each
    row's maps are applied in torch's order to the rows found, and the recurrence is solved again
    for the small corrections. torch's own rows are a fixed point of this, so it lands on torch's
    roundings, not merely near the exact values.
    """
    torch, segments = _planned(node, lr, rows)
    a, p, q = np.ones(rows - 1), np.zeros(rows - 1), np.zeros(rows - 1)
    # A row's first map is taken as it is (composing it after an identity would lose its p).
    mapped = np.zeros(rows - 1, dtype=bool)
    momentum_0 = torch.optimizer.momentum
    momentum = written = None
    if momentum_0 is not None:
        momentum, written = np.full(rows, momentum_0), np.zeros(rows, dtype=bool)
        written[0] = True
    maps = []
    for segment in segments:
        sa, sp, sq, sm = effect(segment)
        part = slice(segment.start - 1, segment.stop - 1)
        maps.append((part, sa, sp, sq))
        fresh = ~mapped[part]
        ca, cq = _then(a[part], q[part], sa, sp, sq)
        a[part] = np.where(fresh, sa, ca)
        p[part] = np.where(fresh, sp, p[part])  # a composition keeps its first map's p
        q[part] = np.where(fresh, sq, cq)
        mapped[part] = True
        if sm is not None and momentum is not None:
            momentum[segment.start : segment.stop] = sm
            written[segment.start : segment.stop] = True
    x0 = torch.optimizer.lr
    rates = solve(a, p, q, x0)
    for _ in range(REFINEMENTS if _cancels(node) else 0):
        stepped = _step_each(maps, rates[:-1])
        residual = np.abs(stepped - rates[1:])
        with np.errstate(invalid="ignore"):
            small = residual <= RESIDUAL_ULPS * np.spacing(np.abs(rates[1:]))
        if np.all(small | ~np.isfinite(stepped)):
            break
        rates = solve(a, rates[:-1].copy(), stepped, x0)
    if momentum is not None:
        # Rows where nothing writes the momentum keep the last value written.
        last = np.maximum.accumulate(np.where(written, np.arange(rows), 0))
        momentum = momentum[last]
    return ((0, rows, rates),), (None if momentum is None else ((0, rows, momentum),))


# --- rows from the schedules' closed forms (long curves) ----------------------------------------

# Schedules whose torch step multiplies the rate by a factor (Stepping.factor): over steps k0..k
# their factors telescope to f(k) / f(k0 - 1), f the closed form at torch's base.
# A recursive schedule continues on its own closed form when the rate it starts from is that form
# one step earlier, to this many ulps.
ON_CURVE_ULPS = 4


def _closed_form_rates(node: Node, lr: float, rows: int) -> np.ndarray | None:
    """:func:`run`'s rates from the schedules' closed forms, or None where they do not apply.

    Between two segment boundaries the same schedulers step every row, in the same order (a
    stretch). When the last of them overwrites the rate (a restart, a closed form like OneCycleLR)
    the stretch is its closed form. When all of them rescale the rate: one scheduler whose
    closed form, one step before the stretch, is the rate there continues on that form (after a
    restart, or from the start); factor schedules (ExponentialLR, LinearLR, ...) turn the rate x
    before the stretch into x · Π f(k) / f(k0 − 1). The rest (a cosine sharing the rate in a
    chain, a factor stepping after an overwrite in the same row) is left to the scan.
    """
    torch, segments = _planned(node, lr, rows)
    before = torch.optimizer.lr
    parts: list[Part] = [(0, 1, before)]
    for low, high, active in _stretches(segments, rows):
        found = _stretch(active, low, high, before)
        if found is None:
            return None
        parts.append((low, high, found))
        before = float(found[-1]) if isinstance(found, np.ndarray) else found
    return _assemble(tuple(parts), rows)


def _momentum_rows(node: Node, lr: float, rows: int) -> np.ndarray | None:
    """The momentum of every row from the closed forms: in each stretch, that of the last
    scheduler that writes one (it overwrites any before it), or the value before the stretch."""
    torch, segments = _planned(node, lr, rows)
    before = torch.optimizer.momentum
    if before is None:
        return None
    parts: list[Part] = [(0, 1, before)]
    for low, high, active in _stretches(segments, rows):
        writer = next((s for s in reversed(active) if _writes_momentum(s)), None)
        if writer is None:
            parts.append((low, high, before))
        else:
            values = _series_of(writer, low, high)["momentum"]
            parts.append((low, high, values))
            before = float(values[-1])
    return _assemble(tuple(parts), rows)


def _stretches(segments: list[_Segment], rows: int) -> list[tuple[int, int, list[_Segment]]]:
    """(low, high, the segments stepping on rows [low, high), in order) between every two segment
    boundaries, and where a factor schedule's form goes flat (so it is one number after)."""
    flat = [s.start + int(_flat_from(s)) - s.k0 for s in segments
            if s.scheduler.schedule.stepping.factor and math.isfinite(_flat_from(s))]
    edges = {1, rows, *(s.start for s in segments), *(s.stop for s in segments), *flat}
    bounds = sorted(edge for edge in edges if 1 <= edge <= rows)
    return [(low, high, [s for s in segments if s.start <= low < s.stop])
            for low, high in zip(bounds[:-1], bounds[1:])]


def _own_params(segment: _Segment) -> dict[str, Any]:
    """The parameters of the closed form torch's scheduler follows: its base_lrs as the base."""
    scheduler = segment.scheduler
    base_param = scheduler.schedule.stepping.base_param
    return scheduler.params if base_param is None else {**scheduler.params, base_param: scheduler.base}


def _own_steps(segment: _Segment, low: int, high: int) -> tuple[int, int]:
    """(first, n): the scheduler's own steps (last_epoch) at rows [low, high)."""
    return segment.k0 + (low - segment.start), high - low


def _form(segment: _Segment, steps: np.ndarray) -> np.ndarray:
    return segment.scheduler.schedule.curve(steps, _own_params(segment))


def _form_rows(segment: _Segment, low: int, high: int, params: Mapping[str, Any] | None = None) -> np.ndarray:
    """The closed form at rows [low, high) (by the schedule's fast route when they are many)."""
    schedule = segment.scheduler.schedule
    return schedule.rows(*_own_steps(segment, low, high), _own_params(segment) if params is None else params)


def _series_of(segment: _Segment, low: int, high: int) -> dict[str, np.ndarray]:
    scheduler = segment.scheduler
    return scheduler.schedule.extra_rows(*_own_steps(segment, low, high), scheduler.params)


def _writes_momentum(segment: _Segment) -> bool:
    scheduler = segment.scheduler
    return "momentum" in scheduler.schedule.extra_series(np.zeros(1), scheduler.params)


def _overwrites(segment: _Segment) -> bool:
    return segment.kind == RESTART or segment.scheduler.schedule.stepping.rule is None


def _stretch(active: list[_Segment], low: int, high: int, before: float) -> np.ndarray | float | None:
    """Rows [low, high), on which the schedulers ``active`` step in this order, from the rate
    ``before`` at row low − 1 (see :func:`_closed_form_rates`): an array, one value for all the
    rows, or None where no closed form applies."""
    if not active:
        return before
    if _overwrites(active[-1]):
        last = active[-1]
        return _form(last, np.zeros(1)) if last.kind == RESTART else _form_rows(last, low, high)
    ks = [s.k0 + (low - s.start) for s in active]
    if any(_overwrites(s) for s in active) or min(ks) < 1:
        return None
    earlier = [float(_form(s, np.array([k - 1.0]))[0]) for s, k in zip(active, ks)]
    if len(active) == 1 and abs(before - earlier[0]) <= ON_CURVE_ULPS * np.spacing(max(abs(before), 1e-300)):
        return _form_rows(active[0], low, high)
    if not all(s.scheduler.schedule.stepping.factor for s in active):
        return None
    if not all(math.isfinite(e) and e != 0 for e in earlier):
        return None
    # x · Π f(k) / f(k0 − 1): the factors that are constant here fold into the scale, and the
    # scale into the first varying form's lr (each form is lr times a function of k).
    scale = before / math.prod(earlier)
    varying = []
    for segment, k in zip(active, ks):
        if _flat_from(segment) <= k:
            scale *= float(_form(segment, np.array([float(k)]))[0])
        else:
            varying.append(segment)
    if not math.isfinite(scale):
        return None
    if not varying:
        return scale
    first = varying[0]
    params = _own_params(first)
    rows = _form_rows(first, low, high, {**params, "lr": params["lr"] * scale})
    for segment in varying[1:]:
        rows *= _form_rows(segment, low, high)
    return rows


def _flat_from(segment: _Segment) -> float:
    """The step from which a factor schedule's closed form stays the same (inf: never)."""
    flat_from = segment.scheduler.schedule.stepping.flat_from
    return math.inf if flat_from is None else flat_from(segment.scheduler.params)


def _cancels(node: Node) -> bool:
    """Whether a chain holds a cosine with η_min > 0 beside other schedules: the one place where
    a row's steps can cancel (the other schedules may hold the rate far below η_min)."""
    if isinstance(node, Leaf):
        return False
    if isinstance(node, Chain) and len(node.children) > 1:
        for leaf in leaves(node):
            pivots = entry(leaf.name).stepping.pivots
            if pivots is not None and pivots(dict(leaf.params)):
                return True
    return any(_cancels(child) for child in node.children)


def _step_each(maps, before: np.ndarray) -> np.ndarray:
    """Every row's steps applied to the rate before it, one map after the other, as torch does:
    a*(x - p) + q (a*x for a factor, eta_min + r*(x - eta_min) for a cosine), or q."""
    x = before.copy()
    for part, a, p, q in maps:
        with np.errstate(invalid="ignore", over="ignore"):
            x[part] = np.where(a == 0, q, a * (x[part] - p) + q)
    return x


def _rows(t: np.ndarray) -> tuple[int, np.ndarray]:
    """How many rows to run for the steps ``t``, and those rows' indices."""
    index = t.astype(np.intp)
    return (int(index.max()) + 1 if index.size else 1), index


def rates(
    node: Node, lr: float, t: np.ndarray, momentum: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """The rate and momentum (unless not asked for) at steps ``t``."""
    rows, index = _rows(t)
    lr_rows, momentum_rows = run(node, lr, rows, momentum)
    return lr_rows[index], (None if momentum_rows is None else momentum_rows[index])


def rates_range(
    node: Node, lr: float, first: int, n: int, momentum: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """The rate and momentum (unless not asked for) at steps first..first+n-1."""
    rows = max(first + n, 1)
    lr_rows, momentum_rows = run(node, lr, rows, momentum)
    if first == 0 and n == rows:  # run's arrays are new, the caller's to keep
        return lr_rows, momentum_rows
    part = slice(first, first + n)
    return lr_rows[part].copy(), (None if momentum_rows is None else momentum_rows[part].copy())


def _momentum_at(node: Node, lr: float, t: np.ndarray) -> dict[str, np.ndarray]:
    """The momentum at steps ``t``, when a scheduler cycles one (without putting the rate together)."""
    rows, index = _rows(t)
    momentum = momentum_rows(node, lr, rows)
    return {} if momentum is None else {"momentum": momentum[index]}


def _momentum_range(node: Node, lr: float, first: int, n: int) -> dict[str, np.ndarray]:
    momentum = momentum_rows(node, lr, max(first + n, 1))
    return {} if momentum is None else {"momentum": momentum[first : first + n].copy()}


# --- annotations and warnings -------------------------------------------------------------------


def annotations(node: Node, rows: int) -> Annotations:
    """A sequence's schedules as phases (their own phases, if they have any, moved to where they
    start), with their events and guides; a chain's schedules overlap, so it has none."""
    if isinstance(node, Leaf):
        schedule = entry(node.name)
        return schedule.annotate(dict(node.params), rows) if schedule.annotate else Annotations()
    if isinstance(node, Chain):
        return Annotations()
    starts = [0, *node.milestones]
    ends = [*node.milestones, rows]
    phases: list[Phase] = []
    events = []
    guides: dict[str, float] = {}
    for child, first, end in zip(node.children, starts, ends):
        if first >= rows:
            break
        inner = annotations(child, min(end, rows) - first)
        # A phase spans (start, end]; one that starts at 0 holds row 0, here the row `first`.
        phases += [
            Phase(p.name, p.start + first if p.start > 0 else max(first - 1, 0), p.end + first)
            for p in inner.phases
        ] or [Phase(child.label, max(first - 1, 0), min(end, rows) - 1)]
        events += [Event(e.step + first, e.kind, e.old, e.new, e.why) for e in inner.events]
        guides.update(inner.guides)
    return Annotations(phases=tuple(phases), events=tuple(events), guides=guides)


def warnings(node: Node, lr: float, rows: int) -> tuple[str, ...]:
    """The schedules' own warnings, each for the rows it is stepped through here (a cosine that
    takes over at step 5 of 100 runs 95 of them), and warm-ups that do not lead where their
    schedule starts."""
    torch = _Torch(node, lr)
    segments: list[_Segment] = []
    torch.plan(torch.root, 1, rows, segments)
    found: list[str] = []
    for scheduler in _schedulers(torch.root):
        leaf, schedule = scheduler.leaf, scheduler.schedule
        if schedule.warn:
            own_rows = max(scheduler.k + 1, 0)  # its last_epoch after the last row, plus row 0
            found += [f"{leaf.where}{w}" for w in schedule.warn(dict(leaf.params), own_rows)]
    restarted = {id(seg.scheduler.leaf) for seg in segments if seg.kind == RESTART}
    ramps = {id(s.leaf): s.k for s in _schedulers(torch.root)}
    for sequence in _warm_ups(node):
        linear, target = sequence.children
        handed_over = id(target) in restarted
        # The whole curve only if a jump at the hand-over asks whether it ever climbs back.
        after = (lambda: run(node, lr, rows, momentum=False)[0]) if sequence is node and handed_over else None
        found += [
            f"{sequence.where}{w}" for w in warm_up_traps(sequence, handed_over, ramps[id(linear)], after)
        ]
    return tuple(found)


def warm_up_traps(
    sequence: Sequence, handed_over: bool, ramp_k: int, curve: Callable[[], np.ndarray] | None
) -> list[str]:
    """A warm-up whose peak is never reached, or that jumps at the hand-over.

    The warm-up and its schedule are run on their own: row 0 is the peak times start_factor, each
    row climbs by peak·(1 − start_factor)/N, and at row N the schedule takes over. ``ramp_k`` is
    the last step the warm-up's LinearLR got here; ``curve`` gives the whole curve, when the
    warm-up is the whole schedule (to tell whether the rate ever gets to the peak after a drop)."""
    linear, target = sequence.children
    params = dict(linear.params)
    steps, factor, lr = sequence.milestones[0], params["start_factor"], params["lr"]
    schedule = entry(target.name)
    stepping = schedule.stepping
    if stepping.sets_lr:
        start = dict(target.params)[stepping.sets_lr]
        if start == lr:
            return []
        return [
            f"the warm-up ramps to lr {lr:g} and the cycle then starts at "
            f"{stepping.sets_lr} {start:g}: in torch the warm-up scales the optimizer's lr, "
            f"which {schedule.origin_name} replaces; set lr to {start:g} for a continuous ramp"
        ]
    alone = run(sequence, lr, steps + 1)[0]
    peak = alone[0] / factor
    if not 0 < peak < np.inf:  # a rate that underflowed or overflowed: nothing to compare
        return []
    if not handed_over:
        got = min(max(ramp_k, 0), steps - 1)
        return [
            f"the warm-up is cut off after {got + 1} of its {steps} steps: the rate gets to "
            f"{alone[got]:g}, {alone[got] / peak:.0%} of the {peak:g} it ramps to, and "
            f"{target.name} never starts; leave the warm-up room (a later milestone), or "
            "shorten warmup_steps"
        ]
    start = alone[steps]
    rise = peak * (1 - factor) / steps
    # Within one warm-up step of the peak is a continuous hand-over (row N is usually the peak).
    if abs(start - peak) <= max(rise, 1e-9 * peak):
        return []
    never = ""
    if curve is not None and not np.nanmax(curve()[steps:]) >= peak * (1 - 1e-9):
        never = f", and never gets to {peak:g}"
    return [
        f"the warm-up ramps to {peak:g}, but {target.name} takes over at step {steps} at "
        f"{start:g}: the rate jumps {'down' if start < peak else 'up'} to {start / peak:.3g}x"
        f"{never}; a warm-up should end where its schedule starts: make {target.name} start at "
        "the full rate, or leave out the warm-up"
    ]


def _warm_ups(node: Node) -> list[Sequence]:
    if isinstance(node, Leaf):
        return []
    own = [node] if isinstance(node, Sequence) and node.warm_up else []
    return own + [s for child in node.children for s in _warm_ups(child)]


# --- the registered composites ------------------------------------------------------------------


class _Composite(Record):
    """A composite's own parameters as a spec-like object, for :func:`node_of`."""

    FIELDS = (
        ("schedule", REQUIRED),
        ("params", REQUIRED),
        ("label", None),
        ("warmup_steps", None),
        ("warmup_start_factor", None),
    )

    schedule: str
    params: Mapping[str, Any]
    label: str | None
    warmup_steps: int | None
    warmup_start_factor: float | None


def _node(name: str, params: Mapping[str, Any]) -> Node:
    return node_of(_Composite(name, params))


def _checked(name: str):
    def resolve(params: dict[str, Any], context: Context) -> dict[str, Any]:
        if name == SEQUENTIAL.name:
            _check_milestones(params)
        check(_node(name, params))
        return params

    return resolve


def _check_milestones(params: dict[str, Any]) -> None:
    milestones, count = params["milestones"] or (), len(params["schedules"])
    if len(milestones) != count - 1:
        raise Invalid(
            f"{{}} needs {count - 1} value{'s' if count != 2 else ''} for {count} schedules (the step "
            f"at which each one after the first takes over), got {len(milestones)}",
            "milestones",
        )
    for earlier, later in zip(milestones, milestones[1:]):
        if later <= earlier:
            raise Invalid(
                f"{{}} must increase (each schedule runs from its milestone to the next), got "
                f"{later} after {earlier}",
                "milestones",
            )


def sequential(t: np.ndarray, *, lr: float, milestones, schedules) -> np.ndarray:
    """η_t of torch's SequentialLR: schedule i runs from milestone i−1 (its own step 0 there, the
    closed form torch's _update_lr(0) restarts it with) to milestone i; the first runs from the
    optimizer's initial_lr. See the module's notes for how torch's quirks come out."""
    node = _node(SEQUENTIAL.name, {"lr": lr, "milestones": milestones, "schedules": schedules})
    return rates(node, lr, t, momentum=False)[0]


def chained(t: np.ndarray, *, lr: float, schedules) -> np.ndarray:
    """η_t of torch's ChainedScheduler: every schedule steps on the same rate in turn, so the
    factors of recursive schedules multiply (η_0 · Π_i f_i(t)), and a schedule that overwrites
    the rate (OneCycleLR, CyclicLR, CosineAnnealingWarmRestarts) resets it for the ones after it."""
    return rates(_node(CHAINED.name, {"lr": lr, "schedules": schedules}), lr, t, momentum=False)[0]


def _sequential_momentum(t: np.ndarray, *, lr: float, milestones, schedules) -> dict[str, np.ndarray]:
    node = _node(SEQUENTIAL.name, {"lr": lr, "milestones": milestones, "schedules": schedules})
    return _momentum_at(node, lr, t)


def _chained_momentum(t: np.ndarray, *, lr: float, schedules) -> dict[str, np.ndarray]:
    return _momentum_at(_node(CHAINED.name, {"lr": lr, "schedules": schedules}), lr, t)


def _sequential_range(first: int, n: int, *, lr: float, milestones, schedules) -> np.ndarray:
    node = _node(SEQUENTIAL.name, {"lr": lr, "milestones": milestones, "schedules": schedules})
    return rates_range(node, lr, first, n, momentum=False)[0]


def _chained_range(first: int, n: int, *, lr: float, schedules) -> np.ndarray:
    node = _node(CHAINED.name, {"lr": lr, "schedules": schedules})
    return rates_range(node, lr, first, n, momentum=False)[0]


def _sequential_momentum_range(
    first: int, n: int, *, lr: float, milestones, schedules
) -> dict[str, np.ndarray]:
    node = _node(SEQUENTIAL.name, {"lr": lr, "milestones": milestones, "schedules": schedules})
    return _momentum_range(node, lr, first, n)


def _chained_momentum_range(first: int, n: int, *, lr: float, schedules) -> dict[str, np.ndarray]:
    return _momentum_range(_node(CHAINED.name, {"lr": lr, "schedules": schedules}), lr, first, n)


def _limit(name: str):
    return lambda params: limit(_node(name, params))


class Milestones(IntegerList):
    """IntegerList that also takes an empty list: a sequence of one schedule has no milestone."""

    def allowed(self) -> str:
        return super().allowed() + " (empty for one schedule)"

    def parse(self, raw: Any) -> tuple[int, ...]:
        if isinstance(raw, (list, tuple)) and not raw:
            return ()
        return super().parse(raw)


COMPOSITE_LR = Real(
    "lr",
    "The optimizer's lr, shared by the schedules inside (they inherit it; a different one is an "
    "error).",
    BASE_LR.default,
    gt=0,
    argument=False,
)
CHILDREN = Schedules(
    "schedules", "The schedules, each a mapping with a type and its parameters.", required=True
)

SEQUENTIAL = register(
    Schedule(
        name="sequential",
        origin="torch.optim.lr_scheduler.SequentialLR",
        signature=("optimizer", "schedulers", "milestones", "last_epoch"),
        summary="One schedule after another, each from its own step 0 at its milestone.",
        params=(
            COMPOSITE_LR,
            Milestones("milestones", "Steps at which the next schedule takes over.", ge=1),
            CHILDREN,
        ),
        lr=sequential,
        lr_range=_sequential_range,
        horizon=lambda p: horizon(_node("sequential", p)),
        horizon_text="the last milestone plus the last schedule's own rows",
        resolve=_checked("sequential"),
        limit=_limit("sequential"),
        extras=_sequential_momentum,
        extras_range=_sequential_momentum_range,
        annotate=lambda p, n: annotations(_node("sequential", p), n),
        warn=lambda p, n: warnings(_node("sequential", p), p["lr"], n),
        example="{type: sequential, lr: 0.1, milestones: [5], schedules: "
        "[{type: linear, start_factor: 0.1, total_iters: 5}, {type: cosine, t_max: 95}]}",
        yaml_only=True,
    )
)

CHAINED = register(
    Schedule(
        name="chained",
        origin="torch.optim.lr_scheduler.ChainedScheduler",
        signature=("schedulers", "optimizer"),
        summary="Schedules applied together on one rate: their factors multiply.",
        params=(COMPOSITE_LR, CHILDREN),
        lr=chained,
        lr_range=_chained_range,
        horizon=lambda p: horizon(_node("chained", p)),
        horizon_text="the longest schedule's own rows",
        resolve=_checked("chained"),
        limit=_limit("chained"),
        extras=_chained_momentum,
        extras_range=_chained_momentum_range,
        annotate=lambda p, n: annotations(_node("chained", p), n),
        warn=lambda p, n: warnings(_node("chained", p), p["lr"], n),
        example="{type: chained, lr: 0.1, schedules: "
        "[{type: linear, start_factor: 0.1, total_iters: 5}, {type: exponential, gamma: 0.95}]}",
        yaml_only=True,
    )
)
