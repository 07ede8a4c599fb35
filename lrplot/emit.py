"""Code from curves: for torch schedules (and any schedule that is a torch scheduler, such as
Hugging Face's LambdaLRs inside a torch composite) the scheduler built and stepped as torch
expects; for every other framework, the script its registry entry writes (Schedule.emit)."""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .engine import WARMUP_START_FACTOR, WARMUP_STEPS, Curve, Spec
from .registry import Schedule, entry
from .schedules.compose import optimizer_lr

TORCH = "torch.optim.lr_scheduler."
# SGD with momentum: OneCycleLR and CyclicLR cycle it, and it is what most people start from.
MOMENTUM = 0.9
# The longest line of emitted code (calls and lists beyond it are broken over lines).
WIDTH = 96


@dataclass(frozen=True)
class Request:
    """What the code needs about one schedule: a Spec or a Curve's parameters, normalised."""

    schedule: str
    params: Mapping[str, Any]
    warmup_steps: int | None = None
    warmup_start_factor: float | None = None

    @classmethod
    def of(cls, item: Curve | Spec) -> Request:
        if isinstance(item, Spec):
            return cls(item.schedule, item.params, item.warmup_steps, item.warmup_start_factor)
        params = dict(item.params)
        steps = params.pop(WARMUP_STEPS.name, None)
        factor = params.pop(WARMUP_START_FACTOR.name, None)
        return cls(item.schedule, params, steps, factor)


@dataclass
class _Code:
    """Lines of scheduler construction, the classes (or functions) they use by dotted path, and
    the names they take."""

    lines: list[str] = field(default_factory=list)
    classes: set[str] = field(default_factory=set)
    taken: set[str] = field(default_factory=lambda: {"scheduler", "optimizer", "model"})

    def name(self, base: str) -> str:
        """``base``, or ``base_2``, ``base_3``, ... when it is taken."""
        name, count = base, 1
        while name in self.taken:
            count += 1
            name = f"{base}_{count}"
        self.taken.add(name)
        return name

    def construct(self, variable: str, origin: str, arguments: Sequence[str]) -> None:
        self.classes.add(origin)
        name = origin.rsplit(".", 1)[-1]
        call = f"{variable} = {name}({', '.join(['optimizer', *arguments])})"
        if len(call) <= WIDTH:
            self.lines.append(call)
            return
        self.lines.append(f"{variable} = {name}(")
        self.lines += [f"    {argument}," for argument in ["optimizer", *arguments]]
        self.lines.append(")")


def literal(value: Any) -> str:
    """Python source for a parameter value that evaluates to the same value (floats by repr)."""
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return f'float("{"-" if value < 0 else ""}inf")'
        return repr(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)  # double quotes, as most Python code is written
    return repr(value)


def arguments(request: Request) -> list[str]:
    """``name=value`` for the scheduler's constructor: required parameters, and every other one
    that differs from its default (lrplot's defaults are torch's, checked by the tests)."""
    schedule = entry(request.schedule)
    params = request.params
    out = []
    by_epochs = params.get("epochs") is not None
    for param in schedule.params:
        value = params.get(param.name)
        if not param.argument or value is None:
            continue
        # 1cycle given by epochs: torch takes epochs and steps_per_epoch, and derives total_steps.
        if by_epochs and param.name == "total_steps":
            continue
        if param.required or value != param.default:
            out.append(f"{schedule.native.get(param.name, param.name)}={literal(value)}")
        if by_epochs and param.name == "epochs":
            out.append(f"steps_per_epoch={literal(params['steps_per_epoch'])}")
    return out


def _children(request: Request) -> tuple[Spec, ...] | None:
    children = request.params.get("schedules")
    return tuple(children) if isinstance(children, (tuple, list)) else None


def _build(request: Request, code: _Code, variable: str | None = None) -> str:
    """Emit the construction of ``request``'s scheduler (children first: torch's order) and
    return the variable that holds it."""
    schedule = entry(request.schedule)
    if request.warmup_steps is not None:
        # A warm-up is SequentialLR([LinearLR(start_factor=F, total_iters=N), schedule], [N]).
        warm = code.name("warmup")
        factor = request.warmup_start_factor
        shown = [] if factor == WARMUP_START_FACTOR.default else [f"start_factor={literal(factor)}"]
        code.construct(warm, TORCH + "LinearLR", [*shown, f"total_iters={request.warmup_steps}"])
        inner = _build(Request(request.schedule, request.params), code)
        target = variable or code.name("warmed")
        code.construct(target, TORCH + "SequentialLR", [f"schedulers=[{warm}, {inner}]",
                                                        f"milestones=[{request.warmup_steps}]"])
        return target
    children = _children(request)
    if children is None:
        target = variable or code.name(schedule.name.replace("-", "_"))
        code.construct(target, schedule.origin, arguments(request))
        return target
    inner_names = [_build(Request.of(child), code) for child in children]
    target = variable or code.name(schedule.name)
    listed = f"[{', '.join(inner_names)}]"
    if "milestones" in request.params:  # SequentialLR
        milestones = literal(tuple(request.params.get("milestones") or ()))
        code.construct(target, schedule.origin, [f"schedulers={listed}", f"milestones={milestones}"])
    else:
        # ChainedScheduler takes the schedulers first; the optimizer is a keyword argument.
        code.classes.add(schedule.origin)
        code.lines.append(f"{target} = {schedule.origin_name}({listed}, optimizer=optimizer)")
    return target


def leaf_schedules(request: Request) -> Iterator[Schedule]:
    """The schedules whose schedulers a request constructs (a warm-up's LinearLR included)."""
    if request.warmup_steps is not None:
        yield entry("linear")
    children = _children(request)
    if children is None:
        yield entry(request.schedule)
        return
    for child in children:
        yield from leaf_schedules(Request.of(child))


def torch_code(item: Curve | Spec, title: str | None = None) -> str:
    """A runnable script that builds the scheduler of a curve (or of the spec it comes from) on
    a placeholder model and optimizer, and steps it as torch expects: update t trains with row
    t of lrplot's curve, for as many updates as the curve has rows.

    OneCycleLR and CyclicLR (and any schedule with steps per epoch) step after every batch;
    ReduceLROnPlateau after every epoch, with that epoch's metric; the rest after every epoch.
    """
    request = Request.of(item)
    schedule = entry(request.schedule)
    code = _Code()
    _build(request, code, "scheduler")
    leaves = list(leaf_schedules(request))
    batches = sorted({s.origin_name for s in leaves if s.per_batch})
    rows = item.steps if isinstance(item, Spec) else len(item)
    label = heading(item.label, schedule, title)
    plateau = schedule.metric is not None
    per_batch = not plateau and (item.steps_per_epoch is not None or bool(batches))

    out = [
        *textwrap.wrap(f"{label} ({schedule.origin_name}), as lrplot draws it: optimizer "
                       f"update t trains with row t of lrplot's curve (t = 0..{rows - 1}).",
                       WIDTH, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False),
        *(["import warnings", ""] if _steps_while_built(request) else []),
        "import torch",
        *_imports(code.classes),
        "",
        "model = torch.nn.Linear(1, 1)  # replace with your model",
    ]
    stepping = schedule.stepping
    replaces_lr = stepping is not None and (stepping.sets_lr or stepping.sets_initial_lr)
    if replaces_lr and request.warmup_steps is None:
        out.append(f"# {schedule.origin_name} sets the optimizer's lr itself; this lr is replaced.")
    out += [
        f"optimizer = torch.optim.SGD(model.parameters(), lr={literal(optimizer_lr(request.params))}, "
        f"momentum={MOMENTUM})  # replace with yours",
        *_constructed(code.lines, request),
        "",
        "",
        "def train_step():  # replace with your forward and backward pass on one batch",
        "    optimizer.zero_grad()",
        "    model(torch.ones(1, 1)).pow(2).mean().backward()",
        "    optimizer.step()",
        "",
        "",
    ]
    if plateau:
        out += _plateau_loop(request, rows)
    elif per_batch:
        out += _batch_loop(rows, item.steps_per_epoch, batches)
    else:
        out += [
            f"for epoch in range({rows}):",
            "    train_step()  # replace with a whole epoch: every batch, each with optimizer.step()",
            "    scheduler.step()  # once per epoch, after that epoch's optimizer.step() calls",
        ]
    return "\n".join(out) + "\n"


# A header names the curve; a default label of a composite can run to hundreds of characters.
LONGEST_HEADING = 60


def heading(label: str | None, schedule: Schedule, title: str | None = None) -> str:
    """What the script's first comment calls the curve: the title, else a short label, else the
    schedule's command."""
    if title:
        return title
    return label if label and len(label) <= LONGEST_HEADING else schedule.command


def _steps_while_built(request: Request) -> bool:
    """Whether constructing the schedulers steps one before any optimizer.step(): a SequentialLR
    whose first child is itself a composite steps that child's children at construction."""
    children = _children(request)
    if request.warmup_steps is not None:
        return children is not None or _steps_while_built(Request(request.schedule, request.params))
    if children is None:
        return False
    first = Request.of(children[0])
    nested = first.warmup_steps is not None or _children(first) is not None
    return ("milestones" in request.params and nested) or any(
        _steps_while_built(Request.of(child)) for child in children)


def _constructed(lines: list[str], request: Request) -> list[str]:
    """The construction lines; where torch would warn that a scheduler stepped before the
    optimizer did (a composite first in a SequentialLR is stepped while it is built), inside a
    block that silences that one warning: the order is torch's own, and harmless."""
    if not _steps_while_built(request):
        return lines
    return [
        "with warnings.catch_warnings():",
        "    # SequentialLR steps its first (composite) scheduler while it is built, before any",
        "    # optimizer.step(); torch warns about that order, which does not matter here.",
        '    warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler.step\\(\\)` before")',
        *(f"    {line}" for line in lines),
    ]


def _imports(origins: set[str]) -> list[str]:
    """One ``from module import a, b`` per module of the dotted paths, torch's first."""
    modules: dict[str, list[str]] = {}
    for origin in sorted(origins):
        module, name = origin.rsplit(".", 1)
        modules.setdefault(module, []).append(name)
    lines = []
    for module in sorted(modules, key=lambda m: (not m.startswith("torch."), m)):
        names = modules[module]
        line = f"from {module} import {', '.join(names)}"
        if len(line) <= WIDTH:
            lines.append(line)
        else:
            lines += [f"from {module} import (", *(f"    {name}," for name in names), ")"]
    return lines


def _batch_loop(rows: int, per_epoch: int | None, why: Sequence[str]) -> list[str]:
    """Epochs of batches when the rows fill whole epochs, else one loop over the batches."""
    reason = f"{' and '.join(why)} count{'s' if len(why) == 1 else ''} batches" if why else (
        "lrplot's steps are batches here (--steps-per-epoch)")
    step = f"scheduler.step()  # once per batch, after optimizer.step(): {reason}"
    if per_epoch is not None and rows % per_epoch == 0:
        return [
            f"for epoch in range({rows // per_epoch}):",
            f"    for batch in range({per_epoch}):  # for batch in train_loader: {per_epoch} batches",
            "        train_step()",
            f"        {step}",
        ]
    return [f"for step in range({rows}):  # one batch per step", "    train_step()", f"    {step}"]


def _plateau_loop(request: Request, rows: int) -> list[str]:
    """One epoch per row, each ending in step(metric) when that epoch measured one: the metric
    lrplot was given, inline (a list, or a mapping epoch -> value when the file numbered its
    epochs, e.g. a validation every second epoch)."""
    series = request.params[entry(request.schedule).metric]
    mode = request.params["mode"]
    better = "lower" if mode == "min" else "higher"
    step = f'scheduler.step(metric)  # once per epoch, with its metric (mode="{mode}": {better} is better)'
    head = textwrap.wrap(f"The metric lrplot was given, one value per validated epoch ({_source(series)}).",
                         WIDTH, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False)
    if series.epochs is None:
        values = [float(v) for v in series.values[:rows]]
        listed = _wrapped(", ".join(literal(v) for v in values))
        return [
            *head, "metrics = [", *(f"    {line}" for line in listed), "]", "",
            f"for epoch in range({rows}):",
            "    train_step()  # replace with a whole epoch: every batch, each with optimizer.step()",
            "    metric = metrics[epoch]  # replace with your validation metric, e.g. evaluate(model)",
            f"    {step}",
        ]
    pairs = [(int(e), float(v)) for e, v in zip(series.epochs, series.values) if e < rows]
    listed = _wrapped(", ".join(f"{e}: {literal(v)}" for e, v in pairs))
    return [
        *head, "metrics = {", *(f"    {line}" for line in listed), "}", "",
        f"for epoch in range({rows}):",
        "    train_step()  # replace with a whole epoch: every batch, each with optimizer.step()",
        "    if epoch in metrics:  # a validation epoch: replace with your metric, e.g. evaluate(model)",
        "        metric = metrics[epoch]",
        f"        {step.replace('once per epoch', 'once per validation')}",
    ]


def _wrapped(text: str) -> list[str]:
    return textwrap.wrap(text, WIDTH - 4, break_long_words=False, break_on_hyphens=False) or [""]


def _source(series: Any) -> str:
    if getattr(series, "path", None) is None:
        return "inline"
    return f"from {series.source}" + (f", column {series.column}" if series.column else "")


def article(noun: str) -> str:
    """``a PyTorch``, ``an optax (JAX)``."""
    return f"{'an' if noun[:1].lower() in 'aeio' else 'a'} {noun}"


def code(curve: Curve, title: str | None = None) -> str:
    """The script of one curve: its registry entry's own emitter, or the torch one."""
    schedule = entry(curve.schedule)
    if schedule.emit is not None:
        return schedule.emit(curve.params, len(curve), heading(curve.label, schedule, title))
    return torch_code(curve, title)


def script(curves: Sequence[Curve], framework: str | None = None, title: str | None = None) -> str:
    """The code of every curve, one self-contained script after the other. With ``framework``,
    every curve must be that framework's (``--emit torch`` on a timm curve is a mistake)."""
    from .errors import UsageError
    from .frameworks import FRAMEWORKS

    for curve in curves:
        if framework is not None and curve.framework != framework:
            whose = article(FRAMEWORKS[curve.framework].title)
            raise UsageError(
                f"--emit {framework}: {curve.label} is {whose} schedule; use --emit {curve.framework}"
            )
    if len(curves) == 1:
        return code(curves[0], title)
    parts = []
    for index, curve in enumerate(curves, start=1):
        name = heading(curve.label, entry(curve.schedule))
        parts.append(f"# ---- {index} of {len(curves)}: {name} ----\n{code(curve)}")
    return "\n\n".join(parts)

