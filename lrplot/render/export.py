"""CSV and JSON export: every float written so it reads back to the same float64, in bounded chunks.

One curve: ``step,lr[,momentum][,metric][,epoch]``. Several on one clock: ``step``, one column per
label, ``epoch`` last when steps per epoch are known. Several that count epochs at different rates
(a cosine stepped once an epoch beside a 1cycle stepped 50 times an epoch) have no step in common:
a wide table lined up by epoch would be mostly blank cells, and lined up by step it would put
cosine's epoch 20 beside 1cycle's epoch 0.4. They are written in long form instead,
``label,step,epoch,lr``, one line per row of each curve, each with its own step and epoch: what
pandas (``pivot``, ``groupby("label")``), seaborn (``hue="label"``) and spreadsheets take as is.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import IO, Any

import numpy as np

from lrplot.engine import Curve
from lrplot.render import own_epochs
from lrplot.render.floatfmt import Cells, float_cells, int_cells, join_items, join_rows, padded, replace

# Rows formatted per write: memory stays bounded whatever the length of the curve (a few MB here), and
# a chunk's arrays stay closer to the CPU caches (2**14 rows wrote fastest, see benchmarks/csv_export.py).
CHUNK_ROWS = 1 << 14

Column = Callable[[int, int], Cells]


def _floats(values: np.ndarray) -> Column:
    """Cells for rows [a, b): the shortest text that reads back to the same float64 (repr);
    empty past the end of a shorter series."""

    def cells(a: int, b: int) -> Cells:
        return padded(float_cells(values[a:b]), b - a)

    return cells


def _steps(a: int, b: int) -> Cells:
    return int_cells(np.arange(a, b))


def _epochs(steps_per_epoch: int) -> Column:
    def cells(a: int, b: int) -> Cells:
        return float_cells(np.arange(a, b) / steps_per_epoch)

    return cells


def csv_layout(curves: Sequence[Curve], steps_per_epoch: int | None) -> tuple[list[str], list[Column]]:
    """Header and columns: ``step,lr[,momentum][,metric]`` for one curve, ``step,<label>...`` for
    several; ``epoch`` last when steps per epoch are known."""
    header, columns = ["step"], [_steps]
    if len(curves) == 1:
        (curve,) = curves
        header.append("lr")
        columns.append(_floats(curve.lr))
        for name, values in curve.series.items():
            header.append(name)
            columns.append(_floats(values))
    else:
        for curve in curves:
            header.append(curve.label)
            columns.append(_floats(curve.lr))
    if steps_per_epoch is not None:
        header.append("epoch")
        columns.append(_epochs(steps_per_epoch))
    return header, columns


LONG_HEADER = ["label", "step", "epoch", "lr"]


def _csv_line(cells: Sequence[str]) -> bytes:
    """One CSV line, quoted where needed (a label may hold commas: ``milestones=30,80``)."""
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow(cells)
    return line.getvalue().encode("utf-8")


def _constant(text: bytes, rows: int) -> Cells:
    """The same text on every row, without copying it ``rows`` times."""
    chars = np.broadcast_to(np.frombuffer(text, dtype=np.uint8), (rows, len(text)))
    return Cells(chars, np.zeros(rows, dtype=np.intp), np.full(rows, len(text), dtype=np.intp))


def write_csv(out: IO[bytes], curves: Sequence[Curve], steps_per_epoch: int | None = None) -> None:
    lengths = own_epochs(curves)
    if lengths is not None:
        write_long_csv(out, curves, lengths)
        return
    header, columns = csv_layout(curves, steps_per_epoch)
    out.write(_csv_line(header))
    rows = max(len(c) for c in curves)
    for a in range(0, rows, CHUNK_ROWS):
        b = min(rows, a + CHUNK_ROWS)
        out.write(join_rows([column(a, b) for column in columns], sep=b",", end=b"\n"))


def write_long_csv(out: IO[bytes], curves: Sequence[Curve], rows_per_epoch: Sequence[int]) -> None:
    """``label,step,epoch,lr``: every row of each curve in turn, with its own step and epoch."""
    out.write(_csv_line(LONG_HEADER))
    for curve, per in zip(curves, rows_per_epoch):
        label = _csv_line([curve.label])[:-1]
        for a in range(0, len(curve), CHUNK_ROWS):
            b = min(len(curve), a + CHUNK_ROWS)
            columns = [_constant(label, b - a), _steps(a, b), _epochs(per)(a, b), _floats(curve.lr)(a, b)]
            out.write(join_rows(columns, sep=b",", end=b"\n"))


def jsonable(value: Any) -> Any:
    """Parameters as JSON values: tuples become lists, a metric series its source."""
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if hasattr(value, "describe"):
        return value.describe()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _json_floats(values: np.ndarray) -> Iterable[bytes]:
    """JSON array items in chunks; NaN and infinities (JSON has none) become null."""
    for a in range(0, len(values), CHUNK_ROWS):
        chunk = values[a : a + CHUNK_ROWS]
        yield join_items(replace(float_cells(chunk), ~np.isfinite(chunk), "null"), sep=b", ")


def describe(curve: Curve) -> dict[str, Any]:
    """Everything about a curve except its arrays."""
    notes = curve.annotations
    return {
        "label": curve.label,
        "schedule": curve.schedule,
        "framework": curve.framework,
        "origin": curve.origin,
        "params": jsonable(dict(curve.params)),
        "derived": jsonable(dict(curve.derived)),
        "rows": len(curve),
        "steps_per_epoch": curve.steps_per_epoch,
        "phases": [{"name": p.name, "start": p.start, "end": p.end} for p in notes.phases],
        "events": [
            {"step": e.step, "kind": e.kind, "old": e.old, "new": e.new, "why": e.why} for e in notes.events
        ],
        "guides": jsonable(dict(notes.guides)),
        "warnings": list(curve.warnings),
    }


def write_json(out: IO[bytes], curves: Sequence[Curve], steps_per_epoch: int | None = None) -> None:
    from lrplot import __version__

    def put(text: str) -> None:
        out.write(text.encode("utf-8"))

    put(json.dumps({"lrplot": __version__, "steps_per_epoch": steps_per_epoch})[:-1])
    put(', "schedules": [')
    for index, curve in enumerate(curves):
        put(", " if index else "")
        put(json.dumps(describe(curve))[:-1] + ', "series": {')
        for position, (name, values) in enumerate({"lr": curve.lr, **curve.series}.items()):
            put(f"{', ' if position else ''}{json.dumps(name)}: [")
            for part, text in enumerate(_json_floats(values)):
                out.write((b", " if part else b"") + text)
            put("]")
        put("}}")
    put("]}\n")
