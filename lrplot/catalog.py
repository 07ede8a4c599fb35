"""Describes the registry for people: the `lrplot list` text and the README's schedule table."""

from __future__ import annotations

from lrplot.engine import SPEC_PARAMS
from lrplot.params import Param, Switch
from lrplot.registry import Schedule, all_schedules


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _signature(param: Param) -> str:
    if isinstance(param, Switch):
        negated = "--no-" + param.name.replace("_", "-")
        return f"{flag(param.name)}/{negated}"
    return f"{flag(param.name)} {param.metavar}"


def _entry(schedule: Schedule) -> list[str]:
    lines = [f"{schedule.name}  ({schedule.torch_path})", f"    {schedule.summary}"]
    width = max(len(_signature(p)) for p in schedule.params)
    for param in schedule.params:
        lines.append(f"    {_signature(param):<{width}}  {param.help} [{param.default_text()}]")
    lines.append(f"    rows by default: {schedule.horizon_text}")
    lines.append(f"    example: lrplot {schedule.example}")
    return lines


def text() -> str:
    """Every schedule with its torch class, parameters, defaults, natural length and an example."""
    lines: list[str] = []
    for schedule in all_schedules().values():
        lines += _entry(schedule) + [""]
    lines.append("Every schedule also takes:")
    width = max(len(_signature(p)) for p in SPEC_PARAMS)
    lines += [f"    {_signature(p):<{width}}  {p.help}" for p in SPEC_PARAMS]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown() -> str:
    """The README's schedule table: one row per schedule, parameters with their defaults."""
    rows = [
        "| command | PyTorch class | parameters (default) | example |",
        "|---|---|---|---|",
    ]
    for schedule in all_schedules().values():
        params = ", ".join(f"`{flag(p.name)}` ({p.default_text()})" for p in schedule.params)
        rows.append(
            f"| `{schedule.name}` | `{schedule.torch_class}` | {_cell(params)} | "
            f"`lrplot {_cell(schedule.example)}` |"
        )
    return "\n".join(rows) + "\n"
