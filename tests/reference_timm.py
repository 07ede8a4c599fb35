"""timm's side of the comparisons: the real schedulers (timm.scheduler), stepped by lrplot's index
convention, from lrplot-style parameters.

Importing this module imports neither torch nor timm; :func:`timm_rows` does, through
tests.libraries (which loads timm.scheduler without timm/__init__.py, whose models need
torchvision).

Row 0 is the optimizer's lr right after construction; row t >= 1 the lr after
``scheduler.step(t)`` (``t_in_epochs``, the default) or ``scheduler.step_update(t)``;
PlateauLRScheduler: after ``step(t, metrics[t - 1])``. ``create_scheduler_v2`` is called with the
factory's own arguments and stepped per epoch, or per update with ``sched_on_updates``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

# lrplot's timm schedule -> timm's class.
CLASSES = {
    "timm.cosine": "CosineLRScheduler",
    "timm.tanh": "TanhLRScheduler",
    "timm.step": "StepLRScheduler",
    "timm.multistep": "MultiStepLRScheduler",
    "timm.poly": "PolyLRScheduler",
    "timm.plateau": "PlateauLRScheduler",
}
FACTORY = "timm.create_scheduler_v2"
SCHEDULES = (*CLASSES, FACTORY)
# lrplot parameters that are not keyword arguments of timm's calls.
NOT_ARGUMENTS = frozenset({"lr", "metrics", "column", "steps", "label", "steps_per_epoch"})
DEFAULT_LR = 1e-3


def _noise(value: Any) -> Any:
    """A noise range as timm takes it: one number, or a list of two."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    value = list(value)
    return value[0] if len(value) == 1 else value


def call_arguments(schedule: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """timm's keyword arguments for lrplot's parameters (timm's names, lists as lists)."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        if name in NOT_ARGUMENTS or value is None:
            continue
        if name in ("noise_range_t", "noise"):
            value = _noise(value)
        elif isinstance(value, tuple):
            value = list(value)
        if name == "sched_on_updates":
            out["step_on_epochs"] = not value
            continue
        out[name] = value
    return out


def timm_rows(schedule: str, params: Mapping[str, Any], rows: int) -> np.ndarray:
    """The rates timm's scheduler sets for rows 0..rows-1 (see the module's convention)."""
    import torch

    from tests.libraries import reference

    timm_scheduler = reference("timm.scheduler")
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=params.get("lr", DEFAULT_LR))
    kwargs = call_arguments(schedule, params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # PlateauLRScheduler is deprecated
        if schedule == FACTORY:
            scheduler, _ = timm_scheduler.create_scheduler_v2(optimizer, **kwargs)
            on_updates = bool(params.get("sched_on_updates")) or params.get("step_on_epochs") is False
        else:
            scheduler = getattr(timm_scheduler, CLASSES[schedule])(optimizer, **kwargs)
            on_updates = not params.get("t_in_epochs", True)
    metrics = params.get("metrics")
    values = None if metrics is None else [float(v) for v in metrics]
    out = [optimizer.param_groups[0]["lr"]]
    for t in range(1, rows):
        if values is not None:
            scheduler.step(t, values[t - 1])
        elif on_updates:
            scheduler.step_update(t)
        else:
            scheduler.step(t)
        out.append(optimizer.param_groups[0]["lr"])
    return np.array(out, dtype=np.float64)


def num_epochs(params: Mapping[str, Any]) -> int:
    """The num_epochs create_scheduler_v2 returns for these parameters."""
    import torch

    from tests.libraries import reference

    timm_scheduler = reference("timm.scheduler")
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=params.get("lr", DEFAULT_LR))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        _, epochs = timm_scheduler.create_scheduler_v2(optimizer, **call_arguments(FACTORY, params))
    return epochs


def worst_error(ours: np.ndarray, theirs: np.ndarray, lr: float = 0.0) -> float:
    """The largest difference, relative to the curve's scale: its largest |rate|, or the base lr
    when that is larger. timm's formulas round on the scale of lr (0.5·(lr − lr_min)·(1 − tanh x)
    loses digits to cancellation when tanh x is near 1), so a curve that stays far below lr (a
    warm-up aiming at a tanh tail, a window of lr_min rows) is compared on lr's scale."""
    scale = max(float(np.max(np.abs(theirs))) if len(theirs) else 0.0, lr)
    gap = float(np.max(np.abs(ours - theirs))) if len(theirs) else 0.0
    return gap / scale if scale > 0 else gap


# lrplot computes timm's float64 formulas, most of them in timm's order of operations: at most
# this far apart, relative to the curve's scale (see worst_error).
TOLERANCE = 1e-12
