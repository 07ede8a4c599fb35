"""lrplot run: the YAML schema, its errors, and that a config equals the commands it stands for."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
import yaml

from lrplot import catalog
from lrplot.config import load
from lrplot.errors import ConfigError
from lrplot.registry import entry

from .test_cli import assert_one_line_error

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "sample_configs").glob("*.yaml"))


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def write(folder: Path, text: str, name: str = "c.yaml") -> str:
    (folder / name).write_text(text)
    return name


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_every_sample_config_runs(cli, tmp_path, path):
    copy = tmp_path / "sample_configs"
    shutil.copytree(ROOT / "sample_configs", copy)
    table = cli(["run", str(copy / path.name)])
    assert table.code == 0, table.stderr
    outputs = [arg for name in ("out.csv", "out.png", "out.json") for arg in ("-o", str(tmp_path / name))]
    result = cli(["run", str(copy / path.name), *outputs])
    assert result.code == 0, result.stderr
    assert (tmp_path / "out.png").read_bytes().startswith(b"\x89PNG")
    # Each schedule's summary counts its rows in its own unit: epochs for a metric-driven one.
    for schedule in json.loads((tmp_path / "out.json").read_text())["schedules"]:
        unit = "step" if schedule["schedule"] == "log" else entry(schedule["schedule"]).row_unit
        assert f"{schedule['label']}: {schedule['rows']} {unit}s · start " in table.stdout, schedule


def test_run_equals_compare(cli, in_tmp):
    write(
        in_tmp,
        """
schedules:
  - {type: cosine, t_max: 20, label: cos}
  - {type: exponential, gamma: 0.9, label: exp}
  - {type: plateau, metrics: val.txt, mode: max, patience: 1}
""",
    )
    run = cli(["run", "c.yaml", "-o", "-"])
    compare = cli(
        [
            "compare",
            "cosine --t-max 20 --label cos",
            "exponential --gamma 0.9 --label exp",
            "plateau --metrics val.txt --mode max --patience 1",
            "-o",
            "-",
        ]
    )
    assert run.code == 0 and run.stdout == compare.stdout


def test_one_schedule_behaves_like_the_command(cli, in_tmp):
    write(in_tmp, "schedules:\n  - {type: onecycle, max_lr: 0.01, epochs: 4}\nsteps_per_epoch: 5\n")
    run = cli(["run", "c.yaml", "-o", "-"])
    command = cli(["onecycle", "--max-lr", "0.01", "--epochs", "4", "--steps-per-epoch", "5", "-o", "-"])
    assert run.stdout == command.stdout
    assert rows(run.stdout)[0] == ["step", "lr", "momentum", "epoch"]


def test_paths_are_relative_to_the_config(cli, in_tmp):
    sub = in_tmp / "exp"
    sub.mkdir()
    (sub / "acc.txt").write_text("0.5\n0.6\n0.6\n0.6\n")
    write(sub, "output: [out.csv, out.json]\nschedules:\n  - {type: plateau, metrics: acc.txt, mode: max}\n")
    result = cli(["run", "exp/c.yaml"])
    assert result.code == 0, result.stderr
    assert (sub / "out.csv").exists() and (sub / "out.json").exists()
    assert "Wrote exp/out.csv" in result.stderr


def test_a_training_log_is_a_schedule_of_type_log(cli, here):
    """``type: log`` draws a training log as compare's "log FILE" does, with the same options and
    the config's run-wide steps, its file relative to the config, and never overwritten."""
    runs = here / "runs"
    runs.mkdir()
    (runs / "state.json").write_bytes((here / "trainer_state.json").read_bytes())
    write(here, """
steps: 30
schedules:
  - {type: log, file: runs/state.json, metric: eval_loss, label: the run}
  - {type: hf.linear, lr: 5.0e-5, num_training_steps: 30}
""")
    run = cli(["run", "c.yaml", "-o", "-"])
    compare = cli(["compare", "log runs/state.json --metric eval_loss --label 'the run'",
                   "hf linear --lr 5e-5 --num-training-steps 30", "--steps", "30", "-o", "-"])
    assert run.code == 0, run.stderr
    assert run.stdout == compare.stdout and len(rows(run.stdout)) == 31
    write(runs, "schedules:\n  - {type: log, file: state.json, tag: learning_rate}\n", "inner.yaml")
    inner = cli(["run", "runs/inner.yaml", "-o", "-"])
    alone = cli(["log", "runs/state.json", "--tag", "learning_rate", "-o", "-"])
    assert inner.code == 0 and inner.stdout == alone.stdout
    before = (runs / "state.json").read_bytes()
    assert_one_line_error(cli(["run", "c.yaml", "-o", "runs/state.json"]), 2, "runs/state.json")
    assert (runs / "state.json").read_bytes() == before


@pytest.mark.parametrize(("text", "fragments"), [
    ("schedules:\n  - {type: log, fiel: x.json}\n", ["c.yaml:2:", "unknown key fiel (did you mean file?)"]),
    ("schedules:\n  - {type: log, label: a}\n", ["c.yaml:2:", "schedules[0] (a): file is missing"]),
    ("schedules:\n  - type: log\n    file: trainer_state.json\n    steps: -3\n",
     ["c.yaml:4:", "steps must be an integer >= 1, got -3"]),
    ("schedules:\n  - {type: log, file: nope.json}\n", ["training log nope.json does not exist"]),
    ("schedules:\n  - {type: log, file: trainer_state.json, tag: nope}\n", ["nope"]),
])
def test_log_entries_fail_in_one_line(cli, here, text, fragments):
    write(here, text)
    assert_one_line_error(cli(["run", "c.yaml"]), 1, *fragments)


def test_command_line_options_override_the_config(cli, in_tmp):
    write(in_tmp, "steps: 5\noutput: never.csv\ntitle: T\nschedules:\n  - {type: cosine, t_max: 20}\n")
    result = cli(["run", "c.yaml", "--steps", "3", "-o", "-"])
    assert result.code == 0
    assert len(rows(result.stdout)) == 4
    assert not (in_tmp / "never.csv").exists()
    assert load(in_tmp / "c.yaml").settings == {"steps": 5, "title": "T"}


def test_inline_metrics_and_overrides_in_python(in_tmp):
    config = load(
        write(in_tmp, "schedules:\n  - {type: plateau, metrics: [3, 2, 2, 2], patience: 0}\n"), {"steps": 3}
    )
    assert config.specs[0].steps == 3


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("schedules: [\n", ["c.yaml:2", "YAML error"]),
        ("a: 1\n  b: 2\n", ["c.yaml:2", "YAML error"]),
        ("- cosine\n", ["a config is a mapping", "got a list"]),
        ("just text\n", ["a config is a mapping", "got text"]),
        ("# nothing\n", ["is empty"]),
        ("title: x\n", ["schedules must be a non-empty list"]),
        ("schedules: []\n", ["schedules must be a non-empty list"]),
        (
            "titel: x\nschedules: [{type: cosine, t_max: 3}]\n",
            ["c.yaml:1", "unknown key titel (did you mean title?)"],
        ),
        ("schedules:\n  - {t_max: 3}\n", ["c.yaml:2", "schedules[0]: type is missing"]),
        (
            "schedules:\n  - {type: cosin, t_max: 3}\n",
            ["schedules[0]", "'cosin' is not a schedule (did you mean cosine?)", "known: exponential"],
        ),
        ("schedules:\n  - cosine\n", ["schedules[0]: each schedule is a mapping"]),
        (
            "schedules:\n  - type: cosine\n    t_max: 0\n",
            ["c.yaml:3", "schedules[0] (cosine): t_max must be an integer >= 1, got 0"],
        ),
        (
            "schedules:\n  - {type: cosine, t_max: 3}\n"
            "  - type: exponential\n    label: fast\n    gama: 0.5\n",
            ["c.yaml:5", "schedules[1] (fast): gama is not a parameter of exponential (did you mean gamma?)"],
        ),
        ("schedules:\n  - {type: exponential}\n", ["schedules[0] (exponential): gamma is required"]),
        ("schedules:\n  - {type: onecycle, max_lr: 1, epochs: 3}\n", ["epochs needs steps_per_epoch"]),
        ("schedules:\n  - {type: cosine, t_max: 3, t_max: 4}\n", ["c.yaml:2", "'t_max' appears twice"]),
        (
            "steps: -1\nschedules:\n  - {type: cosine, t_max: 3}\n",
            ["c.yaml:1", "steps must be an integer >= 1"],
        ),
        (
            "layout: stack\nschedules:\n  - {type: cosine, t_max: 3}\n",
            ["layout must be one of overlay, grid"],
        ),
        ("output: x.txt\nschedules:\n  - {type: cosine, t_max: 3}\n", ["unknown file type .txt"]),
        ("schedules:\n  - {type: plateau, metrics: nope.txt}\n", ["metrics file nope.txt does not exist"]),
        (
            "schedules:\n  - {type: cosine, t_max: 3, label: a}\n  - {type: cosine, t_max: 4, label: a}\n",
            ["label 'a' is used twice"],
        ),
        ("schedules:\n  - !!python/object/apply:os.system [echo hi]\n", ["c.yaml:2", "not allowed"]),
        ("x: &a [1, *a]\nschedules: [{type: cosine, t_max: 3}]\n", ["alias refers to itself"]),
    ],
)
def test_config_errors_are_one_line_with_where(cli, in_tmp, text, fragments):
    write(in_tmp, text)
    assert_one_line_error(cli(["run", "c.yaml"]), 1, *fragments)


def test_billion_laughs_is_refused_before_it_expands(cli, in_tmp):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    write(in_tmp, "\n".join(lines) + "\nschedules: [{type: cosine, t_max: 3}]\n")
    assert_one_line_error(cli(["run", "c.yaml"]), 1, "expands to more than 100,000 values")


def test_config_file_problems(cli, in_tmp):
    assert_one_line_error(cli(["run", "missing.yaml"]), 1, "config missing.yaml does not exist")
    assert_one_line_error(cli(["run", "."]), 1, "is a directory")
    (in_tmp / "bin.yaml").write_bytes(b"\x00\x01")
    assert_one_line_error(cli(["run", "bin.yaml"]), 1, "binary")
    assert_one_line_error(cli(["run", "c.yaml", "-o", "x.txt"]), 2, "unknown file type")


def test_merge_keys_work(cli, in_tmp):
    write(in_tmp, "schedules:\n  - &c {type: cosine, lr: 0.1, t_max: 4}\n"
                  "  - {<<: *c, label: other, t_max: 2}\n")
    result = cli(["run", "c.yaml", "-o", "-"])
    assert result.code == 0, result.stderr
    assert rows(result.stdout)[0] == ["step", "cosine lr=0.1 t_max=4", "other"]


def test_the_reference_lists_every_key_of_every_schedule():
    reference = yaml.safe_load(catalog.yaml_reference())
    from lrplot.registry import schedules_of

    for name, schedule in schedules_of("torch").items():
        keys = reference["schedules"][name]["keys"]
        assert {p.name for p in schedule.params} <= set(keys)
        assert {"type", "label", "steps"} <= set(keys)
    assert set(reference["top_level"]) == {
        "schedules",
        "steps",
        "steps_per_epoch",
        "title",
        "log",
        "layout",
        "chart",
        "emit",
        "output",
    }
    assert (ROOT / "docs" / "config-reference.yaml").read_text() == catalog.yaml_reference(), (
        "run: python scripts/make_docs.py"
    )


def test_errors_raise_config_error_in_python(in_tmp):
    with pytest.raises(ConfigError):
        load(write(in_tmp, "schedules: 3\n"))
