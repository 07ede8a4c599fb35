"""Parameter kinds: how a schedule parameter is declared, parsed from any source and checked.

This is the one validation path. A raw value may come from a command-line flag (always a string),
a YAML document (str, int, float, bool, list) or Python; each kind turns it into a clean value or
raises :class:`Invalid` with the problem. Who renders the parameter's name (``--t-max`` or
``t_max``) is the caller's business, so messages are built from the declaration, never by hand.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np


class Invalid(ValueError):
    """A value or a combination of values is not allowed.

    ``template`` holds one ``{}`` per name in ``names``; the caller fills in each name the way the
    user wrote it (``--total-steps`` on the command line, ``total_steps`` in YAML).
    """

    def __init__(self, template: str, *names: str) -> None:
        super().__init__(template)
        self.template = template
        self.names = names

    def render(self, display) -> str:
        return self.template.format(*(display(n) for n in self.names))


def literal(text: str) -> str:
    """``text`` made safe to embed in an Invalid template (its braces are not placeholders)."""
    return text.replace("{", "{{").replace("}", "}}")


def show(raw: Any) -> str:
    """A short, unambiguous rendering of a raw value for error messages, safe inside templates."""
    return literal(_show(raw))


def _show(raw: Any) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, str):
        if raw and raw.strip() == raw and " " not in raw and len(raw) <= 40:
            return raw
        return repr(raw[:40] + ("..." if len(raw) > 40 else ""))
    text = repr(raw)
    return text if len(text) <= 40 else text[:37] + "..."


def _fmt(x: float) -> str:
    return f"{x:g}"


class Param:
    """A named schedule parameter: its help line, its default and how a raw value is parsed.

    ``default=None`` with ``required=False`` means the parameter is optional and has no value
    unless given (e.g. 1cycle's ``total_steps``). ``argument=False``: not a keyword argument of
    the library's class or function (the optimizer's lr, a metrics file), so emitted code does
    not pass it. A kind declares the keyword options it takes (bounds, choices) in ``options``,
    with their defaults. (Plain classes, not dataclasses: a
    dataclass costs ~0.3 ms to define, and these are defined at every start.)
    """

    options: dict[str, Any] = {}
    default_value: Any = None

    def __init__(self, name: str, help: str, default: Any = None, required: bool = False,
                 argument: bool = True, **options: Any):
        unknown = set(options) - set(self.options)
        if unknown:
            raise TypeError(f"{type(self).__name__} takes no option {', '.join(sorted(unknown))}")
        self.name = name
        self.help = help
        self.default = self.default_value if default is None else default
        self.required = required
        self.argument = argument
        for key, value in {**self.options, **options}.items():
            setattr(self, key, value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    metavar = "VALUE"

    def parse(self, raw: Any) -> Any:  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    def allowed(self) -> str:
        """What values are accepted, as a phrase: 'a number > 0'."""
        raise NotImplementedError  # pragma: no cover

    def _bad(self, raw: Any) -> Invalid:
        return Invalid(f"{{}} must be {self.allowed()}, got {show(raw)}", self.name)

    def default_text(self) -> str:
        if self.required:
            return "required"
        if self.default is None:
            return "none"
        if isinstance(self.default, bool):
            return "true" if self.default else "false"
        if isinstance(self.default, float):
            return _fmt(self.default)
        if isinstance(self.default, tuple):
            return ",".join(str(v) for v in self.default)
        return str(self.default)


def _range_text(gt, ge, lt, le) -> str:
    low = f"({_fmt(gt)}" if gt is not None else (f"[{_fmt(ge)}" if ge is not None else None)
    high = f"{_fmt(lt)})" if lt is not None else (f"{_fmt(le)}]" if le is not None else None)
    if low and high:
        return f" in {low}, {high}"
    if gt is not None:
        return f" > {_fmt(gt)}"
    if ge is not None:
        return f" >= {_fmt(ge)}"
    if lt is not None:
        return f" < {_fmt(lt)}"
    if le is not None:
        return f" <= {_fmt(le)}"
    return ""


def _in_range(x: float, gt, ge, lt, le) -> bool:
    return not (
        (gt is not None and not x > gt)
        or (ge is not None and not x >= ge)
        or (lt is not None and not x < lt)
        or (le is not None and not x <= le)
    )


class Real(Param):
    """A finite float, optionally bounded: ``gt``/``ge`` below, ``lt``/``le`` above."""

    options = {"gt": None, "ge": None, "lt": None, "le": None}

    metavar = "FLOAT"

    def allowed(self) -> str:
        return "a number" + _range_text(self.gt, self.ge, self.lt, self.le)

    def parse(self, raw: Any) -> float:
        value = to_float(raw)
        if value is None:
            raise self._bad(raw)
        if not math.isfinite(value):
            raise Invalid(f"{{}} must be a finite number, got {show(raw)}", self.name)
        if not _in_range(value, self.gt, self.ge, self.lt, self.le):
            raise self._bad(raw)
        return value


class Integer(Param):
    """A whole number, optionally bounded. '1e6' and 20.0 are accepted: they are whole numbers."""

    options = {"ge": None, "le": None}

    metavar = "INT"

    def allowed(self) -> str:
        return "an integer" + _range_text(None, self.ge, None, self.le)

    def parse(self, raw: Any) -> int:
        value = _to_int(raw)
        if value is None or not _in_range(value, None, self.ge, None, self.le):
            raise self._bad(raw)
        return value


class Choice(Param):
    """One of a fixed set of strings, matched exactly (torch compares them exactly too)."""

    options = {"choices": ()}

    @property
    def metavar(self) -> str:  # type: ignore[override]
        return "[" + "|".join(self.choices) + "]"

    def allowed(self) -> str:
        return "one of " + ", ".join(self.choices)

    def parse(self, raw: Any) -> str:
        if not isinstance(raw, str) or raw not in self.choices:
            raise self._near(raw)
        return raw

    def _near(self, raw: Any) -> Invalid:
        """The message for a value not among the choices, with the closest one when a choice is
        close: ``--anneal-strategy must be one of cos, linear, got cosine (did you mean cos?)``."""
        from .registry import closest  # registry imports this module: only on the error path

        hint = closest(raw, self.choices) if isinstance(raw, str) else ""
        return Invalid(f"{{}} must be {self.allowed()}, got {show(raw)}{literal(hint)}", self.name)


class Switch(Param):
    """An on/off parameter: ``--name/--no-name`` on the command line, true/false in YAML."""

    default_value = False
    metavar = ""

    def allowed(self) -> str:
        return "true or false"

    def parse(self, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise self._bad(raw)


class IntegerList(Param):
    """Whole numbers, as '30,80' on the command line or a list in YAML; order kept as given."""

    options = {"ge": None}
    metavar = "INT,INT,..."

    def allowed(self) -> str:
        return "a comma-separated list of integers" + _range_text(None, self.ge, None, None)

    def parse(self, raw: Any) -> tuple[int, ...]:
        if isinstance(raw, str):
            items: list[Any] = [s.strip() for s in raw.split(",")] if raw.strip() else []
        elif isinstance(raw, (list, tuple)):
            items = list(raw)
        elif _to_int(raw) is not None:
            items = [raw]
        else:
            raise self._bad(raw)
        values = [_to_int(item) for item in items]
        if not values or any(v is None or not _in_range(v, None, self.ge, None, None) for v in values):
            raise self._bad(raw)
        return tuple(values)  # type: ignore[arg-type]


class Text(Param):
    """A non-empty string (a label, a column name, a file path)."""

    metavar = "TEXT"

    def allowed(self) -> str:
        return "non-empty text"

    def parse(self, raw: Any) -> str:
        if isinstance(raw, bool) or not isinstance(raw, (str, numbers.Real)):
            raise self._bad(raw)
        text = raw if isinstance(raw, str) else show(raw)
        if not text.strip():
            raise self._bad(raw)
        return text


class TextList(Param):
    """One string or a list of strings (e.g. output paths)."""

    metavar = "TEXT"

    def allowed(self) -> str:
        return "text or a list of texts"

    def parse(self, raw: Any) -> tuple[str, ...]:
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, (list, tuple)) or not items:
            raise self._bad(raw)
        if any(not isinstance(item, str) or not item.strip() for item in items):
            raise self._bad(raw)
        return tuple(items)


class Series(Param):
    """Numbers from a file (a path) or an inline list of numbers (YAML, or Python: any 1-D
    sequence or array).

    The file itself is read when the schedule resolves its parameters (it may need another
    parameter, such as the CSV column); here a path stays a path and a list becomes a float64 array.
    """

    metavar = "FILE"

    def allowed(self) -> str:
        return "a file path or a list of numbers"

    def parse(self, raw: Any) -> str | np.ndarray:
        if isinstance(raw, str) and raw.strip():
            return raw
        if isinstance(raw, np.ndarray) and raw.ndim == 1 and raw.size and raw.dtype.kind in "fiu":
            return raw.astype(np.float64)
        if isinstance(raw, (list, tuple)) and raw:
            values = [to_float(v) for v in raw]
            if any(v is None for v in values):
                raise self._bad(raw)
            return np.array(values, dtype=np.float64)
        raise self._bad(raw)


def to_float(raw: Any) -> float | None:
    """The float a raw value denotes, or None when it is not a number (bools are not numbers)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, numbers.Real):
        try:
            return float(raw)
        except OverflowError:
            return math.inf if raw > 0 else -math.inf
    if isinstance(raw, str):
        try:
            return float(raw.strip())
        except ValueError:
            return None
    return None


def _to_int(raw: Any) -> int | None:
    """The int a raw value denotes exactly ('1e3' and 20.0 count; 20.5 and 'abc' do not)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, numbers.Integral):
        return int(raw)
    if isinstance(raw, str):
        text = raw.strip()
        try:
            return int(text)
        except ValueError:
            pass
    value = to_float(raw)
    if value is None or not math.isfinite(value) or not value.is_integer():
        return None
    return int(value)


class Schedules(Param):
    """A list of schedules inside a composite (YAML or Python only): each a mapping with a
    ``type`` and that schedule's parameters. Here only the shape is checked; the engine validates
    each child as a spec of its own, so a child's message says where it is."""

    metavar = "LIST"

    def allowed(self) -> str:
        return "a non-empty list of schedules, each a mapping with a type"

    def parse(self, raw: Any) -> tuple[tuple[str, Any], ...]:
        if not isinstance(raw, (list, tuple)) or not raw:
            raise self._bad(raw)
        children = []
        for index, item in enumerate(raw):
            if not isinstance(item, Mapping):
                raise Invalid(
                    f"{{}}[{index}] must be a mapping with a type and its parameters, got {show(item)}",
                    self.name,
                )
            kind = item.get("type")
            if not isinstance(kind, str) or not kind.strip():
                shown = "none" if kind is None else show(kind)
                raise Invalid(f"{{}}[{index}] needs a type (a schedule name), got {shown}", self.name)
            children.append((kind, item))
        return tuple(children)
