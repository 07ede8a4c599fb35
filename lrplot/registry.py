"""The schedule registry: one entry per schedule, from which the CLI, YAML keys, help and docs are made."""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .params import Invalid, Param


@dataclass(frozen=True)
class Phase:
    """A named stretch of a schedule, from step ``start`` to step ``end`` (torch's phase ends)."""

    name: str
    start: float
    end: float


@dataclass(frozen=True)
class Event:
    """Something that happened at one step, e.g. a plateau reduction: ``old`` -> ``new`` rate."""

    step: int
    kind: str
    old: float
    new: float
    why: str


@dataclass(frozen=True)
class Annotations:
    """What a picture or table should point out beyond the curve itself."""

    phases: tuple[Phase, ...] = ()
    events: tuple[Event, ...] = ()
    guides: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """What parameter resolution may need beyond the schedule's own parameters."""

    steps_per_epoch: int | None = None
    base_dir: Path | None = None


# lr(t, **params) -> ndarray; each schedule module documents its formula on that function.
ScheduleFn = Callable[..., np.ndarray]


@dataclass(frozen=True)
class Stepping:
    """How torch's scheduler class moves the rate of an optimizer it may share with other
    schedulers: what composing schedules (sequential, chained, warm-up) needs beyond the curve.

    Every torch scheduler reads and writes one optimizer ``lr``; a step either rescales the rate
    it finds there (a recursive ``get_lr``) or overwrites it (a closed form).

    - ``rule(k, *, base, first, **params) -> (a, p, q)``: torch's recursive ``get_lr`` as an
      affine map: the step that makes ``last_epoch`` k turns the current rate x into
      ``a*(x - p) + q`` (p and q may be scalars). Written around the point torch scales about
      (η_min for a cosine, 0 for a factor), so that composing steps keeps it exact.
      ``first`` marks the initial step a constructor (or SequentialLR) takes in ``_is_initial``
      mode; ``base`` is the scheduler's ``base_lrs[0]``. None: ``get_lr`` ignores the current
      rate, and the rate after step k is the curve at k.
    - ``base_param``: the parameter that torch's ``base_lrs[0]`` stands for in the curve ("lr";
      None when the curve does not depend on it, e.g. OneCycleLR).
    - ``sets_lr``: the parameter the constructor writes into the optimizer's lr before
      ``LRScheduler.__init__`` and adopts as its base after its first step (CyclicLR: base_lr).
    - ``sets_initial_lr(params)``: the ``initial_lr`` the constructor overwrites (OneCycleLR).
    - ``refused``: why the schedule cannot be composed at all (ReduceLROnPlateau), or "".
    """

    rule: Callable[..., tuple[np.ndarray, np.ndarray]] | None = None
    base_param: str | None = "lr"
    sets_lr: str | None = None
    sets_initial_lr: Callable[[Mapping[str, Any]], float] | None = None
    refused: str = ""


@dataclass(frozen=True)
class Schedule:
    """A registered schedule.

    - ``lr``: the pure, vectorized curve ``lr(t, **params)`` over float64 step indices ``t``.
    - ``horizon(params)``: the natural number of rows when ``--steps`` is not given.
    - ``resolve(params, context)``: cross-parameter checks and derived values (raises Invalid).
    - ``limit(params)``: ``(rows, why)`` when the schedule cannot be stepped past ``rows``
      (1cycle's end, a growing rate's overflow), else None.
    - ``extras(t, **params)``: further series aligned with ``lr`` (momentum, metric).
    - ``annotate(params, n)``: phases, events and guide lines for renderers.
    - ``warn(params, n)``: traps worth a warning for this curve of ``n`` rows.
    - ``stepping``: how torch's class acts on a shared optimizer, for composition (see Stepping).
    - ``yaml_only``: no command of its own (its parameters do not fit on a command line, e.g. a
      list of schedules); ``example`` is then a YAML mapping.
    """

    name: str
    torch_class: str
    summary: str
    params: tuple[Param, ...]
    lr: ScheduleFn
    horizon: Callable[[Mapping[str, Any]], int]
    example: str
    horizon_text: str
    resolve: Callable[[dict[str, Any], Context], dict[str, Any]] | None = None
    limit: Callable[[Mapping[str, Any]], tuple[int, Invalid] | None] | None = None
    extras: Callable[..., dict[str, np.ndarray]] | None = None
    annotate: Callable[[Mapping[str, Any], int], Annotations] | None = None
    warn: Callable[[Mapping[str, Any], int], tuple[str, ...]] | None = None
    stepping: Stepping | None = None
    yaml_only: bool = False

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def torch_path(self) -> str:
        return f"torch.optim.lr_scheduler.{self.torch_class}"

    def curve(self, t: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
        return _call(self.lr, t, params)

    def extra_series(self, t: np.ndarray, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
        return _call(self.extras, t, params) if self.extras else {}


def _call(fn: Callable[..., Any], t: np.ndarray, params: Mapping[str, Any]) -> Any:
    """Call a schedule function with the parameters it declares (it need not take them all)."""
    wanted = _keyword_names(fn)
    return fn(t, **{k: v for k, v in params.items() if k in wanted})


_KEYWORDS: dict[Callable[..., Any], frozenset[str]] = {}


def _keyword_names(fn: Callable[..., Any]) -> frozenset[str]:
    if fn not in _KEYWORDS:
        sig = inspect.signature(fn)
        _KEYWORDS[fn] = frozenset(
            n for n, p in sig.parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY
        )
    return _KEYWORDS[fn]


REGISTRY: dict[str, Schedule] = {}


def register(schedule: Schedule) -> Schedule:
    if schedule.name in REGISTRY:
        raise ValueError(f"schedule {schedule.name!r} registered twice")
    REGISTRY[schedule.name] = schedule
    return schedule


def all_schedules() -> dict[str, Schedule]:
    """Every registered schedule, by name (importing the families registers them)."""
    importlib.import_module("lrplot.schedules")
    return REGISTRY


def closest(word: str, options) -> str:
    """' (did you mean X?)' when one of ``options`` is close to ``word``, else ''."""
    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {match[0]}?)" if match else ""
