"""Compares the rates a training log holds with the planned schedule at the logged steps, and
names the likely cause when they differ in a way it recognises (for ``lrplot check``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .errors import LrplotError
from .logs import Log

# Logs write rates as float64 (JSON, CSV) or float32 (TensorBoard): 1e-6 holds for both.
RTOL = 1e-6
# Time factors tried besides the ones the lengths of the log and the plan suggest.
FACTORS = (2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 25, 32, 50, 64, 100, 128, 256)
# Cause detection looks at this many logged rates at most, spread over the log.
SAMPLE = 4096


class CannotCompare(LrplotError):
    """The log or the plan cannot be read, so nothing was compared. Exit code 2 (as diff's)."""

    exit_code = 2


@dataclass(frozen=True)
class Report:
    """The outcome: whether the log agrees with the plan, and what to print (a few lines)."""

    agree: bool
    lines: tuple[str, ...]

    @property
    def code(self) -> int:
        return 0 if self.agree else 1


def deviation(logged: np.ndarray, planned: np.ndarray) -> np.ndarray:
    """|logged - planned| relative to the larger of the two (0 where both are 0; NaN, a rate
    that is not a number, never agrees)."""
    scale = np.maximum(np.abs(logged), np.abs(planned))
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = np.abs(logged - planned) / scale
    relative[scale == 0] = 0.0
    return np.where(np.isnan(relative), np.inf, relative)


def close(logged: np.ndarray, planned: np.ndarray, rtol: float) -> np.ndarray:
    return deviation(logged, planned) <= rtol


def compare(log: Log, plan: np.ndarray, spec: str, rtol: float = RTOL,
            rows_per_plan_row: int = 1) -> Report:
    """Check ``log``'s rates against ``plan`` (row t = the planned rate of update t, or of epoch
    t when ``rows_per_plan_row`` logged rows make one plan row).

    They agree when every logged rate is within ``rtol`` of the plan and the log covers the plan:
    a log that stops well before the plan's last step (more than one logging interval) is a run
    that stopped early, and one that runs past it did not follow it either.
    """
    where = f"{log.shown}"
    rows = log.rates.rows
    at = rows // rows_per_plan_row
    logged = log.rates.values
    inside = at < len(plan)
    n = len(rows)
    planned = plan[at[inside]]
    off = deviation(logged[inside], planned)
    bad = off > rtol
    shown = f'"{spec}"'
    if not bad.any():
        tail = _coverage(log, at, len(plan), rows_per_plan_row)
        largest = float(off.max()) if off.size else 0.0
        if tail is None:
            return Report(True, (f"OK: {n} logged rate{_s(n)} in {where} agree with {shown} "
                                 f"(largest deviation {largest:.2g}, relative; rtol {rtol:g})",),)
        return Report(False, (f"DIFFER: {where} does not cover {shown}: {tail}",))
    count = int(bad.sum()) + int((~inside).sum())
    first = int(np.flatnonzero(bad)[0])
    worst = int(np.argmax(off))
    lines = [
        f"DIFFER: {count} of {n} logged rates in {where} differ from {shown} (rtol {rtol:g})",
        f"first difference: {_step(log, rows[inside][first])}: logged {_num(logged[inside][first])}, "
        f"planned {_num(planned[first])}",
        f"largest deviation: {_step(log, rows[inside][worst])}: logged {_num(logged[inside][worst])}, "
        f"planned {_num(planned[worst])} (relative {_dev(off[worst])})",
    ]
    cause = likely_cause(at[inside], logged[inside], plan, rtol, log.steps_per_epoch)
    if cause:
        lines.append(f"likely cause: {cause}")
    return Report(False, tuple(lines))


def _coverage(log: Log, at: np.ndarray, length: int, per: int) -> str | None:
    """Why an agreeing log does not cover the plan (it stops early, or runs past it), or None."""
    if at[-1] >= length:
        past = int(np.flatnonzero(at >= length)[0])
        return (f"the log runs past the plan: {_step(log, int(log.rates.rows[past]))} is logged, and the "
                f"plan ends at step {length - 1}")
    interval = int(np.max(np.diff(at))) if len(at) > 1 else int(at[0]) + 1
    if length - 1 - int(at[-1]) >= max(interval, 1):
        n = len(at)
        return (f"the run stopped early: its last logged rate is at {_step(log, int(log.rates.rows[-1]))}, "
                f"and the plan runs to step {length - 1} (the {n} logged rate{_s(n)} agree)")
    return None


def likely_cause(at: np.ndarray, logged: np.ndarray, plan: np.ndarray, rtol: float,
                 per_epoch: int | None = None) -> str | None:
    """The relation between the log and the plan, when one simple relation explains every logged
    rate: one step off, a constant factor on the rate, or a constant factor on time."""
    if len(at) > SAMPLE:
        pick = np.unique(np.linspace(0, len(at) - 1, SAMPLE).round().astype(np.intp))
        at, logged = at[pick], logged[pick]
    for cause in _causes(at, logged, plan, rtol, per_epoch):
        if cause:
            return cause
    return None


def _causes(at, logged, plan, rtol, per_epoch) -> Iterator[str | None]:
    n = len(plan)
    if _fits(at + 1, logged, plan, rtol):
        yield ("the log is the plan shifted by one step: each logged rate is the plan's for the next "
               "update (older transformers logged, after update s, the rate of update s + 1)")
    if _fits(at - 1, logged, plan, rtol):
        yield ("the log is the plan shifted by one step: each logged rate is the plan's for the update "
               "before (a log that counts steps from 1 read as counting from 0, e.g. transformers' W&B "
               "or MLflow callbacks)")
    yield _rate_factor(at, logged, plan, rtol)
    last = int(at[-1]) + 1
    faster = {round(n / last) + d for d in (-1, 0, 1)} | set(FACTORS) | {per_epoch or 0}
    for k in sorted(k for k in faster if k >= 2):
        if _fits(at * k, logged, plan, rtol):
            yield (f"the schedule ran {k}x faster than planned: the rate logged at step r is the plan's at "
                   f"step {k}r (the plan counts {k} steps where the run's scheduler stepped once: batches "
                   f"against updates with gradient accumulation {k}; or a per-epoch schedule stepped every "
                   "batch)")
    slower = {round(last / n) + d for d in (-1, 0, 1)} | set(FACTORS) | {per_epoch or 0}
    for k in sorted(k for k in slower if k >= 2):
        if _fits(at // k, logged, plan, rtol):
            yield (f"the schedule ran {k}x slower than planned: the rate logged at step r is the plan's at "
                   f"step r // {k} (the scheduler stepped once every {k} logged steps: once per epoch, or "
                   f"per optimizer update with gradient accumulation {k}, where the plan steps every step)")


def _fits(mapped: np.ndarray, logged: np.ndarray, plan: np.ndarray, rtol: float) -> bool:
    """Whether ``plan[mapped]`` explains the logged rates: at least two of them (all but the last
    when it falls past the plan), and not all equal (a flat log fits anything)."""
    ok = (mapped >= 0) & (mapped < len(plan))
    if ok.sum() < max(2, len(mapped) - 1) or np.ptp(logged[ok]) == 0:
        return False
    return bool(close(logged[ok], plan[mapped[ok]], rtol).all())


def _rate_factor(at: np.ndarray, logged: np.ndarray, plan: np.ndarray, rtol: float) -> str | None:
    inside = at < len(plan)
    logged, planned = logged[inside], plan[at[inside]]
    both = (planned != 0) & (logged != 0) & np.isfinite(logged)
    if both.sum() < 2:
        return None
    factor = float(np.median(logged[both] / planned[both]))
    if abs(factor - 1) <= rtol or not close(logged, factor * planned, 10 * rtol).all():
        return None
    whole = round(factor) if factor > 1 else round(1 / factor)
    as_whole = whole >= 2 and abs((factor if factor > 1 else 1 / factor) - whole) <= 1e-9 * whole
    times = (f"{whole}" if factor > 1 else f"1/{whole}") if as_whole else f"{factor:.6g}"
    return (f"every logged rate is {times} x the plan's: the run's base rate is not the plan's --lr (an lr "
            "scaled by the number of processes or by gradient accumulation?)")


def _step(log: Log, row: int) -> str:
    """A row as the user can find it in the log: lrplot's step, and the log's own step number
    when it counts differently."""
    own = log.logged_step(int(row))
    return f"step {row}" if own == row else f"step {row} (the log's step {own})"


def _num(x: float) -> str:
    return repr(float(x))


def _dev(x: float) -> str:
    return "inf" if not np.isfinite(x) else f"{x:.3g}"


def _s(n: int) -> str:
    return "" if n == 1 else "s"
