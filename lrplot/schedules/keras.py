"""Keras' learning-rate schedules (Keras 3.15.1, ``keras.optimizers.schedules``): ``lrplot keras NAME``.

Row t is ``schedule(t)``: the rate a Keras optimizer uses at iteration t, ``optimizer.iterations``
counting from 0. Keras passes its schedule the raw count of ``apply`` calls, which gradient
accumulation does not divide: with ``gradient_accumulation_steps=K`` the optimizer updates at
iterations K-1, 2K-1, ..., so update u trains with row uK + K - 1, and every length a schedule takes
(``decay_steps``, ``warmup_steps``, ``boundaries``) counts micro-batches. A Keras schedule is the
rate itself (``initial_learning_rate``): there is no ``--lr`` here.

lrplot evaluates Keras' formulas in float64, in Keras' order of operations: the numbers Keras gives
with ``floatx="float64"`` on its TensorFlow backend. Keras computes in float32 by default (the step
cast to float32 too), and on its jax, numpy and torch backends even ``floatx="float64"`` leaves
``cos``, ``floor`` and ``ceil`` in float32 (Keras 3.15's type promotion maps float64 to float32
there), so Keras' own curves differ from these by float32 round-off.

Each schedule is the Keras class of that name with its constructor's arguments and defaults. Where
Keras raises, lrplot refuses; where it quietly does something else (a warm-up ignored without
``warmup_target``, polynomial cycles that restart lower each time, restarts placed by logarithms),
lrplot does the same and warns.
"""

from __future__ import annotations

import math
import numbers
import textwrap
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from lrplot.params import Integer, IntegerList, Invalid, Param, Real, Switch, show, to_float
from lrplot.registry import Annotations, Context, Phase, Schedule, register

from . import _kernels

FRAMEWORK = "keras"
ORIGIN = "keras.optimizers.schedules."
# Default rows of an open-ended decay: until the rate is this fraction of the start, in whole decay
# periods, at most MAX_PERIODS periods and MAX_DEFAULT_ROWS rows.
EXPONENTIAL_TO = 0.01
INVERSE_TO = 0.1
MAX_PERIODS = 100
OPEN_PERIODS = 10
MAX_DEFAULT_ROWS = 1_000_000
# Cycling schedules are shown for this many cycles (and the first step of the next).
SHOWN_CYCLES = 3
# At most this many cycles are marked as phases.
MARKED_CYCLES = 12
# A float32 holds every whole number only up to 2^24: Keras' default float32 step rounds past it.
FLOAT32_EXACT_STEPS = 2**24
LARGEST = float(np.finfo(np.float64).max)
# A restart this close to a step (relative) may fall on either side of it in Keras' logarithms.
NEAR_RESTART = 1e-9
# How many steps a warning lists before "and N more".
LISTED = 4
# The longest comment line of emitted code.
EMIT_WIDTH = 96


# --- parameter kinds ------------------------------------------------------------------------------


class FloatList(Param):
    """Numbers, as '0.1,0.01,0.001' on the command line or a list in YAML; order kept as given."""

    options = {"ge": None}
    metavar = "FLOAT,FLOAT,..."

    def allowed(self) -> str:
        bound = "" if self.ge is None else f", each >= {self.ge:g}"
        return "a comma-separated list of numbers" + bound

    def parse(self, raw: Any) -> tuple[float, ...]:
        if isinstance(raw, str):
            items: list[Any] = [s.strip() for s in raw.split(",")] if raw.strip() else []
        elif isinstance(raw, (list, tuple)):
            items = list(raw)
        elif isinstance(raw, numbers.Real) and not isinstance(raw, bool):
            items = [raw]
        else:
            raise self._bad(raw)
        values = [to_float(item) for item in items]
        if not values or any(v is None for v in values):
            raise self._bad(raw)
        if any(not math.isfinite(v) for v in values):  # type: ignore[arg-type]
            raise Invalid(f"{{}} must hold finite numbers, got {show(raw)}", self.name)
        if self.ge is not None and any(v < self.ge for v in values):  # type: ignore[operator]
            raise self._bad(raw)
        return tuple(values)  # type: ignore[arg-type]


def initial_rate(help: str) -> Real:
    return Real("initial_learning_rate", help, required=True, ge=0)


DECAY_STEPS = Integer("decay_steps", "Steps of one decay period (Keras refuses <= 0).", required=True, ge=1)
STAIRCASE = Switch("staircase", "Decay at whole periods only: the exponent t / decay_steps floored.", False)
ALPHA = Real("alpha", "The lowest rate, as a fraction of the rate the cosine starts from.", 0.0, ge=0)
ACCUMULATION = Integer(
    "gradient_accumulation_steps",
    "The optimizer's gradient_accumulation_steps K (not the schedule's): it updates every K "
    "iterations while the schedule still counts iterations. The curve is unchanged; lrplot warns "
    "which rows the updates use.",
    ge=2,
    argument=False,
)


# --- the formulas ---------------------------------------------------------------------------------


def exponential_decay(
    t: np.ndarray, *, initial_learning_rate: float, decay_steps: int, decay_rate: float, staircase: bool
) -> np.ndarray:
    """η_t = initial_learning_rate · decay_rate^(t / decay_steps); with staircase the exponent is
    floor(t / decay_steps).

    >>> exponential_decay(np.array([0.0, 1.0, 2.0]), initial_learning_rate=1.0, decay_steps=2,
    ...                   decay_rate=0.25, staircase=False)
    array([1.  , 0.5 , 0.25])
    """
    p = t / decay_steps
    if staircase:
        p = np.floor(p)
    return initial_learning_rate * np.power(decay_rate, p)


def exponential_decay_range(
    first: int, n: int, *, initial_learning_rate: float, decay_steps: int, decay_rate: float,
    staircase: bool,
) -> np.ndarray:
    """:func:`exponential_decay` at steps first..first+n-1. A staircase is treads of
    _kernels.geometric's levels (ratio decay_rate exactly); so is a decay every step. Otherwise the
    step's ratio decay_rate^(1/decay_steps) is not a float, so each block of steps is its first
    step's rate (the formula) times decay_rate^(k/decay_steps), a table shared by all blocks."""
    a, d, r = initial_learning_rate, decay_steps, decay_rate
    if staircase or d == 1:
        low, high = first // d, (first + n - 1) // d
        levels = _kernels.geometric(np.empty(high - low + 1), low, scale=a, ratio=r)
        return _kernels.stairs(first, n, d, levels) if d > 1 else levels

    def plain(steps: np.ndarray) -> np.ndarray:
        return exponential_decay(steps, initial_learning_rate=a, decay_steps=d, decay_rate=r,
                                 staircase=False)

    return _outer_blocks(first, n, plain, np.power(r, np.arange(_kernels.BLOCK) / d))


def _outer_blocks(
    first: int, n: int, plain: Callable[[np.ndarray], np.ndarray], table: np.ndarray
) -> np.ndarray:
    """Row t_j + k = plain(t_j)·table[k] over blocks of len(table) steps starting at t_j; a block
    whose first rate is below the normal range is 0 (the rate changes by less than 2.3e-308)."""
    width = len(table)
    blocks = -(-n // width)
    left = plain(first + width * np.arange(blocks, dtype=np.float64))
    left[np.abs(left) < _kernels.TINY] = 0.0
    out = np.empty(n)
    whole = n // width
    np.multiply(left[:whole, None], table, out=out[: whole * width].reshape(whole, width))
    if whole < blocks:
        np.multiply(left[whole], table[: n - whole * width], out=out[whole * width :])
    return out


def inverse_time_decay(
    t: np.ndarray, *, initial_learning_rate: float, decay_steps: int, decay_rate: float, staircase: bool
) -> np.ndarray:
    """η_t = initial_learning_rate / (1 + decay_rate · t / decay_steps); with staircase
    t / decay_steps is floored.

    >>> inverse_time_decay(np.array([0.0, 1.0, 2.0]), initial_learning_rate=1.0, decay_steps=1,
    ...                    decay_rate=1.0, staircase=False)
    array([1.        , 0.5       , 0.33333333])
    """
    p = t / decay_steps
    if staircase:
        p = np.floor(p)
    return initial_learning_rate / (1.0 + decay_rate * p)


def inverse_time_decay_range(
    first: int, n: int, *, initial_learning_rate: float, decay_steps: int, decay_rate: float,
    staircase: bool,
) -> np.ndarray:
    """:func:`inverse_time_decay` at steps first..first+n-1: treads of the formula's levels for a
    staircase, else the denominator as a straight line (_kernels.affine) and one division."""
    a, d, r = initial_learning_rate, decay_steps, decay_rate
    if staircase:
        low, high = first // d, (first + n - 1) // d
        levels = a / (1.0 + r * np.arange(low, high + 1, dtype=np.float64))
        return _kernels.stairs(first, n, d, levels)
    out = _kernels.affine(np.empty(n), first, slope=r / d, plain=lambda s: 1.0 + r * (s / d))
    return np.divide(a, out, out=out)


def polynomial_decay(
    t: np.ndarray, *, initial_learning_rate: float, decay_steps: int, end_learning_rate: float,
    power: float, cycle: bool,
) -> np.ndarray:
    """η_t = (initial_learning_rate − end_learning_rate) · (1 − p)^power + end_learning_rate with
    p = min(t, decay_steps) / decay_steps; with cycle, p = t / (decay_steps · ⌈t / decay_steps⌉)
    (the multiple taken as 1 at step 0), so every cycle ends on end_learning_rate and the next
    starts where a decay over the longer multiple would be.

    >>> polynomial_decay(np.array([0.0, 1.0, 2.0, 3.0]), initial_learning_rate=1.0, decay_steps=2,
    ...                  end_learning_rate=0.0, power=1.0, cycle=False)
    array([1. , 0.5, 0. , 0. ])
    """
    if cycle:
        multiplier = np.where(t == 0, 1.0, np.ceil(t / decay_steps))
        p = t / (decay_steps * multiplier)
    else:
        p = np.minimum(t, decay_steps) / decay_steps
    return (initial_learning_rate - end_learning_rate) * np.power(1 - p, power) + end_learning_rate


def polynomial_decay_range(
    first: int, n: int, *, initial_learning_rate: float, decay_steps: int, end_learning_rate: float,
    power: float, cycle: bool,
) -> np.ndarray:
    """:func:`polynomial_decay` at steps first..first+n-1, cycle by cycle (cycle k holds the steps
    (k-1)·decay_steps + 1 .. k·decay_steps and decays over k·decay_steps from step 0): the steps
    before a cycle's end by the binomial series (_kernels.power), its end (p = 1), everything after
    the decay and cycles shorter than FAST_FROM steps by the formula."""
    a, d, e = initial_learning_rate, decay_steps, end_learning_rate

    def plain(low: int, high: int) -> np.ndarray:
        return polynomial_decay(np.arange(low, high, dtype=np.float64), initial_learning_rate=a,
                                decay_steps=d, end_learning_rate=e, power=power, cycle=cycle)

    last = first + n - 1
    if cycle and d < _kernels.FAST_FROM:
        return plain(first, last + 1)
    out = np.empty(n)
    cycles = range(max(1, -(-first // d)), max(1, -(-last // d)) + 1) if cycle else (1,)
    for k in cycles:
        total = k * d
        low, end = max(first, (k - 1) * d + 1 if k > 1 else 0), min(total - 1, last)
        if end - low + 1 >= _kernels.FAST_FROM:
            rows = out[low - first : end - first + 1]
            # The series is computed without end_learning_rate (the scale it expands), then shifted.
            _kernels.power(rows, low, total=total, p=power,
                           plain=lambda s, total=total: (a - e) * np.power(1 - s / total, power))
            rows += e
        elif end >= low:
            out[low - first : end - first + 1] = plain(low, end + 1)
        if first <= total <= last:  # the cycle's last step, p = 1
            out[total - first] = plain(total, total + 1)[0]
    if not cycle and last > d:  # after the decay: the formula at p = 1
        out[max(d + 1 - first, 0) :] = plain(d, d + 1)[0]
    return out


def _cosine_part(step: np.ndarray, decay_steps: int, decay_from: float, alpha: float) -> np.ndarray:
    """Keras' ``_decay_function``: decay_from · ((1 − alpha) · (1 + cos(π · step / decay_steps)) / 2
    + alpha), in its order of operations."""
    cosine_decayed = 0.5 * (1.0 + np.cos(np.pi * (step / decay_steps)))
    return decay_from * ((1 - alpha) * cosine_decayed + alpha)


def cosine_decay(
    t: np.ndarray, *, initial_learning_rate: float, decay_steps: int, alpha: float,
    warmup_target: float | None, warmup_steps: int,
) -> np.ndarray:
    """Without warmup_target: η_t = initial_learning_rate · ((1 − alpha) · (1 + cos(π·s/D)) / 2
    + alpha) with s = min(t, D), D = decay_steps (warmup_steps is ignored).

    With warmup_target W and warmup_steps w: s = min(t, w + D); for s < w the line
    (W − initial_learning_rate) · s/w + initial_learning_rate, then the cosine from W over the
    D steps after the warm-up: W · ((1 − alpha) · (1 + cos(π·(s − w)/D)) / 2 + alpha). The decay
    ends at step w + D, not D.

    >>> cosine_decay(np.array([0.0, 1.0, 2.0, 3.0]), initial_learning_rate=0.0, decay_steps=2,
    ...              alpha=0.0, warmup_target=1.0, warmup_steps=1).round(12) + 0.0
    array([0. , 1. , 0.5, 0. ])
    """
    if warmup_target is None:
        return _cosine_part(np.minimum(t, decay_steps), decay_steps, initial_learning_rate, alpha)
    s = np.minimum(t, decay_steps + warmup_steps)
    out = _cosine_part(s - warmup_steps, decay_steps, warmup_target, alpha)
    warm = s < warmup_steps
    if np.any(warm):
        out[warm] = (warmup_target - initial_learning_rate) * (s[warm] / warmup_steps) + initial_learning_rate
    return out


def cosine_decay_range(
    first: int, n: int, *, initial_learning_rate: float, decay_steps: int, alpha: float,
    warmup_target: float | None, warmup_steps: int,
) -> np.ndarray:
    """:func:`cosine_decay` at steps first..first+n-1, phase by phase: the warm-up a straight line
    (_kernels.affine), the decay by angle addition (_kernels.cosine), its first and last step (cos
    = ±1) and everything after it by the formula."""
    params = dict(initial_learning_rate=initial_learning_rate, decay_steps=decay_steps, alpha=alpha,
                  warmup_target=warmup_target, warmup_steps=warmup_steps)

    def plain(steps: np.ndarray) -> np.ndarray:
        return cosine_decay(steps, **params)

    start = 0 if warmup_target is None else warmup_steps
    top = initial_learning_rate if warmup_target is None else warmup_target
    out = np.empty(n)
    ends = [start - 1.0, float(start + decay_steps), math.inf]
    for phase, (low, high) in enumerate(_kernels.phase_rows(first, n, ends)):
        rows = out[low:high]
        if high <= low:
            continue
        if phase == 2:  # after the decay: its lowest rate, held
            rows[:] = plain(np.array([float(start + decay_steps)]))[0]
        elif high - low < _kernels.FAST_FROM:
            rows[:] = plain(np.arange(first + low, first + high, dtype=np.float64))
        elif phase == 0:
            slope = (warmup_target - initial_learning_rate) / warmup_steps
            _kernels.affine(rows, first + low, slope=slope, plain=plain)
        else:
            half = top * (1 - alpha) * 0.5
            _kernels.cosine(rows, first + low, start=start, length=decay_steps, amp=half,
                            mid=half + top * alpha, periodic=True)
            rows[[0, -1]] = plain(np.array([first + low, first + high - 1], dtype=np.float64))
    return out


def _sum_r(i: np.ndarray, t_mul: float) -> np.ndarray:
    """Where cycle i starts, in units of first_decay_steps: (1 − t_mul^i) / (1 − t_mul), as Keras
    computes it."""
    with np.errstate(over="ignore", invalid="ignore"):
        return (1.0 - np.power(t_mul, i)) / (1.0 - t_mul)


def restart_cycles(frac: np.ndarray, t_mul: float) -> tuple[np.ndarray, np.ndarray]:
    """(cycle index i, fraction of cycle i done) at t = frac · first_decay_steps.

    Keras takes i = ⌊log(1 − frac·(1 − t_mul)) / log(t_mul)⌋; a logarithm rounded by one ulp puts
    a restart that falls exactly on a step into the cycle before it, depending on the backend's
    log. lrplot takes the same logarithm and moves i by one where it lands on the wrong side of the
    cycle start Keras computes, so a restart is at its step (the warning names the steps where
    Keras may differ). t_mul = 1: i = ⌊frac⌋, exactly as Keras."""
    if t_mul == 1.0:
        i = np.floor(frac)
        return i, frac - i
    with np.errstate(divide="ignore", invalid="ignore"):
        i = np.floor(np.log(1.0 - frac * (1.0 - t_mul)) / np.log(t_mul))
        i = i - (frac < _sum_r(i, t_mul))
        i = i + (frac >= _sum_r(i + 1, t_mul))
        done = (frac - _sum_r(i, t_mul)) / np.power(t_mul, i)
    return i, done


def cosine_decay_restarts(
    t: np.ndarray, *, initial_learning_rate: float, first_decay_steps: int, t_mul: float,
    m_mul: float, alpha: float,
) -> np.ndarray:
    """SGDR: cycle i lasts first_decay_steps · t_mul^i steps, starting at first_decay_steps ·
    (1 − t_mul^i)/(1 − t_mul); with f the fraction of it done,
    η_t = initial_learning_rate · ((1 − alpha) · m_mul^i · (1 + cos(π·f)) / 2 + alpha).
    m_mul scales the cosine only: restart i peaks at initial_learning_rate · (alpha + (1 − alpha) ·
    m_mul^i). See :func:`restart_cycles` for how i is found.

    >>> cosine_decay_restarts(np.arange(4.0), initial_learning_rate=1.0, first_decay_steps=2,
    ...                       t_mul=1.0, m_mul=0.5, alpha=0.0)
    array([1.  , 0.5 , 0.5 , 0.25])
    """
    i, done = restart_cycles(t / first_decay_steps, t_mul)
    with np.errstate(over="ignore", invalid="ignore"):
        cosine_decayed = 0.5 * np.power(m_mul, i) * (1.0 + np.cos(np.pi * done))
    return initial_learning_rate * ((1 - alpha) * cosine_decayed + alpha)


def restart_rows(first_decay_steps: int, t_mul: float, last: int) -> tuple[np.ndarray, np.ndarray]:
    """(the first step of each cycle i = 1, 2, ... that starts by step ``last``, as
    :func:`restart_cycles` assigns steps; where the cycle starts, first_decay_steps · sum_r)."""
    d = first_decay_steps
    cycles = restart_cycles(np.array([last / d]), t_mul)[0][0]
    if not math.isfinite(cycles) or cycles < 1:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    i = np.arange(1.0, cycles + 1)
    starts = d * (i if t_mul == 1.0 else _sum_r(i, t_mul))
    rows = np.ceil(starts)
    # Floats may put a cycle's first step one either side of ceil(start): ask restart_cycles.
    rows -= restart_cycles((rows - 1) / d, t_mul)[0] >= i
    rows += restart_cycles(rows / d, t_mul)[0] < i
    return rows.astype(np.int64), starts


def cosine_decay_restarts_range(
    first: int, n: int, *, initial_learning_rate: float, first_decay_steps: int, t_mul: float,
    m_mul: float, alpha: float,
) -> np.ndarray:
    """:func:`cosine_decay_restarts` at steps first..first+n-1: short equal cycles (t_mul 1) by
    :func:`_equal_cycles`; otherwise each cycle of at least FAST_FROM steps by angle addition
    (_kernels.cosine), its first step (cos 0 = 1) by the formula, and the steps between such
    cycles by the formula, together."""
    a, d = initial_learning_rate, first_decay_steps

    def plain(low: int, high: int) -> np.ndarray:
        return cosine_decay_restarts(np.arange(low, high, dtype=np.float64), initial_learning_rate=a,
                                     first_decay_steps=d, t_mul=t_mul, m_mul=m_mul, alpha=alpha)

    last = first + n - 1
    if t_mul == 1.0 and d < _kernels.FAST_FROM:
        return _equal_cycles(first, n, a, d, m_mul, alpha, plain)
    rows, starts = restart_rows(d, t_mul, last)
    begins = np.concatenate(([0], rows))
    ends = np.concatenate((rows, [last + 1]))
    out = np.empty(n)
    done = first  # steps before this one are filled
    for i in np.flatnonzero(np.minimum(ends, last + 1) - np.maximum(begins, first) >= _kernels.FAST_FROM):
        low, high = max(int(begins[i]), first), min(int(ends[i]), last + 1)
        if low > done:
            out[done - first : low - first] = plain(done, low)
        start = 0.0 if i == 0 else float(starts[i - 1])
        length = d * t_mul ** float(i)
        half = a * (1 - alpha) * (0.5 * m_mul ** float(i))
        _kernels.cosine(out[low - first : high - first], low, start=start, length=length, amp=half,
                        mid=half + a * alpha,
                        periodic=start.is_integer() and length.is_integer() and length < 2**52)
        if low == begins[i]:
            out[low - first] = plain(low, low + 1)[0]
        done = high
    if done <= last:
        out[done - first :] = plain(done, last + 1)
    return out


def _equal_cycles(first: int, n: int, a: float, d: int, m_mul: float, alpha: float,
                  plain: Callable[[int, int], np.ndarray]) -> np.ndarray:
    """Rows first..first+n-1 of CosineDecayRestarts with t_mul 1 and short cycles of d steps.

    Keras' phase is fl(t/d) − ⌊t/d⌋, and while t/d stays in one binade [2^k, 2^(k+1)) its rounding
    repeats every d steps (fl(x + 1) = fl(x) + 1 there): so each binade's first cycle, by the formula,
    is every cycle of that binade, exactly. With m_mul 1 it is repeated; otherwise its 1 + cos(π·f)
    is scaled by the cycles' heights (a·(1 − alpha)/2 · m_mul^i, _kernels.geometric). The cycles are
    written as rows of one (cycles, d) array, of which the rows asked for are a view."""
    first_cycle, last_cycle = first // d, (first + n - 1) // d
    grid = np.empty((last_cycle - first_cycle + 1, d))
    cycle = first_cycle
    while cycle <= last_cycle:
        # Cycles cycle..end-1 share a binade of t/d (cycle 0 is the first binade's part below 1).
        end = min((1 << cycle.bit_length()) if cycle else 1, last_cycle + 1)
        rows = grid[cycle - first_cycle : end - first_cycle]
        if m_mul == 1.0:
            rows[:] = plain(cycle * d, cycle * d + d)
        else:
            frac = np.arange(cycle * d, cycle * d + d, dtype=np.float64) / d
            wave = 1.0 + np.cos(np.pi * (frac - np.floor(frac)))
            heights = _kernels.geometric(np.empty(end - cycle), cycle, scale=a * (1 - alpha) * 0.5,
                                         ratio=m_mul)
            np.multiply(heights[:, None], wave, out=rows)
            if alpha:
                rows += a * alpha
        cycle = end
    offset = first - first_cycle * d
    return grid.reshape(-1)[offset : offset + n]


def piecewise_constant_decay(
    t: np.ndarray, *, boundaries: tuple[int, ...], values: tuple[float, ...]
) -> np.ndarray:
    """η_t = values[0] for t <= boundaries[0], values[i] for boundaries[i-1] < t <= boundaries[i],
    values[-1] for t > boundaries[-1]: each value holds through its boundary step.

    >>> piecewise_constant_decay(np.arange(4.0), boundaries=(1,), values=(1.0, 0.1))
    array([1. , 1. , 0.1, 0.1])
    """
    return np.asarray(values, dtype=np.float64)[np.searchsorted(np.asarray(boundaries, dtype=np.float64), t)]


def piecewise_constant_decay_range(
    first: int, n: int, *, boundaries: tuple[int, ...], values: tuple[float, ...]
) -> np.ndarray:
    """:func:`piecewise_constant_decay` at steps first..first+n-1 (_kernels.pieces): value i from
    step boundaries[i-1] + 1 on."""
    bounds = [0, *(min(max(b + 1 - first, 0), n) for b in boundaries), n]
    return _kernels.pieces(n, bounds, values)


# --- parameters checked together, limits and default lengths ------------------------------------------


def resolve_piecewise(params: dict[str, Any], context: Context) -> dict[str, Any]:
    """Keras raises unless there is one more value than boundaries; it documents boundaries as
    strictly increasing and, given others, adds up the values of the ranges that overlap."""
    boundaries, values = params["boundaries"], params["values"]
    if len(values) != len(boundaries) + 1:
        raise Invalid(
            f"{{}} needs one more number than {{}}: {len(boundaries)} boundaries make "
            f"{len(boundaries) + 1} ranges, got {len(values)} values (Keras raises)",
            "values", "boundaries",
        )
    for low, high in zip(boundaries, boundaries[1:]):
        if high <= low:
            raise Invalid(
                f"{{}} must be strictly increasing, got {low} then {high} (Keras requires it, and "
                "adds up the values of ranges that overlap otherwise)",
                "boundaries",
            )
    return params


def _periods(p: float) -> int:
    """The whole decay periods that hold p periods: at least 1, at most MAX_PERIODS."""
    return max(1, min(math.ceil(p - 1e-9), MAX_PERIODS))


def exponential_horizon(params: Mapping[str, Any]) -> int:
    r, d = params["decay_rate"], params["decay_steps"]
    if r == 0.0:
        periods = 1
    elif r >= 1.0:
        periods = OPEN_PERIODS
    else:
        periods = _periods(math.log(EXPONENTIAL_TO) / math.log(r))
    rows = min(periods * d + 1, MAX_DEFAULT_ROWS)
    bound = exponential_limit(params)
    return rows if bound is None else min(rows, bound[0])


def exponential_limit(params: Mapping[str, Any]) -> tuple[int, Invalid] | None:
    """A growing rate (decay_rate > 1) passes the largest float64: rows while it stays finite."""
    a, d, r = params["initial_learning_rate"], params["decay_steps"], params["decay_rate"]
    if r <= 1.0:
        return None
    periods = (math.log(LARGEST) - max(math.log(a), 0.0) if a > 0 else math.log(LARGEST)) / math.log(r)
    rows = max(1, math.floor(periods * d) - 1)
    if params["staircase"]:
        rows = max(1, (math.floor(periods) - 1) * d + 1)
    if rows > 2**53:
        return None
    return rows, Invalid(
        f"past step {rows - 1} the rate passes the largest float64 (1.8e308); lower {{}}", "decay_rate"
    )


def inverse_horizon(params: Mapping[str, Any]) -> int:
    r, d = params["decay_rate"], params["decay_steps"]
    if r == 0:
        periods = OPEN_PERIODS
    else:
        periods = _periods((1 / INVERSE_TO - 1) / r)  # 1 / (1 + r·p) = INVERSE_TO
    return min(periods * d + 1, MAX_DEFAULT_ROWS)


def polynomial_horizon(params: Mapping[str, Any]) -> int:
    d = params["decay_steps"]
    return min((SHOWN_CYCLES if params["cycle"] else 1) * d + 1, MAX_DEFAULT_ROWS)


def piecewise_horizon(params: Mapping[str, Any]) -> int:
    last = params["boundaries"][-1]
    return last + 1 + math.ceil((last + 1) / 4)


def cosine_horizon(params: Mapping[str, Any]) -> int:
    return _decay_end(params) + 1


def _decay_end(params: Mapping[str, Any]) -> int:
    """The step where CosineDecay reaches its lowest rate (the warm-up counts only with a target)."""
    warm = params["warmup_steps"] if params["warmup_target"] is not None else 0
    return warm + params["decay_steps"]


def restarts_horizon(params: Mapping[str, Any]) -> int:
    d, t_mul = params["first_decay_steps"], params["t_mul"]
    span = d * sum(t_mul**i for i in range(SHOWN_CYCLES))
    rows = min(math.ceil(span) + 1, MAX_DEFAULT_ROWS)
    bound = restarts_limit(params)
    return rows if bound is None else min(rows, bound[0])


def restarts_limit(params: Mapping[str, Any]) -> tuple[int, Invalid] | None:
    """Rows before Keras' rate is NaN (t_mul < 1: the shrinking cycles add up to
    first_decay_steps / (1 − t_mul) steps, past which the logarithm's argument is <= 0) or passes
    the largest float64 (m_mul > 1: each cycle higher)."""
    a, d, t_mul, m_mul = (params[k] for k in ("initial_learning_rate", "first_decay_steps", "t_mul", "m_mul"))
    found: list[tuple[int, Invalid]] = []
    if t_mul < 1.0:
        rows = _nan_from(d, t_mul)
        found.append((rows, Invalid(
            f"{{}} {t_mul:g} < 1 shrinks the cycles, which add up to {d / (1 - t_mul):.6g} steps: "
            f"from step {rows} Keras' rate is NaN (its logarithm's argument reaches 0, in float32 or "
            f"float64); plot at most {rows} steps, or raise {{}} to 1 or more",
            "t_mul", "t_mul",
        )))
    if m_mul > 1.0:
        cycles = math.floor((math.log(LARGEST) - max(math.log(a), 0.0) if a > 0 else math.log(LARGEST))
                            / math.log(m_mul)) - 1
        start = d * cycles if t_mul == 1 else d * float(_sum_r(np.float64(cycles), t_mul))
        if math.isfinite(start) and start < 2**53:
            rows = max(1, math.floor(start))
            found.append((rows, Invalid(
                f"from cycle {cycles} (step {rows}) the rate passes the largest float64 (1.8e308); "
                "lower {}", "m_mul",
            )))
    return min(found, key=lambda f: f[0]) if found else None


def _nan_from(first_decay_steps: int, t_mul: float) -> int:
    """The first step where Keras' logarithm may get 1 − (t/first_decay_steps)·(1 − t_mul) <= 0:
    in float64 or in its default float32 (where t_mul is rounded, and XLA divides by the reciprocal),
    the product rounded as written or not at all (a fused multiply-add, which XLA may use)."""
    d = first_decay_steps

    def reached(step: int) -> bool:
        for kind in (np.float64, np.float32):
            shrink = kind(1.0) - kind(t_mul)
            if shrink == 0:  # t_mul rounds to 1: Keras takes the floor branch, no logarithm
                continue
            for frac in (kind(step) / kind(d), kind(step) * (kind(1.0) / kind(d))):
                if kind(1.0) - frac * shrink <= 0 or Fraction(float(frac)) * Fraction(float(shrink)) >= 1:
                    return True
        return False

    shrinks = [float(kind(1.0) - kind(t_mul)) for kind in (np.float64, np.float32)]
    total = min(d / shrink for shrink in shrinks if shrink > 0)
    step = max(0, math.floor(total * (1 - 1e-6)) - 2)
    while not reached(step):
        step += 1
    return step


# --- warnings and annotations --------------------------------------------------------------------------


def _listed(steps: list[int]) -> str:
    shown = ", ".join(str(s) for s in steps[:LISTED])
    return shown + (f" and {len(steps) - LISTED} more" if len(steps) > LISTED else "")


def common_warnings(params: Mapping[str, Any], n: int) -> tuple[str, ...]:
    """What the optimizer's iteration count means for every Keras schedule: gradient accumulation
    (when given), and runs too long for Keras' float32 step."""
    found = []
    k = params.get("gradient_accumulation_steps")
    if k is not None:
        rows = list(range(k - 1, min(n, k * (LISTED + 1)), k))
        updates = n // k
        if updates == 0:
            what = f"these {n} rows hold no update (the first trains with row {k - 1})"
        elif updates == 1:
            what = f"the one update in these {n} rows trains with row {k - 1}"
        else:
            more = f" and {updates - LISTED} more" if updates > LISTED else ""
            shown = ", ".join(map(str, rows[:LISTED]))
            what = f"the {updates} updates in these {n} rows train with rows {shown}{more}"
        found.append(
            f"gradient_accumulation_steps {k}: Keras' optimizer updates every {k} iterations but "
            f"passes the schedule the iteration count, not the update count: {what}, and every "
            f"length here counts iterations (a decay over N updates needs N x {k} steps)"
        )
    if n > FLOAT32_EXACT_STEPS:
        found.append(
            f"{n} rows pass step 2^24 = {FLOAT32_EXACT_STEPS}: Keras casts the step to float32 by "
            "default, which holds only every 2nd, 4th, ... whole number past it, so its rates there "
            "repeat in runs (floatx float64 keeps the step; its jax, numpy and torch backends still "
            "take floor, ceil and cos in float32); lrplot shows the exact steps"
        )
    return tuple(found)


def float32_off_multiples(d: int, n: int) -> tuple[list[int], list[int]]:
    """The multiples of d below n (and 2^24) where Keras' default float32 on jax gets t / d an ulp
    off the whole number: XLA divides an array by a scalar as t · (1/d), so 61 · fl32(1/61) is
    0.99999994 and 21 · fl32(1/7) is 3.0000002. (below: a floor there is one step late; above: a
    ceil one step early.) Keras' float64 floors a float32 of its quotient, which absorbs its ulp."""
    top = min(n - 1, FLOAT32_EXACT_STEPS) // d
    if top < 1 or math.frexp(d)[0] == 0.5:  # 1/d of a power of two is exact
        return [], []
    whole = np.arange(1, top + 1, dtype=np.float64)
    steps = whole * d
    q = steps.astype(np.float32) * (np.float32(1) / np.float32(d))
    return steps[q < whole].astype(np.int64).tolist(), steps[q > whole].astype(np.int64).tolist()


def _xla_division(what: str) -> str:
    return (f"XLA computes t / {what} as t x (1/{what}), which rounds just off those multiples of "
            f"{what}")


def warn_staircase(params: Mapping[str, Any], n: int) -> tuple[str, ...]:
    found = common_warnings(params, n)
    if params["staircase"]:
        late, _ = float32_off_multiples(params["decay_steps"], n)
        if late:
            found += (
                f"in Keras' default float32 (on jax) the staircase drops one step late at steps "
                f"{_listed(late)}: {_xla_division('decay_steps')}; lrplot drops on them, as Keras' "
                "float64 does",
            )
    return found


def alpha_warning(alpha: float, what: str) -> tuple[str, ...]:
    if alpha < 1.0:
        return ()
    shape = "stays flat" if alpha == 1.0 else f"rises to {alpha:g} x {what} instead of falling"
    return (f"alpha {alpha:g} >= 1: the rate {shape} (alpha is the lowest rate as a fraction of {what}); "
            "set alpha below 1, e.g. 0 or 0.01",)


def warn_polynomial(params: Mapping[str, Any], n: int) -> tuple[str, ...]:
    found = common_warnings(params, n)
    d, a, e, power = (params[k] for k in (
        "decay_steps", "initial_learning_rate", "end_learning_rate", "power"))
    if params["cycle"] and n > d + 1:
        again = polynomial_decay(np.array([d + 1.0, 2.0 * d + 1]), initial_learning_rate=a, decay_steps=d,
                                 end_learning_rate=e, power=power, cycle=True)
        second = f", at step {2 * d + 1} {again[1]:.6g}" if n > 2 * d + 1 else ""
        found += (
            f"cycle: each cycle decays over the next multiple of decay_steps {d} (cycle k over k x {d} "
            f"steps, counted from step 0), so it restarts lower each time, not at initial_learning_rate "
            f"{a:g}: at step {d + 1} the rate is {again[0]:.6g}{second}; every multiple of {d} ends on "
            f"end_learning_rate {e:g} (step 0 belongs to the first cycle: Keras takes its multiple as 1)",
        )
        _, early = float32_off_multiples(d, n)
        if early:
            k = early[0] // d
            shown = (a - e) * (1 / (k + 1)) ** power + e
            found += (
                f"in Keras' default float32 (on jax) the cycles ending at steps {_listed(early)} give "
                f"that step to the next cycle: {_xla_division('decay_steps')}, and the ceiling takes the "
                f"next multiple (at step {early[0]} Keras' rate is {shown:.6g}, not end_learning_rate "
                f"{e:g}); lrplot ends each cycle on its multiple, as Keras' float64 does",
            )
    return found


def warn_cosine(params: Mapping[str, Any], n: int) -> tuple[str, ...]:
    found = common_warnings(params, n)
    a, target, warm = params["initial_learning_rate"], params["warmup_target"], params["warmup_steps"]
    if target is None and warm > 0:
        found += (
            f"warmup_steps {warm} has no effect without warmup_target: CosineDecay warms up only "
            f"towards a warmup_target, so the decay starts at step 0 from initial_learning_rate {a:g}; "
            "set warmup_target to the peak rate (and initial_learning_rate to the start of the warm-up)",
        )
    if target is not None and warm == 0:
        found += (
            f"warmup_target {target:g} with warmup_steps 0: there is no warm-up, the decay starts at "
            f"step 0 from warmup_target and initial_learning_rate {a:g} is not used",
        )
    return found + alpha_warning(params["alpha"], "warmup_target" if target is not None else
                                 "initial_learning_rate")


def near_restarts(params: Mapping[str, Any], n: int) -> list[int]:
    """The steps below n on which a restart falls (to 1e-9), where Keras' float32 logarithms may
    round the cycle index down and put the step at the end of the cycle before. Not for t_mul = 1
    (floored, exactly) nor a power of two (XLA's float32 log(2^k) / log(2) is k exactly; on jax
    Keras' float64 floors a float32 of the ratio, which absorbs an ulp): in Keras 3.15 on jax,
    t_mul 1.1, 1.2, 1.25 and 0.75 put most such restarts a step late, 1.5, 2.5, 3 and 5 none."""
    d, t_mul = params["first_decay_steps"], params["t_mul"]
    if math.frexp(t_mul)[0] == 0.5:  # 1, 2, 4, 0.5, ...
        return []
    _, starts = restart_rows(d, t_mul, n - 1)
    near = np.abs(starts - np.round(starts)) <= NEAR_RESTART * np.maximum(1.0, starts)
    return [int(s) for s in np.round(starts[near])]


def warn_restarts(params: Mapping[str, Any], n: int) -> tuple[str, ...]:
    found = common_warnings(params, n)
    a, d, t_mul, m_mul, alpha = (params[k] for k in ("initial_learning_rate", "first_decay_steps", "t_mul",
                                                     "m_mul", "alpha"))
    found += alpha_warning(alpha, "initial_learning_rate")
    rows, _ = restart_rows(d, t_mul, n - 1)
    if m_mul != 1.0 and alpha > 0 and len(rows):
        peak = a * (alpha + (1 - alpha) * m_mul)
        found += (
            f"m_mul {m_mul:g} with alpha {alpha:g}: m_mul scales only the cosine above the floor "
            f"alpha x initial_learning_rate, so restart i peaks at initial_learning_rate x (alpha + "
            f"(1 - alpha) x m_mul^i): the first at {peak:.6g}, not initial_learning_rate x m_mul = "
            f"{a * m_mul:.6g}",
        )
    if t_mul == 1.0:
        late, _ = float32_off_multiples(d, n)
        if late:
            found += (
                f"in Keras' default float32 (on jax) the restarts at steps {_listed(late)} come one step "
                f"late: {_xla_division('first_decay_steps')}; Keras' rate there is the end of the cycle "
                f"before ({a * alpha:.6g}); lrplot restarts on the step, as Keras' float64 does",
            )
    on_step = near_restarts(params, n)
    if on_step:
        end = a * alpha
        found += (
            f"restarts at steps {_listed(on_step)} fall exactly on a step: Keras finds the cycle from "
            "float32 logarithms, floor(log(1 - (t/first_decay_steps)(1 - t_mul)) / log(t_mul)), and "
            f"where those round down it gives that step the end of the cycle before ({end:.6g}) and "
            "restarts one step later (for t_mul 1.25, at most such steps); lrplot restarts on the step",
        )
    if t_mul < 1.0:
        total = d / (1 - t_mul)
        tiny = math.ceil(math.log(d) / -math.log(t_mul)) if d > 1 else 0  # the first cycle under a step
        short = f"{d * float(_sum_r(np.float64(tiny), t_mul)):.0f}"
        found += (
            f"t_mul {t_mul:g} < 1: each cycle is shorter than the one before, and they add up to "
            f"{total:.6g} steps (Keras' rate is NaN from step {_nan_from(d, t_mul)}); from about step "
            f"{short} the cycles last less than a step, so the rates there follow no cosine "
            "(and depend on rounding)",
        )
    return found


def cycle_phases(bounds: list[float], n: int, label: str) -> Annotations:
    """Each cycle of a cycling schedule as a phase, when few enough fit in the rows: cycle i holds
    the steps after bounds[i-1] through bounds[i] (the first from step 0), the last through n-1."""
    ends = [*bounds[1:], float(n - 1)]
    if len(bounds) < 2 or len(bounds) > MARKED_CYCLES:
        return Annotations()
    phases = [Phase(f"{label} {i + 1}", s, e) for i, (s, e) in enumerate(zip(bounds, ends)) if s < e]
    return Annotations(phases=tuple(phases))


def annotate_restarts(params: Mapping[str, Any], n: int) -> Annotations:
    d, t_mul = params["first_decay_steps"], params["t_mul"]
    if (n - 1) / d > MARKED_CYCLES * max(1.0, t_mul) ** MARKED_CYCLES:
        return Annotations()  # too many cycles to mark (and to list cheaply)
    rows, _ = restart_rows(d, t_mul, n - 1)
    return cycle_phases([0.0, *(rows - 1.0).tolist()], n, "cycle")


def annotate_polynomial(params: Mapping[str, Any], n: int) -> Annotations:
    d = params["decay_steps"]
    if not params["cycle"]:
        if n - 1 <= d:
            return Annotations()
        return Annotations(phases=(Phase("decay", 0, d), Phase("at end_learning_rate", d, n - 1)))
    return cycle_phases([0.0, *(float(k * d) for k in range(1, math.ceil((n - 1) / d)))], n, "cycle")


def annotate_cosine(params: Mapping[str, Any], n: int) -> Annotations:
    """The warm-up (steps 0..warmup_steps-1, below warmup_steps: Keras' cond), the decay through
    its lowest rate, and the rows after it."""
    target, warm = params["warmup_target"], params["warmup_steps"]
    end = _decay_end(params)
    phases = []
    start = 0
    if target is not None and warm > 0:
        phases.append(Phase("warm-up", 0, warm - 1))
        start = warm - 1
    phases.append(Phase("decay", start, min(end, n - 1)))
    if n - 1 > end:
        phases.append(Phase("after decay_steps", end, n - 1))
    return Annotations(phases=tuple(phases)) if len(phases) > 1 else Annotations()


def derived_cosine(params: Mapping[str, Any]) -> dict[str, Any]:
    end = _decay_end(params)
    low = cosine_decay(np.array([float(end)]), **{k: params[k] for k in (
        "initial_learning_rate", "decay_steps", "alpha", "warmup_target", "warmup_steps")})
    return {"decay_ends_at_step": end, "final_learning_rate": float(low[0])}


# --- code for Keras --------------------------------------------------------------------------------


def _literal(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return repr(value)


def emitter(
    class_name: str, schedule_params: tuple[Param, ...]
) -> Callable[[Mapping[str, Any], int, str], str]:
    """The script for one Keras schedule class: built as a user would, called once per step."""

    def emit(params: Mapping[str, Any], rows: int, label: str) -> str:
        arguments = [
            f"    {p.name}={_literal(params[p.name])},"
            for p in schedule_params
            if p.argument and params.get(p.name) is not None and (p.required or params[p.name] != p.default)
        ]
        heading = (f"{label} ({ORIGIN}{class_name}), as lrplot draws it: row t is schedule(t), the rate "
                   f"for the optimizer's iteration t (t = 0..{rows - 1}). Keras reads its backend from "
                   "the KERAS_BACKEND environment variable (jax, tensorflow, torch or numpy) when first "
                   "imported; it computes in float32 unless floatx is float64.")
        lines = [
            *textwrap.wrap(heading, EMIT_WIDTH, initial_indent="# ", subsequent_indent="# ",
                           break_on_hyphens=False),
            "import keras",
            "",
            f"schedule = keras.optimizers.schedules.{class_name}(",
            *arguments,
            ")",
        ]
        k = params.get("gradient_accumulation_steps")
        if k is not None:
            lines += [
                "# An optimizer built as",
                f"#     keras.optimizers.SGD(learning_rate=schedule, gradient_accumulation_steps={k})",
                f"# updates at iterations {k - 1}, {2 * k - 1}, ..., with rows {k - 1}, {2 * k - 1}, ... "
                "of lrs.",
            ]
        lines += [
            f"lrs = [float(schedule(step)) for step in range({rows})]",
            "for lr in lrs:",
            "    print(repr(lr))",
        ]
        return "\n".join(lines) + "\n"

    return emit


# --- the registry ---------------------------------------------------------------------------------


# Each class's constructor parameters in order (Keras 3.15), for `lrplot code`'s positional
# arguments; tests/test_code.py checks them against Keras' own signatures.
SIGNATURES = {
    "ExponentialDecay": ("initial_learning_rate", "decay_steps", "decay_rate", "staircase", "name"),
    "PiecewiseConstantDecay": ("boundaries", "values", "name"),
    "PolynomialDecay": ("initial_learning_rate", "decay_steps", "end_learning_rate", "power", "cycle",
                        "name"),
    "InverseTimeDecay": ("initial_learning_rate", "decay_steps", "decay_rate", "staircase", "name"),
    "CosineDecay": ("initial_learning_rate", "decay_steps", "alpha", "name", "warmup_target", "warmup_steps"),
    "CosineDecayRestarts": ("initial_learning_rate", "first_decay_steps", "t_mul", "m_mul", "alpha", "name"),
}


def keras_schedule(
    name: str, class_name: str, summary: str, params: tuple[Param, ...], **entry: Any
) -> Schedule:
    everything = (*params, ACCUMULATION)
    entry.setdefault("warn", common_warnings)
    return register(Schedule(
        name=name,
        framework=FRAMEWORK,
        origin=ORIGIN + class_name,
        summary=summary,
        params=everything,
        emit=emitter(class_name, everything),
        signature=SIGNATURES[class_name],
        **entry,
    ))


EXPONENTIAL_DECAY = keras_schedule(
    "exponential-decay", "ExponentialDecay",
    "initial_learning_rate * decay_rate^(t / decay_steps), the exponent floored with --staircase.",
    (
        initial_rate("The rate at step 0."),
        DECAY_STEPS,
        Real("decay_rate", "The factor per decay_steps steps (above 1 the rate grows).", required=True, ge=0),
        STAIRCASE,
    ),
    lr=exponential_decay,
    lr_range=exponential_decay_range,
    warn=warn_staircase,
    horizon=exponential_horizon,
    horizon_text="whole decay periods until the rate is 1% of initial_learning_rate (at most 100 "
    "periods and 10^6 rows; 10 periods if decay_rate >= 1), plus one row",
    limit=exponential_limit,
    example="keras exponential-decay --initial-learning-rate 0.1 --decay-steps 100 --decay-rate 0.5",
    scaled=lambda n: {"initial_learning_rate": 0.1, "decay_steps": max(1, n // 100), "decay_rate": 0.96},
)

PIECEWISE_CONSTANT_DECAY = keras_schedule(
    "piecewise-constant-decay", "PiecewiseConstantDecay",
    "values[i] from step boundaries[i-1] + 1 through step boundaries[i]; each value holds through "
    "its boundary.",
    (
        IntegerList("boundaries", "The last step of each value but the last, strictly increasing.",
                    required=True, ge=0),
        FloatList("values", "The rates: one more than boundaries.", required=True, ge=0),
    ),
    lr=piecewise_constant_decay,
    lr_range=piecewise_constant_decay_range,
    resolve=resolve_piecewise,
    horizon=piecewise_horizon,
    horizon_text="through the last boundary and a quarter more (last + 1 + ceil((last + 1) / 4) rows)",
    example="keras piecewise-constant-decay --boundaries 1000,2000 --values 0.1,0.01,0.001",
    scaled=lambda n: {"boundaries": [n // 3, 2 * n // 3], "values": [0.1, 0.01, 0.001]},
)

POLYNOMIAL_DECAY = keras_schedule(
    "polynomial-decay", "PolynomialDecay",
    "From initial_learning_rate to end_learning_rate in decay_steps along (1 - t/decay_steps)^power.",
    (
        initial_rate("The rate at step 0."),
        DECAY_STEPS,
        Real("end_learning_rate", "The rate reached at step decay_steps (and kept).", 0.0001, ge=0),
        Real("power", "The power of the polynomial (1: a straight line).", 1.0, ge=0),
        Switch("cycle", "Decay again after decay_steps, over the next multiple of decay_steps.", False),
    ),
    lr=polynomial_decay,
    lr_range=polynomial_decay_range,
    horizon=polynomial_horizon,
    horizon_text="decay_steps + 1 rows (three cycles, 3 * decay_steps + 1, with --cycle; at most 10^6)",
    annotate=annotate_polynomial,
    warn=warn_polynomial,
    derived=lambda p: {"decay_ends_at_step": p["decay_steps"]},
    example="keras polynomial-decay --initial-learning-rate 0.1 --decay-steps 1000 --end-learning-rate "
    "0.001 --power 0.5",
    scaled=lambda n: {"initial_learning_rate": 0.1, "decay_steps": n - 1, "end_learning_rate": 0.001,
                      "power": 2.0},
)

INVERSE_TIME_DECAY = keras_schedule(
    "inverse-time-decay", "InverseTimeDecay",
    "initial_learning_rate / (1 + decay_rate * t / decay_steps), t / decay_steps floored with --staircase.",
    (
        initial_rate("The rate at step 0."),
        DECAY_STEPS,
        Real("decay_rate", "How much the denominator grows per decay_steps steps.", required=True, ge=0),
        STAIRCASE,
    ),
    lr=inverse_time_decay,
    lr_range=inverse_time_decay_range,
    warn=warn_staircase,
    horizon=inverse_horizon,
    horizon_text="whole decay periods until the rate is 10% of initial_learning_rate (at most 100 "
    "periods and 10^6 rows; 10 periods if decay_rate is 0), plus one row",
    example="keras inverse-time-decay --initial-learning-rate 0.1 --decay-steps 100 --decay-rate 0.5",
    scaled=lambda n: {"initial_learning_rate": 0.1, "decay_steps": max(1, n // 100), "decay_rate": 0.5},
)

COSINE_DECAY = keras_schedule(
    "cosine-decay", "CosineDecay",
    "Optional linear warm-up to warmup_target, then half a cosine over decay_steps more steps.",
    (
        initial_rate("The rate at step 0: where the warm-up starts, or the cosine without warmup_target."),
        Integer("decay_steps", "Steps of the cosine, after the warm-up (Keras refuses <= 0).",
                required=True, ge=1),
        ALPHA,
        Real("warmup_target", "The rate the warm-up reaches and the cosine starts from (none: no "
             "warm-up, whatever warmup_steps says).", ge=0),
        Integer("warmup_steps", "Steps of the linear warm-up (only with warmup_target).", 0, ge=0),
    ),
    lr=cosine_decay,
    lr_range=cosine_decay_range,
    horizon=cosine_horizon,
    horizon_text="through the end of the decay: warmup_steps + decay_steps + 1 rows with "
    "warmup_target, decay_steps + 1 without",
    annotate=annotate_cosine,
    warn=warn_cosine,
    derived=derived_cosine,
    example="keras cosine-decay --initial-learning-rate 0 --decay-steps 900 --warmup-target 0.1 "
    "--warmup-steps 100",
    scaled=lambda n: {"initial_learning_rate": 0.0, "decay_steps": n - 1 - n // 10, "warmup_target": 0.1,
                      "warmup_steps": n // 10},
)

COSINE_DECAY_RESTARTS = keras_schedule(
    "cosine-decay-restarts", "CosineDecayRestarts",
    "SGDR: cosines from initial_learning_rate, each t_mul times longer and m_mul times higher.",
    (
        initial_rate("The rate at step 0 and at the top of the first cycle."),
        Integer("first_decay_steps", "Steps of the first cycle (Keras refuses <= 0).", required=True, ge=1),
        Real("t_mul", "Each cycle is t_mul times longer than the one before (below 1: shorter).", 2.0, gt=0),
        Real("m_mul", "Each cycle's cosine is m_mul times the one before.", 1.0, ge=0),
        Real("alpha", "The lowest rate, as a fraction of initial_learning_rate (m_mul does not scale it).",
             0.0, ge=0),
    ),
    lr=cosine_decay_restarts,
    lr_range=cosine_decay_restarts_range,
    horizon=restarts_horizon,
    horizon_text="three cycles and the first step of the fourth: first_decay_steps * (1 + t_mul + "
    "t_mul^2) + 1 rows (at most 10^6)",
    limit=restarts_limit,
    annotate=annotate_restarts,
    warn=warn_restarts,
    example="keras cosine-decay-restarts --initial-learning-rate 0.1 --first-decay-steps 100 --t-mul 2 "
    "--m-mul 0.8 --alpha 0.01",
    scaled=lambda n: {"initial_learning_rate": 0.1, "first_decay_steps": max(1, n // 7), "t_mul": 2.0,
                      "m_mul": 0.9, "alpha": 0.01},
)
