"""The hf namespace (lrplot/schedules/hf.py) against Hugging Face transformers.

Without transformers: the golden curves (tests/golden/hf.json, by tests/make_golden_hf.py), the
fast ranges against the plain formulas, the warnings, the refusals and the import rule. With it
(tests/libraries.py: skipped when missing, a failure when LRPLOT_REQUIRE asks for it): random
parameters through get_scheduler, through lrplot's library and its CLI into CSV; Trainer's own
arithmetic from TrainingArguments and a dataset; the emitted code; a composition with torch's.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import re
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.registry import schedules_of
from lrplot.schedules import _kernels, hf
from tests.conftest import run_cli
from tests.libraries import reference
from tests.reference_hf import TOLERANCE, hf_rows, trainer_run, worst_error

GOLDEN = Path(__file__).resolve().parent / "golden" / "hf.json"
DOCUMENT = json.loads(GOLDEN.read_text(encoding="ascii"))
NAMES = list(schedules_of("hf"))


def matches(lrplot_lr: np.ndarray, library: np.ndarray) -> None:
    assert lrplot_lr.shape == library.shape
    assert worst_error(lrplot_lr, library) <= TOLERANCE


@pytest.fixture(scope="module")
def transformers():
    reference("torch")
    return reference("transformers")


# --- without the library --------------------------------------------------------------------------


class TestGolden:
    def test_records_its_origin(self):
        assert DOCUMENT["generator"] == "tests/make_golden_hf.py"
        assert DOCUMENT["transformers"] == "5.24.0"

    def test_covers_every_schedule_and_argument(self):
        cases = DOCUMENT["cases"]
        assert {c["schedule"] for c in cases} == {f"hf.{name}" for name in NAMES}
        given = {(c["schedule"], k) for c in cases for k in c["params"]}
        given |= {(c["schedule"], k) for c in cases for k in c["params"].get("lr_scheduler_kwargs", {})}
        for name, schedule in schedules_of("hf").items():
            wanted = {p.name for p in schedule.params if p.argument} - {"column"}
            assert wanted <= {k for s, k in given if s == f"hf.{name}"}, name

    @pytest.mark.parametrize("case", DOCUMENT["cases"], ids=lambda c: c["id"])
    def test_curve_equals_transformers(self, case):
        curve = lrplot.curve(case["schedule"], steps=case["rows"], **case["params"])
        library = np.array(case["lr"])
        matches(curve.lr, library)
        assert np.mean(curve.lr == library) == 1.0  # the same operations in the same order
        if "trainer" in case:
            assert {k: curve.derived.get(k) for k in case["trainer"]} == case["trainer"]


# Parameters of one long run per schedule (the fast ranges take over from FAST_FROM rows).
LONG = {
    "linear": {"num_warmup_steps": 3000, "num_training_steps": 60000},
    "cosine": {"num_warmup_steps": 3000, "num_training_steps": 60000, "num_cycles": 1.7},
    "cosine-with-restarts": {"num_warmup_steps": 3, "num_training_steps": 98003, "num_cycles": 49},
    "polynomial": {"num_warmup_steps": 3000, "num_training_steps": 60000, "power": 2.5},
    "constant": {"num_training_steps": 50000},
    "constant-with-warmup": {"num_warmup_steps": 20000, "num_training_steps": 50000},
    "inverse-sqrt": {"num_warmup_steps": 20000, "num_training_steps": 50000},
    "cosine-with-min-lr": {"num_warmup_steps": 20000, "num_training_steps": 50000, "min_lr_rate": 0.1},
    "cosine-warmup-with-min-lr": {"num_warmup_steps": 20000, "num_training_steps": 50000,
                                  "min_lr": 1e-6, "warmup_lr_rate": 0.1},
    "warmup-stable-decay": {"num_warmup_steps": 20000, "num_training_steps": 90000,
                            "num_decay_steps": 30000, "warmup_type": "1-sqrt", "decay_type": "cosine"},
}


# The fast ranges' angle addition and blocked lines round differently from the formula: within this
# many ulps of the curve's scale (measured: up to about 11, for cosines of a non-whole period).
ULPS = 16


class TestFastRanges:
    """lr_range against the plain formula over long ranges (to a few ulps of the curve's scale)."""

    @pytest.mark.parametrize("name", list(LONG))
    @pytest.mark.parametrize("first", [0, 1, 17_000])
    def test_range_equals_formula(self, name, first):
        schedule = schedules_of("hf")[name]
        spec = lrplot.engine.build_spec(f"hf.{name}", {"lr": 1e-3, **LONG[name]})
        n = max(spec.steps + 5000, _kernels.FAST_FROM)
        fast = schedule.rows(first, n, spec.params)
        plain = schedule.curve(np.arange(first, first + n, dtype=np.float64), spec.params)
        assert np.max(np.abs(fast - plain)) <= ULPS * np.finfo(float).eps * np.max(np.abs(plain))


def test_import_is_cheap_and_alone():
    """Importing the namespace imports no library and no other framework's module."""
    code = (
        "import sys, lrplot.schedules.hf\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers', 'accelerate', 'timm',"
        " 'optax', 'jax', 'keras', 'deepspeed', 'fastai', 'matplotlib')]\n"
        "ours = sorted(m for m in sys.modules if m.startswith('lrplot.schedules.') and m not in"
        " ('lrplot.schedules.hf', 'lrplot.schedules._kernels', 'lrplot.schedules.plateau',"
        " 'lrplot.schedules._common'))\n"
        "print(bad, ours)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] []"


# --- warnings and refusals ------------------------------------------------------------------------

QUIET = [
    ("linear", {"num_warmup_steps": 10, "num_training_steps": 100}, None),
    ("cosine", {"batches_per_epoch": 10, "num_train_epochs": 10, "warmup_steps": 0.1}, None),
    ("cosine-with-restarts", {"num_warmup_steps": 3, "num_training_steps": 103, "num_cycles": 4}, None),
    ("polynomial", {"num_warmup_steps": 10, "num_training_steps": 100}, 150),
    ("constant", {"num_training_steps": 100}, None),
    ("constant-with-warmup", {"num_warmup_steps": 10}, None),
    ("inverse-sqrt", {"num_warmup_steps": 10}, None),
    ("cosine-with-min-lr", {"num_warmup_steps": 10, "num_training_steps": 100, "min_lr": 1e-6}, None),
    ("warmup-stable-decay", {"num_warmup_steps": 10, "num_training_steps": 100, "num_decay_steps": 20}, None),
    ("warmup-stable-decay", {"num_warmup_steps": 10, "num_stable_steps": 50, "num_decay_steps": 20}, None),
]

WARNED = [
    ("cosine", {"num_warmup_steps": 5, "num_training_steps": 50}, 80, "climbs back toward lr"),
    ("cosine-with-min-lr", {"num_training_steps": 50, "min_lr_rate": 0.1}, 80, "climbs back toward lr"),
    ("cosine-warmup-with-min-lr", {"num_warmup_steps": 5, "num_training_steps": 50, "min_lr_rate": 0.1},
     None, "one step before num_warmup_steps 5"),
    ("cosine-warmup-with-min-lr", {"num_training_steps": 50, "min_lr_rate": 0.1}, None,
     "without a warm-up the rate never reaches lr"),
    ("cosine-warmup-with-min-lr", {"num_warmup_steps": 1, "num_training_steps": 50, "min_lr_rate": 0.1,
                                   "warmup_lr_rate": 0.5}, None, "with one warm-up step"),
    ("cosine-warmup-with-min-lr", {"num_warmup_steps": 5, "num_training_steps": 50, "min_lr_rate": 0.1},
     60, "climbs back toward lr"),
    ("linear", {"num_warmup_steps": 100, "num_training_steps": 100}, None, "the warm-up outlasts the run"),
    ("cosine", {"num_warmup_steps": 40, "num_training_steps": 100}, 30, "outlasts the 30 rows"),
    ("constant-with-warmup", {"num_warmup_steps": 200}, 100, "never reaches lr"),
    ("cosine-with-min-lr", {"num_training_steps": 50, "min_lr": 1e-4, "lr": 1e-4}, None, "stays flat"),
    ("cosine-with-min-lr", {"num_training_steps": 50, "min_lr_rate": 2.0}, None, "rises above lr"),
    ("polynomial", {"num_warmup_steps": 50, "num_training_steps": 50}, None, "ZeroDivisionError"),
    ("constant", {"num_training_steps": 50, "warmup_steps": 10}, None, "use constant-with-warmup"),
    ("constant", {"num_training_steps": 50, "lr_scheduler_kwargs": {"x": 1}}, None, "ignores lr_scheduler"),
    ("constant-with-warmup", {"num_training_steps": 50, "lr_scheduler_kwargs": {"num_warmup_steps": 3}},
     None, "changes nothing"),
    ("inverse-sqrt", {}, None, "the timescale is 10000"),
    ("cosine-with-restarts", {"num_warmup_steps": 2, "num_training_steps": 51, "num_cycles": 49}, None,
     "comes one step late"),
    ("linear", {"batches_per_epoch": 30, "warmup_steps": 2.5}, None, "int() of it: 2 warm-up steps"),
    ("linear", {"max_steps": 100, "warmup_steps": 0.07}, None, "rounds it up to 8 warm-up steps, not 7"),
    ("linear", {"max_steps": 30, "num_train_epochs": 2, "batches_per_epoch": 9}, None, "overrides"),
    ("warmup-stable-decay", {"num_warmup_steps": 30, "num_training_steps": 50, "num_decay_steps": 40}, None,
     "the stable phase is -20 steps"),
    ("warmup-stable-decay", {"num_warmup_steps": 5, "num_training_steps": 50, "num_decay_steps": 10,
                             "num_stable_steps": 5}, None, "num_stable_steps will be used"),
    ("warmup-stable-decay", {"num_warmup_steps": 5, "num_training_steps": 50, "num_decay_steps": 10,
                             "num_stable_steps": 5}, None, "the last 30 updates run at min_lr_ratio"),
]


class TestWarnings:
    @pytest.mark.parametrize("name,params,steps", QUIET, ids=[q[0] for q in QUIET])
    def test_quiet_where_nothing_surprises(self, name, params, steps):
        extra = {} if steps is None else {"steps": steps}
        assert lrplot.curve(f"hf.{name}", **params, **extra).warnings == ()

    @pytest.mark.parametrize("name,params,steps,text", WARNED, ids=[w[3] for w in WARNED])
    def test_warns(self, name, params, steps, text):
        extra = {} if steps is None else {"steps": steps}
        found = lrplot.curve(f"hf.{name}", **params, **extra).warnings
        assert any(text in w for w in found), found

    def test_warning_reaches_stderr(self):
        result = run_cli(["hf", "cosine", "--num-training-steps", "20", "--steps", "30", "-o", "-"])
        assert result.code == 0
        assert result.stderr.startswith("Warning: hf cosine")
        assert "climbs back toward lr" in result.stderr


REFUSED = [
    (["polynomial", "--num-training-steps", "10", "--lr", "1e-4", "--lr-end", "1e-4"], "--lr-end"),
    (["cosine-with-min-lr", "--num-training-steps", "10"], "--min-lr"),
    (["cosine-with-min-lr", "--num-training-steps", "10", "--min-lr", "0", "--min-lr-rate", "0"],
     "--min-lr-rate"),
    (["cosine-warmup-with-min-lr", "--num-training-steps", "10"], "--min-lr-rate"),
    (["warmup-stable-decay", "--num-training-steps", "10", "--warmup-type", "sqrt",
      "--num-decay-steps", "2"], "--warmup-type"),
    (["warmup-stable-decay", "--num-training-steps", "10", "--decay-type", "exp",
      "--num-decay-steps", "2"], "--decay-type"),
    (["warmup-stable-decay", "--num-decay-steps", "3"], "--num-stable-steps"),
    (["warmup-stable-decay", "--num-training-steps", "10"], "--num-decay-steps"),
    (["warmup-stable-decay", "--num-training-steps", "10",
      "--lr-scheduler-kwargs", '{"warmup_type": "exp", "num_decay_steps": 2}'], "--warmup-type"),
    (["cosine"], "--num-training-steps"),
    (["linear", "--num-warmup-steps", "3", "--warmup-steps", "5", "--num-training-steps", "9"],
     "--warmup-steps"),
    (["linear", "--num-training-steps", "9", "--warmup-ratio", "0.1"], "--warmup-steps 0.1"),
    (["linear", "--num-training-steps", "9", "--max-steps", "20"], "--max-steps"),
    (["linear", "--num-training-steps", "9", "--num-train-epochs", "2"], "--num-train-epochs"),
    (["linear", "--num-train-epochs", "2"], "--batches-per-epoch"),
    (["linear", "--batches-per-epoch", "9", "--num-examples", "90"], "--num-examples"),
    (["linear", "--batches-per-epoch", "9", "--world-size", "2"], "--world-size"),
    (["linear", "--num-examples", "3", "--per-device-train-batch-size", "4", "--dataloader-drop-last"],
     "--dataloader-drop-last"),
    (["linear", "--max-steps", "0"], "--max-steps"),
    (["constant-with-warmup", "--warmup-steps", "0.5"], "--num-training-steps"),
    (["cosine", "--num-training-steps", "9", "--lr-scheduler-kwargs", "{num_cycles: 2}"], "not valid JSON"),
    (["cosine", "--num-training-steps", "9", "--lr-scheduler-kwargs", "[1]"], "--lr-scheduler-kwargs"),
    (["cosine", "--num-training-steps", "9", "--lr-scheduler-kwargs", '{"power": 2}'], "power"),
    (["cosine", "--num-training-steps", "9", "--lr-scheduler-kwargs", '{"num_warmup_steps": 2}'],
     "--num-warmup-steps"),
    (["cosine", "--num-training-steps", "9", "--lr-scheduler-kwargs", '{"num_cycles": -1}'], "--num-cycles"),
    (["cosine", "--num-training-steps", "9", "--num-cycles", "1",
      "--lr-scheduler-kwargs", '{"num_cycles": 2}'], "give it once"),
    (["cosine", "--num-training-steps", "9", "--lr-scheduler-kwargs", '{"last_epoch": 3}'], "last_epoch"),
    (["polynomial", "--num-training-steps", "9", "--num-warmup-steps", "9", "--steps", "10"], "--steps"),
    (["reduce-lr-on-plateau", "--metrics", "missing.csv", "--lr-scheduler-kwargs", '{"gamma": 1}'],
     "--lr-scheduler-kwargs"),
]


@pytest.mark.parametrize("args,named", REFUSED, ids=[" ".join(r[0][:1] + [r[1]]) for r in REFUSED])
def test_refusals_are_one_line_naming_the_flag(args, named):
    result = run_cli(["hf", *args, "-o", "-"])
    assert result.code == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and named in lines[0], result.stderr


# --- against transformers -------------------------------------------------------------------------

LIVE = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THROUGH_CLI = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def log_uniform(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(np.log10(low), np.log10(high)).map(lambda e: float(10.0**e))


@st.composite
def run(draw, warm: bool = True) -> dict[str, Any]:
    """lr, num_training_steps and num_warmup_steps with their edges: no warm-up, a warm-up as long
    as the run, longer than it."""
    n = draw(st.one_of(st.integers(1, 12), st.integers(12, 300)))
    params = {"lr": draw(log_uniform(1e-6, 1.0)), "num_training_steps": n}
    if warm:
        params["num_warmup_steps"] = draw(st.one_of(st.just(0), st.just(n), st.integers(0, n),
                                                    st.integers(n, n + 20), st.integers(0, 3)))
    return params


def rows_for(draw, params: dict[str, Any]) -> int:
    n = params.get("num_training_steps") or 50
    return draw(st.one_of(st.just(n), st.integers(1, n + 60)))


@st.composite
def cases(draw, name: str) -> tuple[dict[str, Any], int]:
    cycles = st.one_of(st.sampled_from([0.5, 0.0, 1.0, 2.5]), st.floats(0, 6))
    if name in ("linear", "cosine", "cosine-with-restarts", "polynomial", "constant-with-warmup"):
        params = draw(run(warm=name != "constant"))
    elif name == "constant":
        params = draw(run(warm=False))
    elif name == "inverse-sqrt":
        params = draw(run())
        params["timescale"] = draw(st.one_of(st.none(), st.integers(1, 500)))
    elif name in ("cosine-with-min-lr", "cosine-warmup-with-min-lr"):
        params = draw(run())
        params["num_cycles"] = draw(cycles)
        if draw(st.booleans()):
            params["min_lr"] = params["lr"] * draw(st.floats(0, 1.5))
        else:
            params["min_lr_rate"] = draw(st.floats(0, 1.5))
        if name == "cosine-warmup-with-min-lr" and draw(st.booleans()):
            params["warmup_lr_rate"] = draw(st.floats(0, 1))
    elif name == "warmup-stable-decay":
        params = draw(run())
        params["num_decay_steps"] = draw(st.integers(0, 150))
        if draw(st.booleans()):
            params["num_stable_steps"] = draw(st.integers(0, 150))
            if draw(st.booleans()):
                del params["num_training_steps"]
        params["warmup_type"] = draw(st.sampled_from(hf.WSD_SHAPES))
        params["decay_type"] = draw(st.sampled_from(hf.WSD_SHAPES))
        params["min_lr_ratio"] = draw(st.one_of(st.just(0.0), st.floats(0, 0.9)))
        params["num_cycles"] = draw(cycles)
    else:  # reduce-lr-on-plateau
        metrics = draw(st.lists(st.one_of(st.floats(0, 2), st.sampled_from([1.0, 0.5])), min_size=1,
                                max_size=120))
        mode = draw(st.sampled_from(["min", "max"]))
        params = {"lr": draw(log_uniform(1e-6, 1.0)), "metrics": metrics, "mode": mode,
                  "factor": draw(st.floats(0.01, 0.99)), "patience": draw(st.integers(0, 5)),
                  "threshold_mode": draw(st.sampled_from(["rel", "abs"])),
                  "threshold": draw(st.sampled_from([0.0, 1e-4, 0.05])), "cooldown": draw(st.integers(0, 3)),
                  "min_lr": draw(st.sampled_from([0.0, 1e-7])), "eps": draw(st.sampled_from([1e-8, 0.0]))}
        return params, len(metrics)
    if name == "cosine":
        params["num_cycles"] = draw(cycles)
    if name == "cosine-with-restarts":
        params["num_cycles"] = draw(st.one_of(st.integers(0, 5), st.integers(5, 60)))
    if name == "polynomial":
        params["lr_end"] = draw(st.one_of(st.just(0.0), st.just(1e-7 * params["lr"]),
                                          st.floats(0, 0.999).map(lambda f: f * params["lr"])))
        params["power"] = draw(st.one_of(st.sampled_from([1.0, 2.0, 0.5, 0.0]), st.floats(0, 4)))
    rows = rows_for(draw, params)
    if name == "polynomial" and params["num_warmup_steps"] == params["num_training_steps"]:
        rows = min(rows, params["num_training_steps"])  # transformers divides by zero at row n
    return params, rows


@pytest.mark.parametrize("name", NAMES)
@LIVE
@given(data=st.data())
def test_library_matches_transformers(transformers, name, data):
    params, rows = data.draw(cases(name))
    expected, _ = hf_rows(name, params, rows)
    matches(lrplot.curve(f"hf.{name}", steps=rows, **params).lr, expected)


def command_line(name: str, params: dict[str, Any], rows: int, folder: Path) -> list[str]:
    args = ["hf", name, "--steps", str(rows), "-o", "-"]
    for key, value in params.items():
        flag = "--" + key.replace("_", "-")
        if value is None:
            continue
        if key == "metrics":
            path = folder / "metrics.txt"
            path.write_text("\n".join(repr(float(v)) for v in value) + "\n")
            args += [flag, str(path)]
        elif isinstance(value, bool):
            args.append(flag if value else "--no-" + flag[2:])
        elif isinstance(value, dict):
            args += [flag, json.dumps(value)]
        else:
            args += [flag, repr(value) if isinstance(value, float) else str(value)]
    return args


def read_csv(text: str) -> dict[str, np.ndarray]:
    rows = list(csv.reader(io.StringIO(text)))
    return {name: np.array([float(r[i]) for r in rows[1:]]) for i, name in enumerate(rows[0])}


@pytest.mark.parametrize("name", NAMES)
@THROUGH_CLI
@given(data=st.data())
def test_cli_csv_matches_transformers(transformers, tmp_path_factory, name, data):
    params, rows = data.draw(cases(name))
    expected, _ = hf_rows(name, params, rows)
    result = run_cli(command_line(name, params, rows, tmp_path_factory.mktemp("hf")))
    assert result.code == 0, result.stderr
    matches(read_csv(result.stdout)["lr"], expected)


@st.composite
def trainer_cases(draw) -> dict[str, Any]:
    """A run as TrainingArguments and a dataset describe it."""
    params: dict[str, Any] = {"lr": draw(log_uniform(1e-6, 1e-2))}
    if draw(st.booleans()):
        params["batches_per_epoch"] = draw(st.integers(1, 120))
    else:
        params["num_examples"] = draw(st.integers(1, 3000))
        params["per_device_train_batch_size"] = draw(st.sampled_from([1, 3, 8, 16, 64]))
        params["world_size"] = draw(st.sampled_from([1, 1, 2, 3, 8]))
        params["dataloader_drop_last"] = draw(st.booleans())
        batches = hf.per_process_batches(params["num_examples"], params["per_device_train_batch_size"],
                                         params["world_size"], params["dataloader_drop_last"])
        assume(0 < batches <= 120)
    params["gradient_accumulation_steps"] = draw(st.sampled_from([1, 2, 3, 4, 7, 16]))
    params["num_train_epochs"] = draw(st.one_of(st.sampled_from([1.0, 2.0, 3.0]), st.floats(0.05, 3)))
    if draw(st.integers(0, 3)) == 0:
        params["max_steps"] = draw(st.integers(1, 300))
    params["warmup_steps"] = draw(st.one_of(st.just(0.0), st.floats(0, 0.999),
                                            st.sampled_from([0.1, 0.03, 0.07]),
                                            st.integers(1, 40).map(float), st.floats(1, 40)))
    return params


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=trainer_cases(),
       name=st.sampled_from(["linear", "cosine", "polynomial", "cosine-warmup-with-min-lr"]))
def test_trainer_arithmetic_matches_trainer(transformers, params, name):
    if name == "cosine-warmup-with-min-lr":
        params["lr_scheduler_kwargs"] = {"min_lr_rate": 0.1}
    expected, figures = trainer_run(f"hf.{name}", params)
    assume(not (name == "polynomial" and figures["num_warmup_steps"] == figures["num_training_steps"]))
    curve = lrplot.curve(f"hf.{name}", **params)
    assert {k: curve.derived.get(k) for k in figures} == figures
    assert curve.steps_per_epoch == figures["updates_per_epoch"]
    matches(curve.lr, expected)


def test_trainer_route_reaches_the_cli(transformers):
    params = {"lr": 2e-5, "num_examples": 5000, "per_device_train_batch_size": 32, "world_size": 2,
              "gradient_accumulation_steps": 4, "num_train_epochs": 3.0, "warmup_steps": 0.03}
    expected, figures = trainer_run("hf.cosine", params)
    result = run_cli(command_line("cosine", params, figures["num_training_steps"], Path(".")))
    assert result.code == 0, result.stderr
    table = read_csv(result.stdout)
    matches(table["lr"], expected)
    assert np.array_equal(table["epoch"], np.arange(len(expected)) / figures["updates_per_epoch"])


EMITTED = {
    "linear": {"num_warmup_steps": 5, "num_training_steps": 40},
    "cosine": {"batches_per_epoch": 20, "num_train_epochs": 2, "warmup_steps": 0.1,
               "lr_scheduler_kwargs": {"num_cycles": 1.0}},
    "cosine-with-restarts": {"num_warmup_steps": 2, "num_training_steps": 51, "num_cycles": 49},
    "polynomial": {"num_warmup_steps": 30, "num_training_steps": 30, "lr_end": 1e-6, "power": 2.0},
    "constant": {"num_training_steps": 20, "warmup_steps": 3},
    "constant-with-warmup": {"num_warmup_steps": 4},
    "inverse-sqrt": {"num_warmup_steps": 4, "timescale": 9},
    "reduce-lr-on-plateau": {"metrics": [1.0, 0.9, 0.9, 0.9, 0.95, 0.8, 0.81, 0.82], "patience": 1,
                             "lr_scheduler_kwargs": {"factor": 0.5}, "mode": "min"},
    "cosine-with-min-lr": {"num_warmup_steps": 5, "num_training_steps": 40, "min_lr": 1e-6},
    "cosine-warmup-with-min-lr": {"num_warmup_steps": 5, "num_training_steps": 40, "min_lr_rate": 0.1,
                                  "warmup_lr_rate": 0.2},
    "warmup-stable-decay": {"num_warmup_steps": 5, "num_training_steps": 50, "num_stable_steps": 10,
                            "num_decay_steps": 10, "decay_type": "1-sqrt"},
}


@pytest.mark.parametrize("name", NAMES)
def test_emitted_code_reproduces_the_curve(transformers, name):
    curve = lrplot.curve(f"hf.{name}", lr=3e-4, **EMITTED[name])
    script = schedules_of("hf")[name].emit(curve.params, len(curve), curve.label)
    namespace: dict[str, Any] = {}
    printed = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(printed):
        warnings.simplefilter("error")
        exec(compile(script, f"<emitted {name}>", "exec"), namespace)  # noqa: S102
    assert np.array_equal(np.array(namespace["lrs"]), curve.lr)
    assert [float(line) for line in printed.getvalue().split()] == namespace["lrs"]
    comments = " ".join(line[2:] for line in script.splitlines() if line.startswith("# "))
    found = re.search(r"TrainingArguments\((.*)\)", comments)
    if found is not None:  # the TrainingArguments it names give Trainer the same scheduler
        trainer_args = eval(f"dict({found.group(1)})")  # noqa: S307
        params = {"lr": trainer_args["learning_rate"], "max_steps": trainer_args.get("max_steps", len(curve)),
                  "warmup_steps": trainer_args.get("warmup_steps", 0),
                  "lr_scheduler_kwargs": trainer_args.get("lr_scheduler_kwargs", {}),
                  "batches_per_epoch": 1}
        expected, _ = trainer_run(f"hf.{name}", params, len(curve))
        assert np.array_equal(expected, curve.lr)


def test_emit_through_the_cli(transformers):
    result = run_cli(["hf", "cosine", "--num-training-steps", "30", "--num-warmup-steps", "3",
                      "--emit", "hf"])
    assert result.code == 0, result.stderr
    assert "transformers.get_scheduler(" in result.stdout and "lrs" in result.stdout


def test_composes_with_torch_schedules(transformers):
    """An hf schedule inside torch's SequentialLR and ChainedScheduler (a LambdaLR like any other)."""
    import torch

    lr, rows = 1e-3, 70
    optimizer = torch.optim.AdamW(torch.nn.Linear(1, 1).parameters(), lr=lr)
    warm_up = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=10)
    cosine = transformers.get_scheduler("cosine", optimizer, num_warmup_steps=0, num_training_steps=50)
    sequence = torch.optim.lr_scheduler.SequentialLR(optimizer, [warm_up, cosine], milestones=[10])
    expected = [sequence.get_last_lr()[0]]
    for _ in range(rows - 1):
        optimizer.step()
        sequence.step()
        expected.append(sequence.get_last_lr()[0])
    curve = lrplot.curve("sequential", lr=lr, milestones=[10], steps=rows, schedules=[
        {"type": "linear", "start_factor": 0.1, "total_iters": 10},
        {"type": "hf.cosine", "num_warmup_steps": 0, "num_training_steps": 50},
    ])
    matches(curve.lr, np.array(expected))

    optimizer = torch.optim.AdamW(torch.nn.Linear(1, 1).parameters(), lr=lr)
    decay = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.97)
    wsd = transformers.get_scheduler("warmup_stable_decay", optimizer, num_warmup_steps=5,
                                     num_training_steps=60, scheduler_specific_kwargs={"num_decay_steps": 20})
    chain = torch.optim.lr_scheduler.ChainedScheduler([decay, wsd], optimizer=optimizer)
    expected = [chain.get_last_lr()[0]]
    for _ in range(rows - 1):
        optimizer.step()
        chain.step()
        expected.append(chain.get_last_lr()[0])
    curve = lrplot.curve("chained", lr=lr, steps=rows, schedules=[
        {"type": "exponential", "gamma": 0.97},
        {"type": "hf.warmup_stable_decay", "num_warmup_steps": 5, "num_training_steps": 60,
         "num_decay_steps": 20},
    ])
    matches(curve.lr, np.array(expected))


def test_long_runs_match_transformers(transformers):
    """Long enough for the fast ranges (FAST_FROM rows and more), against the library itself."""
    for name in ("cosine", "warmup-stable-decay", "cosine-with-restarts"):
        params = {"lr": 1e-3, **LONG[name]}
        rows = 1 + params["num_training_steps"] // 2
        expected, _ = hf_rows(name, params, rows)
        assert rows >= _kernels.FAST_FROM
        matches(lrplot.curve(f"hf.{name}", steps=rows, **params).lr, expected)


def test_trainer_formulas_quoted_from_the_source(transformers):
    """The quoted lines of updates_per_epoch and warmup_of are still in transformers' source."""
    import inspect

    trainer = inspect.getsource(transformers.Trainer.set_initial_training_values)
    assert "len_dataloader // args.gradient_accumulation_steps" in trainer
    assert "+ int(len_dataloader % args.gradient_accumulation_steps > 0)" in trainer
    assert "max_steps = math.ceil(args.num_train_epochs * num_update_steps_per_epoch)" in trainer
    args = inspect.getsource(transformers.TrainingArguments.get_warmup_steps)
    assert ("int(self.warmup_steps) if self.warmup_steps >= 1 else "
            "math.ceil(num_training_steps * self.warmup_steps)") in args
    assert not hasattr(transformers.TrainingArguments(output_dir="."), "warmup_ratio")
    assert math.ceil(100 * 0.07) == 8  # the float product the ratio warning quotes



def test_a_saved_training_args_json_runs_as_trainer_would(transformers, tmp_path):
    """``lrplot run training_args.json --batches-per-epoch N``: TrainingArguments' own JSON (every
    key it saves, most of which do not shape the schedule) gives Trainer's curve."""
    arguments = {"learning_rate": 3e-5, "lr_scheduler_type": "cosine_with_min_lr", "warmup_steps": 0.07,
                 "num_train_epochs": 2.5, "gradient_accumulation_steps": 3, "per_device_train_batch_size": 16,
                 "lr_scheduler_kwargs": {"min_lr_rate": 0.05}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        saved = transformers.TrainingArguments(output_dir=str(tmp_path), report_to=[], **arguments)
    (tmp_path / "training_args.json").write_text(saved.to_json_string())
    result = run_cli(["run", str(tmp_path / "training_args.json"), "--batches-per-epoch", "41", "-o", "-"])
    assert result.code == 0, result.stderr
    params = {"lr": 3e-5, "batches_per_epoch": 41, "num_train_epochs": 2.5, "gradient_accumulation_steps": 3,
              "warmup_steps": 0.07, "lr_scheduler_kwargs": {"min_lr_rate": 0.05}}
    expected, _ = trainer_run("hf.cosine-with-min-lr", params)
    matches(read_csv(result.stdout)["lr"], expected)


@pytest.mark.parametrize("document,named", [
    ({"lr_scheduler_type": "greedy"}, "lr_scheduler_type"),
    ({"lr_scheduler_type": "cosine", "warmup_ratio": 0.1, "max_steps": 10}, "warmup_steps"),
    ({"lr_scheduler_type": "cosin", "max_steps": 10}, "lr_scheduler_type"),
])
def test_config_refusals(tmp_path, document, named):
    (tmp_path / "args.json").write_text(json.dumps(document))
    result = run_cli(["run", str(tmp_path / "args.json"), "--kind", "hf", "-o", "-"])
    assert result.code != 0 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and named in result.stderr
