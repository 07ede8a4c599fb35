"""What titles and legends call a curve: its schedule, the parameters that differ from their
defaults and its warm-up, as in ``cosine t_max=295 + warm-up 5``."""

from __future__ import annotations

from lrplot.engine import Curve
from lrplot.registry import find


def describe(curve: Curve) -> str:
    """What was asked for: the schedule's command, each parameter given that differs from its
    default and the warm-up (``cosine t_max=295 + warm-up 5``, made by the engine from what was
    given); a curve that is not a computed schedule (a training log) is its label."""
    return curve.description or curve.label


def display_label(curve: Curve) -> str:
    """The curve's name in a legend: its label (a default label is its description)."""
    return curve.label


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
