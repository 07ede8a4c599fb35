"""Turns raw parameters into validated specs, and specs into curves (numpy arrays plus annotations)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .errors import LrplotError, UsageError
from .frameworks import FRAMEWORKS
from .params import Integer, Invalid, Param, Real, Schedules, Text, literal, show
from .records import REQUIRED, Factory, Record, replace
from .registry import Annotations, Context, Schedule, closest, entry, find, schedules_of, split_key

# Options every schedule takes besides its own parameters; validated by the same path.
STEPS = Integer("steps", "Rows to compute (steps 0..N-1). Default: the schedule's natural length.", ge=1)
STEPS_PER_EPOCH = Integer(
    "steps_per_epoch", "Steps in one epoch: epoch axes and labels (and 1cycle's --epochs).", ge=1
)
LABEL = Text("label", "Name of the curve in legends, tables and CSV headers.")
# Set once for a whole comparison or config, for each schedule that does not set its own.
RUN_WIDE: tuple[Param, ...] = (STEPS, STEPS_PER_EPOCH)
# A training log drawn as a curve (lrplot log, compare's "log FILE", a config's type: log): its options.
LOG_TAG = Text("tag", "The rate to read: a column or tag of the log (default: the one rate it holds, "
               "e.g. learning_rate, lr-AdamW).")
LOG_METRIC = Text("metric", "A logged metric to show beside the rate (e.g. eval_loss, val_loss).")
LOG_OPTIONS = (LOG_TAG, LOG_METRIC, LABEL, STEPS, STEPS_PER_EPOCH)
# A warm-up is torch's SequentialLR([LinearLR(start_factor=F, total_iters=N), schedule], [N]).
WARMUP_STEPS = Integer(
    "warmup_steps",
    "Put a linear warm-up of this many steps in front (torch: SequentialLR of LinearLR and the "
    "schedule, which then starts from its own step 0).",
    ge=1,
)
WARMUP_START_FACTOR = Real(
    "warmup_start_factor",
    "The warm-up starts at this fraction of the rate (LinearLR's start_factor).",
    1.0 / 3,
    gt=0,
    le=1,
)
SPEC_PARAMS: tuple[Param, ...] = (STEPS, STEPS_PER_EPOCH, LABEL, WARMUP_STEPS, WARMUP_START_FACTOR)
# A framework that carries its warm-up as the library's own parameters takes only these.
PLAIN_SPEC_PARAMS: tuple[Param, ...] = (STEPS, STEPS_PER_EPOCH, LABEL)
# A schedule inside a composite runs on the composite's rows and epochs, under its label.
WHOLE_ONLY = (STEPS.name, STEPS_PER_EPOCH.name, LABEL.name)
# Composites inside composites: a YAML document could nest without end.
MAX_DEPTH = 32

# Bytes per row while computing: the step array, the rate, and the temporaries of the formulas.
BYTES_PER_ROW = 40
# Composites (and warm-ups) solve a recurrence by a scan: its maps, their compositions and masks.
BYTES_PER_COMPOSITE_ROW = 160


class Naming(Record):
    """How a parameter's name is shown in messages, where the input came from, and the error type.

    ``flag``: ``--t-max`` (command line); ``key``: ``t_max`` (YAML and Python).
    """

    FIELDS = (("style", "key"), ("where", ""), ("error", UsageError), ("file", None))

    style: str
    where: str
    error: type[LrplotError]
    file: str | None

    def name(self, param: str) -> str:
        return "--" + param.replace("_", "-") if self.style == "flag" else param

    def fail(self, invalid: Invalid, raw: Mapping[str, Any] | None = None) -> LrplotError:
        """The error for ``invalid``; with a file, prefixed by ``file:line`` when ``raw`` (a
        mapping read from YAML) knows the line of the first parameter named (``raw.lines``)."""
        prefix = ""
        if self.file is not None:
            lines = getattr(raw, "lines", {})
            line = next((lines[n] for n in invalid.names if n in lines), getattr(raw, "line", None))
            prefix = f"{self.file}:{line}: " if line else f"{self.file}: "
        return self.error(prefix + self.where + invalid.render(self.name))

    def child(self, index: int, schedule: str, key: str = "schedules") -> Naming:
        """The naming for a nested spec: ``where`` grows by ``schedules[1] (cosine): ``."""
        return replace(self, where=f"{self.where}{key}[{index}] ({schedule}): ")


FLAGS = Naming("flag")
KEYS = Naming("key")


class Spec(Record):
    """One validated schedule request: resolved parameters plus the spec-level options."""

    FIELDS = (
        ("schedule", REQUIRED),
        ("params", REQUIRED),
        ("steps", REQUIRED),
        ("label", None),
        ("steps_per_epoch", None),
        ("given", frozenset()),
        ("warmup_steps", None),
        ("warmup_start_factor", None),
    )

    schedule: str
    params: Mapping[str, Any]
    steps: int
    label: str | None
    steps_per_epoch: int | None
    given: frozenset[str]
    warmup_steps: int | None
    warmup_start_factor: float | None

    def describe(self) -> str:
        """The schedule with the parameters given that differ from their defaults, e.g.
        ``linear(start_factor=0.1, total_iters=10)``: how a schedule inside a composite is shown."""
        return f"{entry(self.schedule).yaml_type}({', '.join(self.settings())})"

    def settings(self) -> list[str]:
        """``name=value`` for each parameter given that differs from its default, warm-up last."""
        schedule = entry(self.schedule)
        parts = [
            f"{p.name}={_shown(self.params[p.name])}"
            for p in schedule.params
            if p.name in self.given and self.params.get(p.name) != p.default
        ]
        if self.warmup_steps is not None:
            parts.append(f"{WARMUP_STEPS.name}={self.warmup_steps}")
            if self.warmup_start_factor != WARMUP_START_FACTOR.default:
                parts.append(f"{WARMUP_START_FACTOR.name}={_shown(self.warmup_start_factor)}")
        return parts


class Curve(Record):
    """A computed schedule: row t of ``lr`` is the rate for update t (see the README's convention).

    ``series`` holds further columns aligned with ``lr`` ("momentum", "metric"). ``framework``
    and ``origin`` say whose curve it is (``torch``, ``torch.optim.lr_scheduler.OneCycleLR``);
    ``row_unit`` what a row is ("step", or "epoch" for a metric-driven schedule); ``derived`` the
    figures derived from the parameters (e.g. Trainer's updates per epoch); ``description`` what
    was asked for, as a default label says it (``cosine t_max=295 + warm-up 5``), whatever the label.
    """

    FIELDS = (
        ("label", REQUIRED),
        ("schedule", REQUIRED),
        ("params", REQUIRED),
        ("lr", REQUIRED),
        ("series", Factory(dict)),
        ("annotations", Factory(Annotations)),
        ("steps_per_epoch", None),
        ("warnings", ()),
        ("framework", "torch"),
        ("origin", ""),
        ("row_unit", "step"),
        ("derived", Factory(dict)),
        ("description", ""),
    )

    label: str
    schedule: str
    params: Mapping[str, Any]
    lr: np.ndarray
    series: Mapping[str, np.ndarray]
    annotations: Annotations
    steps_per_epoch: int | None
    warnings: tuple[str, ...]
    framework: str
    origin: str
    row_unit: str
    derived: Mapping[str, Any]
    description: str

    def __len__(self) -> int:
        return len(self.lr)

    @property
    def steps(self) -> np.ndarray:
        return np.arange(len(self.lr))

    @property
    def epochs(self) -> np.ndarray | None:
        if self.steps_per_epoch is None:
            return None
        return self.steps / self.steps_per_epoch


def lookup(name: str, naming: Naming = KEYS) -> Schedule:
    """The schedule a YAML type or spec names: ``cosine`` (torch), ``hf.cosine_with_min_lr``."""
    found = find(name) if isinstance(name, str) else None
    if found is not None:
        return found
    raise naming.error(f"{naming.where}unknown schedule {show(name)}{unknown_hint(name)}")


def unknown_hint(name: Any) -> str:
    """What to say after an unknown schedule name: the closest known one and the known ones, of
    the framework the name points at (torch's for a plain name)."""
    framework, rest = split_key(str(name))
    if framework is None:
        return f": no framework {show(str(name).partition('.')[0])}; frameworks: {', '.join(FRAMEWORKS)}"
    known = [s.yaml_type for s in schedules_of(framework).values()]
    return f"{closest(str(name), known)}; known: {', '.join(known)}"


def spec_params(schedule: Schedule) -> tuple[Param, ...]:
    """The options a schedule takes besides its own parameters (those of its framework)."""
    return spec_params_of(schedule.framework)


def spec_params_of(framework: str) -> tuple[Param, ...]:
    """The options every schedule of ``framework`` takes besides its own parameters."""
    return SPEC_PARAMS if FRAMEWORKS[framework].warmup else PLAIN_SPEC_PARAMS


def _parse(param: Param, raw: Mapping[str, Any]) -> Any:
    value = raw.get(param.name)
    if value is None:
        if param.required:
            raise Invalid("{} is required", param.name)
        return param.default
    return param.parse(value)


def build_spec(
    schedule_name: str,
    raw: Mapping[str, Any],
    naming: Naming = KEYS,
    base_dir: Path | None = None,
) -> Spec:
    """Validate ``raw`` (parameter name -> raw value; None means not given) into a Spec.

    Every source goes through here: flags, compare specs, YAML and the Python API; the schedules
    inside a composite too, each named by where it is (``schedules[1] (cosine): ...``).
    """
    return _build(schedule_name, raw, naming, base_dir, None)


class _Parent(Record):
    """What a schedule inside a composite takes from it."""

    FIELDS = (("lr", REQUIRED), ("steps_per_epoch", REQUIRED), ("depth", REQUIRED))

    lr: float | None
    steps_per_epoch: int | None
    depth: int


def _build(
    schedule_name: str, raw: Mapping[str, Any], naming: Naming, base_dir: Path | None, parent: _Parent | None
) -> Spec:
    schedule = lookup(schedule_name, naming)
    try:
        _check_keys(schedule, raw, parent)
        values = {p.name: _parse(p, raw) for p in schedule.params}
        options = {p.name: _parse(p, raw) for p in spec_params(schedule)}
        per_epoch = options["steps_per_epoch"] if parent is None else parent.steps_per_epoch
        if parent is not None:
            _inherit_lr(values, raw, parent)
        warm_steps, warm_factor = _warm_up(raw, options)
        children = _children_of(schedule, values, per_epoch, naming, base_dir, parent)
        if schedule.resolve is not None:
            values = schedule.resolve(values, Context(steps_per_epoch=per_epoch, base_dir=base_dir))
        if per_epoch is None and schedule.epoch_length is not None:
            per_epoch = schedule.epoch_length(values)
        given = frozenset(k for k, v in raw.items() if v is not None)
        spec = Spec(schedule.key, values, 0, options["label"], per_epoch, given, warm_steps, warm_factor)
        n = _rows(schedule, spec, options["steps"])
        _check_memory(n, BYTES_PER_COMPOSITE_ROW if warm_steps is not None or children else BYTES_PER_ROW,
                      options["steps"] is not None)
    except Invalid as invalid:
        raise naming.fail(invalid, raw) from None
    return replace(spec, steps=n)


def _check_keys(schedule: Schedule, raw: Mapping[str, Any], parent: _Parent | None) -> None:
    """Every key is a parameter of the schedule; inside a composite, none of the whole's; no
    option that would do nothing."""
    known = [p.name for p in schedule.params + spec_params(schedule)]
    for key in raw:
        if key not in known:
            raise Invalid(f"{{}} is not a parameter of {schedule.command}{closest(key, known)}", key)
    given = raw.get(STEPS_PER_EPOCH.name)
    if schedule.row_unit == "epoch" and given is not None and STEPS_PER_EPOCH.parse(given) != 1:
        raise Invalid(
            f"{{}} does nothing for {schedule.command}: its rows are epochs, one step(metric) each "
            "(give it to the comparison, for the other curves)",
            STEPS_PER_EPOCH.name,
        )
    if parent is not None:
        for key in WHOLE_ONLY:
            if raw.get(key) is not None:
                raise Invalid("{} applies to the whole composite, not to a schedule inside it", key)


def _warm_up(raw: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[int | None, float | None]:
    """lrplot's warm-up (steps, start factor), or (None, None) when there is none."""
    steps = options.get(WARMUP_STEPS.name)
    if steps is None:
        if raw.get(WARMUP_START_FACTOR.name) is not None:
            raise Invalid("{} needs {}", WARMUP_START_FACTOR.name, WARMUP_STEPS.name)
        return None, None
    return steps, options[WARMUP_START_FACTOR.name]


def _children_of(
    schedule: Schedule, values: dict[str, Any], per_epoch: int | None, naming: Naming,
    base_dir: Path | None, parent: _Parent | None,
) -> bool:
    """Validate a composite's children into specs, in place in ``values``; whether it has any."""
    children = next((p for p in schedule.params if isinstance(p, Schedules)), None)
    if children is None:
        return False
    depth = 0 if parent is None else parent.depth + 1
    if depth >= MAX_DEPTH:
        raise Invalid(f"{{}} nest more than {MAX_DEPTH} composites deep", children.name)
    inner = _Parent(values.get("lr"), per_epoch, depth)
    values[children.name] = tuple(
        _build(kind, Parameters(item), naming.child(index, kind), base_dir, inner)
        for index, (kind, item) in enumerate(values[children.name])
    )
    return True


def _rows(schedule: Schedule, spec: Spec, steps: int | None) -> int:
    """The rows to compute: ``steps`` when given (refused past what the library can step), else
    the natural length (refused, with the fix, when that is past it)."""
    natural, bound = _horizon(schedule, spec, True)
    if bound is not None and (steps if steps is not None else natural) > bound[0]:
        rows, why = bound
        if steps is not None:
            raise Invalid(f"{{}} {steps} is too many: {why.template}", "steps", *why.names)
        raise Invalid(
            f"the default length, {natural} rows, is too long: {why.template} (or set {{}} <= {rows})",
            *why.names, "steps",
        )
    return steps if steps is not None else natural


class Parameters(dict):
    """A schedule mapping's parameters without its ``type``, keeping the YAML lines (``line``,
    ``lines``) for messages: what a config entry or a composite's child hands to build_spec."""

    def __init__(self, item: Mapping[str, Any]) -> None:
        super().__init__((k, v) for k, v in item.items() if k != "type")
        self.line = getattr(item, "line", None)
        self.lines = dict(getattr(item, "lines", {}))


def _inherit_lr(values: dict[str, Any], raw: Mapping[str, Any], parent: _Parent) -> None:
    """A schedule inside a composite runs on the composite's optimizer, so on its lr."""
    if "lr" not in values or parent.lr is None:
        return
    if raw.get("lr") is not None and values["lr"] != parent.lr:
        raise Invalid(
            f"{{}} {values['lr']:g} differs from the composite's lr {parent.lr:g}: the schedules "
            "inside share its optimizer, so set lr on the composite only",
            "lr",
        )
    values["lr"] = parent.lr


def _horizon(schedule: Schedule, spec: Spec, limited: bool) -> tuple[int, tuple[int, Invalid] | None]:
    """(natural rows, (row limit, why) or None); a warm-up is a sequence of LinearLR and the
    schedule, so it goes through the composites' mechanism."""
    if spec.warmup_steps is None:
        bound = schedule.limit(spec.params) if limited and schedule.limit is not None else None
        return schedule.horizon(spec.params), bound
    from .schedules import compose

    stepping = schedule.stepping
    if stepping is not None and stepping.refused:
        raise Invalid(
            f"{{}} cannot be used with {schedule.name}: a warm-up is a SequentialLR, and {stepping.refused}",
            WARMUP_STEPS.name,
        )
    node = compose.node_of(spec)
    compose.check(node)
    return compose.horizon(node), compose.limit(node)


def inherit_run_wide(raw: dict[str, Any], settings: Mapping[str, Any], key: str | None = None) -> None:
    """Give a schedule of a comparison or config (its registry ``key``) the run's steps and steps
    per epoch, unless it sets its own; a schedule whose rows are epochs takes no steps per epoch
    (that is the other curves' epoch length)."""
    schedule = None if key is None else find(key)
    for param in RUN_WIDE:
        if param is STEPS_PER_EPOCH and schedule is not None and schedule.row_unit == "epoch":
            continue
        if raw.get(param.name) is None and settings.get(param.name) is not None:
            raw[param.name] = settings[param.name]


def _check_memory(n: int, per_row: int = BYTES_PER_ROW, asked: bool = True) -> None:
    """Refuse, before allocating anything, a curve that would not fit in memory."""
    need = n * per_row
    have = available_memory()
    if need > have:
        what = "{} " + f"{n}" if asked else f"the default length, {n:,} rows,"
        raise Invalid(
            f"{what} needs about {need / 2**30:,.3g} GiB of memory; {have / 2**30:.1f} GiB are "
            "available" + ("" if asked else "; set {} to plot fewer rows"),
            "steps",
        )


def available_memory() -> int:
    """Bytes of memory available to this process (MemAvailable on Linux, else physical memory)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 1 << 34


def compute(spec: Spec) -> Curve:
    """The curve of a validated spec."""
    with np.errstate(all="ignore"):  # overflow is reported once, below, not as numpy warnings
        return _compute(spec)


def _compute(spec: Spec) -> Curve:
    schedule = entry(spec.schedule)
    n = spec.steps
    params = spec.params
    if spec.warmup_steps is None:
        lr, extras = schedule.series_rows(0, n, params)
        annotations = schedule.annotate(params, n) if schedule.annotate else Annotations()
        warnings = tuple(schedule.warn(params, n)) if schedule.warn else ()
    else:
        from .schedules import compose

        node, rate = compose.node_of(spec), compose.optimizer_lr(params)
        lr, momentum = compose.rates_range(node, rate, 0, n)
        extras = {} if momentum is None else {"momentum": momentum}
        annotations = compose.annotations(node, n)
        warnings = compose.warnings(node, rate, n)
        params = {**params, WARMUP_STEPS.name: spec.warmup_steps,
                  WARMUP_START_FACTOR.name: spec.warmup_start_factor}
    _check_finite(lr, spec)
    return Curve(
        label=spec.label or schedule.command,
        schedule=spec.schedule,
        params=params,
        lr=lr,
        series=extras,
        annotations=annotations,
        steps_per_epoch=spec.steps_per_epoch,
        warnings=warnings,
        framework=schedule.framework,
        origin=schedule.origin,
        row_unit=schedule.row_unit,
        derived=dict(schedule.derived(spec.params)) if schedule.derived else {},
        description=default_label(spec),
    )


def _check_finite(lr: np.ndarray, spec: Spec) -> None:
    """Refuse a curve that overflows float64 (huge rates, or growth in a composition): one pass,
    NaN and inf both make the maximum non-finite."""
    if lr.size and not np.isfinite(np.max(lr)):
        step = int(np.argmax(~np.isfinite(lr)))
        if np.isnan(lr[step]):
            raise UsageError(f"{spec.label or spec.schedule}: the rate is not a number (NaN) at step "
                             f"{step}; the library's formula breaks down there: use fewer steps")
        raise UsageError(
            f"{spec.label or spec.schedule}: the rate overflows float64 at step {step} "
            "(it passes 1.8e308); use smaller rates or fewer steps"
        )


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return ",".join(_shown(v) for v in value)
    if isinstance(value, np.ndarray):
        return f"{len(value)} values"
    if getattr(value, "path", None) is not None and hasattr(value, "values"):
        return value.path.name  # a metrics file: its name (its column is a parameter of its own)
    return value.describe() if hasattr(value, "describe") else str(value)


def default_label(spec: Spec) -> str:
    """The schedule's command plus the parameters given that differ from their defaults, and the
    warm-up, e.g. ``cosine t_max=20 eta_min=0.001``, ``cosine t_max=295 + warm-up 5``."""
    plain = replace(spec, warmup_steps=None, warmup_start_factor=None)
    text = " ".join([entry(spec.schedule).command, *plain.settings()])
    if spec.warmup_steps is not None:
        factor = spec.warmup_start_factor
        start = "" if factor == WARMUP_START_FACTOR.default else f" from {factor:g}×"
        text += f" + warm-up {spec.warmup_steps}{start}"
    return text


def labelled(specs: list[Spec], naming: Naming = KEYS) -> list[Spec]:
    """Every spec with a label: its own, or a default made unique with ' (2)', ' (3)', ..."""
    own = [spec.label for spec in specs if spec.label is not None]
    for label in own:
        if own.count(label) > 1:
            shown = literal(repr(label))
            raise naming.fail(Invalid(f"{{}} {shown} is used twice; labels must differ", "label"))
    labels = [spec.label or default_label(spec) for spec in specs]
    shared = {label for label in labels if labels.count(label) > 1}
    seen: dict[str, int] = {}
    for index, label in enumerate(labels):
        if label in shared and specs[index].label is None:
            seen[label] = seen.get(label, 0) + 1
            labels[index] = f"{label} ({seen[label]})"
    return [replace(spec, label=label) for spec, label in zip(specs, labels)]


def log_spec(raw: Mapping[str, Any], file: str, naming: Naming, base_dir: Path | None = None) -> Any:
    """A request to draw the training log ``file`` (relative to ``base_dir``) from raw option
    values (None: not given), read and validated: a ``logs.LogSpec``."""
    from .logs import build  # the log readers load only when a log is read

    try:
        values = {param.name: _parse(param, raw) for param in LOG_OPTIONS}
    except Invalid as invalid:
        raise naming.fail(invalid, raw) from None
    return build(file, **values, base_dir=base_dir)


def curve(schedule: str, /, **params: Any) -> Curve:
    """Compute one schedule from keyword parameters named as in YAML.

    >>> curve("cosine", lr=0.1, t_max=20).lr[[0, 10, 20]]
    array([0.1 , 0.05, 0.  ])
    """
    return compute(build_spec(schedule, params, KEYS))
