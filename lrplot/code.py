"""Schedules read out of Python source, never run: `lrplot code "OneCycleLR(opt, ...)"` or a file.

The source is parsed with :mod:`ast` and only looked at. A call is a schedule when its name is
the origin of a registered schedule (``CosineAnnealingLR``, ``get_cosine_schedule_with_warmup``,
``optax.warmup_cosine_decay_schedule``), with or without its module path, or a framework's
factory (transformers' ``get_scheduler("cosine", ...)``). Positional arguments are mapped by the
library's own signature (``Schedule.signature``), keywords by the library's names. A value is a
literal, a list, tuple or dict of values, or arithmetic of numbers (``1e-3 / 25``, ``20 * 50``);
anything else — a name, ``len(train_loader)``, an attribute, a call, a lambda — is a *hole*,
named by its source text, which ``--set NAME=VALUE`` fills (in a file, module-level assignments
of values fill names by themselves). The optimizer argument is recognised and left out; the
optimizer's lr, where the framework reads it, comes from ``--lr`` or from the optimizer
constructed in the file. The result is the raw parameters that flags would give, validated by
the engine's one path.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError
from .frameworks import FRAMEWORKS
from .params import show
from .registry import Schedule, all_schedules, closest

# Source longer or deeper than this is not a schedule someone pasted: refused before it is parsed
# (a deep expression can exhaust the parser's own stack).
MAX_EXPRESSION = 20_000
MAX_FILE = 1 << 20
MAX_DEPTH = 60
# Powers of numbers: a huge exponent is not a learning rate either.
MAX_EXPONENT = 1024

# Arguments that are not the schedule's: the optimizer, and the scheduler's resume point.
OPTIMIZER = "optimizer"
IGNORED_DEFAULTS = {"last_epoch": -1, "verbose": "deprecated", "initialize": True}
NAMES_ONLY = frozenset({"name"})

ARITHMETIC = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}


class CodeError(UsageError):
    """Source that cannot be read as schedules (exit 2, like a bad flag)."""


@dataclass(frozen=True)
class Hole:
    """A value that is not a literal: ``len(train_loader)``, ``EPOCHS``, ``args.lr``."""

    text: str


@dataclass
class Found:
    """One schedule read from the source: its registry key, its raw parameters (lrplot names;
    composites' children as mappings with a ``type``), and where it is."""

    key: str
    raw: dict[str, Any]
    line: int
    holes: list[str] = field(default_factory=list)


@dataclass
class _Source:
    """What the reader knows about the source: the names it can fill, and where each name was
    bound to a call (a scheduler or an optimizer constructed in the file)."""

    values: dict[str, Any]
    calls: dict[str, ast.Call]
    label: str


def read(source: str, settings: Mapping[str, str], lr: float | None = None) -> list[Found]:
    """The schedules in ``source`` (an expression, a statement or a ``.py`` file's path), in the
    order they appear; in a file, the ones not inside another (a SequentialLR's children)."""
    text, label, is_file = _text_of(source)
    tree = _parse(text, label, "exec")
    filled = {name: literal_value(value) for name, value in settings.items()}
    src = _Source(values={}, calls={}, label=label)
    _bind(tree, src, filled)
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and _target(node) is not None]
    calls.sort(key=lambda node: (node.lineno, node.col_offset))
    inner = {id(child) for node in calls for child in _children_of(node, src)}
    found = [_found(node, src, filled, lr) for node in calls if id(node) not in inner]
    if not found:
        raise CodeError(f"{label}: no schedule constructed here{_nearest(tree)} (lrplot list shows "
                        "every schedule; write its class or function as the library names it)")
    holes = [(f, h) for f in found for h in f.holes]
    if holes:
        where, hole = holes[0]
        raise CodeError(
            f"{label}:{where.line}: {hole} is not a value lrplot can read without running the code; "
            f"add --set {_quoted(hole + '=VALUE')}"
        )
    return found


def _text_of(source: str) -> tuple[str, str, bool]:
    if source.endswith(".py") and "\n" not in source and "(" not in source:
        if "\0" in source:  # the operating system takes no NUL byte in a file name
            raise CodeError(f"{source!r} is not a file name: it holds a NUL byte")
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > MAX_FILE:
                raise CodeError(f"{source}: {size:,} bytes is too large for a training script "
                                f"(at most {MAX_FILE:,})")
            return path.read_text(encoding="utf-8"), source, True
        except FileNotFoundError:
            raise CodeError(f"{source}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CodeError(f"{source}: cannot be read ({exc})") from None
    if len(source) > MAX_EXPRESSION:
        raise CodeError(f"code: {len(source):,} characters is too long for an expression "
                        f"(at most {MAX_EXPRESSION:,}); put it in a .py file")
    return source, "code", False


def _parse(text: str, label: str, mode: str) -> ast.AST:
    depth = max((len(line) - len(line.lstrip("([{")) for line in text.splitlines()), default=0)
    if text.count("(") + text.count("[") > 100_000 or depth > MAX_DEPTH:
        raise CodeError(f"{label}: nested too deeply to be a schedule")
    try:
        tree = ast.parse(text, filename=label, mode=mode)
    except SyntaxError as exc:
        raise CodeError(f"{label}:{exc.lineno or 1}: not valid Python ({exc.msg})") from None
    except (RecursionError, MemoryError, ValueError):
        raise CodeError(f"{label}: nested too deeply to be a schedule") from None
    if _depth(tree) > MAX_DEPTH:
        raise CodeError(f"{label}: nested more than {MAX_DEPTH} levels deep: not a schedule")
    return tree


def _depth(node: ast.AST) -> int:
    deepest, stack = 0, [(node, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(item))
    return deepest


def literal_value(value: str) -> Any:
    """A --set value: a Python literal (or arithmetic of literals), else the text itself."""
    try:
        tree = ast.parse(value.strip(), mode="eval")
    except SyntaxError:
        return value
    got = _value(tree.body, _Source({}, {}, "--set"), {})
    return value if isinstance(got, Hole) or _holes(got) else got


def _bind(tree: ast.AST, src: _Source, filled: Mapping[str, Any]) -> None:
    """Module-level ``NAME = value`` fills the name; ``name = Call(...)`` remembers the call
    (a scheduler used by a composite, or the optimizer whose lr the schedule reads)."""
    for node in getattr(tree, "body", []):
        if not isinstance(node, (ast.Assign, ast.AnnAssign)):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if node.value is None:
            continue
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            if isinstance(node.value, ast.Call):
                src.calls[target.id] = node.value
            value = _value(node.value, src, filled)
            if not _holes(value) and not isinstance(node.value, ast.Call):
                src.values[target.id] = value
    for node in ast.walk(tree):  # optimizers and schedulers built inside functions, too
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    src.calls.setdefault(target.id, node.value)


# --- which schedule a call builds ---------------------------------------------------------------


def _dotted(node: ast.AST) -> str | None:
    """``torch.optim.lr_scheduler.OneCycleLR`` for the callee of a call, None when it is not a
    plain dotted name (a call's result, a subscript)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _index() -> dict[str, list[Schedule]]:
    """Callable name -> the schedules it builds (an origin may be shared by several)."""
    index: dict[str, list[Schedule]] = {}
    for schedule in all_schedules().values():
        index.setdefault(schedule.origin_name, []).append(schedule)
    return index


def _factories() -> dict[str, str]:
    """Factory function name -> framework (transformers' get_scheduler)."""
    return {f.factory: name for name, f in FRAMEWORKS.items() if f.factory}


def _target(node: ast.Call) -> str | None:
    """The callable name of a schedule construction, or None."""
    dotted = _dotted(node.func)
    if dotted is None:
        return None
    name = dotted.rsplit(".", 1)[-1]
    return name if name in _index() or name in _factories() else None


def _schedule_of(node: ast.Call, src: _Source) -> tuple[Schedule, list[ast.expr], list[ast.keyword]]:
    """The schedule a call builds, and the arguments that are its own (a factory's name and
    keyword dict unpacked)."""
    dotted = _dotted(node.func) or ""
    name = dotted.rsplit(".", 1)[-1]
    if name in _factories():
        return _from_factory(node, src, _factories()[name])
    candidates = _index()[name]
    prefix = dotted.split(".")[0] if "." in dotted else None
    if prefix is not None:
        candidates = [s for s in candidates if _path_fits(dotted, s)] or candidates
    if len(candidates) > 1:
        # The same name in several libraries: the module path must say which.
        frameworks = sorted({s.framework for s in candidates})
        if len(frameworks) > 1:
            raise CodeError(
                f"{src.label}:{node.lineno}: {name} is a schedule of {', '.join(frameworks)}: write it "
                f"with its module ({', '.join(s.origin for s in candidates)})"
            )
    return candidates[0], list(node.args), list(node.keywords)


def _path_fits(dotted: str, schedule: Schedule) -> bool:
    """Whether a dotted callee could be the schedule's origin: every part of its module path is
    a part of the origin's, or names the library (``tf.keras...``, ``optax.schedules...``)."""
    parts = dotted.split(".")[:-1]
    origin = schedule.origin.split(".")[:-1]
    library = FRAMEWORKS[schedule.framework].library
    return parts[0] in (library, *FRAMEWORKS[schedule.framework].module_aliases) or all(
        p in origin for p in parts)


def _from_factory(node: ast.Call, src: _Source, framework: str):
    record = FRAMEWORKS[framework]
    signature = record.factory_signature
    args, keywords = list(node.args), list(node.keywords)
    by_name = {k.arg: k.value for k in keywords if k.arg is not None}
    first = signature[0]
    chosen = args[0] if args else by_name.get(first)
    kind = None if chosen is None else _value(chosen, src, {})
    if not isinstance(kind, str):
        raise CodeError(f"{src.label}:{node.lineno}: {record.factory}'s {first} must be a string such as "
                        f'"cosine", got {show(ast.unparse(chosen)) if chosen is not None else "nothing"}')
    from .registry import schedules_of

    known = schedules_of(framework)
    schedule = known.get(kind.replace("_", "-"))
    if schedule is None:
        raise CodeError(f"{src.label}:{node.lineno}: {record.factory}({kind!r}) is not a {framework} "
                        f"schedule{closest(kind, known)}; known: {', '.join(known)}")
    rest = args[1:]
    names = list(signature[1:])
    mapped = [ast.keyword(arg=n, value=v) for n, v in zip(names, rest)]
    if len(rest) > len(names):
        raise CodeError(f"{src.label}:{node.lineno}: {record.factory} takes {len(signature)} positional "
                        f"arguments, got {len(args)}")
    out = []
    for keyword in [*mapped, *keywords]:
        if keyword.arg == first:
            continue
        if keyword.arg in record.factory_kwargs:
            extra = _value(keyword.value, src, {})
            if extra is None:
                continue
            if not isinstance(extra, dict):
                raise CodeError(f"{src.label}:{node.lineno}: {keyword.arg} must be a dict")
            out += [ast.keyword(arg=k, value=ast.Constant(v)) for k, v in extra.items()]
            continue
        out.append(keyword)
    return schedule, [], out


def _children_of(node: ast.Call, src: _Source) -> list[ast.Call]:
    """The scheduler calls a composite call holds (inline or by a name bound to one)."""
    out = []
    for value in [*node.args, *(k.value for k in node.keywords)]:
        if isinstance(value, (ast.List, ast.Tuple)):
            for item in value.elts:
                call = src.calls.get(item.id) if isinstance(item, ast.Name) else item
                if isinstance(call, ast.Call) and _target(call) is not None:
                    out.append(call)
    return out


# --- arguments ----------------------------------------------------------------------------------


def _found(node: ast.Call, src: _Source, filled: Mapping[str, Any], lr: float | None) -> Found:
    schedule, args, keywords = _schedule_of(node, src)
    raw: dict[str, Any] = {}
    holes: list[str] = []
    params = {p.name: p for p in schedule.params}
    native = {theirs: ours for ours, theirs in schedule.native.items()}
    # A method's own object (learn.fit_one_cycle) is the callee's, not an argument.
    signature = [name for name in schedule.signature if name != "self"]
    if len(args) > len(signature):
        if not signature:
            raise CodeError(
                f"{src.label}:{node.lineno}: give {schedule.origin_name}'s arguments by name "
                "(lrplot does not know its positional order)"
            )
        raise CodeError(f"{src.label}:{node.lineno}: {schedule.origin_name} takes {len(signature)} "
                        f"positional arguments, got {len(args)}")
    pairs = [(signature[i], value) for i, value in enumerate(args)]
    pairs += [(k.arg, k.value) for k in keywords]
    optimizer = None
    for theirs, value in pairs:
        if theirs is None:
            raise CodeError(f"{src.label}:{node.lineno}: **kwargs in {schedule.origin_name}(...) cannot be "
                            "read without running the code; write the arguments out")
        if theirs == OPTIMIZER:
            optimizer = value
            continue
        ours = native.get(theirs, theirs)
        if ours in ("schedulers", "schedules") and "schedules" in params:
            raw["schedules"] = [_child(call, src, filled, lr, holes) for call in _children_of(node, src)]
            continue
        got = _value(value, src, filled)
        if theirs in IGNORED_DEFAULTS and got == IGNORED_DEFAULTS[theirs]:
            continue
        if theirs in NAMES_ONLY and theirs not in params:
            continue  # a name for the schedule object (Keras' name=...): nothing to draw
        if ours not in params and ours not in _spec_options(schedule):
            known = [n for n in signature if n != OPTIMIZER] or list(params)
            raise CodeError(
                f"{src.label}:{node.lineno}: {theirs} is not a parameter lrplot reads for "
                f"{schedule.origin_name}{closest(theirs, known)}"
                + ("; lrplot draws a schedule from its start" if theirs in IGNORED_DEFAULTS else "")
            )
        holes += _holes(got)
        raw[ours] = got
    _optimizer_lr(schedule, raw, optimizer, src, filled, lr, holes)
    # What is not an argument of the call (a plateau's metrics file) may come from --set.
    for param in schedule.params:
        if not param.argument and param.name not in raw and param.name in filled:
            raw[param.name] = filled[param.name]
    return Found(schedule.key, raw, node.lineno, holes)


def _child(call: ast.Call, src: _Source, filled, lr, holes: list[str]) -> dict[str, Any]:
    found = _found(call, src, filled, None)
    holes += found.holes
    from .registry import entry

    found.raw.pop("lr", None)  # the composite's optimizer is the children's
    return {"type": entry(found.key).yaml_type, **found.raw}


def _spec_options(schedule: Schedule) -> set[str]:
    from .engine import spec_params

    return {p.name for p in spec_params(schedule)}


def _optimizer_lr(schedule: Schedule, raw: dict[str, Any], optimizer: ast.expr | None, src: _Source,
                  filled: Mapping[str, Any], lr: float | None, holes: list[str]) -> None:
    """The optimizer's lr, for a schedule that reads it (a parameter ``lr`` that is not one of
    the call's arguments): --lr, else the lr of the optimizer built in the source."""
    param = next((p for p in schedule.params if p.name == "lr" and not p.argument), None)
    if param is None:
        return
    if lr is not None:
        raw["lr"] = lr
        return
    call = optimizer
    if isinstance(call, ast.Name):
        call = src.calls.get(call.id)
    if not isinstance(call, ast.Call):
        return
    given = next((k.value for k in call.keywords if k.arg == "lr"), None)
    if given is None and len(call.args) >= 2:
        given = call.args[1]  # torch.optim.X(params, lr, ...)
    if given is not None:
        value = _value(given, src, filled)
        holes += _holes(value)
        raw["lr"] = value


def _value(node: ast.AST, src: _Source, filled: Mapping[str, Any]) -> Any:
    """The value of an argument: literals and arithmetic of numbers; a Hole for anything else."""
    text = ast.unparse(node)
    if text in filled:
        return filled[text]
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, (int, float, str, bool, type(None))) else Hole(text)
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_value(item, src, filled) for item in node.elts]
    if isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            return Hole(text)
        return {_value(k, src, filled): _value(v, src, filled) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _value(node.operand, src, filled)
        if _is_number(operand):
            return -operand if isinstance(node.op, ast.USub) else +operand
        return operand if isinstance(operand, Hole) else Hole(text)
    if isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
        left, right = _value(node.left, src, filled), _value(node.right, src, filled)
        for side in (left, right):
            if isinstance(side, Hole):
                return side
        if not (_is_number(left) and _is_number(right)):
            return Hole(text)
        if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
            return Hole(text)
        try:
            result = ARITHMETIC[type(node.op)](left, right)
        except (ZeroDivisionError, OverflowError, ValueError):
            raise CodeError(f"{src.label}:{node.lineno}: {text} cannot be computed") from None
        if isinstance(result, complex) or (isinstance(result, float) and not math.isfinite(result)):
            raise CodeError(f"{src.label}:{node.lineno}: {text} is not a finite number")
        return result
    if isinstance(node, ast.Name):
        if node.id in src.values:
            return src.values[node.id]
        return Hole(node.id)
    return Hole(text)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _holes(value: Any) -> list[str]:
    if isinstance(value, Hole):
        return [value.text]
    if isinstance(value, list):
        return [h for item in value for h in _holes(item)]
    if isinstance(value, dict):
        return [h for pair in value.items() for item in pair for h in _holes(item)]
    return []


def _quoted(text: str) -> str:
    """``text`` as a shell word: quoted when it holds anything but names, dots and '='."""
    simple = all(c.isalnum() or c in "_.=" for c in text)
    return text if simple else "'" + text.replace("'", "'\\''") + "'"


def _nearest(tree: ast.AST) -> str:
    """': did you mean X?' for the first call whose name is close to a known schedule's."""
    known = [*_index(), *_factories()]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = (_dotted(node.func) or "").rsplit(".", 1)[-1]
            hint = closest(name, known)
            if hint:
                return f"; {name}{hint.replace(' (', ': ').rstrip(')')}"
    return ""
