"""lrplot compare: specs parsed by the single-schedule commands, labels, and every output."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

import lrplot
from lrplot.render.plot import figure

from .test_cli import assert_one_line_error


def table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def single_column(cli, command: str) -> list[str]:
    rows = table(cli(f"{command} -o -").stdout)
    return [row[1] for row in rows[1:]]


SPECS = [
    "cosine --t-max 20 --eta-min 0.001 --lr 0.1",
    "exponential --gamma 0.9",
    "onecycle --max-lr 0.01 --total-steps 30 --three-phase",
    "plateau --metrics val.txt --mode max --patience 1",
]


def test_compare_csv_columns_equal_the_single_runs_exactly(cli, in_tmp):
    result = cli(["compare", *SPECS, "-o", "-"])
    assert result.code == 0, result.stderr
    rows = table(result.stdout)
    header, body = rows[0], rows[1:]
    assert header == [
        "step",
        "cosine lr=0.1 t_max=20 eta_min=0.001",
        "exponential gamma=0.9",
        "onecycle max_lr=0.01 total_steps=30 three_phase=true",
        "plateau metrics=val.txt mode=max patience=1",
    ]
    assert len(body) == 45  # the longest: exponential down to 1% of lr
    for column, spec in enumerate(SPECS, start=1):
        alone = single_column(cli, spec)
        cells = [row[column] for row in body]
        assert cells[: len(alone)] == alone
        assert all(cell == "" for cell in cells[len(alone) :])


def test_labels_and_uniqueness(cli, in_tmp):
    rows = table(
        cli(
            ["compare", "cosine --t-max 5 --label a", "cosine --t-max 5", "cosine --t-max 5", "-o", "-"]
        ).stdout
    )
    assert rows[0] == ["step", "a", "cosine t_max=5 (1)", "cosine t_max=5 (2)"]
    result = cli(["compare", "cosine --t-max 5 --label a", "exponential --gamma 0.5 --label a"])
    assert_one_line_error(result, 2, "--label 'a' is used twice")


def test_whole_comparison_steps_and_a_specs_own(cli):
    rows = table(
        cli(
            [
                "compare",
                "cosine --t-max 5",
                "cosine --t-max 5 --steps 3 --label short",
                "--steps",
                "8",
                "-o",
                "-",
            ]
        ).stdout
    )
    assert len(rows) == 9
    assert [row[2] for row in rows[1:]] == ["0.001", rows[2][2], rows[3][2], "", "", "", "", ""]


def test_steps_per_epoch_reaches_onecycle_specs_and_the_epoch_column(cli):
    rows = table(
        cli(
            [
                "compare",
                "onecycle --max-lr 0.1 --epochs 2",
                "cosine --t-max 9",
                "--steps-per-epoch",
                "5",
                "-o",
                "-",
            ]
        ).stdout
    )
    assert rows[0][-1] == "epoch" and len(rows) == 11
    assert rows[6][-1] == "1.0"


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["cosine --t-mx 20", "exponential --gamma 0.9"], ["spec 1 (cosine): No such option: --t-mx"]),
        (
            ["cosine --t-max 20", "exponential --gamma 0"],
            ["spec 2 (exponential): --gamma must be a number > 0"],
        ),
        (["cosine --t-max 20", "exponential"], ["spec 2 (exponential): --gamma is required"]),
        (["cosine --t-max 20 -o x.png"], ["spec 1 (cosine): -o applies to the whole comparison"]),
        (["cosine --t-max 20 --log"], ["spec 1 (cosine): --log applies to the whole comparison"]),
        (["cosin --t-max 20"], ["spec 1: unknown schedule cosin (did you mean cosine?)"]),
        ([""], ["spec 1 is empty"]),
        (["cosine --t-max '20"], ["spec 1", "quotation"]),
        (
            ["onecycle --max-lr 0.1 --total-steps 10", "--steps", "20"],
            ["spec 1 (onecycle): --steps 20 is too many"],
        ),
        (["cosine --t-max 20", "--layout", "stack"], ["--layout must be one of overlay, grid, got stack"]),
        (["cosine --t-max 20", "--steps", "x"], ["--steps must be an integer >= 1, got x"]),
    ],
)
def test_spec_errors_name_the_spec(cli, in_tmp, args, fragments):
    assert_one_line_error(cli(["compare", *args]), 2, *fragments)


def test_a_spec_may_start_with_lrplot(cli):
    assert cli(["compare", "lrplot cosine --t-max 3", "-o", "-"]).code == 0


def test_compare_table_has_one_column_per_schedule_and_summaries(cli):
    result = cli(["compare", "cosine --t-max 20 --label cos", "exponential --gamma 0.9 --label exp"])
    assert result.code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["step", "cos", "exp"]
    assert any(line.startswith("cos: 21 steps") for line in lines)
    assert any(line.startswith("exp: 45 steps") for line in lines)


def test_compare_json_has_each_schedule_and_its_params(cli, in_tmp):
    assert cli(["compare", "cosine --t-max 4 --label c", "exponential --gamma 0.5", "-o", "c.json"]).code == 0
    doc = json.loads((in_tmp / "c.json").read_text())
    assert [s["label"] for s in doc["schedules"]] == ["c", "exponential gamma=0.5"]
    assert doc["schedules"][0]["params"] == {"lr": 0.001, "t_max": 4, "eta_min": 0.0}
    assert doc["schedules"][1]["series"]["lr"][:3] == [0.001, 0.0005, 0.00025]


@pytest.mark.parametrize("layout", ["overlay", "grid"])
def test_plots_have_legends_or_titles(cli, in_tmp, layout):
    assert (
        cli(
            [
                "compare",
                "cosine --t-max 9",
                "exponential --gamma 0.8",
                "--layout",
                layout,
                "--log",
                "-o",
                "c.png",
                "-o",
                "c.svg",
            ]
        ).code
        == 0
    )
    assert (in_tmp / "c.png").read_bytes().startswith(b"\x89PNG")
    curves = [lrplot.curve("cosine", t_max=9, label="a"), lrplot.curve("exponential", gamma=0.8, label="b")]
    fig = figure(curves, layout=layout, log=True)
    if layout == "overlay":
        (ax,) = fig.axes
        texts = [t.get_text() for t in ax.get_legend().get_texts()]
        # The cosine ends at 0, which a log axis cannot show: the legend says so.
        assert texts[:2] == ["a", "b"] and texts[2].startswith("1 row at rate 0 is off the log scale")
        assert ax.get_yscale() == "log"
    else:
        assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
        assert all(ax.get_yscale() == "log" for ax in fig.axes)


def test_default_labels_show_given_parameters_that_differ_from_defaults():
    spec = lrplot.build_spec("cosine", {"t_max": 20, "eta_min": 0.0, "lr": 0.001})
    from lrplot.engine import default_label

    assert default_label(spec) == "cosine t_max=20"
    assert np.array_equal(lrplot.compute(spec).lr, lrplot.curve("cosine", t_max=20).lr)
