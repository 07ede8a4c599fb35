"""The schedule registry: one entry per schedule, from which the CLI, YAML keys, help and docs are made."""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .params import Invalid, Param
from .records import REQUIRED, Factory, Record


class Phase(Record):
    """A named stretch of a schedule, from step ``start`` to step ``end`` (torch's phase ends)."""

    FIELDS = (("name", REQUIRED), ("start", REQUIRED), ("end", REQUIRED))

    name: str
    start: float
    end: float


class Event(Record):
    """Something that happened at one step, e.g. a plateau reduction: ``old`` -> ``new`` rate."""

    FIELDS = (
        ("step", REQUIRED),
        ("kind", REQUIRED),
        ("old", REQUIRED),
        ("new", REQUIRED),
        ("why", REQUIRED),
    )

    step: int
    kind: str
    old: float
    new: float
    why: str


class Annotations(Record):
    """What a picture or table should point out beyond the curve itself."""

    FIELDS = (("phases", ()), ("events", ()), ("guides", Factory(dict)))

    phases: tuple[Phase, ...]
    events: tuple[Event, ...]
    guides: Mapping[str, float]


class Context(Record):
    """What parameter resolution may need beyond the schedule's own parameters."""

    FIELDS = (("steps_per_epoch", None), ("base_dir", None))

    steps_per_epoch: int | None
    base_dir: Path | None


# lr(t, **params) -> ndarray; each schedule module documents its formula on that function.
ScheduleFn = Callable[..., np.ndarray]


class Stepping(Record):
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
    - ``factor``: each step multiplies the rate by a factor (p = q = 0), so a run of steps
      telescopes to a ratio of closed forms; ``flat_from(params)``: the step from which that
      factor is 1 for good (None: never).
    - ``pivots(params)``: the steps rescale about a point other than 0 (a cosine's η_min > 0), so
      in a chain they can cancel and the scan is refined in torch's order of operations.
    """

    FIELDS = (
        ("rule", None),
        ("base_param", "lr"),
        ("sets_lr", None),
        ("sets_initial_lr", None),
        ("refused", ""),
        ("factor", False),
        ("flat_from", None),
        ("pivots", None),
    )

    rule: Callable[..., tuple[np.ndarray, np.ndarray]] | None
    base_param: str | None
    sets_lr: str | None
    sets_initial_lr: Callable[[Mapping[str, Any]], float] | None
    refused: str
    factor: bool
    flat_from: Callable[[Mapping[str, Any]], float] | None
    pivots: Callable[[Mapping[str, Any]], bool] | None


class Schedule(Record):
    """A registered schedule: everything the engine, CLI, renderers, emitter and composer need to
    know about it. Identity is ``(framework, name)``; see :attr:`key`.

    - ``name``: the library's name for it, in kebab-case (the command: ``lrplot hf cosine``).
    - ``framework``: the namespace it belongs to (a key of lrplot.frameworks.FRAMEWORKS).
    - ``origin``: the dotted path of the library's class or function it reproduces.
    - ``lr``: the pure, vectorized curve ``lr(t, **params)`` over float64 step indices ``t``.
    - ``lr_range(first, n, **params)``: the same rows for the steps first..first+n-1, by a faster
      route (the kernels); called for long ranges only, and equal to ``lr`` to a few ulps.
    - ``horizon(params)``: the natural number of rows when ``--steps`` is not given.
    - ``resolve(params, context)``: cross-parameter checks and derived values (raises Invalid).
    - ``limit(params)``: ``(rows, why)`` when the schedule cannot be stepped past ``rows``
      (1cycle's end, a growing rate's overflow), else None.
    - ``extras(t, **params)`` / ``extras_range(first, n, **params)``: further series aligned with
      ``lr`` (momentum, metric).
    - ``series_range(first, n, **params)``: ``(lr, extras)`` over a long range in one pass, for a
      schedule whose series share their costly part (fit_one_cycle's rate and momentum share
      every position and cosine); the engine takes it over ``lr_range`` and ``extras_range``.
    - ``annotate(params, n)``: phases, events and guide lines for renderers.
    - ``warn(params, n)``: traps worth a warning for this curve of ``n`` rows.
    - ``epoch_length(params)``: the steps per epoch the parameters imply (e.g. Trainer's updates
      per epoch), for the epoch axis and column; None when they imply none.
    - ``derived(params)``: figures derived from the parameters, shown in the table and the JSON.
    - ``row_unit``: what a row is, ``"step"`` or ``"epoch"`` (a metric-driven schedule is stepped
      once per epoch); ``metric``: the parameter that holds its metric, if any.
    - ``per_batch``: the library documents stepping it after every batch (OneCycleLR, CyclicLR).
    - ``native``: lrplot's parameter name -> the library's keyword, where they differ (T_max).
    - ``stepping``: how torch's class acts on a shared optimizer, for composition (see Stepping);
      None: it cannot be put inside torch's composites.
    - ``emit(params, rows, label)``: a runnable script for the library that builds the schedule
      and leaves the rate of every row in ``lrs``; None: the torch emitter (lrplot.emit).
    - ``signature``: the library callable's parameters in order, as the library spells them
      (``optimizer`` for the optimizer it takes): how ``lrplot code`` maps positional arguments.
    - ``scaled(n)``: parameters (YAML names) of a representative run of ``n`` rows, for
      benchmarks; None: the example's parameters with ``steps: n``.
    - ``yaml_only``: no command of its own (its parameters do not fit on a command line, e.g. a
      list of schedules); ``example`` is then a YAML mapping.
    """

    FIELDS = (
        ("name", REQUIRED),
        ("origin", REQUIRED),
        ("summary", REQUIRED),
        ("params", REQUIRED),
        ("lr", REQUIRED),
        ("horizon", REQUIRED),
        ("example", REQUIRED),
        ("horizon_text", REQUIRED),
        ("framework", "torch"),
        ("lr_range", None),
        ("resolve", None),
        ("limit", None),
        ("extras", None),
        ("extras_range", None),
        ("series_range", None),
        ("annotate", None),
        ("warn", None),
        ("epoch_length", None),
        ("derived", None),
        ("row_unit", "step"),
        ("metric", None),
        ("per_batch", False),
        ("native", Factory(dict)),
        ("stepping", None),
        ("emit", None),
        ("scaled", None),
        ("signature", ()),
        ("yaml_only", False),
    )

    name: str
    origin: str
    summary: str
    params: tuple[Param, ...]
    lr: ScheduleFn
    horizon: Callable[[Mapping[str, Any]], int]
    example: str
    horizon_text: str
    framework: str
    lr_range: Callable[..., np.ndarray] | None
    resolve: Callable[[dict[str, Any], Context], dict[str, Any]] | None
    limit: Callable[[Mapping[str, Any]], tuple[int, Invalid] | None] | None
    extras: Callable[..., dict[str, np.ndarray]] | None
    extras_range: Callable[..., dict[str, np.ndarray]] | None
    series_range: Callable[..., tuple[np.ndarray, dict[str, np.ndarray]]] | None
    annotate: Callable[[Mapping[str, Any], int], Annotations] | None
    warn: Callable[[Mapping[str, Any], int], tuple[str, ...]] | None
    epoch_length: Callable[[Mapping[str, Any]], int | None] | None
    derived: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None
    row_unit: str
    metric: str | None
    per_batch: bool
    native: Mapping[str, str]
    stepping: Stepping | None
    emit: Callable[[Mapping[str, Any], int, str], str] | None
    scaled: Callable[[int], dict[str, Any]] | None
    signature: tuple[str, ...]
    yaml_only: bool

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def key(self) -> str:
        """How specs, curves and YAML name it: ``cosine`` for torch, ``hf.cosine`` otherwise."""
        return self.name if self.framework == "torch" else f"{self.framework}.{self.name}"

    @property
    def command(self) -> str:
        """The words that run it: ``cosine``, ``hf cosine``."""
        return self.name if self.framework == "torch" else f"{self.framework} {self.name}"

    @property
    def yaml_type(self) -> str:
        """Its YAML ``type``: ``cosine``, ``hf.cosine_with_min_lr``."""
        return self.name if self.framework == "torch" else f"{self.framework}.{self.name.replace('-', '_')}"

    @property
    def origin_name(self) -> str:
        """The library's class or function name, e.g. ``CosineAnnealingLR``."""
        return self.origin.rsplit(".", 1)[-1]

    def curve(self, t: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
        return call_with(self.lr, t, params)

    def rows(self, first: int, n: int, params: Mapping[str, Any]) -> np.ndarray:
        """The curve at steps first..first+n-1, by ``lr_range`` when the range is long."""
        if self.lr_range is not None and long_range(first, n):
            return _call_range(self.lr_range, first, n, params)
        return self.curve(np.arange(first, first + n, dtype=np.float64), params)

    def extra_series(self, t: np.ndarray, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
        return call_with(self.extras, t, params) if self.extras else {}

    def extra_rows(self, first: int, n: int, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """The extra series at steps first..first+n-1, by ``extras_range`` when the range is long."""
        if self.extras is None:
            return {}
        if self.extras_range is not None and long_range(first, n):
            return _call_range(self.extras_range, first, n, params)
        return self.extra_series(np.arange(first, first + n, dtype=np.float64), params)

    def series_rows(self, first: int, n: int,
                    params: Mapping[str, Any]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The curve and its extra series at steps first..first+n-1: by ``series_range`` in one
        pass when the schedule has it and the range is long, else by :meth:`rows` and
        :meth:`extra_rows`."""
        if self.series_range is not None and long_range(first, n):
            return _call_range(self.series_range, first, n, params)
        return self.rows(first, n, params), self.extra_rows(first, n, params)


# Ranges shorter than this take the plain formulas: both take microseconds there.
FAST_FROM = 1 << 14


def long_range(first: int, n: int) -> bool:
    """Whether the steps first..first+n-1 are worth a schedule's ``lr_range``: many of them, and
    all whole numbers in float64 (below 2^53), which the kernels rely on."""
    return n >= FAST_FROM and first >= 0 and first + n <= 2**53


def _call_range(fn: Callable[..., Any], first: int, n: int, params: Mapping[str, Any]) -> Any:
    return fn(first, n, **_arguments(fn, params))


def call_with(fn: Callable[..., Any], t: np.ndarray, params: Mapping[str, Any]) -> Any:
    """Call a schedule function with the parameters it declares (it need not take them all)."""
    return fn(t, **_arguments(fn, params))


def _arguments(fn: Callable[..., Any], params: Mapping[str, Any]) -> Mapping[str, Any]:
    """The parameters ``fn`` declares as keyword-only arguments, or all of them when it takes
    ``**params`` (a fast route that hands them on whole)."""
    wanted = _keyword_names(fn)
    return params if wanted is None else {k: v for k, v in params.items() if k in wanted}


_KEYWORDS: dict[Callable[..., Any], frozenset[str] | None] = {}


def _keyword_names(fn: Callable[..., Any]) -> frozenset[str] | None:
    """The keyword-only parameters of ``fn``; None when it takes ``**params``."""
    if fn not in _KEYWORDS:
        parameters = inspect.signature(fn).parameters.values()
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
            _KEYWORDS[fn] = None
        else:
            _KEYWORDS[fn] = frozenset(p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY)
    return _KEYWORDS[fn]


REGISTRY: dict[str, Schedule] = {}


def register(schedule: Schedule) -> Schedule:
    if schedule.key in REGISTRY:
        raise ValueError(f"schedule {schedule.key!r} registered twice")
    REGISTRY[schedule.key] = schedule
    return schedule


def schedules_of(framework: str) -> dict[str, Schedule]:
    """The schedules of one framework, by name (importing its module registers them, and no other
    framework's), in the order its package imports their modules: the order of lrplot list, the
    README and the help, whichever framework happened to import a module first."""
    from .frameworks import FRAMEWORKS

    package = importlib.import_module(FRAMEWORKS[framework].package)
    modules = [m.__name__ for m in vars(package).values() if inspect.ismodule(m)]
    order = {name: index for index, name in enumerate(modules)}
    own = [s for s in REGISTRY.values() if s.framework == framework]
    own.sort(key=lambda s: order.get(s.lr.__module__, -1))  # stable: registration order within a module
    return {s.name: s for s in own}


def all_schedules() -> dict[str, Schedule]:
    """Every registered schedule of every framework, by key, framework by framework."""
    from .frameworks import FRAMEWORKS

    found: dict[str, Schedule] = {}
    for framework in FRAMEWORKS:
        found.update({s.key: s for s in schedules_of(framework).values()})
    return found


def split_key(text: str) -> tuple[str | None, str]:
    """``hf.cosine_with_min_lr`` -> ("hf", "cosine-with-min-lr"); a plain name is torch's; an
    unknown prefix gives (None, text)."""
    from .frameworks import WORDS

    prefix, dot, rest = text.partition(".")
    if not dot:
        return "torch", text.replace("_", "-")
    if prefix not in WORDS:
        return None, text
    return WORDS[prefix], rest.replace("_", "-")


def entry(key: str) -> Schedule:
    """The schedule registered under ``key`` (``cosine``, ``hf.cosine``), its framework imported."""
    found = find(key)
    if found is None:
        raise KeyError(key)
    return found


def find(text: str) -> Schedule | None:
    """The schedule a YAML type or spec names (``cosine``, ``torch.cosine``, ``hf.cosine``), or None."""
    framework, name = split_key(text)
    if framework is None:
        return None
    return schedules_of(framework).get(name)


def closest(word: str, options) -> str:
    """' (did you mean X?)' when one of ``options`` is close to ``word``, else ''."""
    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {match[0]}?)" if match else ""
