"""The command line: parses flags into specs, runs the engine, picks a renderer.

It is the only module that prints to the user or exits, and it holds the one error boundary:
every LrplotError (and every Click usage error) becomes one ``Error: ...`` line on stderr and an
exit code (2 usage, 1 other, 130 interrupted). ``--debug`` re-raises for a traceback.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from . import __version__
from .engine import (
    FLAGS,
    LOG_OPTIONS,
    LOG_TAG,
    RUN_WIDE,
    STEPS_PER_EPOCH,
    Curve,
    Naming,
    Spec,
    build_spec,
    compute,
    inherit_run_wide,
    labelled,
    log_spec,
    lookup,
    spec_params,
)
from .errors import ConfigError, LrplotError, UsageError
from .frameworks import FRAMEWORKS, WORDS
from .params import Integer, Invalid, Param, Real, Switch, Text, show
from .registry import Schedule, closest, schedules_of
from .render import LAYOUT, VIEW_PARAMS, View, shared_steps_per_epoch
from .render.files import Target, parse_targets, protect

# Typer ships its own Click and exposes its exceptions only through subclasses such as
# BadParameter; ClickException is the base of every usage error it raises.
ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

EXIT_USAGE, EXIT_ERROR, EXIT_INTERRUPTED = 2, 1, 130
SCHEDULE_PANEL, OUTPUT_PANEL = "Schedule", "Output"


class _State:
    debug = bool(os.environ.get("LRPLOT_DEBUG"))


def _error_line(message: str) -> None:
    first = message.strip().splitlines()[0] if message.strip() else "unknown error"
    sys.stderr.write(f"Error: {first}\n")
    sys.stderr.flush()


def run_guarded(invoke: Callable[[], Any]) -> int:
    """The error boundary: run ``invoke`` and turn every failure into one line and an exit code."""
    try:
        result = invoke()
    except LrplotError as exc:
        if _State.debug:
            raise
        _error_line(str(exc))
        return exc.exit_code
    except ClickException as exc:
        if _State.debug:
            raise
        if type(exc).__name__ == "NoArgsIsHelpError":  # plain `lrplot`: the help is the answer
            sys.stdout.write(exc.format_message() + "\n")
            return 0
        message = exc.format_message()
        ctx = getattr(exc, "ctx", None)
        if ctx is not None and exc.exit_code == EXIT_USAGE:
            message = f"{message} (see '{ctx.command_path} --help')"
        _error_line(message)
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("\nInterrupted; nothing was written.\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error worth a message.
        _silence_stdout()
        return EXIT_ERROR
    except Exception as exc:  # a bug, not bad input: still one line, with the way to learn more
        if _State.debug:
            raise
        _error_line(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)")
        return EXIT_ERROR
    code = result if isinstance(result, int) else 0
    if code == EXIT_INTERRUPTED:  # Typer turns Ctrl-C into exit code 130 before we see it
        sys.stderr.write("\nInterrupted; nothing was written.\n")
    return code


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


class LrplotGroup(TyperGroup):
    """Typer's group with lrplot's error boundary around it, for the console script and tests."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _raw_values(super().get_params(ctx))

    def list_commands(self, ctx: Any) -> list[str]:
        return [*command_names("torch"), *FRAMEWORKS, *super().list_commands(ctx)]

    def get_command(self, ctx: Any, name: str) -> Any:
        if name in WORDS:
            return namespace_group(WORDS[name])
        if name in command_names("torch"):
            return schedule_command("torch", name)
        command = super().get_command(ctx, name)
        if command is None and not ctx.resilient_parsing:
            names = self.list_commands(ctx)
            if name in schedules_of("torch"):
                raise UsageError(f"{name} is defined in YAML only; use lrplot run CONFIG.yaml")
            hint = warmup_hint(name) or closest(name, names)
            raise UsageError(f"no command {show(name)}{hint}; commands: {', '.join(names)}")
        return command

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        _State.debug = bool(os.environ.get("LRPLOT_DEBUG"))
        code = run_guarded(
            lambda: super(LrplotGroup, self).main(
                args=args,
                prog_name=prog_name or "lrplot",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        )
        if standalone_mode:
            sys.exit(code)
        return code


def warmup_hint(name: str) -> str:
    """For a command such as ``warmup-cosine``: a warm-up is an option of each schedule, not a
    schedule of its own (and transformers' schedules take their own); '' for other names."""
    folded = name.lower().replace("-", "").replace("_", "")
    if "warmup" not in folded:
        return ""
    import re  # only this message needs it

    rest = re.sub(r"warm[-_]?up", "", name, flags=re.IGNORECASE).strip("-_")
    if rest not in command_names("torch"):
        return "; a warm-up is an option of each schedule: lrplot SCHEDULE --warmup-steps N"
    hint = f"; a warm-up is an option of each schedule: lrplot {rest} --warmup-steps N"
    hf = schedules_of("hf").get(rest)
    if hf is not None and any(p.name == "num_warmup_steps" for p in hf.params):
        hint += f" (transformers' own: lrplot hf {rest} --num-warmup-steps N)"
    return hint


class _RawValues:
    """Hands option values over as parsed from the command line (strings, bools, lists)."""

    @staticmethod
    def coerce(value: Any, param: Any, ctx: Any) -> Any:
        if value is None:
            return [] if param.multiple else None
        return list(value) if param.multiple else value


def _raw_values(params: list[Any]) -> list[Any]:
    """Make options reach lrplot unconverted.

    lrplot's parameters parse every value themselves (the one validation path shared with YAML),
    so Typer's own coercion, which builds pydantic adapters and costs ~40 ms per start, is skipped.
    """
    for param in params:
        if hasattr(param, "get_runtime_param"):
            param.get_runtime_param = lambda: _RawValues  # type: ignore[method-assign]
    return params


class RawCommand(TyperCommand):
    """A Typer command whose option values reach lrplot unconverted (see _raw_values)."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _raw_values(super().get_params(ctx))


class CompareCommand(RawCommand):
    """``compare``, which first catches SPECs typed without their quotes (``lrplot compare cosine
    --t-max 20``): Click would read --t-max as an option of compare and stop at "No such option"."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:
            message = unquoted_specs(args, self.get_params(ctx))
            if message:
                raise UsageError(message)
        return super().parse_args(ctx, args)


def unquoted_specs(args: Sequence[str], params: Sequence[Any]) -> str | None:
    """The message for schedule options given to compare outside any SPEC's quotes, with the
    command line quoted as meant: each schedule name (or namespace and name) starts a SPEC that
    takes the words after it, and compare's own options stay outside. None when every option is
    compare's own, or none follows a schedule name (then Click says what is wrong)."""
    own: dict[str, bool] = {}  # compare's options -> whether each takes a value
    for param in params:
        if getattr(param, "param_type_name", "") == "option":
            for name in (*param.opts, *param.secondary_opts):
                own[name] = not param.is_flag
    specs: list[list[str]] = []
    outside: list[str] = []
    foreign: tuple[str, str] | None = None  # (the first stray option, the schedule it follows)
    words = list(args)
    while words:
        word = words.pop(0)
        name = word.split("=", 1)[0]
        if word == "--":
            return None
        if name in own:
            outside.append(word)
            if own[name] and "=" not in word and words:
                outside.append(words.pop(0))
        elif " " in word:  # a SPEC in quotes
            specs.append([word])
        elif word in WORDS and words:
            specs.append([word, words.pop(0)])
        elif word in command_names("torch"):
            specs.append([word])
        elif specs and " " not in specs[-1][0]:
            if word.startswith("-") and _is_option(word) and foreign is None:
                schedule = specs[-1][:2] if specs[-1][0] in WORDS else specs[-1][:1]
                if not _takes(schedule, name):
                    return None  # no schedule's option either: Click's "No such option" is right
                foreign = (name, " ".join(schedule))
            specs[-1].append(word)
        else:
            return None
    if foreign is None:
        return None
    quoted = " ".join(_quoted(spec) for spec in specs)
    line = " ".join(["lrplot compare", quoted, *outside])
    option, schedule = foreign
    return (f"{option} is an option of {schedule}, not of compare: each SPEC is one schedule command "
            f"line in quotes, e.g. {line}")


def _takes(words: Sequence[str], option: str) -> bool:
    """Whether the schedule named by ``words`` (``cosine``, ``hf cosine``) has the option."""
    framework, name = ("torch", words[0]) if len(words) == 1 else (WORDS[words[0]], words[1])
    if name not in command_names(framework):
        return False
    params = schedule_command(framework, name).params
    return any(option in (*p.opts, *p.secondary_opts) for p in params)


def _is_option(word: str) -> bool:
    """``--t-max`` or ``-x``, not a negative number such as ``-1``."""
    try:
        float(word)
    except ValueError:
        return True
    return False


def _quoted(spec: Sequence[str]) -> str:
    if len(spec) == 1 and " " in spec[0]:
        spec = [spec[0]]
    text = " ".join(spec)
    if '"' in text or "$" in text or "`" in text or "\\" in text:
        import shlex  # only this message needs it

        return shlex.quote(text)
    return f'"{text}"'


CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    cls=LrplotGroup,
    name="lrplot",
    help="See a learning-rate schedule before you train with it: exact PyTorch curves as a "
    "table, a plot (PNG/SVG/PDF) or CSV/JSON.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=CONTEXT_SETTINGS,
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"lrplot {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks instead of one-line errors."),
) -> None:
    _State.debug = _State.debug or debug


# --- options generated from the registry -------------------------------------------------------


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _help(param: Param) -> str:
    return f"{param.help} (default: {param.default_text()})"


def param_option(param: Param, panel: str) -> inspect.Parameter:
    """The Typer option for a registry parameter. Values arrive as raw strings (or bools for
    switches) and are parsed by the parameter itself: one validation path for every source."""
    if isinstance(param, Switch):
        names = f"{flag(param.name)}/--no-{param.name.replace('_', '-')}"
        option = typer.Option(None, names, help=_help(param), rich_help_panel=panel, show_default=False)
        annotation: Any = bool | None
    else:
        choices = tuple(getattr(param, "choices", ()) or ())
        option = typer.Option(
            None,
            flag(param.name),
            help=_help(param),
            metavar=param.metavar,
            rich_help_panel=panel,
            show_default=False,
            # Shell completion offers a choice's values (Choice parameters: mode, anneal strategy).
            autocompletion=(lambda incomplete: [c for c in choices if c.startswith(incomplete)])
            if choices else None,
        )
        annotation = str | None
    return inspect.Parameter(
        param.name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation
    )


def view_option(param: Param) -> inspect.Parameter:
    """The option for an output setting; ``output`` is ``-o/--output`` and repeatable."""
    if param.name != "output":
        return param_option(param, OUTPUT_PANEL)
    option = typer.Option(
        None, "-o", "--output", metavar="PATH", rich_help_panel=OUTPUT_PANEL,
        help=f"{param.help} Repeatable.",
    )
    return inspect.Parameter("output", inspect.Parameter.KEYWORD_ONLY, default=option,
                             annotation=list[str] | None)


# How the command behaves, not what it draws: a command-line option only (no YAML key).
QUIET = Switch("quiet", "Print nothing on stderr but errors: no warnings, no progress bar, no "
               "'Wrote' lines.", False)
SETTINGS = (*VIEW_PARAMS, QUIET)
# Every command takes these; compare and run also take --layout (several schedules).
OUTPUT_OPTIONS = [view_option(p) for p in SETTINGS if p.name != "layout"]
OUTPUT_NAMES = frozenset(p.name for p in SETTINGS)


def _with_signature(fn: Callable[..., Any], params: Sequence[inspect.Parameter]) -> Callable[..., Any]:
    """Give ``fn(**kwargs)`` the signature Typer reads its options from."""
    fn.__signature__ = inspect.Signature(list(params))  # type: ignore[attr-defined]
    fn.__annotations__ = {p.name: p.annotation for p in params}
    return fn


def schedule_options(schedule: Schedule) -> list[inspect.Parameter]:
    return [param_option(p, SCHEDULE_PANEL) for p in (*schedule.params, *spec_params(schedule))]


def view_settings(raw: dict[str, Any], params: Sequence[Param] = SETTINGS) -> dict[str, Any]:
    """Pop the output settings (``params``) out of ``raw`` and parse them (None = not given)."""
    settings = {}
    for param in params:
        value = raw.pop(param.name, None)
        if param.name == "output":
            settings["output"] = list(value) if value else None
            continue
        try:
            settings[param.name] = None if value is None else param.parse(value)
        except Invalid as invalid:
            raise FLAGS.fail(invalid) from None
    return settings


def command_names(framework: str) -> list[str]:
    """A framework's schedules that have a command (composites are YAML-only: lrplot run)."""
    return [name for name, schedule in schedules_of(framework).items() if not schedule.yaml_only]


class NamespaceGroup(TyperGroup):
    """``lrplot hf ...``: one framework's schedules, each a command built when it is asked for."""

    def __init__(self, framework: str) -> None:
        record = FRAMEWORKS[framework]
        also = f" (also: lrplot {', '.join(record.aliases)})" if record.aliases else ""
        super().__init__(
            name=framework,
            help=f"{record.title} schedules, exact to {record.library} {record.version}: "
            f"{record.index}.{also}",
            no_args_is_help=True,
            context_settings=CONTEXT_SETTINGS,
        )
        self.framework = framework

    def get_params(self, ctx: Any) -> list[Any]:
        return _raw_values(super().get_params(ctx))

    def list_commands(self, ctx: Any) -> list[str]:
        return command_names(self.framework)

    def get_command(self, ctx: Any, name: str) -> Any:
        if name in command_names(self.framework):
            return schedule_command(self.framework, name)
        if ctx.resilient_parsing:
            return None
        known = schedules_of(self.framework)
        if name in known:
            raise UsageError(f"{self.framework} {name} is defined in YAML only; use lrplot run CONFIG.yaml")
        names = command_names(self.framework)
        raise UsageError(
            f"no {self.framework} schedule {show(name)}{closest(name, names)}; {self.framework} "
            f"schedules: {', '.join(names)}"
        )


@functools.cache
def namespace_group(framework: str) -> NamespaceGroup:
    return NamespaceGroup(framework)


@functools.cache
def schedule_command(framework: str, name: str) -> Any:
    """The command of one schedule, built from the registry when it is asked for: building every
    schedule's command at each start would cost every invocation a few milliseconds more."""
    schedule = schedules_of(framework)[name]

    def command(**raw: Any) -> None:
        settings = view_settings(raw)
        targets = output_targets(settings)
        spec = build_spec(schedule.key, raw, FLAGS)
        protect(targets, inputs_of([spec]))
        emit([compute(spec)], targets, make_view(settings, [spec]), settings["quiet"])

    command.__name__ = command.__qualname__ = schedule.name
    _with_signature(command, [*schedule_options(schedule), *OUTPUT_OPTIONS])
    single = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)
    single.command(
        schedule.name,
        cls=RawCommand,
        help=f"{schedule.summary} (= {schedule.origin})",
        epilog=f"Example: lrplot {schedule.example}",
        context_settings=CONTEXT_SETTINGS,
    )(command)
    return typer.main.get_command(single)


def output_targets(
    settings: dict[str, Any], paths: Sequence[str] | None = None, flag: str = "-o"
) -> list[Target]:
    """The -o targets (or ``paths``), checked before any work: binary formats are refused on a
    terminal, and only one thing may write to standard output."""
    targets = parse_targets(paths if paths is not None else settings["output"] or (), flag,
                            terminal=sys.stdout.isatty())
    one_writer(settings, targets)
    return targets


def one_writer(settings: dict[str, Any], targets: Sequence[Target]) -> None:
    """Refuse two of --emit, --chart and -o - at once: each writes to standard output."""
    writers = [name for name, on in (("--emit", settings.get("emit")), ("--chart", settings.get("chart")),
                                     ("-o -", any(t.path is None for t in targets))) if on]
    if len(writers) > 1:
        raise UsageError(f"{writers[0]} and {writers[1]} both write to standard output; pick one")


def inputs_of(specs: Sequence[Spec]) -> list[tuple[str, Path]]:
    """The files a run reads (metrics files), which no output may overwrite."""
    return [
        ("metrics file", value.path)
        for spec in specs
        for value in spec.params.values()
        if getattr(value, "path", None) is not None
    ]


def make_view(settings: dict[str, Any], specs: Sequence[Spec]) -> View:
    """The output settings; the epoch axis comes from --steps-per-epoch, or from the specs when
    they all agree on one."""
    per_epoch = settings.get("steps_per_epoch")
    if per_epoch is None:
        per_epoch = shared_steps_per_epoch(specs)
    return View(
        title=settings.get("title"),
        log=bool(settings.get("log")),
        steps_per_epoch=per_epoch,
        layout=settings.get("layout") or LAYOUT.default,
        chart=bool(settings.get("chart")),
        emit=settings.get("emit"),
    )


# --- compare and run ---------------------------------------------------------------------------

BATCHES = Integer("batches_per_epoch", "Batches in one epoch (the dataloader's length), which a "
                  "training config cannot know.", ge=1)




def several_options() -> list[inspect.Parameter]:
    return [
        *(param_option(p, OUTPUT_PANEL) for p in RUN_WIDE),
        *OUTPUT_OPTIONS,
        view_option(LAYOUT),
    ]


def shared_settings(raw: dict[str, Any]) -> dict[str, Any]:
    """Output settings plus --steps/--steps-per-epoch for the whole run, parsed."""
    return view_settings(raw, (*SETTINGS, *RUN_WIDE))


def parse_spec(ctx: Any, index: int, text: str, settings: dict[str, Any]) -> Spec:
    """One SPEC of ``compare``: exactly a one-schedule command line, parsed by that command."""
    import shlex  # only compare needs it

    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise UsageError(f"spec {index} ({text!r}): {exc}") from None
    if tokens[:1] == ["lrplot"]:
        tokens = tokens[1:]
    if not tokens:
        raise UsageError(f'spec {index} is empty: give a schedule and its options, e.g. "cosine --t-max 20"')
    if tokens[0] == "log":
        return compare_log(ctx, index, tokens[1:], settings)
    framework = WORDS.get(tokens[0])
    if framework is not None:
        if len(tokens) < 2:
            names = ", ".join(command_names(framework))
            raise UsageError(f"spec {index} names the {tokens[0]} namespace but no schedule; one of {names}")
        words, name, args = tokens[:2], tokens[1], tokens[2:]
        key = f"{framework}.{name}"
    else:
        words, name, args = tokens[:1], tokens[0], tokens[1:]
        key = name
    shown = " ".join(words)
    naming = Naming("flag", f"spec {index} ({shown}): ")
    schedule = lookup(key, Naming("flag", f"spec {index}: "))
    if schedule.yaml_only:
        raise UsageError(f"spec {index}: {shown} is defined in YAML only; use lrplot run CONFIG.yaml")
    command = schedule_command(schedule.framework, schedule.name)
    try:
        raw = dict(command.make_context(shown, args, parent=ctx).params)
    except ClickException as exc:
        raise UsageError(f"spec {index} ({shown}): {exc.format_message()}") from None
    for key in SETTINGS:
        if raw.pop(key.name, None) not in (None, [], ()):
            option = "-o" if key.name == "output" else flag(key.name)
            raise UsageError(
                f"spec {index} ({shown}): {option} applies to the whole comparison; "
                "put it after the specs"
            )
    inherit_run_wide(raw, settings, schedule.key)
    return build_spec(schedule.key, raw, naming)


def _compare(ctx: typer.Context, **raw: Any) -> None:
    settings = shared_settings(raw)
    targets = output_targets(settings)
    specs = labelled(
        [parse_spec(ctx, i, text, settings) for i, text in enumerate(raw["specs"], start=1)], FLAGS
    )
    protect(targets, inputs_of(specs))
    emit([curve_of(spec) for spec in specs], targets, make_view(settings, specs), settings["quiet"])


_with_signature(_compare, [
    inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context),
    inspect.Parameter(
        "specs", inspect.Parameter.KEYWORD_ONLY, annotation=list[str],
        default=typer.Argument(..., metavar="SPEC...", show_default=False,
                               help='A schedule command line in quotes, e.g. "cosine --t-max 20".'),
    ),
    *several_options(),
])
app.command(
    "compare",
    cls=CompareCommand,
    help="Several schedules side by side: one column (or line) per SPEC.",
    epilog='Example: lrplot compare "cosine --t-max 100" "onecycle --max-lr 0.01 --total-steps 100" '
    "-o cmp.png",
)(_compare)


def _run(**raw: Any) -> None:
    from . import config
    from .code import literal_value

    settings = shared_settings(raw)
    targets = output_targets(settings)  # the command line's own -o, before the config is read
    kind = raw.pop("kind", None)
    if kind is not None and kind not in config.kinds():
        raise UsageError(f"--kind must be one of {', '.join(config.kinds())}, got {show(kind)}"
                         f"{closest(kind, config.kinds())}")
    values = {name: literal_value(text) for name, text in map(_assignment, raw.pop("set") or ())}
    batches = raw.pop("batches_per_epoch", None)
    if batches is not None:
        values["batches_per_epoch"] = parse_flag(BATCHES, batches)
    loaded = config.load(raw["config"], settings, kind, values)
    if not targets and loaded.outputs:
        try:
            targets = output_targets(loaded.settings, loaded.outputs, flag="output")
        except UsageError as exc:
            raise ConfigError(f"{raw['config']}: {exc}") from None
    one_writer(loaded.settings, targets)  # the config may ask for a chart or code too
    specs = labelled(loaded.specs, Naming("key", error=ConfigError, file=raw["config"]))
    protect(targets, [("config", Path(raw["config"])), *inputs_of(specs)])
    emit([curve_of(spec) for spec in specs], targets, make_view(loaded.settings, specs), settings["quiet"])


_with_signature(_run, [
    inspect.Parameter(
        "config", inspect.Parameter.KEYWORD_ONLY, annotation=str,
        default=typer.Argument(..., metavar="CONFIG", show_default=False,
                               help="lrplot's YAML (a 'schedules:' list, see lrplot list --yaml), or "
                               "a training config: Hugging Face TrainingArguments (JSON/YAML), a "
                               "DeepSpeed JSON, timm's args.yaml."),
    ),
    inspect.Parameter(
        "kind", inspect.Parameter.KEYWORD_ONLY, annotation=str | None,
        default=typer.Option(None, "--kind", metavar="lrplot|hf|deepspeed|timm",
                             rich_help_panel=SCHEDULE_PANEL,
                             help="What the config is (default: recognised from its keys)."),
    ),
    inspect.Parameter(
        "set", inspect.Parameter.KEYWORD_ONLY, annotation=list[str] | None,
        default=typer.Option(None, "--set", metavar="KEY=VALUE", rich_help_panel=SCHEDULE_PANEL,
                             help="A training config's key: fills an \"auto\" value or one it lacks. "
                             "Repeatable."),
    ),
    param_option(BATCHES, SCHEDULE_PANEL),
    *several_options(),
])
app.command(
    "run",
    cls=RawCommand,
    help="Run the schedules of a YAML config; options given here override the config's.",
    epilog="Example: lrplot run sample_configs/seed_examples.yaml -o out.png -o out.csv",
)(_run)


# --- code ---------------------------------------------------------------------------------------

SET = Text("set", "NAME=VALUE: the value of a name or expression the source does not give "
           "(e.g. 'len(train_loader)=50'). Repeatable.")
CODE_LR = Real("lr", "The optimizer's learning rate, for schedules that read it (default: the "
               "optimizer built in the file, else the framework's default).", gt=0)


def _code(**raw: Any) -> None:
    from .code import read

    settings = shared_settings(raw)
    targets = output_targets(settings)
    filled = dict(map(_assignment, raw.pop("set") or ()))
    lr = None if raw.get("lr") is None else parse_flag(CODE_LR, raw["lr"])
    found = read(raw["source"], filled, lr)
    specs = []
    for item in found:
        request = dict(item.raw)
        inherit_run_wide(request, settings, item.key)
        where = f"{raw['source'] if raw['source'].endswith('.py') else 'code'}:{item.line}: "
        specs.append(build_spec(item.key, request, Naming("key", where)))
    # One schedule is labelled as its flags would label it; several as a comparison of them.
    specs = labelled(specs, FLAGS) if len(specs) > 1 else specs
    protect(targets, inputs_of(specs))
    emit([compute(spec) for spec in specs], targets, make_view(settings, specs), settings["quiet"])


def _assignment(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` of --set, split at the last '=' that is not part of ==, <=, >=, !=."""
    for index in range(len(text) - 1, 0, -1):
        if text[index] == "=" and text[index - 1] not in "=<>!" and text[index + 1 : index + 2] != "=":
            name, value = text[:index].strip(), text[index + 1 :].strip()
            if name and value:
                return name, value
    raise UsageError(f"--set takes NAME=VALUE, got {show(text)}")


def parse_flag(param: Param, value: Any) -> Any:
    try:
        return param.parse(value)
    except Invalid as invalid:
        raise FLAGS.fail(invalid) from None


_with_signature(_code, [
    inspect.Parameter(
        "source", inspect.Parameter.KEYWORD_ONLY, annotation=str,
        default=typer.Argument(..., metavar="CODE|FILE.py", show_default=False,
                               help="A line of Python that builds a scheduler, or a .py file (parsed, "
                               "never run)."),
    ),
    inspect.Parameter(
        "set", inspect.Parameter.KEYWORD_ONLY, annotation=list[str] | None,
        default=typer.Option(None, "--set", metavar="NAME=VALUE", help=SET.help,
                             rich_help_panel=SCHEDULE_PANEL),
    ),
    param_option(CODE_LR, SCHEDULE_PANEL),
    *several_options(),
])
app.command(
    "code",
    cls=RawCommand,
    help="The schedules a line of Python (or a .py file) constructs, read without running it: "
    "torch, transformers, timm, optax, keras, deepspeed and fastai calls.",
    epilog='Example: lrplot code "OneCycleLR(optimizer, max_lr=0.01, epochs=20, '
    'steps_per_epoch=len(train_loader))" --set "len(train_loader)=50"',
)(_code)


# --- log and check -------------------------------------------------------------------------------

RTOL = Real("rtol", "Relative tolerance: a logged rate agrees within rtol x the larger of it and the "
            "plan's.", 1e-6, gt=0, lt=1)
LOG_FILE_HELP = ("A training log: trainer_state.json, Lightning's metrics.csv, a TensorBoard event file "
                 "or run folder, or a CSV with a step and a rate column.")


def curve_of(spec: Any) -> Curve:
    """The curve of a compare SPEC: a schedule's, or a log's."""
    return compute(spec) if isinstance(spec, Spec) else spec.curve()


def _log(**raw: Any) -> None:
    settings = view_settings(raw)
    targets = output_targets(settings)
    spec = log_spec(raw, raw.pop("file"), FLAGS)
    protect(targets, [("training log", spec.log.path)])
    emit([spec.curve()], targets, make_view(settings, [spec]), settings["quiet"])


_with_signature(_log, [
    inspect.Parameter(
        "file", inspect.Parameter.KEYWORD_ONLY, annotation=str,
        default=typer.Argument(..., metavar="FILE", show_default=False, help=LOG_FILE_HELP),
    ),
    *(param_option(p, SCHEDULE_PANEL) for p in LOG_OPTIONS),
    *(o for o in OUTPUT_OPTIONS if o.name != "emit"),
])
LOG_HELP = dict(
    help="The rates a training run logged (and a metric), through every output: row t is the rate "
    "of update t, whatever the log's own step numbering.",
    epilog='Examples: lrplot log runs/trainer_state.json --metric eval_loss -o run.png; '
    'lrplot compare "log runs/trainer_state.json" "hf cosine --lr 1e-3 --num-training-steps 24"',
)
app.command("log", cls=RawCommand, **LOG_HELP)(_log)


@functools.cache
def log_command() -> Any:
    """The ``log`` command on its own, to parse compare's ``"log FILE ..."`` specs."""
    single = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)
    single.command("log", cls=RawCommand, context_settings=CONTEXT_SETTINGS, **LOG_HELP)(_log)
    return typer.main.get_command(single)


def compare_log(ctx: Any, index: int, args: Sequence[str], settings: dict[str, Any]) -> Any:
    """A ``"log FILE ..."`` SPEC of compare: parsed by the log command, with the run's steps."""
    try:
        raw = dict(log_command().make_context("log", list(args), parent=ctx).params)
    except ClickException as exc:
        raise UsageError(f"spec {index} (log): {exc.format_message()}") from None
    for key in SETTINGS:
        if raw.pop(key.name, None) not in (None, [], ()):
            option = "-o" if key.name == "output" else flag(key.name)
            raise UsageError(f"spec {index} (log): {option} applies to the whole comparison; put it after "
                             "the specs")
    if settings.get("emit"):
        raise UsageError(f"spec {index} (log): --emit writes the code that builds a scheduler, and a log "
                         "has none; compare the log without --emit")
    inherit_run_wide(raw, settings)
    return log_spec(raw, raw.pop("file"), Naming("flag", f"spec {index} (log): "))


def _check(ctx: typer.Context, **raw: Any) -> int:
    from .check import CannotCompare, compare
    from .logs import read

    try:
        rtol = RTOL.default if raw["rtol"] is None else parse_flag(RTOL, raw["rtol"])
        tag = None if raw["tag"] is None else parse_flag(LOG_TAG, raw["tag"])
        per_epoch = None if raw["steps_per_epoch"] is None else parse_flag(STEPS_PER_EPOCH,
                                                                          raw["steps_per_epoch"])
        spec = parse_spec(ctx, 1, raw["spec"], {})
        if not isinstance(spec, Spec):
            raise UsageError("SPEC is the plan to check the log against: a schedule, not a log")
        log = read(raw["log"], tag)
        plan = compute(spec)
        per = 1
        if plan.row_unit == "epoch":
            per = per_epoch or log.steps_per_epoch
            if per is None:
                raise UsageError(f"{raw['spec']!r} has one row per epoch and {raw['log']} counts updates; "
                                 "give --steps-per-epoch")
        elif per_epoch is not None:
            raise UsageError(f"--steps-per-epoch applies only to a plan stepped per epoch (plateau); "
                             f"{raw['spec']!r} has one row per step, as the log does")
    except CannotCompare:
        raise
    except LrplotError as exc:  # nothing was compared: exit 2, as diff and cmp do
        raise CannotCompare(str(exc)) from None
    for warning in plan.warnings:
        sys.stderr.write(f"Warning: {plan.label}: {warning}\n")
    for warning in log.warnings:
        sys.stderr.write(f"Warning: {warning}\n")
    report = compare(log, plan.lr, raw["spec"], rtol, per)
    sys.stdout.write("\n".join(report.lines) + "\n")
    raise typer.Exit(report.code)


_with_signature(_check, [
    inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context),
    inspect.Parameter(
        "log", inspect.Parameter.KEYWORD_ONLY, annotation=str,
        default=typer.Argument(..., metavar="LOG", show_default=False, help=LOG_FILE_HELP),
    ),
    inspect.Parameter(
        "spec", inspect.Parameter.KEYWORD_ONLY, annotation=str,
        default=typer.Argument(..., metavar="SPEC", show_default=False,
                               help='The planned schedule, as in compare: "hf cosine --lr 2e-5 ...".'),
    ),
    param_option(LOG_TAG, SCHEDULE_PANEL),
    param_option(RTOL, SCHEDULE_PANEL),
    param_option(Integer("steps_per_epoch", "Logged steps per epoch, for a plan stepped per epoch "
                         "(plateau; default: what the log says).", ge=1), SCHEDULE_PANEL),
])
app.command(
    "check",
    cls=RawCommand,
    help="Did the run use the schedule you meant? Compare a log's rates with the plan at every logged "
    "step: exit 0 when they agree, 1 when they do not (with the first difference and the likely "
    "cause), 2 when they cannot be compared.",
    epilog='Example: lrplot check runs/trainer_state.json "hf linear --lr 2e-5 --num-training-steps 1000"',
)(_check)


# --- output -------------------------------------------------------------------------------------


def emit(curves: Sequence[Curve], targets: Sequence[Target], view: View, quiet: bool | None = False) -> None:
    """Warnings to stderr (unless quiet); then the code (--emit), the chart (--chart) or the table
    (no -o), and every -o target (with a progress bar on a terminal when that takes long)."""
    for curve in curves if not quiet else ():
        for warning in curve.warnings:
            sys.stderr.write(f"Warning: {curve.label}: {warning}\n")
    if view.emit:
        from .emit import script

        sys.stdout.write(script(curves, view.emit, view.title))
    elif view.chart:
        from .render.chart import default_height, render_chart, terminal_size

        columns, lines = terminal_size()
        colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        sys.stdout.write(
            render_chart(curves, width=max(columns, 20), height=default_height(lines), log=view.log,
                         steps_per_epoch=view.steps_per_epoch, color=colour, title=view.title)
        )
    elif not targets:
        from rich.console import Console

        from .render.table import render_table

        Console(highlight=False, soft_wrap=False, markup=False, emoji=False).print(
            render_table(curves, steps_per_epoch=view.steps_per_epoch, log=view.log, title=view.title),
            crop=False,
        )
    if not targets:
        return
    from .render import write

    sys.stdout.flush()
    with progress(curves, targets, shown=not quiet and sys.stderr.isatty()) as track:
        write(curves, targets, view, sys.stdout.buffer, track)
    sys.stdout.flush()
    for target in targets if not quiet else ():
        if target.path is not None:
            sys.stderr.write(f"Wrote {target.path}\n")


# Text exports write ~1e7 floats a second (see benchmarks/csv_export.py): past this many a file
# takes a second or more, worth a progress bar.
PROGRESS_FROM = 5_000_000
# Bytes per float in CSV/JSON (repr of a float64 and a separator), to size the bar.
BYTES_PER_FLOAT = 21


@contextlib.contextmanager
def progress(curves: Sequence[Curve], targets: Sequence[Target], shown: bool):
    """A tracker for :func:`lrplot.render.write` (stream, target) -> stream that counts the bytes
    of each text export on a rich progress bar on stderr, when ``shown`` and the exports are
    long; None otherwise."""
    floats = sum(len(c) * (2 + len(c.series)) for c in curves)
    text = [t for t in targets if t.format in ("csv", "json")]
    if not shown or not text or floats < PROGRESS_FROM:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn(),
                   console=Console(stderr=True), transient=True)

    def track(stream, target):
        if target.format not in ("csv", "json"):
            return stream
        task = bar.add_task(f"writing {target.path or 'stdout'}", total=floats * BYTES_PER_FLOAT)
        return CountingStream(stream, lambda size: bar.advance(task, size))

    with bar:
        yield track


class CountingStream:
    """A binary stream that reports the size of each write to ``counted``."""

    def __init__(self, stream, counted: Callable[[int], None]) -> None:
        self.stream, self.counted = stream, counted

    def write(self, data) -> int:
        self.counted(len(data))
        return self.stream.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


# --- list ---------------------------------------------------------------------------------------


LIST_WORDS = typer.Argument(None, metavar="[NAMESPACE] [SCHEDULE]", show_default=False,
                            help="A framework (hf, timm, ...), a schedule, or both.")


@app.command("list", cls=RawCommand,
             epilog="Examples: lrplot list hf; lrplot list hf cosine; lrplot list onecycle")
def list_schedules(
    words: list[str] = LIST_WORDS,
    markdown: bool = typer.Option(False, "--markdown", help="Print the README's markdown table instead."),
    as_yaml: bool = typer.Option(False, "--yaml", help="Print the reference of every YAML config key."),
) -> None:
    """List the schedules of every framework (or of one, or one schedule in full): origin,
    parameters, defaults, natural length and an example."""
    from . import catalog

    framework, schedule = listed(words or [])
    if as_yaml:
        sys.stdout.write(catalog.yaml_reference())
    elif schedule is not None:
        sys.stdout.write(catalog.one(schedule))
    elif markdown:
        sys.stdout.write(catalog.markdown(framework or "torch"))
    else:
        sys.stdout.write(catalog.text(framework))


def listed(words: Sequence[str]) -> tuple[str | None, Schedule | None]:
    """(framework, schedule) named by `lrplot list` words: ``hf``, ``hf cosine``, ``cosine``."""
    if len(words) > 2:
        raise UsageError(f"list takes a namespace and a schedule at most, got {' '.join(words)}")
    if not words:
        return None, None
    framework = WORDS.get(words[0])
    if framework is None:
        if len(words) > 1:
            raise UsageError(f"no framework {show(words[0])}{closest(words[0], WORDS)}; frameworks: "
                             f"{', '.join(FRAMEWORKS)}")
        framework, name = "torch", words[0]
    elif len(words) == 1:
        return framework, None
    else:
        name = words[1]
    known = schedules_of(framework)
    if name not in known:
        hint = closest(name, [*known, *(WORDS if framework == "torch" else ())])
        raise UsageError(
            f"no {framework} schedule {show(name)}{hint}; {framework} schedules: {', '.join(known)}"
        )
    return framework, known[name]



def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    typer.main.get_command(app).main(args=argv, prog_name="lrplot")


__all__ = ["app", "main", "run_guarded"]
