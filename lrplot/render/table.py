"""The terminal table: at most ~30 sampled rows (first, last, peak, phase boundaries and events
always among them, each named; the step column shows where rows were skipped), a bar for the
shape, and a one-line summary per curve."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text

from lrplot.engine import Curve

MAX_ROWS = 30
BAR_WIDTH = 24
_EIGHTHS = " ▏▎▍▌▋▊▉█"


def num(x: float) -> str:
    """Six significant digits: enough to read a rate, short enough for a terminal."""
    return "" if x is None else f"{x:.6g}"


def key_rows(curve: Curve) -> set[int]:
    """Rows a table must show: first, last, peak, lowest, phase boundaries and events."""
    n = len(curve)
    rows = {0, n - 1, int(np.argmax(curve.lr)), int(np.argmin(curve.lr))}
    for phase in curve.annotations.phases:
        last = math.floor(phase.end)
        rows.update({last, last + 1})
    rows.update(event.step for event in curve.annotations.events)
    return {r for r in rows if 0 <= r < n}


def sample(n: int, keep: Iterable[int], limit: int = MAX_ROWS) -> list[int]:
    """All rows when n <= limit; else the ``keep`` rows plus evenly spaced ones, up to ``limit``."""
    if n <= limit:
        return list(range(n))
    chosen = {r for r in keep if 0 <= r < n} | {0, n - 1}
    spare = limit - len(chosen)
    if spare > 0:
        grid = np.linspace(0, n - 1, spare + 2).round().astype(int)
        for r in grid.tolist():
            if len(chosen) >= limit:
                break
            chosen.add(r)
    return sorted(chosen)


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
    lr = curve.lr
    peak, low = int(np.argmax(lr)), int(np.argmin(lr))
    at = unit(curve)
    return (
        f"{curve.label}: {len(lr)} {at}s · start {num(lr[0])} · peak {num(lr[peak])} at {at} {peak} · "
        f"end {num(lr[-1])} · min {num(lr[low])} at {at} {low}"
    )


def _single(curve: Curve, rows: list[int], per_epoch: int | None, log: bool, table: Table) -> None:
    positive = curve.lr[curve.lr > 0]
    low = float(positive.min()) if log and positive.size else float(curve.lr.min())
    high = float(curve.lr.max())
    remarks = notes(curve)
    extras = list(curve.series)
    table.add_column("lr", justify="right")
    for name in extras:
        table.add_column(name, justify="right")
    table.add_column("", no_wrap=True)
    if remarks:
        table.add_column("note", overflow="fold")
    for r in rows:
        cells = [str(r)]
        if per_epoch:
            cells.append(f"{r / per_epoch:.4g}")
        cells.append(num(curve.lr[r]))
        cells.extend(num(curve.series[name][r]) for name in extras)
        cells.append(bar(float(curve.lr[r]), low, high, log))
        if remarks:
            cells.append(remarks.get(r, ""))
        table.add_row(*cells)


def _several(curves: Sequence[Curve], rows: list[int], per_epoch: int | None, table: Table) -> None:
    for curve in curves:
        table.add_column(curve.label, justify="right")
    for r in rows:
        cells = [str(r)]
        if per_epoch:
            cells.append(f"{r / per_epoch:.4g}")
        cells.extend(num(c.lr[r]) if r < len(c) else "" for c in curves)
        table.add_row(*cells)


def render_table(
    curves: Sequence[Curve],
    *,
    steps_per_epoch: int | None = None,
    log: bool = False,
    title: str | None = None,
) -> Group:
    """The table and the summary lines, ready for ``Console.print``."""
    n = max(len(c) for c in curves)
    keep: set[int] = set()
    for curve in curves:
        keep |= key_rows(curve)
    rows = sample(n, keep)
    table = Table(title=title, box=None, pad_edge=False, header_style="bold")
    epochs_only = all(unit(c) == "epoch" for c in curves)
    table.add_column("epoch" if epochs_only else "step", justify="right")
    if steps_per_epoch and not epochs_only:
        table.add_column("epoch", justify="right")
    per_epoch = None if epochs_only else steps_per_epoch
    if len(curves) == 1:
        _single(curves[0], rows, per_epoch, log, table)
    else:
        _several(curves, rows, per_epoch, table)
    # Summaries never wrap (print with crop=False): a wrapped line would read like a table row.
    lines = [Text(summary(c), style="dim", no_wrap=True, overflow="ignore") for c in curves]
    return Group(table, Text(""), *lines)
