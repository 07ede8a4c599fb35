"""The optax side of the optax comparisons: the real schedule functions, evaluated by lrplot's index
convention (row t = schedule(t)), in float64 or float32.

The counts are ``jnp.arange(n)``: int32 by default, as the optimizer's own count
(``scale_by_schedule``'s ``count``); int64 with ``jax_enable_x64``. That matters: jax divides an int32
count in float32 even with x64 on, so an x64 optimizer's linear, polynomial, exponential and warm-up
schedules are still partly float32; with int64 counts optax's arithmetic is float64 throughout,
which is what lrplot computes.

Importing this module imports neither jax nor optax; :func:`optax_rows` does, when called. jax's
``jax_enable_x64`` flag is process-wide: :func:`precision` sets it for one evaluation and puts the
previous value back, so float32 and float64 evaluations never leak into each other.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

# lrplot's name of each schedule -> optax's function (independent of lrplot's registry).
FUNCTIONS = {
    "constant": "constant_schedule",
    "linear": "linear_schedule",
    "polynomial": "polynomial_schedule",
    "cosine-decay": "cosine_decay_schedule",
    "exponential-decay": "exponential_decay",
    "piecewise-constant": "piecewise_constant_schedule",
    "piecewise-interpolate": "piecewise_interpolate_schedule",
    "warmup-constant": "warmup_constant_schedule",
    "warmup-cosine-decay": "warmup_cosine_decay_schedule",
    "warmup-exponential-decay": "warmup_exponential_decay_schedule",
    "linear-onecycle": "linear_onecycle_schedule",
    "cosine-onecycle": "cosine_onecycle_schedule",
    "join-schedules": "join_schedules",
    "sgdr": "sgdr_schedule",
}
# Every evaluation runs on a count array of one of a few lengths: jax compiles each operation once
# per shape, so a new length for every case would cost a second or so each.
SHORTEST = 2048

FLOAT32_EPS = float(np.finfo(np.float32).eps)


@contextmanager
def precision(x64: bool) -> Iterator[None]:
    """jax in float64 (``jax_enable_x64``) or in its default float32, restored afterwards."""
    import jax

    before = bool(jax.config.read("jax_enable_x64"))
    jax.config.update("jax_enable_x64", x64)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", before)


def optax_kwargs(params: Mapping[str, Any]) -> dict[str, Any]:
    """lrplot's parameters as optax's keyword arguments: mappings as dicts (boundaries_and_scales
    keyed by int steps), cycles as a list of dicts; unset optional values left out."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        if value is None or name in ("steps", "label"):
            continue
        if name == "boundaries_and_scales":
            value = {int(step): float(scale) for step, scale in dict(value).items()}
        elif name == "cosine_kwargs":
            value = [dict(cycle) for cycle in value]
        elif name == "schedules":  # join_schedules' pieces, each built by optax from its mapping
            import optax

            value = [getattr(optax, FUNCTIONS[child["type"].split(".", 1)[1].replace("_", "-")])(
                **optax_kwargs({k: v for k, v in child.items() if k != "type"})) for child in value]
        out[name] = value
    return out


def length_for(rows: int) -> int:
    return max(SHORTEST, 1 << max(0, rows - 1).bit_length())


def optax_rows(schedule: str, params: Mapping[str, Any], rows: int, *, x64: bool = True) -> np.ndarray:
    """optax's values of ``schedule`` at the counts 0..rows-1, as float64 numbers (in float32 mode,
    the float32 values exactly)."""
    import jax
    import jax.numpy as jnp
    import optax

    name = schedule.split(".", 1)[-1].replace("_", "-")
    with precision(x64):
        fn = getattr(optax, FUNCTIONS[name])(**optax_kwargs(params))
        counts = jnp.arange(length_for(rows))
        values = np.asarray(jax.vmap(fn)(counts), dtype=np.float64)
    return values[:rows]


def scale_of(*curves: np.ndarray) -> float:
    """The curve's scale: its largest magnitude (1 for a curve of zeros)."""
    top = max((float(np.max(np.abs(c))) for c in curves if c.size), default=0.0)
    return top if top > 0 and math.isfinite(top) else 1.0


def worst(lr: np.ndarray, ref: np.ndarray) -> float:
    """The largest difference, relative to the curve's scale."""
    return float(np.max(np.abs(lr - ref))) / scale_of(ref) if len(ref) else 0.0
