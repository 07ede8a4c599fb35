"""Renderers: a table for the terminal, CSV/JSON exports and plots; each takes finished curves."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from lrplot.engine import Curve
from lrplot.frameworks import FRAMEWORKS
from lrplot.params import Choice, Switch, Text, TextList

from .files import Target, staged

TITLE = Text("title", "Title of the plot or table.")
LOG = Switch("log", "Log-scale learning-rate axis (and table bars).", False)
LAYOUT = Choice(
    "layout", "Several schedules: overlay on one axes, or a grid of small plots.", "overlay",
    choices=("overlay", "grid"),
)
OUTPUT = TextList(
    "output", "Where to write: the suffix picks the format (.png .svg .pdf .csv .json); - is CSV "
    "on standard output. Without it, a table is printed.",
)
CHART = Switch("chart", "Draw the curve in the terminal (braille) instead of printing the table.", False)
EMIT = Choice(
    "emit", "Print runnable code for this framework that builds and steps the scheduler (optimizer "
    "and model are placeholders) instead of the table.", None, choices=tuple(FRAMEWORKS),
)
# Options of the whole output, whatever the schedules: command-line options and YAML top-level keys.
VIEW_PARAMS = (TITLE, LOG, LAYOUT, CHART, EMIT, OUTPUT)


def shared_steps_per_epoch(items: Sequence[Any]) -> int | None:
    """The steps per epoch every curve (or spec) agrees on, else None: an epoch axis needs one."""
    known = {item.steps_per_epoch for item in items}
    return known.pop() if len(known) == 1 else None


def rows_per_epoch(curve: Curve) -> int | None:
    """How many rows of ``curve`` make an epoch: 1 when a row is an epoch (ReduceLROnPlateau),
    else its steps per epoch (None when unknown)."""
    return 1 if curve.row_unit == "epoch" else curve.steps_per_epoch


def own_epochs(curves: Sequence[Curve]) -> tuple[int, ...] | None:
    """Each curve's rows per epoch when the curves count epochs at different rates (cosine
    stepped once an epoch beside a 1cycle stepped 50 times an epoch): then epochs are the one
    clock they share, and every renderer lines them up by epoch. None when one of them does not
    know its epochs, or all count them alike (a step is then the same for all of them)."""
    lengths = tuple(rows_per_epoch(c) for c in curves)
    if len(curves) < 2 or None in lengths or len(set(lengths)) == 1:
        return None
    return lengths  # type: ignore[return-value]


@dataclass(frozen=True)
class View:
    """Options that apply to the whole output, whatever the format."""

    title: str | None = None
    log: bool = False
    steps_per_epoch: int | None = None
    layout: str = "overlay"
    chart: bool = False
    emit: str | None = None  # code for this framework on stdout instead of the table


def write(
    curves: Sequence[Curve], targets: Sequence[Target], view: View, stdout: IO[bytes],
    track: Callable[[IO[bytes], Target], IO[bytes]] | None = None,
) -> None:
    """Write every target; files appear only when all of them have been written in full.
    ``track(stream, target)`` may wrap each stream (a progress bar counting its bytes)."""
    from .export import write_csv, write_json

    figure = None
    with staged(targets) as handles:
        for target, handle in zip(targets, handles):
            out = stdout if handle is None else handle
            if track is not None:
                out = track(out, target)
            if target.format == "csv":
                write_csv(out, curves, view.steps_per_epoch)
            elif target.format == "json":
                write_json(out, curves, view.steps_per_epoch)
            else:
                from . import plot  # matplotlib is paid for only when a plot is asked for

                if figure is None:
                    figure = plot.figure(
                        curves,
                        title=view.title,
                        log=view.log,
                        steps_per_epoch=view.steps_per_epoch,
                        layout=view.layout,
                    )
                plot.save(figure, out, target.format)
