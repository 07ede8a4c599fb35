"""Reads a metric series (text, CSV, JSON, or a training log) into floats, with the epoch of each
value when the file numbers them, naming the file and line of any problem."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from .errors import InputError
from .registry import closest
from .textfile import read_text

# Columns that index a training log rather than measure anything.
INDEX_COLUMNS = frozenset({"step", "epoch"})
EPOCH, STEP = "epoch", "step"
MAX_BYTES = 1 << 30
# A text file's optional first line: the name of its one column.
HEADER = re.compile(r"[A-Za-z_][\w./-]*")
SEPARATORS = re.compile(r"[,;\t ]")


@dataclass(frozen=True, eq=False)
class MetricSeries:
    """The metric values, where they came from, and anything worth warning about.

    ``epochs``: the epoch (counted from 0) at whose end each value was measured, when the file
    numbers them otherwise than 0, 1, 2, ... (a CSV's ``epoch`` column, a training log's epochs);
    None: value i belongs to epoch i. ReduceLROnPlateau is stepped once per value, so the rate of
    epoch t comes from the values measured before it.
    """

    values: np.ndarray
    source: str
    column: str | None = None
    warnings: tuple[str, ...] = field(default=())
    path: Path | None = None  # the file read, if any
    epochs: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.values)

    @property
    def rows(self) -> int:
        """Epochs from 0 to the last one with a value: the rows a plateau curve can have."""
        return len(self.values) if self.epochs is None else int(self.epochs[-1]) + 1

    def epoch_of(self, index: int) -> int:
        """The epoch of value ``index``."""
        return index if self.epochs is None else int(self.epochs[index])

    @cached_property
    def by_row(self) -> np.ndarray:
        """The value measured in each epoch 0..rows-1, NaN in an epoch without one."""
        if self.epochs is None:
            return self.values
        shown = np.full(self.rows, np.nan)
        shown[self.epochs] = self.values
        return shown

    def describe(self) -> str:
        return f"{self.source} (column {self.column})" if self.column else self.source


def from_values(values: Sequence[float], source: str = "inline list") -> MetricSeries:
    array = np.asarray(values, dtype=np.float64)
    return MetricSeries(array, source, None, _nan_warnings(array, source, None))


def load(path: str | Path, column: str | None = None, base_dir: Path | None = None) -> MetricSeries:
    """Read ``path``: .json (a list of numbers, or a Hugging Face trainer_state.json), .csv (a
    header, then rows), a TensorBoard event file or run folder, else one number a line (after an
    optional one-word header)."""
    shown = str(path)
    target = Path(path)
    if base_dir is not None and not target.is_absolute():
        target = base_dir / target
    from . import logs  # the readers of training logs, paid for only when a metrics file is read

    if logs.is_log_path(target):
        return _from_log(logs.metric_column(target, shown, column), shown, target)
    text = read_text(target, shown, "metrics file", InputError, MAX_BYTES)
    suffix = target.suffix.lower()
    epochs, why = None, ""
    if suffix == ".csv":
        values, lines, column, epochs, why = _parse_csv(text, shown, column)
    elif suffix == ".json":
        data = _load_json(text, shown)
        if isinstance(data, dict) and "log_history" in data:
            return _from_log(logs.hf_metric(data, shown, column), shown, target)
        values, lines, column = _parse_json(data, shown), None, None
    else:
        values, lines, column = _parse_lines(text, shown)
    array = np.asarray(values, dtype=np.float64)
    warnings = (*_nan_warnings(array, shown, lines), *((f"{shown}: {why}",) if why else ()))
    return MetricSeries(array, shown, column, warnings, target, epochs)


def _from_log(found, shown: str, target: Path) -> MetricSeries:
    """A metric read by lrplot.logs (a trainer_state.json, a TensorBoard log)."""
    values = np.asarray(found.values, dtype=np.float64)
    epochs = _numbered(found.epochs)
    warnings = (*_nan_warnings(values, shown, None), *((f"{shown}: {found.why}",) if found.why else ()))
    return MetricSeries(values, shown, found.name, warnings, target, epochs)


def _numbered(epochs: np.ndarray | None) -> np.ndarray | None:
    """Epoch numbers worth keeping: None when they are 0, 1, 2, ... (value i is epoch i)."""
    if epochs is None or np.array_equal(epochs, np.arange(len(epochs))):
        return None
    return np.asarray(epochs, dtype=np.intp)


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def _parse_lines(text: str, shown: str) -> tuple[list[float], list[int], str | None]:
    """One number a line; the first line may name the column (one word, e.g. ``val_loss``)."""
    values, lines = [], []
    column = None
    for number, line in enumerate(text.splitlines(), start=1):
        cell = line.strip()
        if not cell or cell.startswith("#"):
            continue
        value = _number(cell)
        if value is None:
            if not values and column is None and HEADER.fullmatch(cell):
                column = cell
                continue
            if not values and column is None and SEPARATORS.search(cell):
                raise InputError(
                    f"metrics file {shown}:{number}: {cell[:40]!r} is a header of several columns; "
                    "a text file holds one number a line: use .csv for a header (and --column to pick one)"
                )
            raise InputError(f"metrics file {shown}:{number}: {cell[:40]!r} is not a number")
        values.append(value)
        lines.append(number)
    if not values:
        raise InputError(f"metrics file {shown} has no numbers")
    return values, lines, column


def _load_json(text: str, shown: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"metrics file {shown}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"metrics file {shown}: nested too deeply; expected a list of numbers") from None


def _parse_json(data, shown: str) -> list[float]:
    if not isinstance(data, list) or not data:
        raise InputError(f"metrics file {shown}: expected a JSON list of numbers, or a trainer_state.json "
                         "(an object with log_history)")
    values = []
    for index, item in enumerate(data):
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise InputError(f"metrics file {shown}: item {index} ({item!r:.40}) is not a number")
        values.append(float(item))
    return values


def _parse_csv(
    text: str, shown: str, column: str | None
) -> tuple[list[float], list[int], str, np.ndarray | None, str]:
    """(values, their lines, the column, the epoch of each value or None, why the epochs are not
    used when they are not)."""
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
        raise InputError(f"metrics file {shown}: no column {column!r}{closest(column, header)} "
                         f"(columns: {', '.join(header)})")
    index = header.index(column)
    numbering = next((i for i, name in enumerate(header) if name.lower() == EPOCH and i != index), None)
    if numbering is None:
        numbering = next((i for i, name in enumerate(header) if name.lower() == STEP and i != index), None)
    values, lines, numbers = [], [], []
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
            if numbering is not None:
                numbers.append(row[numbering].strip() if numbering < len(row) else "")
    except csv.Error as exc:
        raise InputError(f"metrics file {shown}:{reader.line_num}: {exc}") from None
    if not values:
        raise InputError(f"metrics file {shown}: column {column!r} has no numbers")
    if numbering is None:
        return values, lines, column, None, ""
    epochs, why = _epochs(numbers, lines, header[numbering], column)
    return values, lines, column, epochs, why


def _epochs(cells: list[str], lines: list[int], name: str, column: str) -> tuple[np.ndarray | None, str]:
    """The epochs of a column's values from the file's epoch column: whole numbers from 0, each
    later than the one before. A ``step`` column does not say which epoch a value is from: the
    values are then one row each, and so are they when the epochs are unusable (``why`` says so)."""
    numbers = [_number(cell) for cell in cells]
    if name.lower() == STEP:
        if all(n is not None for n in numbers) and numbers != list(range(len(numbers))):
            where = ", ".join(f"{n:g}" for n in numbers[:3]) + (", ..." if len(numbers) > 3 else "")
            return None, (f"{column} is logged at steps {where} and the file has no epoch column: "
                          "one row (one step of the scheduler) per value")
        return None, ""
    for number, cell, line in zip(numbers, cells, lines):
        if number is None or number != int(number) or number < 0:
            shown = repr(cell[:20]) if cell else "empty"
            return None, (f"line {line}: epoch {shown} is not a whole number from 0; "
                          f"{column} is read as one value per epoch from epoch 0")
    epochs = np.array(numbers, dtype=np.intp)
    repeated = np.flatnonzero(np.diff(epochs) <= 0)
    if repeated.size:
        line = lines[int(repeated[0]) + 1]
        return None, (f"line {line}: {column} has a second value in epoch {epochs[repeated[0] + 1]}; "
                      "ReduceLROnPlateau takes one per epoch, so the values are read as one per epoch "
                      "from epoch 0")
    return _numbered(epochs), ""


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
