"""Performance scheduling: torch's ReduceLROnPlateau, driven by a recorded metric series."""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from lrplot import series
from lrplot.params import Choice, Integer, Invalid, Real, Series, Text
from lrplot.registry import Annotations, Context, Event, Schedule, Stepping, register
from lrplot.steps import as_slice

from ._common import BASE_LR


def is_better(mode: str, threshold: float, threshold_mode: str):
    """torch's improvement test ``better(current, best)``, with the same float operations.

    It works on floats and, elementwise, on arrays (``best`` may be an array of earlier values).
    """
    if mode == "min" and threshold_mode == "rel":
        rel_epsilon = 1.0 - threshold
        return lambda a, best: a < best * rel_epsilon
    if mode == "min":
        return lambda a, best: a < best - threshold
    if threshold_mode == "rel":
        rel_epsilon = threshold + 1.0
        return lambda a, best: a > best * rel_epsilon
    return lambda a, best: a > best + threshold


# The state of ReduceLROnPlateau changes only at improvements and at reductions, and which steps
# improve does not depend on the rate at all. So the scan is three small passes: the runs of
# improving steps, the steps that reduce (jumping from run to run), then the rates. Where
# improvements come in many short runs, a plain loop over the steps is faster than jumping.
DENSE = 1 / 32


def worst(mode: str) -> float:
    """torch's starting ``best``: nothing is worse."""
    return math.inf if mode == "min" else -math.inf


def decisions(
    values: np.ndarray, mode: str, threshold: float, threshold_mode: str, patience: int, cooldown: int
) -> tuple[np.ndarray, np.ndarray]:
    """The steps that improve on the best and the steps that reduce the rate, for ``step(v)``
    called with each of ``values`` in turn: vectorized where events are sparse, else a loop."""
    better = is_better(mode, threshold, threshold_mode)
    starts, stops = improvement_runs(values, better, worst(mode))
    if len(starts) > DENSE * len(values):
        return decisions_by_loop(values, mode, threshold, threshold_mode, patience, cooldown)
    improved = _ranges(starts, stops)
    return improved, reductions(starts, stops, len(values), patience, cooldown)


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


def improvement_runs(values: np.ndarray, better, best: float) -> tuple[np.ndarray, np.ndarray]:
    """Runs [start, stop) of consecutive improving steps.

    A step right after an improvement improves exactly when it beats its predecessor (which is the
    best then), so whole runs are found at once; between runs, a widening window search finds the
    next value that beats the best.
    """
    n = len(values)
    beats_previous = np.zeros(n, dtype=bool)
    beats_previous[1:] = better(values[1:], values[:-1])
    breaks = np.flatnonzero(~beats_previous)
    starts: list[int] = []
    stops: list[int] = []
    step = 0
    while step < n:
        first = _first_beating(values, step, best, better)
        if first < 0:
            break
        stop = breaks[np.searchsorted(breaks, first, side="right")] if breaks[-1] > first else n
        starts.append(first)
        stops.append(int(stop))
        best = values[stop - 1]
        step = int(stop)
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


def reductions(starts: np.ndarray, stops: np.ndarray, steps: int, patience: int, cooldown: int) -> np.ndarray:
    """The steps at which the rate is cut, given the runs of improving steps.

    Bad epochs count from ``free``: the step after the last improvement or after the cooldown of
    the last cut, whichever is later. With no improvement, cuts fall at free + patience, then
    every cooldown + patience + 1 steps.
    """
    period = cooldown + patience + 1
    cuts: list[np.ndarray] = []
    free, last_cut, run = 0, None, 0
    while True:
        # Inside a run of improvements nothing counts as bad: counting starts after the run.
        inside = int(np.searchsorted(starts, free, side="right")) - 1
        if inside >= 0 and stops[inside] > free:
            free = int(stops[inside])
        run = int(np.searchsorted(starts, free, side="left"))
        next_improvement = int(starts[run]) if run < len(starts) else steps
        first = free + patience
        if first < next_improvement:
            cut = np.arange(first, next_improvement, period, dtype=np.intp)
            cuts.append(cut)
            last_cut = int(cut[-1])
        if run >= len(starts):
            break
        cooled = last_cut + cooldown + 1 if last_cut is not None else 0
        free = max(int(stops[run]), cooled)
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
) -> tuple[np.ndarray, tuple[Event, ...]]:
    """Rates for rows 0..N-1 (N metric values) and the reductions that shaped them.

    Row t is the rate in force during epoch t, after ``step(metric)`` for epochs 0..t-1:
    a metric that does not beat ``best`` (by ``threshold``) is a bad epoch; more than ``patience``
    bad epochs in a row set η ← max(η·factor, min_lr) (skipped when the drop is <= eps), then
    ``cooldown`` epochs pass during which bad epochs are not counted.
    """
    values = metrics.values
    stepped = values[: len(values) - 1]  # the last metric's step would shape row N, not shown
    improved, cuts = decisions(stepped, mode, threshold, threshold_mode, patience, cooldown)
    rate = lr
    events: list[Event] = []
    for cut in cuts.tolist():
        new = max(rate * factor, min_lr)
        if not rate - new > eps:
            break  # the rate no longer changes, so no later cut can change it either
        last = int(np.searchsorted(improved, cut)) - 1
        if last >= 0:
            best_epoch = int(improved[last])
            why = (
                f"no improvement on {values[best_epoch]:.6g} (epoch {best_epoch}) "
                f"for {cut - best_epoch} epochs"
            )
        else:
            why = f"no usable metric for {cut + 1} epochs"
        events.append(Event(cut + 1, "reduce", rate, new, why))
        rate = new
    changes = [0, *(e.step for e in events), len(values)]
    levels = [lr, *(e.new for e in events)]
    rates = np.repeat(np.array(levels, dtype=np.float64), np.diff(changes))
    return rates, tuple(events)


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


def _scan(params: Mapping[str, Any]) -> tuple[np.ndarray, tuple[Event, ...]]:
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
    rates, _ = plateau_scan(
        metrics, lr, mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps
    )
    return _rows(rates, t)


def _rows(values: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``values`` at steps ``t``: a copy of a slice when t is a plain range (the cached scan
    must not be handed out to be modified), else gathered."""
    rows = as_slice(t)
    return values[rows].copy() if rows is not None else values[t.astype(np.intp)]


def _metric(t: np.ndarray, *, metrics: series.MetricSeries) -> dict[str, np.ndarray]:
    return {"metric": _rows(metrics.values, t)}


def resolve(params: dict[str, Any], context: Context) -> dict[str, Any]:
    """Read the metric series (a file, or an inline list) and check the threshold makes sense."""
    source, column = params["metrics"], params["column"]
    if not isinstance(source, str):
        if column is not None:
            raise Invalid("{} applies only to CSV metrics files, not an inline list", "column")
        metrics = series.from_values(source)
    else:
        if column is not None and not source.lower().endswith(".csv"):
            raise Invalid("{} applies only to CSV metrics files (.csv)", "column")
        metrics = series.load(source, column, context.base_dir)
    if params["threshold_mode"] == "rel" and params["threshold"] >= 1:
        raise Invalid(
            "{} must be < 1 with {} rel (it is a fraction of the best value)",
            "threshold",
            "threshold_mode",
        )
    return {**params, "metrics": metrics, "column": metrics.column}


def limit(params: Mapping[str, Any]) -> tuple[int, Invalid]:
    metrics = params["metrics"]
    return len(metrics), Invalid(
        f"there are {len(metrics)} metric values in {metrics.describe()}, one per epoch; "
        "row t needs the metrics of epochs 0..t-1"
    )


def annotate(params: Mapping[str, Any], n: int) -> Annotations:
    _, events = _scan(params)
    return Annotations(
        events=tuple(e for e in events if e.step < n),
        guides={"min_lr": params["min_lr"]} if params["min_lr"] > 0 else {},
    )


PLATEAU = register(
    Schedule(
        name="plateau",
        torch_class="ReduceLROnPlateau",
        summary="Cut the rate by factor when a recorded metric stops improving.",
        params=(
            BASE_LR,
            Series(
                "metrics",
                "The metric per epoch: one number a line, a CSV with a header, or a JSON list.",
                required=True,
            ),
            Text("column", "The CSV column to read (default: the one that is not step/epoch)."),
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
        warn=lambda p, n: p["metrics"].warnings,
        horizon=lambda p: len(p["metrics"]),
        horizon_text="one row per metric value",
        resolve=resolve,
        limit=limit,
        extras=_metric,
        annotate=annotate,
        example="plateau --lr 0.001 --metrics val.csv --column val_acc --mode max --patience 2",
        stepping=Stepping(
            refused="torch's SequentialLR and ChainedScheduler refuse ReduceLROnPlateau "
            "(its step() needs the metric, which they do not pass on)"
        ),
    )
)
