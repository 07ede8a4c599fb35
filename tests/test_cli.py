"""The command line: every output format, every error path; exit code, stdout and stderr apart."""

from __future__ import annotations

import csv
import io
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lrplot
from lrplot.params import Choice, Integer, Real, Series, Switch, Text
from lrplot.registry import schedules_of

from .conftest import VAL_ACC

# The schedules with a command (composites are YAML-only: tests/test_compose.py covers them).
SCHEDULES = {name: s for name, s in schedules_of("torch").items() if not s.yaml_only}


def example_args(name: str) -> list[str]:
    return shlex.split(SCHEDULES[name].example)


def read_csv(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def assert_one_line_error(result, code: int, *fragments: str) -> None:
    assert result.code == code, (result.code, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


# --- the documented examples -------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_every_registry_example_prints_a_table(cli, in_tmp, name):
    result = cli(example_args(name))
    assert result.code == 0, result.stderr
    # A row is a step, or an epoch for a metric-driven schedule (stepped once an epoch).
    unit, other = ("epoch", "step") if SCHEDULES[name].row_unit == "epoch" else ("step", "epoch")
    summary = [line for line in result.stdout.splitlines() if line.startswith(f"{name}: ")]
    assert len(summary) == 1, result.stdout
    assert f" {unit}s · start " in summary[0] and f" {other}s · " not in summary[0]
    assert result.stderr == ""


def test_issue_examples_work(cli, in_tmp):
    commands = [
        "cosine --t-max 20",
        "cosine --lr 0.1 --t-max 20 --eta-min 0.001 -o cosine.csv",
        "exponential --gamma 0.9 --steps 30 -o exp.csv",
        "onecycle --max-lr 0.01 --epochs 20 --steps-per-epoch 50 --pct-start 0.3 -o onecycle.csv",
        "plateau --lr 0.001 --metrics val_acc.csv --column val_acc --mode max --patience 2 --factor 0.1",
    ]
    for command in commands:
        result = cli(command)
        assert result.code == 0, (command, result.stderr)
    header, rows = read_csv((in_tmp / "exp.csv").read_text())
    assert header == ["step", "lr"] and len(rows) == 30
    header, rows = read_csv((in_tmp / "onecycle.csv").read_text())
    assert header == ["step", "lr", "momentum", "epoch"] and len(rows) == 1000
    assert rows[50][3] == "1.0"


def test_python_dash_m_runs_the_same_command():
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "cosine", "--t-max", "4", "-o", "-"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "step,lr"
    assert len(done.stdout.splitlines()) == 6


# --- the table ---------------------------------------------------------------------------------

def test_table_shows_all_rows_when_short(cli):
    result = cli("cosine --t-max 20")
    assert result.code == 0
    body = result.stdout.splitlines()
    assert body[0].split()[:2] == ["step", "lr"]
    assert [line.split()[0] for line in body[1:22]] == [str(i) for i in range(21)]
    assert "cosine: 21 steps · start 0.001 · peak 0.001 at step 0 · end 0 · min 0 at step 20" in result.stdout


def test_table_samples_long_curves_keeping_key_rows(cli):
    result = cli("onecycle --max-lr 0.01 --total-steps 1000")
    assert result.code == 0
    steps = [line.split()[0] for line in result.stdout.splitlines()[1:] if line.strip()]
    numbered = [int(s) for s in steps if s.isdigit()]
    assert len(numbered) <= 30
    # first, last, the peak (end of warm-up) and the row after it are always shown
    for row in (0, 999, 299, 300):
        assert row in numbered
    assert "cool-down starts" in result.stdout


def test_table_lists_plateau_reductions(cli, in_tmp):
    result = cli("plateau --metrics val.txt --mode max --patience 1 --threshold 0.01")
    assert result.code == 0
    assert "0.001 → 0.0001" in result.stdout
    assert "metric" in result.stdout.splitlines()[0]


# --- CSV and JSON ------------------------------------------------------------------------------

def test_csv_on_stdout_round_trips_every_float(cli):
    result = cli("cosine --lr 0.1 --t-max 7 --eta-min 0.001 --steps 30 -o -")
    assert result.code == 0 and result.stderr.startswith("Warning: cosine: 30 steps run past t_max 7")
    header, rows = read_csv(result.stdout)
    assert header == ["step", "lr"]
    expected = lrplot.curve("cosine", lr=0.1, t_max=7, eta_min=0.001, steps=30).lr
    assert [int(r[0]) for r in rows] == list(range(30))
    assert np.array_equal(np.array([float(r[1]) for r in rows]), expected)


def test_csv_has_momentum_metric_and_epoch_columns(cli, in_tmp):
    result = cli("onecycle --max-lr 0.1 --total-steps 20 --steps-per-epoch 4 -o -")
    header, rows = read_csv(result.stdout)
    assert header == ["step", "lr", "momentum", "epoch"]
    assert rows[0][2] == "0.95" and rows[5][3] == "1.25"
    result = cli("onecycle --max-lr 0.1 --total-steps 20 --no-cycle-momentum -o -")
    assert read_csv(result.stdout)[0] == ["step", "lr"]
    result = cli("plateau --metrics val.csv --column val_acc --mode max -o -")
    header, rows = read_csv(result.stdout)
    assert header == ["step", "lr", "metric"]
    assert [float(r[2]) for r in rows] == VAL_ACC


def test_csv_file_and_message(cli, in_tmp):
    result = cli("exponential --gamma 0.5 --steps 4 -o out.csv")
    assert result.code == 0
    assert result.stdout == ""
    assert result.stderr == "Wrote out.csv\n"
    assert (in_tmp / "out.csv").read_text() == "step,lr\n0,0.001\n1,0.0005\n2,0.00025\n3,0.000125\n"


def test_json_holds_params_series_and_annotations(cli, in_tmp):
    result = cli("onecycle --max-lr 0.01 --epochs 2 --steps-per-epoch 10 --label warm -o c.json")
    assert result.code == 0, result.stderr
    doc = json.loads((in_tmp / "c.json").read_text())
    (entry,) = doc["schedules"]
    assert entry["label"] == "warm"
    assert entry["origin"] == "torch.optim.lr_scheduler.OneCycleLR"
    assert entry["params"]["total_steps"] == 20 and entry["params"]["epochs"] == 2
    assert [p["name"] for p in entry["phases"]] == ["warm-up", "cool-down"]
    assert entry["guides"]["max_lr"] == 0.01
    curve = lrplot.curve("onecycle", max_lr=0.01, epochs=2, steps_per_epoch=10)
    assert entry["series"]["lr"] == curve.lr.tolist()
    assert entry["series"]["momentum"] == curve.series["momentum"].tolist()


def test_json_writes_nan_metrics_as_null(cli, in_tmp):
    (in_tmp / "m.txt").write_text("1\nnan\n0.5\n")
    result = cli("plateau --metrics m.txt -o m.json")
    assert result.code == 0
    assert "NaN" in result.stderr and result.stderr.startswith("Warning: ")
    doc = json.loads((in_tmp / "m.json").read_text())
    assert doc["schedules"][0]["series"]["metric"] == [1.0, None, 0.5]
    assert doc["schedules"][0]["params"]["metrics"] == "m.txt"


def test_several_outputs_in_one_run(cli, in_tmp):
    result = cli("cosine --t-max 5 -o a.csv -o a.json")
    assert result.code == 0
    assert (in_tmp / "a.csv").exists() and (in_tmp / "a.json").exists()


# --- bad input: generated from the registry ----------------------------------------------------

def bad_values(param) -> list[str]:
    """Values each kind of parameter must refuse."""
    if isinstance(param, Real):
        values = ["abc", "nan", "inf", ""]
        if param.gt is not None:
            values.append(repr(param.gt))
        if param.ge is not None:
            values.append(repr(param.ge - 1))
        if param.lt is not None:
            values.append(repr(param.lt))
        if param.le is not None:
            values.append(repr(param.le + 1))
        return values
    if isinstance(param, Integer):
        return ["1.5", "abc", "", *([str(param.ge - 1)] if param.ge is not None else [])]
    if isinstance(param, Choice):
        return ["bogus", param.choices[0].upper()]
    if isinstance(param, Text):
        return [""]
    if isinstance(param, Series):
        return ["", "no-such-file.csv"]
    return []


CASES = [
    (name, param.name, value)
    for name, schedule in sorted(SCHEDULES.items())
    for param in schedule.params
    if not isinstance(param, Switch)
    for value in bad_values(param)
]


@pytest.mark.parametrize(("name", "param", "value"), CASES)
def test_every_bad_parameter_value_is_one_line_naming_it(cli, in_tmp, name, param, value):
    option = "--" + param.replace("_", "-")
    (in_tmp / "keep.csv").write_text("precious\n")
    result = cli([*example_args(name), option, value, "-o", "keep.csv"])
    if param == "metrics" and value:
        assert_one_line_error(result, 1, value)
    else:
        assert_one_line_error(result, 2, option)
    assert (in_tmp / "keep.csv").read_text() == "precious\n"
    assert sorted(p.name for p in in_tmp.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize(
    ("args", "code", "fragments"),
    [
        ("cosine", 2, ["--t-max is required"]),
        ("cosine --t-max 20 --t-mx 3", 2, ["No such option: --t-mx"]),
        ("cosine --t-max", 2, ["--t-max"]),
        ("nosuch --t-max 3", 2, ["nosuch"]),
        ("cosin --t-max 3", 2, ["no command cosin (did you mean cosine?)"]),
        ("sequential", 2, ["sequential is defined in YAML only"]),
        ("exponential", 2, ["--gamma is required"]),
        ("exponential --gamma 0", 2, ["--gamma must be a number > 0, got 0"]),
        ("onecycle --total-steps 100", 2, ["--max-lr is required"]),
        ("onecycle --max-lr 0.1", 2, ["--total-steps", "--epochs", "--steps-per-epoch"]),
        ("onecycle --max-lr 0.1 --epochs 3", 2, ["--epochs needs --steps-per-epoch"]),
        ("onecycle --max-lr 0.1 --total-steps 10 --epochs 2", 2, ["cannot be used together"]),
        ("onecycle --max-lr 0.1 --total-steps 3", 2, ["--pct-start", "warm-up"]),
        ("onecycle --max-lr 0.1 --total-steps 100 --pct-start 0.6 --three-phase", 2,
         ["--pct-start", "--three-phase", "final annealing"]),
        ("onecycle --max-lr 0.1 --total-steps 100 --steps 101", 2,
         ["--steps 101", "Tried to step 101 times", "--total-steps"]),
        ("onecycle --max-lr 0.1 --total-steps 100 --base-momentum 1.5", 2, ["--base-momentum"]),
        ("plateau", 2, ["--metrics is required"]),
        ("plateau --metrics val.csv", 1, ["pick a column", "epoch, train_loss, val_acc"]),
        ("plateau --metrics val.csv --column nope", 1, ["no column 'nope'"]),
        ("plateau --metrics val.txt --column val_acc", 2, ["--column applies only to CSV"]),
        ("plateau --metrics val.txt --steps 15", 2, ["--steps 15", "14 metric values"]),
        ("plateau --metrics val.txt --factor 1", 2, ["--factor must be a number in (0, 1)"]),
        ("plateau --metrics val.txt --threshold 1", 2, ["--threshold must be < 1"]),
        ("cosine --t-max 5 --steps 0", 2, ["--steps must be an integer >= 1"]),
        ("cosine --t-max 5 --steps 1e15", 2, ["--steps", "GiB"]),
        ("cosine --t-max 5 -o out.txt", 2, ["unknown file type .txt"]),
        ("cosine --t-max 5 -o nodir/out.csv", 2, ["directory nodir does not exist"]),
        ("cosine --t-max 5 -o .", 2, ["is a directory"]),
        ("cosine --t-max 5 -o a.csv -o ./a.csv", 2, ["given twice"]),
    ],
)
def test_error_paths(cli, in_tmp, args, code, fragments):
    assert_one_line_error(cli(args), code, *fragments)


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        (b"", ["is empty"]),
        (b"0.5\nabc\n", ["bad.txt:2", "'abc' is not a number"]),
        (b"\x00\x01\x02", ["binary"]),
        (b"\xff\xfe0.5\n", ["not UTF-8"]),
        (b"# header only\n", ["no numbers"]),
    ],
)
def test_bad_metrics_files_name_file_and_line(cli, in_tmp, content, fragments):
    (in_tmp / "bad.txt").write_bytes(content)
    assert_one_line_error(cli("plateau --metrics bad.txt"), 1, "bad.txt", *fragments)


def test_bad_csv_and_json_metrics(cli, in_tmp):
    (in_tmp / "bad.csv").write_text("epoch,loss\n0,0.5\n1,x\n")
    assert_one_line_error(cli("plateau --metrics bad.csv"), 1, "bad.csv:3", "'x' is not a number")
    (in_tmp / "bad.json").write_text('{"a": 1}')
    assert_one_line_error(cli("plateau --metrics bad.json"), 1, "expected a JSON list")
    (in_tmp / "bad2.json").write_text("[1, 2,")
    assert_one_line_error(cli("plateau --metrics bad2.json"), 1, "bad2.json:1", "invalid JSON")
    assert_one_line_error(cli("plateau --metrics ."), 1, "is a directory")


def test_csv_metrics_skip_empty_cells(cli, in_tmp):
    (in_tmp / "log.csv").write_text("step,loss,val_loss\n0,1.0,\n1,0.9,0.8\n2,0.8,\n3,0.7,0.75\n")
    result = cli("plateau --metrics log.csv --column val_loss -o -")
    assert result.code == 0
    _, rows = read_csv(result.stdout)
    assert [float(r[2]) for r in rows] == [0.8, 0.75]


def test_existing_file_survives_a_failed_run(cli, in_tmp):
    target = in_tmp / "keep.png"
    target.write_bytes(b"old")
    result = cli("cosine --t-max 0 -o keep.png")
    assert result.code == 2
    assert target.read_bytes() == b"old"


def test_debug_flag_shows_the_traceback(in_tmp):
    env = {**os.environ, "LRPLOT_DEBUG": "1"}
    done = subprocess.run([sys.executable, "-m", "lrplot", "cosine", "--t-max", "0"],
                          capture_output=True, text=True, env=env, check=False)
    assert "Traceback" in done.stderr


def test_version_and_list(cli):
    assert cli("--version").stdout == f"lrplot {lrplot.__version__}\n"
    listing = cli("list").stdout
    for name, schedule in SCHEDULES.items():
        assert f"{name}  ({schedule.origin})" in listing
        for param in schedule.params:
            assert "--" + param.name.replace("_", "-") in listing


def test_every_command_and_parameter_has_help(cli):
    for name, schedule in SCHEDULES.items():
        result = cli([name, "--help"])
        assert result.code == 0
        assert schedule.origin in result.stdout.replace("\n", " ").replace("  ", " ")
        for param in schedule.params:
            assert param.help, (name, param.name)
            assert "--" + param.name.replace("_", "-") in result.stdout


def test_no_file_left_behind_by_output_errors(cli, in_tmp):
    before = sorted(p.name for p in in_tmp.iterdir())
    cli("cosine --t-max 5 -o ok.csv -o bad.xyz")
    assert sorted(p.name for p in in_tmp.iterdir()) == before
    assert not Path("ok.csv").exists()


@pytest.mark.parametrize(
    ("suffix", "magic"), [(".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF-"), (".svg", b"<?xml")]
)
def test_plot_formats_write_valid_reproducible_files(cli, in_tmp, suffix, magic):
    args = "onecycle --max-lr 0.01 --total-steps 200 --steps-per-epoch 20"
    assert cli(f"{args} -o a{suffix}").code == 0
    assert cli(f"{args} -o b{suffix}").code == 0
    first, second = (in_tmp / f"a{suffix}").read_bytes(), (in_tmp / f"b{suffix}").read_bytes()
    assert first.startswith(magic)
    assert first == second


def test_chart_draws_in_the_terminal(cli):
    result = cli("cosine --t-max 20 --chart --title warm")
    assert result.code == 0, result.stderr
    assert "warm" in result.stdout.splitlines()[0]
    assert any("\u2800" <= ch <= "\u28ff" for ch in result.stdout)
    assert "\x1b[" not in result.stdout  # no colour when stdout is not a terminal
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    assert_one_line_error(cli("cosine --t-max 20 --chart -o -"), 2, "--chart and -o - both write")


def test_lrplot_alone_prints_the_help(cli):
    result = cli([])
    assert result.code == 0 and result.stderr == ""
    assert result.stdout.startswith("Usage: lrplot")
    assert "compare" in result.stdout and "cosine" in result.stdout
