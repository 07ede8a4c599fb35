"""The terminal chart: curves drawn in braille dots, with axes, ticks, phases and a legend, sized to fit."""

from __future__ import annotations

import math
import shutil
import unicodedata
from collections.abc import Sequence
from itertools import groupby

import numpy as np

from lrplot.engine import Curve
from lrplot.registry import Phase
from lrplot.render import own_epochs, shared_steps_per_epoch
from lrplot.render.labels import display_label
from lrplot.render.ticks import (
    count_label,
    decimal,
    log_floor_note,
    nice_steps,
    rate_labels,
    rounded_label,
    step_labels,
)

# ANSI 16-colour foregrounds in the plot's order (tab10: blue, orange, green, red, purple, cyan):
# the nearest hues every terminal theme defines, legible on dark and light backgrounds alike.
COLORS = (34, 33, 32, 31, 35, 36)
DIM = 2
BOLD = 1
# The height a chart takes when the caller does not say: a screenful on a 24-line terminal.
DEFAULT_HEIGHT = 20
# Below this many rows a curve is hard to read: titles, names and labels give way first.
MIN_PLOT_ROWS = 3
# Fewer columns than this and the y labels give way to the curve.
MIN_PLOT_CELLS = 8
# Raised dots of a braille cell as bits, [row from the top][column]: the character is U+2800 + sum.
_DOTS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]])
_GUIDE = "┊"


def terminal_size(default: tuple[int, int] = (80, 24)) -> tuple[int, int]:
    """(columns, lines) of the terminal, or ``default`` when output is not a terminal."""
    size = shutil.get_terminal_size(fallback=default)
    return size.columns, size.lines


def default_height(lines: int) -> int:
    """A chart height for a terminal ``lines`` tall: at most DEFAULT_HEIGHT, leaving room for the
    command line above it and the prompt below, but never so short that the curve is unreadable."""
    return max(MIN_PLOT_ROWS + 5, min(DEFAULT_HEIGHT, lines - 4))


def render_chart(
    curves: Sequence[Curve],
    *,
    width: int,
    height: int,
    log: bool = False,
    steps_per_epoch: int | None = None,
    color: bool = True,
    title: str | None = None,
) -> str:
    """The curves as text, ``height`` lines of at most ``width`` columns, each ending in "\\n".

    Each curve is drawn in braille dots (2×4 per character): every dot column shows the whole
    range of values the curve takes in it, joined to its neighbours, so a steep drop is a vertical
    stroke. Several curves each get an ANSI colour (none at all without ``color``: the text is
    then the same minus the escapes); where they share a character its dots are merged and the
    later curve colours it. One curve's phase boundaries are dotted lines, named above the plot
    and marked ``┴`` on the x axis. ``log`` draws η on a log scale, leaving out values ≤ 0; NaN
    leaves a gap. The x axis counts steps, or epochs with ``steps_per_epoch`` (or when every
    curve has the same one). When the height is short, the phase names, title, x labels, legend
    and x axis give way, in that order; when the width is, the y labels.
    """
    curves = list(curves)
    if not curves:
        raise ValueError("a chart needs at least one curve")
    if width < 1 or height < 1:
        raise ValueError(f"a chart needs at least 1 column and 1 line, not {width}x{height}")
    per_epoch = steps_per_epoch if steps_per_epoch is not None else shared_steps_per_epoch(curves)
    # A plateau curve has one row per epoch (it is stepped with each epoch's metric).
    per_row_epoch = all(c.row_unit == "epoch" for c in curves)
    unit = "step" if per_epoch is None and not per_row_epoch else "epoch"
    length = max(len(c) for c in curves)
    strides = [1] * len(curves)
    lengths = own_epochs(curves)
    if lengths is not None:
        # Curves that count epochs at different rates are lined up by epoch, as the plot draws
        # them: on a clock of lcm(rows per epoch) ticks an epoch, a row of a curve with k rows per
        # epoch is lcm/k ticks long.
        per_epoch = math.lcm(*lengths)
        strides = [per_epoch // k for k in lengths]
        length = max((len(c) - 1) * s for c, s in zip(curves, strides)) + 1
        unit = "epoch"
    paint = _painter(color)
    phases = curves[0].annotations.phases if len(curves) == 1 else ()
    legend = _legend([display_label(c) for c in curves], width, paint) if len(curves) > 1 else []
    note = log_note(curves) if log else None
    parts = _fit_parts(height, {
        "phases": int(bool(_inner_boundaries(phases, length))),
        "note": int(bool(note)),
        "title": int(bool(title)),
        "x labels": 1,
        "legend": len(legend),
        "x axis": 1,
    })
    rows = max(1, height - sum(parts.values()))

    bottom, top, ticks, empty = _y_axis(curves, log, rows)
    labels = _tick_rows(ticks, bottom, top, rows)
    # The y labels, a space and the axis; the unit of x sits under the labels.
    gutter = max([len(label) for label in labels.values()] + [len(unit) * parts["x labels"]]) + 1
    if width - gutter - 1 < MIN_PLOT_CELLS:
        gutter = -1  # no labels and no axis: the whole width is plot
    cells = width - gutter - 1
    boundaries = _boundary_cells(phases, length, cells)
    x_ticks = _x_ticks(length, per_epoch, cells)

    lines: list[str] = []
    if parts["title"]:
        lines.append(paint(_centred(title, gutter + 1, cells, width), BOLD))
    if parts["phases"]:
        lines.append(paint(" " * (gutter + 1) + _phase_names(phases, length, cells), DIM))
    plot = _plot_rows(curves, length, bottom, top, rows, cells, log, boundaries, paint, strides)
    if empty:
        plot[rows // 2] = paint(_centred(_empty_note(log), 0, cells, cells), DIM)
    for row, text in enumerate(plot):
        if gutter >= 0:
            label = labels.get(row, "")
            text = f"{label:>{gutter - 1}} {'┤' if label else '│'}{text}"
        lines.append(text)
    if parts["x axis"]:
        corner = "" if gutter < 0 else " " * gutter + "└"
        lines.append(corner + _x_axis(cells, [cell for cell, _ in x_ticks], boundaries))
    if parts["x labels"]:
        text = _place_labels(x_ticks, cells)
        lines.append(text if gutter < 0 else f"{unit:>{gutter - 1}}  {text}")
    if parts["legend"]:
        lines.extend(legend)
    if parts["note"]:
        lines.append(paint(_fit(note, width), DIM))
    return "".join(line.rstrip() + "\n" for line in lines)


def log_note(curves: Sequence[Curve]) -> str | None:
    """What a log axis leaves out: the rows whose rate is 0 (or below), and where the axis starts
    instead (the smallest positive rate); None when every rate is positive or none is."""
    zeros = sum(int(np.count_nonzero(c.lr <= 0)) for c in curves)
    positive = [float(np.min(c.lr, where=c.lr > 0, initial=np.inf)) for c in curves]
    low = min(positive)
    if not zeros or not math.isfinite(low):
        return None
    negative = any(np.any(c.lr < 0) for c in curves)
    return log_floor_note(zeros, negative, low)


def _fit_parts(height: int, parts: dict[str, int]) -> dict[str, int]:
    """Lines for each part besides the plot: parts give way, in order, until the plot has
    MIN_PLOT_ROWS (or nothing is left to give way)."""
    parts = dict(parts)
    for part in parts:
        if height - sum(parts.values()) >= MIN_PLOT_ROWS:
            break
        parts[part] = 0
    return parts


# --- reducing a curve to what its dot columns show --------------------------------------------------


def column_starts(n: int, length: int, columns: int, stride: int = 1) -> np.ndarray:
    """The first of the ``n`` points in each of ``columns`` dot columns, then ``n``.

    Point i of a chart ``length`` points wide lies at x = i·stride·(columns − 1)/(length − 1) and
    belongs to the column nearest to it (a tie goes right); ``stride`` > 1 when a point stands for
    several of the chart's points (a curve with fewer steps per epoch than another, on an epoch
    axis). Exact integer arithmetic: the same point always lands in the same column, however long
    the curve.

    >>> column_starts(5, 5, 3).tolist(), column_starts(3, 5, 3, stride=2).tolist()
    ([0, 1, 3, 5], [0, 1, 2, 3])
    """
    c = np.arange(columns + 1, dtype=np.int64)
    if length <= 1:
        starts = np.where(c == 0, 0, n)
    else:
        # The smallest i with 2i·stride(columns−1) + (length−1) >= 2c(length−1): round half up,
        # solved for i.
        starts = np.clip(-((-(2 * c - 1) * (length - 1)) // (2 * stride * (columns - 1))), 0, n)
    starts[-1] = n
    return starts


def column_spans(
    y: np.ndarray, length: int, columns: int, *, log: bool = False, steps: bool = False, stride: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) per dot column: the range of the line through the points of ``y`` over the
    column's width, on the axis scale (log10 η when ``log``); NaN where the column shows nothing.

    The line is straight between consecutive points, or held until the next one and then
    vertical with ``steps`` (a plateau's rate holds for an epoch and drops between two). It is
    read from each column's first, lowest, highest and last point alone, the extremes found with
    one ``reduceat`` each: past those two passes over the curve, the work grows with the columns,
    not with its length. A NaN point joins no neighbour, so NaN leaves a gap; with ``log``, so
    does η ≤ 0.
    """
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    low = np.full(columns, np.nan)
    high = np.full(columns, np.nan)
    if n == 0:
        return low, high
    starts = column_starts(n, length, columns, stride)
    cols = np.flatnonzero(np.diff(starts))
    firsts, lasts = starts[cols], starts[cols + 1] - 1
    least, most = np.fmin.reduceat(y, firsts), np.fmax.reduceat(y, firsts)
    if log:
        # A column reaching 0 or below shows its lowest positive value: found again in it alone.
        for i in np.flatnonzero(least <= 0).tolist():
            part = y[firsts[i] : lasts[i] + 1]
            least[i] = np.min(part, where=part > 0, initial=np.inf)
    first, last, least, most = (_scale(v, log) for v in (y[firsts], y[lasts], least, most))
    low[cols], high[cols] = least, most

    # Where the line crosses each boundary between two columns, from the last point left of it
    # to the first point right of it (possibly several empty columns away).
    edge = np.arange(1, columns)
    k = np.searchsorted(cols, edge) - 1
    joined = (k >= 0) & (k + 1 < len(cols))
    k = np.clip(k, 0, max(0, len(cols) - 2))
    nxt = np.minimum(k + 1, len(cols) - 1)
    u, v = last[k], first[nxt]
    if steps:
        cross = np.where(np.isnan(v), np.nan, u)
    else:
        scale = stride * (columns - 1) / (length - 1) if length > 1 else 0.0
        x_u, x_v = lasts[k] * scale, firsts[nxt] * scale
        with np.errstate(invalid="ignore", divide="ignore"):
            cross = u + (v - u) * ((edge - 0.5) - x_u) / (x_v - x_u)
    cross = np.where(joined, cross, np.nan)
    left = np.concatenate(([np.nan], cross))
    right = np.concatenate((cross, [np.nan]))
    low = np.fmin(np.fmin(low, left), right)
    high = np.fmax(np.fmax(high, left), right)
    return low, high


def _scale(values: np.ndarray, log: bool) -> np.ndarray:
    """Values on the axis scale; infinite ones (and ≤ 0 ones on a log scale) become NaN."""
    if log:
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.log10(np.where(values > 0, values, np.nan))
    return np.where(np.isfinite(values), values, np.nan)


def _plot_rows(
    curves: Sequence[Curve], length: int, bottom: float, top: float, rows: int, cells: int, log: bool,
    boundaries: set[int], paint, strides: Sequence[int],
) -> list[str]:
    """The plot area, ``rows`` lines of ``cells`` characters: every curve's dots merged, each
    character in the colour of the last curve with dots in it, the phase lines where none has."""
    codes = np.zeros((rows, cells), dtype=np.int64)
    owner = np.full((rows, cells), -1)
    for index, curve in enumerate(curves):
        # A plateau's rate holds for a whole epoch and drops between two: drawn as the step it
        # is, as the plots draw it.
        steps = curve.row_unit == "epoch"
        low, high = column_spans(curve.lr, length, 2 * cells, log=log, steps=steps, stride=strides[index])
        mine = _braille(_dot_grid(low, high, bottom, top, 4 * rows), rows, cells)
        codes |= mine
        owner[mine != 0] = index
    return [_plot_row(codes[row], owner[row], boundaries, paint) for row in range(rows)]


def _dot_grid(low: np.ndarray, high: np.ndarray, bottom: float, top: float, dot_rows: int) -> np.ndarray:
    """Raised dots, columns × dot rows (row 0 at the bottom): each column from low to high."""
    span = top - bottom
    shown = ~np.isnan(low)
    a = np.floor((np.where(shown, low, bottom) - bottom) / span * (dot_rows - 1) + 0.5)
    b = np.floor((np.where(shown, high, bottom) - bottom) / span * (dot_rows - 1) + 0.5)
    a, b = np.clip(a, 0, dot_rows - 1), np.clip(b, 0, dot_rows - 1)
    r = np.arange(dot_rows)
    return shown[:, None] & (r >= a[:, None]) & (r <= b[:, None])


def _braille(grid: np.ndarray, rows: int, cells: int) -> np.ndarray:
    """The grid's dots gathered into braille bits, rows × cells (row 0 at the top)."""
    top_first = grid[:, ::-1].T.reshape(rows, 4, cells, 2)
    return (top_first * _DOTS[None, :, None, :]).sum(axis=(1, 3))


# --- axes ------------------------------------------------------------------------------------------


def _y_axis(
    curves: Sequence[Curve], log: bool, rows: int
) -> tuple[float, float, list[tuple[float, str]], bool]:
    """(bottom, top, ticks as (value, label), nothing to draw) on the axis scale.

    A linear axis starts at 0, as the table's bars do (a rate's size is read against zero), and
    is rounded out to its ticks; a log axis is rounded out to 1-2-5 values. Either way the top and
    bottom dot rows are round values.
    """
    ranges = [r for r in (_value_range(c.lr, log) for c in curves) if r is not None]
    lows, highs = [r[0] for r in ranges], [r[1] for r in ranges]
    most = max(2, min(6, rows // 3 + 2))
    if not lows:
        return 0.0, 1.0, [], True
    low, high = min(lows), max(highs)
    if log:
        return (*_log_ticks(low, high, most), False)
    low, high = min(low, 0.0), max(high, 0.0)
    if high <= low:
        high = low + 1.0
    return (*_linear_ticks(low, high, most), False)


def _value_range(y: np.ndarray, log: bool) -> tuple[float, float] | None:
    """The lowest and highest value drawn, on the axis scale; None when nothing is drawn.

    Two passes over the curve, never a copy (fmin and fmax skip NaN); two more when it has values
    that are not drawn: infinite ones, or ones ≤ 0 on a log scale.
    """
    y = np.asarray(y, dtype=np.float64)
    if len(y) == 0:
        return None
    low, high = np.fmin.reduce(y), np.fmax.reduce(y)
    if not (np.isfinite(low) and np.isfinite(high) and (low > 0 or not log)):
        shown = np.isfinite(y) & (y > 0) if log else np.isfinite(y)
        low = np.min(y, where=shown, initial=np.inf)
        high = np.max(y, where=shown, initial=-np.inf)
        if high < low:
            return None
    low, high = _scale(np.array([low, high]), log)
    return float(low), float(high)


def _linear_ticks(low: float, high: float, most: int) -> tuple[float, float, list[tuple[float, str]]]:
    for m, e in nice_steps((high - low) / (most - 1)):
        step = m * 10.0**e
        first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
        if last - first < most:
            break
    values = [decimal(k * m, e) for k in range(first, last + 1)]
    labels = rate_labels(values)
    # Top first: where rows are too few for every label, the highest rate keeps its label.
    return values[0], values[-1], list(zip(values, labels))[::-1]


def _log_ticks(low: float, high: float, most: int) -> tuple[float, float, list[tuple[float, str]]]:
    """The range rounded out to 1-2-5 values (1e-05, 2e-05, 5e-05, 1e-04, ...), ticks on each of
    them when a few cover it, else on every k-th decade inside it and on its two ends."""
    series = [(m, e) for e in range(math.floor(low) - 1, math.ceil(high) + 2) for m in (1, 2, 5)]
    places = [math.log10(m) + e for m, e in series]
    below = max(i for i, x in enumerate(places) if x <= low + 1e-9)
    above = min(i for i, x in enumerate(places) if x >= high - 1e-9)
    if below == above:  # a constant on a 1-2-5 value: show it between its neighbours
        below, above = below - 1, above + 1
    if above - below < most:
        chosen = series[below : above + 1][::-1]
    else:
        for k in (1, 2, 3, 4, 5, 10, 20, 50, 100):
            first, last = math.ceil(places[below] / k - 1e-9), math.floor(places[above] / k + 1e-9)
            if last - first < most:
                break
        # Decades first: where an end would crowd one, the end goes unlabelled (see _tick_rows).
        chosen = [(1, k * i) for i in range(last, first - 1, -1)] + [series[above], series[below]]
    values = [decimal(m, e) for m, e in chosen]
    labels = rate_labels(values)
    ticks = [(math.log10(m) + e, label) for (m, e), label in zip(chosen, labels)]
    return places[below], places[above], ticks


def _tick_rows(ticks: Sequence[tuple[float, str]], bottom: float, top: float, rows: int) -> dict[int, str]:
    """Text row -> label, taking the ticks in order and leaving out any that would sit on or next
    to a row already labelled."""
    taken: dict[int, str] = {}
    for value, label in ticks:
        row = _cell_row(value, bottom, top, rows)
        if all(abs(row - other) >= 2 for other in taken):
            taken[row] = label
    return taken


def _cell_row(value: float, bottom: float, top: float, rows: int) -> int:
    """The text row (0 at the top) holding the dot of ``value``."""
    dot = math.floor((value - bottom) / (top - bottom) * (4 * rows - 1) + 0.5)
    return rows - 1 - min(max(dot, 0), 4 * rows - 1) // 4


def _cell_of(step: float, length: int, cells: int) -> int:
    """The character column of the dot column nearest to ``step``."""
    if length <= 1:
        return 0
    return min(cells - 1, max(0, math.floor(step * (2 * cells - 1) / (length - 1) + 0.5) // 2))


def _x_ticks(length: int, per_epoch: int | None, cells: int) -> list[tuple[int, str]]:
    """(cell, label) for both ends of the x axis and round values between them, about one per
    ten columns, in steps (whole ones) or epochs (0, 250k, 500k past 10,000). The last step is
    marked exactly; the end of an epoch axis to the precision a column shows (a last row at epoch
    19.98, on columns a third of an epoch wide, reads 20)."""
    if length <= 1:
        return [(0, "0")]
    per = per_epoch or 1
    last = (length - 1) / per
    intervals = max(1, cells // 10)
    for m, e in nice_steps(last / intervals, (1, 2, 2.5, 5)):
        step = m * 10.0**e
        if per_epoch is not None or step == round(step):
            break
    values = []
    k = 1
    while k * step < last * (1 - 1e-9):
        values.append(decimal(k * m, e))
        k += 1
    if per_epoch is not None:
        end = rounded_label(last, last / max(1, cells - 1))
    elif last % step == 0:  # a round value itself: in the style of the others (1M, not 1,000,000)
        end = step_labels([*values, last])[-1]
    else:
        end = count_label(last)
    ends = [(0, "0"), (_cell_of(length - 1, length, cells), end)]
    between = [(_cell_of(v * per, length, cells), label) for v, label in zip(values, step_labels(values))]
    return ends + between


def _place_labels(ticks: Sequence[tuple[int, str]], cells: int) -> str:
    """The labels in one line ``cells`` wide: the first starting under its tick, the last ending
    under its tick, the others centred; one that would come within two spaces of another is left
    out (the ends come first)."""
    line = [" "] * cells
    taken: list[tuple[int, int]] = []
    for index, (cell, label) in enumerate(ticks):
        if index == 0:
            start = cell
        elif index == 1:
            start = cell - len(label) + 1
        else:
            start = cell - len(label) // 2
        end = start + len(label)
        if start < 0 or end > cells or any(start < b + 2 and a < end + 2 for a, b in taken):
            continue
        taken.append((start, end))
        line[start:end] = label
    return "".join(line)


def _x_axis(cells: int, ticks: Sequence[int], boundaries: set[int]) -> str:
    line = ["─"] * cells
    for cell in boundaries:
        line[cell] = "┴"
    for cell in ticks:
        if 0 <= cell < cells:
            line[cell] = "┼" if line[cell] == "┴" else "┬"
    return "".join(line)



# --- phases, legend, title -------------------------------------------------------------------------


def _inner_boundaries(phases: Sequence[Phase], length: int) -> list[float]:
    """Steps where one phase ends and the next begins, inside the curve (not at its ends)."""
    return sorted({p.end for p in phases[:-1] if 0 < p.end < length - 1})


def _boundary_cells(phases: Sequence[Phase], length: int, cells: int) -> set[int]:
    return {_cell_of(step, length, cells) for step in _inner_boundaries(phases, length)}


def _phase_names(phases: Sequence[Phase], length: int, cells: int) -> str:
    """Each phase's name from where it starts (just right of its boundary line), cut short with
    "…" where the next one begins; a phase too narrow for two characters goes unnamed."""
    shown = [p for p in phases if max(p.start, 0) < min(p.end, length - 1)]
    starts = [0 if p.start <= 0 else _cell_of(p.start, length, cells) + 1 for p in shown]
    line = ""
    for index, (phase, start) in enumerate(zip(shown, starts)):
        room = (starts[index + 1] - 1 if index + 1 < len(starts) else cells) - start
        if room >= 2 and start >= _width(line):
            line += " " * (start - _width(line)) + _fit(phase.name, room)
    return line


def _legend(labels: Sequence[str], width: int, paint) -> list[str]:
    """Each curve's label behind a stroke of its colour, packed into lines ``width`` wide."""
    lines: list[str] = []
    line, used = "", 0
    for index, label in enumerate(labels):
        label = _fit(label, width - 3)
        size = 3 + _width(label)
        if used and used + 3 + size > width:
            lines.append(line)
            line, used = "", 0
        if used:
            line, used = line + "   ", used + 3
        entry = (paint("━━", COLORS[index % len(COLORS)]) + " " + label) if size <= width else ""
        line, used = line + entry, used + size
    lines.append(line)
    return lines


def _centred(text: str, left: int, cells: int, width: int) -> str:
    """``text`` centred over the ``cells`` columns from ``left``, or over the whole ``width``
    when it does not fit there, cut short with "…" when it does not fit at all."""
    text = _fit(text, width)
    size = _width(text)
    start = left + (cells - size) // 2 if size <= cells else (width - size) // 2
    return " " * start + text


def _empty_note(log: bool) -> str:
    return "no positive values for a log scale" if log else "no values to draw"


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: two for wide (East Asian) characters, none for
    combining ones."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def _fit(text: str, room: int) -> str:
    """``text`` on one line in at most ``room`` columns, ending in "…" when cut; control
    characters (a newline in a label) become spaces."""
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    if _width(text) <= room:
        return text
    out, used = "", 0
    for ch in text:
        used += _width(ch)
        if used > room - 1:
            break
        out += ch
    return out + "…" if room >= 1 else ""


# --- characters and colours ------------------------------------------------------------------------


def _painter(color: bool):
    """paint(text, sgr): ``text`` in that ANSI style (SGR code) when ``color``, else as is."""
    if not color:
        return lambda text, sgr: text

    def paint(text: str, sgr: int) -> str:
        # Spaces around the text stay outside the escapes: lines can be stripped and compared.
        core = text.strip()
        if not core:
            return text
        start = text.index(core)
        return f"{text[:start]}\x1b[{sgr}m{core}\x1b[0m{text[start + len(core):]}"

    return paint


def _plot_row(codes: np.ndarray, owner: np.ndarray, boundaries: set[int], paint) -> str:
    """One text row of the plot: braille where there are dots, the phase lines where not, runs
    of one colour painted together."""
    cells = []
    for cell, (code, who) in enumerate(zip(codes.tolist(), owner.tolist())):
        if code:
            cells.append((COLORS[who % len(COLORS)], chr(0x2800 + code)))
        elif cell in boundaries:
            cells.append((DIM, _GUIDE))
        else:
            cells.append((None, " "))
    out = []
    for style, run in groupby(cells, key=lambda c: c[0]):
        text = "".join(ch for _, ch in run)
        out.append(text if style is None else paint(text, style))
    return "".join(out)
