"""The Keras side of every comparison: Keras' own schedule classes called by lrplot's index
convention, and the error model that says how far Keras' float32 may be from lrplot's float64.

Importing this module does not import Keras; :func:`keras_rows` does (through tests.libraries,
which sets KERAS_BACKEND=jax first). Row t is ``schedule(t)`` with t the optimizer's iteration
count, an int32 on the jax backend: every class is called once on the array of steps (its ops
broadcast), except CosineDecay with a warmup_target, whose ``ops.cond`` needs a scalar step: it is
mapped over the steps with ``keras.ops.vectorized_map`` (jax.vmap; a test checks that this equals
calling it step by step).

Precision (``floatx``):
- ``"float32"``: Keras as it runs by default.
- ``"float64"``: ``floatx="float64"`` with ``jax_enable_x64``, and Keras' type promotion taught that
  float64 stays float64 (``dtypes.BIT64_TO_BIT32_DTYPE``), as it is on Keras' TensorFlow backend:
  outside TensorFlow, Keras 3.15 maps float64 to float32 in ``result_type``, so ``ops.cos``,
  ``ops.floor`` and ``ops.ceil`` would round their float64 argument to float32.
- ``"float64-as-shipped"``: the same without that change, to show what it costs.
Every change is undone on the way out.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

CLASSES = {
    "exponential-decay": "ExponentialDecay",
    "piecewise-constant-decay": "PiecewiseConstantDecay",
    "polynomial-decay": "PolynomialDecay",
    "inverse-time-decay": "InverseTimeDecay",
    "cosine-decay": "CosineDecay",
    "cosine-decay-restarts": "CosineDecayRestarts",
}
# lrplot parameters that are not arguments of the schedule class.
NOT_ARGUMENTS = frozenset({"gradient_accumulation_steps"})
FLOATX = ("float32", "float64", "float64-as-shipped")
# Unit round-off.
EPS32 = 2.0**-24
EPS64 = 2.0**-53
# lrplot against Keras in float64: relative to the curve's scale (its largest |rate|).
FLOAT64_TOLERANCE = 1e-12
# Safety factor over the first-order error model of Keras' float32 (see float32_bound).
SAFETY = 4.0
FLOAT32_MAX = float(np.finfo(np.float32).max)
# Below the normal range XLA flushes results to 0 (float32: 1.2e-38, float64: 2.2e-308): an
# absolute error up to there.
FLOAT32_FLOOR = 2.0**-125
FLOAT64_FLOOR = 2.0**-1021
# Keras is called on steps 0..B-1 for the smallest B here that holds the rows (then cut): jax
# compiles each operation once per array shape, so a few shapes keep the calls fast.
BUCKETS = (256, 2048, 16384)


def short_name(schedule: str) -> str:
    """``keras.cosine-decay`` or ``keras.cosine_decay`` -> ``cosine-decay``."""
    return schedule.split(".", 1)[-1].replace("_", "-")


def keras_module() -> Any:
    from tests.libraries import reference

    return reference("keras")


@contextlib.contextmanager
def precision(floatx: str) -> Iterator[None]:
    """Keras computing in ``floatx`` (one of FLOATX) inside the block, as it was after it."""
    keras = keras_module()
    if floatx == "float32":
        yield
        return
    import jax
    from keras.src.backend.common import dtypes

    x64, before = jax.config.jax_enable_x64, keras.config.floatx()
    promotion = dtypes.BIT64_TO_BIT32_DTYPE["float64"]
    jax.config.update("jax_enable_x64", True)
    keras.config.set_floatx("float64")
    if floatx == "float64":
        dtypes.BIT64_TO_BIT32_DTYPE["float64"] = "float64"
    try:
        yield
    finally:
        dtypes.BIT64_TO_BIT32_DTYPE["float64"] = promotion
        keras.config.set_floatx(before)
        jax.config.update("jax_enable_x64", x64)


def build(schedule: str, params: Mapping[str, Any]) -> Any:
    """The Keras schedule object for lrplot's schedule and parameters (every parameter passed by
    its name, lists as lists; a warmup_target of None is Keras' default)."""
    keras = keras_module()
    cls = getattr(keras.optimizers.schedules, CLASSES[short_name(schedule)])
    kwargs = {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()
              if k not in NOT_ARGUMENTS and v is not None}
    return cls(**kwargs)


def needs_map(schedule: str, params: Mapping[str, Any]) -> bool:
    """CosineDecay with a warmup_target branches on the step with ops.cond (a scalar predicate)."""
    return short_name(schedule) == "cosine-decay" and params.get("warmup_target") is not None


def keras_rows(schedule: str, params: Mapping[str, Any], rows: int, floatx: str = "float64",
               step_by_step: bool = False) -> np.ndarray:
    """Rows 0..rows-1 as Keras computes them in ``floatx``: ``schedule(t)`` on the int32 steps
    (mapped with keras.ops.vectorized_map where the class needs a scalar step; one call per step
    with ``step_by_step``), as float64."""
    keras = keras_module()
    with precision(floatx):
        fn = build(schedule, params)
        if step_by_step:
            values = [float(fn(step)) for step in range(rows)]
            return np.array(values, dtype=np.float64)
        length = next((b for b in BUCKETS if b >= rows), rows)
        steps = np.arange(length, dtype=np.int32)
        if needs_map(schedule, params):
            out = keras.ops.vectorized_map(fn, keras.ops.convert_to_tensor(steps))
        else:
            out = fn(steps)
        return np.asarray(keras.ops.convert_to_numpy(out), dtype=np.float64).reshape(length)[:rows]


def versions() -> dict[str, str]:
    keras = keras_module()
    import jax

    return {"keras": keras.__version__, "jax": jax.__version__, "backend": keras.backend.backend()}


# --- how far Keras may be from lrplot ---------------------------------------------------------------


def scale_of(ref: np.ndarray) -> float:
    finite = np.abs(ref[np.isfinite(ref)])
    return float(finite.max()) if finite.size else 0.0


def _restart_parts(t: np.ndarray, p: Mapping[str, Any], i: np.ndarray) -> dict[str, np.ndarray]:
    """Keras' intermediate quantities of CosineDecayRestarts at steps t in cycle(s) i (float64)."""
    d, t_mul = p["first_decay_steps"], p["t_mul"]
    frac = t / d
    with np.errstate(all="ignore"):
        if t_mul == 1.0:
            sum_r = i.copy()
            grown = np.ones_like(t)
        else:
            grown = np.power(t_mul, i)
            sum_r = (1.0 - grown) / (1.0 - t_mul)
        done = (frac - sum_r) / grown
    return {"frac": frac, "sum_r": sum_r, "grown": grown, "done": done}


def restart_value(t: np.ndarray, p: Mapping[str, Any], i: np.ndarray) -> np.ndarray:
    """CosineDecayRestarts at steps t computed as if they were in cycle i (float64)."""
    parts = _restart_parts(t, p, i)
    a, m, alpha = p["initial_learning_rate"], p["m_mul"], p["alpha"]
    with np.errstate(all="ignore"):
        return a * ((1 - alpha) * (0.5 * np.power(m, i) * (1 + np.cos(np.pi * parts["done"]))) + alpha)


def restart_window(t: np.ndarray, p: Mapping[str, Any], eps: float) -> np.ndarray:
    """Steps where Keras' cycle index (a floor of log ratios, in float arithmetic of unit round-off
    eps) may be one below or above the exact one: the ratio is within its rounding of a whole
    number >= 1 (t_mul 1 is a floor of t / first_decay_steps: see keras_branches)."""
    d, t_mul = p["first_decay_steps"], p["t_mul"]
    frac = t / d
    with np.errstate(all="ignore"):
        x = 1.0 - frac * (1.0 - t_mul)
        ratio = np.log(x) / math.log(t_mul)
        # log(x): x carries (1 + frac|1 - t_mul|) rounding errors; the log ratio a few more.
        shaky = (1 + frac * abs(1 - t_mul)) / (x * abs(math.log(t_mul)))
        spread = SAFETY * eps * (4 + 2 * np.abs(ratio) + shaky)
    near = np.abs(ratio - np.round(ratio)) <= spread
    return near & (np.round(ratio) >= 1)


def xla_quotient(t: np.ndarray, d: int, floatx: str) -> np.ndarray:
    """t / d as Keras computes it on jax: XLA divides an array by a scalar as t · (1/d), which can
    land an ulp off a whole number at a multiple of d (61 · fl32(1/61) = 0.99999994, and in float64
    49 · (1/49) = 0.9999999999999999); a floor or a ceil of it is then one off."""
    if floatx == "float32":
        return (t.astype(np.float32) * (np.float32(1) / np.float32(d))).astype(np.float64)
    return t * (1.0 / d)


def keras_branches(schedule: str, p: Mapping[str, Any], t: np.ndarray, ours: np.ndarray,
                   floatx: str) -> np.ndarray:
    """lrplot's rows with those where Keras' t · (1/d) (see :func:`xla_quotient`) takes the other
    side of a floor or a ceil replaced by that side's rate: a staircase's tread one step late, a
    restart (t_mul 1) one step late, a polynomial cycle's next multiple one step early. In float32
    (and float64 with float64 kept through floor and ceil), these are exactly Keras' rows; as
    shipped, Keras' float64 floors a float32 of the quotient, which absorbs the ulp."""
    name = short_name(schedule)
    out = ours.copy()
    if name in ("exponential-decay", "inverse-time-decay") and p["staircase"]:
        d = p["decay_steps"]
        late = np.floor(xla_quotient(t, d, floatx)) < np.floor(t / d)
        out[late] = ours[np.flatnonzero(late) - 1]  # the tread before: row t - 1, as t is a multiple
    elif name == "cosine-decay-restarts" and p["t_mul"] == 1.0:
        d = p["first_decay_steps"]
        late = np.floor(xla_quotient(t, d, floatx)) < np.floor(t / d)
        out[late] = restart_value(t[late], p, np.floor(t[late] / d) - 1)
    elif name == "polynomial-decay" and p["cycle"]:
        a, end, d = p["initial_learning_rate"], p["end_learning_rate"], p["decay_steps"]
        multiplier = np.where(t == 0, 1.0, np.ceil(xla_quotient(t, d, floatx)))
        off = multiplier != np.where(t == 0, 1.0, np.ceil(t / d))
        with np.errstate(all="ignore"):
            out[off] = (a - end) * np.power(1 - t[off] / (d * multiplier[off]), p["power"]) + end
    return out


def alternatives(schedule: str, p: Mapping[str, Any], t: np.ndarray, cycles: np.ndarray | None,
                 eps: float) -> tuple[np.ndarray, list[tuple[np.ndarray, Any]]]:
    """(rows, [(rates, cycle index), ...]): the rows near a restart where Keras' cycle index, a
    floor of a ratio of logarithms, may be one off (which way depends on the backend's log), and
    the rates of the neighbouring cycles there."""
    if short_name(schedule) != "cosine-decay-restarts" or p["t_mul"] == 1.0:
        return np.zeros(t.shape, dtype=bool), []
    return restart_window(t, p, eps), [(restart_value(t, p, cycles + s), cycles + s) for s in (-1.0, 1.0)]


def float32_bound(schedule: str, params: Mapping[str, Any], t: np.ndarray, ours: np.ndarray,
                  cycle: np.ndarray | None = None) -> np.ndarray:
    """How far Keras' float32 may be from lrplot's float64 at steps t, to first order: every
    parameter Keras casts to float32 (a relative error of EPS32) and every operation rounded,
    propagated through each formula (``cycle``: CosineDecayRestarts' cycle index at each step).
    Times SAFETY; one bound per row."""
    e, p = EPS32, params
    name = short_name(schedule)
    v = np.abs(ours)
    with np.errstate(all="ignore"):
        if name == "exponential-decay":
            r = p["decay_rate"]
            q = t / p["decay_steps"]
            if p["staircase"]:
                q = np.floor(q)
            spread = 0.0 if r == 0 else np.abs(q * math.log(r))
            model = v * (4 + q + 2 * spread)
        elif name == "inverse-time-decay":
            model = 8 * v
        elif name == "piecewise-constant-decay":
            model = 2 * v
        elif name == "polynomial-decay":
            a, end, w, d = p["initial_learning_rate"], p["end_learning_rate"], p["power"], p["decay_steps"]
            if p["cycle"]:
                q = t / (d * np.where(t == 0, 1.0, np.ceil(t / d)))
            else:
                q = np.minimum(t, d) / d
            rest = 1 - q
            x = np.power(rest, w)
            # 1 - q carries q's rounding (XLA's float32 division: an ulp or two): the power's
            # spread over it, which is unbounded in slope at q = 1 for a power below 1.
            spread = (np.power(rest + 4 * e * q, w) - np.power(np.maximum(rest - 4 * e * q, 0), w)) / 2
            pow_error = np.where(rest > 0, np.abs(w * np.log(rest)) * x, 0.0)
            model = (abs(a) + abs(end)) * x + abs(a - end) * (2 * x + 2 * pow_error + spread / e) + v
        elif name == "cosine-decay":
            top = abs(p["initial_learning_rate"]) + abs(p["warmup_target"] or 0.0)
            model = top * (1 + p["alpha"]) * (2 * math.pi + 4) + v
        elif name == "cosine-decay-restarts":
            model = _restarts_model(t, p, cycle, e) / e + v
        else:
            raise KeyError(schedule)
    return SAFETY * e * model


def _restarts_model(t: np.ndarray, p: Mapping[str, Any], i: np.ndarray, e: float) -> np.ndarray:
    """First-order float32 error of CosineDecayRestarts in cycle i: the phase f = (frac − sum_r) /
    t_mul^i carries the rounding of frac, of sum_r (whose 1 − t_mul^i cancels, divided by
    1 − t_mul) and of t_mul itself (i·EPS32 in t_mul^i); the height m_mul^i that of m_mul."""
    a, m, alpha, t_mul = p["initial_learning_rate"], p["m_mul"], p["alpha"], p["t_mul"]
    parts = _restart_parts(t, p, i)
    frac, sum_r, grown, done = parts["frac"], parts["sum_r"], parts["grown"], parts["done"]
    if t_mul == 1.0:
        phase = e * frac
    else:
        phase = e * ((frac + (1 + 2 * grown) / abs(1 - t_mul) + np.abs(sum_r) * (2 + i)) / grown
                     + np.abs(done) * (2 + i))
    height = abs(a) * (1 - alpha) * 0.5 * np.power(m, i)
    log_m = abs(math.log(m)) if m > 0 else 0.0
    return (height * (math.pi * phase + 2 * e * (3 + 2 * i + i * log_m))
            + e * abs(a) * (1 + alpha) * 8)


def float64_bound(ref: np.ndarray) -> float:
    return FLOAT64_TOLERANCE * scale_of(ref) + FLOAT64_FLOOR


def exact_cycles(t: np.ndarray, p: Mapping[str, Any]) -> np.ndarray:
    """CosineDecayRestarts' cycle index of each step, as lrplot assigns it."""
    from lrplot.schedules.keras import restart_cycles

    return restart_cycles(t / p["first_decay_steps"], p["t_mul"])[0]


def compare(schedule: str, params: Mapping[str, Any], ours: np.ndarray, ref: np.ndarray,
            floatx: str) -> dict[str, Any]:
    """How lrplot's rows ``ours`` stand against Keras' ``ref`` in ``floatx``.

    Returns ``{"worst": largest error over its bound (<= 1 passes), "error": largest |ours − ref|
    relative to the scale, "rows": the rows that fail, "either": the rows near a restart where
    Keras' logarithms may take the neighbouring cycle (compared with its formula too, see
    :func:`alternatives`), "branches": the rows where Keras' division takes the other side of a
    floor or ceil (compared with that side's rate, see :func:`keras_branches`)}``.

    float64: |ours − ref| <= 1e-12 · scale (+ 2^-1021: XLA flushes subnormal results to 0).
    float32: within :func:`float32_bound`. Rows where Keras
    is NaN must be NaN in lrplot too (lrplot refuses them before they are computed, so callers
    keep them out).
    """
    t = np.arange(len(ref), dtype=np.float64)
    name = short_name(schedule)
    eps = EPS32 if floatx == "float32" else EPS64
    cycles = exact_cycles(t, params) if name == "cosine-decay-restarts" else None
    scale = scale_of(ref)

    def bound_of(values: np.ndarray, cycle: np.ndarray | None) -> np.ndarray:
        if floatx != "float32":
            return np.full(len(ref), float64_bound(ref))
        return float32_bound(schedule, params, t, values, cycle) + FLOAT32_FLOOR * (1 + scale)

    expected = keras_branches(schedule, params, t, ours, floatx)
    bound = bound_of(expected, cycles)
    with np.errstate(invalid="ignore"):
        error = np.abs(expected - ref)
    if floatx == "float32":
        # Past float32's largest number Keras' rate is inf.
        error = np.where(np.isinf(ref) & (np.abs(expected) >= FLOAT32_MAX * (1 - 16 * EPS32))
                         & (np.sign(ref) == np.sign(expected)), 0.0, error)
    # Where Keras' logarithms may take the neighbouring cycle, that cycle's rate counts too.
    either, others = alternatives(schedule, params, t, cycles, eps)
    for other, cycle in others:
        with np.errstate(invalid="ignore", divide="ignore"):
            scaled = np.abs(other - ref) * bound / bound_of(other, cycle)
        error = np.where(either, np.fmin(error, scaled), error)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(bound > 0, error / bound, np.where(error == 0, 0.0, np.inf))
    ratio = np.where(np.isnan(expected) & np.isnan(ref), 0.0, ratio)
    ratio = np.where(np.isnan(ratio), np.inf, ratio)
    return {
        "worst": float(ratio.max()) if len(ratio) else 0.0,
        "error": float(np.nanmax(error) / (scale or 1.0)) if len(error) else 0.0,
        "rows": np.flatnonzero(ratio > 1).tolist(),
        "either": np.flatnonzero(either).tolist(),
        "branches": np.flatnonzero(expected != ours).tolist(),
    }


def assert_matches_keras(schedule: str, params: Mapping[str, Any], ours: np.ndarray, ref: np.ndarray,
                         floatx: str, context: str = "") -> None:
    assert len(ours) == len(ref), (context, len(ours), len(ref))
    found = compare(schedule, params, np.asarray(ours, dtype=np.float64), ref, floatx)
    if found["worst"] > 1:
        rows = found["rows"][:8]
        raise AssertionError(
            f"{context or schedule} {dict(params)} differs from Keras ({floatx}) beyond its bound "
            f"(worst {found['worst']:.3g} x the bound) at rows {rows}: ours {np.asarray(ours)[rows]}, "
            f"Keras {ref[rows]}"
        )
