"""timm's learning-rate schedulers (``timm.scheduler``): CosineLRScheduler, TanhLRScheduler,
StepLRScheduler, MultiStepLRScheduler, PolyLRScheduler and PlateauLRScheduler as their
constructors take them, and ``create_scheduler_v2``, the factory timm's train.py configures.

Index convention: row 0 is the rate at construction (``warmup_lr_init`` when there is a warm-up,
else the optimizer's lr); row t >= 1 is the rate after ``scheduler.step(t)`` (``t_in_epochs``) or
``scheduler.step_update(t)`` (the same values): train.py calls ``step(epoch + 1)`` at the end of
each epoch and ``step_update(num_updates)`` after each update, so row t is the rate epoch (or
update) t trains with. PlateauLRScheduler: row t is the rate after ``step(t, metrics[t - 1])``.

Every scheduler computes in Python floats; so does this module (float64), in timm's order of
operations, and with timm's arithmetic where it decides a branch: the cycle index of
``cycle_mul != 1`` is ``math.floor(math.log(1 - t / t_initial * (1 - cycle_mul), cycle_mul))``,
rounding included (at some exact cycle boundaries it rounds down, and the restart comes one step
late). The noise timm adds (``noise_range_t``) comes from torch's generator seeded with
``noise_seed + t``; this module reproduces it bit for bit without torch: torch's Mersenne
Twister (seeded as ``torch.Generator().manual_seed``), its 53-bit uniforms and its Box-Muller
normals rounded to float32, and timm's resampling of normals outside ``noise_pct``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from lrplot.params import (
    Choice,
    Integer,
    IntegerList,
    Invalid,
    Param,
    Real,
    Series,
    Switch,
    Text,
    literal,
    show,
)
from lrplot.records import REQUIRED, Record, replace
from lrplot.registry import Annotations, Context, Event, Phase, Schedule, register

from . import _kernels

if TYPE_CHECKING:
    from lrplot import series


# --- parameters -----------------------------------------------------------------------------------


class NoiseRange(Param):
    """When timm adds noise: one number ``a`` (every t >= a) or two, ``a,b`` (a <= t < b).

    timm's constructors take an int or a two-item list; ``single_list``: a list of one number
    is that number (create_scheduler_v2 collapses it; a constructor would fail on it).
    """

    options = {"single_list": False}
    metavar = "A | A,B"

    def allowed(self) -> str:
        return "one number (noise from that step on) or two, A,B (from A up to B)"

    def parse(self, raw: Any) -> tuple[float, ...]:
        if isinstance(raw, bool):
            raise self._bad(raw)
        if isinstance(raw, str):
            items: list[Any] = [s.strip() for s in raw.split(",")]
        elif isinstance(raw, (list, tuple)):
            items = list(raw)
            if len(items) == 1 and not self.single_list:
                raise self._bad(raw)
        else:
            items = [raw]
        values = [Real(self.name, "").parse(item) if not isinstance(item, bool) else None for item in items]
        if len(values) not in (1, 2) or any(v is None for v in values):
            raise self._bad(raw)
        return tuple(values)


LR = Real("lr", "The optimizer's learning rate: every timm scheduler's base value.", 1e-3, gt=0,
          argument=False)
T_INITIAL = Integer("t_initial", "Steps (epochs or updates) in the first cycle.", required=True, ge=1)
LR_MIN = Real("lr_min", "The rate at the end of each cycle, and after the last one.", 0.0, ge=0)
CYCLE_MUL = Real("cycle_mul", "Each cycle is this many times longer than the one before.", 1.0, gt=0)
CYCLE_DECAY = Real("cycle_decay", "Each cycle starts at this fraction of the one before's peak.", 1.0,
                   ge=0)
CYCLE_LIMIT = Integer("cycle_limit", "Cycles before the rate stays at lr_min.", 1, ge=0)
WARMUP_T = Integer("warmup_t", "Steps of linear warm-up from warmup_lr_init.", 0, ge=0)
WARMUP_LR_INIT = Real("warmup_lr_init", "The rate the warm-up starts from.", 0.0, ge=0)
T_IN_EPOCHS = Switch(
    "t_in_epochs",
    "step(epoch) moves the rate (true) or step_update(num_updates) does (false); same values.",
    True,
)
K_DECAY = Real("k_decay", "k-decay: the cycle's position t enters as t^k / T^k.", 1.0, ge=0)
NOISE_PCT = Real("noise_pct", "Noise limit: |noise| < noise_pct (normal noise is resampled until).",
                 0.67, ge=0)
NOISE_STD = Real("noise_std", "Standard deviation of normal noise.", 1.0, ge=0)
NOISE_SEED = Integer("noise_seed", "Noise at step t comes from torch's generator seeded noise_seed + t.",
                     42, ge=0, le=2**63)


def _warmup_prefix(default: bool) -> Switch:
    return Switch(
        "warmup_prefix",
        "The schedule starts after the warm-up (true), or counts the warm-up steps as its own (false).",
        default,
    )


def _noise_params(plateau: bool = False) -> tuple[Param, ...]:
    found: tuple[Param, ...] = (
        NoiseRange("noise_range_t", "Steps that get noise: A (t >= A) or A,B (A <= t < B). Default: none."),
    )
    if plateau:
        found += (Choice("noise_type", "Normal noise (resampled within noise_pct) or uniform.", "normal",
                         choices=("normal", "uniform")),)
    return found + (NOISE_PCT, NOISE_STD, NOISE_SEED)


def _cycle_params() -> tuple[Param, ...]:
    return (CYCLE_MUL, CYCLE_DECAY, CYCLE_LIMIT)


def _warmup_params(prefix: bool) -> tuple[Param, ...]:
    return (WARMUP_T, WARMUP_LR_INIT, _warmup_prefix(prefix))


# --- torch's random numbers, without torch ------------------------------------------------------

# torch's CPU generator is a 32-bit Mersenne Twister (MT19937), seeded by the standard recurrence
# from the low 32 bits of the seed. torch.randn(1) draws a double normal by Box-Muller from two
# 53-bit uniforms (two 32-bit outputs each) and keeps the second normal for the next call;
# torch.rand(1) is a float32 uniform from one output's low 24 bits.
_N, _M = 624, 397
_MATRIX_A = np.uint32(0x9908B0DF)
_UPPER = np.uint32(0x80000000)
_LOWER = np.uint32(0x7FFFFFFF)
_SEED_MULT = np.uint32(1812433253)
# Seeds per pass: the generators' states stay in the cache.
_LIGHT_CHUNK = 1 << 15
_FULL_CHUNK = 1 << 11
# A float64 normal this close (relatively) to a float32 rounding boundary is recomputed with
# Python's math, which calls the same C library as torch (numpy's log1p may differ by an ulp).
_TIE = 2.0**-40


def _temper(y: np.ndarray) -> np.ndarray:
    y = y ^ (y >> np.uint32(11))
    y = y ^ ((y << np.uint32(7)) & np.uint32(0x9D2C5680))
    y = y ^ ((y << np.uint32(15)) & np.uint32(0xEFC60000))
    return y ^ (y >> np.uint32(18))


def _mix(far: np.ndarray, word: np.ndarray, following: np.ndarray) -> np.ndarray:
    """One word of MT19937's twist: far ^ A(upper bit of word | lower bits of following)."""
    y = (word & _UPPER) | (following & _LOWER)
    return far ^ (y >> np.uint32(1)) ^ ((y & np.uint32(1)) * _MATRIX_A)


def _first_outputs(seeds: np.ndarray, count: int) -> np.ndarray:
    """Outputs 0..count-1 (count <= 227) of MT19937 seeded with each seed, shape (count, seeds):
    they need only the initial state's words 0..count and 397..396+count."""
    low = np.empty((count + 1, len(seeds)), np.uint32)
    high = np.empty((count, len(seeds)), np.uint32)
    x = seeds.copy()
    low[0] = x
    shifted = np.empty_like(x)
    for j in range(1, _M + count):
        np.right_shift(x, np.uint32(30), out=shifted)
        np.bitwise_xor(x, shifted, out=shifted)
        np.multiply(shifted, _SEED_MULT, out=x)  # wraps modulo 2^32, as the C code does
        x += np.uint32(j)
        if j <= count:
            low[j] = x
        if j >= _M:
            high[j - _M] = x
    return _temper(_mix(high, low[:-1], low[1:]))


def _initial_state(seeds: np.ndarray) -> np.ndarray:
    state = np.empty((_N, len(seeds)), np.uint32)
    state[0] = seeds
    for j in range(1, _N):
        prev = state[j - 1]
        state[j] = (prev ^ (prev >> np.uint32(30))) * _SEED_MULT + np.uint32(j)
    return state


def _twist(x: np.ndarray) -> np.ndarray:
    """The next 624 words of MT19937's state, vectorized in the three stretches the twist reads."""
    new = np.empty_like(x)
    new[0:227] = _mix(x[397:624], x[0:227], x[1:228])
    new[227:454] = _mix(new[0:227], x[227:454], x[228:455])
    new[454:623] = _mix(new[227:396], x[454:623], x[455:624])
    new[623] = _mix(new[396], x[623], new[0])
    return new


def _uniform53(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """torch's double uniform in [0, 1): the low 53 bits of (high << 32 | low), times 2^-53."""
    return ((high & np.uint32(0x1FFFFF)).astype(np.float64) * 2.0**32 + low) * 2.0**-53


def _to_float32(z: np.ndarray, redo) -> np.ndarray:
    """``z`` rounded to float32 (as float64); values near a rounding boundary come from ``redo``."""
    out = z.astype(np.float32).astype(np.float64)
    near = (z * (1 - _TIE)).astype(np.float32) != (z * (1 + _TIE)).astype(np.float32)
    for row in np.flatnonzero(near).tolist():
        out[row] = float(np.float32(redo(row)))
    return out


def _box_muller(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """torch's pair of normals from four outputs (u1, u2 from two each): r·cos θ, then r·sin θ,
    with r = sqrt(-2 log1p(-u2)) and θ = 2π·u1, each rounded to float32 as torch.randn(1) is."""
    u1 = _uniform53(words[0], words[1])
    u2 = _uniform53(words[2], words[3])
    r = np.sqrt(-2.0 * np.log1p(-u2))
    theta = 2.0 * math.pi * u1

    def exact(row: int, fn) -> float:
        return math.sqrt(-2.0 * math.log1p(-float(u2[row]))) * fn(2.0 * math.pi * float(u1[row]))

    first = _to_float32(r * np.cos(theta), lambda row: exact(row, math.cos))
    second = _to_float32(r * np.sin(theta), lambda row: exact(row, math.sin))
    return first, second


def _normal_noise(seeds: np.ndarray, pct: float, std: float) -> np.ndarray:
    """timm's ``_calculate_noise`` for noise_type normal: ``randn(1) * noise_std`` drawn again
    until ``abs(noise) < noise_pct``, from a generator seeded with each seed.

    Rounds of draws: the rows still pending get twice the pairs of normals of the round before
    (from outputs that need only the seed recurrence, up to 56 pairs), then whole twists of the
    state for the very few rows that are still pending after that."""
    out = np.full(len(seeds), np.nan)
    pending = np.arange(len(seeds))
    done, pairs = 0, 1
    while pending.size and 4 * pairs <= _N - _M:
        left = []
        for low in range(0, len(pending), _LIGHT_CHUNK):
            rows = pending[low : low + _LIGHT_CHUNK]
            words = _first_outputs(seeds[rows], 4 * pairs)
            keep = np.arange(len(rows))
            for pair in range(done, pairs):
                keep = _accept(out, rows, keep, words[4 * pair : 4 * pair + 4], pct, std)
            left.append(rows[keep])
        pending = np.concatenate(left)
        done, pairs = pairs, 2 * pairs
    for low in range(0, len(pending), _FULL_CHUNK):
        rows = pending[low : low + _FULL_CHUNK]
        state = _twist(_initial_state(seeds[rows]))
        words, pair = _temper(state), done
        keep = np.arange(len(rows))
        while keep.size:
            if 4 * pair == _N:
                state = _twist(state)
                words, pair = _temper(state), 0
            keep = _accept(out, rows, keep, words[4 * pair : 4 * pair + 4], pct, std)
            pair += 1
    return out


def _accept(out: np.ndarray, rows: np.ndarray, keep: np.ndarray, words: np.ndarray, pct: float,
            std: float) -> np.ndarray:
    """One pair of normals for the rows ``rows[keep]`` (their four outputs in ``words``): the
    first normal where it is within noise_pct, else the second where that one is; returns the
    positions in ``rows`` still pending."""
    first, second = _box_muller(words[:, keep])
    noise = first * std
    ok = np.abs(noise) < pct
    out[rows[keep[ok]]] = noise[ok]
    keep, noise = keep[~ok], second[~ok] * std
    ok = np.abs(noise) < pct
    out[rows[keep[ok]]] = noise[ok]
    return keep[~ok]


def _uniform_noise(seeds: np.ndarray, pct: float) -> np.ndarray:
    """timm's uniform noise: ``2 * (rand(1) - 0.5) * noise_pct``, rand the float32 uniform of
    the first output's low 24 bits."""
    out = np.empty(len(seeds))
    for low in range(0, len(seeds), _LIGHT_CHUNK):
        word = _first_outputs(seeds[low : low + _LIGHT_CHUNK], 1)[0]
        u = (word & np.uint32(0xFFFFFF)).astype(np.float64) * 2.0**-24
        out[low : low + len(u)] = 2 * (u - 0.5) * pct
    return out


class Noise(Record):
    """timm's noise: at step t within ``range_t``, the rate v becomes ``v + v * noise(t)``."""

    FIELDS = (
        ("range_t", REQUIRED),
        ("pct", REQUIRED),
        ("std", REQUIRED),
        ("seed", REQUIRED),
        ("kind", "normal"),
    )

    range_t: tuple[float, ...]
    pct: float
    std: float
    seed: int
    kind: str

    def rows(self, first: int, n: int) -> slice:
        """The rows of steps first..first+n-1 that get noise (from 1 on: row 0 is construction)."""
        start = max(math.ceil(self.range_t[0]), 1, first)
        stop = first + n if len(self.range_t) == 1 else min(math.ceil(self.range_t[1]), first + n)
        return slice(start - first, max(stop, start) - first)

    def mask(self, t: np.ndarray) -> np.ndarray:
        inside = (t >= self.range_t[0]) & (t >= 1)
        return inside & (t < self.range_t[1]) if len(self.range_t) == 2 else inside

    def draw(self, t: np.ndarray) -> np.ndarray:
        """noise(t) for whole steps t, exactly as timm's ``_calculate_noise(t)``."""
        seeds = ((t.astype(np.uint64) + np.uint64(self.seed & 0xFFFFFFFF)) & np.uint64(0xFFFFFFFF))
        seeds = seeds.astype(np.uint32)
        if self.kind == "normal":
            return _normal_noise(seeds, self.pct, self.std)
        return _uniform_noise(seeds, self.pct)

    def apply(self, values: np.ndarray, t: np.ndarray) -> np.ndarray:
        rows = np.flatnonzero(self.mask(t))
        if rows.size:
            v = values[rows]
            values[rows] = v + v * self.draw(t[rows])
        return values

    def apply_range(self, values: np.ndarray, first: int) -> np.ndarray:
        rows = self.rows(first, len(values))
        if rows.stop > rows.start:
            v = values[rows]
            steps = np.arange(first + rows.start, first + rows.stop, dtype=np.float64)
            values[rows] = v + v * self.draw(steps)
        return values

    def describe(self) -> str:
        where = (f"t >= {self.range_t[0]:g}" if len(self.range_t) == 1
                 else f"{self.range_t[0]:g} <= t < {self.range_t[1]:g}")
        return f"{self.kind} noise at {where}, noise_pct {self.pct:g}"


def _noise_of(p: Mapping[str, Any]) -> Noise | None:
    if p.get("noise_range_t") is None:
        return None
    return Noise(tuple(p["noise_range_t"]), p["noise_pct"], p["noise_std"], p["noise_seed"],
                 p.get("noise_type", "normal"))


# --- the schedulers ---------------------------------------------------------------------------------


def _power(base: float, exponent: int) -> float:
    """Python's ``base ** exponent`` (timm's), inf where Python would raise OverflowError."""
    try:
        return base**exponent
    except OverflowError:
        return math.inf


# Beyond this many distinct cycles, their constants take numpy's power (an ulp from Python's).
_PYTHON_CYCLES = 100_000
# A cycle index this close (relatively) to a whole number is decided by Python's math.log.
_NEAR = 1e-12
# Ranges with more cycles than this take the per-row formula instead of cycle by cycle.
_SEGMENTS = 4096


class Warmup(Record):
    """timm's warm-up: ``warmup_lr_init + t * s`` for t < warmup_t, s = (target - init) / warmup_t."""

    FIELDS = (("warmup_t", REQUIRED), ("warmup_lr_init", REQUIRED), ("prefix", REQUIRED))

    warmup_t: int
    warmup_lr_init: float
    prefix: bool

    def step_size(self, target: float) -> float:
        return (target - self.warmup_lr_init) / self.warmup_t if self.warmup_t else 1.0

    @property
    def offset(self) -> int:
        return self.warmup_t if self.prefix else 0


class Timm:
    """What every timm scheduler here shares: the warm-up, the noise and row 0, around the
    schedule's own ``decay(tt)`` of the step ``tt`` after the warm-up offset."""

    warmup: Warmup
    noise: Noise | None
    lr: float

    def target(self) -> float:
        """What the warm-up climbs to: the base lr (TanhLRScheduler without prefix: its curve at
        warmup_t)."""
        return self.lr

    def construction(self) -> float:
        return self.warmup.warmup_lr_init if self.warmup.warmup_t else self.lr

    def decay(self, tt: np.ndarray) -> np.ndarray:  # pragma: no cover - every scheduler has one
        raise NotImplementedError

    def decay_range(self, out: np.ndarray, first: int) -> np.ndarray:
        out[:] = self.decay(np.arange(first, first + len(out), dtype=np.float64))
        return out

    def at(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        out = np.empty(t.shape)
        w = self.warmup
        warm = t < w.warmup_t
        if warm.any():
            out[warm] = w.warmup_lr_init + t[warm] * w.step_size(self.target())
        rest = ~warm
        if rest.any():
            out[rest] = self.decay(t[rest] - w.offset)
        if self.noise is not None:
            self.noise.apply(out, t)
        out[t == 0] = self.construction()
        return out

    def rows(self, first: int, n: int) -> np.ndarray:
        out = np.empty(n)
        w = self.warmup
        warm = min(max(w.warmup_t - first, 0), n)
        if warm:
            out[:warm] = np.arange(first, first + warm, dtype=np.float64)
            out[:warm] *= w.step_size(self.target())
            out[:warm] += w.warmup_lr_init
        if warm < n:
            self.decay_range(out[warm:], first + warm - w.offset)
        if self.noise is not None:
            self.noise.apply_range(out, first)
        if first == 0 and n:
            out[0] = self.construction()
        return out

    def value(self, t: int) -> float:
        return float(self.at(np.array([float(t)]))[0])


class Cycles(Timm, Record):
    """CosineLRScheduler, TanhLRScheduler and PolyLRScheduler: cycles of one shape, cycle i
    lasting t_i = t_initial·cycle_mul^i steps and peaking at lr·cycle_decay^i; from cycle
    cycle_limit on, lr_min. With the position tc in the cycle (tc / t_i = r):

    - cosine: lr_min + 0.5·(lr_max − lr_min)·(1 + cos(π·tc^k / t_i^k))
    - tanh:   lr_min + 0.5·(lr_max − lr_min)·(1 − tanh(lb·(1 − r) + ub·r))
    - poly:   lr_min + (lr_max − lr_min)·(1 − tc^k / t_i^k)^power
    """

    FIELDS = (
        ("shape", REQUIRED),
        ("lr", REQUIRED),
        ("t_initial", REQUIRED),
        ("lr_min", REQUIRED),
        ("cycle_mul", REQUIRED),
        ("cycle_decay", REQUIRED),
        ("cycle_limit", REQUIRED),
        ("warmup", REQUIRED),
        ("noise", REQUIRED),
        ("k_decay", 1.0),
        ("lb", -7.0),
        ("ub", 3.0),
        ("power", 0.5),
    )

    shape: str
    lr: float
    t_initial: int
    lr_min: float
    cycle_mul: float
    cycle_decay: float
    cycle_limit: int
    warmup: Warmup
    noise: Noise | None
    k_decay: float
    lb: float
    ub: float
    power: float

    # -- timm's cycle arithmetic

    def index_at(self, tt: int) -> int:
        """timm's cycle index of one step, with its own float operations."""
        if self.cycle_mul == 1:
            return tt // self.t_initial
        return math.floor(math.log(1 - tt / self.t_initial * (1 - self.cycle_mul), self.cycle_mul))

    def index(self, tt: np.ndarray) -> np.ndarray:
        """:meth:`index_at` of every step: numpy's log, and Python's wherever the quotient is so
        near a whole number that an ulp between the two logs could move the floor."""
        if self.cycle_mul == 1:
            return np.floor_divide(tt, self.t_initial)
        with np.errstate(invalid="ignore", divide="ignore"):
            arg = 1 - tt / self.t_initial * (1 - self.cycle_mul)
            q = np.log(arg) / math.log(self.cycle_mul)
            cycle = np.floor(q)
            near = np.abs(q - np.rint(q)) <= _NEAR * np.maximum(1.0, np.abs(q))
        for row in np.flatnonzero(near & (arg > 0)).tolist():
            cycle[row] = math.floor(math.log(float(arg[row]), self.cycle_mul))
        return cycle

    def constants(self, cycles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(t_i, start, amplitude) of each cycle index, as timm computes them: t_i = m^i·T,
        start = (1 − m^i)/(1 − m)·T (i·T when m = 1), amplitude = the factor of the shape
        (0.5·(lr·decay^i − lr_min), or lr·decay^i − lr_min for poly)."""
        m, T = self.cycle_mul, self.t_initial
        half = self.shape != "poly"
        if len(cycles) <= _PYTHON_CYCLES:
            spans, starts, amps = [], [], []
            for i in (int(c) for c in cycles.tolist()):
                if m == 1:
                    spans.append(float(T))
                    starts.append(float(T * i))
                else:
                    grown = _power(m, i)
                    spans.append(grown * T)
                    starts.append((1 - grown) / (1 - m) * T)
                top = self.lr * _power(self.cycle_decay, i)
                amps.append(0.5 * (top - self.lr_min) if half else top - self.lr_min)
            return np.array(spans), np.array(starts), np.array(amps)
        with np.errstate(over="ignore"):
            grown = np.power(m, cycles)
            spans = np.full(len(cycles), float(T)) if m == 1 else grown * T
            starts = cycles * T if m == 1 else (1 - grown) / (1 - m) * T
            top = self.lr * np.power(self.cycle_decay, cycles)
        return spans, starts, 0.5 * (top - self.lr_min) if half else top - self.lr_min

    def unit(self, t_curr: np.ndarray, t_i: np.ndarray | float) -> np.ndarray:
        """The shape's factor of the amplitude at position t_curr of a cycle of t_i steps."""
        k = self.k_decay
        if self.shape == "tanh":
            tr = t_curr / t_i
            return 1 - np.tanh(self.lb * (1.0 - tr) + self.ub * tr)
        if k == 1:
            ratio_pi, ratio = (np.pi * t_curr / t_i, t_curr / t_i)
        else:
            powered = np.power(t_curr, k)
            ratio_pi, ratio = np.pi * powered / np.power(t_i, k), powered / np.power(t_i, k)
        if self.shape == "cosine":
            return 1 + np.cos(ratio_pi)
        return np.power(1 - ratio, self.power)

    def decay(self, tt: np.ndarray) -> np.ndarray:
        out = np.full(tt.shape, self.lr_min)
        cycle = self.index(tt)
        live = cycle < self.cycle_limit
        if live.any():
            values = cycle[live]
            # np.unique by hand: np.unique imports numpy.ma (~6 ms of every start).
            found = np.sort(values)
            found = found[np.concatenate(([True], found[1:] != found[:-1]))]
            where = np.searchsorted(found, values)
            spans, starts, amps = self.constants(found)
            t_curr = tt[live] - starts[where]
            out[live] = self.lr_min + amps[where] * self.unit(t_curr, spans[where])
        return out

    # -- long ranges

    def decay_range(self, out: np.ndarray, first: int) -> np.ndarray:
        """Rows tt = first.., cycle by cycle: equal cycles (cycle_mul 1) shorter than a fast
        range as one table of the shape times each cycle's amplitude (timm's own products, so
        exact); long cycles by the kernels; many unequal cycles by the per-row formula."""
        n = len(out)
        if self.cycle_mul == 1:
            if self.t_initial < _kernels.FAST_FROM:
                return self._equal_cycles(out, first)
            bounds = [b for b in range(self.t_initial * (first // self.t_initial + 1), first + n,
                                       self.t_initial)]
        else:
            bounds = self._boundaries(first, n)
            if bounds is None:
                out[:] = self.decay(np.arange(first, first + n, dtype=np.float64))
                return out
        edges = [first, *bounds, first + n]
        for low, high in zip(edges[:-1], edges[1:]):
            if high > low:
                self._segment(out[low - first : high - first], low)
        return out

    def _boundaries(self, first: int, n: int) -> list[int] | None:
        """The first step of each cycle after ``first`` up to first+n-1 (timm's index, found by
        exact checks around the exact start of each cycle), or None when there are too many."""
        last = first + n - 1
        low, high = self.index_at(first), self.index_at(last)
        high = min(high, max(self.cycle_limit, low))
        if high - low > _SEGMENTS:
            return None
        m, T = self.cycle_mul, self.t_initial
        bounds = []
        for j in range(low + 1, high + 1):
            estimate = T * (m**j - 1) / (m - 1)
            b = min(max(math.ceil(estimate), first + 1), last)
            while b > first + 1 and self.index_at(b - 1) >= j:
                b -= 1
            while b <= last and self.index_at(b) < j:
                b += 1
            if b > last:
                break
            bounds.append(b)
        return sorted(set(bounds))

    def _segment(self, out: np.ndarray, low: int) -> None:
        """Rows tt = low.. of one cycle (one index): long stretches by the kernels."""
        n = len(out)
        cycle = self.index_at(low)
        if cycle >= self.cycle_limit:
            out[:] = self.lr_min
            return
        spans, starts, amps = self.constants(np.array([cycle], dtype=np.float64))
        span, start, amp = float(spans[0]), float(starts[0]), float(amps[0])
        whole = self.cycle_mul == 1

        def plain(steps: np.ndarray) -> np.ndarray:
            return self.lr_min + amp * self.unit(steps - start, span)

        if n < _kernels.FAST_FROM or (self.k_decay != 1 and self.shape != "tanh"):
            out[:] = plain(np.arange(low, low + n, dtype=np.float64))
            return
        if self.shape == "cosine":
            _kernels.cosine(out, low, start=start, length=span, amp=amp, mid=self.lr_min + amp,
                            periodic=whole)
        elif self.shape == "tanh":
            _tanh_fall(out, low - start, span, self.lb, self.ub, 2 * amp, self.lr_min)
        elif whole:
            local = int(low - start)
            _kernels.power(out, local, total=int(span), p=self.power,
                           plain=lambda s: amp * np.power(1 - s / span, self.power))
            if self.lr_min:
                out += self.lr_min
        else:
            out[:] = plain(np.arange(low, low + n, dtype=np.float64))
            return
        # The ends of the stretch by the formula (a cycle's first step is cos 0 = 1 exactly).
        out[[0, -1]] = plain(np.array([low, low + n - 1], dtype=np.float64))

    def _equal_cycles(self, out: np.ndarray, first: int) -> np.ndarray:
        """cycle_mul 1, t_initial < FAST_FROM: lr_min + amplitude_i · unit[tc] with one table of
        the unit over a cycle: the same float operations as timm's, row by row."""
        n, T = len(out), self.t_initial
        live = int(min(max(self.cycle_limit * T - first, 0), n))
        out[live:] = self.lr_min
        if not live:
            return out
        low, high = first // T, (first + live - 1) // T
        _, _, amps = self.constants(np.arange(low, high + 1, dtype=np.float64))
        unit = self.unit(np.arange(T, dtype=np.float64), float(T))
        offset = first - low * T
        head = min(T - offset, live)
        out[:head] = self.lr_min + amps[0] * unit[offset : offset + head]
        whole = (live - head) // T
        if whole:
            block = out[head : head + whole * T].reshape(whole, T)
            np.multiply(amps[1 : 1 + whole, None], unit, out=block)
            if self.lr_min:
                block += self.lr_min
        tail = live - head - whole * T
        if tail:
            out[head + whole * T : live] = self.lr_min + amps[1 + whole] * unit[:tail]
        return out

    # -- what timm says about it

    def target(self) -> float:
        if self.shape == "tanh" and not self.warmup.prefix and self.warmup.warmup_t:
            return self.get_lr(self.warmup.warmup_t)
        return self.lr

    def get_lr(self, tt: int) -> float:
        """timm's ``_get_lr`` after the warm-up, in Python floats (a scalar, e.g. TanhLRScheduler's
        warm-up target, where timm's own 1 - tanh(x) cancels and numpy's tanh is an ulp off)."""
        i = self.index_at(tt)
        if i >= self.cycle_limit:
            return self.lr_min
        m, T, k = self.cycle_mul, self.t_initial, self.k_decay
        if m != 1:
            t_i = m**i * T
            t_curr = tt - (1 - m**i) / (1 - m) * T
        else:
            t_i, t_curr = T, tt - T * i
        lr_max = self.lr * self.cycle_decay**i
        if self.shape == "tanh":
            tr = t_curr / t_i
            x = self.lb * (1.0 - tr) + self.ub * tr
            return self.lr_min + 0.5 * (lr_max - self.lr_min) * (1 - math.tanh(x))
        if self.shape == "cosine":
            return self.lr_min + 0.5 * (lr_max - self.lr_min) * (1 + math.cos(math.pi * t_curr**k / t_i**k))
        return self.lr_min + (lr_max - self.lr_min) * (1 - t_curr**k / t_i**k) ** self.power

    def cycle_length(self, cycles: int = 0) -> int:
        """timm's ``get_cycle_length(cycles)``: steps of the cycles (plus a prefix warm-up)."""
        cycles = max(1, cycles or self.cycle_limit)
        m, T = self.cycle_mul, self.t_initial
        if m == 1.0:
            t = T * cycles
        else:
            t = int(math.floor(-T * (m**cycles - 1) / (1 - m)))
        return t + self.warmup.warmup_t if self.warmup.prefix else t

    def _crash_tt(self) -> int | None:
        """cycle_mul < 1: the first position after the warm-up offset whose log argument is <= 0."""
        m, T = self.cycle_mul, self.t_initial
        if m >= 1:
            return None
        tt = max(math.floor(T / (1 - m)) - 2, 0)
        while 1 - tt / T * (1 - m) > 0:
            tt += 1
        return tt

    def crash_step(self) -> int | None:
        """cycle_mul < 1: the first step whose log argument is <= 0 (timm raises ValueError, math
        domain error, there: the shrinking cycles end at t_initial / (1 - cycle_mul))."""
        tt = self._crash_tt()
        if tt is None:
            return None
        w = self.warmup
        return tt + w.warmup_t if w.prefix else max(tt, w.warmup_t)

    def end(self) -> float:
        """The first step of lr_min for good: where cycle cycle_limit begins."""
        m, T, w = self.cycle_mul, self.t_initial, self.warmup
        if self.cycle_limit == 0:
            return w.warmup_t
        if m == 1:
            tt = T * self.cycle_limit
        else:
            try:
                estimate = T * (m**self.cycle_limit - 1) / (m - 1)
            except OverflowError:
                return math.inf
            crash = self._crash_tt()
            past = crash is not None and estimate >= crash - 1
            if not math.isfinite(estimate) or estimate > 2**53 or past:
                return math.inf
            tt = math.ceil(estimate)
            while tt > 0 and self.index_at(tt - 1) >= self.cycle_limit:
                tt -= 1
            while self.index_at(tt) < self.cycle_limit:
                tt += 1
        return max(tt + w.offset, w.warmup_t)

    def odd_rows(self, n: int) -> tuple[list[int], list[int], list[int]]:
        """Rows (steps < n) where timm's float cycle arithmetic leaves the cycle it puts a step
        in, at cycle boundaries (cycle_mul != 1): ``late``, the position reaches the cycle's
        length (the row is the previous cycle's end, the restart comes a step late); ``over``,
        it passes it; ``early``, it is below 0 (the float cycle start lands past the step)."""
        late: list[int] = []
        over: list[int] = []
        early: list[int] = []
        if self.cycle_mul == 1:
            return late, over, early
        w = self.warmup
        last = n - 1 - w.offset
        crash = self._crash_tt()
        if crash is not None:
            last = min(last, crash - 1)
        first = max(w.warmup_t - w.offset, 0)
        if last < first:
            return late, over, early
        bounds = self._boundaries(first, last - first + 1)
        for b in bounds or ():
            for row in (b - 1, b):
                j = self.index_at(row)
                if j >= self.cycle_limit:
                    continue
                spans, starts, _ = self.constants(np.array([j], dtype=np.float64))
                position = row - starts[0]
                if position < 0:
                    early.append(row + w.offset)
                elif position > spans[0]:
                    over.append(row + w.offset)
                if position >= spans[0]:
                    late.append(row + w.offset)
        return late, over, early

    def late_restarts(self, n: int) -> list[int]:
        """Steps (rows) where timm's log-based cycle index rounds below the cycle the step
        starts: the row shows the end of the previous cycle, and the restart comes a step late."""
        return self.odd_rows(n)[0]

    def complex_step(self, n: int) -> tuple[int, str] | None:
        """The first step (below n) where timm's arithmetic turns complex, and why: a position
        below 0 raised to a non-whole k_decay (math.cos of a complex number raises TypeError), or
        poly's 1 - position / length below 0 raised to a non-whole power (a complex rate)."""
        _, over, early = self.odd_rows(n)
        found = []
        if self.shape != "tanh" and not float(self.k_decay).is_integer() and early:
            found.append((early[0], f"the cycle position there is just below 0 and its power k_decay "
                                    f"{self.k_decay:g} is complex; timm raises TypeError"))
        if self.shape == "poly" and not float(self.power).is_integer() and over:
            found.append((over[0], f"the cycle position there passes the cycle's length, and 1 - position / "
                                   f"length (below 0) to the power {self.power:g} makes timm's rate complex"))
        return min(found) if found else None


def _tanh_fall(out: np.ndarray, first: float, span: float, lb: float, ub: float, drop: float,
               floor: float) -> np.ndarray:
    """``out`` (row i at position first + i of a cycle of ``span`` steps) set to
    ``floor + drop / (1 + e^(2x))``, x = lb + (ub − lb)·position/span: timm's
    ``lr_min + 0.5·(lr_max − lr_min)·(1 − tanh(x))``, as 1 − tanh x = 2 / (1 + e^(2x)).

    e^(2x) of step first + j·B + k is e^(2x_j)·e^(c·k) with c = 2(ub − lb)/span (x_j as timm writes
    it, lb·(1 − r) + ub·r): exp once per block
    and once per offset (not powers of a rounded ratio, whose error would grow with k); values
    below 1e-30 change 1 / (1 + e^(2x)) by nothing, so they are clipped there (no subnormals).
    """
    n = len(out)
    width = min(_kernels.BLOCK, n)
    blocks = -(-n // width)
    c = 2 * (ub - lb) / span
    tr = (first + width * np.arange(blocks, dtype=np.float64)) / span
    with np.errstate(over="ignore"):
        left = np.maximum(np.exp(2 * (lb * (1.0 - tr) + ub * tr)), 1e-30)
        right = np.exp(c * np.arange(width, dtype=np.float64))
    # 1 + e^(2x) in one pass: [1, e^(2x_j)] @ [1, e^(c·k)], a few blocks at a time (in cache).
    pairs = np.stack((np.ones(blocks), left), axis=1)
    table = np.stack((np.ones(width), right))
    whole = n // width
    rows = out[: whole * width].reshape(whole, width)
    group = max(1, 1 << 17 >> max(width.bit_length() - 1, 0))
    for j in range(0, whole, group):
        np.matmul(pairs[j : min(j + group, whole)], table, out=rows[j : j + group])
    if whole < blocks:
        np.matmul(pairs[whole], table[:, : n - whole * width], out=out[whole * width :])
    np.divide(drop, out, out=out)
    if floor:
        out += floor
    return out


class Steps(Timm, Record):
    """StepLRScheduler: lr · decay_rate^(tt // decay_t)."""

    FIELDS = (
        ("lr", REQUIRED),
        ("decay_t", REQUIRED),
        ("decay_rate", REQUIRED),
        ("warmup", REQUIRED),
        ("noise", REQUIRED),
    )

    lr: float
    decay_t: float
    decay_rate: float
    warmup: Warmup
    noise: Noise | None

    def decay(self, tt: np.ndarray) -> np.ndarray:
        return self.lr * np.power(self.decay_rate, np.floor_divide(tt, self.decay_t))

    def decay_range(self, out: np.ndarray, first: int) -> np.ndarray:
        n, width = len(out), self.decay_t
        if not float(width).is_integer():
            return super().decay_range(out, first)
        width = int(width)
        low, high = first // width, (first + n - 1) // width
        if high - low + 1 >= _kernels.FAST_FROM:
            levels = _kernels.geometric(np.empty(high - low + 1), low, scale=self.lr, ratio=self.decay_rate)
        else:
            levels = self.decay(np.arange(low, high + 1, dtype=np.float64) * width)
        return _kernels.stairs(first, n, width, levels, out=out)


class MultiSteps(Timm, Record):
    """MultiStepLRScheduler: lr · decay_rate^(milestones <= tt + 1): each decays a step early."""

    FIELDS = (
        ("lr", REQUIRED),
        ("decay_t", REQUIRED),
        ("decay_rate", REQUIRED),
        ("warmup", REQUIRED),
        ("noise", REQUIRED),
    )

    lr: float
    decay_t: tuple[int, ...]
    decay_rate: float
    warmup: Warmup
    noise: Noise | None

    def levels(self) -> np.ndarray:
        return np.array([self.lr * _power(self.decay_rate, c) for c in range(len(self.decay_t) + 1)])

    def decay(self, tt: np.ndarray) -> np.ndarray:
        passed = np.searchsorted(np.asarray(self.decay_t, dtype=np.float64), tt + 1, side="right")
        return self.levels()[passed]

    def decay_range(self, out: np.ndarray, first: int) -> np.ndarray:
        n = len(out)
        marks = sorted({m - 1 - first for m in self.decay_t if first < m - 1 < first + n})
        bounds = [0, *marks, n]
        values = self.decay(np.array(bounds[:-1], dtype=np.float64) + first).tolist()
        for low, high, value in zip(bounds[:-1], bounds[1:], values):
            out[low:high] = value
        return out


def _growth_rows(lr: float, rate: float) -> int | None:
    """How many decays by ``rate`` > 1 the rate takes and stays finite (one spare), or None."""
    if rate <= 1:
        return None
    return max(0, math.floor((math.log(1.7976931348623157e308) - math.log(lr)) / math.log(rate)) - 1)


# --- PlateauLRScheduler ---------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _plateau_scan(metrics: series.MetricSeries, start: int, lr: float, mode: str, factor: float,
                  patience: int, threshold: float, cooldown: int, min_lr: float
                  ) -> tuple[tuple[int, ...], tuple[float, ...], tuple[Event, ...]]:
    """torch's ReduceLROnPlateau (threshold_mode rel, eps 1e-8), stepped with the metrics of
    epochs start..N-2 from the rate ``lr``, as timm steps it after its warm-up: (changes, levels,
    events) with epochs counted from 0 of the whole run."""
    from . import plateau as torch_plateau

    values = metrics.values
    fed = values[start : len(values) - 1]
    improved, cuts = torch_plateau.decisions(fed, mode, threshold, "rel", patience, cooldown)
    rate, events = lr, []
    for cut in cuts.tolist():
        new = max(rate * factor, min_lr)
        if not rate - new > 1e-8:
            break
        before = improved[improved <= cut]
        if before.size:
            best = int(before[-1])
            why = (f"no improvement on {values[start + best]:.6g} (epoch {start + best}) "
                   f"for {cut - best} epochs")
        else:
            why = f"no usable metric for {cut + 1} epochs after the warm-up"
        events.append(Event(start + cut + 1, "reduce", rate, new, why))
        rate = new
    changes = (0, *(e.step for e in events), len(values))
    levels = (lr, *(e.new for e in events))
    return changes, levels, tuple(events)


class Plateau(Timm, Record):
    """PlateauLRScheduler: its warm-up for epochs t <= warmup_t, then torch's ReduceLROnPlateau
    on the rate the warm-up left (fed the metrics from epoch warmup_t on), noise on top of it."""

    FIELDS = (
        ("lr", REQUIRED),
        ("metrics", REQUIRED),
        ("decay_rate", REQUIRED),
        ("patience_t", REQUIRED),
        ("threshold", REQUIRED),
        ("cooldown_t", REQUIRED),
        ("lr_min", REQUIRED),
        ("mode", REQUIRED),
        ("warmup", REQUIRED),
        ("noise", REQUIRED),
    )

    lr: float
    metrics: Any
    decay_rate: float
    patience_t: int
    threshold: float
    cooldown_t: int
    lr_min: float
    mode: str
    warmup: Warmup
    noise: Noise | None

    def start_lr(self) -> float:
        w = self.warmup
        return w.warmup_lr_init + w.warmup_t * w.step_size(self.lr) if w.warmup_t else self.lr

    def scan(self):
        return _plateau_scan(self.metrics, self.warmup.warmup_t, self.start_lr(), self.mode,
                             self.decay_rate, self.patience_t, self.threshold, self.cooldown_t,
                             self.lr_min)

    def at(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        changes, levels, _ = self.scan()
        out = np.array(levels)[np.searchsorted(changes[1:-1], t, side="right")]
        w = self.warmup
        warm = t <= w.warmup_t
        out[warm] = w.warmup_lr_init + t[warm] * w.step_size(self.lr)
        if self.noise is not None:
            self.noise.apply(out, np.where(warm, -1.0, t))
        out[t == 0] = self.construction()
        return out

    def rows(self, first: int, n: int) -> np.ndarray:
        changes, levels, _ = self.scan()
        bounds = [min(max(change - first, 0), n) for change in changes]
        bounds[0], bounds[-1] = 0, n
        out = _kernels.pieces(n, bounds, levels)
        w = self.warmup
        warm = min(max(w.warmup_t + 1 - first, 0), n)
        if warm:
            steps = np.arange(first, first + warm, dtype=np.float64)
            out[:warm] = w.warmup_lr_init + steps * w.step_size(self.lr)
        if self.noise is not None:
            out[warm:] = self.noise.apply_range(out[warm:], first + warm)
        if first == 0 and n:
            out[0] = self.construction()
        return out


# --- building the schedulers from parameters --------------------------------------------------------


def _warmup_of(p: Mapping[str, Any], prefix: bool | None = None) -> Warmup:
    return Warmup(p["warmup_t"], p["warmup_lr_init"], p["warmup_prefix"] if prefix is None else prefix)


def cycles_of(shape: str, p: Mapping[str, Any]) -> Cycles:
    extra: dict[str, Any] = {}
    if shape in ("cosine", "poly"):
        extra["k_decay"] = p["k_decay"]
    if shape == "tanh":
        extra.update(lb=p["lb"], ub=p["ub"])
    if shape == "poly":
        extra["power"] = p["power"]
    return Cycles(shape, p["lr"], p["t_initial"], p["lr_min"], p["cycle_mul"], p["cycle_decay"],
                  p["cycle_limit"], _warmup_of(p), _noise_of(p), **extra)


def steps_of(p: Mapping[str, Any]) -> Steps:
    return Steps(p["lr"], p["decay_t"], p["decay_rate"], _warmup_of(p), _noise_of(p))


def multisteps_of(p: Mapping[str, Any]) -> MultiSteps:
    return MultiSteps(p["lr"], tuple(p["decay_t"]), p["decay_rate"], _warmup_of(p), _noise_of(p))


def plateau_of(p: Mapping[str, Any]) -> Plateau:
    return Plateau(p["lr"], p["metrics"], p["decay_rate"], p["patience_t"], p["threshold"],
                   p["cooldown_t"], p["lr_min"], p["mode"], _warmup_of(p, False), _noise_of(p))


# The scheduler each constructor entry builds, by name.
BUILDERS = {
    "cosine": lambda p: cycles_of("cosine", p),
    "tanh": lambda p: cycles_of("tanh", p),
    "poly": lambda p: cycles_of("poly", p),
    "step": steps_of,
    "multistep": multisteps_of,
    "plateau": plateau_of,
}


# --- checks ---------------------------------------------------------------------------------------


def _check_noise(p: Mapping[str, Any]) -> None:
    """Normal noise with noise_pct 0 would spin for ever (timm resamples until |noise| < 0)."""
    normal = p.get("noise_type", "normal") == "normal"
    if p.get("noise_range_t") is not None and normal and p["noise_pct"] <= 0:
        raise Invalid("{} must be > 0 with normal noise: timm draws again until |noise| < noise_pct, "
                      "which then never happens", "noise_pct")


def _resolve_cycles(params: dict[str, Any], context: Context) -> dict[str, Any]:
    _check_noise(params)
    if "lb" in params:
        if not params["lb"] < params["ub"]:
            raise Invalid("{} must be below {} (TanhLRScheduler asserts lb < ub)", "lb", "ub")
        _check_tanh_target(cycles_of("tanh", params))
    return params


def _check_tanh_target(c: Cycles, names: Mapping[str, str] | None = None) -> None:
    """TanhLRScheduler without warmup_prefix evaluates its curve at warmup_t when constructed;
    with cycle_mul < 1 that step may be past the end of the cycles, where timm's log fails."""
    crash = c._crash_tt()
    w = c.warmup
    if w.warmup_t and not w.prefix and crash is not None and w.warmup_t >= crash:
        warmup = (names or {}).get("warmup_t", "warmup_t")
        end = c.t_initial / (1 - c.cycle_mul)
        raise Invalid(
            f"{{}} {w.warmup_t} is past the end of the cycles ({end:.6g} steps with "
            f"{{}} {c.cycle_mul:g}): TanhLRScheduler without warmup_prefix evaluates its curve at warmup_t "
            "when constructed, and timm raises ValueError (math domain error) there", warmup, "cycle_mul")


def _resolve_steps(params: dict[str, Any], context: Context) -> dict[str, Any]:
    _check_noise(params)
    return params


def _check_sorted(milestones: Sequence[int], name: str) -> None:
    for earlier, later in zip(milestones, milestones[1:]):
        if later < earlier:
            raise Invalid(f"{{}} must be in increasing order (timm's bisect assumes it; a repeat "
                          f"decays twice), got {later} after {earlier}", name)


def _resolve_multisteps(params: dict[str, Any], context: Context) -> dict[str, Any]:
    _check_noise(params)
    _check_sorted(params["decay_t"], "decay_t")
    return params


def _load_metrics(params: dict[str, Any], context: Context) -> dict[str, Any]:
    """The metrics read as torch's plateau reads them, one per epoch from epoch 0: timm's train.py
    steps the scheduler with a metric after every epoch, so a file whose values sit at epochs of
    its own (a run validated every few epochs) has no timm curve, and is refused rather than read
    as consecutive epochs."""
    from .plateau import load_metrics

    params = load_metrics(params, context)
    metrics = params["metrics"]
    if metrics.epochs is not None:
        shown = ", ".join(str(int(e)) for e in metrics.epochs[:4]) + (", ..." if len(metrics) > 4 else "")
        raise Invalid(f"{{}} in {literal(metrics.describe())} are at epochs {shown}; timm's plateau takes "
                      "one metric per epoch, from epoch 0 (timm's train.py steps it after every epoch)",
                      "metrics")
    return params


def _resolve_plateau(params: dict[str, Any], context: Context) -> dict[str, Any]:
    """The noise checked, the metrics read."""
    _check_noise(params)
    return _load_metrics(params, context)


# --- traps ----------------------------------------------------------------------------------------

# A warm-up ends on a jump when the row after it is this far (relatively) from where it climbed.
JUMP = 1e-3
# Normal noise needing more draws than this per noisy step is worth saying.
SLOW_NOISE = 100


def _quiet(scheduler: Timm) -> Timm:
    return replace(scheduler, noise=None)


def _warmup_trap(scheduler: Timm, n: int, what: str) -> tuple[str, ...]:
    w = scheduler.warmup
    if not w.warmup_t or n <= w.warmup_t:
        return ()
    quiet = _quiet(scheduler)
    target, after = quiet.target(), quiet.value(w.warmup_t)
    if abs(after - target) <= JUMP * max(abs(target), abs(after)):
        return ()
    last = quiet.value(w.warmup_t - 1)
    if not w.prefix:
        cause = (f"without warmup_prefix timm counts the warm-up steps as the {what}'s own, so at "
                 f"step {w.warmup_t} it is already {w.warmup_t} steps in; warmup_prefix starts it "
                 "after the warm-up")
    else:
        cause = f"the {what} starts there, below the rate its warm-up climbs to"
    return (f"the warm-up ends on a jump: it climbs toward {target:.6g} (row {w.warmup_t - 1}: "
            f"{last:.6g}), but row {w.warmup_t} is {after:.6g}: {cause}",)


def _noise_traps(noise: Noise | None, n: int, names: Mapping[str, str] | None = None) -> tuple[str, ...]:
    if noise is None:
        return ()
    rows = noise.rows(0, n)
    if rows.stop <= rows.start:
        name = (names or {}).get("noise_range_t", "noise_range_t")
        return (f"{name} ({noise.describe()}) covers no row of these {n}: the curve has no noise",)
    low, high = 1 - noise.pct, 1 + noise.pct
    found = (
        f"rows {rows.start}..{rows.stop - 1} carry timm's noise: the rate times (1 + noise), "
        f"|noise| < noise_pct {noise.pct:g}, so between {low:g}x and {high:g}x the noise-free rate; "
        f"it is torch's generator seeded with noise_seed {noise.seed} + t (reproduced exactly), the "
        "same in every run" + ("; noise_pct >= 1 lets it make the rate zero or negative"
                              if noise.pct >= 1 else ""),
    )
    if noise.kind == "normal" and noise.std > 0:
        accept = math.erf(noise.pct / (noise.std * math.sqrt(2)))
        if accept * SLOW_NOISE < 1:
            found += (f"noise_pct {noise.pct:g} is small for noise_std {noise.std:g}: timm draws about "
                      f"{1 / accept:.0f} normals per noisy step (it resamples until |noise| < noise_pct)",)
    return found


def _warn_cycles(shape: str, p: Mapping[str, Any], n: int, cooldown: bool = False,
                 names: Mapping[str, str] | None = None) -> tuple[str, ...]:
    c = cycles_of(shape, p)
    lr_min = (names or {}).get("lr_min", "lr_min")
    found = _warmup_trap(c, n, shape)
    name = {"cosine": "CosineLRScheduler", "tanh": "TanhLRScheduler", "poly": "PolyLRScheduler"}[shape]
    if c.cycle_limit == 0:
        found += (f"cycle_limit 0: no cycle runs, so the rate is {lr_min} {c.lr_min:g} from step "
                  f"{c.warmup.warmup_t} on",)
    elif shape != "tanh" and c.k_decay == 0:
        found += ("k_decay 0: t^0 / T^0 = 1 at every step, so each cycle is at its end: the rate is "
                  f"{lr_min} {c.lr_min:g} after the warm-up",)
    elif c.lr_min >= c.lr:
        found += (f"{lr_min} {c.lr_min:g} is not below lr {c.lr:g}: the rate "
                  f"{'stays flat' if c.lr_min == c.lr else 'rises to ' + lr_min} ({name} anneals from "
                  f"lr down to {lr_min})",)
    if shape != "tanh" and c.t_initial == 1 and c.cycle_mul == 1 and c.cycle_decay == 1:
        found += ("t_initial 1 with cycle_mul and cycle_decay 1: timm logs that the scheduler 'will have "
                  "no effect on the learning rate': every step starts a new cycle at lr (until "
                  "cycle_limit)",)
    end = c.end()
    if not cooldown and c.cycle_limit and n - 1 > end:
        found += (f"from step {end:.0f} on the rate is {lr_min} {c.lr_min:g}: timm stops after cycle_limit "
                  f"{c.cycle_limit} cycle{'s' if c.cycle_limit > 1 else ''} (it neither restarts nor "
                  "climbs back)",)
    late = c.late_restarts(n)
    if late:
        shown = ", ".join(str(s) for s in late[:5]) + (", ..." if len(late) > 5 else "")
        found += (f"at step{'s' if len(late) > 1 else ''} {shown} timm's cycle index, "
                  "math.floor(math.log(1 - t / t_initial * (1 - cycle_mul), cycle_mul)), rounds down "
                  "on an exact cycle boundary: the row is the end of the previous cycle and the "
                  "restart comes one step late",)
    return found + _noise_traps(c.noise, n, names)


def _decay_rate_trap(p: Mapping[str, Any], name: str) -> tuple[str, ...]:
    if p["decay_rate"] != 1:
        return ()
    return (f"decay_rate 1 ({name}'s default): the rate never decays; set decay_rate, e.g. 0.1",)


def _warn_steps(p: Mapping[str, Any], n: int, names: Mapping[str, str] | None = None,
                defaults: bool = True) -> tuple[str, ...]:
    s = steps_of(p)
    found = _decay_rate_trap(p, "StepLRScheduler") if defaults else ()
    return found + _warmup_trap(s, n, "step schedule") + _noise_traps(s.noise, n, names)


def _warn_multisteps(p: Mapping[str, Any], n: int, names: Mapping[str, str] | None = None,
                     defaults: bool = True) -> tuple[str, ...]:
    s = multisteps_of(p)
    found = _decay_rate_trap(p, "MultiStepLRScheduler") if defaults else ()
    offset = s.warmup.offset
    shown = [m for m in s.decay_t if m - 1 + offset < n]
    if shown and p["decay_rate"] != 1:
        first = shown[0]
        after = f" (counted from the end of the warm-up, step {offset})" if offset else ""
        found += (f"timm's MultiStepLRScheduler decays one step before each milestone: the one at step "
                  f"{first} takes effect at row {first - 1 + offset}, not {first + offset}{after} (torch's "
                  "MultiStepLR decays at the milestone itself)",)
    return found + _warmup_trap(s, n, "multistep schedule") + _noise_traps(s.noise, n, names)


def _warn_plateau(p: Mapping[str, Any], n: int) -> tuple[str, ...]:
    s = plateau_of(p)
    values = s.metrics.values[:n]
    found = tuple(s.metrics.warnings) + (
        "PlateauLRScheduler is deprecated in timm 1.0.31 (a FutureWarning at construction): its state "
        "is not saved in checkpoints, so a resumed run restarts the plateau logic",
    )
    w = s.warmup.warmup_t
    if w and n > 1:
        found += (f"timm ignores the metrics of the warm-up epochs 0..{min(w, n) - 1}: step(epoch, metric) "
                  f"with epoch <= warmup_t {w} sets the warm-up rate and does not pass the metric to "
                  "ReduceLROnPlateau",)
    if s.mode == "max" and len(values) >= 4:
        quarter = max(1, len(values) // 4)
        head, tail = np.nanmedian(values[:quarter]), np.nanmedian(values[-quarter:])
        if tail < head:
            found += ("mode is max (PlateauLRScheduler's default; torch's ReduceLROnPlateau defaults to "
                      "min) but the metric falls like a loss: a falling metric never improves, so the "
                      "rate is cut every patience_t + 1 epochs; use mode min for a loss",)
    return found + _noise_traps(s.noise, n)


# --- annotations ----------------------------------------------------------------------------------

# Cycles shown as phases of their own, at most.
PHASED_CYCLES = 12


def _warmup_phase(scheduler: Timm, n: int, last: int | None = None) -> tuple[Phase, ...]:
    w = scheduler.warmup.warmup_t
    return (Phase("warm-up", 0, min(w if last is None else last, n - 1)),) if w and n > 1 else ()


def _annotate_cycles(shape: str, p: Mapping[str, Any], n: int, tail: str = "lr_min") -> Annotations:
    c = cycles_of(shape, p)
    w = c.warmup
    phases = list(_warmup_phase(c, n))
    end = min(c.end(), n - 1)
    first = max(w.warmup_t - w.offset, 0)
    last_tt = int(end) - w.offset
    if c.cycle_limit and last_tt > first:
        bounds = c._boundaries(first, last_tt - first + 1) if c.cycle_mul != 1 else list(
            range(c.t_initial * (first // c.t_initial + 1), last_tt + 1, c.t_initial))
        if bounds is not None:
            bounds = [b for b in bounds if b + w.offset < c.end()]
        if bounds is not None and len(bounds) < PHASED_CYCLES:
            starts = [first + w.offset, *(b + w.offset for b in bounds)]
            ends = [*starts[1:], end]
            if len(starts) == 1:
                phases.append(Phase(shape, starts[0], ends[0]))
            else:
                phases += [Phase(f"cycle {i + 1}", s, e)
                           for i, (s, e) in enumerate(zip(starts, ends)) if e > s]
    if c.end() < n - 1:
        phases.append(Phase(tail, c.end(), n - 1))
    return Annotations(phases=tuple(phases), guides={"lr_min": c.lr_min} if c.lr_min > 0 else {})


def _annotate_plateau(p: Mapping[str, Any], n: int) -> Annotations:
    s = plateau_of(p)
    events = tuple(e for e in s.scan()[2] if e.step < n)
    return Annotations(phases=_warmup_phase(s, n), events=events,
                       guides={"lr_min": s.lr_min} if s.lr_min > 0 else {})


# --- horizons and limits --------------------------------------------------------------------------

# Several cycles are shown whole up to this many rows (one cycle always is).
MAX_CYCLE_ROWS = 1_000_000
# Step decays get a horizon that shows their shape: until 1% of lr, at most 10 decays.
DECAY_TO = 0.01
MAX_DROPS = 10
FLAT_DROPS = 3


def _cycles_horizon(shape: str, p: Mapping[str, Any]) -> int:
    c = cycles_of(shape, p)
    try:
        whole = c.cycle_length() + 1
    except OverflowError:
        whole = math.inf
    rows = int(min(whole, max(c.cycle_length(1) + 1, MAX_CYCLE_ROWS), 2**53))
    rows = max(rows, c.warmup.warmup_t + 1)
    crash = c.crash_step()
    return rows if crash is None else min(rows, crash)


def _cycles_limit(shape: str, p: Mapping[str, Any]) -> tuple[int, Invalid] | None:
    c = cycles_of(shape, p)
    crash = c.crash_step()
    if c.cycle_mul != 1 and (shape != "tanh" and not float(c.k_decay).is_integer()
                             or shape == "poly" and not float(c.power).is_integer()):
        odd = c.complex_step(min(crash or 2**53, _horizon_cap(c)))
        if odd is not None:
            step, why = odd
            name = "k_decay" if "k_decay" in why else "power"
            return step, Invalid(f"at step {step} timm's float cycle arithmetic breaks: {why}; change "
                                 "{} or {}", "cycle_mul", name)
    if crash is None:
        return None
    return crash, Invalid(
        f"past step {crash - 1} timm's cycle index takes math.log of a number <= 0 and raises "
        f"ValueError (math domain error): with {{}} {c.cycle_mul:g} < 1 the cycles shrink and end at "
        f"step {c.t_initial / (1 - c.cycle_mul) + c.warmup.offset:.6g}", "cycle_mul")


def _horizon_cap(c: Cycles) -> int:
    """How far to look for steps timm cannot compute: the longest default length, or a million."""
    try:
        return int(min(c.cycle_length() + 1, 2**53))
    except OverflowError:
        return MAX_CYCLE_ROWS


def _drops(rate: float) -> int:
    if rate >= 1 or rate <= 0:
        return FLAT_DROPS if rate >= 1 else 1
    return min(math.ceil(math.log(DECAY_TO) / math.log(rate)), MAX_DROPS)


def _steps_horizon(p: Mapping[str, Any]) -> int:
    s = steps_of(p)
    return s.warmup.offset + math.ceil(_drops(s.decay_rate) * s.decay_t) + 1


def _overflow(rows: int, name: str) -> tuple[int, Invalid]:
    return rows, Invalid(f"past step {rows - 1} the rate passes the largest float64 (1.8e308); lower {{}}",
                         name)


def _steps_limit(p: Mapping[str, Any]) -> tuple[int, Invalid] | None:
    s = steps_of(p)
    grows = _growth_rows(s.lr, s.decay_rate)
    if grows is None:
        return None
    return _overflow(s.warmup.offset + math.ceil((grows + 1) * s.decay_t), "decay_rate")


def _multisteps_horizon(p: Mapping[str, Any]) -> int:
    last = p["decay_t"][-1]
    return (p["warmup_t"] if p["warmup_prefix"] else 0) + last + math.ceil(last / 4) + 1


def _multisteps_limit(p: Mapping[str, Any]) -> tuple[int, Invalid] | None:
    grows = _growth_rows(p["lr"], p["decay_rate"])
    milestones = sorted(p["decay_t"])
    if grows is None or len(milestones) <= grows:
        return None
    return _overflow((p["warmup_t"] if p["warmup_prefix"] else 0) + milestones[grows] - 1, "decay_rate")


def _plateau_limit(p: Mapping[str, Any]) -> tuple[int, Invalid]:
    metrics = p["metrics"]
    return len(metrics), Invalid(
        f"there are {len(metrics)} metric values in {show(metrics.describe())}, one per epoch; row t "
        "needs the metrics of epochs 0..t-1")


# --- code for timm --------------------------------------------------------------------------------

# The longest line of emitted code (calls beyond it are broken over lines).
WIDTH = 96


def _literal(value: Any) -> str:
    """Python source for a value (floats by repr, so they read back the same)."""
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def _range_literal(value: tuple[float, ...]) -> str:
    """A noise range as timm takes it: a number, or a list of two; whole numbers as ints."""
    shown = [repr(int(v)) if float(v).is_integer() and abs(v) < 2**53 else repr(v) for v in value]
    return shown[0] if len(shown) == 1 else "[" + ", ".join(shown) + "]"


def _call(target: str, function: str, arguments: Sequence[str]) -> list[str]:
    line = f"{target} = {function}({', '.join(['optimizer', *arguments])})"
    if len(line) <= WIDTH:
        return [line]
    return [f"{target} = {function}(", *(f"    {a}," for a in ["optimizer", *arguments]), ")"]


def _keywords(params: Sequence[Param], p: Mapping[str, Any], skip: Sequence[str] = ()) -> list[str]:
    """``name=value`` for every argument that is required or differs from its default."""
    out = []
    for param in params:
        value = p.get(param.name)
        if not param.argument or value is None or param.name in skip:
            continue
        if param.required or value != param.default:
            shown = _range_literal(value) if isinstance(param, NoiseRange) else _literal(value)
            out.append(f"{param.name}={shown}")
    return out


def _script(label: str, origin: str, rows: int, lr: float, imports: str, build: list[str],
            loop: list[str], before: Sequence[str] = (), updates: bool = False) -> str:
    plateau = "warnings" in imports
    step = "step_update(t)" if updates else "step(t, metrics[t - 1])" if plateau else "step(t)"
    head = (f"{label} ({origin}), as lrplot draws it: row 0 is the rate at construction, row t the "
            f"rate after scheduler.{step} (t = 1..{rows - 1}).")
    out = [*_wrap(head), *(["import warnings", ""] if plateau else []), "import torch",
           imports.replace("import warnings\n\n", ""), *before, "",
           "model = torch.nn.Linear(1, 1)  # replace with your model",
           f"optimizer = torch.optim.SGD(model.parameters(), lr={lr!r})  # replace with yours",
           *build, "", "",
           "def train_step():  # replace with your forward and backward pass on one batch",
           "    optimizer.zero_grad()",
           "    model(torch.ones(1, 1)).pow(2).mean().backward()",
           "    optimizer.step()", "", "", "lrs = []", *loop, "", "for lr in lrs:", "    print(repr(lr))"]
    return "\n".join(out) + "\n"


def _wrap(text: str) -> list[str]:
    import textwrap

    return textwrap.wrap(text, WIDTH, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False)


def _epoch_loop(rows: int, metric: bool = False) -> list[str]:
    step = "scheduler.step(epoch + 1, metrics[epoch])" if metric else "scheduler.step(epoch + 1)"
    return [
        f"for epoch in range({rows}):",
        '    lrs.append(optimizer.param_groups[0]["lr"])  # the rate this epoch trains with',
        "    train_step()  # replace with a whole epoch: every batch, each with optimizer.step()",
        f"    {step}  # at the end of each epoch, as train.py does",
    ]


def _update_loop(rows: int, per_epoch: int | None = None) -> list[str]:
    record = ['lrs.append(optimizer.param_groups[0]["lr"])  # the rate this update trains with',
              "train_step()", "num_updates += 1",
              "scheduler.step_update(num_updates=num_updates)  # after each update, as train.py does"]
    if per_epoch is not None and rows % per_epoch == 0:
        return ["num_updates = 0", f"for epoch in range({rows // per_epoch}):",
                f"    for batch in range({per_epoch}):  # for batch in loader_train: {per_epoch} updates",
                *(f"        {line}" for line in record),
                "    scheduler.step(epoch + 1)  # train.py steps it per epoch too: no change on updates"]
    return ["num_updates = 0", f"for update in range({rows}):", *(f"    {line}" for line in record)]


def _metrics_lines(values: np.ndarray) -> list[str]:
    import textwrap

    listed = textwrap.wrap(", ".join(repr(float(v)) for v in values), WIDTH - 4, break_long_words=False,
                           break_on_hyphens=False) or [""]
    return ["", "# The metric lrplot was given, one value per epoch: replace with your validation metric.",
            "metrics = [", *(f"    {line}" for line in listed), "]"]


def _quiet_build(build: list[str]) -> list[str]:
    """PlateauLRScheduler warns (FutureWarning) that it is deprecated; the script says so once."""
    return ["with warnings.catch_warnings():",
            "    # PlateauLRScheduler is deprecated in timm 1.0.31; it still works as before.",
            '    warnings.simplefilter("ignore", FutureWarning)', *(f"    {line}" for line in build)]


def _emitter(name: str):
    def emit(params: Mapping[str, Any], rows: int, label: str) -> str:
        schedule = ENTRIES[name]
        origin = schedule.origin_name
        build = _call("scheduler", origin, _keywords(schedule.params, params))
        before: list[str] = []
        if name == "plateau":
            build = _quiet_build(build)
            loop = _epoch_loop(rows, metric=True)
            before = _metrics_lines(params["metrics"].values[:rows])
            imports = f"import warnings\n\nfrom timm.scheduler import {origin}"
        else:
            loop = _epoch_loop(rows) if params["t_in_epochs"] else _update_loop(rows)
            imports = f"from timm.scheduler import {origin}"
        return _script(label, origin, rows, params["lr"], imports, build, loop, before,
                       updates=name != "plateau" and not params["t_in_epochs"])

    return emit


# --- create_scheduler_v2 ----------------------------------------------------------------------------

CYCLIC = ("cosine", "tanh", "poly")
CLASSES = {"cosine": "CosineLRScheduler", "tanh": "TanhLRScheduler", "step": "StepLRScheduler",
           "constant": "StepLRScheduler", "multistep": "MultiStepLRScheduler",
           "plateau": "PlateauLRScheduler", "poly": "PolyLRScheduler"}
# How the constructors' parameters are called in create_scheduler_v2, for its warnings.
FACTORY_NAMES = {"lr_min": "min_lr", "noise_range_t": "noise"}


class Factory(Record):
    """What create_scheduler_v2 builds: the scheduler ``kind`` (a constructor entry: 'constant'
    is a StepLRScheduler) with that entry's parameters ``inner``, and the ``num_epochs`` it
    returns; ``rows`` is the length of that training run in steps (epochs, or updates)."""

    FIELDS = (
        ("sched", REQUIRED),
        ("kind", REQUIRED),
        ("inner", REQUIRED),
        ("num_epochs", REQUIRED),
        ("per_epoch", REQUIRED),
        ("cooldown_t", REQUIRED),
        ("rows", REQUIRED),
    )

    sched: str
    kind: str
    inner: Mapping[str, Any]
    num_epochs: int
    per_epoch: int | None
    cooldown_t: int
    rows: int

    @property
    def built(self) -> Timm:
        return BUILDERS[self.kind](self.inner)

    def describe(self) -> str:
        args = ", ".join(_keywords(ENTRIES[self.kind].params, self.inner))
        return f"{CLASSES[self.sched]}({args}); num_epochs {self.num_epochs}"


def _factory(params: dict[str, Any], context: Context) -> dict[str, Any]:
    """create_scheduler_v2's arithmetic: epochs (times updates per epoch when scheduled on
    updates) into the constructor's arguments, and the num_epochs it returns."""
    p = params
    sched, per_epoch = p["sched"], p["updates_per_epoch"]
    on_updates = p["sched_on_updates"] or not p["step_on_epochs"]
    switch = "sched_on_updates" if p["sched_on_updates"] else "step_on_epochs"
    if on_updates and per_epoch is None:
        raise Invalid("{} needs {}: create_scheduler_v2 asserts updates_per_epoch > 0 (the dataloader's "
                      "batches per epoch)", switch, "updates_per_epoch")
    if sched == "plateau":
        if on_updates:
            raise Invalid("{} plateau cannot be used with {}: create_scheduler_v2 asserts 'Plateau LR only "
                          "supports step per epoch.'", "sched", switch)
        if p["metrics"] is None:
            raise Invalid("{} plateau needs {} (the metric of every epoch)", "sched", "metrics")
        if not 0 < p["decay_rate"] < 1:
            raise Invalid("{} must be in (0, 1) with {} plateau: it is ReduceLROnPlateau's factor, and torch "
                          "refuses one >= 1", "decay_rate", "sched")
        p = _load_metrics(p, context)
    else:
        for name in ("metrics", "column"):
            if p[name] is not None:
                raise Invalid("{} applies only to {} plateau", name, "sched")
    if sched == "multistep":
        _check_sorted(p["decay_milestones"], "decay_milestones")
    if p["noise"] is not None and p["noise_pct"] <= 0:
        raise Invalid("{} must be > 0 with {}: timm draws normal noise again until |noise| < noise_pct, "
                      "which then never happens", "noise_pct", "noise")
    scale = per_epoch if on_updates else 1
    t_initial, warmup_t = p["num_epochs"] * scale, p["warmup_epochs"] * scale
    cooldown_t = p["cooldown_epochs"] * scale
    noise = None if p["noise"] is None else tuple(n * t_initial for n in p["noise"])
    common = {"lr": p["lr"], "warmup_t": warmup_t, "warmup_lr_init": p["warmup_lr"],
              "warmup_prefix": p["warmup_prefix"], "t_in_epochs": not on_updates, "noise_range_t": noise,
              "noise_pct": p["noise_pct"], "noise_std": p["noise_std"], "noise_seed": p["noise_seed"]}
    cycles = {"t_initial": t_initial, "lr_min": p["min_lr"], "cycle_mul": p["cycle_mul"],
              "cycle_decay": p["cycle_decay"], "cycle_limit": p["cycle_limit"]}
    kind = "step" if sched == "constant" else sched
    if sched == "cosine":
        inner = {**common, **cycles, "k_decay": p["k_decay"]}
    elif sched == "tanh":
        inner = {**common, **cycles, "lb": -7.0, "ub": 3.0}
    elif sched == "poly":
        inner = {**common, **cycles, "power": p["decay_rate"], "k_decay": p["k_decay"]}
    elif sched == "step":
        inner = {**common, "decay_t": p["decay_epochs"] * scale, "decay_rate": p["decay_rate"]}
    elif sched == "constant":
        inner = {**common, "decay_t": 1.0, "decay_rate": 1.0}
    elif sched == "multistep":
        inner = {**common, "decay_t": tuple(d * scale for d in p["decay_milestones"]),
                 "decay_rate": p["decay_rate"]}
    else:
        inner = {key: common[key] for key in ("lr", "warmup_t", "warmup_lr_init", "noise_range_t",
                                               "noise_pct", "noise_std", "noise_seed")}
        inner.update(metrics=p["metrics"], column=p["column"], decay_rate=p["decay_rate"],
                     patience_t=p["patience_epochs"], threshold=1e-4, cooldown_t=0, lr_min=p["min_lr"],
                     mode=p["plateau_mode"], noise_type="normal")
    if kind == "tanh":
        _check_tanh_target(cycles_of(kind, inner), {"warmup_t": "warmup_epochs"})
    if kind in CYCLIC:
        try:
            length = cycles_of(kind, inner).cycle_length() + cooldown_t
        except OverflowError:
            raise Invalid("{} ** {} passes the largest float64: create_scheduler_v2 raises OverflowError "
                          "counting the epochs", "cycle_mul", "cycle_limit") from None
        num_epochs = length if not on_updates else length // per_epoch
    else:
        num_epochs = p["num_epochs"] + (p["warmup_epochs"] if p["warmup_prefix"] else 0)
    rows = max(num_epochs * scale, 1)
    if sched == "plateau":
        rows = min(rows, len(inner["metrics"]))
    built = Factory(sched, kind, inner, num_epochs, per_epoch if on_updates else None, cooldown_t, rows)
    return {**p, "scheduler": built}


def factory_lr(t: np.ndarray, *, scheduler: Factory) -> np.ndarray:
    """create_scheduler_v2(optimizer, sched, ...)'s scheduler, stepped as train.py steps it: its
    constructor's curve (see the entry of that scheduler), with the arguments the factory derives:
    t_initial = num_epochs, warmup_t = warmup_epochs, decay_t = decay_epochs, decay milestones and
    cooldown, each times updates_per_epoch when scheduled on updates; noise fractions times
    t_initial; poly's power = decay_rate; constant = StepLRScheduler(decay_t=1, decay_rate=1)."""
    return scheduler.built.at(t)


def factory_range(first: int, n: int, *, scheduler: Factory) -> np.ndarray:
    return scheduler.built.rows(first, n)


def _factory_metric(t: np.ndarray, *, scheduler: Factory) -> dict[str, np.ndarray]:
    if scheduler.kind != "plateau":
        return {}
    return {"metric": scheduler.inner["metrics"].values[t.astype(np.intp)]}


def _factory_metric_range(first: int, n: int, *, scheduler: Factory) -> dict[str, np.ndarray]:
    if scheduler.kind != "plateau":
        return {}
    return {"metric": scheduler.inner["metrics"].values[first : first + n].copy()}


def _factory_warn(p: Mapping[str, Any], n: int) -> tuple[str, ...]:
    f: Factory = p["scheduler"]
    kind, inner = f.kind, f.inner
    if kind in CYCLIC:
        within = f.cooldown_t > 0 and n <= f.built.end() + f.cooldown_t + 1
        found = _warn_cycles(kind, inner, n, cooldown=within, names=FACTORY_NAMES)
    elif kind == "plateau":
        found = _warn_plateau(inner, n)
    else:
        checker = _warn_steps if kind == "step" else _warn_multisteps
        found = checker(inner, n, names=FACTORY_NAMES, defaults=False)
    if f.sched == "poly":
        found += ("create_scheduler_v2 passes decay_rate as PolyLRScheduler's power: power "
                  f"{p['decay_rate']:g} (the constructor's default is 0.5)",)
    if p["cooldown_epochs"] and kind not in CYCLIC:
        found += (f"cooldown_epochs is ignored with sched {f.sched}: create_scheduler_v2 adds it only to "
                  "the epoch count of cycle schedules (cosine, tanh, poly)",)
    if kind in CYCLIC and p["cycle_limit"] > 1 and p["cycle_decay"] == 0.1:
        found += ("each restart peaks at 0.1x the one before: cycle_decay 0.1 is create_scheduler_v2's "
                  "default (the constructors' is 1)",)
    if f.per_epoch is not None and kind in CYCLIC:
        length = f.built.cycle_length() + f.cooldown_t
        if length % f.per_epoch:
            found += (f"create_scheduler_v2 counts whole epochs: the cycles and cooldown take {length} "
                      f"updates, {length / f.per_epoch:.6g} epochs of {f.per_epoch}, so it returns "
                      f"num_epochs {f.num_epochs} and training stops {length % f.per_epoch} updates early",)
    if p["updates_per_epoch"] is not None and f.per_epoch is None:
        found += ("updates_per_epoch is ignored without sched_on_updates: the schedule steps once per "
                  "epoch",)
    if kind == "plateau" and p["warmup_prefix"]:
        found += ("warmup_prefix does not apply to plateau (create_scheduler_v2 drops it), but it still "
                  "adds warmup_epochs to the num_epochs returned",)
    return found


def _factory_annotate(p: Mapping[str, Any], n: int) -> Annotations:
    f: Factory = p["scheduler"]
    if f.kind in CYCLIC:
        return _annotate_cycles(f.kind, f.inner, n, tail="cooldown" if f.cooldown_t else "lr_min")
    if f.kind == "plateau":
        return _annotate_plateau(f.inner, n)
    return Annotations(phases=_warmup_phase(f.built, n))


def _factory_limit(p: Mapping[str, Any]) -> tuple[int, Invalid] | None:
    f: Factory = p["scheduler"]
    return ENTRIES[f.kind].limit(f.inner)


def _factory_derived(p: Mapping[str, Any]) -> dict[str, Any]:
    f: Factory = p["scheduler"]
    inner = f.inner
    found: dict[str, Any] = {"num_epochs": f.num_epochs}
    for name in ("t_initial", "warmup_t", "decay_t"):
        if name in inner and not isinstance(inner[name], tuple):
            found[name] = inner[name]
    if f.kind in CYCLIC:
        found["cooldown_t"] = f.cooldown_t
        found["cycle_length"] = f.built.cycle_length()
    return found


def _emit_factory(params: Mapping[str, Any], rows: int, label: str) -> str:
    f: Factory = params["scheduler"]
    skip = ("sched", "step_on_epochs", "updates_per_epoch")
    arguments = [f'sched="{f.sched}"', *_keywords(FACTORY.params, params, skip)]
    if f.per_epoch is not None:
        arguments += ["step_on_epochs=False", f"updates_per_epoch={f.per_epoch}"]
    elif params["updates_per_epoch"] is not None:
        arguments.append(f"updates_per_epoch={params['updates_per_epoch']}")
    build = _call("scheduler, num_epochs", "create_scheduler_v2", arguments)
    per = f" x {f.per_epoch} updates" if f.per_epoch else ""
    build += _wrap(f"create_scheduler_v2 returns num_epochs = {f.num_epochs}: the epochs train.py runs "
                   f"({f.num_epochs}{per} = {f.num_epochs * (f.per_epoch or 1)} rows).")
    before: list[str] = []
    imports = "from timm.scheduler import create_scheduler_v2"
    if f.kind == "plateau":
        build = _quiet_build(build)
        before = _metrics_lines(f.inner["metrics"].values[:rows])
        imports = "import warnings\n\n" + imports
        loop = _epoch_loop(rows, metric=True)
    elif f.per_epoch is not None:
        loop = _update_loop(rows, f.per_epoch)
    else:
        loop = _epoch_loop(rows)
    return _script(label, "create_scheduler_v2", rows, params["lr"], imports, build, loop, before,
                   updates=f.per_epoch is not None)


# --- the entries ----------------------------------------------------------------------------------


def _functions(name: str, params: Sequence[Param], doc: str):
    """The entry's ``lr(t, **params)`` and ``lr_range(first, n, **params)``: the scheduler built
    from the parameters (declared by name, as the registry passes them), then evaluated."""
    import inspect

    def lr(t: np.ndarray, **values: Any) -> np.ndarray:
        return BUILDERS[name](values).at(t)

    def lr_range(first: int, n: int, **values: Any) -> np.ndarray:
        return BUILDERS[name](values).rows(first, n)

    keywords = [inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY) for p in params]
    for fn, leading in ((lr, ("t",)), (lr_range, ("first", "n"))):
        fn.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter(a, inspect.Parameter.POSITIONAL_ONLY) for a in leading] + keywords)
        fn.__name__ = f"timm_{name}_{fn.__name__}"
        fn.__qualname__ = fn.__name__
    lr.__doc__ = doc
    return lr, lr_range


CYCLE_DOC = (
    "Cycle i lasts t_i = t_initial·cycle_mul^i steps and peaks at lr·cycle_decay^i; t_c counts the\n"
    "steps into it (timm finds i with math.floor(math.log(...)) when cycle_mul != 1); from cycle\n"
    "cycle_limit on the rate is lr_min. Before warmup_t: warmup_lr_init + t·(target − warmup_lr_init)\n"
    "/ warmup_t; with warmup_prefix the cycles start after the warm-up, else they count its steps."
)
DOCS = {
    "cosine": "η = lr_min + ½·(lr·cycle_decay^i − lr_min)·(1 + cos(π·t_c^k / t_i^k)), k = k_decay.\n\n"
    + CYCLE_DOC,
    "tanh": "η = lr_min + ½·(lr·cycle_decay^i − lr_min)·(1 − tanh(lb·(1 − r) + ub·r)), r = t_c / t_i.\n\n"
    + CYCLE_DOC + " Without warmup_prefix the warm-up climbs to the curve's value at warmup_t.",
    "poly": "η = lr_min + (lr·cycle_decay^i − lr_min)·(1 − t_c^k / t_i^k)^power, k = k_decay.\n\n"
    + CYCLE_DOC,
    "step": "η = lr·decay_rate^⌊t / decay_t⌋ (t after the warm-up with warmup_prefix).\n\n"
    "Before warmup_t: warmup_lr_init + t·(lr − warmup_lr_init) / warmup_t.",
    "multistep": "η = lr·decay_rate^(number of milestones <= t + 1): each milestone decays a step early.\n\n"
    "t counts from the end of the warm-up with warmup_prefix. Before warmup_t: warmup_lr_init +\n"
    "t·(lr − warmup_lr_init) / warmup_t.",
    "plateau": "η = warmup_lr_init + t·(lr − warmup_lr_init)/warmup_t for t <= warmup_t; then torch's\n"
    "ReduceLROnPlateau on that rate, fed the metrics from epoch warmup_t on: × decay_rate after more\n"
    "than patience_t epochs without improvement (rel. threshold), never below lr_min.\n\n"
    "Row t is the rate after step(t, metrics[t − 1]).",
}

_NOISE_ARGS = ("noise_range_t", "noise_pct", "noise_std", "noise_seed")
_WARMUP_ARGS = ("warmup_t", "warmup_lr_init", "warmup_prefix", "t_in_epochs")
_CYCLE_ARGS = ("lr_min", "cycle_mul", "cycle_decay", "cycle_limit", *_WARMUP_ARGS, *_NOISE_ARGS)
_STEP_ARGS = ("decay_t", "decay_rate", *_WARMUP_ARGS, *_NOISE_ARGS)
# Each callable's parameters in order, as timm spells them (for lrplot code's positional arguments).
SIGNATURES = {
    "cosine": ("optimizer", "t_initial", *_CYCLE_ARGS, "k_decay", "initialize"),
    "tanh": ("optimizer", "t_initial", "lb", "ub", *_CYCLE_ARGS, "initialize"),
    "poly": ("optimizer", "t_initial", "power", *_CYCLE_ARGS, "k_decay", "initialize"),
    "step": ("optimizer", *_STEP_ARGS, "initialize"),
    "multistep": ("optimizer", *_STEP_ARGS, "initialize"),
    "plateau": ("optimizer", "decay_rate", "patience_t", "threshold", "cooldown_t", "warmup_t",
                "warmup_lr_init", "lr_min", "mode", "noise_range_t", "noise_type", "noise_pct", "noise_std",
                "noise_seed", "initialize"),
    "create-scheduler-v2": (
        "optimizer", "sched", "num_epochs", "decay_epochs", "decay_milestones", "cooldown_epochs",
        "patience_epochs", "decay_rate", "min_lr", "warmup_lr", "warmup_epochs", "warmup_prefix", "noise",
        "noise_pct", "noise_std", "noise_seed", "cycle_mul", "cycle_decay", "cycle_limit", "k_decay",
        "decay_fn", "stable_timescale", "plateau_mode", "step_on_epochs", "updates_per_epoch"),
}

CYCLE_HELP = {
    "cosine": "Cosine decay from lr to lr_min over t_initial steps, with warm-up, restarts and k-decay.",
    "tanh": "Tanh decay (from lb to ub) from lr to lr_min over t_initial steps, with warm-up and restarts.",
    "poly": "Polynomial decay (1 - t/T)^power from lr to lr_min over t_initial steps, warm-up, restarts.",
}


def _register_cycles(shape: str, extra: tuple[Param, ...], example: str, after: tuple[Param, ...] = ()):
    params = (LR, T_INITIAL, *extra, LR_MIN, *_cycle_params(), *_warmup_params(False), T_IN_EPOCHS,
              *_noise_params(), *after)
    lr, lr_range = _functions(shape, params, DOCS[shape])
    return register(Schedule(
        name=shape,
        framework="timm",
        origin=f"timm.scheduler.{CLASSES[shape]}",
        summary=CYCLE_HELP[shape],
        params=params,
        lr=lr,
        lr_range=lr_range,
        horizon=lambda p: _cycles_horizon(shape, p),
        horizon_text="timm's get_cycle_length() + 1 rows (every cycle, and the warm-up with "
        "warmup_prefix), so the curve reaches lr_min; at most 10^6 rows past the first cycle",
        example=example,
        resolve=_resolve_cycles,
        limit=lambda p: _cycles_limit(shape, p),
        warn=lambda p, n: _warn_cycles(shape, p, n),
        annotate=lambda p, n: _annotate_cycles(shape, p, n),
        derived=lambda p: {"cycle_length": cycles_of(shape, p).cycle_length()},
        emit=_emitter(shape),
        signature=SIGNATURES[shape],
        scaled=lambda n: {"lr": 0.1, "t_initial": n - 1 - n // 100, "warmup_t": n // 100,
                          "warmup_prefix": True, "lr_min": 1e-5},
    ))


ENTRIES: dict[str, Schedule] = {}

ENTRIES["cosine"] = _register_cycles(
    "cosine", (), "timm cosine --lr 0.1 --t-initial 100 --warmup-t 5 --warmup-lr-init 1e-4",
    after=(K_DECAY,))
ENTRIES["tanh"] = _register_cycles(
    "tanh",
    (Real("lb", "The tanh argument at the start of a cycle.", -7.0),
     Real("ub", "The tanh argument at the end of a cycle.", 3.0)),
    "timm tanh --lr 0.1 --t-initial 100 --warmup-t 5 --warmup-prefix")
ENTRIES["poly"] = _register_cycles(
    "poly", (Real("power", "The polynomial's power.", 0.5, ge=0),),
    "timm poly --lr 0.1 --t-initial 100 --power 2 --lr-min 1e-4", after=(K_DECAY,))

STEP_PARAMS = (
    LR,
    Real("decay_t", "Steps between two decays.", required=True, gt=0),
    Real("decay_rate", "Multiply the rate by this at each decay.", 1.0, ge=0),
    *_warmup_params(True), T_IN_EPOCHS, *_noise_params(),
)
_step_lr, _step_range = _functions("step", STEP_PARAMS, DOCS["step"])
ENTRIES["step"] = register(Schedule(
    name="step",
    framework="timm",
    origin="timm.scheduler.StepLRScheduler",
    summary="Multiply the rate by decay_rate every decay_t steps, after an optional warm-up.",
    params=STEP_PARAMS,
    lr=_step_lr,
    lr_range=_step_range,
    horizon=_steps_horizon,
    horizon_text="until the rate falls to 1% of lr, at most 10 decays (3 if decay_rate >= 1), after "
    "a prefix warm-up",
    example="timm step --lr 0.1 --decay-t 30 --decay-rate 0.1 --warmup-t 3",
    resolve=_resolve_steps,
    limit=_steps_limit,
    warn=lambda p, n: _warn_steps(p, n),
    annotate=lambda p, n: Annotations(phases=_warmup_phase(steps_of(p), n)),
    emit=_emitter("step"),
    signature=SIGNATURES["step"],
    scaled=lambda n: {"lr": 0.1, "decay_t": n // 10, "decay_rate": 0.5, "warmup_t": n // 100},
))

MULTISTEP_PARAMS = (
    LR,
    IntegerList("decay_t", "Milestones: the rate is multiplied by decay_rate from the step before each.",
                required=True, ge=1),
    Real("decay_rate", "Multiply the rate by this at each milestone.", 1.0, ge=0),
    *_warmup_params(True), T_IN_EPOCHS, *_noise_params(),
)
_multistep_lr, _multistep_range = _functions("multistep", MULTISTEP_PARAMS, DOCS["multistep"])
ENTRIES["multistep"] = register(Schedule(
    name="multistep",
    framework="timm",
    origin="timm.scheduler.MultiStepLRScheduler",
    summary="Multiply the rate by decay_rate at each milestone of decay_t (one step early, as timm does).",
    params=MULTISTEP_PARAMS,
    lr=_multistep_lr,
    lr_range=_multistep_range,
    horizon=_multisteps_horizon,
    horizon_text="the last milestone and a quarter more (last + ceil(last / 4) + 1 rows), after a "
    "prefix warm-up",
    example="timm multistep --lr 0.1 --decay-t 30,60,90 --decay-rate 0.1",
    resolve=_resolve_multisteps,
    limit=_multisteps_limit,
    warn=lambda p, n: _warn_multisteps(p, n),
    annotate=lambda p, n: Annotations(phases=_warmup_phase(multisteps_of(p), n)),
    emit=_emitter("multistep"),
    signature=SIGNATURES["multistep"],
    scaled=lambda n: {"lr": 0.1, "decay_t": [n // 2, 3 * n // 4, 9 * n // 10], "decay_rate": 0.1,
                      "warmup_t": n // 100},
))

METRICS = Series("metrics", "The metric per epoch: one number a line, a CSV with a header, or a JSON list.",
                 required=True, argument=False)
COLUMN = Text("column", "The CSV column to read (default: the one that is not step/epoch).", argument=False)
PLATEAU_PARAMS = (
    LR, METRICS, COLUMN,
    Real("decay_rate", "new rate = rate x decay_rate (ReduceLROnPlateau's factor).", 0.1, gt=0, lt=1),
    Integer("patience_t", "Bad epochs tolerated before the rate is cut.", 10, ge=0),
    Real("threshold", "How much better (relatively) than the best a metric must be to count.", 1e-4, ge=0),
    Integer("cooldown_t", "Epochs after a cut during which bad epochs are not counted.", 0, ge=0),
    WARMUP_T, WARMUP_LR_INIT,
    Real("lr_min", "The rate never goes below this.", 0.0, ge=0),
    Choice("mode", "max: higher is better (timm's default, an accuracy); min: lower is better (a loss).",
           "max", choices=("min", "max")),
    *_noise_params(plateau=True),
)


def _plateau_metric(t: np.ndarray, *, metrics: series.MetricSeries) -> dict[str, np.ndarray]:
    return {"metric": metrics.values[t.astype(np.intp)]}


def _plateau_metric_range(first: int, n: int, *, metrics: series.MetricSeries) -> dict[str, np.ndarray]:
    return {"metric": metrics.values[first : first + n].copy()}


_plateau_lr, _plateau_range = _functions("plateau", PLATEAU_PARAMS, DOCS["plateau"])
ENTRIES["plateau"] = register(Schedule(
    name="plateau",
    framework="timm",
    origin="timm.scheduler.PlateauLRScheduler",
    summary="timm's warm-up, then torch's ReduceLROnPlateau on a recorded metric (mode max by default).",
    params=PLATEAU_PARAMS,
    lr=_plateau_lr,
    lr_range=_plateau_range,
    horizon=lambda p: len(p["metrics"]),
    horizon_text="one row per metric value",
    example="timm plateau --lr 0.1 --metrics val.csv --column val_acc --patience-t 2 --warmup-t 2",
    resolve=_resolve_plateau,
    limit=_plateau_limit,
    extras=_plateau_metric,
    extras_range=_plateau_metric_range,
    warn=_warn_plateau,
    annotate=_annotate_plateau,
    row_unit="epoch",
    metric="metrics",
    emit=_emitter("plateau"),
    signature=SIGNATURES["plateau"],
    scaled=lambda n: {"lr": 0.1, "metrics": 0.2 + 1.0 / (1.0 + np.arange(n) / (n / 100)),
                      "patience_t": 10, "mode": "min"},
))

FACTORY_PARAMS = (
    LR,
    Choice("sched", "The scheduler create_scheduler_v2 builds (train.py's --sched).", "cosine",
           choices=("cosine", "tanh", "step", "multistep", "poly", "plateau", "constant")),
    Integer("num_epochs", "Epochs of the schedule (train.py's --epochs): t_initial, before warm-up prefix "
            "and cooldown.", 300, ge=1),
    Real("decay_epochs", "Epochs between decays (step).", 90.0, gt=0),
    IntegerList("decay_milestones", "Epochs of the decays (multistep).", (90, 180, 270), ge=1),
    Integer("cooldown_epochs", "Epochs at min_lr after the cycles, added to the epoch count (cosine, tanh, "
            "poly).", 0, ge=0),
    Integer("patience_epochs", "Bad epochs before a cut (plateau).", 10, ge=0),
    Real("decay_rate", "Decay factor (step, multistep, plateau); the power of poly.", 0.1, ge=0),
    Real("min_lr", "The lowest rate (lr_min).", 0.0, ge=0),
    Real("warmup_lr", "The rate the warm-up starts from (warmup_lr_init).", 1e-5, ge=0),
    Integer("warmup_epochs", "Epochs of linear warm-up.", 0, ge=0),
    _warmup_prefix(False),
    NoiseRange("noise", "Noise on (and off) as fractions of num_epochs: A or A,B. Default: none.",
               single_list=True),
    NOISE_PCT, NOISE_STD, NOISE_SEED,
    CYCLE_MUL,
    Real("cycle_decay", "Each cycle starts at this fraction of the one before's peak.", 0.1, ge=0),
    CYCLE_LIMIT, K_DECAY,
    Choice("plateau_mode", "Whether a higher (max) or lower (min) metric is better (plateau).", "max",
           choices=("min", "max")),
    Switch("sched_on_updates", "Step the schedule after every update (train.py's --sched-on-updates; "
           "the factory's step_on_epochs=False), not every epoch.", False, argument=False),
    Switch("step_on_epochs", "The factory's own keyword for the same: false steps after every update.",
           True),
    Integer("updates_per_epoch", "Optimizer updates per epoch (with sched_on_updates).", ge=1),
    Series("metrics", "The metric per epoch, for sched plateau: a file or an inline list.", argument=False),
    Text("column", "The CSV column of metrics to read.", argument=False),
)
FACTORY = register(Schedule(
    name="create-scheduler-v2",
    framework="timm",
    origin="timm.scheduler.create_scheduler_v2",
    summary="The scheduler timm's train.py builds from its epochs: create_scheduler_v2's arithmetic.",
    params=FACTORY_PARAMS,
    lr=factory_lr,
    lr_range=factory_range,
    horizon=lambda p: p["scheduler"].rows,
    horizon_text="the num_epochs create_scheduler_v2 returns (times updates_per_epoch on updates): "
    "the whole training run",
    example="timm create-scheduler-v2 --lr 0.1 --sched cosine --num-epochs 30 --warmup-epochs 3 "
    "--cooldown-epochs 5 --sched-on-updates --updates-per-epoch 100",
    resolve=_factory,
    limit=_factory_limit,
    extras=_factory_metric,
    extras_range=_factory_metric_range,
    warn=_factory_warn,
    annotate=_factory_annotate,
    epoch_length=lambda p: p["scheduler"].per_epoch or 1,
    derived=_factory_derived,
    emit=_emit_factory,
    signature=SIGNATURES["create-scheduler-v2"],
    scaled=lambda n: {"lr": 0.1, "sched": "cosine", "num_epochs": n // 1000 - 10, "warmup_epochs": 5,
                      "warmup_prefix": True, "cooldown_epochs": 5, "sched_on_updates": True,
                      "updates_per_epoch": 1000},
))


# --- train.py's args.yaml ---------------------------------------------------------------------------

# train.py's argument -> create_scheduler_v2's, as scheduler_kwargs(args) maps them.
TRAIN_ARGS = {
    "sched": "sched", "epochs": "num_epochs", "decay_epochs": "decay_epochs",
    "decay_milestones": "decay_milestones", "warmup_epochs": "warmup_epochs",
    "cooldown_epochs": "cooldown_epochs", "patience_epochs": "patience_epochs", "decay_rate": "decay_rate",
    "min_lr": "min_lr", "warmup_lr": "warmup_lr", "warmup_prefix": "warmup_prefix", "lr_noise": "noise",
    "lr_noise_pct": "noise_pct", "lr_noise_std": "noise_std", "seed": "noise_seed",
    "lr_cycle_mul": "cycle_mul", "lr_cycle_decay": "cycle_decay", "lr_cycle_limit": "cycle_limit",
    "lr_k_decay": "k_decay", "sched_on_updates": "sched_on_updates",
}
# train.py's own defaults, for the keys a hand-written config (train.py -c FILE) leaves out.
TRAIN_DEFAULTS = {
    "sched": "cosine", "epochs": 300, "decay_epochs": 90.0, "decay_milestones": [90, 180, 270],
    "warmup_epochs": 5, "cooldown_epochs": 0, "patience_epochs": 10, "decay_rate": 0.1, "min_lr": 0.0,
    "warmup_lr": 1e-5, "warmup_prefix": False, "lr_noise": None, "lr_noise_pct": 0.67, "lr_noise_std": 1.0,
    "seed": 42, "lr_cycle_mul": 1.0, "lr_cycle_decay": 0.5, "lr_cycle_limit": 1, "lr_k_decay": 1.0,
    "sched_on_updates": False, "lr": None, "lr_base": 0.1, "lr_base_size": 256, "lr_base_scale": "",
    "batch_size": 128, "grad_accum_steps": 1, "opt": "sgd", "eval_metric": "top1", "world_size": 1,
}


def read_config(document: Mapping[str, Any], values: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The schedule of a timm train.py config (its saved args.yaml, or a ``-c`` config), for
    ``lrplot run``: ``create_scheduler_v2(optimizer, **scheduler_kwargs(args), updates_per_epoch)``
    as train.py calls it. The lr is ``--lr``, or, when it is not set, train.py's
    ``lr_base * (batch_size * world_size * grad_accum_steps / lr_base_size)`` (square-rooted for
    adaptive optimizers, or as lr_base_scale says); updates per epoch are ``ceil(batches /
    grad_accum_steps)`` from ``batches_per_epoch``, which the config cannot know; the plateau mode
    is min when eval_metric is loss. ``values`` (--set) fill or replace train.py's keys
    (``world_size``, ``metrics`` for plateau too)."""
    merged = {**TRAIN_DEFAULTS, **{k: v for k, v in document.items() if v is not None or k == "lr"}, **values}
    sched = merged["sched"]
    if sched in ("wsd", "rsqrt", "none"):
        what = "no scheduler (the optimizer keeps its lr)" if sched == "none" else "WSDLRScheduler"
        raise Invalid(f"{{}} {sched} builds {what}, which lrplot does not draw; it draws cosine, tanh, step, "
                      "multistep, poly, plateau and constant", "sched")
    raw = {ours: merged[theirs] for theirs, ours in TRAIN_ARGS.items() if merged.get(theirs) is not None}
    raw["lr"] = merged["lr"] if merged["lr"] else _train_lr(merged)
    metric = merged["eval_metric"]
    raw["plateau_mode"] = "min" if metric == "loss" else "max"
    batches = merged.get("batches_per_epoch")
    accumulation = merged["grad_accum_steps"]
    if batches is not None:
        raw["updates_per_epoch"] = (int(batches) + int(accumulation) - 1) // int(accumulation)
    elif merged["sched_on_updates"]:
        raise Invalid("{} is true: give {} (the training loader's length; updates per epoch = ceil(batches / "
                      "grad_accum_steps))", "sched_on_updates", "batches_per_epoch")
    for key in ("metrics", "column"):
        if merged.get(key) is not None:
            raw[key] = merged[key]
    if sched == "plateau" and "metrics" not in raw:
        raise Invalid("{} plateau needs {}: the metric of every epoch (--set metrics=FILE)", "sched",
                      "metrics")
    return [("timm.create_scheduler_v2", raw)]


def _train_lr(args: Mapping[str, Any]) -> float:
    """train.py's lr when --lr is not given: lr_base scaled by the global batch size."""
    for key in ("lr_base", "lr_base_size", "batch_size", "world_size", "grad_accum_steps"):
        value = args[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise Invalid(f"{{}} must be a number > 0 (train.py computes lr from it), got {show(value)}", key)
    ratio = args["batch_size"] * args["world_size"] * args["grad_accum_steps"] / args["lr_base_size"]
    scale = args["lr_base_scale"] or ("sqrt" if any(o in str(args["opt"]).lower() for o in ("ada", "lamb"))
                                      else "linear")
    if scale == "sqrt":
        ratio = ratio**0.5
    return args["lr_base"] * ratio
