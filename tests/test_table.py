"""The terminal table: golden tables, and the rows it must never skip, each named.

Golden tables are reviewed files under tests/golden/tables/, made by the recipes in
tests/snapshots.py and rewritten only by ``python scripts/make_snapshots.py``.
"""

from __future__ import annotations

import shlex

import numpy as np
import pytest

import lrplot
from lrplot.engine import KEYS, build_spec
from lrplot.registry import all_schedules
from lrplot.render.table import jumps, notes
from tests import snapshots
from tests.snapshots import VAL_ACC
from tests.snapshots import table_text as text_of

TABLES = [name for name in sorted(snapshots.SNAPSHOTS) if name.startswith("tables/")]


def rows_of(text: str) -> dict[int, str]:
    """Table lines by their first row (the step or epoch; a collapsed run ``0–29`` by each of its
    rows)."""
    out = {}
    for line in text.splitlines():
        first = line.split()[:1]
        if not first:
            continue
        low, _, high = first[0].partition("–")
        if low.isdigit() and (not high or high.isdigit()):
            for row in range(int(low), int(high or low) + 1):
                out[row] = line
    return out


# --- golden tables ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TABLES)
def test_table_equals_its_reviewed_file(name):
    snapshots.check(name)


def test_every_snapshot_file_has_its_recipe():
    assert snapshots.stored() == sorted(snapshots.SNAPSHOTS)


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


# --- every step where the rate jumps, and the row before it (issue 13, item 2) ------------------


def spans_of(text: str) -> list[tuple[int, int]]:
    """The (first, last) row of each table line, in order."""
    spans = []
    for line in text.splitlines():
        words = line.split()
        if len(words) < 2 or not _number(words[1]):
            continue  # the header, a wrapped note, the summary
        low, _, high = words[0].partition("–")
        if low.isdigit() and (not high or high.isdigit()):
            spans.append((int(low), int(high or low)))
    return spans


def _number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def test_the_step_where_the_rate_changes_and_the_row_before_are_shown(cli):
    result = cli("step --lr 0.1 --step-size 30")
    assert result.code == 0 and result.stderr == ""
    lines = [line.split() for line in result.stdout.splitlines()[1:4]]
    assert lines == [["0–29", "0.1", "█" * 24], ["30–59", "0.01", "██▍"], ["60", "0.001", "▎"]]
    result = cli("multistep --milestones 30,80")
    assert result.code == 0 and result.stderr == ""
    assert spans_of(result.stdout) == [(0, 29), (30, 79), (80, 100)]


def test_a_run_of_equal_rows_collapses_beside_a_curve_that_changes(cli):
    result = cli(["compare", "multistep --milestones 30,80", "cosine --t-max 100"])
    assert result.code == 0 and result.stderr == ""
    rows = rows_of(result.stdout)
    assert {29, 30, 79, 80} <= set(rows) and len(spans_of(result.stdout)) <= 30


def test_more_jumps_than_fit_are_counted(cli):
    result = cli("step --step-size 2 --gamma 0.9 --steps 1000")
    assert result.code == 0 and result.stderr == ""
    spans = spans_of(result.stdout)
    assert len(spans) <= 30 and all(last == first + 1 for first, last in spans[:-1])
    assert "more steps where the rate jumps are not shown; -o FILE.csv has every row." in result.stdout


@pytest.mark.parametrize("values,expected", [
    ([0.1, 0.1, 0.1, 0.01, 0.01, 0.001], [3, 5]),  # steps
    ([1.0, 0.8, 0.6, 0.4, 0.4, 0.4], [3]),  # a ramp into a constant: the step it reaches it
    ([0.2, 0.1, 0.05, 0.01, 1.0, 0.99, 0.96], [4]),  # a warm restart
    ([1.0, 1.0 - 2**-52, 1.0 - 2**-52, 0.9], [3]),  # round-off is not a jump
    (list(np.cos(np.linspace(0, 3, 50))), []),  # a smooth curve has none
])
def test_jumps_are_found_in_the_data(values, expected):
    assert jumps(np.array(values)).tolist() == expected


COMMANDS = [s for s in all_schedules().values() if not s.yaml_only]


@pytest.mark.parametrize("schedule", COMMANDS, ids=[s.key for s in COMMANDS])
def test_every_schedule_of_every_framework_shows_its_jumps(cli, in_tmp, schedule):
    """Whatever the schedule: the lines stay within the budget, and each step where the rate
    jumps is shown with the row before it, unless the table says how many it left out."""
    args = shlex.split(schedule.example)
    table = cli(args)
    assert table.code == 0, table.stderr
    data = cli([*args, "-o", "-"])
    assert data.code == 0, data.stderr
    header, rows = data.stdout.split("\n", 1)
    lr = np.array([float(line.split(",")[header.split(",").index("lr")]) for line in rows.splitlines()])
    spans = spans_of(table.stdout)
    assert len(spans) <= 32
    shown = {row for first, last in spans for row in (first, last)}
    covered = {row for first, last in spans for row in range(first, last + 1)}
    missing = [t for t in jumps(lr).tolist() if t not in shown or t - 1 not in covered]
    if missing:
        assert "where the rate jumps" in table.stdout and "not shown" in table.stdout, missing


def test_a_sparse_training_log_shows_its_logged_rows_and_counts_them(tmp_path):
    """A log with a rate every 10 updates: the table's lines are logged rows, never 'nan', and the
    summary says how many rows were logged."""
    import json

    from .conftest import run_cli

    rows = [{"step": s, "learning_rate": 1e-3 * (1 - s / 1000), "loss": 1.0 / s} for s in range(10, 1001, 10)]
    (tmp_path / "trainer_state.json").write_text(json.dumps({"log_history": rows, "global_step": 1000}))
    result = run_cli(["log", str(tmp_path / "trainer_state.json")])
    assert result.code == 0, result.stderr
    assert "nan" not in result.stdout
    body = [line.split() for line in result.stdout.splitlines()[1:] if line.strip() and line[:1] == " "]
    steps = [int(cells[0]) for cells in body if cells and cells[0].isdigit()]
    assert steps[0] == 9 and steps[-1] == 999 and all(s % 10 == 9 for s in steps)
    assert "1000 steps (100 logged) · start 0.00099" in result.stdout


def test_the_summary_shows_the_figures_trainer_derives():
    from .conftest import run_cli

    result = run_cli(["hf", "cosine", "--num-train-epochs", "3", "--batches-per-epoch", "1563",
                      "--gradient-accumulation-steps", "4", "--warmup-steps", "0.03"])
    assert result.code == 0, result.stderr
    assert "updates per epoch 391" in result.stdout
    assert "num training steps 1173" in result.stdout and "num warmup steps 36" in result.stdout
