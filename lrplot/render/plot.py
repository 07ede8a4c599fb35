"""Plots: curves drawn on a matplotlib Figure (Figure API, never pyplot), saved as reproducible files."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import IO

import matplotlib
import matplotlib.style
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from lrplot.engine import Curve
from lrplot.registry import Event, Phase
from lrplot.render import shared_steps_per_epoch

SIZE = (8.0, 4.5)  # inches: 16:9, readable in a paper column or a PR
POINTS_PER_INCH = 72
GRID_TITLE_SIZE = 8
# DejaVu Sans averages about 0.6 em per character of a label (digits, lowercase, "=" and ",");
# a little more leaves the gap between two neighbouring titles.
CHAR_WIDTH = 0.62
TITLE_LINES = 2
GRID_ROW_HEIGHT = 2.25  # inches per row of small multiples beyond two rows
DPI = 120  # PNG pixels per inch: 960 x 540, sharp enough for docs, tens of KB
FORMATS = ("png", "svg", "pdf")
LAYOUTS = ("overlay", "grid")

# tab10: ten hues that stay distinguishable, also to most colour-blind readers.
COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)
# Past ten curves the hues repeat, so the dash pattern tells them apart.
DASHES = ("-", "--", ":", "-.")
MOMENTUM_COLOR = COLORS[1]
METRIC_COLOR = "#8c8c8c"
GUIDE_COLOR = "#6f6f6f"
PHASE_TINTS = ("#ff7f0e", "#1f77b4", "#2ca02c")
COOLDOWN_COLOR = "#9467bd"
COOLDOWN_ALPHA = 0.12
PHASE_ALPHA = 0.07
# Few enough rows across an axes that each deserves a dot: the reader can count the steps.
DOTS_UP_TO = 60
PHASE_HEADROOM = 0.12  # y margin above the curve, so phase names do not sit on it
LABEL_GAP = 0.055  # axes fraction kept between two guide labels so they never overprint

# Every rcParam the plots depend on, on top of matplotlib's defaults (see house_style).
RC: dict[str, object] = {
    "svg.hashsalt": "lrplot",  # SVG element ids come from a hash salted with this: fixed ids
    "svg.fonttype": "path",  # glyphs as paths: the file looks the same without our fonts
    "pdf.fonttype": 42,  # TrueType: text in a PDF stays selectable
    "savefig.dpi": "figure",
    "savefig.facecolor": "white",
    "savefig.edgecolor": "white",
    "savefig.transparent": False,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "font.family": "DejaVu Sans",  # bundled with matplotlib: the same glyphs on every machine
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "figure.titlesize": 11,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e6e6e6",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "axes.edgecolor": "#444444",
    "lines.linewidth": 1.6,
    "lines.solid_joinstyle": "round",
    # Rates like 0.0004 read better as 4 with a x1e-4 offset than as 0.0004 on every tick.
    "axes.formatter.limits": (-3, 4),
    "axes.formatter.use_mathtext": True,
    "legend.frameon": False,
    # Long curves arrive already reduced to their envelope, a few points per pixel column;
    # matplotlib's own simplification would only move those points off the exact values.
    "path.simplify": False,
}

# No creation date anywhere, so the same figure always gives the same bytes. PDF calls its date
# "CreationDate" ("Date" would be rejected with a warning); PNG carries no date to begin with.
METADATA: Mapping[str, Mapping[str, None]] = {
    "png": {},
    "svg": {"Date": None},
    "pdf": {"CreationDate": None},
}


def envelope(
    x_start: float, x_step: float, y: np.ndarray, columns: int
) -> tuple[np.ndarray, np.ndarray]:
    """The points of ``y`` (point i at x = x_start + i·x_step) that draw the same picture as all
    of them when each of ``columns`` pixel columns holds many points.

    ``y`` is cut into runs of k = max(1, N // columns) consecutive points (at least ``columns``
    runs, so none is wider than a pixel column). Each run keeps its first, lowest, highest and
    last point, in their original order: the lowest and highest give the run's vertical extent,
    and keeping the ends means every segment joining two runs is a segment of the full curve
    (the M4 reduction of Jugel et al., VLDB 2014). The first and last points of ``y`` are always
    kept. NaN is skipped inside a run; a run of NaN only stays NaN, a gap in the line.

    ``y`` is reshaped as a view, never copied: memory beyond the result is O(columns).

    >>> xs, ys = envelope(0.0, 1.0, np.array([0.0, 3.0, 1.0, 2.0, 5.0, 4.0]), 2)
    >>> xs.tolist(), ys.tolist()
    ([0.0, 1.0, 2.0, 3.0, 4.0, 5.0], [0.0, 3.0, 1.0, 2.0, 5.0, 4.0])
    >>> envelope(0.0, 1.0, np.array([0.0, 3.0, 1.0, 2.0, 0.0, 4.0, 5.0, 1.0]), 1)[1].tolist()
    [0.0, 5.0, 1.0]
    """
    y = np.asarray(y)
    if len(y) == 0:
        return np.empty(0), y
    index = _run_picks(y, max(1, len(y) // max(1, columns)))
    return x_start + x_step * index, y[index]


def _run_picks(y: np.ndarray, width: int) -> np.ndarray:
    """Sorted indices of the first, lowest, highest and last point of every run of ``width``."""
    n = len(y)
    full = n // width
    runs = y[: full * width].reshape(full, width)  # a view of the curve: no copy
    starts = np.arange(full) * width
    first, low, high, last = (starts + offset for offset in _extremes(runs))
    if full * width < n:  # the short last run
        tail = _extremes(y[full * width :][None, :])
        first, low, high, last = (
            np.append(picks, full * width + offset)
            for picks, offset in zip((first, low, high, last), tail)
        )
    # The curve's own ends, even NaN ones: the drawn line spans exactly the curve's x range.
    first[0], last[-1] = 0, n - 1
    index = np.stack((first, np.minimum(low, high), np.maximum(low, high), last), axis=1).ravel()
    keep = np.empty(len(index), dtype=bool)
    keep[0] = True
    # A run of one or two points names the same index twice; drawing it twice adds nothing.
    np.not_equal(index[1:], index[:-1], out=keep[1:])
    return index[keep]


def _extremes(runs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Offsets of the first, lowest, highest and last point in each row, skipping NaN.

    argmin and argmax stop at a row's first NaN, so the rows where they did are redone on a copy
    of those rows alone: a curve without NaN is never copied. Skipping NaN at a row's ends too
    keeps a lone NaN from cutting a pixel-wide gap that the full curve would not show.
    """
    low, high = runs.argmin(axis=1), runs.argmax(axis=1)
    first = np.zeros(len(runs), dtype=np.intp)
    last = np.full(len(runs), runs.shape[1] - 1, dtype=np.intp)
    has_nan = np.isnan(runs[np.arange(len(runs)), low])
    if has_nan.any():
        rows = runs[has_nan]
        present = ~np.isnan(rows)
        low[has_nan] = np.where(present, rows, np.inf).argmin(axis=1)
        high[has_nan] = np.where(present, rows, -np.inf).argmax(axis=1)
        first[has_nan] = present.argmax(axis=1)
        last[has_nan] = runs.shape[1] - 1 - present[:, ::-1].argmax(axis=1)
    return first, low, high, last


@dataclass(frozen=True)
class Style:
    """How series become lines: x units, η scale, the pixel columns for the envelope (0 draws
    every point), and whether each row gets a dot.

    x is in steps (``per_epoch`` None), with ``epoch_axis`` steps per epoch shown on a secondary
    axis on top; only curves that each bring their own steps per epoch (``per_curve``) are drawn
    in epochs, the one unit they share. ``unit`` names a row: "epoch" for ReduceLROnPlateau,
    stepped once per epoch by definition.
    """

    per_epoch: int | None
    log: bool
    columns: int
    dots: bool = False
    # Each curve in epochs of its own (schedules stepped per batch beside ones stepped per epoch).
    per_curve: bool = False
    epoch_axis: int | None = None
    unit: str = "step"

    def of(self, curve: Curve) -> Style:
        """The style for one curve: its own steps per epoch when each curve brings one."""
        return replace(self, per_epoch=curve.steps_per_epoch) if self.per_curve else self

    @property
    def marker(self) -> str | None:
        return "o" if self.dots else None

    @property
    def x_label(self) -> str:
        return "epoch" if self.per_curve or self.per_epoch is not None else self.unit

    def x(self, step: float) -> float:
        return step if self.per_epoch is None else step / self.per_epoch

    def points(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """x and y to draw: every point, or the envelope when there are > 2 per pixel column."""
        x_step = 1.0 if self.per_epoch is None else 1.0 / self.per_epoch
        if self.columns and len(y) > 2 * self.columns:
            return envelope(0.0, x_step, y, self.columns)
        return np.arange(len(y)) * x_step, y

    def band(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(x, low, high) of each pixel column's run of points, at both ends of the run, when
        the curve has more than 2 points per column; else None (draw every point).

        A dense curve drawn as a line is thousands of full-height strokes, and Agg's time grows
        with them; filled between its per-column minimum and maximum (each run reaching the next
        run's first point, so neighbours join) it is the same picture at a fixed cost.
        """
        if not self.columns or len(y) <= 2 * self.columns:
            return None
        x_step = 1.0 if self.per_epoch is None else 1.0 / self.per_epoch
        width = max(1, len(y) // self.columns)
        full = len(y) // width
        runs = y[: full * width].reshape(full, width)  # a view: no copy of the curve
        low, high = np.fmin.reduce(runs, axis=1), np.fmax.reduce(runs, axis=1)  # NaN skipped
        starts = np.arange(full) * width
        ends = np.minimum(starts + width, len(y) - 1)
        if full * width < len(y):
            tail = y[full * width :]
            low, high = np.append(low, np.nanmin(tail)), np.append(high, np.nanmax(tail))
            starts, ends = np.append(starts, full * width), np.append(ends, len(y) - 1)
        xs = np.stack((starts, ends), axis=1).ravel() * x_step
        return xs, np.repeat(low, 2), np.repeat(high, 2)


def house_style():
    """matplotlib's defaults plus RC, whatever the user's matplotlibrc says, for one ``with``
    block: an rc_context underneath, so nothing is changed globally."""
    return matplotlib.style.context(RC, after_reset=True)


def figure(
    curves: Sequence[Curve],
    *,
    title: str | None = None,
    log: bool = False,
    steps_per_epoch: int | None = None,
    layout: str = "overlay",
) -> Figure:
    """A Figure of ``curves``: η against step, with epochs on a secondary axis above when
    ``steps_per_epoch`` is given (or every curve has the same one); against epoch for
    ReduceLROnPlateau, whose rows are epochs.

    One curve: its phases shaded and named, guide lines at its notable rates, a momentum panel
    below when it cycles momentum, its metric on a second axis (ReduceLROnPlateau) with a marker
    at every reduction, its cooldowns shaded and its best metric so far. Several curves: one axes
    with a legend (``layout="overlay"``), or one small axes each with shared scales
    (``layout="grid"``, titles wrapped to fit). ``log`` makes every η axis
    logarithmic. Curves longer than about twice the pixel width are drawn from their
    per-pixel-column envelope, so the picture is the same and the time does not grow with length.
    """
    return build(curves, title=title, log=log, steps_per_epoch=steps_per_epoch, layout=layout)


def build(
    curves: Sequence[Curve],
    *,
    title: str | None = None,
    log: bool = False,
    steps_per_epoch: int | None = None,
    layout: str = "overlay",
    decimate: bool = True,
) -> Figure:
    """:func:`figure`, with ``decimate=False`` to draw every point (for comparing pictures)."""
    curves = list(curves)
    if not curves:
        raise ValueError("figure needs at least one curve")
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    per_epoch = steps_per_epoch if steps_per_epoch is not None else shared_steps_per_epoch(curves)
    per_curve = steps_per_epoch is None and per_epoch is None and all(
        c.steps_per_epoch is not None for c in curves
    )
    with house_style():
        fig = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)  # Agg, whatever backend the user has chosen
        columns = round(fig.get_figwidth() * fig.dpi) if decimate else 0
        longest = max(len(c) for c in curves)
        # A plateau's row is an epoch whatever the steps per epoch: it is stepped once per epoch.
        epochs_only = all(c.row_unit == "epoch" for c in curves)
        style = Style(
            None, log, columns, dots=longest <= DOTS_UP_TO, per_curve=per_curve,
            epoch_axis=None if epochs_only or per_epoch == 1 else per_epoch,
            unit="epoch" if epochs_only or per_epoch == 1 else "step",
        )
        if len(curves) == 1:
            _single(fig, curves[0], style)
            title = default_title(curves[0]) if title is None else title
        elif layout == "grid":
            _grid(fig, curves, style)
        else:
            _overlay(fig, curves, style)
        if title:
            fig.suptitle(title)
        # Lay the figure out once, here, then fix it: every later save, in any format, draws
        # the same positions and so writes the same bytes (a layout engine left on would start
        # each draw from the last one's result and may settle a hair elsewhere each time).
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
    return fig


def save(fig: Figure, out: IO[bytes], fmt: str) -> None:
    """Write ``fig`` to the binary stream ``out`` as png, svg or pdf; the same figure always
    gives the same bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"plot format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    with house_style():
        fig.savefig(out, format=fmt, metadata=dict(METADATA[fmt]))


def default_title(curve: Curve) -> str:
    """The curve's label and the class or function it reproduces, e.g. ``cosine (CosineAnnealingLR)``."""
    return f"{curve.label} ({curve.origin.rsplit('.', 1)[-1]})" if curve.origin else curve.label



def _draw_rate(ax: Axes, curve: Curve, style: Style, index: int, label: str | None = None):
    color = COLORS[index % len(COLORS)]
    dashes = DASHES[(index // len(COLORS)) % len(DASHES)]
    plateau = curve.row_unit == "epoch"
    band = None if plateau else style.band(curve.lr)
    if band is not None:
        _draw_band(ax, band, color, label=label, zorder=3, linestyle=dashes)
    else:
        xs, ys = style.points(curve.lr)
        ax.plot(
            xs, ys, label=label, zorder=3, color=color, marker=style.marker, markersize=2.5,
            linestyle=dashes,
            # A plateau rate holds for a whole epoch and drops between two: draw the step it is.
            drawstyle="steps-post" if plateau else "default",
        )
    _mark_events(ax, curve.annotations.events, style, color)


def _draw_band(ax: Axes, band: tuple[np.ndarray, np.ndarray, np.ndarray], color: str, **line) -> None:
    """A dense curve as the area between its per-column extremes, outlined with the line's width
    (the outline gives the stroke's half-width around the band, as the full line would)."""
    xs, low, high = band
    ax.fill_between(xs, low, high, color=color, linewidth=0, zorder=line.get("zorder"))
    ax.plot(np.concatenate((xs, xs[::-1], xs[:1])), np.concatenate((high, low[::-1], high[:1])),
            color=color, **line)


def _rate_axes(ax: Axes, style: Style) -> None:
    if style.log:
        ax.set_yscale("log")
    if style.per_epoch is None:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(_x_tick))


def _epoch_axis(ax: Axes, style: Style) -> None:
    """Epochs on a secondary x axis above ``ax`` (its steps stay the main unit)."""
    if style.epoch_axis is None or style.per_curve:
        return
    per = style.epoch_axis
    top = ax.secondary_xaxis("top", functions=(lambda s: s / per, lambda e: e * per))
    top.xaxis.set_major_locator(MaxNLocator(integer=True))
    top.xaxis.set_major_formatter(FuncFormatter(_x_tick))
    top.set_xlabel(f"epoch ({per:,} steps each)", color=GUIDE_COLOR)
    top.tick_params(axis="x", colors=GUIDE_COLOR)


def _x_tick(x: float, _position: int | None = None) -> str:
    """Steps in plain digits with thousands separators (200,000, not 2.00 x 10^5)."""
    return f"{x:,.0f}" if x == round(x) else f"{x:,g}"


def _single(fig: Figure, curve: Curve, style: Style) -> None:
    """One curve, with everything its annotations and extra series can show."""
    momentum = curve.series.get("momentum")
    if momentum is not None:
        ax, low = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": (3, 1)})
    else:
        ax, low = fig.subplots(), None
    _draw_rate(ax, curve, style, 0, label="learning rate")
    _rate_axes(ax, style)
    _epoch_axis(ax, style)
    ax.set_ylabel("learning rate")
    if _shade_phases(ax, curve.annotations.phases, style, len(curve), names=True):
        ax.set_ymargin(PHASE_HEADROOM)
    metric = curve.series.get("metric")
    twin = None
    if metric is not None:
        _shade_cooldowns(ax, curve, style)
        twin = _metric_axis(ax, curve, metric, style)
    _guides(ax, curve.annotations.guides, style, outside=twin is None)
    if low is not None:
        _momentum_panel(low, curve, momentum, style)
        low.set_xlabel(style.x_label)
    else:
        ax.set_xlabel(style.x_label)
    if twin is not None:
        # Under the axes: over them it would hide a curve on one of the two y scales.
        handles = [*ax.get_legend_handles_labels()[0], *twin.get_legend_handles_labels()[0]]
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    ax.set_xlim(*_x_range([curve], style))


def _overlay(fig: Figure, curves: Sequence[Curve], style: Style) -> None:
    ax = fig.subplots()
    for index, curve in enumerate(curves):
        _draw_rate(ax, curve, style.of(curve), index, label=curve.label)
    _rate_axes(ax, style)
    _epoch_axis(ax, style)
    ax.set_xlabel(style.x_label)
    ax.set_ylabel("learning rate")
    ax.set_xlim(*_x_range(curves, style))
    if len(curves) <= 5:
        ax.legend(loc="best")
    else:  # more entries than fit over the curves: beside them
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)


def _grid(fig: Figure, curves: Sequence[Curve], style: Style) -> None:
    """Small multiples, one per curve, sharing both scales so shapes compare at a glance."""
    columns = math.ceil(math.sqrt(len(curves)))
    rows = math.ceil(len(curves) / columns)
    if rows > 2:
        fig.set_figheight(GRID_ROW_HEIGHT * rows)
    axes = fig.subplots(rows, columns, sharex=True, sharey=True, squeeze=False).ravel()
    # Each axes is that much narrower: fewer pixel columns, fewer rows before dots crowd.
    longest = max(len(c) for c in curves)
    style = replace(style, columns=style.columns // columns,
                    dots=longest * columns <= DOTS_UP_TO)
    title_width = fig.get_figwidth() * POINTS_PER_INCH / columns
    for index, (ax, curve) in enumerate(zip(axes, curves)):
        _draw_rate(ax, curve, style.of(curve), index)
        _shade_phases(ax, curve.annotations.phases, style.of(curve), len(curve), names=False)
        ax.set_title(fit_title(curve.label, title_width, GRID_TITLE_SIZE), fontsize=GRID_TITLE_SIZE)
        _rate_axes(ax, style)
        if index < columns:
            _epoch_axis(ax, style)
    for empty in range(len(curves), len(axes)):
        # The axes above an empty slot is the lowest in its column: it shows the x ticks.
        axes[empty - columns].xaxis.set_tick_params(labelbottom=True)
        axes[empty].remove()
    axes[0].set_xlim(*_x_range(curves, style))
    fig.supxlabel(style.x_label, fontsize=RC["axes.labelsize"])
    fig.supylabel("learning rate", fontsize=RC["axes.labelsize"])


def fit_title(label: str, width: float, size: float, lines: int = TITLE_LINES) -> str:
    """``label`` broken at spaces into lines that fit ``width`` points at font ``size``, at most
    ``lines`` of them (the last cut with "…"): small multiples' titles must not run into their
    neighbours'.

    >>> fit_title("multistep lr=0.1 milestones=30,80", 150, 8)
    'multistep lr=0.1\nmilestones=30,80'
    """
    chars = max(8, int(width / (size * CHAR_WIDTH)))
    wrapped = textwrap.wrap(label, chars, break_on_hyphens=False) or [label]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: chars - 1].rstrip() + "…"
    return "\n".join(wrapped)


def _x_range(curves: Sequence[Curve], style: Style) -> tuple[float, float]:
    """From step 0 to the last row of the longest curve, with a small margin either side."""
    last = max(style.of(c).x(len(c) - 1) for c in curves)
    margin = 0.02 * last if last > 0 else 0.5
    return -margin, last + margin


def _shade_phases(
    ax: Axes, phases: Sequence[Phase], style: Style, rows: int, *, names: bool
) -> bool:
    """A light band per phase, over (start, end] as far as the curve goes, named at the top.
    True when any phase was drawn."""
    drawn = False
    for index, phase in enumerate(phases):
        start, end = max(phase.start, 0.0), min(phase.end, rows - 1)
        if start >= end:
            continue  # the curve stops before this phase begins
        drawn = True
        tint = PHASE_TINTS[index % len(PHASE_TINTS)]
        ax.axvspan(style.x(start), style.x(end), color=tint, alpha=PHASE_ALPHA, lw=0, zorder=0)
        if names:
            ax.text(
                style.x(start), 1.0, f" {phase.name}", transform=ax.get_xaxis_transform(),
                ha="left", va="top", fontsize=7.5, color=GUIDE_COLOR, style="italic",
            )
    return drawn


def _guides(ax: Axes, guides: Mapping[str, float], style: Style, *, outside: bool) -> None:
    """A dashed line at each notable rate; labels beside the axes, or inside it when a second
    y axis takes the right side, pushed apart so that close rates stay legible."""
    drawable = {name: value for name, value in guides.items() if value > 0 or not style.log}
    for value in drawable.values():
        ax.axhline(value, color=GUIDE_COLOR, linestyle=(0, (4, 3)), linewidth=0.8, zorder=1)
    if not drawable:
        return
    spots = _label_spots([_axes_fraction(ax, v, style.log) for v in drawable.values()])
    for (name, value), spot in zip(drawable.items(), spots):
        # Offset in points, not in axes fractions: how far a label sticks out must not depend on
        # the axes' width, or the layout would chase its own tail.
        ax.annotate(
            f"{name} {value:.3g}", (1.0 if outside else 0.0, spot), xycoords="axes fraction",
            xytext=(4, 0 if outside else 1), textcoords="offset points",
            ha="left", va="center" if outside else "bottom", fontsize=7, color=GUIDE_COLOR,
            annotation_clip=False,
            # Inside the axes a label may cross a line: a white ground keeps it legible.
            bbox=None if outside else {"facecolor": "white", "edgecolor": "none", "alpha": 0.8,
                                       "pad": 1.0},
        )


def _axes_fraction(ax: Axes, value: float, log: bool) -> float:
    low, high = ax.get_ylim()
    if log:
        low, high, value = math.log10(low), math.log10(high), math.log10(value)
    return (value - low) / (high - low)


def _label_spots(fractions: Sequence[float], gap: float = LABEL_GAP) -> list[float]:
    """Heights for labels wanted at ``fractions``: the same, except each sits at least ``gap``
    above the one below it.

    >>> [round(s, 2) for s in _label_spots([0.5, 0.0, 0.01], 0.05)]
    [0.5, 0.0, 0.05]
    """
    spots = list(fractions)
    floor = -math.inf
    for i in sorted(range(len(spots)), key=spots.__getitem__):
        spots[i] = max(spots[i], floor)
        floor = spots[i] + gap
    return spots


def _mark_events(ax: Axes, events: Sequence[Event], style: Style, color: str) -> None:
    """A triangle where each reduction lands: at its step, on the new rate."""
    if not events:
        return
    ax.plot(
        [style.x(e.step) for e in events], [e.new for e in events], linestyle="none",
        marker="v", markersize=6, color=color, markeredgecolor="white", markeredgewidth=0.6,
        zorder=4, label="reduction",
    )


def cooldowns(curve: Curve) -> list[tuple[int, int]]:
    """The epochs [first, last] after each reduction whose metrics ReduceLROnPlateau ignores
    (its ``cooldown``): a cut lands at row s, and the metrics of epochs s..s+cooldown-1 reset
    the count of bad epochs instead of adding to it. Cut off at the last row."""
    cooldown = curve.params.get("cooldown") or 0
    last = len(curve) - 1
    return [
        (e.step, min(e.step + cooldown - 1, last))
        for e in curve.annotations.events
        if cooldown > 0 and e.step <= last
    ]


def _shade_cooldowns(ax: Axes, curve: Curve, style: Style) -> None:
    """A tinted band over each cooldown: each of its epochs holds the rate drawn from it to the
    next, so the band spans them whole, [first, last + 1], as far as the curve goes."""
    label = "cooldown (bad epochs not counted)"
    for first, last in cooldowns(curve):
        end = min(last + 1, len(curve) - 1)
        if end <= first:
            continue  # a cooldown from the last row on: the curve stops where it starts
        ax.axvspan(style.x(first), style.x(end), facecolor=COOLDOWN_COLOR, alpha=COOLDOWN_ALPHA,
                   edgecolor="none", lw=0, zorder=0, label=label)
        label = None  # one legend entry for them all


def _metric_axis(ax: Axes, curve: Curve, metric: np.ndarray, style: Style) -> Axes:
    """The metric on a second y axis, muted, with its best value so far (torch's ``best``)."""
    twin = ax.twinx()
    # The rate's axes is drawn over the twin (see below), so its vertical grid lines would
    # stripe the metric; the twin carries them instead (same x), under the metric line.
    ax.grid(False, axis="x")
    twin.xaxis.set_visible(True)  # twinx hides it, grid lines included
    twin.tick_params(axis="x", which="both", bottom=False, labelbottom=False)
    twin.grid(True, axis="x")
    twin.grid(False, axis="y")
    twin.spines["right"].set_visible(True)
    xs, ys = style.points(metric)
    twin.plot(xs, ys, color=METRIC_COLOR, linewidth=1.0, label="metric", zorder=2,
              marker=style.marker, markersize=2)
    mode = curve.params.get("mode")
    if mode in ("min", "max"):
        # fmin/fmax skip NaN, as torch never counts a NaN metric as an improvement.
        best = (np.fmin if mode == "min" else np.fmax).accumulate(metric)
        xs, ys = style.points(best)
        twin.plot(xs, ys, color=METRIC_COLOR, linewidth=0.8, alpha=0.55, linestyle=":",
                  drawstyle="steps-post", label="best metric so far")
    twin.set_ylabel("metric", color=METRIC_COLOR)
    twin.tick_params(axis="y", colors=METRIC_COLOR)
    # The rate is what the plot is about: keep its axes (and line) in front of the metric's.
    ax.set_zorder(twin.get_zorder() + 1)
    ax.patch.set_visible(False)
    return twin


def _momentum_panel(ax: Axes, curve: Curve, momentum: np.ndarray, style: Style) -> None:
    band = style.band(momentum)
    if band is not None:
        _draw_band(ax, band, MOMENTUM_COLOR, linewidth=1.3)
    else:
        xs, ys = style.points(momentum)
        ax.plot(xs, ys, color=MOMENTUM_COLOR, linewidth=1.3, marker=style.marker, markersize=2)
    ax.set_ylabel("momentum")
    ax.margins(y=0.15)
    _shade_phases(ax, curve.annotations.phases, style, len(curve), names=False)
