"""YAML configs: read with a safe loader, checked for shape, and turned into specs by the engine's
one validation path (the same that checks command-line flags)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrplot.engine import (
    LOG_OPTIONS,
    RUN_WIDE,
    Naming,
    Parameters,
    Spec,
    build_spec,
    inherit_run_wide,
    log_spec,
    unknown_hint,
)
from lrplot.errors import ConfigError
from lrplot.frameworks import FRAMEWORKS
from lrplot.params import Invalid, Param, literal
from lrplot.registry import closest, find, schedules_of
from lrplot.render import VIEW_PARAMS
from lrplot.textfile import read_text

# A config is a few dozen values; aliases that expand past this are refused before they are
# expanded ("billion laughs").
MAX_VALUES = 100_000
MAX_BYTES = 1 << 20

TOP_LEVEL: dict[str, Param] = {p.name: p for p in (*RUN_WIDE, *VIEW_PARAMS)}
TOP_KEYS = ("schedules", *TOP_LEVEL)


class LineDict(dict):
    """A mapping read from YAML that remembers the line of each key (for error messages)."""

    line: int | None = None
    lines: dict[str, int]

    def __init__(self) -> None:
        super().__init__()
        self.lines = {}


@dataclass(frozen=True)
class Config:
    """A validated config: its specs and the output settings it asks for."""

    specs: list[Spec]  # and logs.LogSpec, for a type: log
    settings: dict[str, Any] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)


# The kinds of config `lrplot run` reads: lrplot's own, and each framework's training config.
LRPLOT = "lrplot"


def kinds() -> list[str]:
    return [LRPLOT, *(name for name, f in FRAMEWORKS.items() if f.config_keys)]


def load(
    path: str | Path, overrides: Mapping[str, Any] | None = None, kind: str | None = None,
    values: Mapping[str, Any] | None = None,
) -> Config:
    """Read and validate a config: lrplot's YAML, or a framework's training config (Hugging Face
    TrainingArguments, a DeepSpeed JSON, timm's args.yaml), recognised from its keys unless
    ``kind`` says which. ``overrides`` (command-line output options; None = not given) win over
    the config's own top-level settings; ``values`` (--set) fill or replace a training config's
    keys (its "auto" values, the dataloader length it cannot know)."""
    shown = str(path)
    text = read_text(Path(path), shown, "config", ConfigError, MAX_BYTES,
                     empty="; it needs a 'schedules:' list")
    data = parse(text, shown)
    kind = kind or recognise(data, shown)
    if kind == LRPLOT:
        if values:
            raise ConfigError(f"{shown}: --set fills a training config's values; an lrplot config "
                              "takes its parameters under schedules:")
        return from_data(data, shown, Path(path).parent, overrides or {})
    return from_training_config(data, shown, kind, values or {}, overrides or {})


def recognise(data: Any, shown: str) -> str:
    """Which kind of config ``data`` is: lrplot's when it has ``schedules:``, else the framework
    whose training-config keys it shares most of."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{shown}: a config is a mapping with a 'schedules:' list, got {_type_name(data)}")
    if "schedules" in data:
        return LRPLOT
    scores = {name: sum(key in data for key in f.config_keys) for name, f in FRAMEWORKS.items()}
    best = max(scores, key=scores.get)
    own = sum(key in data for key in TOP_KEYS)
    if own and own >= scores[best]:
        return LRPLOT  # lrplot's own keys without schedules: its own message says what is missing
    if scores[best] == 0:
        raise ConfigError(
            f"{shown}: not a config lrplot knows: no 'schedules:' list, and none of the keys of a "
            f"training config ({', '.join(k for k in kinds() if k != LRPLOT)}); give --kind to say which"
        )
    return best


def from_training_config(
    data: Any, shown: str, kind: str, values: Mapping[str, Any], overrides: Mapping[str, Any]
) -> Config:
    """A framework's training config, read by its module into specs (one validation path)."""
    import importlib

    if not isinstance(data, Mapping):
        raise ConfigError(f"{shown}: a {kind} config is a mapping, got {_type_name(data)}")
    module = importlib.import_module(FRAMEWORKS[kind].package)
    naming = Naming("key", "", ConfigError, shown)
    try:
        requests = module.read_config(data, values)
    except Invalid as invalid:
        raise naming.fail(invalid, data) from None
    specs = []
    for key, raw in requests:
        raw = dict(raw)
        inherit_run_wide(raw, overrides, key)
        specs.append(build_spec(key, raw, Naming("key", f"{kind} config: ", ConfigError, shown)))
    settings = {name: overrides[name] for name in TOP_LEVEL if overrides.get(name) is not None}
    settings.pop("output", None)
    return Config(specs, settings, [])


def parse(text: str, shown: str) -> Any:
    """YAML text -> plain data (mappings are LineDicts), with a safe loader only."""
    import yaml  # only `run` pays for it

    loader = None
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        if node is None:
            raise ConfigError(f"config {shown} is empty; it needs a 'schedules:' list")
        _check_size(node, shown)
        return _build(loader, node, shown)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{shown}:{mark.line + 1}" if mark else shown
        problem = exc.problem or exc.context or "invalid YAML"
        if "could not determine a constructor" in problem:
            problem = (f"the tag {exc.problem.split('tag ')[-1]} is not allowed "
                       "(lrplot reads plain YAML only)") if exc.problem else problem
        raise ConfigError(f"{where}: YAML error: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{shown}: YAML error: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{shown}: nested too deeply to be a config") from None
    finally:
        if loader is not None:
            loader.dispose()


def _check_size(root: Any, shown: str) -> None:
    """Count the values the document expands to, aliases included, without expanding it."""
    import yaml

    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Any) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise ConfigError(f"{shown}:{node.start_mark.line + 1}: an alias refers to itself")
        active.add(key)
        if isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(item) for item in node.value)
        else:
            total = 1
        active.discard(key)
        sizes[key] = min(total, MAX_VALUES + 1)
        if total > MAX_VALUES:
            raise ConfigError(
                f"{shown}: the document expands to more than {MAX_VALUES:,} values "
                "(through aliases); refused"
            )
        return sizes[key]

    size(root)


def _build(loader: Any, node: Any, shown: str) -> Any:
    import yaml

    if isinstance(node, yaml.MappingNode):
        _plain(node, "tag:yaml.org,2002:map", shown)
        written = [k.value for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"]
        for key_node, _ in node.value:
            if written.count(key_node.value) > 1:
                raise ConfigError(
                    f"{shown}:{key_node.start_mark.line + 1}: key {key_node.value!r} appears twice"
                )
        loader.flatten_mapping(node)  # resolves merge keys (<<); keys written here win
        mapping = LineDict()
        mapping.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            # Names, or numbers: a parameter's own mapping may be keyed by step
            # (optax's boundaries_and_scales: {100: 0.1}); a schedule's keys are checked as names.
            if isinstance(key, bool) or not isinstance(key, (str, int, float)):
                raise ConfigError(f"{shown}:{line}: keys must be names or numbers, got {key!r}")
            mapping[key] = _build(loader, value_node, shown)
            mapping.lines[key] = line
        return mapping
    if isinstance(node, yaml.SequenceNode):
        _plain(node, "tag:yaml.org,2002:seq", shown)
        return [_build(loader, item, shown) for item in node.value]
    return loader.construct_object(node, deep=True)


def _plain(node: Any, tag: str, shown: str) -> None:
    """Refuse tagged collections (``!!python/object...``, ``!!set``): plain YAML only."""
    if node.tag != tag:
        raise ConfigError(
            f"{shown}:{node.start_mark.line + 1}: the tag {node.tag} is not allowed "
            "(lrplot reads plain YAML only)"
        )


def _type_name(value: Any) -> str:
    return {dict: "a mapping", LineDict: "a mapping", list: "a list", str: "text"}.get(
        type(value), type(value).__name__
    )


def from_data(
    data: Any, shown: str, base_dir: Path, overrides: Mapping[str, Any]
) -> Config:
    """Validate parsed YAML: the top level, then each schedule through the engine."""
    top = Naming("key", error=ConfigError, file=shown)
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{shown}: a config is a mapping with a 'schedules:' list, got {_type_name(data)}"
        )
    for key in data:
        if key not in TOP_KEYS:
            raise top.fail(
                Invalid(f"unknown key {{}}{closest(key, TOP_KEYS)}; keys: {', '.join(TOP_KEYS)}", key),
                data,
            )
    settings: dict[str, Any] = {}
    for name, param in TOP_LEVEL.items():
        if overrides.get(name) is not None:
            settings[name] = overrides[name]  # already checked by the command line
        elif data.get(name) is not None:
            try:
                settings[name] = param.parse(data[name])
            except Invalid as invalid:
                raise top.fail(invalid, data) from None
    outputs = settings.pop("output", None) or []
    if overrides.get("output") is None:
        outputs = [str(base_dir / p) for p in outputs]
    entries = data.get("schedules")
    if not isinstance(entries, list) or not entries:
        raise top.fail(Invalid("{} must be a non-empty list of schedules", "schedules"), data)
    specs = [_spec(entry, index, settings, base_dir, shown) for index, entry in enumerate(entries)]
    return Config(specs, settings, outputs)


def _spec(entry: Any, index: int, settings: Mapping[str, Any], base_dir: Path, shown: str) -> Spec:
    where = Naming("key", f"schedules[{index}]: ", ConfigError, shown)
    if not isinstance(entry, Mapping):
        raise where.fail(Invalid(f"each schedule is a mapping with a type, got {_type_name(entry)}"))
    kind = entry.get("type")
    if kind is None:
        known = [s.yaml_type for s in schedules_of("torch").values()]
        raise where.fail(Invalid(f"{{}} is missing; one of {', '.join(known)} (or framework.name, "
                                 f"e.g. hf.cosine, or {LOG} for a training log)", "type"), entry)
    if kind == LOG:
        return _log(entry, index, settings, base_dir, shown)
    if not isinstance(kind, str) or find(kind) is None:
        hint = literal(unknown_hint(kind))
        raise where.fail(Invalid(f"{{}} {literal(repr(kind))} is not a schedule{hint}", "type"), entry)
    name = entry.get("label") if isinstance(entry.get("label"), str) else kind
    naming = Naming("key", f"schedules[{index}] ({name}): ", ConfigError, shown)
    raw = Parameters(entry)
    inherit_run_wide(raw, settings, kind)
    return build_spec(kind, raw, naming, base_dir)



# A config's schedule of this type is a training log, drawn as ``lrplot log FILE`` draws it.
LOG = "log"
LOG_KEYS = ("type", "file", *(param.name for param in LOG_OPTIONS))


def _log(entry: Mapping[str, Any], index: int, settings: Mapping[str, Any], base_dir: Path,
         shown: str) -> Any:
    """A ``type: log`` entry: its ``file`` (relative to the config) read as ``lrplot log`` reads
    it, with the same options (tag, metric, label, steps, steps_per_epoch; the run-wide ones
    inherited)."""
    name = entry.get("label") if isinstance(entry.get("label"), str) else LOG
    naming = Naming("key", f"schedules[{index}] ({name}): ", ConfigError, shown)
    for key in entry:
        if key not in LOG_KEYS:
            raise naming.fail(Invalid(f"unknown key {{}}{closest(str(key), LOG_KEYS)}; a log takes "
                                      f"{', '.join(LOG_KEYS[1:])}", str(key)), entry)
    file = entry.get("file")
    if not isinstance(file, str) or not file:
        raise naming.fail(Invalid("{} is missing: the training log to draw (trainer_state.json, Lightning's "
                                  "metrics.csv, a TensorBoard run, a CSV of step and rate)", "file"), entry)
    raw = Parameters(entry)  # the YAML lines kept, for messages
    inherit_run_wide(raw, settings)
    return log_spec(raw, file, naming, base_dir)
