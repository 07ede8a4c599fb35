"""The command line: parses flags into specs, runs the engine, picks a renderer.

It is the only module that prints to the user or exits, and it holds the one error boundary:
every LrplotError (and every Click usage error) becomes one ``Error: ...`` line on stderr and an
exit code (2 usage, 1 other, 130 interrupted). ``--debug`` re-raises for a traceback.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from . import __version__
from .engine import FLAGS, SPEC_PARAMS, Curve, build_spec, compute
from .errors import LrplotError
from .params import Param, Switch
from .registry import Schedule, all_schedules
from .render import View
from .render.files import Target, parse_targets

# Typer ships its own Click and exposes its exceptions only through subclasses such as
# BadParameter; ClickException is the base of every usage error it raises.
ClickException = typer.BadParameter.__mro__[2]

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
    return result if isinstance(result, int) else 0


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


app = typer.Typer(
    cls=LrplotGroup,
    name="lrplot",
    help="See a learning-rate schedule before you train with it: exact PyTorch curves as a "
    "table, a plot (PNG/SVG/PDF) or CSV/JSON.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
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
        option = typer.Option(
            None,
            flag(param.name),
            help=_help(param),
            metavar=param.metavar,
            rich_help_panel=panel,
            show_default=False,
        )
        annotation = str | None
    return inspect.Parameter(
        param.name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation
    )


OUTPUT_OPTIONS = (
    inspect.Parameter(
        "output",
        inspect.Parameter.KEYWORD_ONLY,
        annotation=list[str] | None,
        default=typer.Option(
            None,
            "-o",
            "--output",
            metavar="PATH",
            rich_help_panel=OUTPUT_PANEL,
            help="Write to PATH; the suffix picks the format: .png .svg .pdf .csv .json, "
            "or - for CSV on standard output. Repeatable. Without it, a table is printed.",
        ),
    ),
    inspect.Parameter(
        "log",
        inspect.Parameter.KEYWORD_ONLY,
        annotation=bool,
        default=typer.Option(
            False,
            "--log",
            rich_help_panel=OUTPUT_PANEL,
            help="Log-scale learning-rate axis (and table bars).",
        ),
    ),
    inspect.Parameter(
        "title",
        inspect.Parameter.KEYWORD_ONLY,
        annotation=str | None,
        default=typer.Option(
            None, "--title", metavar="TEXT", rich_help_panel=OUTPUT_PANEL, help="Title of the plot or table."
        ),
    ),
)
OUTPUT_NAMES = frozenset(p.name for p in OUTPUT_OPTIONS)


def _with_signature(fn: Callable[..., Any], params: Sequence[inspect.Parameter]) -> Callable[..., Any]:
    """Give ``fn(**kwargs)`` the signature Typer reads its options from."""
    fn.__signature__ = inspect.Signature(list(params))  # type: ignore[attr-defined]
    fn.__annotations__ = {p.name: p.annotation for p in params}
    return fn


def schedule_options(schedule: Schedule) -> list[inspect.Parameter]:
    return [param_option(p, SCHEDULE_PANEL) for p in (*schedule.params, *SPEC_PARAMS)]


def _register_schedule(schedule: Schedule) -> None:
    def command(**raw: Any) -> None:
        output = {k: raw.pop(k) for k in OUTPUT_NAMES}
        targets = parse_targets(output["output"] or ())
        spec = build_spec(schedule.name, raw, FLAGS)
        curve = compute(spec)
        emit([curve], targets, View(output["title"], output["log"], spec.steps_per_epoch))

    command.__name__ = command.__qualname__ = schedule.name
    _with_signature(command, [*schedule_options(schedule), *OUTPUT_OPTIONS])
    app.command(
        schedule.name,
        cls=RawCommand,
        help=f"{schedule.summary} (= {schedule.torch_path})",
        epilog=f"Example: lrplot {schedule.example}",
    )(command)


# --- output -------------------------------------------------------------------------------------


def emit(curves: Sequence[Curve], targets: Sequence[Target], view: View) -> None:
    """Warnings to stderr; then the table (no -o) or every -o target."""
    for curve in curves:
        for warning in curve.warnings:
            sys.stderr.write(f"Warning: {curve.label}: {warning}\n")
    if not targets:
        from rich.console import Console

        from .render.table import render_table

        Console(highlight=False, soft_wrap=False).print(
            render_table(curves, steps_per_epoch=view.steps_per_epoch, log=view.log, title=view.title),
            crop=False,
        )
        return
    from .render import write

    sys.stdout.flush()
    write(curves, targets, view, sys.stdout.buffer)
    sys.stdout.flush()
    for target in targets:
        if target.path is not None:
            sys.stderr.write(f"Wrote {target.path}\n")


# --- list ---------------------------------------------------------------------------------------


@app.command("list", cls=RawCommand)
def list_schedules(
    markdown: bool = typer.Option(False, "--markdown", help="Print the README's markdown table instead."),
) -> None:
    """List every schedule with its torch class, parameters, defaults and an example."""
    from . import catalog

    sys.stdout.write(catalog.markdown() if markdown else catalog.text())


for _schedule in all_schedules().values():
    _register_schedule(_schedule)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    typer.main.get_command(app).main(args=argv, prog_name="lrplot")


__all__ = ["app", "main", "run_guarded"]
