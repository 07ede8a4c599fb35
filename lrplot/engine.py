"""Turns raw parameters into validated specs, and specs into curves (numpy arrays plus annotations)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .errors import LrplotError, UsageError
from .params import Integer, Invalid, Param, Text, show
from .registry import Annotations, Context, Schedule, all_schedules, closest
from .steps import step_range

# Options every schedule takes besides its own parameters; validated by the same path.
STEPS = Integer("steps", "Rows to compute (steps 0..N-1). Default: the schedule's natural length.", ge=1)
STEPS_PER_EPOCH = Integer(
    "steps_per_epoch", "Steps in one epoch: epoch axes and labels (and 1cycle's --epochs).", ge=1
)
LABEL = Text("label", "Name of the curve in legends, tables and CSV headers.")
SPEC_PARAMS: tuple[Param, ...] = (STEPS, STEPS_PER_EPOCH, LABEL)

# Bytes per row while computing: the step array, the rate, and the temporaries of the formulas.
BYTES_PER_ROW = 40


@dataclass(frozen=True)
class Naming:
    """How a parameter's name is shown in messages, where the input came from, and the error type.

    ``flag``: ``--t-max`` (command line); ``key``: ``t_max`` (YAML and Python).
    """

    style: str = "key"
    where: str = ""
    error: type[LrplotError] = UsageError
    file: str | None = None

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


@dataclass(frozen=True)
class Spec:
    """One validated schedule request: resolved parameters plus the spec-level options."""

    schedule: str
    params: Mapping[str, Any]
    steps: int
    label: str | None = None
    steps_per_epoch: int | None = None
    given: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Curve:
    """A computed schedule: row t of ``lr`` is the rate for update t (see the README's convention).

    ``series`` holds further columns aligned with ``lr`` ("momentum", "metric").
    """

    label: str
    schedule: str
    params: Mapping[str, Any]
    lr: np.ndarray
    series: Mapping[str, np.ndarray] = field(default_factory=dict)
    annotations: Annotations = field(default_factory=Annotations)
    steps_per_epoch: int | None = None
    warnings: tuple[str, ...] = ()

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
    registry = all_schedules()
    if name not in registry:
        raise naming.error(
            f"{naming.where}unknown schedule {show(name)}{closest(str(name), registry)}; "
            f"known: {', '.join(registry)}"
        )
    return registry[name]


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

    Every source goes through here: flags, compare specs, YAML and the Python API.
    """
    schedule = lookup(schedule_name, naming)
    known = [p.name for p in schedule.params + SPEC_PARAMS]
    try:
        for key in raw:
            if key not in known:
                raise Invalid(f"{{}} is not a parameter of {schedule.name}{closest(key, known)}", key)
        values = {p.name: _parse(p, raw) for p in schedule.params}
        steps, per_epoch, label = (_parse(p, raw) for p in SPEC_PARAMS)
        context = Context(steps_per_epoch=per_epoch, base_dir=base_dir)
        if schedule.resolve is not None:
            values = schedule.resolve(values, context)
        natural = schedule.horizon(values)
        if steps is not None and schedule.limit is not None:
            rows, why = schedule.limit(values)
            if steps > rows:
                raise Invalid(f"{{}} {steps} is too many: {why.template}", "steps", *why.names)
        n = steps if steps is not None else natural
        _check_memory(n)
    except Invalid as invalid:
        raise naming.fail(invalid, raw) from None
    given = frozenset(k for k, v in raw.items() if v is not None)
    return Spec(schedule.name, values, n, label, per_epoch, given)


def _check_memory(n: int) -> None:
    need = n * BYTES_PER_ROW
    have = available_memory()
    if need > have:
        raise Invalid(
            f"{{}} {n} needs about {need / 2**30:.1f} GiB of memory; {have / 2**30:.1f} GiB are available",
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
    schedule = all_schedules()[spec.schedule]
    t = step_range(0, spec.steps)
    lr = schedule.curve(t, spec.params)
    extras = schedule.extra_series(t, spec.params)
    del t
    n = spec.steps
    annotations = schedule.annotate(spec.params, n) if schedule.annotate else Annotations()
    warnings = tuple(schedule.warn(spec.params, n)) if schedule.warn else ()
    return Curve(
        label=spec.label or spec.schedule,
        schedule=spec.schedule,
        params=spec.params,
        lr=lr,
        series=extras,
        annotations=annotations,
        steps_per_epoch=spec.steps_per_epoch,
        warnings=warnings,
    )


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return ",".join(_shown(v) for v in value)
    return value.describe() if hasattr(value, "describe") else str(value)


def default_label(spec: Spec) -> str:
    """The schedule's name plus the parameters given that differ from their defaults,
    e.g. ``cosine t_max=20 eta_min=0.001``."""
    schedule = all_schedules()[spec.schedule]
    parts = [spec.schedule]
    for param in schedule.params:
        value = spec.params.get(param.name)
        if param.name in spec.given and value != param.default:
            parts.append(f"{param.name}={_shown(value)}")
    return " ".join(parts)


def labelled(specs: list[Spec], naming: Naming = KEYS) -> list[Spec]:
    """Every spec with a label: its own, or a default made unique with ' (2)', ' (3)', ..."""
    own = [spec.label for spec in specs if spec.label is not None]
    for label in own:
        if own.count(label) > 1:
            raise naming.fail(Invalid(f"{{}} {label!r} is used twice; labels must differ", "label"))
    labels = [spec.label or default_label(spec) for spec in specs]
    shared = {label for label in labels if labels.count(label) > 1}
    seen: dict[str, int] = {}
    for index, label in enumerate(labels):
        if label in shared and specs[index].label is None:
            seen[label] = seen.get(label, 0) + 1
            labels[index] = f"{label} ({seen[label]})"
    return [replace(spec, label=label) for spec, label in zip(specs, labels)]


def curve(schedule: str, /, **params: Any) -> Curve:
    """Compute one schedule from keyword parameters named as in YAML.

    >>> curve("cosine", lr=0.1, t_max=20).lr[[0, 10, 20]]
    array([0.1 , 0.05, 0.  ])
    """
    return compute(build_spec(schedule, params, KEYS))
