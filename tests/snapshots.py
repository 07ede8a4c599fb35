"""Golden text of the terminal chart and table: how each snapshot is made, and the check.

The files under tests/golden/charts/ and tests/golden/tables/ are reviewed text (``.txt`` plain,
``.ansi`` coloured: ``cat`` shows them as a terminal would). Tests only compare with them and fail
when one is missing; nothing under test writes them. After an intended change, regenerate them
and review the diff before committing:

    python scripts/make_snapshots.py            every snapshot
    python scripts/make_snapshots.py NAME ...   some of them (e.g. charts/cosine.txt)
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

import lrplot
from lrplot.engine import Curve
from lrplot.render.chart import render_chart
from lrplot.render.table import render_table

GOLDEN = Path(__file__).resolve().parent / "golden"
MAKE = "python scripts/make_snapshots.py"
SNAPSHOTS: dict[str, Callable[[], str]] = {}

# sample_configs/val_acc.csv: two reductions with patience 2.
VAL_ACC = [0.412, 0.553, 0.618, 0.664, 0.689, 0.701, 0.7, 0.699, 0.7005, 0.742, 0.748, 0.75,
           0.7495, 0.7498, 0.749, 0.758, 0.759, 0.7592, 0.7591, 0.7593]


def snapshot(name: str) -> Callable[[Callable[[], str]], Callable[[], str]]:
    """Register the recipe of the snapshot stored as tests/golden/``name``."""

    def register(recipe: Callable[[], str]) -> Callable[[], str]:
        if name in SNAPSHOTS:
            raise ValueError(f"snapshot {name} defined twice")
        SNAPSHOTS[name] = recipe
        return recipe

    return register


def check(name: str) -> None:
    """The snapshot ``name`` made now equals its reviewed file."""
    path = GOLDEN / name
    assert path.exists(), f"{path} is missing: run {MAKE} {name}, review it and commit it"
    # On failure pytest shows the line diff; if the new text is right, regenerate and review.
    assert SNAPSHOTS[name]() == path.read_bytes().decode("utf-8")


def write(names: list[str] | None = None) -> list[str]:
    """Write the snapshots ``names`` (all by default); returns the names whose file changed."""
    changed = []
    for name in names or sorted(SNAPSHOTS):
        path = GOLDEN / name
        text = SNAPSHOTS[name]().encode("utf-8")
        if not path.exists() or path.read_bytes() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text)
            changed.append(name)
    return changed


def stored() -> list[str]:
    """The snapshot files there are, as names."""
    return sorted(
        str(path.relative_to(GOLDEN)) for folder in ("charts", "tables")
        for path in (GOLDEN / folder).glob("*") if path.is_file()
    )


# --- the curves -------------------------------------------------------------------------------------


def table_text(curves: list[Curve], **options) -> str:
    """The table as the CLI prints it, on a 100-column terminal without colour."""
    out = io.StringIO()
    console = Console(file=out, width=100, highlight=False, soft_wrap=False, markup=False, emoji=False,
                      color_system=None)
    console.print(render_table(curves, **options), crop=False)
    return out.getvalue()


def plateau_two_cuts() -> Curve:
    metrics = [1.0, 0.8, 0.7, 0.7, 0.7, 0.7, 0.65, 0.65, 0.65, 0.65, 0.65, 0.6, 0.6, 0.6]
    return lrplot.curve("plateau", lr=0.1, metrics=metrics, patience=2, factor=0.5)


def three() -> list[Curve]:
    return [
        lrplot.curve("cosine", lr=0.01, t_max=100),
        lrplot.curve("step", lr=0.01, step_size=30, gamma=0.5, steps=101),
        lrplot.curve("onecycle", max_lr=0.01, total_steps=101),
    ]


def mixed_rates() -> list[Curve]:
    """A cosine stepped once an epoch beside a 1cycle stepped 50 times an epoch."""
    return [
        lrplot.curve("cosine", t_max=20, steps_per_epoch=1, label="cosine"),
        lrplot.curve("onecycle", max_lr=0.01, epochs=20, steps_per_epoch=50, label="onecycle"),
    ]


# --- charts -----------------------------------------------------------------------------------------


@snapshot("charts/cosine.txt")
def _cosine_chart() -> str:
    return render_chart([lrplot.curve("cosine", lr=0.1, t_max=50)], width=60, height=14, color=False,
                        title="cosine t_max=50")


@snapshot("charts/exponential-log.txt")
def _exponential_log_chart() -> str:
    return render_chart([lrplot.curve("exponential", gamma=0.9, steps=120)], width=60, height=14,
                        log=True, color=False)


@snapshot("charts/onecycle.txt")
def _onecycle_chart() -> str:
    curve = lrplot.curve("onecycle", max_lr=0.01, total_steps=1000)
    return render_chart([curve], width=64, height=16, color=False)


@snapshot("charts/onecycle.ansi")
def _onecycle_chart_in_colour() -> str:
    curve = lrplot.curve("onecycle", max_lr=0.01, total_steps=1000)
    return render_chart([curve], width=64, height=16, color=True)


@snapshot("charts/plateau.txt")
def _plateau_chart() -> str:
    return render_chart([plateau_two_cuts()], width=50, height=12, color=False)


@snapshot("charts/compare.txt")
def _compare_chart() -> str:
    return render_chart(three(), width=64, height=16, color=False, title="three schedules")


@snapshot("charts/compare.ansi")
def _compare_chart_in_colour() -> str:
    return render_chart(three(), width=64, height=16, color=True, title="three schedules")


@snapshot("charts/cosine-log-to-zero.txt")
def _cosine_log_chart() -> str:
    return render_chart([lrplot.curve("cosine", t_max=20)], width=60, height=14, log=True, color=False)


@snapshot("charts/onecycle-epochs.txt")
def _onecycle_epochs_chart() -> str:
    curve = lrplot.curve("onecycle", max_lr=0.01, epochs=20, steps_per_epoch=50)
    return render_chart([curve], width=64, height=14, color=False)


@snapshot("charts/million-steps.txt")
def _million_steps_chart() -> str:
    curve = lrplot.curve("cosine", t_max=1_000_000)
    return render_chart([curve], width=64, height=10, color=False)


# --- tables -----------------------------------------------------------------------------------------


@snapshot("tables/onecycle-three-phase.txt")
def _onecycle_table() -> str:
    curve = lrplot.curve("onecycle", max_lr=0.01, total_steps=1000, three_phase=True, steps_per_epoch=100)
    return table_text([curve], steps_per_epoch=100)


@snapshot("tables/plateau.txt")
def _plateau_table() -> str:
    curve = lrplot.curve("plateau", lr=0.001, metrics=VAL_ACC, mode="max", patience=2, cooldown=1)
    return table_text([curve])


@snapshot("tables/warmup-cosine.txt")
def _warmup_cosine_table() -> str:
    curve = lrplot.curve("cosine", lr=0.1, t_max=45, eta_min=0.001, warmup_steps=5, warmup_start_factor=0.1)
    return table_text([curve])


@snapshot("tables/step.txt")
def _step_table() -> str:
    return table_text([lrplot.curve("step", lr=0.1, step_size=30)])


@snapshot("tables/multistep-beside-cosine.txt")
def _multistep_beside_cosine_table() -> str:
    return table_text([
        lrplot.curve("multistep", milestones=(30, 80), label="multistep"),
        lrplot.curve("cosine", t_max=100, label="cosine"),
    ])


@snapshot("tables/mixed-rates.txt")
def _mixed_rates_table() -> str:
    return table_text(mixed_rates())
