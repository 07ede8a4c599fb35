"""What titles and legends call a curve: its schedule, the parameters that differ from their
defaults and its warm-up, as in ``cosine t_max=295 + warm-up 5``."""

from __future__ import annotations

import re
from typing import Any

from lrplot.engine import WARMUP_START_FACTOR, Curve
from lrplot.params import Integer, Real
from lrplot.registry import Context, Schedule, find

# How a default label (lrplot.engine.default_label) writes a warm-up at its end.
_WARMUP_TAIL = re.compile(r" warmup_steps=(\d+)(?: warmup_start_factor=(\S+))?$")


def shown(value: Any) -> str:
    """A parameter's value as a label shows it: 0.001, true, 30,80, a file's name."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return ",".join(shown(v) for v in value)
    if hasattr(value, "source") and hasattr(value, "values"):  # a metrics series
        path = getattr(value, "path", None)
        return path.name if path is not None else f"{len(value.values)} values"
    return value.describe() if hasattr(value, "describe") else str(value)


def warm_up(steps: int, factor: float | None) -> str:
    """`` + warm-up 5``, with its start factor when it is not torch's LinearLR default."""
    start = "" if factor is None or factor == WARMUP_START_FACTOR.default else f" from {factor:g}×"
    return f" + warm-up {steps}{start}"


def describe(curve: Curve) -> str:
    """The schedule's command, each parameter whose value differs from its default, and the
    warm-up: ``cosine t_max=295 + warm-up 5``, ``hf linear num_training_steps=100``. A value the
    schedule derives from the others anyway (1cycle's total_steps from epochs, Trainer's warm-up
    steps from its ratio) is left out, as it was not given."""
    schedule = find(curve.schedule)
    if schedule is None:  # not a registered schedule (a training log): its label says what it is
        return curve.label
    parts = [schedule.command]
    for param in schedule.params:
        value = curve.params.get(param.name)
        if value is None or _same(value, param.default) or _derived(schedule, curve, param.name):
            continue
        parts.append(f"{param.name}={shown(value)}")
    text = " ".join(parts)
    steps = curve.params.get("warmup_steps")
    if steps is not None and not any(p.name == "warmup_steps" for p in schedule.params):
        text += warm_up(steps, curve.params.get(WARMUP_START_FACTOR.name))
    return text


def display_label(curve: Curve) -> str:
    """The curve's label for a legend: the label itself, with the ``warmup_steps=5`` that ends a
    default label written as `` + warm-up 5``."""
    match = _WARMUP_TAIL.search(curve.label)
    steps = curve.params.get("warmup_steps")
    if match is None or steps is None or int(match.group(1)) != steps:
        return curve.label
    return curve.label[: match.start()] + warm_up(steps, curve.params.get(WARMUP_START_FACTOR.name))


def title(curve: Curve) -> str:
    """A single curve's title: what was drawn (its description, or its own label when it was
    given one) and the class or function it reproduces, e.g.
    ``cosine t_max=295 + warm-up 5 (CosineAnnealingLR)``."""
    schedule = find(curve.schedule)
    default = schedule is not None and curve.label == schedule.command
    name = describe(curve) if default else display_label(curve)
    return f"{name} ({curve.origin.rsplit('.', 1)[-1]})" if curve.origin else name


def metric_name(curve: Curve) -> str | None:
    """The name of the metric a curve follows (ReduceLROnPlateau's): the file's column when one was
    read (``val_loss``), or the one a training log was read for; else None."""
    schedule = find(curve.schedule)
    if schedule is None:
        named = curve.params.get("metric")
        return named if isinstance(named, str) and named else None
    if schedule.metric is None:
        return None
    series = curve.params.get(schedule.metric)
    column = getattr(series, "column", None) or curve.params.get("column")
    return column if isinstance(column, str) and column else None


def _derived(schedule: Schedule, curve: Curve, name: str) -> bool:
    """Whether the schedule would give the numeric parameter ``name`` (optional, no default) the
    value it has from the other parameters alone: resolved once more without it."""
    param = schedule.param(name)
    if schedule.resolve is None or param.default is not None or not isinstance(param, (Integer, Real)):
        return False
    values = {p.name: curve.params.get(p.name) for p in schedule.params}
    values[name] = None
    try:
        again = schedule.resolve(values, Context(steps_per_epoch=curve.steps_per_epoch))
    except Exception:  # without it the parameters do not resolve: it was given
        return False
    return _same(again.get(name), curve.params.get(name))


def _same(value: Any, default: Any) -> bool:
    if default is None:
        return False
    try:
        return bool(value == default)
    except (TypeError, ValueError):  # arrays and the like: never a default
        return False
