"""Performance scheduling: torch's ReduceLROnPlateau, driven by a recorded metric series."""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from lrplot import series
from lrplot.params import Choice, Integer, Invalid, Real, Series, Text
from lrplot.registry import Annotations, Context, Event, Schedule, register

from ._common import BASE_LR


def is_better(mode: str, threshold: float, threshold_mode: str):
    """torch's improvement test ``better(current, best)``, with the same float operations."""
    if mode == "min" and threshold_mode == "rel":
        rel_epsilon = 1.0 - threshold
        return lambda a, best: a < best * rel_epsilon
    if mode == "min":
        return lambda a, best: a < best - threshold
    if threshold_mode == "rel":
        rel_epsilon = threshold + 1.0
        return lambda a, best: a > best * rel_epsilon
    return lambda a, best: a > best + threshold


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
    better = is_better(mode, threshold, threshold_mode)
    values = metrics.values
    best = math.inf if mode == "min" else -math.inf
    best_epoch = -1
    bad = cooling = 0
    rate = lr
    events: list[Event] = []
    for epoch, current in enumerate(values[: len(values) - 1].tolist()):
        if better(current, best):
            best, best_epoch, bad = current, epoch, 0
        else:
            bad += 1
        if cooling > 0:
            cooling -= 1
            bad = 0
        if bad > patience:
            new = max(rate * factor, min_lr)
            if rate - new > eps:
                why = (
                    f"no improvement on {best:.6g} (epoch {best_epoch}) for {bad} epochs"
                    if best_epoch >= 0
                    else f"no usable metric for {bad} epochs"
                )
                events.append(Event(epoch + 1, "reduce", rate, new, why))
                rate = new
            cooling, bad = cooldown, 0
    rates = np.full(len(values), lr, dtype=np.float64)
    for event in events:
        rates[event.step :] = event.new
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
    return rates[t.astype(np.intp)]


def _metric(t: np.ndarray, *, metrics: series.MetricSeries) -> dict[str, np.ndarray]:
    return {"metric": metrics.values[t.astype(np.intp)]}


def resolve(params: dict[str, Any], context: Context) -> dict[str, Any]:
    """Read the metric series (a file, or an inline list) and check the threshold makes sense."""
    source, column = params["metrics"], params["column"]
    if isinstance(source, tuple):
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
    )
)
