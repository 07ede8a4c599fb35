"""Performance scheduling: torch's ReduceLROnPlateau, driven by a recorded metric series."""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lrplot.params import Choice, Integer, Invalid, Real, Series, Text, literal
from lrplot.registry import Annotations, Context, Event, Schedule, Stepping, register

from . import _kernels
from ._common import BASE_LR

if TYPE_CHECKING:
    from lrplot import series


class Better:
    """torch's improvement test ``better(current, best)``, with the same float operations: for
    mode min, ``current < bound(best)`` (best·(1 − threshold), or best − threshold); for max,
    ``current > bound(best)``.

    It works on floats and, elementwise, on arrays (``best`` may be an array of earlier values).
    """

    def __init__(self, mode: str, threshold: float, threshold_mode: str) -> None:
        self.lower = mode == "min"
        self.relative = threshold_mode == "rel"
        self.threshold = threshold
        self.rel_epsilon = 1.0 - threshold if self.lower else threshold + 1.0

    def bound(self, best):
        if self.relative:
            return best * self.rel_epsilon
        return best - self.threshold if self.lower else best + self.threshold

    def __call__(self, current, best):
        bound = self.bound(best)
        return current < bound if self.lower else current > bound

    def keeps_records(self, values: np.ndarray) -> bool:
        """Whether every improvement is a new record (a strict running minimum, or maximum),
        with a bound that grows with best: true unless a relative threshold meets negative
        values (torch's best·(1 − threshold) is then above best)."""
        if not math.isfinite(self.threshold):
            return False
        if not self.relative or self.threshold == 0 or len(values) == 0:
            return True
        with np.errstate(invalid="ignore"):
            return not bool(np.any(values < 0))


def is_better(mode: str, threshold: float, threshold_mode: str) -> Better:
    """torch's improvement test ``better(current, best)`` (see :class:`Better`)."""
    return Better(mode, threshold, threshold_mode)


# The state of ReduceLROnPlateau changes only at improvements and at reductions, and which steps
# improve does not depend on the rate at all. So the scan is three small passes: the runs of
# improving steps, the steps that reduce (jumping from gap to gap), then the rates. Where
# improvements are dense (more than DENSE per step after DENSE_RUNS runs) they are read off the
# running minimum instead; where that does not apply, a plain loop over the steps is faster.
DENSE = 1 / 32
DENSE_RUNS = 64
# The scan reads the metrics in prefixes growing by this factor, and stops once it has all the
# cuts that can still change the rate.
FIRST_PREFIX = 1 << 12
PREFIX_GROWTH = 8


def worst(mode: str) -> float:
    """torch's starting ``best``: nothing is worse."""
    return math.inf if mode == "min" else -math.inf


def decisions(
    values: np.ndarray,
    mode: str,
    threshold: float,
    threshold_mode: str,
    patience: int,
    cooldown: int,
    cuts_wanted: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The steps that improve on the best and the steps that reduce the rate, for ``step(v)``
    called with each of ``values`` in turn: vectorized where events are sparse, else a loop.

    With ``cuts_wanted``, only the first that many cuts (and the improvements before them) are
    needed: the metrics are read in growing prefixes until they are found. The decisions within
    a prefix are final, since torch's step never looks ahead.
    """
    n = len(values)
    if cuts_wanted == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    length = n if cuts_wanted is None else min(n, FIRST_PREFIX)
    while True:
        improved, cuts = _decisions(values[:length], mode, threshold, threshold_mode, patience, cooldown,
                                    cuts_wanted)
        if length == n or len(cuts) >= cuts_wanted:
            if cuts_wanted is not None and len(cuts) > cuts_wanted:
                cuts = cuts[:cuts_wanted]
                improved = improved[improved < cuts[-1]]
            return improved, cuts
        length = min(n, length * PREFIX_GROWTH)


def _decisions(
    values: np.ndarray,
    mode: str,
    threshold: float,
    threshold_mode: str,
    patience: int,
    cooldown: int,
    wanted: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    better = is_better(mode, threshold, threshold_mode)
    runs = improvement_runs(values, better, worst(mode), give_up=True)
    if runs is None:
        return decisions_by_loop(values, mode, threshold, threshold_mode, patience, cooldown)
    starts, stops = runs
    return _ranges(starts, stops), reductions(starts, stops, len(values), patience, cooldown, wanted)


def decisions_by_loop(
    values: np.ndarray, mode: str, threshold: float, threshold_mode: str, patience: int, cooldown: int
) -> tuple[np.ndarray, np.ndarray]:
    """torch's ``step`` one call at a time (the reference the vectorized path is tested against)."""
    better = is_better(mode, threshold, threshold_mode)
    best = worst(mode)
    bad = cooling = 0
    improved: list[int] = []
    reduced: list[int] = []
    for step, current in enumerate(values.tolist()):
        if better(current, best):
            best, bad = current, 0
            improved.append(step)
        else:
            bad += 1
        if cooling > 0:
            cooling -= 1
            bad = 0
        if bad > patience:
            reduced.append(step)
            cooling, bad = cooldown, 0
    return np.array(improved, dtype=np.intp), np.array(reduced, dtype=np.intp)


def improvement_runs(values: np.ndarray, better: Better, best: float, give_up: bool = False):
    """Runs [start, stop) of consecutive improving steps, as (starts, stops).

    A step right after an improvement improves exactly when it beats its predecessor (which is the
    best then), so a run ends at the first step that does not; between runs, a widening window
    search finds the next value that beats the best. Once runs are dense, the rest are read off
    the records (:func:`_record_improvements`); where those do not apply, ``give_up`` returns None
    (the caller's loop is faster than jumping from run to run), else the jumping goes on.
    """
    n = len(values)
    starts: list[int] = []
    stops: list[int] = []
    step = 0
    while step < n:
        if len(starts) >= DENSE_RUNS and len(starts) > DENSE * step:
            if better.keeps_records(values[step:]):
                improved = step + _record_improvements(values[step:], better, best)
                more_starts, more_stops = _runs_of(improved)
                starts += more_starts.tolist()
                stops += more_stops.tolist()
                break
            if give_up:
                return None
        first = _first_beating(values, step, best, better)
        if first < 0:
            break
        stop = _run_end(values, first, better)
        starts.append(first)
        stops.append(stop)
        best = values[stop - 1]
        step = stop
    return np.array(starts, dtype=np.intp), np.array(stops, dtype=np.intp)


def _first_beating(values: np.ndarray, start: int, best: float, better) -> int:
    """The first index >= start whose value beats ``best``, or -1."""
    width = 256
    while start < len(values):
        hits = np.flatnonzero(better(values[start : start + width], best))
        if hits.size:
            return start + int(hits[0])
        start += width
        width *= 2
    return -1


def _run_end(values: np.ndarray, first: int, better) -> int:
    """The first index after ``first`` whose value does not beat the one before it, or len(values)."""
    start, width = first + 1, 16
    while start < len(values):
        window = values[start : start + width]
        misses = np.flatnonzero(~better(window, values[start - 1 : start - 1 + len(window)]))
        if misses.size:
            return start + int(misses[0])
        start += width
        width *= 2
    return len(values)


def _record_improvements(values: np.ndarray, better: Better, best: float) -> np.ndarray:
    """The improving steps, from the records of ``values`` (where ``better.keeps_records``).

    Every improvement is then a record: it beats a best that every earlier value is at least as
    bad as. And from an improvement with value b, the next one is the first record that beats b:
    an earlier value beating b would make an earlier record beat it. Records are monotone, so
    "the first record beating each record" is one searchsorted, and the chain of improvements
    from ``best`` follows those links.
    """
    lower = better.lower
    running = (np.fmin if lower else np.fmax).accumulate(values)
    before = np.empty_like(running)
    before[0] = math.inf if lower else -math.inf
    before[1:] = running[:-1]
    # Before the first number the running extreme is NaN: nothing has been seen, so the worst.
    np.copyto(before, math.inf if lower else -math.inf, where=np.isnan(before))
    records = np.flatnonzero(values < before if lower else values > before)
    del running, before
    kept = values[records]
    key = -kept if lower else kept  # increasing
    bounds = better.bound(kept)
    following = np.searchsorted(key, -bounds if lower else bounds, side="right").tolist()
    first_bound = better.bound(best)
    at = int(np.searchsorted(key, -first_bound if lower else first_bound, side="right"))
    chain = []
    while at < len(kept):
        chain.append(at)
        at = following[at]
    return records[np.array(chain, dtype=np.intp)]


def _runs_of(steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted steps as runs [start, stop) of consecutive ones."""
    if steps.size == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    breaks = np.flatnonzero(np.diff(steps) != 1)
    starts = steps[np.concatenate(([0], breaks + 1))]
    stops = steps[np.concatenate((breaks, [len(steps) - 1]))] + 1
    return starts, stops


def reductions(
    starts: np.ndarray, stops: np.ndarray, steps: int, patience: int, cooldown: int, wanted: int | None = None
) -> np.ndarray:
    """The steps at which the rate is cut, given the runs of improving steps (the first ``wanted``
    of them, when given).

    Bad epochs count from ``free``: the step after the last improvement or after the cooldown of
    the last cut, whichever is later. With no improvement, cuts fall at free + patience, then
    every cooldown + patience + 1 steps. A gap of at most ``patience`` steps between two runs
    never holds a cut (counting starts in it at the earliest), so such runs are joined first.
    """
    if len(starts) > 1:
        wide = np.flatnonzero(starts[1:] - stops[:-1] > patience)
        starts = starts[np.concatenate(([0], wide + 1))]
        stops = stops[np.concatenate((wide, [len(stops) - 1]))]
    begins, ends = starts.tolist(), stops.tolist()
    period = cooldown + patience + 1
    cuts: list[np.ndarray] = []
    found = 0
    free, last_cut, run = 0, None, 0
    while wanted is None or found < wanted:
        # ``free`` only moves forward, and so does ``run``: the first run that has not ended.
        while run < len(begins) and ends[run] <= free:
            run += 1
        # Inside a run of improvements nothing counts as bad: counting starts after the run.
        if run < len(begins) and begins[run] <= free:
            free = ends[run]
            run += 1
        next_improvement = begins[run] if run < len(begins) else steps
        first = free + patience
        if first < next_improvement:
            cut = np.arange(first, next_improvement, period, dtype=np.intp)
            cuts.append(cut)
            found += len(cut)
            last_cut = int(cut[-1])
        if run >= len(begins):
            break
        cooled = last_cut + cooldown + 1 if last_cut is not None else 0
        free = max(ends[run], cooled)
    return np.concatenate(cuts) if cuts else np.zeros(0, dtype=np.intp)


def _ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """The concatenation of range(start, stop) for every run, without a Python loop."""
    lengths = stops - starts
    if lengths.size == 0:
        return np.zeros(0, dtype=np.intp)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return np.arange(lengths.sum(), dtype=np.intp) + offsets


@lru_cache(maxsize=8)
def plateau_scan(
    metrics: series.MetricSeries,
    lr: float,
    mode: str,
    factor: float,
    patience: int,
    threshold: float,
    threshold_mode: str,
    cooldown: int,
    min_lr: float,
    eps: float,
) -> tuple[tuple[int, ...], tuple[float, ...], tuple[Event, ...]]:
    """The rates for rows 0..N-1 (N metric values) as (changes, levels, events): rows
    [changes[i], changes[i+1]) hold levels[i]; events are the reductions that shaped them.

    Row t is the rate in force during epoch t, after ``step(metric)`` for epochs 0..t-1:
    a metric that does not beat ``best`` (by ``threshold``) is a bad epoch; more than ``patience``
    bad epochs in a row set η ← max(η·factor, min_lr) (skipped when the drop is <= eps), then
    ``cooldown`` epochs pass during which bad epochs are not counted.
    """
    values = metrics.values
    stepped = values[: len(values) - 1]  # the last metric's step would shape row N, not shown
    wanted = _cuts_that_matter(lr, factor, min_lr, eps)
    improved, cuts = decisions(stepped, mode, threshold, threshold_mode, patience, cooldown, wanted)
    rate = lr
    events: list[Event] = []
    # With the file's own epoch numbers, the step(metric) of value i ends epoch ``epoch_of(i)``:
    # its cut holds from the next epoch on, and counts run over epochs, not values.
    epoch = metrics.epoch_of
    for cut in cuts.tolist():
        new = max(rate * factor, min_lr)
        if not rate - new > eps:
            break  # the rate no longer changes, so no later cut can change it either
        last = int(np.searchsorted(improved, cut)) - 1
        if last >= 0:
            best = int(improved[last])
            why = (
                f"no improvement on {values[best]:.6g} (epoch {epoch(best)}) "
                f"for {epoch(cut) - epoch(best)} epochs"
            )
        else:
            why = f"no usable metric for {epoch(cut) + 1} epochs"
        events.append(Event(epoch(cut) + 1, "reduce", rate, new, why))
        rate = new
    changes = (0, *(e.step for e in events), metrics.rows)
    levels = (lr, *(e.new for e in events))
    return changes, levels, tuple(events)


# Beyond this many cuts that still change the rate, the scan just reads every metric.
MAX_CUTS_COUNTED = 10_000


def _cuts_that_matter(lr: float, factor: float, min_lr: float, eps: float) -> int | None:
    """How many cuts change the rate before one would not (after which none can): the scan
    stops looking there. None when there are too many to count quickly."""
    rate = lr
    for count in range(MAX_CUTS_COUNTED):
        new = max(rate * factor, min_lr)
        if not rate - new > eps:
            return count
        rate = new
    return None


SCAN_ARGS = (
    "metrics",
    "lr",
    "mode",
    "factor",
    "patience",
    "threshold",
    "threshold_mode",
    "cooldown",
    "min_lr",
    "eps",
)


def _scan(params: Mapping[str, Any]) -> tuple[tuple[int, ...], tuple[float, ...], tuple[Event, ...]]:
    return plateau_scan(*(params[name] for name in SCAN_ARGS))


def reduce_on_plateau(
    t: np.ndarray,
    *,
    metrics: series.MetricSeries,
    lr: float,
    mode: str,
    factor: float,
    patience: int,
    threshold: float,
    threshold_mode: str,
    cooldown: int,
    min_lr: float,
    eps: float,
) -> np.ndarray:
    """η_t = the rate ReduceLROnPlateau holds during epoch t (see :func:`plateau_scan`)."""
    changes, levels, _ = plateau_scan(
        metrics, lr, mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps
    )
    return np.array(levels)[np.searchsorted(changes[1:-1], t, side="right")]


def reduce_on_plateau_range(first: int, n: int, **params: Any) -> np.ndarray:
    """:func:`reduce_on_plateau` at epochs first..first+n-1 (its parameters, ``params``): the
    scan's levels as pieces."""
    changes, levels, _ = _scan(params)
    bounds = [min(max(change - first, 0), n) for change in changes]
    bounds[0], bounds[-1] = 0, n
    return _kernels.pieces(n, bounds, levels)


def _metric(t: np.ndarray, *, metrics: series.MetricSeries) -> dict[str, np.ndarray]:
    return {"metric": metrics.by_row[t.astype(np.intp)]}


def _metric_range(first: int, n: int, *, metrics: series.MetricSeries) -> dict[str, np.ndarray]:
    # A copy: the cached series must not be handed out to be modified.
    return {"metric": metrics.by_row[first : first + n].copy()}


def resolve(params: dict[str, Any], context: Context) -> dict[str, Any]:
    """Read the metric series (a file, or an inline list) and check the threshold makes sense."""
    params = load_metrics(params, context)
    if params["threshold_mode"] == "rel" and params["threshold"] >= 1:
        raise Invalid(
            "{} must be < 1 with {} rel (it is a fraction of the best value)",
            "threshold",
            "threshold_mode",
        )
    return params


def load_metrics(params: dict[str, Any], context: Context) -> dict[str, Any]:
    """``params`` with ``metrics`` (a file, or an inline list) read into a series, and ``column``
    the one it was read from: the one reader of every plateau schedule (torch's, Hugging Face's,
    timm's). ``--column`` applies to files with named columns only."""
    from lrplot import series  # its readers (csv, json) are paid for only when metrics are read

    source, column = params["metrics"], params["column"]
    if not isinstance(source, str):
        if column is not None:
            raise Invalid("{} applies only to CSV metrics files, not an inline list", "column")
        metrics = series.from_values(source)
    else:
        if column is not None and not _has_columns(source, context.base_dir):
            raise Invalid(COLUMN_FILES, "column")
        metrics = series.load(source, column, context.base_dir)
        if column is not None and metrics.column is None:
            raise Invalid(COLUMN_FILES + ", not a JSON list", "column")
    return {**params, "metrics": metrics, "column": metrics.column}


COLUMN_FILES = (
    "{} applies only to CSV metrics files and training logs (.csv, trainer_state.json, TensorBoard)"
)


def _has_columns(source: str, base_dir: Path | None) -> bool:
    """Whether a metrics file can have named columns: CSV, JSON (a trainer_state.json) or a
    TensorBoard log (an event file or a run folder)."""
    if source.lower().endswith((".csv", ".json")):
        return True
    from lrplot import logs

    path = Path(source)
    return logs.is_log_path(path if base_dir is None or path.is_absolute() else base_dir / path)


def limit(params: Mapping[str, Any]) -> tuple[int, Invalid]:
    metrics = params["metrics"]
    if metrics.epochs is not None:
        return metrics.rows, Invalid(
            f"the metrics in {literal(metrics.describe())} end at epoch {metrics.rows - 1}; "
            "row t needs the metrics of the epochs before t"
        )
    return len(metrics), Invalid(
        f"there are {len(metrics)} metric values in {literal(metrics.describe())}, one per epoch; "
        "row t needs the metrics of epochs 0..t-1"
    )


def annotate(params: Mapping[str, Any], n: int) -> Annotations:
    events = _scan(params)[2]
    return Annotations(
        events=tuple(e for e in events if e.step < n),
        guides={"min_lr": params["min_lr"]} if params["min_lr"] > 0 else {},
    )


PLATEAU = register(
    Schedule(
        name="plateau",
        origin="torch.optim.lr_scheduler.ReduceLROnPlateau",
        signature=(
            "optimizer", "mode", "factor", "patience", "threshold", "threshold_mode", "cooldown",
            "min_lr", "eps",
        ),
        summary="Cut the rate by factor when a recorded metric stops improving.",
        params=(
            BASE_LR,
            Series(
                "metrics",
                "The metric per epoch: one number a line, a CSV with a header (its epoch column "
                "honoured), a JSON list, or a training log (trainer_state.json, TensorBoard).",
                required=True,
                argument=False,
            ),
            Text("column", "The CSV column or logged metric to read (default: the one that is not "
                 "step/epoch; eval_loss in a trainer_state.json).", argument=False),
            Choice(
                "mode",
                "min: lower is better (a loss); max: higher is better (an accuracy).",
                "min",
                choices=("min", "max"),
            ),
            Real("factor", "new rate = rate x factor.", 0.1, gt=0, lt=1),
            Integer("patience", "Bad epochs tolerated before the rate is cut.", 10, ge=0),
            Real("threshold", "How much better than the best a metric must be to count.", 1e-4, ge=0),
            Choice(
                "threshold_mode",
                "rel: best x (1 -/+ threshold); abs: best -/+ threshold.",
                "rel",
                choices=("rel", "abs"),
            ),
            Integer("cooldown", "Epochs after a cut during which bad epochs are not counted.", 0, ge=0),
            Real("min_lr", "The rate never goes below this.", 0.0, ge=0),
            Real("eps", "Cuts smaller than this are skipped.", 1e-8, ge=0),
        ),
        lr=reduce_on_plateau,
        lr_range=reduce_on_plateau_range,
        row_unit="epoch",
        metric="metrics",
        warn=lambda p, n: p["metrics"].warnings,
        horizon=lambda p: p["metrics"].rows,
        horizon_text="one row per epoch up to the last metric value",
        resolve=resolve,
        limit=limit,
        extras=_metric,
        extras_range=_metric_range,
        annotate=annotate,
        example="plateau --lr 0.001 --metrics val.csv --column val_acc --mode max --patience 2",
        stepping=Stepping(
            refused="torch's SequentialLR and ChainedScheduler refuse ReduceLROnPlateau "
            "(its step() needs the metric, which they do not pass on)"
        ),
    )
)
