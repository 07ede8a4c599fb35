"""The terminal table: golden tables, and the rows it must never skip, each named.

Golden tables live in tests/golden/tables/. After an intended change, rewrite them and review
the diff:

    LRPLOT_UPDATE_TABLES=1 pytest tests/test_table.py
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from rich.console import Console

import lrplot
from lrplot.engine import KEYS, build_spec
from lrplot.render.table import notes, render_table

# sample_configs/val_acc.csv: two reductions with patience 2.
VAL_ACC = [0.412, 0.553, 0.618, 0.664, 0.689, 0.701, 0.7, 0.699, 0.7005, 0.742, 0.748, 0.75,
           0.7495, 0.7498, 0.749, 0.758, 0.759, 0.7592, 0.7591, 0.7593]
TABLES = Path(__file__).resolve().parent / "golden" / "tables"
UPDATE = "LRPLOT_UPDATE_TABLES"


def text_of(curves, **options) -> str:
    """The table as the CLI prints it, on an 100-column terminal without colour."""
    out = io.StringIO()
    console = Console(file=out, width=100, highlight=False, soft_wrap=False, color_system=None)
    console.print(render_table(curves, **options), crop=False)
    return out.getvalue()


def assert_golden(name: str, text: str) -> None:
    path = TABLES / name
    if os.environ.get(UPDATE) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: run {UPDATE}=1 pytest {__file__}"
    assert text == path.read_text(encoding="utf-8")


def rows_of(text: str) -> dict[int, str]:
    """Table lines by their first number (the step or epoch)."""
    out = {}
    for line in text.splitlines():
        first = line.split()[:1]
        if first and first[0].isdigit():
            out[int(first[0])] = line
    return out


# --- golden tables ------------------------------------------------------------------------------


def test_onecycle_three_phases_with_epochs():
    curve = lrplot.curve("onecycle", max_lr=0.01, total_steps=1000, three_phase=True,
                         steps_per_epoch=100)
    assert_golden("onecycle-three-phase.txt", text_of([curve], steps_per_epoch=100))


def test_plateau_lists_every_reduction():
    curve = lrplot.curve("plateau", lr=0.001, metrics=VAL_ACC, mode="max", patience=2, cooldown=1)
    assert_golden("plateau.txt", text_of([curve]))


def test_warm_up_then_cosine():
    curve = lrplot.curve("cosine", lr=0.1, t_max=45, eta_min=0.001, warmup_steps=5,
                         warmup_start_factor=0.1)
    assert_golden("warmup-cosine.txt", text_of([curve]))


# --- what the rows say --------------------------------------------------------------------------


def test_every_phase_boundary_is_shown_and_named():
    curve = lrplot.curve("onecycle", max_lr=0.01, total_steps=1000, three_phase=True)
    rows = rows_of(text_of([curve]))
    named = {
        0: "warm-up starts", 299: "warm-up ends", 300: "cool-down starts", 598: "cool-down ends",
        599: "annealing starts",
    }
    for row, note in named.items():
        assert row in rows and rows[row].rstrip().endswith(note), (row, rows.get(row))
    assert len(rows) <= 30


def test_phase_ends_that_fall_between_rows():
    """pct_start x total_steps - 1 need not be whole: a phase holds rows ⌊start⌋+1..⌊end⌋."""
    curve = lrplot.curve("onecycle", max_lr=0.01, total_steps=1001)  # warm-up ends at 299.3
    assert notes(curve)[299] == "warm-up ends" and notes(curve)[300] == "cool-down starts"


def test_composite_phases_are_named_at_both_ends():
    curve = lrplot.compute(build_spec("sequential", {
        "lr": 0.1, "milestones": [5], "schedules": [
            {"type": "linear", "start_factor": 0.1, "total_iters": 5},
            {"type": "onecycle", "max_lr": 1.0, "total_steps": 20}]}, KEYS))
    assert notes(curve) == {
        0: "linear starts", 4: "linear ends", 5: "warm-up starts", 10: "warm-up ends",
        11: "cool-down starts",
    }
    short = lrplot.curve("onecycle", max_lr=0.01, total_steps=100, steps=50)
    assert notes(short) == {0: "warm-up starts", 29: "warm-up ends", 30: "cool-down starts"}


def test_a_reduction_on_a_phase_boundary_keeps_both_notes():
    curve = lrplot.curve("cosine", lr=0.1, t_max=5, steps=12)
    assert notes(curve)[6] == "past t_max starts"
    curve = lrplot.curve("plateau", lr=1.0, metrics=[1.0] * 6, patience=0)
    assert notes(curve)[2] == "1 → 0.1: no improvement on 1 (epoch 0) for 1 epochs"


def test_plateau_rows_are_epochs():
    curve = lrplot.curve("plateau", lr=0.001, metrics=VAL_ACC, mode="max", patience=2)
    text = text_of([curve], steps_per_epoch=7)  # steps per epoch mean nothing to a plateau
    assert text.splitlines()[0].split()[:3] == ["epoch", "lr", "metric"]
    flat = " ".join(text.split())  # a long note wraps onto a line of its own
    assert "9 0.0001 0.742 ██▍ 0.001 → 0.0001: no improvement on 0.701 (epoch 5) for 3 epochs" in flat
    assert "15 1e-05 0.758 ▎ 0.0001 → 1e-05: no improvement on 0.75 (epoch 11) for 3 epochs" in flat
    assert f"plateau: {len(VAL_ACC)} epochs · start 0.001" in text


@pytest.mark.parametrize("curve", [
    lrplot.curve("onecycle", max_lr=0.01, total_steps=100_000, three_phase=True),
    lrplot.curve("cosine", t_max=1000, steps=100_000),
], ids=["onecycle", "cosine"])
def test_long_curves_keep_every_boundary_among_30_rows(curve):
    rows = rows_of(text_of([curve]))
    assert len(rows) <= 30
    for row in notes(curve):
        assert row in rows
