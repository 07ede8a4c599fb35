"""Reads the log of a training run into the rates it logged, in lrplot's row index (row t = the
rate of update t), beside the metrics it logged.

One small reader per format, each knowing how its format numbers steps:

- ``hf``: Hugging Face ``trainer_state.json``. Trainer appends to ``log_history`` after update s
  (counted from 1), and the rate it logs is the one that update used: row s - 1.
- ``lightning``: PyTorch Lightning's CSVLogger ``metrics.csv``; LearningRateMonitor's ``lr-*``
  columns are logged before update ``step`` (counted from 0): row ``step``.
- ``tensorboard``: event files, or a run folder holding them (the ``tensorboard`` package reads
  them: ``lrplot[tensorboard]``). Step s is row s, except for the tags of transformers'
  TensorBoardCallback (``train/learning_rate``), which count as Trainer does.
- ``csv``: a plain CSV with a step column and a rate column (W&B and MLflow exports; what
  ``lrplot log -o`` writes): step s is row s, except with W&B's ``train/global_step`` of a
  transformers run, which counts as Trainer does.

Readers are pure functions of the file's text (or bytes); every problem is one InputError line
naming the file.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import struct
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from lrplot.records import REQUIRED, Record

from .engine import Curve, available_memory
from .errors import InputError
from .registry import Annotations, closest
from .textfile import read_text

MAX_BYTES = 4 << 30
WHAT = "training log"
EXTRA = "lrplot[tensorboard]"
EVENTS = "events.out.tfevents"
# Bytes a dense curve of a log costs per row: the rate, a metric, and their temporaries.
BYTES_PER_ROW = 32


@dataclass(frozen=True)
class Format:
    """A kind of log: its name, what it is, who writes it, and how its steps map to rows."""

    name: str
    title: str
    origin: str
    convention: str


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("hf", "Hugging Face trainer_state.json", "transformers.Trainer",
           "an entry at step s (updates counted from 1) holds the rate update s used: row s-1"),
    Format("lightning", "PyTorch Lightning metrics.csv (CSVLogger)",
           "lightning.pytorch.callbacks.LearningRateMonitor",
           "a rate at step s (updates counted from 0) is the one update s uses: row s"),
    Format("tensorboard", "TensorBoard event file", "tensorboard",
           "a scalar at step s is row s (transformers' train/ tags: row s-1)"),
    Format("csv", "CSV with a step and a rate column", "",
           "a rate at step s is row s (a transformers run's train/global_step: row s-1)"),
)}

# Names of a rate column or tag, after any "train/" or "<run> - " prefix.
RATE_NAMES = ("lr", "learning_rate", "learning-rate", "learningrate")
RATE_PREFIXES = ("lr-", "lr_", "lr/")
# Step columns, in the order they are preferred; those of transformers' callbacks count from 1.
STEP_COLUMNS = ("step", "global_step", "train/global_step", "trainer/global_step", "_step")
# The keys of a trainer_state.json entry that say when it was logged, not what.
HF_CLOCK_KEYS = frozenset({"step", "epoch"})
COUNTED_FROM_ONE = frozenset({"train/global_step"})
EPOCH_COLUMN = "epoch"
# Rows of a CSV log turned into columns at a time: fewer than the garbage collector's first
# threshold (700 new containers), so the rows die before it ever looks at them.
CHUNK_ROWS = 512
# Characters of a plain CSV log split into cells at a time.
BLOCK_CHARS = 1 << 20
# A line's end, written as a cell of its own so that rows can be counted in the cells.
END = "\x1e"
# W&B panel exports add the band around each series as "<name>__MIN" and "<name>__MAX".
BAND_SUFFIXES = ("__MIN", "__MAX")


@dataclass(frozen=True)
class Logged:
    """One logged series: the rows it was logged at (lrplot's index, increasing) and the values."""

    rows: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True, eq=False)
class Log:
    """What a log file says about a run: its rate (``rate`` names the column or tag) and the
    metrics asked for, each in lrplot's row index, and the steps per epoch it implies."""

    shown: str
    path: Path
    kind: str
    rate: str
    rates: Logged
    metrics: Mapping[str, Logged] = field(default_factory=dict)
    steps_per_epoch: int | None = None
    warnings: tuple[str, ...] = ()
    # The step column (or convention) read, for messages: ``step``, ``train/global_step``.
    step_name: str = "step"
    offset: int = 0  # row = logged step + offset

    @property
    def format(self) -> Format:
        return FORMATS[self.kind]

    @property
    def rows(self) -> int:
        """The rows of the log's curve: up to its last logged rate or metric."""
        ends = [int(s.rows[-1]) + 1 for s in (self.rates, *self.metrics.values()) if len(s)]
        return max(ends, default=0)

    def logged_step(self, row: int) -> int:
        """The step number the log itself gives ``row``."""
        return row - self.offset


def fail(shown: str, message: str) -> InputError:
    return InputError(f"{WHAT} {shown}: {message}")


# --- recognising the kind ----------------------------------------------------------------------


def read(path: str | Path, rate: str | None = None, metrics: Sequence[str] = (),
         base_dir: Path | None = None) -> Log:
    """The log at ``path`` (a file, or a TensorBoard run folder), its kind recognised from the
    content: its rate (``rate``: the column or tag; default the one rate it holds) and
    ``metrics``."""
    shown, target = str(path), _resolve(path, base_dir)
    if "\0" in shown:  # the operating system takes no NUL byte in a file name
        raise InputError(f"{WHAT} {shown!r} is not a file name: it holds a NUL byte")
    if target.is_dir():
        return _read_folder(shown, target, rate, metrics)
    head = _head(target, shown)
    if is_event_data(head) or target.name.startswith(EVENTS):
        return read_events([target], shown, rate, metrics)
    text = read_text(target, shown, WHAT, InputError, MAX_BYTES)
    return read_text_log(text, shown, target, rate, metrics)


def read_text_log(text: str, shown: str, path: Path, rate: str | None = None,
                  metrics: Sequence[str] = ()) -> Log:
    """A text log: JSON (trainer_state.json) or CSV (Lightning, W&B, MLflow, lrplot's own)."""
    if text.lstrip()[:1] in ("{", "["):
        return read_hf(parse_json(text, shown), shown, path, rate, metrics)
    return read_csv(text, shown, path, rate, metrics)


def _resolve(path: str | Path, base_dir: Path | None) -> Path:
    target = Path(path)
    if base_dir is not None and not target.is_absolute():
        target = base_dir / target
    return target


def _head(target: Path, shown: str, size: int = 64) -> bytes:
    try:
        with target.open("rb") as handle:
            return handle.read(size)
    except FileNotFoundError:
        raise InputError(f"{WHAT} {shown} does not exist") from None
    except OSError as exc:
        raise InputError(f"{WHAT} {shown} cannot be read: {exc.strerror or exc}") from None


def is_event_data(head: bytes) -> bool:
    """Whether bytes begin a TensorBoard event file: a TFRecord (8-byte length, 4-byte CRC)
    whose first record is the ``brain.Event:N`` version event every writer puts first."""
    return len(head) >= 12 and struct.unpack("<Q", head[:8])[0] < 1 << 20 and b"brain.Event:" in head


def is_log_path(path: Path) -> bool:
    """Whether ``path`` is a log only this module reads (a run folder, an event file)."""
    try:
        if path.is_dir():
            return True
        with path.open("rb") as handle:
            return is_event_data(handle.read(64)) or path.name.startswith(EVENTS)
    except (OSError, ValueError):  # ValueError: a NUL byte in the name (read_text says so)
        return False


def _read_folder(shown: str, folder: Path, rate: str | None, metrics: Sequence[str]) -> Log:
    """A run folder: TensorBoard event files anywhere in it, else its trainer_state.json or
    metrics.csv."""
    events = sorted(p for p in folder.rglob(f"{EVENTS}*") if p.is_file())
    if events:
        runs = sorted({p.parent for p in events})
        if len(runs) > 1:
            names = ", ".join(str(r.relative_to(folder)) or "." for r in runs[:4])
            more = ", ..." if len(runs) > 4 else ""
            raise fail(shown, f"holds {len(runs)} TensorBoard runs ({names}{more}); give one of them")
        return read_events(events, shown, rate, metrics)
    for name in ("trainer_state.json", "metrics.csv"):
        if (folder / name).is_file():
            inner = f"{shown.rstrip('/')}/{name}"
            text = read_text(folder / name, inner, WHAT, InputError, MAX_BYTES)
            return read_text_log(text, inner, folder / name, rate, metrics)
    raise fail(shown, f"is a folder without TensorBoard event files ({EVENTS}.*), trainer_state.json "
                      "or metrics.csv")


# --- Hugging Face trainer_state.json -------------------------------------------------------------


def parse_json(text: str, shown: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # A file cut off ends inside a string or before its closing brackets.
        cut = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        raise fail(f"{shown}:{exc.lineno}", f"invalid JSON: {exc.msg} column {exc.colno}"
                   + (" (the file ends early: cut off?)" if cut else "")) from None
    except RecursionError:
        raise fail(shown, "nested too deeply to be a trainer_state.json") from None


def history_of(data: Any, shown: str) -> list[Any]:
    """trainer_state.json's ``log_history``, checked to be a non-empty list."""
    if isinstance(data, list):
        raise fail(shown, "is a JSON list, not a trainer_state.json (an object with log_history); "
                          "a list of numbers is a metrics file for plateau --metrics")
    if not isinstance(data, dict):
        raise fail(shown, "is not a trainer_state.json (an object with log_history)")
    if "log_history" not in data:
        raise fail(shown, "has no log_history: not a Hugging Face trainer_state.json")
    history = data["log_history"]
    if not isinstance(history, list):
        raise fail(shown, f"log_history is a {type(history).__name__}, not a list of entries")
    if not history:
        raise fail(shown, "log_history is empty: the run logged nothing")
    return history


def hf_names(history: Sequence[Any]) -> list[str]:
    """Every numeric key some entry of ``log_history`` has, but step and epoch."""
    names: dict[str, None] = {}
    for entry in history:
        if isinstance(entry, dict):
            for key, value in entry.items():
                if _is_number(value) and key not in HF_CLOCK_KEYS:
                    names[key] = None
    return list(names)


def read_hf(data: Any, shown: str, path: Path, rate: str | None = None,
            metrics: Sequence[str] = ()) -> Log:
    """Trainer's log: after update s (global_step, counted from 1) it appends
    ``{**logs, "step": s}``, and ``logs["learning_rate"]`` is the rate that update used.

    transformers 5.24, trainer.py: the rate is read before the scheduler steps,
    ``learning_rate = self._get_learning_rate()`` (line 1947, under "# get leaning rate before
    update"), then ``self.lr_scheduler.step()`` (1952) and ``self.state.global_step += 1``
    (1955); ``log()`` appends ``output = {**logs, "step": self.state.global_step}`` (4209). So
    the entry at step s holds row s - 1. Evaluation entries (``eval_*``) come after the same
    update: row s - 1 too.
    """
    history = history_of(data, shown)
    name = rate or "learning_rate"
    steps, values, epochs = _hf_series(history, name, shown, with_epochs=True)
    if not len(steps):
        known = hf_names(history)
        hint = closest(name, known) if rate else ""
        raise fail(shown, f"no entry of log_history has {name!r}{hint} (keys: {', '.join(known) or 'none'})"
                          + ("" if rate else "; pick the rate with --tag"))
    found = {}
    for metric in metrics:
        m_steps, m_values, _ = _hf_series(history, metric, shown)
        if not len(m_steps):
            raise fail(shown, f"no metric {metric!r}{closest(metric, hf_names(history))} "
                              f"(metrics: {', '.join(hf_names(history))})")
        found[metric] = _logged(m_steps - 1, m_values, shown, metric, "step", -1)
    return Log(shown, path, "hf", name, _logged(steps - 1, values, shown, name, "step", -1), found,
               _hf_steps_per_epoch(steps, epochs), _duplicates(shown, name, steps), offset=-1)


def _hf_series(history: list[Any], key: str, shown: str, with_epochs: bool = False):
    """(steps, values, epochs) of the entries that have ``key``, as arrays."""
    try:
        entries = [entry for entry in history if key in entry]
        steps = np.array([entry["step"] for entry in entries])
        values = np.array([entry[key] for entry in entries])
        epochs = np.array([entry.get("epoch", math.nan) for entry in entries]) if with_epochs else None
    except (TypeError, KeyError):
        steps = values = epochs = None
    if steps is None or (len(steps) and (steps.dtype.kind not in "iu" or values.dtype.kind not in "iuf")):
        _hf_problem(history, key, shown)
    if epochs is not None and epochs.dtype.kind not in "iuf":
        epochs = None
    return steps.astype(np.int64), values.astype(np.float64), epochs


def _hf_problem(history: list[Any], key: str, shown: str) -> None:
    """Name the first entry of ``log_history`` that cannot be read."""
    for index, entry in enumerate(history):
        where = f"log_history[{index}]"
        if not isinstance(entry, dict):
            raise fail(shown, f"{where} is {_kind(entry)}, not an entry (an object)")
        if key not in entry:
            continue
        if not _is_number(entry[key]):
            raise fail(shown, f"{where}: {key} is {_kind(entry[key])}, not a number")
        step = entry.get("step")
        if isinstance(step, bool) or not isinstance(step, int):
            raise fail(shown, f"{where} has {key} but " + ("no step" if step is None else
                                                            f"step {_kind(step)}, not a whole number"))
    raise fail(shown, f"log_history cannot be read as Trainer's entries ({key!r})")


def _hf_steps_per_epoch(steps: np.ndarray, epochs: np.ndarray | None) -> int | None:
    """Updates per epoch, when every entry logged at a whole epoch says the same: Trainer's
    ``epoch`` is the fraction of epochs done, so at epoch e >= 1 the step is e x updates per epoch."""
    if epochs is None or not len(epochs):
        return None
    whole = (epochs >= 1) & (epochs == np.round(epochs))
    if not whole.any():
        return None
    per = steps[whole] / epochs[whole]
    first = per[0]
    if first != round(first) or first < 1 or not np.all(per == first):
        return None
    return int(first)


# --- CSV: Lightning's metrics.csv and plain step/rate CSV --------------------------------------


def _base(name: str) -> str:
    """A column's own name: without a W&B ``<run> - `` prefix or a ``train/``-style namespace."""
    return name.rsplit(" - ", 1)[-1].rsplit("/", 1)[-1].strip().lower()


def is_rate_name(name: str) -> bool:
    """Whether a column or tag holds a learning rate: ``lr``, ``learning_rate``,
    ``train/learning_rate``, Lightning's ``lr-AdamW``, ``lr-SGD/pg2``."""
    if name.endswith(BAND_SUFFIXES):
        return False
    lowered = name.strip().lower()
    last = lowered.rsplit(" - ", 1)[-1]
    return _base(name) in RATE_NAMES or last.startswith(RATE_PREFIXES) or last.split("/")[-1] in RATE_NAMES


def pick_rate(names: Sequence[str], rate: str | None, shown: str, what: str = "column") -> str:
    """The rate column or tag: ``rate`` if given and present, else the one whose name says it is
    a rate."""
    if rate is not None:
        if rate not in names:
            raise fail(shown, f"no {what} {rate!r}{closest(rate, names)} ({what}s: {', '.join(names)})")
        return rate
    rates = [name for name in names if is_rate_name(name)]
    if len(rates) == 1:
        return rates[0]
    if not rates:
        raise fail(shown, f"no learning-rate {what} (lr, learning_rate, lr-*) among {', '.join(names)}; "
                          "pick one with --tag")
    raise fail(shown, f"several rate {what}s ({', '.join(rates)}); pick one with --tag")


def read_csv(text: str, shown: str, path: Path, rate: str | None = None,
             metrics: Sequence[str] = ()) -> Log:
    """A CSV log: one row per logging call, a step column, and columns filled only on the rows
    of the calls that logged them (empty elsewhere).

    Lightning's LearningRateMonitor (lightning 2.6.6, callbacks/lr_monitor.py) logs in
    ``on_train_batch_start``, before the batch's update, ``logger.log_metrics(latest_stat,
    step=trainer.fit_loop.epoch_loop._batches_that_stepped)`` (line 177): the count of updates
    done, so the rate at step s is the one update s uses, row s. Its columns are named
    ``lr-<optimizer>`` (``lr-AdamW``, ``lr-SGD/pg2``). A plain CSV counts the same way (lrplot's
    own output reads back as it was written), except a W&B export of a transformers run, whose
    ``train/global_step`` counts as Trainer does.
    """
    _check_last_line(text, shown)
    try:
        header = [name.strip() for name in next(csv.reader([text[: text.find("\n") + 1 or len(text)]]))]
    except StopIteration:
        raise fail(shown, "is empty") from None
    except csv.Error as exc:
        raise fail(f"{shown}:1", str(exc)) from None
    if len(header) < 2 or all(_number(name) is not None for name in header if name):
        raise fail(shown, "has no header of named columns (a step column and a rate column): "
                          f"first line {', '.join(header)[:60]!r}")
    step_name = next((s for wanted in STEP_COLUMNS for s in header if s.lower() == wanted), None)
    if step_name is None:
        raise fail(shown, f"has no step column (step, global_step, _step) among {', '.join(header)}")
    rate_name = pick_rate([h for h in header if h != step_name], rate, shown)
    for metric in metrics:
        if metric not in header:
            raise fail(shown, f"no metric {metric!r}{closest(metric, header)} (columns: {', '.join(header)})")
    wanted = [rate_name, *metrics]
    epoch = header.index(EPOCH_COLUMN) if EPOCH_COLUMN in header else None
    columns = _plain_columns(text, header, step_name, wanted, epoch, shown)
    if columns is None:
        reader = csv.reader(io.StringIO(text))
        next(reader)
        columns = _columns(reader, header, step_name, wanted, epoch, shown)
    lightning = step_name == STEP_COLUMNS[0] and rate_name.lower().startswith("lr-")
    offset = -1 if step_name.lower() in COUNTED_FROM_ONE else 0
    kind = "lightning" if lightning else "csv"
    series = {}
    for name in wanted:
        steps, values = columns[name]
        series[name] = _logged(steps + offset, values, shown, name, step_name, offset)
    return Log(shown, path, kind, rate_name, series.pop(rate_name), series,
               _csv_steps_per_epoch(columns.get(EPOCH_COLUMN)),
               _duplicates(shown, rate_name, columns[rate_name][0]), step_name, offset)


def _check_last_line(text: str, shown: str) -> None:
    """A CSV cut off ends in a line with fewer fields than the header and no line end."""
    if text.endswith(("\n", "\r")):
        return
    cut = text.rfind("\n")
    if cut < 0:
        return
    last = text[cut + 1 :]
    fields = len(next(csv.reader([text[: text.find("\n")]]), []))
    try:
        found = len(next(csv.reader([last]), []))
    except csv.Error:
        found = 0
    if found < fields:
        line = text.count("\n", 0, cut) + 2
        raise fail(f"{shown}:{line}", f"the last line is cut off ({found} of {fields} fields, no line end)")


def _plain_columns(text: str, header: list[str], step_name: str, wanted: Sequence[str],
                   epoch: int | None, shown: str) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
    """:func:`_columns` for the CSV every logger writes: no quotes, every row as wide as the
    header. A block of text at a time is split into its cells at once, each line's end marked by
    a cell of its own (END), and each column sliced out of them: no object is made per row, and
    a row of another width shows as an END out of place. None when the text is not that plain."""
    if '"' in text or END in text or text.count("\r") != text.count("\r\n"):
        return None
    width = len(header)
    at = header.index(step_name)
    indices = [header.index(name) for name in wanted]
    cells: list[list[str]] = [[] for _ in indices]
    steps: list[list[str]] = [[] for _ in indices]
    first_steps: dict[str, str] = {}
    crlf = "\r" in text
    position = text.find("\n") + 1
    while 0 < position < len(text):
        end = text.find("\n", position + BLOCK_CHARS)
        end = len(text) if end < 0 else end + 1
        block = text[position:end].replace("\r\n", "\n") if crlf else text[position:end]
        position = end
        lines = block.count("\n")
        flat = block.replace("\n", f",{END},").split(",")
        if block.endswith("\n"):
            flat.pop()  # the empty text after the last line's end
        else:
            lines += 1
            flat.append(END)
        if len(flat) != lines * (width + 1) or flat[width :: width + 1].count(END) != lines:
            return None  # blank lines or rows of other widths: the csv module pads them
        steps_column = flat[at :: width + 1]
        for slot, index in enumerate(indices):
            column = flat[index :: width + 1]
            if "" in column:
                cells[slot].extend(itertools.compress(column, column))
                steps[slot].extend(itertools.compress(steps_column, column))
            else:
                cells[slot].extend(column)
                steps[slot].extend(steps_column)
        if epoch is not None:
            _first_steps(first_steps, flat[epoch :: width + 1], steps_column)
    return _found(wanted, cells, steps, first_steps, step_name, shown)


def _columns(reader, header: list[str], step_name: str, wanted: Sequence[str], epoch: int | None,
             shown: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(steps, values) of each wanted column over the rows where it is filled, and (the first
    step, the epoch) of each epoch the epoch column names, all read in one pass.

    Rows are taken a few hundred at a time and turned into columns (``zip``), whose filled cells
    ``compress`` keeps: no Python code runs per row, and so few rows are alive at once that the
    garbage collector never runs, so reading costs little more than parsing.
    """
    at = header.index(step_name)
    indices = [header.index(name) for name in wanted]
    cells: list[list[str]] = [[] for _ in indices]
    steps: list[list[str]] = [[] for _ in indices]
    first_steps: dict[str, str] = {}  # epoch -> the step of its first row
    width = len(header)
    try:
        while chunk := list(itertools.islice(reader, CHUNK_ROWS)):
            if min(map(len, chunk)) < width:  # short or blank rows: pad them to the header
                chunk = [row + [""] * (width - len(row)) for row in chunk if row]
                if not chunk:
                    continue
            columns = list(zip(*chunk))
            for slot, index in enumerate(indices):
                column = columns[index]
                cells[slot].extend(itertools.compress(column, column))
                steps[slot].extend(itertools.compress(columns[at], column))
            if epoch is not None:
                _first_steps(first_steps, columns[epoch], columns[at])
    except csv.Error as exc:
        raise fail(f"{shown}:{reader.line_num}", str(exc)) from None
    return _found(wanted, cells, steps, first_steps, step_name, shown)


def _first_steps(first: dict[str, str], epochs: Sequence[str], steps: Sequence[str]) -> None:
    """Record the step of the first row of each epoch not seen yet (filled cells only)."""
    named = list(itertools.compress(epochs, epochs))
    at = list(itertools.compress(steps, epochs))
    # Reversed, so that each epoch keeps its first step; then the epochs seen before win.
    for epoch, step in dict(zip(reversed(named), reversed(at))).items():
        first.setdefault(epoch, step)


def _found(wanted: Sequence[str], cells: list[list[str]], steps: list[list[str]], first_steps: dict[str, str],
           step_name: str, shown: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    found = {}
    for name, slot_cells, slot_steps in zip(wanted, cells, steps):
        found[name] = (_ints(slot_steps, name, step_name, shown), _floats(slot_cells, name, shown))
    if first_steps:
        found[EPOCH_COLUMN] = (_ints(list(first_steps.values()), EPOCH_COLUMN, step_name, shown),
                               _floats(list(first_steps), EPOCH_COLUMN, shown))
    return found


def _floats(cells: list[str], name: str, shown: str) -> np.ndarray:
    try:
        return np.array(cells, dtype=np.float64)
    except ValueError:
        bad = next(c for c in cells if _number(c) is None)
        raise fail(shown, f"column {name!r}: {bad[:40]!r} is not a number") from None


def _ints(cells: list[str], name: str, step_name: str, shown: str) -> np.ndarray:
    if cells and all(cells[i].isdigit() for i in (0, -1)):
        try:  # step numbers as written by every logger: numpy's parser is 3x faster than float()
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                whole = np.fromstring(",".join(cells), dtype=np.int64, sep=",")
            if len(whole) == len(cells):
                return whole
        except (ValueError, DeprecationWarning):
            pass
    try:
        values = np.array(cells, dtype=np.float64)
    except ValueError:
        bad = next(c for c in cells if _number(c) is None)
        raise fail(shown, f"column {name!r} is filled on a row whose {step_name} is {bad[:40]!r}, "
                          "not a step number") from None
    whole = values.astype(np.int64)
    if not np.array_equal(whole, values):
        bad = values[whole != values][0]
        raise fail(shown, f"{step_name} {float(bad):g} is not a whole number")
    return whole


def _csv_steps_per_epoch(epochs: tuple[np.ndarray, np.ndarray] | None) -> int | None:
    """Steps per epoch from (first step, epoch) pairs (Lightning adds ``epoch`` to what the module
    logs): epochs 0, 1, 2, ... whose first steps are a constant apart, from 0."""
    if epochs is None:
        return None
    starts, numbers = epochs
    order = np.argsort(numbers, kind="stable")
    starts, numbers = starts[order], numbers[order]
    if len(starts) < 3 or not np.array_equal(numbers, np.arange(len(numbers))):
        return None
    gaps = np.diff(starts)
    if gaps[0] < 1 or not np.all(gaps[:-1] == gaps[0]) or starts[0] != 0:
        return None
    return int(gaps[0])


# --- TensorBoard event files ---------------------------------------------------------------------


def read_events(paths: Sequence[Path], shown: str, rate: str | None = None,
                metrics: Sequence[str] = ()) -> Log:
    """The scalars of TensorBoard event files (one run), by tag; a step logged in several files
    or twice keeps its last value. Tags of transformers' TensorBoardCallback (``train/...``,
    ``eval/...``) are written at Trainer's global step, counted from 1: row s - 1
    (integration_utils.py: ``self.tb_writer.add_scalar(k, v, state.global_step)``)."""
    scalars: dict[str, tuple[list[int], list[float]]] = {}
    for path in paths:
        for tag, step, value in _scalars(path, shown if len(paths) == 1 else f"{shown} ({path.name})"):
            steps, values = scalars.setdefault(tag, ([], []))
            steps.append(step)
            values.append(value)
    if not scalars:
        raise fail(shown, "holds no scalars")
    tags = list(scalars)
    rate_tag = pick_rate(tags, rate, shown, what="tag")
    for metric in metrics:
        if metric not in scalars:
            raise fail(shown, f"no tag {metric!r}{closest(metric, tags)} (tags: {', '.join(tags)})")
    offset = -1 if rate_tag.startswith("train/") else 0
    series = {}
    for tag in (rate_tag, *metrics):
        steps, values = scalars[tag]
        series[tag] = _logged(np.array(steps, dtype=np.int64) + offset, np.array(values, dtype=np.float64),
                              shown, tag, "step", offset)
    epoch = scalars.get(EPOCH_COLUMN)
    per_epoch = None
    if epoch is not None:
        first = dict(zip(reversed(epoch[1]), reversed(epoch[0])))  # epoch -> its first step
        per_epoch = _csv_steps_per_epoch((np.array(list(first.values()), dtype=np.int64),
                                          np.array(list(first), dtype=np.float64)))
    return Log(shown, paths[0], "tensorboard", rate_tag, series.pop(rate_tag), series, per_epoch,
               _duplicates(shown, rate_tag, np.array(scalars[rate_tag][0])), "step", offset)


def frame(data: bytes, shown: str) -> int:
    """The number of records in TFRecord ``data`` (8-byte length, 4-byte masked CRC-32C of it,
    the record, 4-byte CRC of the record), or an error naming the record that is cut off, or
    whose length is corrupted. The records' own checksums are the tensorboard reader's job."""
    position = count = 0
    while position < len(data):
        where = f"record {count + 1} (at byte {position:,} of {len(data):,})"
        if position + 12 > len(data):
            raise fail(shown, f"is cut off inside {where}")
        if masked_crc32c(data[position : position + 8]) != struct.unpack_from("<I", data, position + 8)[0]:
            raise fail(shown, f"is corrupted: the length of {where} fails its checksum")
        (length,) = struct.unpack_from("<Q", data, position)
        end = position + 12 + length + 4
        if end > len(data):
            raise fail(shown, f"is cut off inside {where}: {end - len(data):,} bytes of it are missing")
        position, count = end, count + 1
    return count


_CRC32C: list[int] = []


def masked_crc32c(data: bytes) -> int:
    """TFRecord's checksum: CRC-32C (Castagnoli), rotated right by 15 bits plus a constant."""
    if not _CRC32C:
        for byte in range(256):
            crc = byte
            for _ in range(8):
                crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
            _CRC32C.append(crc)
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    crc ^= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _scalars(path: Path, shown: str) -> Iterable[tuple[str, int, float]]:
    """(tag, step, value) of every scalar in one event file, after checking its records: the
    tensorboard reader stops quietly at a bad record (a file still being written ends in one),
    which for a finished log means it was cut off or corrupted."""
    try:
        from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
        from tensorboard.util import tensor_util
    except ImportError:
        raise fail(shown, f"is a TensorBoard event file; reading it needs the tensorboard package: "
                          f"pip install '{EXTRA}'") from None
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise fail(shown, f"cannot be read: {exc.strerror or exc}") from None
    if not data:
        raise fail(shown, "is empty")
    if not is_event_data(data[:64]):
        raise fail(shown, "is not a TensorBoard event file (its first record is not a brain.Event)")
    records = frame(data, shown)
    read = 0
    found = []
    for event in EventFileLoader(str(path)).Load():
        read += 1
        for value in event.summary.value:
            number = _scalar(value, tensor_util)
            if number is not None:
                found.append((value.tag, int(event.step), number))
    if read < records:
        raise fail(shown, f"is corrupted: record {read + 1} of {records} fails its checksum")
    return found


def _scalar(value: Any, tensor_util: Any) -> float | None:
    """A summary value's number: ``simple_value`` (older writers) or a scalar tensor."""
    if value.HasField("simple_value"):
        return float(value.simple_value)
    if value.HasField("tensor") and not value.tensor.tensor_shape.dim:
        array = tensor_util.make_ndarray(value.tensor)
        if array.dtype.kind in "iuf":
            return float(array)
    return None


# --- shared ---------------------------------------------------------------------------------------


def _logged(rows: np.ndarray, values: np.ndarray, shown: str, name: str, step_name: str,
            offset: int = 0) -> Logged:
    """A series in row order (row = logged step + ``offset``), a step logged twice keeping its
    last value (a resumed run logs the steps it redoes again; Lightning logs each step of a
    gradient accumulation once per batch)."""
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) and rows.min() < 0:
        raise fail(shown, f"{name} is logged at {step_name} {int(rows.min()) - offset}, before the first "
                          f"update ({step_name} counts from {-offset} in this format)")
    if len(rows) > 1 and not np.all(rows[1:] > rows[:-1]):
        order = np.argsort(rows, kind="stable")
        rows, values = rows[order], np.asarray(values)[order]
        last = np.append(rows[1:] != rows[:-1], True)
        rows, values = rows[last], values[last]
    return Logged(rows, np.asarray(values, dtype=np.float64))


def _duplicates(shown: str, name: str, steps: np.ndarray) -> tuple[str, ...]:
    steps = np.asarray(steps)
    if len(steps) < 2 or np.all(steps[1:] > steps[:-1]):
        return ()
    repeated = len(steps) - len(np.unique(steps))
    if not repeated:
        return ()
    return (f"{shown}: {repeated} {name} value{'s' if repeated > 1 else ''} logged again at a step already "
            "logged (a resumed run?); the last value of each step is used",)


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    return "null" if value is None else f"{type(value).__name__} {json.dumps(value)[:30]}" \
        if isinstance(value, (str, list, dict, bool)) else type(value).__name__


# --- a log as a curve ---------------------------------------------------------------------------


class LogSpec(Record):
    """A validated request to draw a log: the log read, the metric to show, and the options a
    schedule's spec has (label, steps, steps per epoch). What ``compare`` takes as ``"log FILE"``;
    a record like a schedule's Spec, so that what labels specs labels it too."""

    FIELDS = (("log", REQUIRED), ("metric", REQUIRED), ("label", REQUIRED), ("steps", REQUIRED),
              ("steps_per_epoch", None), ("given", frozenset()), ("schedule", "log"))

    log: Log
    metric: str | None
    label: str
    steps: int
    steps_per_epoch: int | None
    given: frozenset[str]
    schedule: str

    @property
    def params(self) -> dict[str, Any]:
        return {"file": self.log}

    def curve(self) -> Curve:
        return log_curve(self.log, self.label, self.metric, self.steps, self.steps_per_epoch)


def build(file: str, tag: str | None = None, metric: str | None = None, label: str | None = None,
          steps: int | None = None, steps_per_epoch: int | None = None,
          base_dir: Path | None = None) -> LogSpec:
    """Read the log ``file`` into a request to draw it: its rate (``tag``), a ``metric`` beside
    it, over ``steps`` rows (default: to the last row logged), with the log's own steps per epoch
    unless ``steps_per_epoch`` is given."""
    log = read(file, tag, [metric] if metric else [], base_dir)
    rows = steps or log.rows
    _check_memory(rows, file, steps is not None)
    given = frozenset(name for name, value in (("tag", tag), ("metric", metric), ("label", label),
                                               ("steps", steps), ("steps_per_epoch", steps_per_epoch))
                      if value is not None)
    return LogSpec(log, metric, label or f"log {file}", rows, steps_per_epoch or log.steps_per_epoch, given)


def _check_memory(rows: int, file: str, asked: bool) -> None:
    need = rows * BYTES_PER_ROW
    if need > available_memory():
        what = f"--steps {rows:,}" if asked else f"its last logged step, {rows - 1:,},"
        raise fail(file, f"{what} makes a curve of {rows:,} rows, which needs about {need / 2**30:,.3g} GiB "
                         "of memory; more than is available" + ("" if asked else " (set --steps)"))


def dense(series: Logged, rows: int) -> np.ndarray:
    """A logged series as a curve of ``rows`` rows: its values at the rows it was logged at, NaN
    (not logged) everywhere else."""
    out = np.full(rows, np.nan)
    keep = series.rows < rows
    out[series.rows[keep]] = series.values[keep]
    return out


def log_curve(log: Log, label: str, metric: str | None = None, rows: int | None = None,
              steps_per_epoch: int | None = None) -> Curve:
    """The log as a curve: row t holds the rate logged for update t, NaN where none was (the
    index convention of every curve, so a log lines up with a planned schedule row for row)."""
    rows = log.rows if rows is None else rows
    series = {"metric": dense(log.metrics[metric], rows)} if metric else {}
    fmt = log.format
    params = {"file": log.shown, "format": fmt.name, "rate": log.rate}
    if metric:
        params["metric"] = metric
    derived = {
        "convention": fmt.convention,
        "logged_rates": len(log.rates),
        "first_logged_step": int(log.rates.rows[0]),
        "last_logged_step": int(log.rates.rows[-1]),
    }
    return Curve(
        label=label, schedule="log", params=params, lr=dense(log.rates, rows), series=series,
        annotations=Annotations(), steps_per_epoch=steps_per_epoch, warnings=log.warnings,
        framework="log", origin=fmt.origin, row_unit="step", derived=derived,
    )


# --- a log as a metric source (plateau --metrics) -----------------------------------------------


@dataclass(frozen=True)
class MetricColumn:
    """A logged metric for ReduceLROnPlateau: its values, and the epoch (counted from 0) at whose
    end each was measured when the log says so (None: one row per value, ``why`` says why)."""

    name: str
    values: np.ndarray
    epochs: np.ndarray | None
    why: str = ""


PLATEAU_NOISE = ("_runtime", "_samples_per_second", "_steps_per_second")


def metric_column(path: Path, shown: str, column: str | None) -> MetricColumn:
    """A metric of a trainer_state.json or a TensorBoard log, for plateau: ``column`` (default:
    eval_loss, the metric Trainer steps ReduceLROnPlateau with unless told otherwise)."""
    if path.is_dir() or is_log_path(path):
        return _events_metric(path, shown, column)
    text = read_text(path, shown, "metrics file", InputError, MAX_BYTES)
    return hf_metric(parse_json(text, shown), shown, column)


def hf_metric(data: Any, shown: str, column: str | None) -> MetricColumn:
    """Trainer's evaluation metric: ``epoch`` in its entries is the epochs done (a float), so an
    evaluation at epoch e (a whole number) was at the end of epoch e - 1 counted from 0. Trainer
    steps ReduceLROnPlateau after each evaluation with its metric (trainer.py line 3331,
    ``self.lr_scheduler.step(metrics[metric_to_check])``), so evaluations between whole epochs
    are one row each."""
    history = history_of(data, shown)
    names = [n for n in hf_names(history) if n.startswith("eval_") and not n.endswith(PLATEAU_NOISE)]
    name = column or ("eval_loss" if "eval_loss" in names else None)
    if name is None:
        raise fail(shown, f"pick the metric with --column (evaluation metrics: {', '.join(names) or 'none'})")
    steps, values, epochs = _hf_series(history, name, shown, with_epochs=True)
    if not len(steps):
        every = hf_names(history)
        raise fail(shown, f"no metric {name!r}{closest(name, every)} (metrics: {', '.join(every)})")
    if epochs is not None and np.all((epochs >= 1) & (epochs == np.round(epochs))) and _increasing(epochs):
        return MetricColumn(name, values, epochs.astype(np.int64) - 1)
    where = ", ".join(str(int(s)) for s in steps[:3]) + (", ..." if len(steps) > 3 else "")
    return MetricColumn(name, values, None,
                        f"{name} is logged at steps {where}, not at whole epochs: one row per evaluation "
                        "(Trainer steps ReduceLROnPlateau after each)")


def _events_metric(path: Path, shown: str, column: str | None) -> MetricColumn:
    """A TensorBoard tag as a metric; epochs from the ``epoch`` tag at the same steps (Lightning
    logs one), else one row per value."""
    paths = sorted(p for p in path.rglob(f"{EVENTS}*") if p.is_file()) if path.is_dir() else [path]
    if not paths:
        raise InputError(f"metrics file {shown} is a directory, not a file nor a TensorBoard run folder "
                         f"(no {EVENTS}.* in it)")
    scalars: dict[str, dict[int, float]] = {}
    for one in paths:
        for tag, step, value in _scalars(one, shown):
            scalars.setdefault(tag, {})[step] = value
    tags = [t for t in scalars if t != EPOCH_COLUMN and not is_rate_name(t)]
    if column is None:
        if len(tags) != 1:
            raise fail(shown, f"pick the metric with --column (tags: {', '.join(tags) or 'none'})")
        column = tags[0]
    if column not in scalars:
        raise fail(shown, f"no tag {column!r}{closest(column, list(scalars))} (tags: {', '.join(scalars)})")
    steps = sorted(scalars[column])
    values = np.array([scalars[column][s] for s in steps])
    epoch = scalars.get(EPOCH_COLUMN, {})
    if steps and all(s in epoch for s in steps):
        epochs = np.array([epoch[s] for s in steps])
        if np.all(epochs == np.round(epochs)) and _increasing(epochs):
            return MetricColumn(column, values, epochs.astype(np.int64))
    return MetricColumn(column, values, None,
                        f"{column} has no epoch tag beside it: one row (one step of the scheduler) per value")


def _increasing(values: np.ndarray) -> bool:
    return bool(len(values) == 0 or (values[0] >= 0 and np.all(np.diff(values) > 0)))


def window(log: Log, rows: int) -> Log:
    """The log cut to its first ``rows`` rows."""
    def cut(series: Logged) -> Logged:
        keep = series.rows < rows
        return Logged(series.rows[keep], series.values[keep])

    return replace(log, rates=cut(log.rates), metrics={k: cut(v) for k, v in log.metrics.items()})

