"""The terminal table: at most ~30 lines for any length, a bar for the shape, a summary per curve.

Which rows: the first, last, peak and lowest, the phase boundaries and events (each named), and
every step where the rate jumps together with the row before it, all found in the data, whatever
the schedule. A run of rows that read the same collapses into one line (``0–29  0.1``); the other
lines are spread evenly, so the step column shows where rows were skipped.

Curves that count epochs at different rates (cosine stepped once an epoch beside a 1cycle stepped
50 times an epoch) are lined up by epoch, as the plot draws them: the first column is the epoch,
each curve's header says how many of its steps make one, and a cell is blank where that curve has
no step. Lining them up by step would put cosine's epoch 20 beside 1cycle's epoch 0.4.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text

from lrplot.engine import Curve
from lrplot.render import own_epochs

MAX_ROWS = 30
BAR_WIDTH = 24
_EIGHTHS = " ▏▎▍▌▋▊▉█"
DASH = "–"  # between the first and last row of a collapsed run: 0–29
# A change of the rate smaller than this fraction of the rate is float round-off (two neighbouring
# rows of a slow cosine differ in their last bit), not a step of the schedule.
JUMP_TOLERANCE = 1e-12
# When not every jump fits, they take at most this share of the lines left: the rest stay evenly
# spaced, so the shape between the jumps shows too.
JUMP_SHARE = 2 / 3


def num(x: float) -> str:
    """Six significant digits: enough to read a rate, short enough for a terminal."""
    return "" if x is None else f"{x:.6g}"


def key_rows(curve: Curve) -> set[int]:
    """Rows a table must show: first, last, peak, lowest, phase boundaries and events (of a
    training log, its logged rows only)."""
    n = len(curve)
    logged = np.flatnonzero(~np.isnan(curve.lr))
    if not logged.size:
        return {0, n - 1} if n else set()
    ends = {int(logged[0]), int(logged[-1])}
    rows = {*ends, int(np.nanargmax(curve.lr)), int(np.nanargmin(curve.lr))}
    for phase in curve.annotations.phases:
        last = math.floor(phase.end)
        rows.update({last, last + 1})
    rows.update(event.step for event in curve.annotations.events)
    return {r for r in rows if 0 <= r < n}


def jumps(lr: np.ndarray) -> np.ndarray:
    """The rows t where the rate jumps: it differs from row t-1 (by more than round-off) and
    either row t-1 repeats the one before it or row t+1 repeats row t, i.e. the rate holds on one
    side of the change (a step, a milestone, a reduction, the end of a warm-up into a constant); or
    the change is more than ten times those on both sides (a warm restart). Found in the data, so
    the same for every schedule of every framework.

    >>> jumps(np.array([0.1, 0.1, 0.1, 0.01, 0.01, 0.001])).tolist()
    [3, 5]
    >>> jumps(np.linspace(1.0, 0.0, 6)).tolist()
    []
    """
    n = len(lr)
    if n < 2:
        return np.empty(0, dtype=np.intp)
    step = np.abs(np.diff(lr))  # step[t-1] = |lr[t] - lr[t-1]|
    real = step > JUMP_TOLERANCE * np.fmax(np.abs(lr[1:]), np.abs(lr[:-1]))
    before = np.concatenate(([np.nan], step[:-1]))  # |lr[t-1] - lr[t-2]|
    after = np.concatenate((step[1:], [np.nan]))  # |lr[t+1] - lr[t]|
    with np.errstate(invalid="ignore"):
        holds = (before == 0) | (after == 0)
        edge = ~np.isnan(before) | ~np.isnan(after)
        sudden = step > 10 * np.fmax(np.nan_to_num(before, nan=0.0), np.nan_to_num(after, nan=0.0))
    return np.flatnonzero(real & edge & (holds | sudden)) + 1


def bar(value: float, low: float, high: float, log: bool) -> str:
    """A horizontal bar in eighth blocks; ``low``..``high`` span the whole width."""
    if log:
        if value <= 0 or low <= 0:
            return ""
        value, low, high = math.log10(value), math.log10(low), math.log10(high)
        low = min(low, high - 1e-12)
    else:
        low = min(low, 0.0)
    frac = 1.0 if high <= low else (value - low) / (high - low)
    eighths = int(round(max(0.0, min(1.0, frac)) * BAR_WIDTH * 8))
    full, rest = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")


def unit(curve: Curve) -> str:
    """What a row is: a step, or an epoch for ReduceLROnPlateau (stepped once per epoch)."""
    return curve.row_unit


def notes(curve: Curve) -> dict[int, str]:
    """Short remarks per row: where each phase starts and where it ends before the next one or
    before the curve does (a phase spans (start, end], so its rows are ⌊start⌋+1..⌊end⌋), and
    every event, as "old → new: why"."""
    remarks: dict[int, list[str]] = {}
    n = len(curve)
    phases = curve.annotations.phases
    for index, phase in enumerate(phases):
        first = 0 if phase.start <= 0 else math.floor(phase.start) + 1
        last = math.floor(phase.end)
        if not 0 <= first < n:
            continue
        # The last phase running to the last row ends with the curve: nothing to point out.
        ends = last < n and (index < len(phases) - 1 or last < n - 1)
        if ends and last == first:
            remarks.setdefault(first, []).append(f"{phase.name} (one step)")
            continue
        remarks.setdefault(first, []).append(f"{phase.name} starts")
        if ends:
            remarks.setdefault(last, []).append(f"{phase.name} ends")
    for event in curve.annotations.events:
        remarks.setdefault(event.step, []).append(f"{num(event.old)} → {num(event.new)}: {event.why}")
    return {row: "; ".join(parts) for row, parts in remarks.items()}


def summary(curve: Curve) -> str:
    """One line: length, start, peak, end and lowest rate (a training log's logged rows only, with
    how many were logged), then the figures derived from the parameters (Trainer's)."""
    lr = curve.lr
    at = unit(curve)
    logged = np.flatnonzero(~np.isnan(lr))
    if not logged.size:
        return f"{curve.label}: {len(lr)} {at}s, none with a rate"
    peak, low = int(np.nanargmax(lr)), int(np.nanargmin(lr))
    first, last = int(logged[0]), int(logged[-1])
    count = f" ({len(logged)} logged)" if len(logged) < len(lr) else ""
    derived = "".join(f" · {name.replace('_', ' ')} {num(value) if isinstance(value, float) else value}"
                      for name, value in curve.derived.items())
    return (
        f"{curve.label}: {len(lr)} {at}s{count} · start {num(lr[first])} · peak {num(lr[peak])} at {at} "
        f"{peak} · end {num(lr[last])} · min {num(lr[low])} at {at} {low}{derived}"
    )


# --- which lines ------------------------------------------------------------------------------------


# Plain classes, not dataclasses: a dataclass costs ~0.3 ms to define, at every start of a table.
class Column:
    """One curve's values over the table's positions: ``values[rows[p]]`` at position p, blank
    where ``rows[p]`` is -1. ``rows`` None: position p is row p (blank past the end)."""

    __slots__ = ("values", "rows")

    def __init__(self, values: np.ndarray, rows: np.ndarray | None = None) -> None:
        self.values, self.rows = values, rows

    def same(self, positions: int) -> np.ndarray:
        """Whether position p reads as position p-1, for p = 1..positions-1."""
        if self.rows is None:
            m = len(self.values)
            same = np.ones(max(positions - 1, 0), dtype=bool)
            if m >= 2:
                a, b = self.values[1:], self.values[:-1]
                same[: m - 1] = (a == b) | (np.isnan(a) & np.isnan(b))
            if 1 <= m < positions:
                same[m - 1] = False  # blank from row m on
            return same
        present = self.rows >= 0
        got = np.where(present, self.values[np.maximum(self.rows, 0)], np.nan)
        a, b = got[1:], got[:-1]
        return (present[1:] == present[:-1]) & ((a == b) | (np.isnan(a) & np.isnan(b)))


class Lines:
    """The table's lines, each a run of positions [first, last], and how many of the steps where
    a rate jumps were left out for want of room."""

    __slots__ = ("spans", "unshown_jumps")

    def __init__(self, spans: list[tuple[int, int]], unshown_jumps: int = 0) -> None:
        self.spans, self.unshown_jumps = spans, unshown_jumps


def choose(
    positions: int, columns: Sequence[Column], keep: Iterable[int], jump_pairs: Sequence[tuple[int, int]],
    alone: Iterable[int] = (), grid: np.ndarray | None = None, limit: int = MAX_ROWS,
) -> Lines:
    """The lines of a table over ``positions``: runs of positions where every column reads the
    same are one line (except the positions in ``alone``, which carry a note); then all lines when
    they fit in ``limit``, else those holding ``keep``, then both sides of every jump
    (``jump_pairs``: the positions of the row before and of the row after), spread evenly when they
    are more than fit, then evenly spaced ones up to ``limit`` (taken from the positions in
    ``grid`` when given)."""
    same = np.ones(max(positions - 1, 0), dtype=bool)
    for column in columns:
        same &= column.same(positions)
    for p in alone:
        if 1 <= p < positions:
            same[p - 1] = False
        if 0 <= p < positions - 1:
            same[p] = False
    starts = np.concatenate(([0], np.flatnonzero(~same) + 1)).astype(np.intp)
    ends = np.append(starts[1:] - 1, positions - 1)

    def line_of(p: int) -> int:
        return int(np.searchsorted(starts, p, side="right")) - 1

    count = len(starts)
    if count <= limit:
        return Lines(list(zip(starts.tolist(), ends.tolist())))
    chosen = {line_of(p) for p in keep if 0 <= p < positions} | {0, count - 1}
    pairs = [{line_of(a), line_of(b)} for a, b in jump_pairs]
    needed = set().union(*pairs) if pairs else set()
    unshown = 0
    if len(chosen | needed) <= limit:
        chosen |= needed
    else:
        # Not every jump fits: as many as do, spread over the curve, the rest counted.
        taken, room = 0, len(chosen) + int((limit - len(chosen)) * JUMP_SHARE)
        for index in _spread(len(pairs)):
            pair = pairs[index]
            if len(chosen | pair) > room:
                continue
            chosen |= pair
            taken += 1
        unshown = len(pairs) - taken
    spare = limit - len(chosen)
    if spare > 0:
        candidates = np.arange(positions) if grid is None or not len(grid) else grid
        picks = np.linspace(0, len(candidates) - 1, spare + 2).round().astype(int)
        for p in candidates[picks].tolist():
            if len(chosen) >= limit:
                break
            chosen.add(line_of(p))
    spans = [(int(starts[i]), int(ends[i])) for i in sorted(chosen)]
    return Lines(spans, unshown)


def _spread(n: int) -> list[int]:
    """0..n-1 in an order that covers the range evenly at every length: ends, middle, quarters, ...

    >>> _spread(5)
    [0, 4, 2, 1, 3]
    """
    if n <= 0:
        return []
    order, seen = [], set()
    parts = 1
    while len(order) < n:
        for k in range(parts + 1):
            index = round(k * (n - 1) / parts)
            if index not in seen:
                seen.add(index)
                order.append(index)
        parts *= 2
    return order


def _jump_pairs(curve: Curve, position_of=None) -> list[tuple[int, int]]:
    """(row before, row) of each jump of ``curve``, as positions of the table."""
    rows = jumps(curve.lr)
    if position_of is None:
        return [(t - 1, t) for t in rows.tolist()]
    return list(zip(position_of(rows - 1).tolist(), position_of(rows).tolist()))


# --- the tables -------------------------------------------------------------------------------------


def _span_text(first: int, last: int, shown=str) -> str:
    return shown(first) if first == last else f"{shown(first)}{DASH}{shown(last)}"


def _epoch(x: float) -> str:
    """An epoch as the tick labels write it (2, 2.99, 0.333)."""
    from lrplot.render.ticks import count_label  # only tables with epochs need it

    return count_label(x)


def _single(curve: Curve, lines: Lines, per_epoch: int | None, log: bool, table: Table) -> None:
    positive = curve.lr[curve.lr > 0]
    low = float(positive.min()) if log and positive.size else float(np.nanmin(curve.lr, initial=np.inf))
    high = float(np.nanmax(curve.lr, initial=-np.inf))
    remarks = notes(curve)
    extras = list(curve.series)
    table.add_column("lr", justify="right")
    for name in extras:
        table.add_column(name, justify="right")
    table.add_column("", no_wrap=True)
    if remarks:
        table.add_column("note", overflow="fold")
    for first, last in lines.spans:
        cells = [_span_text(first, last)]
        if per_epoch:
            cells.append(_span_text(first, last, lambda r: _epoch(r / per_epoch)))
        cells.append(num(curve.lr[first]))
        cells.extend(num(curve.series[name][first]) for name in extras)
        cells.append(bar(float(curve.lr[first]), low, high, log))
        if remarks:
            cells.append(remarks.get(first, ""))
        table.add_row(*cells)


def _several(curves: Sequence[Curve], lines: Lines, per_epoch: int | None, table: Table) -> None:
    for curve in curves:
        table.add_column(curve.label, justify="right")
    for first, last in lines.spans:
        cells = [_span_text(first, last)]
        if per_epoch:
            cells.append(_span_text(first, last, lambda r: _epoch(r / per_epoch)))
        cells.extend(num(c.lr[first]) if first < len(c) else "" for c in curves)
        table.add_row(*cells)


def _by_epoch(curves: Sequence[Curve], lengths: Sequence[int], title: str | None) -> tuple[Table, str]:
    """Curves counting epochs at different rates, lined up by epoch (see the module's docstring)."""
    epochs = [np.arange(len(c)) / k for c, k in zip(curves, lengths)]
    # Division is correctly rounded: the same epoch reached by two curves is the same float.
    at = np.unique(np.concatenate(epochs))

    def position_of(epochs_of_rows: np.ndarray, index: int) -> np.ndarray:
        return np.searchsorted(at, epochs[index][epochs_of_rows])

    columns, keep, pairs = [], set(), []
    # Where every curve still running has a row: the evenly spaced lines are taken from these.
    everyone = np.ones(len(at), dtype=bool)
    for index, curve in enumerate(curves):
        found = np.searchsorted(epochs[index], at)
        clipped = np.minimum(found, len(curve) - 1)
        rows = np.where(epochs[index][clipped] == at, clipped, -1)
        everyone &= (rows >= 0) | (at > epochs[index][-1])
        columns.append(Column(curve.lr, rows))
        keep |= set(position_of(np.array(sorted(key_rows(curve)), dtype=np.intp), index).tolist())
        pairs += _jump_pairs(curve, lambda r, i=index: position_of(r, i))
    lines = choose(len(at), columns, keep, pairs, grid=np.flatnonzero(everyone))
    table = Table(title=title, box=None, pad_edge=False, header_style="bold")
    table.add_column("epoch", justify="right")
    for curve, k in zip(curves, lengths):
        rate = "a row per epoch" if curve.row_unit == "epoch" else f"{k:,} step{'s' * (k != 1)}/epoch"
        table.add_column(f"{curve.label}\n{rate}", justify="right")
    for first, last in lines.spans:
        cells = [_span_text(first, last, lambda p: _epoch(float(at[p])))]
        for column in columns:
            row = int(column.rows[first])
            cells.append(num(column.values[row]) if row >= 0 else "")
        table.add_row(*cells)
    note = (
        "Lined up by epoch: each curve counts its own steps per epoch, so a cell is blank where "
        "that curve takes no step."
    )
    unshown = _unshown_note(lines)
    return table, f"{note} {unshown}" if unshown else note


def _unshown_note(lines: Lines) -> str:
    if not lines.unshown_jumps:
        return ""
    count = lines.unshown_jumps
    return (
        f"{count} more step{'s' * (count != 1)} where the rate jumps {'are' if count != 1 else 'is'} "
        "not shown; -o FILE.csv has every row."
    )


def render_table(
    curves: Sequence[Curve],
    *,
    steps_per_epoch: int | None = None,
    log: bool = False,
    title: str | None = None,
) -> Group:
    """The table and the summary lines, ready for ``Console.print``."""
    lengths = own_epochs(curves)
    if lengths is not None:
        table, note = _by_epoch(curves, lengths, title)
    else:
        table, note = _by_step(curves, steps_per_epoch, log, title)
    # Summaries never wrap (print with crop=False): a wrapped line would read like a table row.
    lines = [Text(summary(c), style="dim", no_wrap=True, overflow="ignore") for c in curves]
    extra = [Text(note, style="dim")] if note else []
    return Group(table, Text(""), *extra, *lines)


def _by_step(
    curves: Sequence[Curve], steps_per_epoch: int | None, log: bool, title: str | None
) -> tuple[Table, str]:
    n = max(len(c) for c in curves)
    keep: set[int] = set()
    pairs: list[tuple[int, int]] = []
    columns = []
    for curve in curves:
        keep |= key_rows(curve)
        pairs += _jump_pairs(curve)
        columns.append(Column(curve.lr))
    alone: set[int] = set()
    if len(curves) == 1:
        (curve,) = curves
        columns += [Column(values) for values in curve.series.values()]
        alone = set(notes(curve))
    logged = [np.flatnonzero(~np.isnan(c.lr)) for c in curves]
    sparse = len(curves) == 1 and len(logged[0]) < n
    lines = choose(n, columns, keep, pairs, alone, grid=logged[0] if sparse else None)
    if sparse:  # a training log: the rows it logged, not the runs of rows it did not
        lines.spans = [(a, b) for a, b in lines.spans if not np.isnan(curves[0].lr[a])]
    table = Table(title=title, box=None, pad_edge=False, header_style="bold")
    epochs_only = all(unit(c) == "epoch" for c in curves)
    table.add_column("epoch" if epochs_only else "step", justify="right")
    if steps_per_epoch and not epochs_only:
        table.add_column("epoch", justify="right")
    per_epoch = None if epochs_only else steps_per_epoch
    if len(curves) == 1:
        _single(curves[0], lines, per_epoch, log, table)
    else:
        _several(curves, lines, per_epoch, table)
    return table, _unshown_note(lines)
