"""Describes the registry for people: the `lrplot list` text and the README's schedule table."""

from __future__ import annotations

from lrplot.engine import SPEC_PARAMS
from lrplot.params import Param, Switch
from lrplot.registry import Schedule, all_schedules


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _signature(param: Param, yaml_only: bool = False) -> str:
    if yaml_only:
        return f"{param.name}: {param.metavar}"
    if isinstance(param, Switch):
        negated = "--no-" + param.name.replace("_", "-")
        return f"{flag(param.name)}/{negated}"
    return f"{flag(param.name)} {param.metavar}"


def _entry(schedule: Schedule) -> list[str]:
    only = schedule.yaml_only
    title = f"{schedule.name}  ({schedule.torch_path})"
    lines = [title + ("  YAML only: lrplot run CONFIG.yaml" if only else ""), f"    {schedule.summary}"]
    width = max(len(_signature(p, only)) for p in schedule.params)
    for param in schedule.params:
        lines.append(f"    {_signature(param, only):<{width}}  {param.help} [{param.default_text()}]")
    lines.append(f"    rows by default: {schedule.horizon_text}")
    lines.append(f"    example: {_example(schedule)}")
    return lines


def _example(schedule: Schedule) -> str:
    """A command line, or for a YAML-only schedule one entry of a config's ``schedules:`` list."""
    return f"- {schedule.example}" if schedule.yaml_only else f"lrplot {schedule.example}"


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
        only = schedule.yaml_only
        params = ", ".join(
            f"`{p.name if only else flag(p.name)}` ({p.default_text()})" for p in schedule.params
        )
        name = f"`{schedule.name}` (YAML)" if only else f"`{schedule.name}`"
        rows.append(
            f"| {name} | `{schedule.torch_class}` | {_cell(params)} | `{_cell(_example(schedule))}` |"
        )
    return "\n".join(rows) + "\n"


def _key(param: Param) -> dict[str, object]:
    entry: dict[str, object] = {"allowed": param.allowed()}
    if param.required:
        entry["required"] = True
    elif param.default is not None:
        entry["default"] = list(param.default) if isinstance(param.default, tuple) else param.default
    entry["help"] = param.help
    return entry


def config_reference() -> dict[str, object]:
    """Every key a YAML config may hold, with what it allows: a schema generated from the registry."""
    from lrplot.config import TOP_LEVEL

    return {
        "top_level": {
            "schedules": {"allowed": "a non-empty list of mappings, each with a type and its keys",
                          "required": True},
            **{name: _key(param) for name, param in TOP_LEVEL.items()},
        },
        "schedules": {
            schedule.name: {
                "torch": schedule.torch_path,
                "summary": schedule.summary,
                "keys": {
                    "type": {"allowed": schedule.name, "required": True},
                    **{p.name: _key(p) for p in (*schedule.params, *SPEC_PARAMS)},
                },
            }
            for schedule in all_schedules().values()
        },
    }


def yaml_reference() -> str:
    """The config reference as YAML text (``lrplot list --yaml``)."""
    import yaml

    header = (
        "# lrplot config reference, generated from the schedule registry (lrplot list --yaml).\n"
        "# A config is a mapping: the top_level keys below, and under `schedules:` a list of\n"
        "# mappings, each with `type:` set to one of the schedules below and that schedule's keys.\n"
    )
    return header + yaml.safe_dump(config_reference(), sort_keys=False, width=100, allow_unicode=True)
