"""Immutable records declared as plain classes: what the registry and the framework table are made of.

A dataclass costs a few tenths of a millisecond to define (it writes and compiles its methods), and
these classes are defined at every start of the command line, so they are plain ``__slots__``
classes sharing one small base instead: fields in order with their defaults, positional or keyword
arguments, equality and hashing by value, and no assignment after construction.
"""

from __future__ import annotations

from typing import Any


class Required:
    """The default of a field that has none."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = Required()


class Factory:
    """A default made afresh for each record (``Factory(dict)``), as dataclasses' default_factory."""

    __slots__ = ("make",)

    def __init__(self, make) -> None:
        self.make = make


class _Fields(type):
    """Makes a Record subclass's ``FIELDS`` its ``__slots__``: the names are declared once."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any):
        if "FIELDS" in namespace and "__slots__" not in namespace:
            namespace["__slots__"] = tuple(field for field, _ in namespace["FIELDS"])
        return super().__new__(mcs, name, bases, namespace, **kwargs)


class Record(metaclass=_Fields):
    """Subclasses list ``FIELDS``, (name, default) pairs in order; those names are their slots."""

    __slots__ = ()
    FIELDS: tuple[tuple[str, Any], ...] = ()

    def __init__(self, *args: Any, **values: Any) -> None:
        fields = self.FIELDS
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__} takes {len(fields)} fields, got {len(args)}")
        for (name, _), value in zip(fields, args):
            if name in values:
                raise TypeError(f"{type(self).__name__} got {name} twice")
            values[name] = value
        for name, default in fields:
            if name in values:
                value = values.pop(name)
            elif default is REQUIRED:
                raise TypeError(f"{type(self).__name__} needs {name}")
            else:
                value = default.make() if isinstance(default, Factory) else default
            object.__setattr__(self, name, value)
        if values:
            raise TypeError(f"{type(self).__name__} has no field {', '.join(sorted(values))}")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name, _ in self.FIELDS)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._values() == self._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name, _ in self.FIELDS)
        return f"{type(self).__name__}({shown})"


def replace(record: Record, **changes: Any) -> Record:
    """A copy of ``record`` with ``changes`` (what dataclasses.replace does for a dataclass)."""
    return type(record)(**{**{name: getattr(record, name) for name, _ in record.FIELDS}, **changes})
