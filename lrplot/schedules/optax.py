"""optax's schedules (optax 0.2.8, ``optax/schedules/_schedule.py`` and ``_join.py``): ``lrplot optax NAME``.

Row t is ``schedule(t)``: the value optax's ``scale_by_schedule`` (and every optimizer built with a
schedule as its learning rate) uses for update t, its int32 step count starting at 0. An optax
schedule is the rate itself (``init_value``, ``peak_value``), so there is no ``--lr`` here.

lrplot evaluates optax's formulas in float64, in optax's order of operations: the numbers are
optax's with ``jax_enable_x64`` set; by default optax computes in float32 (the step count too, so
past 2^24 steps it cannot tell every step apart).

Each schedule is the optax function of that name with its arguments and defaults. Where optax
raises, lrplot refuses; where it quietly does something else (a constant schedule for
``transition_steps <= 0`` or ``decay_rate == 0``, a negative ``transition_begin`` taken as 0, an
``end_value`` that clips from the other side), lrplot does the same and warns.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from lrplot.params import Choice, Integer, IntegerList, Invalid, Param, Real, Schedules, Switch, literal, show
from lrplot.registry import Annotations, Context, Phase, Schedule, entry, register

from . import _kernels

FRAMEWORK = "optax"
# Open-ended schedules (a constant, a decay without end) get this many rows by default.
OPEN_ROWS = 100
# An exponential decay is shown until it reaches end_value or 1% of its start, at most this long.
DECAY_TO = 0.01
MAX_DEFAULT_ROWS = 1_000_000
# Past 2^24 a float32 no longer holds every whole number: optax's float32 step count rounds.
FLOAT32_EXACT_STEPS = 2**24

Fn = Callable[[np.ndarray], np.ndarray]
RangeFn = Callable[[int, int, np.ndarray], np.ndarray]


# --- parameter kinds ------------------------------------------------------------------------------


class BoundariesAndScales(Mapping):
    """optax's ``boundaries_and_scales``: {step: scale}, kept as given (optax sorts it itself)."""

    def __init__(self, pairs: Mapping[int, float]) -> None:
        self._pairs = dict(pairs)

    def __getitem__(self, step: int) -> float:
        return self._pairs[step]

    def __iter__(self) -> Iterator[int]:
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def describe(self) -> str:
        return ",".join(f"{step}={scale:g}" for step, scale in self._pairs.items())

    def __repr__(self) -> str:
        return repr(self._pairs)


class BoundariesAndScalesParam(Param):
    """Steps and the scale multiplied into the rate there: ``100=0.1,200=0.1`` on the command
    line, a mapping ``{100: 0.1, 200: 0.1}`` in YAML. Scales must be >= 0 (optax raises on a
    negative one); a step given twice is refused (a dict cannot hold it)."""

    metavar = "STEP=SCALE,..."

    _STEP = Integer("step", "")
    _SCALE = Real("scale", "", ge=0)

    def allowed(self) -> str:
        return "steps and scales as STEP=SCALE,... (e.g. 100=0.1,200=0.1), scales >= 0"

    def parse(self, raw: Any) -> BoundariesAndScales:
        if isinstance(raw, str):
            if not raw.strip():
                raise self._bad(raw)
            items = []
            for part in raw.split(","):
                step, eq, scale = part.partition("=")
                if not eq:
                    raise self._bad(raw)
                items.append((step.strip(), scale.strip()))
        elif isinstance(raw, Mapping):
            items = list(raw.items())
        else:
            raise self._bad(raw)
        pairs: dict[int, float] = {}
        for step_raw, scale_raw in items:
            try:
                step = self._STEP.parse(step_raw)
                scale = self._SCALE.parse(scale_raw)
            except Invalid:
                if isinstance(step_raw, (int, str)) and _is_number(scale_raw) and float(scale_raw) < 0:
                    raise Invalid(
                        f"{{}} scales must be >= 0 (optax raises on a negative scale factor), got "
                        f"{show(step_raw)}={show(scale_raw)}",
                        self.name,
                    ) from None
                raise self._bad(raw) from None
            if step in pairs:
                raise Invalid(f"{{}} gives step {step} twice", self.name)
            pairs[step] = scale
        return BoundariesAndScales(pairs)


def _is_number(raw: Any) -> bool:
    try:
        return not isinstance(raw, bool) and math.isfinite(float(raw))
    except (TypeError, ValueError):
        return False


class Cycle(Mapping):
    """One cycle of optax's sgdr_schedule: the keyword arguments of a warmup_cosine_decay_schedule."""

    def __init__(self, kwargs: Mapping[str, Any]) -> None:
        self._kwargs = dict(kwargs)

    def __getitem__(self, key: str) -> Any:
        return self._kwargs[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._kwargs)

    def __len__(self) -> int:
        return len(self._kwargs)

    def describe(self) -> str:
        return "(" + " ".join(f"{k}={v:g}" for k, v in self._kwargs.items()) + ")"

    def __repr__(self) -> str:
        return repr(self._kwargs)


class CosineCycles(Param):
    """sgdr's ``cosine_kwargs``: a list of mappings (YAML or Python only), each the arguments of
    one warmup_cosine_decay_schedule (init_value, peak_value, warmup_steps, decay_steps, and
    optionally end_value and exponent). Each is checked as that schedule checks its own."""

    metavar = "LIST"

    def allowed(self) -> str:
        return ("a non-empty list of mappings, each with init_value, peak_value, warmup_steps, "
                "decay_steps (and optionally end_value, exponent)")

    def parse(self, raw: Any) -> tuple[Cycle, ...]:
        if not isinstance(raw, (list, tuple)) or not raw:
            raise self._bad(raw)
        kinds = {p.name: p for p in WARMUP_COSINE_PARAMS}
        cycles = []
        for index, item in enumerate(raw):
            where = f"{{}}[{index}]"
            if not isinstance(item, Mapping):
                raise Invalid(f"{where} must be a mapping of warmup_cosine_decay_schedule's arguments, "
                              f"got {show(item)}", self.name)
            for key in item:
                if key not in kinds:
                    raise Invalid(f"{where}: {show(key)} is not an argument of "
                                  f"warmup_cosine_decay_schedule ({', '.join(kinds)})", self.name)
            kwargs: dict[str, Any] = {}
            for name, kind in kinds.items():
                if item.get(name) is None:
                    if kind.required:
                        raise Invalid(f"{where} needs {name}", self.name)
                    continue
                try:
                    kwargs[name] = kind.parse(item[name])
                except Invalid as invalid:
                    raise _nested(invalid, f"{where}.", self.name) from None
            try:
                _check_decay_after_warm_up(kwargs)
            except Invalid as invalid:
                raise _nested(invalid, f"{where}.", self.name) from None
            cycles.append(Cycle(kwargs))
        return tuple(cycles)


def _nested(invalid: Invalid, prefix: str, outer: str) -> Invalid:
    """``invalid`` about a key inside the parameter ``outer``: each name shown as ``outer[i].key``."""
    text = literal(invalid.render(lambda name: f"\0{name}\0"))
    count = len(re.findall("\0[^\0]*\0", text))
    template = re.sub("\0([^\0]*)\0", lambda m: prefix + m.group(1), text)
    return Invalid(template, *([outer] * count))


# --- the formulas ---------------------------------------------------------------------------------


def _power(x: np.ndarray, p: float) -> np.ndarray:
    """x**p as optax writes it (x**1 is x exactly, in jax too)."""
    if p == 1:
        return x
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.power(x, p)


def _steps(t: np.ndarray) -> np.ndarray:
    return np.asarray(t, dtype=np.float64)


def _over(x: np.ndarray, divisor: float) -> np.ndarray:
    """x / divisor as optax's compiled code computes it: XLA turns a division by a constant into a
    multiplication by its reciprocal, so k·T / T can come out just below k (T = 49: 0.9999999999999999).
    That decides a staircase's tread at its first step, and whether 1 − T/T is 0."""
    return x * (1.0 / divisor)


def constant(t: np.ndarray, *, value: float) -> np.ndarray:
    """optax.constant_schedule: η_t = value."""
    return np.full(np.shape(t), float(value))


def polynomial(
    t: np.ndarray, *, init_value: float, end_value: float, power: float, transition_steps: int,
    transition_begin: int = 0,
) -> np.ndarray:
    """optax.polynomial_schedule: with c = clip(t − B, 0, T),
    η_t = (I − E) · (1 − c/T)^P + E: I until step B, E from step B + T on.

    T = transition_steps <= 0 gives a constant I (optax returns ``init_value``, logging it), and
    B = transition_begin < 0 counts as 0 (logged too).

    >>> polynomial(np.arange(4.0), init_value=1.0, end_value=0.0, power=2.0, transition_steps=2)
    array([1.  , 0.25, 0.  , 0.  ])
    """
    t = _steps(t)
    if transition_steps <= 0:
        return np.full(t.shape, float(init_value))
    count = np.clip(t - max(transition_begin, 0), 0, transition_steps)
    frac = 1 - _over(count, transition_steps)
    return (init_value - end_value) * _power(frac, power) + end_value


def linear(
    t: np.ndarray, *, init_value: float, end_value: float, transition_steps: int, transition_begin: int = 0
) -> np.ndarray:
    """optax.linear_schedule: polynomial_schedule with power 1, η_t = (I − E)·(1 − c/T) + E.

    >>> linear(np.arange(4.0), init_value=0.0, end_value=1.0, transition_steps=2)
    array([0. , 0.5, 1. , 1. ])
    """
    return polynomial(t, init_value=init_value, end_value=end_value, power=1,
                      transition_steps=transition_steps, transition_begin=transition_begin)


def cosine_decay(
    t: np.ndarray, *, init_value: float, decay_steps: int, alpha: float = 0.0, exponent: float = 1.0
) -> np.ndarray:
    """optax.cosine_decay_schedule: with c = min(t, T),
    η_t = I · ((1 − α) · (½(1 + cos(π·c/T)))^p + α): from I down to α·I at T, then held there
    (unlike torch's cosine, which climbs back).

    >>> cosine_decay(np.arange(4.0), init_value=1.0, decay_steps=2)
    array([1. , 0.5, 0. , 0. ])
    """
    count = np.minimum(_steps(t), decay_steps)
    decay = 0.5 * (1 + np.cos(_over(np.pi * count, decay_steps)))
    return init_value * ((1 - alpha) * _power(decay, exponent) + alpha)


def exponential_decay(
    t: np.ndarray, *, init_value: float, transition_steps: int, decay_rate: float,
    transition_begin: int = 0, staircase: bool = False, end_value: float | None = None,
) -> np.ndarray:
    """optax.exponential_decay: with d = t − B and p = d/T (⌊d/T⌋ with staircase),
    η_t = I for d <= 0, else I · r^p; then end_value is a floor when r < 1 and a ceiling when
    r >= 1 (whichever side of I it lies). d/T is d·(1/T), as optax's compiled code has it: for
    some T a tread begins one step late (see :func:`_over`).

    T <= 0 or r = 0 gives a constant I (optax logs it); B < 0 counts as 0.

    >>> exponential_decay(np.arange(4.0), init_value=1.0, transition_steps=1, decay_rate=0.5)
    array([1.   , 0.5  , 0.25 , 0.125])
    """
    t = _steps(t)
    if transition_steps <= 0 or decay_rate == 0:
        return np.full(t.shape, float(init_value))
    decreased = t - max(transition_begin, 0)
    p = _over(decreased, transition_steps)
    if staircase:
        p = np.floor(p)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        value = np.where(decreased <= 0, init_value, init_value * np.power(decay_rate, p))
    if end_value is not None:
        value = (np.maximum if decay_rate < 1.0 else np.minimum)(value, end_value)
    return value


def piecewise_constant(
    t: np.ndarray, *, init_value: float, boundaries_and_scales: Mapping[int, float] | None = None
) -> np.ndarray:
    """optax.piecewise_constant_schedule: η_t = I · Π s_i over the boundaries b_i <= t, multiplied
    in increasing order of b_i.

    >>> piecewise_constant(np.arange(4.0), init_value=1.0, boundaries_and_scales={2: 0.5})
    array([1. , 1. , 0.5, 0.5])
    """
    t = _steps(t)
    value = np.full(t.shape, float(init_value))
    for boundary, scale in sorted((boundaries_and_scales or {}).items()):
        value = np.where(t >= boundary, scale * value, value)
    return value


def _interpolation(kind: str) -> Callable[[Any, Any, Any], Any]:
    if kind == "linear":
        return lambda start, end, pct: (end - start) * pct + start
    return lambda start, end, pct: end + (start - end) / 2.0 * (np.cos(np.pi * pct) + 1)


def _knots(init_value: float, boundaries_and_scales: Mapping[int, float] | None):
    """optax's ``bounds`` (0, then the boundaries in order) and ``values`` (the running products)."""
    items = sorted((boundaries_and_scales or {}).items())
    bounds = [0] + [step for step, _ in items]
    values = np.cumprod([float(init_value)] + [scale for _, scale in items])
    return bounds, values


def piecewise_interpolate(
    t: np.ndarray, *, interpolate_type: str, init_value: float,
    boundaries_and_scales: Mapping[int, float] | None = None,
) -> np.ndarray:
    """optax.piecewise_interpolate_schedule: v_0 = I, v_i = v_{i−1}·s_i at the boundaries in
    increasing order (b_0 = 0); between b_i and b_{i+1} the rate goes from v_i to v_{i+1},
    linearly ((v_{i+1} − v_i)·p + v_i) or by a half cosine (v_{i+1} + (v_i − v_{i+1})/2·(cos πp + 1)),
    p = (t − b_i)/max(b_{i+1} − b_i, 1); from the last boundary on it is the last v.

    >>> piecewise_interpolate(np.arange(5.0), interpolate_type="linear", init_value=1.0,
    ...                       boundaries_and_scales={2: 0.5})
    array([1.  , 0.75, 0.5 , 0.5 , 0.5 ])
    """
    t = _steps(t)
    bounds, values = _knots(init_value, boundaries_and_scales)
    out = np.full(t.shape, values[-1])
    if len(bounds) == 1:
        return out
    edges = np.asarray(bounds, dtype=np.float64)
    # The interval [b_j, b_{j+1}) holding t: j = how many boundaries are <= t (optax's intervals
    # start at 0; one from 0 to a negative first boundary is empty).
    j = np.searchsorted(edges[1:], t, side="right")
    inside = j < len(bounds) - 1
    jj = j[inside]
    low = edges[jj]
    size = np.maximum(edges[jj + 1] - low, 1)
    out[inside] = _interpolation(interpolate_type)(values[jj], values[jj + 1], (t[inside] - low) / size)
    return out


def linear_onecycle_knots(
    transition_steps: int, peak_value: float, pct_start: float, pct_final: float, div_factor: float,
    final_div_factor: float,
) -> tuple[float, dict[int, float]]:
    """The init_value and boundaries_and_scales optax's linear_onecycle_schedule builds (a dict:
    a step given twice keeps the later scale)."""
    return peak_value / div_factor, {
        int(pct_start * transition_steps): div_factor,
        int(pct_final * transition_steps): 1.0 / div_factor,
        transition_steps: 1.0 / final_div_factor,
    }


def cosine_onecycle_knots(
    transition_steps: int, peak_value: float, pct_start: float, div_factor: float, final_div_factor: float
) -> tuple[float, dict[int, float]]:
    """The init_value and boundaries_and_scales optax's cosine_onecycle_schedule builds."""
    return peak_value / div_factor, {
        int(pct_start * transition_steps): div_factor,
        int(transition_steps): 1.0 / (div_factor * final_div_factor),
    }


def linear_onecycle(
    t: np.ndarray, *, transition_steps: int, peak_value: float, pct_start: float = 0.3,
    pct_final: float = 0.85, div_factor: float = 25.0, final_div_factor: float = 1e4,
) -> np.ndarray:
    """optax.linear_onecycle_schedule: piecewise_interpolate_schedule('linear', P/d,
    {⌊a·T⌋: d, ⌊f·T⌋: 1/d, T: 1/D}) with a = pct_start, f = pct_final, d = div_factor,
    D = final_div_factor: up from P/d to P, down to P/d, down to P/(d·D) at T."""
    init, knots = linear_onecycle_knots(transition_steps, peak_value, pct_start, pct_final, div_factor,
                                        final_div_factor)
    return piecewise_interpolate(t, interpolate_type="linear", init_value=init, boundaries_and_scales=knots)


def cosine_onecycle(
    t: np.ndarray, *, transition_steps: int, peak_value: float, pct_start: float = 0.3,
    div_factor: float = 25.0, final_div_factor: float = 1e4,
) -> np.ndarray:
    """optax.cosine_onecycle_schedule: piecewise_interpolate_schedule('cosine', P/d,
    {⌊a·T⌋: d, T: 1/(d·D)}): up from P/d to P by a half cosine, then down to P/(d·D) at T."""
    init, knots = cosine_onecycle_knots(transition_steps, peak_value, pct_start, div_factor, final_div_factor)
    return piecewise_interpolate(t, interpolate_type="cosine", init_value=init, boundaries_and_scales=knots)


def warmup_constant(t: np.ndarray, *, init_value: float, peak_value: float, warmup_steps: int) -> np.ndarray:
    """optax.warmup_constant_schedule: linear_schedule(I, P, warmup_steps): up from I to P, then P.
    warmup_steps <= 0 makes it the constant I (a linear schedule of no steps is its start)."""
    return linear(t, init_value=init_value, end_value=peak_value, transition_steps=warmup_steps)


def _join(t: np.ndarray, pieces: list[Fn], boundaries: list[int]) -> np.ndarray:
    """optax.join_schedules: piece i (i >= 1) takes the steps t >= b_i below every later boundary,
    evaluated at t − b_i; piece 0 the steps below every boundary."""
    t = _steps(t)
    out = np.empty(t.shape)
    for i, (low, high) in enumerate(_regions(boundaries)):
        rows = (t >= low) & (t < high)
        if rows.any():
            out[rows] = pieces[i](t[rows] - (boundaries[i - 1] if i else 0))
    return out


def _regions(boundaries: list[int]) -> list[tuple[float, float]]:
    """[low, high) of each piece of a join: optax's ``where(step < b, output, next(step − b))`` in
    order means piece i holds t >= b_i and t < b_j for every later j."""
    lows = [-math.inf, *boundaries]
    return [(low, min(boundaries[i:], default=math.inf)) for i, low in enumerate(lows)]


def _cosine_alpha(peak_value: float, end_value: float) -> float:
    return 0.0 if peak_value == 0.0 else end_value / peak_value


def warmup_cosine_decay(
    t: np.ndarray, *, init_value: float, peak_value: float, warmup_steps: int, decay_steps: int,
    end_value: float = 0.0, exponent: float = 1.0,
) -> np.ndarray:
    """optax.warmup_cosine_decay_schedule: linear from I to P over w = warmup_steps, then
    cosine_decay_schedule(P, decay_steps − w, α = E/P (0 when P = 0), exponent) from step w:
    decay_steps counts the warm-up, so the rate reaches E at step decay_steps.

    >>> warmup_cosine_decay(np.arange(5.0), init_value=0.0, peak_value=1.0, warmup_steps=2,
    ...                     decay_steps=4)
    array([0. , 0.5, 1. , 0.5, 0. ])
    """
    alpha = _cosine_alpha(peak_value, end_value)
    return _join(t, [
        lambda s: linear(s, init_value=init_value, end_value=peak_value, transition_steps=warmup_steps),
        lambda s: cosine_decay(s, init_value=peak_value, decay_steps=decay_steps - warmup_steps,
                               alpha=alpha, exponent=exponent),
    ], [warmup_steps])


def warmup_exponential_decay(
    t: np.ndarray, *, init_value: float, peak_value: float, warmup_steps: int, transition_steps: int,
    decay_rate: float, transition_begin: int = 0, staircase: bool = False, end_value: float | None = None,
) -> np.ndarray:
    """optax.warmup_exponential_decay_schedule: linear from I to P over w = warmup_steps, then
    exponential_decay(P, ...) counted from step w."""
    return _join(t, [
        lambda s: linear(s, init_value=init_value, end_value=peak_value, transition_steps=warmup_steps),
        lambda s: exponential_decay(s, init_value=peak_value, transition_steps=transition_steps,
                                    decay_rate=decay_rate, transition_begin=transition_begin,
                                    staircase=staircase, end_value=end_value),
    ], [warmup_steps])


def _sgdr_boundaries(cosine_kwargs) -> list[int]:
    """Where each cycle after the first begins: the running sum of decay_steps, as optax adds it."""
    starts, step = [], 0
    for kwargs in cosine_kwargs:
        step += kwargs["decay_steps"]
        starts.append(step)
    return starts[:-1]


def sgdr(t: np.ndarray, *, cosine_kwargs) -> np.ndarray:
    """optax.sgdr_schedule: warmup_cosine_decay_schedule cycles joined end to end, cycle i starting
    at the sum of the decay_steps before it (the last one holds its end value)."""
    return _join(t, [_cycle_fn(kwargs) for kwargs in cosine_kwargs], _sgdr_boundaries(cosine_kwargs))


def _cycle_fn(kwargs) -> Fn:
    return lambda s: warmup_cosine_decay(s, **kwargs)


# --- long step ranges -----------------------------------------------------------------------------


def _arange(first: int, n: int) -> np.ndarray:
    return np.arange(first, first + n, dtype=np.float64)


def _at(fn: Fn, step: float) -> float:
    return float(fn(np.array([float(step)]))[0])


def _rows_between(first: int, n: int, low: float, high: float) -> tuple[int, int]:
    """Rows [a, b) of first..first+n−1 whose step is in [low, high)."""
    a = int(min(max(math.ceil(low) - first, 0), n)) if low > -math.inf else 0
    b = int(min(max(math.ceil(high) - first, a), n)) if high < math.inf else n
    return a, b


def polynomial_range(
    first: int, n: int, *, init_value: float, end_value: float, power: float, transition_steps: int,
    transition_begin: int = 0, out: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`polynomial` at steps first..first+n−1 (into ``out`` when given, as every range
    function here): the transition by block series of the power (_kernels.power; a line by
    _kernels.affine when power is 1), before and after it flat."""

    def plain(steps: np.ndarray) -> np.ndarray:
        return polynomial(steps, init_value=init_value, end_value=end_value, power=power,
                          transition_steps=transition_steps, transition_begin=transition_begin)

    out = np.empty(n) if out is None else out
    if n < _kernels.FAST_FROM or transition_steps <= 0:
        out[:] = plain(_arange(first, n))
        return out
    begin = max(transition_begin, 0)
    end = begin + transition_steps
    hold, ramp = _rows_between(first, n, -math.inf, begin + 1)[1], _rows_between(first, n, begin + 1, end)
    out[:hold] = _at(plain, begin)
    low, high = ramp
    rows = out[low:high]
    if power == 1:
        _kernels.affine(rows, first + low, slope=-(init_value - end_value) / transition_steps, plain=plain)
    elif high > low:
        scale = init_value - end_value

        def shifted(steps: np.ndarray) -> np.ndarray:
            return scale * _power(1 - steps / transition_steps, power)

        # Below power 1 the formula's own round-off in 1 − t/T (optax's too) grows near the end,
        # as frac^(power − 1): the last sixteenth of the transition keeps the formula.
        near_end = 0 if power >= 1 else min(high - low, max(0, high - (end - transition_steps // 16) + first))
        series = rows[: len(rows) - near_end]
        _kernels.power(series, first + low - begin, total=transition_steps, p=power, plain=shifted)
        series += end_value
        if near_end:
            rows[len(rows) - near_end:] = plain(_arange(first + high - near_end, near_end))
    out[high:] = _at(plain, max(first + high, end))
    return out


def linear_range(
    first: int, n: int, *, init_value: float, end_value: float, transition_steps: int,
    transition_begin: int = 0, out: np.ndarray | None = None,
) -> np.ndarray:
    return polynomial_range(first, n, init_value=init_value, end_value=end_value, power=1,
                            transition_steps=transition_steps, transition_begin=transition_begin, out=out)


def cosine_decay_range(
    first: int, n: int, *, init_value: float, decay_steps: int, alpha: float = 0.0, exponent: float = 1.0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`cosine_decay` at steps first..first+n−1: with exponent 1 the half cosine by angle
    addition (_kernels.cosine; step 0, where cos is 1, and the held end by the formula); another
    exponent takes the formula itself."""

    def plain(steps: np.ndarray) -> np.ndarray:
        return cosine_decay(steps, init_value=init_value, decay_steps=decay_steps, alpha=alpha,
                            exponent=exponent)

    out = np.empty(n) if out is None else out
    if n < _kernels.FAST_FROM or exponent != 1:
        out[:] = plain(_arange(first, n))
        return out
    # I·((1 − α)·½(1 + cos θ) + α) = mid + amp·cos θ.
    amp = init_value * (1 - alpha) * 0.5
    falling = _rows_between(first, n, -math.inf, decay_steps)[1]
    _kernels.cosine(out[:falling], first, start=0, length=decay_steps, amp=amp,
                    mid=init_value * alpha + amp, periodic=True)
    out[falling:] = _at(plain, max(first + falling, decay_steps))
    if first == 0 and falling:
        out[0] = _at(plain, 0)
    return out


def _decay_powers(out: np.ndarray, first: int, *, scale: float, rate: float, every: int) -> np.ndarray:
    """``out`` (row i is d = first + i > 0) set to scale·rate^(d/every) in blocks:
    (scale·rate^(d_j/every))·rate^(k/every) with both powers taken from exact exponents, so that
    rounding rate^(1/every) once cannot drift over a long decay (every == 1 is _kernels.geometric)."""
    n = len(out)
    if every == 1:
        return _kernels.geometric(out, first, scale=scale, ratio=rate)
    width = min(_kernels.BLOCK, n)
    blocks = -(-n // width)
    with np.errstate(over="ignore", under="ignore"):
        left = scale * np.power(rate, (first + width * np.arange(blocks, dtype=np.float64)) / every)
        right = np.power(rate, np.arange(width, dtype=np.float64) / every)
    whole = n // width
    np.multiply(left[:whole, None], right, out=out[: whole * width].reshape(whole, width))
    np.multiply(left[whole:], right[: n - whole * width], out=out[whole * width :])
    return out


def exponential_decay_range(
    first: int, n: int, *, init_value: float, transition_steps: int, decay_rate: float,
    transition_begin: int = 0, staircase: bool = False, end_value: float | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`exponential_decay` at steps first..first+n−1: the decay by block products of powers
    (continuous) or as stairs of one value per tread (staircase), then the end_value clip."""

    def plain(steps: np.ndarray) -> np.ndarray:
        return exponential_decay(steps, init_value=init_value, transition_steps=transition_steps,
                                 decay_rate=decay_rate, transition_begin=transition_begin,
                                 staircase=staircase, end_value=end_value)

    out = np.empty(n) if out is None else out
    if n < _kernels.FAST_FROM or transition_steps <= 0 or decay_rate <= 0:
        out[:] = plain(_arange(first, n))
        return out
    begin = max(transition_begin, 0)
    hold = _rows_between(first, n, -math.inf, begin + 1)[1]
    out[:hold] = init_value
    rows, d0 = out[hold:], first + hold - begin
    if len(rows):
        if not staircase:
            _decay_powers(rows, d0, scale=init_value, rate=decay_rate, every=transition_steps)
        else:
            steps = transition_steps
            low, high = d0 // steps, (d0 + len(rows) - 1) // steps
            if high - low + 1 >= _kernels.FAST_FROM:
                levels = _kernels.geometric(np.empty(high - low + 1), low, scale=init_value, ratio=decay_rate)
            else:
                levels = init_value * np.power(decay_rate, np.arange(low, high + 1.0))
            rows[:] = _kernels.stairs(d0, len(rows), steps, levels)
            # Treads whose first step k·T optax counts as k·T·(1/T) < k begin a step late.
            if steps & (steps - 1):
                k = np.arange(max(low, 1) + (max(low, 1) * steps < d0), high + 1, dtype=np.float64)
                late = k[np.floor(_over(k * steps, steps)) < k]
                rows[(late * steps - d0).astype(np.intp)] = init_value * np.power(decay_rate, late - 1)
    if end_value is not None:
        (np.maximum if decay_rate < 1.0 else np.minimum)(out, end_value, out=out)
    return out


def piecewise_constant_range(
    first: int, n: int, *, init_value: float, boundaries_and_scales: Mapping[int, float] | None = None
) -> np.ndarray:
    """:func:`piecewise_constant` at steps first..first+n−1: constant between boundaries, each
    stretch by the formula at its first step."""
    marks = sorted(b - first for b in (boundaries_and_scales or {}) if first < b < first + n)
    bounds = [0, *marks, n]
    values = piecewise_constant(np.array(bounds[:-1], dtype=np.float64) + first, init_value=init_value,
                                boundaries_and_scales=boundaries_and_scales)
    return _kernels.pieces(n, bounds, values)


def piecewise_interpolate_range(
    first: int, n: int, *, interpolate_type: str, init_value: float,
    boundaries_and_scales: Mapping[int, float] | None = None,
) -> np.ndarray:
    """:func:`piecewise_interpolate` at steps first..first+n−1, interval by interval: a line by
    _kernels.affine, a half cosine by _kernels.cosine (each interval's first step, where cos is 1,
    by the formula); a short stretch by the formula itself."""

    def plain(steps: np.ndarray) -> np.ndarray:
        return piecewise_interpolate(steps, interpolate_type=interpolate_type, init_value=init_value,
                                     boundaries_and_scales=boundaries_and_scales)

    if n < _kernels.FAST_FROM:
        return plain(_arange(first, n))
    bounds, values = _knots(init_value, boundaries_and_scales)
    out = np.empty(n)
    edges = [*bounds, math.inf]
    for j in range(len(bounds)):
        low, high = edges[j], edges[j + 1]
        a, b = _rows_between(first, n, low, high)
        if b <= a:
            continue
        rows = out[a:b]
        if j == len(bounds) - 1:
            rows[:] = values[-1]
        elif b - a < _kernels.FAST_FROM:
            rows[:] = plain(_arange(first + a, b - a))
        else:
            size = max(high - low, 1)
            start, end = values[j], values[j + 1]
            if interpolate_type == "linear":
                _kernels.affine(rows, first + a, slope=(end - start) / size, plain=plain)
            else:
                half = (start - end) / 2.0
                _kernels.cosine(rows, first + a, start=low, length=size, amp=half, mid=end + half,
                                periodic=True)
                if first + a == low:
                    rows[0] = _at(plain, low)
    return out


def linear_onecycle_range(
    first: int, n: int, *, transition_steps: int, peak_value: float, pct_start: float = 0.3,
    pct_final: float = 0.85, div_factor: float = 25.0, final_div_factor: float = 1e4,
) -> np.ndarray:
    init, knots = linear_onecycle_knots(transition_steps, peak_value, pct_start, pct_final, div_factor,
                                        final_div_factor)
    return piecewise_interpolate_range(first, n, interpolate_type="linear", init_value=init,
                                       boundaries_and_scales=knots)


def cosine_onecycle_range(
    first: int, n: int, *, transition_steps: int, peak_value: float, pct_start: float = 0.3,
    div_factor: float = 25.0, final_div_factor: float = 1e4,
) -> np.ndarray:
    init, knots = cosine_onecycle_knots(transition_steps, peak_value, pct_start, div_factor, final_div_factor)
    return piecewise_interpolate_range(first, n, interpolate_type="cosine", init_value=init,
                                       boundaries_and_scales=knots)


def warmup_constant_range(
    first: int, n: int, *, init_value: float, peak_value: float, warmup_steps: int
) -> np.ndarray:
    return linear_range(first, n, init_value=init_value, end_value=peak_value, transition_steps=warmup_steps)


def _join_range(first: int, n: int, pieces: list[RangeFn], boundaries: list[int],
                out: np.ndarray | None = None) -> np.ndarray:
    """:func:`_join` over the rows first..first+n−1: each piece's region is a run of rows, which
    the piece writes in place (``piece(first, n, out)``)."""
    out = np.empty(n) if out is None else out
    for i, (low, high) in enumerate(_regions(boundaries)):
        a, b = _rows_between(first, n, low, high)
        if b > a:
            pieces[i](first + a - (boundaries[i - 1] if i else 0), b - a, out[a:b])
    return out


def warmup_cosine_decay_range(
    first: int, n: int, *, init_value: float, peak_value: float, warmup_steps: int, decay_steps: int,
    end_value: float = 0.0, exponent: float = 1.0, out: np.ndarray | None = None,
) -> np.ndarray:
    alpha = _cosine_alpha(peak_value, end_value)
    return _join_range(first, n, [
        lambda a, m, rows: linear_range(a, m, init_value=init_value, end_value=peak_value,
                                        transition_steps=warmup_steps, out=rows),
        lambda a, m, rows: cosine_decay_range(a, m, init_value=peak_value,
                                              decay_steps=decay_steps - warmup_steps, alpha=alpha,
                                              exponent=exponent, out=rows),
    ], [warmup_steps], out)


def warmup_exponential_decay_range(
    first: int, n: int, *, init_value: float, peak_value: float, warmup_steps: int, transition_steps: int,
    decay_rate: float, transition_begin: int = 0, staircase: bool = False, end_value: float | None = None,
) -> np.ndarray:
    return _join_range(first, n, [
        lambda a, m, rows: linear_range(a, m, init_value=init_value, end_value=peak_value,
                                        transition_steps=warmup_steps, out=rows),
        lambda a, m, rows: exponential_decay_range(
            a, m, init_value=peak_value, transition_steps=transition_steps, decay_rate=decay_rate,
            transition_begin=transition_begin, staircase=staircase, end_value=end_value, out=rows),
    ], [warmup_steps])


def sgdr_range(first: int, n: int, *, cosine_kwargs) -> np.ndarray:
    def cycle(kwargs) -> RangeFn:
        return lambda a, m, rows: warmup_cosine_decay_range(a, m, **kwargs, out=rows)

    return _join_range(first, n, [cycle(kwargs) for kwargs in cosine_kwargs], _sgdr_boundaries(cosine_kwargs))


# --- parameters -----------------------------------------------------------------------------------

INIT_VALUE = Real("init_value", "The value at step 0.", required=True)
END_VALUE = Real("end_value", "The value at the end of the transition.", required=True)
PEAK_VALUE = Real("peak_value", "The value at the end of the warm-up (the peak).", required=True)
WARMUP_STEPS = Integer("warmup_steps", "Steps of the linear warm-up from init_value to peak_value.",
                       required=True)
TRANSITION_STEPS = Integer(
    "transition_steps",
    "Steps of the transition, counted from transition_begin (<= 0: optax makes the schedule constant).",
    required=True,
)
TRANSITION_BEGIN = Integer(
    "transition_begin", "Steps held at the start value before the transition (< 0 counts as 0).", 0
)
DECAY_RATE = Real("decay_rate", "The factor per transition_steps (0: optax makes the schedule constant).",
                  required=True)
STAIRCASE = Switch("staircase", "Decay in whole transitions (floor of the exponent), not continuously.",
                   False)
DECAY_END_VALUE = Real(
    "end_value", "Where the decay stops: a floor when decay_rate < 1, a ceiling when decay_rate >= 1."
)
EXPONENT = Real("exponent", "The power of the cosine factor ½(1 + cos(πt/T)).", 1.0)
BOUNDARIES_AND_SCALES = BoundariesAndScalesParam(
    "boundaries_and_scales", "Steps and the scale multiplied into the rate there: 100=0.1,200=0.1."
)
WARMUP_COSINE_PARAMS = (
    INIT_VALUE,
    PEAK_VALUE,
    WARMUP_STEPS,
    Integer("decay_steps", "Steps until the rate reaches end_value, the warm-up included.", required=True),
    Real("end_value", "The value at step decay_steps, held after it.", 0.0),
    EXPONENT,
)
EXPONENTIAL_PARAMS = (
    TRANSITION_STEPS,
    DECAY_RATE,
    TRANSITION_BEGIN,
    STAIRCASE,
    DECAY_END_VALUE,
)
PCT_START = Real("pct_start", "Fraction of transition_steps spent rising to peak_value.", 0.3)
DIV_FACTOR = Real("div_factor", "The start value is peak_value / div_factor.", 25.0, gt=0)
FINAL_DIV_FACTOR = Real("final_div_factor", "The final value is the start value / final_div_factor.",
                        1e4, gt=0)
ONECYCLE_STEPS = Integer("transition_steps", "Steps of the whole cycle.", required=True, ge=1)


# --- checks, warnings, horizons -------------------------------------------------------------------


def _check_decay_after_warm_up(values: Mapping[str, Any]) -> None:
    """warmup_cosine_decay_schedule's cosine lasts decay_steps − warmup_steps, which optax's
    cosine_decay_schedule requires to be positive."""
    if not values["decay_steps"] > values["warmup_steps"]:
        raise Invalid(
            "{} must be above {} (optax's cosine decays over decay_steps - warmup_steps steps, "
            f"which must be positive), got {values['decay_steps']} <= {values['warmup_steps']}",
            "decay_steps", "warmup_steps",
        )


def _resolve_warmup_cosine(values: dict[str, Any], context: Context) -> dict[str, Any]:
    _check_decay_after_warm_up(values)
    return values


def _check_decay_rate(values: Mapping[str, Any]) -> None:
    """A negative decay_rate to a fractional power is NaN in optax at almost every step; with
    staircase the powers are whole and the rate alternates in sign (reproduced, warned)."""
    if values["decay_rate"] < 0 and not values["staircase"] and values["transition_steps"] > 0:
        raise Invalid(
            "{} < 0 needs {}: optax raises it to fractional powers, which are NaN at every step "
            "between multiples of transition_steps",
            "decay_rate", "staircase",
        )


def _resolve_exponential(values: dict[str, Any], context: Context) -> dict[str, Any]:
    _check_decay_rate(values)
    return values


def _constant_when_no_steps(
    steps: int, what: str, value_name: str, value: float, also: str = ""
) -> tuple[str, ...]:
    if steps > 0:
        return ()
    return (f"{what} {steps} <= 0: optax returns a constant schedule at {value_name} {value:g} "
            f"(it only logs this){also}",)


def _begin_below_zero(begin: int) -> tuple[str, ...]:
    if begin >= 0:
        return ()
    return (f"transition_begin {begin} < 0 counts as 0: optax starts the transition at step 0 "
            "(it only logs this)",)


# Late treads are looked for among the first this many treads.
LATE_TREADS_SCANNED = 1_000_000


def _late_treads(steps: int, first: int, n: int) -> tuple[list[int], list[int]]:
    """The steps first + k·T (k >= 1, below n) at which a staircase tread begins a step late, in
    float64 and in float32: optax's k·T·(1/T) rounds just below k there (see :func:`_over`)."""
    if steps & (steps - 1) == 0:  # a power of two: 1/T is exact
        return [], []
    k = np.arange(1, min((n - 1 - first) // steps, LATE_TREADS_SCANNED) + 1, dtype=np.float64)
    late64 = k[np.floor(_over(k * steps, steps)) < k]
    k32 = k.astype(np.float32)
    late32 = k[np.floor((k32 * np.float32(steps)) * (np.float32(1) / np.float32(steps))) < k32]
    return ([int(first + v * steps) for v in late64 if first + v * steps >= 0],
            [int(first + v * steps) for v in late32 if first + v * steps >= 0])


def _steps_text(steps: list[int]) -> str:
    shown = ", ".join(str(s) for s in steps[:5])
    return shown + (f" and {len(steps) - 5} more" if len(steps) > 5 else "")


def _late_tread_warning(steps: int, first: int, n: int) -> tuple[str, ...]:
    late64, late32 = _late_treads(steps, first, n)
    if not late64 and not late32:
        return ()
    parts = []
    if late64:
        parts.append(f"at steps {_steps_text(late64)} in float64 (shown here)")
    if late32:
        parts.append(f"at steps {_steps_text(late32)} in float32 (optax's default, and an x64 "
                     "optimizer's int32 count)")
    return (f"staircase: optax computes count / transition_steps as count * (1 / {steps}), which "
            f"puts a multiple of {steps} just below a whole number, so a tread begins one step late "
            + " and ".join(parts),)


def _exponential_traps(p: Mapping[str, Any], start: str, start_value: float, n: int,
                       shift: int = 0) -> tuple[str, ...]:
    """exponential_decay's quiet cases, its start value being ``start`` (init_value or peak_value),
    counted from step ``shift`` (a warm-up's length)."""
    steps, rate, end = p["transition_steps"], p["decay_rate"], p["end_value"]
    unused = "; end_value has no effect" if end is not None else ""
    if steps <= 0:
        return _constant_when_no_steps(steps, "transition_steps", start, start_value, unused)
    if rate == 0:
        return (f"decay_rate 0: optax returns a constant schedule at {start} {start_value:g} (it only "
                f"logs this), not a rate that drops to 0{unused}",)
    found = _begin_below_zero(p["transition_begin"])
    if rate < 0:
        found += (f"decay_rate {rate:g} < 0: the rate changes sign at every transition",)
    if p["staircase"]:
        found += _late_tread_warning(steps, shift + max(p["transition_begin"], 0), n)
    if end is not None:
        if rate < 1.0 and end > start_value:
            found += (f"end_value {end:g} is above {start} {start_value:g}: with decay_rate < 1 optax "
                      "takes end_value as a floor, so the decay is end_value at every step",)
        elif rate >= 1.0 and end < start_value:
            found += (f"end_value {end:g} is below {start} {start_value:g}: with decay_rate >= 1 optax "
                      "takes end_value as a ceiling, so the decay is end_value at every step",)
    return found


def _float32_count(n: int) -> tuple[str, ...]:
    if n <= FLOAT32_EXACT_STEPS:
        return ()
    return (f"{n} rows pass 2^24 = {FLOAT32_EXACT_STEPS:,} steps: in float32 (optax's default) the "
            "step count rounds to even numbers and coarser there, so optax's own curve goes in "
            "small stairs; these values are float64 (optax with jax_enable_x64)",)


def _warmup_below_zero(w: int, what: str) -> tuple[str, ...]:
    if w >= 0:
        return ()
    return (f"warmup_steps {w} < 0: there is no warm-up, and the {what} starts {-w} steps in "
            f"(optax joins the two at step {w})",)


def _warn_polynomial(p, n):
    steps = p["transition_steps"]
    return (_constant_when_no_steps(steps, "transition_steps", "init_value", p["init_value"],
                                    f", never reaching end_value {p['end_value']:g}")
            or _begin_below_zero(p["transition_begin"])) + _float32_count(n)


def _warn_cosine_peak(p) -> tuple[str, ...]:
    if p["peak_value"] == 0.0 and p["end_value"] != 0.0:
        return (f"peak_value 0: optax's alpha (end_value / peak_value) is then 0, so the decay ends "
                f"at 0, not at end_value {p['end_value']:g}",)
    return ()


def _warn_warmup_cosine(p, n):
    return _warn_cosine_peak(p) + _warmup_below_zero(p["warmup_steps"], "cosine") + _float32_count(n)


def _warn_warmup_constant(p, n):
    return _constant_when_no_steps(
        p["warmup_steps"], "warmup_steps", "init_value", p["init_value"],
        f", never reaching peak_value {p['peak_value']:g} (a linear warm-up of no steps is its start)",
    ) + _float32_count(n)


def _warn_warmup_exponential(p, n):
    return (_exponential_traps(p, "peak_value", p["peak_value"], n, p["warmup_steps"])
            + _warmup_below_zero(p["warmup_steps"], "decay") + _float32_count(n))


def _onecycle_traps(transition_steps: int, items: list[tuple[str, int]]) -> tuple[str, ...]:
    """Where the boundaries dict optax builds for a 1cycle is not the cycle its fractions
    suggest: two fractions on one step (a dict keeps the later scale), fractions out of order
    (optax sorts the steps), a warm-up of no step, a boundary outside 0..transition_steps."""
    found = []
    seen: dict[int, str] = {}
    for name, step in items:
        if step in seen:
            found.append(f"{seen[step]} and {name} both give step {step}: optax's boundaries dict keeps "
                         f"only the scale of {name} there, so the cycle loses a phase")
        else:
            seen[step] = name
    steps = [step for _, step in items]
    if steps != sorted(steps):
        found.append("the boundaries (" + ", ".join(f"{name} at step {step}" for name, step in items)
                     + ") are out of order: optax sorts them, so the phases run in that order")
    for name, step in items[:-1]:
        if step == 0 and name == "pct_start":
            found.append("int(pct_start * transition_steps) is 0: there is no warm-up, the cycle "
                         "starts at peak_value")
        elif step < 0:
            found.append(f"int({name} * transition_steps) is {step} < 0: the cycle starts partway "
                         "through that phase")
        elif step > transition_steps:
            found.append(f"int({name} * transition_steps) is {step}, past transition_steps "
                         f"{transition_steps}")
    return tuple(found)


def _linear_onecycle_items(p) -> list[tuple[str, int]]:
    t = p["transition_steps"]
    return [("pct_start", int(p["pct_start"] * t)), ("pct_final", int(p["pct_final"] * t)),
            ("transition_steps", t)]


def _cosine_onecycle_items(p) -> list[tuple[str, int]]:
    t = p["transition_steps"]
    return [("pct_start", int(p["pct_start"] * t)), ("transition_steps", int(t))]


def _warn_sgdr(p, n):
    found: tuple[str, ...] = ()
    for index, kwargs in enumerate(p["cosine_kwargs"]):
        cycle = {"end_value": 0.0, **kwargs}
        for text in _warn_cosine_peak(cycle) + _warmup_below_zero(cycle["warmup_steps"], "cosine"):
            found += (f"cycle {index}: {text}",)
    return found + _float32_count(n)


def _exponential_rows(
    init_value, transition_steps, decay_rate, transition_begin, staircase, end_value
) -> int:
    """Rows until the decay reaches end_value (when it does) or 1% of its start: at most 10^6;
    100 when it neither decays nor meets end_value."""
    rate = abs(decay_rate)
    if transition_steps <= 0 or rate in (0.0, 1.0) or init_value == 0:
        return OPEN_ROWS
    target = DECAY_TO if rate < 1 else None
    if end_value is not None and end_value / init_value > 0:
        ratio = end_value / init_value
        if rate < 1 and ratio < 1:
            target = max(ratio, DECAY_TO)
        elif rate > 1 and ratio > 1:
            target = ratio
    if target is None:
        return OPEN_ROWS
    p = math.log(target) / math.log(rate)
    steps = math.ceil(p) * transition_steps if staircase else math.ceil(p * transition_steps)
    return int(min(max(transition_begin, 0) + steps + 1, MAX_DEFAULT_ROWS))


def _exponential_horizon(p) -> int:
    return _exponential_rows(p["init_value"], p["transition_steps"], p["decay_rate"], p["transition_begin"],
                             p["staircase"], p["end_value"])


def _negative_power(rows: int, name: str):
    return rows, Invalid(f"from step {rows} on the rate is infinite, in optax too (0 to the negative "
                         "power {})", name)


def _phases(n: int, *spans: tuple[str, float, float]) -> Annotations:
    """The named spans that start within the rows, cut at the last row."""
    last = n - 1
    kept = tuple(Phase(name, start, min(end, last)) for name, start, end in spans
                 if start < last and end > start)
    return Annotations(phases=kept)


def _transition_phases(n, begin, steps, end_name="end_value"):
    if steps <= 0:
        return Annotations()
    begin = max(begin, 0)
    return _phases(n, ("hold", 0, begin), ("transition", begin, begin + steps),
                   (end_name, begin + steps, n - 1))


def _knot_phases(n: int, init: float, knots: Mapping[int, float], names: tuple[str, ...]) -> Annotations:
    bounds, _ = _knots(init, knots)
    spans = list(zip(bounds, bounds[1:]))
    if bounds != sorted(bounds) or len(spans) != len(names):
        names = tuple(f"phase {i + 1}" for i in range(len(spans)))
    return _phases(n, *((name, a, b) for name, (a, b) in zip(names, spans)))


# --- emitted code ---------------------------------------------------------------------------------

WIDTH = 96


def _literal(value: Any) -> str:
    if isinstance(value, BoundariesAndScales):
        return "{" + ", ".join(f"{step}: {scale!r}" for step, scale in value.items()) + "}"
    if isinstance(value, Cycle):
        return "dict(" + ", ".join(f"{k}={_literal(v)}" for k, v in value.items()) + ")"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, str):
        return repr(value)
    return repr(value)


def _arguments(schedule_params: tuple[Param, ...], params: Mapping[str, Any]) -> list[str]:
    """``name=value`` for each required argument and each one that differs from its default."""
    arguments = []
    for param in schedule_params:
        value = params.get(param.name)
        if value is not None and (param.required or value != param.default):
            arguments.append(f"{param.name}={_literal(value)}")
    return arguments


def _script(call: str, rows: int, label: str, function: str) -> str:
    """A script around ``call`` (which binds ``schedule``) that prints the rate of every row."""
    return "\n".join([
        f"# {label}: optax.{function}; row t is schedule(t), the rate of update t.",
        "# optax evaluates in float32 unless jax_enable_x64 is set; lrplot's numbers are float64,",
        "# which this script prints when run with JAX_ENABLE_X64=1 (or after",
        "# jax.config.update(\"jax_enable_x64\", True)).",
        "import jax",
        "import jax.numpy as jnp",
        "import optax",
        "",
        call,
        "# Step counts as the optimizer's (an int32; int64 with x64, where an int32 count would keep",
        "# parts of some schedules in float32); vmap evaluates the schedule at every count (the",
        "# piecewise schedules take one count at a time).",
        f"steps = jnp.arange({rows})",
        "lrs = [float(v) for v in jax.vmap(schedule)(steps)]",
        "for lr in lrs:",
        "    print(repr(lr))",
        "",
    ])


def _emitter(
    schedule_params: tuple[Param, ...], function: str
) -> Callable[[Mapping[str, Any], int, str], str]:
    def emit(params: Mapping[str, Any], rows: int, label: str) -> str:
        arguments = _arguments(schedule_params, params)
        call = f"schedule = optax.{function}({', '.join(arguments)})"
        if len(call) > WIDTH:
            call = "\n".join([f"schedule = optax.{function}(", *(f"    {a}," for a in arguments), ")"])
        return _script(call, rows, label, function)

    return emit


# --- the registry ---------------------------------------------------------------------------------


# Each function's parameters in order (optax 0.2.8), for `lrplot code`'s positional arguments;
# tests/test_code.py checks them against optax's own signatures.
SIGNATURES = {
    "constant_schedule": ("value",),
    "linear_schedule": ("init_value", "end_value", "transition_steps", "transition_begin"),
    "polynomial_schedule": ("init_value", "end_value", "power", "transition_steps", "transition_begin"),
    "cosine_decay_schedule": ("init_value", "decay_steps", "alpha", "exponent"),
    "exponential_decay": ("init_value", "transition_steps", "decay_rate", "transition_begin", "staircase",
                          "end_value"),
    "piecewise_constant_schedule": ("init_value", "boundaries_and_scales"),
    "piecewise_interpolate_schedule": ("interpolate_type", "init_value", "boundaries_and_scales"),
    "warmup_constant_schedule": ("init_value", "peak_value", "warmup_steps"),
    "warmup_cosine_decay_schedule": ("init_value", "peak_value", "warmup_steps", "decay_steps", "end_value",
                                     "exponent"),
    "warmup_exponential_decay_schedule": ("init_value", "peak_value", "warmup_steps", "transition_steps",
                                          "decay_rate", "transition_begin", "staircase", "end_value"),
    "linear_onecycle_schedule": ("transition_steps", "peak_value", "pct_start", "pct_final", "div_factor",
                                 "final_div_factor"),
    "cosine_onecycle_schedule": ("transition_steps", "peak_value", "pct_start", "div_factor",
                                 "final_div_factor"),
    "sgdr_schedule": ("cosine_kwargs",),
}


def _register(name: str, function: str, params: tuple[Param, ...], **entry: Any) -> Schedule:
    return register(Schedule(
        name=name,
        framework=FRAMEWORK,
        origin=f"optax.{function}",
        params=params,
        emit=_emitter(params, function),
        signature=SIGNATURES[function],
        **entry,
    ))


CONSTANT_PARAMS = (Real("value", "The value at every step.", required=True),)
CONSTANT = _register(
    "constant", "constant_schedule", CONSTANT_PARAMS,
    summary="The same value at every step.",
    lr=constant,
    lr_range=lambda first, n, *, value: np.full(n, float(value)),
    horizon=lambda p: OPEN_ROWS,
    horizon_text=f"{OPEN_ROWS} rows",
    example="optax constant --value 0.001",
    scaled=lambda n: {"value": 0.001, "steps": n},
)

LINEAR_PARAMS = (INIT_VALUE, END_VALUE, TRANSITION_STEPS, TRANSITION_BEGIN)
LINEAR = _register(
    "linear", "linear_schedule", LINEAR_PARAMS,
    summary="A straight line from init_value to end_value over transition_steps, after transition_begin.",
    lr=linear,
    lr_range=linear_range,
    horizon=lambda p: (max(p["transition_begin"], 0) + p["transition_steps"] + 1
                       if p["transition_steps"] > 0 else OPEN_ROWS),
    horizon_text="max(transition_begin, 0) + transition_steps + 1 rows, so the curve reaches end_value "
    f"({OPEN_ROWS} when transition_steps <= 0)",
    warn=_warn_polynomial,
    annotate=lambda p, n: _transition_phases(n, p["transition_begin"], p["transition_steps"]),
    example="optax linear --init-value 0 --end-value 0.001 --transition-steps 1000",
    scaled=lambda n: {"init_value": 0.001, "end_value": 0.0, "transition_steps": n - 1, "steps": n},
)


def _polynomial_horizon(p) -> int:
    if p["transition_steps"] <= 0:
        return OPEN_ROWS
    end = max(p["transition_begin"], 0) + p["transition_steps"]
    return end if p["power"] < 0 else end + 1


def _polynomial_limit(p):
    """A negative power of 1 − T·(1/T): infinite when that is 0, as for most T; for the others
    (T = 49: 1.1e-16) a huge finite value, which lrplot shows, as optax gives it."""
    steps = p["transition_steps"]
    if p["power"] < 0 and steps > 0 and 1 - _over(steps, steps) == 0:
        return _negative_power(max(p["transition_begin"], 0) + steps, "power")
    return None


POLYNOMIAL_PARAMS = (
    INIT_VALUE, END_VALUE,
    Real("power", "The power of the polynomial (1: linear).", required=True),
    TRANSITION_STEPS, TRANSITION_BEGIN,
)
POLYNOMIAL = _register(
    "polynomial", "polynomial_schedule", POLYNOMIAL_PARAMS,
    summary="(init_value - end_value) * (1 - t/transition_steps)^power + end_value, after transition_begin.",
    lr=polynomial,
    lr_range=polynomial_range,
    horizon=_polynomial_horizon,
    horizon_text="max(transition_begin, 0) + transition_steps + 1 rows, so the curve reaches end_value "
    f"({OPEN_ROWS} when transition_steps <= 0)",
    limit=_polynomial_limit,
    warn=_warn_polynomial,
    annotate=lambda p, n: _transition_phases(n, p["transition_begin"], p["transition_steps"]),
    example="optax polynomial --init-value 0.01 --end-value 0.0001 --power 2 --transition-steps 1000 "
    "--transition-begin 100",
    scaled=lambda n: {"init_value": 0.01, "end_value": 1e-4, "power": 2.0, "transition_steps": n - 1,
                      "steps": n},
)

COSINE_DECAY_PARAMS = (
    INIT_VALUE,
    Integer("decay_steps", "Steps of the decay; after it the rate stays at alpha * init_value.",
            required=True, ge=1),
    Real("alpha", "The final value as a fraction of init_value.", 0.0),
    EXPONENT,
)
COSINE_DECAY = _register(
    "cosine-decay", "cosine_decay_schedule", COSINE_DECAY_PARAMS,
    summary="Half a cosine from init_value down to alpha * init_value over decay_steps, then held.",
    lr=cosine_decay,
    lr_range=cosine_decay_range,
    horizon=lambda p: p["decay_steps"] + (0 if p["exponent"] < 0 else 1),
    horizon_text="decay_steps + 1 rows (steps 0..decay_steps), so the curve reaches alpha * init_value",
    limit=lambda p: _negative_power(p["decay_steps"], "exponent") if p["exponent"] < 0 else None,
    warn=lambda p, n: _float32_count(n),
    annotate=lambda p, n: _phases(n, ("decay", 0, p["decay_steps"]),
                                  ("alpha * init_value", p["decay_steps"], n - 1)),
    example="optax cosine-decay --init-value 0.1 --decay-steps 1000 --alpha 0.01",
    scaled=lambda n: {"init_value": 0.1, "decay_steps": n - 1, "alpha": 0.01, "steps": n},
)

EXPONENTIAL_DECAY_PARAMS = (INIT_VALUE, *EXPONENTIAL_PARAMS)
EXPONENTIAL_DECAY = _register(
    "exponential-decay", "exponential_decay", EXPONENTIAL_DECAY_PARAMS,
    summary="init_value * decay_rate^((t - transition_begin) / transition_steps), optionally in stairs.",
    lr=exponential_decay,
    lr_range=exponential_decay_range,
    resolve=_resolve_exponential,
    horizon=_exponential_horizon,
    horizon_text="until the rate reaches end_value, or 1% of init_value (at most 10^6 rows; "
    f"{OPEN_ROWS} if it does not decay)",
    warn=lambda p, n: _exponential_traps(p, "init_value", p["init_value"], n) + _float32_count(n),
    annotate=lambda p, n: (_phases(n, ("hold", 0, max(p["transition_begin"], 0)))
                           if p["transition_steps"] > 0 and p["decay_rate"] != 0 else Annotations()),
    derived=lambda p: ({"factor per step": p["decay_rate"] ** (1 / p["transition_steps"])}
                       if p["transition_steps"] > 0 and p["decay_rate"] > 0 else {}),
    example="optax exponential-decay --init-value 0.1 --transition-steps 100 --decay-rate 0.5 "
    "--end-value 0.001",
    scaled=lambda n: {"init_value": 0.1, "transition_steps": max(1, n // 10), "decay_rate": 0.5, "steps": n},
)


def _last_boundary(p) -> int | None:
    steps = list(p["boundaries_and_scales"] or {})
    return max(steps) if steps and max(steps) > 0 else None


PIECEWISE_CONSTANT_PARAMS = (INIT_VALUE, BOUNDARIES_AND_SCALES)
PIECEWISE_CONSTANT = _register(
    "piecewise-constant", "piecewise_constant_schedule", PIECEWISE_CONSTANT_PARAMS,
    summary="init_value, multiplied by each scale from its boundary step on.",
    lr=piecewise_constant,
    lr_range=piecewise_constant_range,
    horizon=lambda p: (OPEN_ROWS if _last_boundary(p) is None
                       else _last_boundary(p) + math.ceil(_last_boundary(p) / 4) + 1),
    horizon_text=f"the last boundary and a quarter more (last + ceil(last / 4) + 1 rows; {OPEN_ROWS} "
    "without one)",
    warn=lambda p, n: (),
    example="optax piecewise-constant --init-value 0.1 --boundaries-and-scales 1000=0.1,2000=0.1",
    scaled=lambda n: {"init_value": 0.1, "boundaries_and_scales": {n // 2: 0.1, 3 * n // 4: 0.1}, "steps": n},
)

PIECEWISE_INTERPOLATE_PARAMS = (
    Choice("interpolate_type", "How the rate moves between boundaries.", required=True,
           choices=("linear", "cosine")),
    INIT_VALUE,
    BOUNDARIES_AND_SCALES,
)
PIECEWISE_INTERPOLATE = _register(
    "piecewise-interpolate", "piecewise_interpolate_schedule", PIECEWISE_INTERPOLATE_PARAMS,
    summary="From init_value to the running product of the scales at each boundary, linearly or by cosine.",
    lr=piecewise_interpolate,
    lr_range=piecewise_interpolate_range,
    horizon=lambda p: OPEN_ROWS if _last_boundary(p) is None else _last_boundary(p) + 1,
    horizon_text=f"the last boundary + 1 rows, where the last value is reached ({OPEN_ROWS} without one)",
    warn=lambda p, n: _float32_count(n),
    example="optax piecewise-interpolate --interpolate-type cosine --init-value 0.1 "
    "--boundaries-and-scales 500=0.1,1000=0.1",
    scaled=lambda n: {"interpolate_type": "cosine", "init_value": 0.1,
                      "boundaries_and_scales": {n // 2: 0.1, n - 1: 0.1}, "steps": n},
)

WARMUP_CONSTANT_PARAMS = (INIT_VALUE, PEAK_VALUE, WARMUP_STEPS)
WARMUP_CONSTANT = _register(
    "warmup-constant", "warmup_constant_schedule", WARMUP_CONSTANT_PARAMS,
    summary="A linear warm-up from init_value to peak_value, then peak_value.",
    lr=warmup_constant,
    lr_range=warmup_constant_range,
    horizon=lambda p: 2 * p["warmup_steps"] + 1 if p["warmup_steps"] > 0 else OPEN_ROWS,
    horizon_text=f"2 * warmup_steps + 1 rows: the warm-up, then as long at peak_value ({OPEN_ROWS} "
    "when warmup_steps <= 0)",
    warn=_warn_warmup_constant,
    annotate=lambda p, n: _phases(n, ("warm-up", 0, p["warmup_steps"])),
    example="optax warmup-constant --init-value 0 --peak-value 0.001 --warmup-steps 100",
    scaled=lambda n: {"init_value": 0.0, "peak_value": 0.001, "warmup_steps": n // 10, "steps": n},
)

WARMUP_COSINE_DECAY = _register(
    "warmup-cosine-decay", "warmup_cosine_decay_schedule", WARMUP_COSINE_PARAMS,
    summary="A linear warm-up to peak_value, then a cosine to end_value at step decay_steps "
    "(the warm-up included).",
    lr=warmup_cosine_decay,
    lr_range=warmup_cosine_decay_range,
    resolve=_resolve_warmup_cosine,
    horizon=lambda p: max(p["decay_steps"], 1) + (0 if p["exponent"] < 0 else 1),
    horizon_text="decay_steps + 1 rows (steps 0..decay_steps), so the curve reaches end_value",
    limit=lambda p: _negative_power(p["decay_steps"], "exponent") if p["exponent"] < 0 else None,
    warn=_warn_warmup_cosine,
    annotate=lambda p, n: _phases(n, ("warm-up", 0, p["warmup_steps"]),
                                  ("cosine", max(p["warmup_steps"], 0), p["decay_steps"]),
                                  ("end_value", p["decay_steps"], n - 1)),
    derived=lambda p: {"alpha": _cosine_alpha(p["peak_value"], p["end_value"]),
                       "cosine steps": p["decay_steps"] - p["warmup_steps"]},
    example="optax warmup-cosine-decay --init-value 0 --peak-value 0.001 --warmup-steps 100 "
    "--decay-steps 1000 --end-value 1e-5",
    scaled=lambda n: {"init_value": 0.0, "peak_value": 0.001, "warmup_steps": n // 20,
                      "decay_steps": n - 1, "end_value": 1e-5, "steps": n},
)

WARMUP_EXPONENTIAL_DECAY_PARAMS = (INIT_VALUE, PEAK_VALUE, WARMUP_STEPS, *EXPONENTIAL_PARAMS)


def _warmup_exponential_horizon(p) -> int:
    rest = _exponential_rows(p["peak_value"], p["transition_steps"], p["decay_rate"], p["transition_begin"],
                             p["staircase"], p["end_value"])
    return int(min(max(p["warmup_steps"], 0) + rest, MAX_DEFAULT_ROWS))


WARMUP_EXPONENTIAL_DECAY = _register(
    "warmup-exponential-decay", "warmup_exponential_decay_schedule", WARMUP_EXPONENTIAL_DECAY_PARAMS,
    summary="A linear warm-up to peak_value, then exponential_decay from it.",
    lr=warmup_exponential_decay,
    lr_range=warmup_exponential_decay_range,
    resolve=_resolve_exponential,
    horizon=_warmup_exponential_horizon,
    horizon_text="the warm-up, then until the rate reaches end_value or 1% of peak_value (at most 10^6 "
    "rows)",
    warn=_warn_warmup_exponential,
    annotate=lambda p, n: _phases(
        n, ("warm-up", 0, p["warmup_steps"]),
        ("hold", max(p["warmup_steps"], 0), p["warmup_steps"] + max(p["transition_begin"], 0)),
    ),
    example="optax warmup-exponential-decay --init-value 0 --peak-value 0.001 --warmup-steps 100 "
    "--transition-steps 200 --decay-rate 0.5",
    scaled=lambda n: {"init_value": 0.0, "peak_value": 0.001, "warmup_steps": n // 20,
                      "transition_steps": max(1, n // 10), "decay_rate": 0.5, "steps": n},
)

LINEAR_ONECYCLE_PARAMS = (
    ONECYCLE_STEPS,
    Real("peak_value", "The peak, reached at step int(pct_start * transition_steps).", required=True),
    PCT_START,
    Real("pct_final", "Fraction of transition_steps at which the rate is back at the start value.", 0.85),
    DIV_FACTOR,
    FINAL_DIV_FACTOR,
)


def _onecycle_derived(init: float, knots: Mapping[int, float]) -> dict[str, float]:
    _, values = _knots(init, knots)
    return {"start value": init, "final value": float(values[-1])}


LINEAR_ONECYCLE = _register(
    "linear-onecycle", "linear_onecycle_schedule", LINEAR_ONECYCLE_PARAMS,
    summary="1cycle in three lines: up to peak_value, back to the start, down to start / final_div_factor.",
    lr=linear_onecycle,
    lr_range=linear_onecycle_range,
    horizon=lambda p: p["transition_steps"] + 1,
    horizon_text="transition_steps + 1 rows, so the curve reaches its final value",
    warn=lambda p, n: _onecycle_traps(p["transition_steps"], _linear_onecycle_items(p)) + _float32_count(n),
    annotate=lambda p, n: _knot_phases(n, *linear_onecycle_knots(**p), ("warm-up", "anneal", "final")),
    derived=lambda p: _onecycle_derived(*linear_onecycle_knots(**p)),
    example="optax linear-onecycle --transition-steps 1000 --peak-value 0.01",
    scaled=lambda n: {"transition_steps": n - 1, "peak_value": 0.01, "steps": n},
)

COSINE_ONECYCLE_PARAMS = (
    ONECYCLE_STEPS,
    Real("peak_value", "The peak, reached at step int(pct_start * transition_steps).", required=True),
    PCT_START,
    DIV_FACTOR,
    FINAL_DIV_FACTOR,
)
COSINE_ONECYCLE = _register(
    "cosine-onecycle", "cosine_onecycle_schedule", COSINE_ONECYCLE_PARAMS,
    summary="1cycle by half cosines: up to peak_value, then down to start / final_div_factor.",
    lr=cosine_onecycle,
    lr_range=cosine_onecycle_range,
    horizon=lambda p: p["transition_steps"] + 1,
    horizon_text="transition_steps + 1 rows, so the curve reaches its final value",
    warn=lambda p, n: _onecycle_traps(p["transition_steps"], _cosine_onecycle_items(p)) + _float32_count(n),
    annotate=lambda p, n: _knot_phases(n, *cosine_onecycle_knots(**p), ("warm-up", "anneal")),
    derived=lambda p: _onecycle_derived(*cosine_onecycle_knots(**p)),
    example="optax cosine-onecycle --transition-steps 1000 --peak-value 0.01",
    scaled=lambda n: {"transition_steps": n - 1, "peak_value": 0.01, "steps": n},
)


def _sgdr_total(p) -> int:
    return sum(kwargs["decay_steps"] for kwargs in p["cosine_kwargs"])


def _sgdr_annotate(p, n) -> Annotations:
    boundaries = [0, *_sgdr_boundaries(p["cosine_kwargs"]), _sgdr_total(p)]
    if boundaries != sorted(boundaries):
        return Annotations()
    return _phases(n, *((f"cycle {i + 1}", a, b) for i, (a, b) in enumerate(zip(boundaries, boundaries[1:]))))


SGDR_PARAMS = (CosineCycles(
    "cosine_kwargs",
    "The cycles: each a mapping of warmup_cosine_decay_schedule's arguments (init_value, peak_value, "
    "warmup_steps, decay_steps, end_value, exponent).",
    required=True,
),)
SGDR = _register(
    "sgdr", "sgdr_schedule", SGDR_PARAMS,
    summary="Warm restarts: warmup_cosine_decay cycles one after another, each decay_steps long.",
    lr=sgdr,
    lr_range=sgdr_range,
    horizon=lambda p: max(_sgdr_total(p), 1) + 1,
    horizon_text="the sum of the cycles' decay_steps + 1 rows, so the last cycle reaches its end_value",
    warn=_warn_sgdr,
    annotate=_sgdr_annotate,
    derived=lambda p: {"cycles": len(p["cosine_kwargs"]), "total steps": _sgdr_total(p)},
    example="{type: optax.sgdr, cosine_kwargs: [{init_value: 0, peak_value: 0.001, warmup_steps: 10, "
    "decay_steps: 100}, {init_value: 0, peak_value: 0.0005, warmup_steps: 10, decay_steps: 200}]}",
    scaled=lambda n: {"cosine_kwargs": [
        {"init_value": 0.0, "peak_value": 0.001, "warmup_steps": n // 30, "decay_steps": n // 3},
        {"init_value": 0.0, "peak_value": 5e-4, "warmup_steps": n // 30, "decay_steps": n // 3},
        {"init_value": 0.0, "peak_value": 2.5e-4, "warmup_steps": n // 30, "decay_steps": n - 2 * (n // 3)},
    ], "steps": n},
    yaml_only=True,
)


# --- join_schedules: optax's own composite ------------------------------------------------------


def join_schedules(t: np.ndarray, *, schedules: tuple[Any, ...], boundaries: tuple[int, ...]) -> np.ndarray:
    """optax.join_schedules(schedules, boundaries): schedule 0 below boundaries[0], then schedule
    i (i >= 1) from boundaries[i − 1] on, each from its own step 0: ``schedule_i(t − b_{i−1})``
    (optax's ``where(step < b, output, next(step − b))``, boundary by boundary)."""
    pieces = [_piece_of(spec) for spec in schedules]
    return _join(t, pieces, list(boundaries))


def join_schedules_range(first: int, n: int, *, schedules: tuple[Any, ...],
                         boundaries: tuple[int, ...]) -> np.ndarray:
    """:func:`join_schedules` at rows first..first+n−1: each piece's run of rows by its own fast
    route (Schedule.rows)."""

    def piece(spec: Any) -> RangeFn:
        schedule = entry(spec.schedule)

        def write(a: int, m: int, rows: np.ndarray) -> None:
            rows[:] = schedule.rows(a, m, spec.params)

        return write

    return _join_range(first, n, [piece(spec) for spec in schedules], list(boundaries))


def _piece_of(spec: Any) -> Fn:
    """A validated child spec as a function of its own steps."""
    schedule = entry(spec.schedule)
    return lambda s: schedule.curve(_steps(s), spec.params)


class Boundaries(IntegerList):
    """IntegerList that also takes an empty list: a join of one schedule has no boundary."""

    def parse(self, raw: Any) -> tuple[int, ...]:
        if isinstance(raw, (list, tuple)) and not raw:
            return ()
        return super().parse(raw)


def _join_call(params: Mapping[str, Any]) -> str:
    """``schedule = optax.join_schedules([...], [...])`` with each piece's own call."""
    pieces = []
    for spec in params["schedules"]:
        schedule = entry(spec.schedule)
        pieces.append(f"optax.{schedule.origin_name}({', '.join(_arguments(schedule.params, spec.params))})")
    boundaries = _literal(list(params["boundaries"] or ()))
    lines = ["schedule = optax.join_schedules(", "    [", *(f"        {p}," for p in pieces), "    ],"]
    return "\n".join([*lines, f"    {boundaries},", ")"])


def _resolve_join(params: dict[str, Any], context: Context) -> dict[str, Any]:
    """Every piece is an optax schedule, and there is one boundary between each two."""
    children, boundaries = params["schedules"], params["boundaries"] or ()
    for index, child in enumerate(children):
        if entry(child.schedule).framework != FRAMEWORK:
            raise Invalid(f"{{}}[{index}] is {literal(child.schedule)}: join_schedules joins optax "
                          "schedules (functions of the step), not another framework's", "schedules")
    if len(boundaries) != len(children) - 1:
        raise Invalid(f"{{}} needs {len(children) - 1} value{'s' if len(children) != 2 else ''} for "
                      f"{len(children)} schedules (optax zips them and would drop the rest), got "
                      f"{len(boundaries)}", "boundaries")
    return params


def _join_warnings(params: Mapping[str, Any], n: int) -> tuple[str, ...]:
    boundaries = list(params["boundaries"] or ())
    found = _float32_count(n)
    if boundaries == sorted(boundaries):
        return found
    return (f"boundaries {','.join(map(str, boundaries))} are not increasing: optax applies them in order, "
            "so a later, lower boundary hides every piece before it from its step on", *found)


JOIN_PARAMS = (
    Schedules("schedules", "The optax schedules, each a mapping with a type (optax.NAME) and its "
              "parameters; each starts from its own step 0 at its boundary.", required=True),
    Boundaries("boundaries", "The step at which each schedule after the first takes over.", ge=0),
)
JOIN = register(Schedule(
    name="join-schedules",
    framework=FRAMEWORK,
    origin="optax.join_schedules",
    summary="optax schedules one after another, each from its own step 0 at its boundary.",
    params=JOIN_PARAMS,
    lr=join_schedules,
    lr_range=join_schedules_range,
    resolve=_resolve_join,
    warn=_join_warnings,
    horizon=lambda p: (max(p["boundaries"]) if p["boundaries"] else 0)
    + entry(p["schedules"][-1].schedule).horizon(p["schedules"][-1].params),
    horizon_text="the last boundary plus the last schedule's own rows",
    example="{type: optax.join_schedules, boundaries: [100], schedules: [{type: optax.linear, "
    "init_value: 0, end_value: 0.001, transition_steps: 100}, {type: optax.cosine_decay, "
    "init_value: 0.001, decay_steps: 900}]}",
    signature=("schedules", "boundaries"),
    emit=lambda p, rows, label: _script(_join_call(p), rows, label, "join_schedules"),
    scaled=lambda n: {"boundaries": [n // 10], "steps": n, "schedules": [
        {"type": "optax.linear", "init_value": 0.0, "end_value": 1e-3, "transition_steps": n // 10},
        {"type": "optax.cosine_decay", "init_value": 1e-3, "decay_steps": n - n // 10}]},
    yaml_only=True,
))
