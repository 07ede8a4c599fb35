"""Reads a metric series (text, CSV or JSON) into floats, naming the file and line of any problem."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError
from .textfile import read_text

# Columns that index a training log rather than measure anything.
INDEX_COLUMNS = frozenset({"step", "epoch"})
MAX_BYTES = 1 << 30


@dataclass(frozen=True, eq=False)
class MetricSeries:
    """The metric values, where they came from, and anything worth warning about."""

    values: np.ndarray
    source: str
    column: str | None = None
    warnings: tuple[str, ...] = field(default=())
    path: Path | None = None  # the file read, if any

    def __len__(self) -> int:
        return len(self.values)

    def describe(self) -> str:
        return f"{self.source} (column {self.column})" if self.column else self.source


def from_values(values: Sequence[float], source: str = "inline list") -> MetricSeries:
    array = np.asarray(values, dtype=np.float64)
    return MetricSeries(array, source, None, _nan_warnings(array, source, None))


def load(path: str | Path, column: str | None = None, base_dir: Path | None = None) -> MetricSeries:
    """Read ``path``: .json (a list of numbers), .csv (a header, then rows), else one number a line."""
    shown = str(path)
    target = Path(path)
    if base_dir is not None and not target.is_absolute():
        target = base_dir / target
    text = read_text(target, shown, "metrics file", InputError, MAX_BYTES)
    suffix = target.suffix.lower()
    if suffix == ".csv":
        values, lines, column = _parse_csv(text, shown, column)
    else:
        if suffix == ".json":
            values, lines = _parse_json(text, shown), None
        else:
            values, lines = _parse_lines(text, shown)
    array = np.asarray(values, dtype=np.float64)
    return MetricSeries(array, shown, column, _nan_warnings(array, shown, lines), target)


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def _parse_lines(text: str, shown: str) -> tuple[list[float], list[int]]:
    values, lines = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        cell = line.strip()
        if not cell or cell.startswith("#"):
            continue
        value = _number(cell)
        if value is None:
            raise InputError(f"metrics file {shown}:{number}: {cell[:40]!r} is not a number")
        values.append(value)
        lines.append(number)
    if not values:
        raise InputError(f"metrics file {shown} has no numbers")
    return values, lines


def _parse_json(text: str, shown: str) -> list[float]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"metrics file {shown}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"metrics file {shown}: nested too deeply; expected a list of numbers") from None
    if not isinstance(data, list) or not data:
        raise InputError(f"metrics file {shown}: expected a JSON list of numbers")
    values = []
    for index, item in enumerate(data):
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise InputError(f"metrics file {shown}: item {index} ({item!r:.40}) is not a number")
        values.append(float(item))
    return values


def _parse_csv(text: str, shown: str, column: str | None) -> tuple[list[float], list[int], str]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = [name.strip() for name in next(reader)]
    except csv.Error as exc:
        raise InputError(f"metrics file {shown}:1: {exc}") from None
    if column is None:
        candidates = [name for name in header if name.lower() not in INDEX_COLUMNS]
        if len(candidates) != 1:
            raise InputError(
                f"metrics file {shown}: pick a column with --column (columns: {', '.join(header)})"
            )
        column = candidates[0]
    elif column not in header:
        raise InputError(f"metrics file {shown}: no column {column!r} (columns: {', '.join(header)})")
    index = header.index(column)
    values, lines = [], []
    try:
        for row in reader:
            if index >= len(row) or not row[index].strip():
                continue  # training logs fill a validation column only on some rows
            cell = row[index].strip()
            value = _number(cell)
            if value is None:
                raise InputError(
                    f"metrics file {shown}:{reader.line_num}: column {column!r}: "
                    f"{cell[:40]!r} is not a number"
                )
            values.append(value)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise InputError(f"metrics file {shown}:{reader.line_num}: {exc}") from None
    if not values:
        raise InputError(f"metrics file {shown}: column {column!r} has no numbers")
    return values, lines, column


def _nan_warnings(values: np.ndarray, shown: str, lines: list[int] | None) -> tuple[str, ...]:
    """One warning naming where NaNs are (file lines, or list items when there are no lines)."""
    bad = np.flatnonzero(np.isnan(values))
    if bad.size == 0:
        return ()
    where = ", ".join(str(lines[i] if lines else i) for i in bad[:5]) + (", ..." if bad.size > 5 else "")
    unit = "line" if lines else "item"
    s = "s" if bad.size > 1 else ""
    return (
        f"{shown}: {bad.size} NaN metric value{s} ({unit}{s} {where}); "
        "torch never counts NaN as an improvement",
    )
