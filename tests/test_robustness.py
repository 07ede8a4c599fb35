"""Bad input never crashes lrplot and lrplot never loses or corrupts a file: every refusal is one
line naming its culprit, with exit code 2 (command line) or 1 (files), and nothing is written."""

from __future__ import annotations

import csv
import io
import math
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lrplot.cli import command_names
from lrplot.params import Choice, Integer, IntegerList, Real, Series, Switch, Text
from lrplot.registry import schedules_of

from .conftest import run_cli, write_metrics

COMMANDS = command_names("torch")


def assert_clean(result, allowed=(0, 1, 2)) -> None:
    """Either success, or exactly one 'Error: ...' line; never a traceback or an internal error."""
    assert result.code in allowed, (result.code, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    if result.code != 0:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
        assert result.stdout == ""


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_metrics(tmp_path)
    (tmp_path / "keep.csv").write_text("precious\n")
    return tmp_path


# --- a table of bad inputs ----------------------------------------------------------------------

BAD = [
    # (command line, exit code, fragments of the one line)
    ("cosine --t-max 20 --warmup-start-factor 0.5", 2, ["--warmup-start-factor needs --warmup-steps"]),
    ("cosine --t-max 20 --warmup-steps 5 --warmup-start-factor 0", 2, ["--warmup-start-factor must be"]),
    ("plateau --metrics val.txt --warmup-steps 3", 2, ["--warmup-steps cannot be used with plateau"]),
    (
        "exponential --lr 1 --gamma 10 --steps 400",
        2,
        ["--steps 400 is too many", "largest float64", "--gamma"],
    ),
    ("multistep --lr 1 --gamma 1e100 --milestones 1,2,3,4", 2, ["default length", "largest float64"]),
    ("onecycle --max-lr 0.1 --total-steps 0", 2, ["--total-steps must be an integer >= 1, got 0"]),
    ("onecycle --max-lr nan --total-steps 10", 2, ["--max-lr must be a finite number, got nan"]),
    ("onecycle --max-lr 1e999 --total-steps 10", 2, ["--max-lr must be a finite number"]),
    ("cosine --t-max 99999999999999999999999", 2, ["default length", "GiB", "set --steps"]),
    ("cosine --t-max 5 --steps -3", 2, ["--steps must be an integer >= 1, got -3"]),
    ("cosine --t-max 5 --label ''", 2, ["--label must be non-empty text"]),
    ("cosine --t-max 5 -o ''", 2, ["-o needs a file path"]),
    ("cosine --t-max 5 -o -.txt", 2, ["unknown file type .txt"]),
    ("cosine --t-max 5 -o - -o -.json", 2, ["given twice (also as standard output)"]),
    ("cosine --t-max 5 -o val.txt", 2, ["unknown file type .txt"]),
    ("plateau --metrics val.csv --column val_acc -o val.csv", 2, ["is the metrics file this run reads"]),
    ("cosine --t-max 5 --chart -o -", 2, ["--chart and -o - both write to standard output"]),
    ("run missing.yaml", 1, ["config missing.yaml does not exist"]),
    ("compare", 2, ["Missing argument"]),
    ("cosine --t-max 5 extra", 2, ["unexpected extra argument"]),
]


@pytest.mark.parametrize(("command", "code", "fragments"), BAD, ids=[c for c, _, _ in BAD])
def test_bad_inputs_are_refused_in_one_line_and_write_nothing(folder, command, code, fragments):
    before = files(folder)
    result = run_cli(shlex.split(command))
    assert_clean(result, allowed=(code,))
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert files(folder) == before


def test_an_output_that_is_a_symlink_is_written_through(folder):
    (folder / "real.csv").write_text("old\n")
    (folder / "link.csv").symlink_to("real.csv")
    assert run_cli(["cosine", "--t-max", "2", "-o", "link.csv"]).code == 0
    assert (folder / "link.csv").is_symlink()
    assert (folder / "real.csv").read_text().startswith("step,lr\n")


def test_the_config_itself_is_never_overwritten(folder):
    (folder / "c.yaml").write_text("schedules: [{type: cosine, t_max: 3}]\n")
    before = (folder / "c.yaml").read_bytes()
    result = run_cli(["run", "c.yaml", "-o", "c.yaml"])
    assert_clean(result, allowed=(2,))
    assert (folder / "c.yaml").read_bytes() == before


def test_binary_formats_on_standard_output_when_it_is_not_a_terminal(folder):
    result = run_cli(["cosine", "--t-max", "3", "-o", "-.png"])
    assert result.code == 0 and result.stdout_bytes.startswith(b"\x89PNG")
    result = run_cli(["cosine", "--t-max", "3", "-o", "-.json"])
    assert result.code == 0 and result.stdout.startswith('{"lrplot": ')


def test_binary_formats_are_refused_on_a_terminal(folder):
    from lrplot.render.files import parse_targets

    with pytest.raises(Exception, match="PNG is binary and standard output is a terminal"):
        parse_targets(["-.png"], terminal=True)
    assert parse_targets(["-.svg"], terminal=True)[0].format == "svg"


def test_deeply_nested_inputs_are_refused_not_crashed(folder):
    (folder / "deep.yaml").write_text("schedules: " + "[" * 5000 + "]" * 5000 + "\n")
    assert_clean(run_cli(["run", "deep.yaml"]), allowed=(1,))
    (folder / "deep.json").write_text("[" * 100000 + "]" * 100000)
    assert_clean(run_cli(["plateau", "--metrics", "deep.json"]), allowed=(1,))


# --- random junk through the command line -------------------------------------------------------

JUNK = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            "nan",
            "-nan",
            "inf",
            "-inf",
            "1e999",
            "-1",
            "0",
            "-0",
            "1e-320",
            "0x10",
            "1_000",
            "２",
            "10" * 30,
            "1,2",
            "1.5",
            "true",
            "--",
            "-o",
        ]
    ),
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def example_args(name: str) -> list[str]:
    return shlex.split(schedules_of("torch")[name].example)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_junk_values_never_crash(folder, data):
    name = data.draw(st.sampled_from(COMMANDS), label="schedule")
    schedule = schedules_of("torch")[name]
    options = [p for p in (*schedule.params,) if not isinstance(p, Switch)]
    param = data.draw(st.sampled_from(options), label="param")
    value = data.draw(JUNK, label="value")
    flag = "--" + param.name.replace("_", "-")
    result = run_cli([*example_args(name), f"{flag}={value}", "--steps", "50", "-o", "-"])
    assert_clean(result)
    assert files(folder)["keep.csv"] == b"precious\n"


# --- random valid parameters through the command line -------------------------------------------


def valid_value(draw, param):
    """A value inside the parameter's declared range, as a command-line string."""
    if isinstance(param, Real):
        low = param.gt if param.gt is not None else param.ge
        high = param.lt if param.lt is not None else param.le
        low = 1e-6 if low is None else low
        high = min(high if high is not None else 10.0, max(low, 0) + 10.0)
        value = draw(
            st.floats(
                low, high, allow_nan=False, exclude_min=param.gt is not None, exclude_max=param.lt is not None
            )
        )
        return repr(value)
    if isinstance(param, Integer):
        low = param.ge if param.ge is not None else 0
        return str(draw(st.integers(low, low + 60)))
    if isinstance(param, IntegerList):
        values = draw(st.lists(st.integers(max(param.ge or 0, 1), 80), min_size=1, max_size=4))
        return ",".join(str(v) for v in sorted(values))
    if isinstance(param, Choice):
        return draw(st.sampled_from(param.choices))
    if isinstance(param, Series):
        return "val.txt"
    if isinstance(param, Text):
        return None
    return None


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_valid_parameters_give_finite_non_negative_curves_of_the_stated_length(folder, data):
    name = data.draw(st.sampled_from(COMMANDS), label="schedule")
    schedule = schedules_of("torch")[name]
    args = [name]
    for param in schedule.params:
        if isinstance(param, Switch):
            if data.draw(st.booleans()):
                args.append("--" + param.name.replace("_", "-"))
            continue
        if param.required or data.draw(st.booleans()):
            value = valid_value(data.draw, param)
            if value is not None:
                args += ["--" + param.name.replace("_", "-"), value]
    if name == "onecycle" and "--total-steps" not in args:
        args += ["--total-steps", str(data.draw(st.integers(10, 200)))]
        if "--epochs" in args:
            index = args.index("--epochs")
            del args[index : index + 2]
    steps = data.draw(st.integers(1, 14))
    result = run_cli([*args, "--steps", str(steps), "-o", "-"])
    # Some combinations are contradictory (a 1cycle phase without a step, ...): refused cleanly.
    assert_clean(result, allowed=(0, 2))
    assume(result.code == 0)
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert len(rows) == steps + 1
    rates = np.array([float(row[1]) for row in rows[1:]])
    assert np.all(np.isfinite(rates)) and np.all(rates >= 0)


# --- random documents through the config loader -------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.sampled_from(["cosine", "onecycle", "plateau", "val.txt", "-"]),
)
KEYS = st.sampled_from(
    [
        "schedules",
        "type",
        "t_max",
        "lr",
        "gamma",
        "steps",
        "metrics",
        "output",
        "title",
        "log",
        "layout",
        "label",
        "milestones",
        "max_lr",
        "total_steps",
        "x",
        "chart",
    ]
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=DOCUMENTS)
def test_random_configs_never_crash(folder, document):
    (folder / "c.yaml").write_text(yaml.safe_dump(document))
    result = run_cli(["run", "c.yaml", "--steps", "20"])
    assert_clean(result)
    assert files(folder)["keep.csv"] == b"precious\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_random_text_as_config_or_metrics_never_crashes(folder, text):
    (folder / "c.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    assert_clean(run_cli(["run", "c.yaml"]))
    for suffix in (".txt", ".csv", ".json"):
        (folder / f"m{suffix}").write_text(text, encoding="utf-8", errors="surrogatepass")
        assert_clean(run_cli(["plateau", "--metrics", f"m{suffix}", "-o", "-"]))


# --- Ctrl-C during a long export ----------------------------------------------------------------


def test_ctrl_c_during_a_long_export_leaves_no_partial_file(tmp_path):
    target = tmp_path / "big.csv"
    target.write_text("the file that was there\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "lrplot", "cosine", "--t-max", "50000000", "-o", str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".big.csv.*.tmp")):  # the export has started writing
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "Interrupted" in stderr
    assert target.read_text() == "the file that was there\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads and writes everything")
def test_unreadable_and_unwritable_files(folder):
    (folder / "secret.txt").write_text("1\n2\n")
    (folder / "secret.txt").chmod(0)
    assert_clean(run_cli(["plateau", "--metrics", "secret.txt"]), allowed=(1,))
    locked = folder / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    assert_clean(run_cli(["cosine", "--t-max", "3", "-o", "locked/x.csv"]), allowed=(2,))


def test_huge_steps_are_refused_up_front_with_the_memory_they_would_need(folder):
    result = run_cli(["cosine", "--t-max", "10", "--steps", str(10**12)])
    assert_clean(result, allowed=(2,))
    gib = float(result.stderr.split("needs about ")[1].split(" GiB")[0].replace(",", ""))
    assert math.isclose(gib, 10**12 * 40 / 2**30, rel_tol=0.01)


def test_only_one_thing_writes_to_standard_output_even_from_a_config(folder):
    (folder / "c.yaml").write_text("chart: true\nschedules: [{type: cosine, t_max: 3}]\n")
    assert_clean(run_cli(["run", "c.yaml", "-o", "-"]), allowed=(2,))
    assert_clean(run_cli(["run", "c.yaml", "--emit", "torch"]), allowed=(2,))
    assert run_cli(["run", "c.yaml"]).code == 0


def test_steps_is_a_window_onto_the_warm_up():
    """--steps shorter than the warm-up shows the warm-up's rows, as torch computes them, with a
    warning that the schedule itself starts later."""
    result = run_cli(["cosine", "--t-max", "1000", "--warmup-steps", "100", "--steps", "50", "-o", "-"])
    assert result.code == 0, result.stderr
    rows = [line.split(",") for line in result.stdout.splitlines()[1:]]
    assert len(rows) == 50
    assert float(rows[0][1]) == 1e-3 / 3
    assert float(rows[1][1]) > float(rows[0][1])
    assert "the warm-up is cut off after 50 of its 100 steps" in result.stderr


@pytest.mark.parametrize("args", [
    ["plateau", "--metrics", "a\0.csv"],
    ["run", "a\0.yaml"],
    ["log", "a\0.json"],
    ["check", "a\0.json", "cosine --t-max 3"],
    ["code", "a\0.py"],
    ["cosine", "--t-max", "3", "-o", "a\0.csv"],
])
def test_a_nul_byte_in_a_file_name_is_one_clean_line(args):
    result = run_cli(args)
    assert result.code in (1, 2) and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "is not a file name: it holds a NUL byte" in result.stderr
