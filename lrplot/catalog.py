"""Describes the registry for people: the `lrplot list` text and the README's schedule table."""

from __future__ import annotations

from lrplot.engine import spec_params, spec_params_of
from lrplot.frameworks import FRAMEWORKS
from lrplot.params import Param, Switch
from lrplot.registry import Schedule, all_schedules, schedules_of


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
    title = f"{schedule.command}  ({schedule.origin})"
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


def _spec_options(framework: str) -> list[str]:
    params = spec_params_of(framework)
    width = max(len(_signature(p)) for p in params)
    return [f"    {_signature(p):<{width}}  {p.help}" for p in params]


def _header(framework: str) -> list[str]:
    record = FRAMEWORKS[framework]
    words = "lrplot SCHEDULE (or lrplot torch SCHEDULE)" if framework == "torch" else (
        f"lrplot {framework} SCHEDULE" + "".join(f" (or lrplot {a} SCHEDULE)" for a in record.aliases))
    return [
        f"== {record.title} ({record.library} {record.version}): {words}; YAML type: "
        + ("SCHEDULE" if framework == "torch" else f"{framework}.SCHEDULE"),
        f"   {record.index}; numbers: {record.precision}",
        "",
    ]


def text(framework: str | None = None) -> str:
    """Every schedule (of one framework, or of all) with its origin, parameters, defaults,
    natural length and an example."""
    lines: list[str] = []
    for name in [framework] if framework else list(FRAMEWORKS):
        lines += _header(name)
        for schedule in schedules_of(name).values():
            lines += _entry(schedule) + [""]
        lines.append(f"Every {name} schedule also takes:")
        lines += _spec_options(name) + [""]
    return "\n".join(lines)


def formula(schedule: Schedule) -> list[str]:
    """The first paragraph of the schedule function's docstring: its formula."""
    doc = (schedule.lr.__doc__ or "").strip()
    paragraph = doc.split("\n\n", 1)[0]
    return [line.strip() for line in paragraph.splitlines() if line.strip()]


def one(schedule: Schedule) -> str:
    """One schedule in full: formula, parameters with defaults, natural length, options, example."""
    record = FRAMEWORKS[schedule.framework]
    lines = _entry(schedule)
    lines[1:1] = [f"    {record.title} {record.version}: {record.index}"]
    lines += ["    formula:", *(f"        {line}" for line in formula(schedule))]
    if not schedule.yaml_only:
        lines += ["    also takes:", *(f"    {line}" for line in _spec_options(schedule.framework))]
    lines.append(f"    YAML: type: {schedule.yaml_type}")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(framework: str = "torch") -> str:
    """The README's schedule table of one framework: one row per schedule, parameters with their
    defaults."""
    record = FRAMEWORKS[framework]
    rows = [
        f"| command | {record.title} origin | parameters (default) | example |",
        "|---|---|---|---|",
    ]
    for schedule in schedules_of(framework).values():
        only = schedule.yaml_only
        params = ", ".join(
            f"`{p.name if only else flag(p.name)}` ({p.default_text()})" for p in schedule.params
        )
        name = f"`{schedule.yaml_type}` (YAML)" if only else f"`{schedule.command}`"
        origin = schedule.origin_name if framework == "torch" else schedule.origin
        rows.append(f"| {name} | `{origin}` | {_cell(params)} | `{_cell(_example(schedule))}` |")
    return "\n".join(rows) + "\n"


def frameworks_markdown() -> str:
    """The README's table of frameworks: namespace, library and the version the tests pin, and
    what lrplot's numbers are against the library's."""
    rows = ["| namespace | library | version tested | numbers |", "|---|---|---|---|"]
    for name, record in FRAMEWORKS.items():
        words = " or ".join(f"`lrplot {w}`" for w in record.words())
        if name == "torch":
            words = "`lrplot SCHEDULE` or `lrplot torch`"
        rows.append(f"| {words} | {record.title}: `{record.library}` | {record.version} | "
                    f"{_cell(record.precision)} |")
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
            schedule.yaml_type: {
                "framework": schedule.framework,
                "origin": schedule.origin,
                "summary": schedule.summary,
                "keys": {
                    "type": {"allowed": schedule.yaml_type, "required": True},
                    **{p.name: _key(p) for p in (*schedule.params, *spec_params(schedule))},
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
