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
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import Formatter, LogFormatter, MaxNLocator

from lrplot.engine import Curve
from lrplot.registry import Event, Phase
from lrplot.render import own_epochs, rows_per_epoch, shared_steps_per_epoch
from lrplot.render.labels import display_label, metric_name
from lrplot.render.labels import title as curve_title
from lrplot.render.ticks import count_label, log_floor_note, rate_labels, rate_text, step_labels

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
PHASE_NAME_SIZE = 7.5
PHASE_NAME_ROWS = 3  # phase names too close for one row take a second (and a third) below it
PHASE_NAME_GID = "phase-name"
# Pixels between a phase name and its band's edge, and between two names on a row.
NAME_PAD, NAME_GAP = 3.0, 6.0
# Round steps between x ticks: 1, 2, 2.5 or 5 times a power of ten.
TICK_STEPS = (1, 2, 2.5, 5, 10)
# About one x tick per this many inches of figure: 0, 5, 10, 15, 20 for 21 rows and 0, 250k, 500k,
# 750k, 1M for a million on the 8-inch figure.
INCHES_PER_TICK = 1.6

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
    # Rates are labelled by RateLabels (1e-3, 5e-4); other numbers (momentum, metric) keep
    # matplotlib's plain labels, never an offset multiplier the reader must apply.
    "axes.formatter.useoffset": False,
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
        """The style for one curve: its own rows per epoch when the curves count epochs at
        different rates."""
        return replace(self, per_epoch=rows_per_epoch(curve)) if self.per_curve else self

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
        logged = ~np.isnan(low)  # columns with no logged row (a sparse training log) are left out
        if not logged.all():
            starts, ends, low, high = starts[logged], ends[logged], low[logged], high[logged]
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
    # Curves that count epochs at different rates share only epochs: each is drawn in its own.
    per_curve = own_epochs(curves) is not None
    per_epoch = None if per_curve else (
        steps_per_epoch if steps_per_epoch is not None else shared_steps_per_epoch(curves)
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
        names: list[PhaseName] = []
        if len(curves) == 1:
            names = _single(fig, curves[0], style)
            title = default_title(curves[0]) if title is None else title
        elif layout == "grid":
            _grid(fig, curves, style)
        else:
            _overlay(fig, curves, style)
        if title:
            width = fig.get_figwidth() * POINTS_PER_INCH
            fig.suptitle(fit_title(title, width, float(RC["figure.titlesize"])))
        # Lay the figure out once, here, then fix it: every later save, in any format, draws
        # the same positions and so writes the same bytes (a layout engine left on would start
        # each draw from the last one's result and may settle a hair elsewhere each time).
        fig.draw_without_rendering()
        if names and not place_phase_names(fig, names):
            # The names took a second row: the curve moved down to make room, lay out again.
            fig.draw_without_rendering()
            place_phase_names(fig, names, make_room=False)
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
    """What was drawn and the class or function it reproduces, e.g.
    ``cosine t_max=295 + warm-up 5 (CosineAnnealingLR)`` (see lrplot.render.labels.title)."""
    return curve_title(curve)



def _draw_rate(ax: Axes, curve: Curve, style: Style, index: int, label: str | None = None):
    color = COLORS[index % len(COLORS)]
    dashes = DASHES[(index // len(COLORS)) % len(DASHES)]
    plateau = curve.row_unit == "epoch"
    band = None if plateau else style.band(curve.lr)
    if band is not None:
        _draw_band(ax, _log_band(band) if style.log else band, color, label=label, zorder=3,
                   linestyle=dashes)
    else:
        xs, ys = style.points(curve.lr)
        logged = ~np.isnan(ys)
        if not logged.all():  # a training log's rows between logged steps: join the logged ones
            xs, ys = xs[logged], ys[logged]
        if style.log:  # a rate of 0 has no place on a log axis: a gap (the legend says why)
            ys = np.where(ys > 0, ys, np.nan)
        ax.plot(
            xs, ys, label=label, zorder=3, color=color, marker=style.marker, markersize=2.5,
            linestyle=dashes,
            # A plateau rate holds for a whole epoch and drops between two: draw the step it is.
            drawstyle="steps-post" if plateau else "default",
        )
    _mark_events(ax, curve.annotations.events, style, color)


# Far below any log axis's floor: a column whose rates reach 0 is drawn down through the floor.
BELOW_ANY_FLOOR = 1e-300


def _log_band(band: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A band for a log axis: a column that reaches 0 runs down through the axis' floor, one with
    no positive rate is a gap."""
    xs, low, high = band
    empty = ~(high > 0)
    return xs, np.where(empty, np.nan, np.where(low > 0, low, BELOW_ANY_FLOOR)), np.where(empty, np.nan, high)


def _draw_band(ax: Axes, band: tuple[np.ndarray, np.ndarray, np.ndarray], color: str, **line) -> None:
    """A dense curve as the area between its per-column extremes, outlined with the line's width
    (the outline gives the stroke's half-width around the band, as the full line would)."""
    xs, low, high = band
    ax.fill_between(xs, low, high, color=color, linewidth=0, zorder=line.get("zorder"))
    ax.plot(np.concatenate((xs, xs[::-1], xs[:1])), np.concatenate((high, low[::-1], high[:1])),
            color=color, **line)


class RowTicks(MaxNLocator):
    """Round x ticks (1, 2, 2.5 or 5 times a power of ten) from 0 to the last row, and the last
    row itself: 0, 5, 10, 15, 20 for 21 rows; 0, 200, ..., 800, 999 for 1000. A round tick closer
    to the last row than half a spacing gives way to it, so their labels never run together. With
    ``last`` None (epochs of curves that count them differently), round ticks only."""

    def __init__(self, last: float | None, nbins: int, integer: bool) -> None:
        super().__init__(nbins=nbins, steps=list(TICK_STEPS), integer=integer, min_n_ticks=2)
        self.last = last

    def tick_values(self, vmin: float, vmax: float) -> np.ndarray:
        ticks = super().tick_values(vmin, vmax)
        if self.last is None:
            return ticks
        last = self.last
        spacing = ticks[1] - ticks[0] if len(ticks) > 1 else max(last, 1.0)
        kept = [t for t in ticks if 0 <= t < last and last - t >= spacing / 2]
        return np.array([*kept, last])


class RowLabels(Formatter):
    """Step (or epoch) tick labels: round ones in one style for the axis (5, 2,500, 250k, 1.5M),
    the last row exactly (999, 1,048,575) unless it is itself a round tick."""

    def __init__(self, last: float | None) -> None:
        self.last = last
        self.ticks: list[float] = []

    def set_locs(self, locs) -> None:
        self.ticks = list(locs)

    def __call__(self, x: float, pos: int | None = None) -> str:
        rounds = [v for v in self.ticks if v != self.last]
        spacing = rounds[1] - rounds[0] if len(rounds) > 1 else 0
        if x == self.last and not (spacing and x % spacing == 0):
            return count_label(x)
        return step_labels([*rounds, x])[-1]


class RateLabels(Formatter):
    """Rates on the ticks themselves, in one style for the axis (0.05, 0.1 or 5e-4, 1e-3; see
    lrplot.render.ticks.rate_labels), instead of a x10^-3 multiplier above the axis."""

    def __init__(self) -> None:
        self.labels: dict[float, str] = {}

    def set_locs(self, locs) -> None:
        self.labels = dict(zip(locs, rate_labels(list(locs))))

    def __call__(self, x: float, pos: int | None = None) -> str:
        return self.labels.get(x) or rate_labels([x])[0]


class LogRateLabels(LogFormatter):
    """Labels for a log rate axis: the ticks matplotlib's LogFormatter would label (decades, and
    the 2s and 5s when the axis spans little), written as rates (1e-4, 5e-4, 1e-3)."""

    def format_ticks(self, values) -> list[str]:
        self.set_locs(values)
        shown = [bool(LogFormatter.__call__(self, v, i)) for i, v in enumerate(values)]
        texts = iter(rate_labels([v for v, on in zip(values, shown) if on]))
        return [next(texts) if on else "" for on in shown]

    def __call__(self, x: float, pos: int | None = None) -> str:
        return rate_labels([x])[0] if LogFormatter.__call__(self, x, pos) else ""


def _rate_axes(ax: Axes, style: Style, curves: Sequence[Curve], inches: float) -> None:
    """The rate's y axis (rates on the ticks; a log scale with ``style.log``) and the x ticks."""
    if style.log:
        # A rate of 0 has no place on a log axis: it is left out (a gap), and a note says so.
        ax.set_yscale("log", nonpositive="mask")
        ax.yaxis.set_major_formatter(LogRateLabels(labelOnlyBase=False))
        ax.yaxis.set_minor_formatter(LogRateLabels(labelOnlyBase=False))
    else:
        ax.yaxis.set_major_formatter(RateLabels())
    # Rows are steps (or a plateau's epochs): whole numbers, and the last one marked.
    rows = not style.per_curve
    last = max(style.of(c).x(len(c) - 1) for c in curves) if rows else None
    ax.xaxis.set_major_locator(RowTicks(last, _tick_bins(inches), integer=rows))
    ax.xaxis.set_major_formatter(RowLabels(last))


def _tick_bins(inches: float) -> int:
    return max(3, round(inches / INCHES_PER_TICK))


def _log_floor(ax: Axes, curves: Sequence[Curve], headroom: float) -> str | None:
    """On a log axis, a curve that reaches 0 (or below) would pull the axis towards 1e-300: the
    axis starts at the smallest positive rate instead, and the note returned says so (None when
    every rate is positive)."""
    finite = [c.lr[np.isfinite(c.lr)] for c in curves]
    if not any(np.any(lr <= 0) for lr in finite):
        return None
    positive = [lr[lr > 0] for lr in finite]
    positive = [p for p in positive if p.size]
    if not positive:
        return "no positive rate to draw on a log axis"
    low = min(float(p.min()) for p in positive)
    high = max(float(p.max()) for p in positive)
    decades = max(math.log10(high / low), 0.3)
    ax.set_ylim(low / 10 ** (0.05 * decades), high * 10 ** (headroom * decades))
    rows = sum(int(np.count_nonzero(lr <= 0)) for lr in finite)
    return log_floor_note(rows, any(np.any(lr < 0) for lr in finite), low)


def _note_handle(note: str) -> Line2D:
    """A legend entry that is only text."""
    return Line2D([], [], linestyle="none", marker="none", label=note)


def _epoch_axis(ax: Axes, style: Style, inches: float) -> None:
    """Epochs on a secondary x axis above ``ax`` (its steps stay the main unit)."""
    if style.epoch_axis is None or style.per_curve:
        return
    per = style.epoch_axis
    top = ax.secondary_xaxis("top", functions=(lambda s: s / per, lambda e: e * per))
    top.xaxis.set_major_locator(RowTicks(None, _tick_bins(inches), integer=True))
    top.xaxis.set_major_formatter(RowLabels(None))
    top.set_xlabel(f"epoch ({per:,} steps each)", color=GUIDE_COLOR)
    top.tick_params(axis="x", colors=GUIDE_COLOR)


@dataclass
class PhaseName:
    """A phase's name on the plot, and the band [start, end] (in x) it names."""

    text: Text
    name: str
    start: float
    end: float


def _single(fig: Figure, curve: Curve, style: Style) -> list[PhaseName]:
    """One curve, with everything its annotations and extra series can show; returns the phase
    names, to be placed once the figure is laid out."""
    momentum = curve.series.get("momentum")
    if momentum is not None:
        ax, low = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": (3, 1)})
    else:
        ax, low = fig.subplots(), None
    inches = fig.get_figwidth()
    _draw_rate(ax, curve, style, 0, label="learning rate")
    _rate_axes(ax, style, [curve], inches)
    _epoch_axis(ax, style, inches)
    ax.set_ylabel("learning rate")
    names = _shade_phases(ax, curve.annotations.phases, style, len(curve), names=True)
    if names:
        ax.set_ymargin(PHASE_HEADROOM)
    note = _log_floor(ax, [curve], PHASE_HEADROOM if names else 0.05) if style.log else None
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
    extra = [_note_handle(note)] if note else []
    if twin is not None:
        # Under the axes: over them it would hide a curve on one of the two y scales.
        handles = [*ax.get_legend_handles_labels()[0], *twin.get_legend_handles_labels()[0]]
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
        if extra:
            fig.legend(handles=extra, loc="outside upper center", handlelength=0, handletextpad=0)
    elif extra:
        ax.legend(handles=extra, loc="best", handlelength=0, handletextpad=0)
    ax.set_xlim(*_x_range([curve], style))
    return names


def _overlay(fig: Figure, curves: Sequence[Curve], style: Style) -> None:
    ax = fig.subplots()
    for index, curve in enumerate(curves):
        _draw_rate(ax, curve, style.of(curve), index, label=display_label(curve))
    inches = fig.get_figwidth()
    _rate_axes(ax, style, curves, inches)
    _epoch_axis(ax, style, inches)
    ax.set_xlabel(style.x_label)
    ax.set_ylabel("learning rate")
    ax.set_xlim(*_x_range(curves, style))
    note = _log_floor(ax, curves, 0.05) if style.log else None
    handles = ax.get_legend_handles_labels()[0] + ([_note_handle(note)] if note else [])
    if len(curves) <= 5:
        ax.legend(handles=handles, loc="best")
    else:  # more entries than fit over the curves: beside them
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)


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
    inches = fig.get_figwidth() / columns
    for index, (ax, curve) in enumerate(zip(axes, curves)):
        _draw_rate(ax, curve, style.of(curve), index)
        _shade_phases(ax, curve.annotations.phases, style.of(curve), len(curve), names=False)
        label = fit_title(display_label(curve), title_width, GRID_TITLE_SIZE)
        ax.set_title(label, fontsize=GRID_TITLE_SIZE)
        _rate_axes(ax, style, curves, inches)
        if index < columns:
            _epoch_axis(ax, style, inches)
    note = _log_floor(axes[0], curves, 0.05) if style.log else None  # the y scale is shared
    if note:
        fig.legend(handles=[_note_handle(note)], loc="outside lower center", handlelength=0,
                   handletextpad=0)
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
) -> list[PhaseName]:
    """A light band per phase, over (start, end] as far as the curve goes, named at the top
    (with ``names``; :func:`place_phase_names` puts the names where they do not collide).
    Returns the names."""
    drawn: list[PhaseName] = []
    for index, phase in enumerate(phases):
        start, end = max(phase.start, 0.0), min(phase.end, rows - 1)
        if start >= end:
            continue  # the curve stops before this phase begins
        tint = PHASE_TINTS[index % len(PHASE_TINTS)]
        ax.axvspan(style.x(start), style.x(end), color=tint, alpha=PHASE_ALPHA, lw=0, zorder=0)
        if names:
            text = ax.text(
                style.x(start), 1.0, phase.name, transform=ax.get_xaxis_transform(),
                ha="left", va="top", fontsize=PHASE_NAME_SIZE, color=GUIDE_COLOR, style="italic",
                gid=PHASE_NAME_GID,
            )
            drawn.append(PhaseName(text, phase.name, style.x(start), style.x(end)))
    return drawn


def place_phase_names(fig: Figure, names: Sequence[PhaseName], make_room: bool = True) -> bool:
    """Put each phase name where it collides with no other, on a laid-out figure.

    In order of preference: inside its band on the first row, inside it on a row below,
    starting inside it and running on over the next band (first row, then below), ending at its
    end and running back over the band before (a narrow last band), then the same abbreviated
    ("cool-d…", "c…"); a name with no room even for that is hidden. False when the
    second row is used and the curve must move down to make room for it (the caller lays the
    figure out again and calls this once more, without ``make_room``).
    """
    if not names:
        return True
    ax = names[0].text.axes
    renderer = fig.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    to_px = ax.transData.transform
    from_px = ax.transData.inverted().transform
    taken: list[list[tuple[float, float]]] = [[] for _ in range(PHASE_NAME_ROWS)]
    height = 0.0
    used_rows = 0
    for item in names:
        item.text.set_text(item.name)
        item.text.set_visible(True)
        height = max(height, item.text.get_window_extent(renderer).height)
    for item in names:
        start = max(to_px((item.start, 0))[0], box.x0)
        end = min(to_px((item.end, 0))[0], box.x1)
        spot = None
        for text in (item.name, *_abbreviations(item.name)):
            item.text.set_text(text)
            width = item.text.get_window_extent(renderer).width
            spot = _free_spot(taken, start, end, (box.x0, box.x1), width)
            if spot is not None:
                break
        if spot is None:
            item.text.set_visible(False)
            continue
        row, x = spot
        taken[row].append((x, x + width))
        used_rows = max(used_rows, row + 1)
        top = box.y1 - NAME_PAD - row * (height + 1)
        item.text.set_position((from_px((x, 0))[0], (top - box.y0) / box.height))
    if not make_room:
        return True
    return _make_headroom(ax, box, box.y1 - NAME_PAD - used_rows * (height + 1) - NAME_PAD)


def _free_spot(
    taken: Sequence[list[tuple[float, float]]], start: float, end: float, edges: tuple[float, float],
    width: float,
) -> tuple[int, float] | None:
    """(row, x) of a place for a name ``width`` pixels wide naming the band [start, end], between
    the axes' ``edges``: the leftmost inside the band on any row; else the leftmost starting in
    the band and running on to the right; else one ending at the band's end and running back to
    the left (a narrow band at the right edge); None when there is none."""
    left, right = edges[0] + NAME_PAD, edges[1] - NAME_PAD
    # A band narrower than the padding still holds the start of its name.
    first = start + min(NAME_PAD, max(0.0, (end - start) / 2))
    for mode in ("inside", "right"):
        for row, spans in enumerate(taken):
            x = _leftmost(spans, max(first, left), width)
            if mode == "inside" and x + width <= end - NAME_PAD and x + width <= right:
                return row, x
            if mode == "right" and x + width <= right and x <= max(first, end - NAME_PAD):
                return row, x
    for row, spans in enumerate(taken):
        x = min(end - min(NAME_PAD, max(0.0, (end - start) / 2)), right) - width
        if x >= left and x + width > start and _free(spans, x, width):
            return row, x
    return None


def _leftmost(spans: Sequence[tuple[float, float]], x: float, width: float) -> float:
    """The leftmost x from ``x`` on where ``width`` pixels miss every span by NAME_GAP."""
    for a, b in sorted(spans):
        if x + width + NAME_GAP <= a:
            break
        if x < b + NAME_GAP:
            x = b + NAME_GAP
    return x


def _free(spans: Sequence[tuple[float, float]], x: float, width: float) -> bool:
    return all(x + width + NAME_GAP <= a or x >= b + NAME_GAP for a, b in spans)


def _abbreviations(name: str) -> list[str]:
    """Shorter and shorter forms of a name, each ending in "…": "cool-do…", ..., "c…"."""
    return [name[:k].rstrip() + "…" for k in range(len(name) - 1, 0, -1)]


def _make_headroom(ax: Axes, box, bottom: float) -> bool:
    """Whether the curve stays below ``bottom`` (pixels) on ``ax``; if not, the y axis is raised
    so that it does, and False is returned."""
    low, high = ax.get_ylim()
    data_top = ax.dataLim.y1
    if not math.isfinite(data_top):
        return True
    if ax.transData.transform((0, data_top))[1] <= bottom - 1:
        return True
    fraction = (bottom - 1 - box.y0) / box.height
    if fraction <= 0.2:
        return True  # no room worth making: the axes is too short for the names anyway
    if ax.get_yscale() == "log":
        low_l, top_l = math.log10(low), math.log10(data_top)
        ax.set_ylim(low, 10 ** (low_l + (top_l - low_l) / fraction))
    else:
        ax.set_ylim(low, low + (data_top - low) / fraction)
    return False


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
        # the axes' width, or the layout would chase its own tail. Its height is held in data
        # units, so that it stays beside its line if the y axis is raised for the phase names.
        ax.annotate(
            f"{name} {rate_text(value)}", (1.0 if outside else 0.0, _data_y(ax, spot, style.log)),
            xycoords=("axes fraction", "data"),
            xytext=(4, 0 if outside else 1), textcoords="offset points",
            ha="left", va="center" if outside else "bottom", fontsize=7, color=GUIDE_COLOR,
            annotation_clip=False,
            # Inside the axes a label may cross a line: a white ground keeps it legible.
            bbox=None if outside else {"facecolor": "white", "edgecolor": "none", "alpha": 0.8,
                                       "pad": 1.0},
        )


def _data_y(ax: Axes, fraction: float, log: bool) -> float:
    """The y value at ``fraction`` of the axes' height."""
    low, high = ax.get_ylim()
    if log:
        return 10 ** (math.log10(low) + fraction * (math.log10(high) - math.log10(low)))
    return low + fraction * (high - low)


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
    # The metric's own name where the file gave one (its column, e.g. val_loss).
    name = metric_name(curve) or "metric"
    xs, ys = style.points(metric)
    twin.plot(xs, ys, color=METRIC_COLOR, linewidth=1.0, label=name, zorder=2,
              marker=style.marker, markersize=2)
    mode = curve.params.get("mode")
    if mode in ("min", "max"):
        # fmin/fmax skip NaN, as torch never counts a NaN metric as an improvement.
        best = (np.fmin if mode == "min" else np.fmax).accumulate(metric)
        xs, ys = style.points(best)
        twin.plot(xs, ys, color=METRIC_COLOR, linewidth=0.8, alpha=0.55, linestyle=":",
                  drawstyle="steps-post", label=f"best {name} so far")
    twin.set_ylabel(name, color=METRIC_COLOR)
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
