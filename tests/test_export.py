"""CSV export of curves that count epochs at different rates, and of the ones that do not (issue 13,
item 1): one clock per row, and the layouts that existed before unchanged."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

import lrplot
from lrplot.render.export import LONG_HEADER

MIXED = ["compare", "cosine --t-max 20 --steps-per-epoch 1",
         "onecycle --max-lr 0.01 --epochs 20 --steps-per-epoch 50"]


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_mixed_rates_are_written_long_each_row_with_its_own_step_and_epoch(cli):
    result = cli([*MIXED, "-o", "-"])
    assert result.code == 0 and result.stderr == ""
    header, *body = rows(result.stdout)
    assert header == LONG_HEADER == ["label", "step", "epoch", "lr"]
    cosine = [r for r in body if r[0] == "cosine t_max=20"]
    onecycle = [r for r in body if r[0] == "onecycle max_lr=0.01 epochs=20"]
    assert len(cosine) == 21 and len(onecycle) == 1000 and len(body) == 1021
    # Cosine's step 20 is epoch 20; 1cycle's step 20 is epoch 0.4: never on one row.
    assert cosine[20][1:3] == ["20", "20.0"] and onecycle[20][1:3] == ["20", "0.4"]
    want = lrplot.curve("onecycle", max_lr=0.01, epochs=20, steps_per_epoch=50).lr
    np.testing.assert_array_equal([float(r[3]) for r in onecycle], want)  # every float round-trips
    assert [float(r[2]) for r in onecycle] == [t / 50 for t in range(1000)]


def test_the_file_is_the_same_as_standard_output(cli, in_tmp):
    result = cli([*MIXED, "-o", "mixed.csv"])
    assert result.code == 0 and result.stdout == "" and result.stderr == "Wrote mixed.csv\n"
    assert (in_tmp / "mixed.csv").read_text() == cli([*MIXED, "-o", "-"]).stdout


def test_a_label_with_commas_is_quoted(cli):
    result = cli(["compare", "multistep --milestones 3,8 --steps-per-epoch 3 --steps 12",
                  "cosine --t-max 4 --steps-per-epoch 1", "-o", "-"])
    assert result.code == 0 and result.stderr == ""
    body = rows(result.stdout)[1:]
    assert body[0] == ["multistep milestones=3,8", "0", "0.0", "0.001"]
    assert body[3][1:] == ["3", "1.0", "0.0001"]


@pytest.mark.parametrize("args,header", [
    ("cosine --t-max 20 -o -", ["step", "lr"]),
    ("onecycle --max-lr 0.01 --epochs 2 --steps-per-epoch 5 -o -", ["step", "lr", "momentum", "epoch"]),
    ("plateau --metrics val.txt -o -", ["step", "lr", "metric"]),
])
def test_one_curve_keeps_its_columns(cli, in_tmp, args, header):
    result = cli(args)
    assert result.code == 0 and result.stderr == ""
    assert rows(result.stdout)[0] == header


@pytest.mark.parametrize("specs,header", [
    (["cosine --t-max 20", "step --step-size 5"], ["step", "cosine t_max=20", "step step_size=5"]),
    (["cosine --t-max 20 --steps-per-epoch 5", "step --step-size 5 --steps-per-epoch 5"],
     ["step", "cosine t_max=20", "step step_size=5", "epoch"]),
])
def test_several_on_one_clock_stay_wide(cli, specs, header):
    result = cli(["compare", *specs, "-o", "-"])
    assert result.code == 0 and result.stderr == ""
    assert rows(result.stdout)[0] == header


def test_the_table_lines_them_up_by_epoch_and_says_so(cli):
    result = cli(MIXED)
    assert result.code == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["cosine", "t_max=20", "onecycle", "max_lr=0.01", "epochs=20"]
    assert lines[1].split() == ["epoch", "1", "step/epoch", "50", "steps/epoch"]
    by_epoch = {line.split()[0]: line.split()[1:] for line in lines[2:] if line[:1] == " "}
    want = lrplot.curve("onecycle", max_lr=0.01, epochs=20, steps_per_epoch=50).lr
    cosine = lrplot.curve("cosine", t_max=20).lr
    # Epoch 6: cosine's step 6 beside 1cycle's step 300; its peak (step 299, epoch 5.98) alone.
    assert by_epoch["6"] == [f"{cosine[6]:.6g}", f"{want[300]:.6g}"]
    assert by_epoch["5.98"] == [f"{want[299]:.6g}"]
    assert by_epoch["20"] == ["0"]
    assert "Lined up by epoch" in result.stdout
