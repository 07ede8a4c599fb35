"""lrplot's deepspeed namespace against DeepSpeed itself: golden curves (no library needed), the fast
paths for long ranges, warnings and refusals, the "scheduler" section of a DeepSpeed config, and,
with DeepSpeed installed, random parameters through the library and through the CLI into CSV,
the emitted scripts run, and DeepSpeed's engine (deepspeed.initialize, engine.step()) training
with config sections as lrplot reads them.

DeepSpeed computes with Python floats and lrplot takes the same float64 operations in the same
order: rows are bit-identical except where numpy's log or cos differs from libm's by an ulp, so
every comparison allows TOLERANCE of the curve's scale, and the rows free of logs and cosines
must be identical.
"""

from __future__ import annotations

import contextlib
import csv
import inspect
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrplot.engine import build_spec, curve
from lrplot.params import Invalid
from lrplot.registry import FAST_FROM, schedules_of
from lrplot.schedules import deepspeed as ds
from tests.conftest import run_cli
from tests.libraries import reference
from tests.reference_deepspeed import CLASSES, deepspeed_rows, engine_rows

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = json.loads((ROOT / "tests" / "golden" / "deepspeed.json").read_text())
CASES = GOLDEN["cases"]
SCHEDULES = schedules_of("deepspeed")
# lrplot against DeepSpeed: at most this much of the curve's scale (max |lr|); ~45 ulps.
TOLERANCE = 1e-14


def worst(ours: np.ndarray, theirs: np.ndarray) -> float:
    """The largest difference, relative to the scale of ``theirs`` (0 for two zero curves)."""
    assert ours.shape == theirs.shape
    scale = float(np.max(np.abs(theirs))) if theirs.size else 0.0
    gap = float(np.max(np.abs(ours - theirs))) if theirs.size else 0.0
    return gap / scale if scale else gap


def assert_matches(got, expected: dict[str, np.ndarray], context: Any = "") -> None:
    assert len(got.lr) == len(expected["lr"]), context
    assert worst(got.lr, expected["lr"]) <= TOLERANCE, context
    if "momentum" in expected:
        assert worst(got.series["momentum"], expected["momentum"]) <= TOLERANCE, context
    else:
        assert "momentum" not in got.series, context


def transcendental(schedule: str, params: dict[str, Any]) -> bool:
    """Whether the curve takes a log or a cosine (where numpy and libm may differ by an ulp)."""
    return ("warmup" in schedule and params.get("warmup_type", "log") == "log") or "cosine" in schedule


# --- golden curves ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_golden(case):
    got = curve(case["schedule"], **case["params"], steps=case["rows"])
    expected = {k: np.array(case[k]) for k in ("lr", "momentum") if k in case}
    assert_matches(got, expected, case["id"])
    if not transcendental(case["schedule"], case["params"]):
        np.testing.assert_array_equal(got.lr, expected["lr"])
        if "momentum" in expected:
            np.testing.assert_array_equal(got.series["momentum"], expected["momentum"])


def test_golden_covers_every_schedule_and_argument():
    used: dict[str, set[str]] = {}
    for case in CASES:
        used.setdefault(case["schedule"].split(".", 1)[1], set()).update(case["params"])
    assert set(used) == set(SCHEDULES)
    for name, schedule in SCHEDULES.items():
        assert {p.name for p in schedule.params} <= used[name], name
    assert GOLDEN["generator"] == "tests/make_golden_deepspeed.py"
    assert GOLDEN["deepspeed"] == "0.19.8"
    assert (ROOT / "tests" / "golden" / "deepspeed.json").stat().st_size < 300_000


def test_golden_rows_that_are_exact():
    """The constructor's row 0 of a fresh run, and the rates DeepSpeed lands on exactly."""
    for case in CASES:
        p, lr = case["params"], curve(case["schedule"], **case["params"], steps=case["rows"]).lr
        fresh = p.get("last_batch_iteration", -1) == -1
        name = case["schedule"].split(".")[1]
        if name in ("warmup-lr", "warmup-decay-lr") and fresh:
            assert lr[0] == lr[1] == p.get("warmup_min_lr", 0.0), case["id"]
        if name == "warmup-cosine-lr" and fresh:
            assert lr[0] == 0.0 and lr[1] == p.get("lr", 1e-3) * p.get("warmup_min_ratio", 0.0), case["id"]
        if name == "one-cycle" and fresh:
            assert lr[0] == p["cycle_min_lr"], case["id"]
        if name == "lr-range-test" and fresh:
            assert lr[0] == p.get("lr_range_test_min_lr", 1e-3), case["id"]
        if not fresh:
            assert lr[0] == p.get("lr", 1e-3), case["id"]


# --- long ranges -------------------------------------------------------------------------------------

LONG = [
    ("warmup-lr", {"warmup_num_steps": 70_000, "warmup_type": "linear", "warmup_min_lr": 1e-5}),
    ("warmup-lr", {"warmup_num_steps": 30_000, "last_batch_iteration": 5}),
    ("warmup-decay-lr", {"total_num_steps": 150_000, "warmup_num_steps": 20_000, "warmup_type": "linear"}),
    ("warmup-decay-lr", {"total_num_steps": 5_000, "warmup_num_steps": 20_000}),
    ("warmup-cosine-lr", {"lr": 0.1, "total_num_steps": 200_000, "warmup_num_steps": 30_000}),
    ("warmup-cosine-lr", {"lr": 0.1, "total_num_steps": 90_000, "warmup_num_steps": 3, "cos_min_ratio": -0.3,
                          "warmup_type": "linear", "last_batch_iteration": 40_000}),
    ("one-cycle", {"cycle_min_lr": 1e-4, "cycle_max_lr": 1e-2, "cycle_first_step_size": 40_000,
                   "cycle_second_step_size": 25_000, "decay_step_size": 1000, "decay_lr_rate": 0.3,
                   "decay_mom_rate": 0.01}),
    ("one-cycle", {"cycle_min_lr": 1e-4, "cycle_max_lr": 1e-2, "cycle_first_step_size": 50_000,
                   "cycle_first_stair_count": 7, "cycle_second_stair_count": 1000,
                   "last_batch_iteration": 9}),
    ("one-cycle", {"cycle_min_lr": 1e-3, "cycle_max_lr": 1e-2, "cycle_first_step_size": 30_000,
                   "cycle_second_step_size": 0, "cycle_first_stair_count": 30_000}),
    ("lr-range-test", {"lr_range_test_step_size": 3000, "lr_range_test_step_rate": 5.0}),
    ("lr-range-test", {"lr_range_test_step_size": 3000, "lr_range_test_staircase": True,
                       "last_batch_iteration": 1234}),
]


@pytest.mark.parametrize("first", [0, 1, 12_345])
@pytest.mark.parametrize(("name", "params"), LONG, ids=[f"{n}#{i}" for i, (n, _) in enumerate(LONG)])
def test_fast_route_equals_the_formula(name, params, first):
    schedule = SCHEDULES[name]
    n = 200_000
    spec = build_spec(schedule.key, params)
    steps = np.arange(first, first + n, dtype=np.float64)
    fast, plain = schedule.rows(first, n, spec.params), schedule.curve(steps, spec.params)
    assert worst(fast, plain) <= 1e-14
    if schedule.extras is not None:
        fast_extra = schedule.extra_rows(first, n, spec.params)
        plain_extra = schedule.extra_series(steps, spec.params)
        assert fast_extra.keys() == plain_extra.keys()
        for key in plain_extra:
            assert worst(fast_extra[key], plain_extra[key]) <= 1e-14


def test_fast_route_keeps_the_stairs_exact():
    """Stairs are the plain formula's values repeated: identical, not merely close."""
    for name, params in LONG:
        if params.get("lr_range_test_staircase") or params.get("cycle_first_stair_count"):
            spec = build_spec(SCHEDULES[name].key, params)
            n = FAST_FROM * 3
            np.testing.assert_array_equal(SCHEDULES[name].rows(0, n, spec.params),
                                          SCHEDULES[name].curve(np.arange(n, dtype=np.float64), spec.params))


# --- warnings ----------------------------------------------------------------------------------------

# (schedule, parameters, rows, a fragment of each warning expected: one, several, or None for none)
WARNINGS = [
    ("warmup-lr", {"warmup_num_steps": 1, "warmup_type": "linear", "warmup_min_lr": 0.01}, 10,
     "warmup_num_steps 1 is taken as 2"),
    ("warmup-lr", {"warmup_num_steps": 10, "warmup_type": "linear"}, 20, "rows 0 and 1 are warmup_min_lr 0"),
    ("warmup-lr", {"warmup_num_steps": 100, "warmup_min_lr": 1e-5}, 200,
     "warmup_type log (DeepSpeed's default) is front-loaded: the rate is 15% of the way up at step 2 and "
     "half-way at step 10"),
    ("warmup-lr", {"warmup_num_steps": 100, "warmup_min_lr": 1e-5, "warmup_type": "linear"}, 200, None),
    ("warmup-lr", {"warmup_num_steps": 4, "warmup_min_lr": 1e-5}, 200, None),
    ("warmup-lr", {"warmup_num_steps": 10, "warmup_min_lr": 1e-5, "warmup_type": "linear",
                   "last_batch_iteration": 3}, 20, "row 0 is the optimizer's own lr (--lr)"),
    ("warmup-decay-lr", {"total_num_steps": 50, "warmup_num_steps": 10, "warmup_min_lr": 1e-4,
                         "warmup_type": "linear"}, 52, None),
    ("warmup-decay-lr", {"total_num_steps": 50, "warmup_num_steps": 10, "warmup_min_lr": 1e-4,
                         "warmup_type": "linear"}, 53,
     "from step 51 on the rate stays at warmup_min_lr 0.0001"),
    ("warmup-decay-lr", {"total_num_steps": 5, "warmup_num_steps": 10, "warmup_min_lr": 1e-4,
                         "warmup_type": "linear"}, 12,
     "total_num_steps 5 leaves no steps after the warm-up of 10: the rate falls from the warm-up straight to "
     "warmup_min_lr 0.0001 at step 11 (DeepSpeed only logs"),
    ("warmup-cosine-lr", {"total_num_steps": 50, "warmup_num_steps": 10, "warmup_min_ratio": 0.1,
                          "last_batch_iteration": 20}, 30, "row 0 is the optimizer's own lr (--lr), which"),
    ("warmup-cosine-lr", {"total_num_steps": 50, "warmup_num_steps": 4, "warmup_min_ratio": 0.1}, 50,
     "row 0 is 0: WarmupCosineLR's constructor sets the rate to 0"),
    ("warmup-cosine-lr", {"total_num_steps": 50, "warmup_num_steps": 4}, 50,
     "rows 0 and 1 are 0: WarmupCosineLR"),
    ("warmup-cosine-lr", {"total_num_steps": 10, "warmup_num_steps": 10, "warmup_min_ratio": 0.1,
                          "warmup_type": "linear"}, 10,
     ("row 0 is 0", "total_num_steps 10 leaves no steps after the warm-up of 10: the rate falls from the "
      "warm-up straight to cos_min_ratio x lr at step 11")),
    ("warmup-cosine-lr", {"total_num_steps": 50, "warmup_num_steps": 10, "warmup_type": "linear",
                          "warmup_min_ratio": 0.1}, 50,
     ("row 0 is 0",
      "the rate never reaches lr with warmup_type linear: the warm-up ends at 0.91 x lr (step 10)")),
    ("warmup-cosine-lr", {"total_num_steps": 50, "warmup_num_steps": 3, "cos_min_ratio": -0.1,
                          "warmup_min_ratio": 0.1}, 50, ("row 0 is 0", "DeepSpeed clips the ratio at 0")),
    ("warmup-cosine-lr", {"total_num_steps": 50, "warmup_num_steps": 3, "cos_min_ratio": 2.0,
                          "warmup_min_ratio": 0.1}, 50, ("row 0 is 0", "rises to 2 x lr")),
    ("one-cycle", {"cycle_min_lr": 0.001, "cycle_max_lr": 0.01, "cycle_momentum": False}, 100, None),
    ("one-cycle", {"cycle_min_lr": 0.001, "cycle_max_lr": 0.01, "cycle_momentum": False,
                   "decay_lr_rate": 0.1},
     100, "decay_lr_rate 0.1 has no effect: decay_step_size is 0"),
    ("one-cycle", {"cycle_min_lr": 0.001, "cycle_max_lr": 0.01, "cycle_momentum": False, "decay_lr_rate": 0.1,
                   "decay_step_size": 10}, 100, "decay_step_size 10 does not make steps"),
    ("one-cycle", {"cycle_min_lr": 0.001, "cycle_max_lr": 0.01, "cycle_min_mom": 0.9}, 100,
     "OneCycle writes (momentum, 0.99) into the optimizer's betas"),
    ("one-cycle", {"cycle_min_lr": 0.001, "cycle_max_lr": 0.01, "cycle_momentum": False,
                   "last_batch_iteration": 5}, 100, "row 0 is the optimizer's own lr (--lr) and beta1"),
    ("one-cycle", {"cycle_min_lr": 0.0, "cycle_max_lr": 1.0, "cycle_first_step_size": 4,
                   "cycle_second_step_size": 0, "cycle_momentum": False}, 10,
     "the rate never reaches cycle_max_lr: with cycle_second_step_size 0 the top of the cycle (step 4)"),
    ("one-cycle", {"cycle_min_lr": 0.0, "cycle_max_lr": 1.0, "cycle_first_step_size": 4,
                   "cycle_first_stair_count": 2, "cycle_momentum": False}, 10,
     "the rate is at cycle_max_lr for step 4 only: the last of the 2 stairs up"),
    ("one-cycle", {"cycle_min_lr": 0.0, "cycle_max_lr": 1.0, "cycle_first_step_size": 4,
                   "cycle_first_stair_count": 2, "cycle_momentum": False}, 5, None),
    ("lr-range-test", {}, 2000, None),
    ("lr-range-test", {"lr_range_test_step_rate": -0.5, "lr_range_test_step_size": 10}, 20, None),
    ("lr-range-test", {"lr_range_test_step_rate": -0.5, "lr_range_test_step_size": 10}, 30,
     "lr_range_test_step_rate -0.5 is negative: the rate falls, and from step 21 it is below 0"),
    ("lr-range-test", {"lr_range_test_step_rate": -0.5, "lr_range_test_step_size": 10,
                       "lr_range_test_staircase": True}, 31, "from step 30 it is below 0"),
]


@pytest.mark.parametrize(("name", "params", "rows", "fragment"), WARNINGS,
                         ids=[f"{w[0]}#{i}" for i, w in enumerate(WARNINGS)])
def test_each_warning_fires_where_it_should_and_not_elsewhere(name, params, rows, fragment):
    got = curve(f"deepspeed.{name}", **params, steps=rows)
    fragments = () if fragment is None else (fragment,) if isinstance(fragment, str) else fragment
    assert len(got.warnings) == len(fragments), got.warnings
    for text in fragments:
        assert sum(text in warning for warning in got.warnings) == 1, (text, got.warnings)


def test_one_cycle_momentum_warnings():
    got = curve("deepspeed.one-cycle", cycle_min_lr=0.001, cycle_max_lr=0.01, cycle_first_step_size=5,
                decay_step_size=2, decay_mom_rate=0.1, decay_lr_rate=0.5, steps=40)
    text = "\n".join(got.warnings)
    assert "momentum row 0 is cycle_min_mom 0.8" in text
    # 0.9 x (1 + 0.1 x i / 2) > 1 from i = 3: step 10 + 3 = 13.
    assert "from step 13 the momentum is above 1" in text
    np.testing.assert_array_less(1.0, got.series["momentum"][13:])
    assert got.series["momentum"][12] <= 1.0
    fewer = curve("deepspeed.one-cycle", cycle_min_lr=0.001, cycle_max_lr=0.01, cycle_first_step_size=5,
                  decay_step_size=2, decay_mom_rate=0.1, decay_lr_rate=0.5, steps=13)
    assert "momentum is above 1" not in "\n".join(fewer.warnings)


def test_warnings_point_at_the_rows_they_name():
    """The rows a warning names are where the curve does what it says."""
    lr = curve("deepspeed.one-cycle", cycle_min_lr=0.0, cycle_max_lr=1.0, cycle_first_step_size=4,
               cycle_first_stair_count=2, cycle_momentum=False, steps=10).lr
    assert lr[4] == 1.0 and lr[3] < 1.0 and lr[5] < 1.0
    lr = curve("deepspeed.one-cycle", cycle_min_lr=0.0, cycle_max_lr=1.0, cycle_first_step_size=4,
               cycle_second_step_size=0, cycle_momentum=False, steps=10).lr
    assert lr.max() < 1.0 and lr[4] == 0.0
    lr = curve("deepspeed.lr-range-test", lr_range_test_step_rate=-0.5, lr_range_test_step_size=10,
               steps=30).lr
    assert lr[20] >= 0 > lr[21]
    lr = curve("deepspeed.warmup-decay-lr", total_num_steps=50, warmup_num_steps=10, warmup_min_lr=1e-4,
               warmup_type="linear", steps=60).lr
    assert lr[50] > 1e-4 and np.all(lr[51:] == 1e-4)
    lr = curve("deepspeed.warmup-lr", warmup_num_steps=100, warmup_min_lr=0.0, warmup_max_lr=1.0, steps=50).lr
    assert lr[9] < 0.49 and lr[10] == pytest.approx(0.5) and lr[2] == pytest.approx(np.log(2) / np.log(100))


@settings(max_examples=150, deadline=None)
@given(st.floats(-3.0, 3.0), st.integers(1, 50), st.booleans(), st.integers(-1, 60), st.integers(1, 120))
def test_the_negative_rate_warning_names_the_first_negative_row(rate, size, staircase, last, n):
    got = curve("deepspeed.lr-range-test", lr_range_test_step_rate=rate, lr_range_test_step_size=size,
                lr_range_test_staircase=staircase, last_batch_iteration=last, steps=n)
    negative = np.flatnonzero(got.lr[1:] < 0)
    named = [w for w in got.warnings if "it is below 0" in w]
    assert bool(named) == bool(negative.size), (got.warnings, got.lr)
    if named:
        assert f"from step {negative[0] + 1} it is below 0" in named[0]


@settings(max_examples=150, deadline=None)
@given(st.floats(-1.0, 1.0), st.one_of(st.just(0.0), st.floats(0.01, 1.0)), st.integers(1, 20),
       st.integers(1, 10), st.integers(-1, 30), st.integers(1, 120))
def test_the_momentum_warning_names_the_first_row_outside_0_1(rate, top, size, first, last, n):
    got = curve("deepspeed.one-cycle", cycle_min_lr=0.001, cycle_max_lr=0.01, cycle_first_step_size=first,
                cycle_min_mom=0.0, cycle_max_mom=top, decay_step_size=size, decay_mom_rate=rate,
                last_batch_iteration=last, steps=n)
    momentum = got.series["momentum"]
    outside = np.flatnonzero((momentum[1:] > 1) | (momentum[1:] < 0))
    named = [w for w in got.warnings if "the momentum is" in w]
    assert bool(named) == bool(outside.size), (got.warnings, momentum)
    if named:
        assert f"from step {outside[0] + 1} the momentum" in named[0]


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["warmup-lr", "warmup-decay-lr", "warmup-cosine-lr"]), st.integers(1, 30),
       st.integers(1, 60), st.sampled_from([0.0, 0.01]), st.integers(-1, 3), st.integers(1, 40))
def test_the_idle_start_warning_fires_when_the_first_updates_are_0(name, warmup, total, low, last, n):
    params: dict[str, Any] = {"warmup_num_steps": warmup, "last_batch_iteration": last, "lr": 0.1}
    params.update({"warmup_min_ratio": low * 10} if name == "warmup-cosine-lr" else {"warmup_min_lr": low})
    if name != "warmup-lr":
        params["total_num_steps"] = total
    got = curve(f"deepspeed.{name}", **params, steps=n)
    idle = [w for w in got.warnings if w.startswith(("rows 0 and 1 are", "row 0 is 0"))]
    zeros = last == -1 and got.lr[0] == 0
    assert bool(idle) == zeros, (got.warnings, got.lr[:2])
    if idle and n > 1:
        assert idle[0].startswith("rows 0 and 1") == (got.lr[1] == 0)


# --- refusals ----------------------------------------------------------------------------------------

REFUSALS = [
    (["warmup-lr", "--warmup-num-steps", "0"], "--warmup-num-steps"),
    (["warmup-lr", "--warmup-type", "cosine"], "--warmup-type"),
    (["warmup-lr", "--warmup-min-lr", "-0.1"], "--warmup-min-lr"),
    (["warmup-lr", "--last-batch-iteration", "-2"], "--last-batch-iteration"),
    (["warmup-decay-lr"], "--total-num-steps"),
    (["warmup-decay-lr", "--total-num-steps", "0"], "--total-num-steps"),
    (["warmup-cosine-lr", "--total-num-steps", "10", "--warmup-num-steps", "2.5"], "--warmup-num-steps"),
    (["warmup-cosine-lr", "--total-num-steps", "10", "--warmup-min-ratio", "-1"], "--warmup-min-ratio"),
    (["one-cycle", "--cycle-max-lr", "0.1"], "--cycle-min-lr"),
    (["one-cycle", "--cycle-min-lr", "0.1", "--cycle-max-lr", "0.1", "--cycle-first-step-size", "0"],
     "--cycle-first-step-size"),
    (["one-cycle", "--cycle-min-lr", "0.1", "--cycle-max-lr", "0.1", "--cycle-second-step-size", "-1"],
     "--cycle-second-step-size"),
    (["one-cycle", "--cycle-min-lr", "0.1", "--cycle-max-lr", "0.1", "--decay-lr-rate", "-0.5"],
     "--decay-lr-rate"),
    (["one-cycle", "--cycle-min-lr", "0.1", "--cycle-max-lr", "0.1", "--cycle-max-mom", "1.5"],
     "--cycle-max-mom"),
    (["one-cycle", "--cycle-min-lr", "0.1", "--cycle-max-lr", "0.1", "--decay-step-size", "-3"],
     "--decay-step-size"),
    (["lr-range-test", "--lr-range-test-step-size", "0"], "--lr-range-test-step-size"),
    (["lr-range-test", "--lr", "-1"], "--lr"),
]


@pytest.mark.parametrize(("args", "flag"), REFUSALS, ids=[" ".join(a) for a, _ in REFUSALS])
def test_refusals_are_one_line_naming_the_flag(args, flag):
    result = run_cli(["deepspeed", *args, "-o", "-"])
    assert result.code == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and flag in lines[0], result.stderr


# --- a DeepSpeed config's "scheduler" section ---------------------------------------------------------

# As DeepSpeed's documentation (docs/_pages/config-json.md, the LR range test and 1Cycle tutorials)
# and the Hugging Face integration's example configs write them.
DOC_SECTIONS = {
    "warmup": {"type": "WarmupLR", "params": {"warmup_min_lr": 0, "warmup_max_lr": 0.001,
                                              "warmup_num_steps": 1000}},
    "lr range test": {"type": "LRRangeTest", "params": {"lr_range_test_min_lr": 0.0001,
                                                         "lr_range_test_step_size": 200,
                                                         "lr_range_test_step_rate": 5,
                                                         "lr_range_test_staircase": False}},
    "1cycle": {"type": "OneCycle", "params": {"cycle_first_step_size": 1000, "cycle_first_stair_count": 500,
                                              "cycle_second_step_size": 1000, "cycle_second_stair_count": 500,
                                              "decay_step_size": 1000, "cycle_min_lr": 0.0001,
                                              "cycle_max_lr": 0.0010, "decay_lr_rate": 0.001,
                                              "cycle_min_mom": 0.85, "cycle_max_mom": 0.99,
                                              "decay_mom_rate": 0.0}},
    "decay": {"type": "WarmupDecayLR", "params": {"total_num_steps": 2000, "warmup_min_lr": 0,
                                                  "warmup_max_lr": 0.001, "warmup_num_steps": 100}},
    "cosine": {"type": "WarmupCosineLR", "params": {"total_num_steps": 2000, "warmup_num_steps": 100,
                                                    "warmup_min_ratio": 0.01, "cos_min_ratio": 0.0001,
                                                    "warmup_type": "linear"}},
}
HF_AUTO = {"type": "WarmupDecayLR", "params": {"warmup_min_lr": "auto", "warmup_max_lr": "auto",
                                               "warmup_num_steps": "auto", "total_num_steps": "auto"}}


@pytest.mark.parametrize("label", list(DOC_SECTIONS))
def test_config_sections_of_the_documentation_read_as_their_schedule(label):
    section = DOC_SECTIONS[label]
    key, params = ds.from_config(section, {})
    assert key == f"deepspeed.{ds.TYPES[section['type']].replace('-', '_')}"
    assert params == section["params"]
    assert len(curve(key, **params, steps=50).lr) == 50


def test_auto_values_come_from_the_command_line():
    overrides = {"warmup_min_lr": "0", "warmup_max_lr": "3e-4", "warmup_num_steps": "50",
                 "total_num_steps": "500", "lr": "3e-4", "steps": "20"}
    key, params = ds.from_config(HF_AUTO, overrides)
    assert key == "deepspeed.warmup_decay_lr"
    assert params == {"warmup_min_lr": "0", "warmup_max_lr": "3e-4", "warmup_num_steps": "50",
                      "total_num_steps": "500", "lr": "3e-4"}
    got = curve(key, **params)
    assert len(got.lr) == 500 and got.lr.max() == 3e-4


def test_missing_auto_values_are_named_with_what_fills_them():
    with pytest.raises(Invalid) as caught:
        ds.from_config(HF_AUTO, {"warmup_min_lr": 0, "warmup_max_lr": 1e-3, "warmup_num_steps": 10})
    assert caught.value.render(lambda name: name) == (
        'scheduler.params.total_num_steps is "auto" in the DeepSpeed config: give it on the command line '
        "with --set total_num_steps=VALUE")
    with pytest.raises(Invalid) as caught:
        ds.from_config(HF_AUTO, {"warmup_max_lr": 1e-3})
    assert caught.value.render(lambda name: name) == (
        "scheduler.params.warmup_min_lr, scheduler.params.warmup_num_steps and "
        'scheduler.params.total_num_steps are "auto" in the DeepSpeed config: give them on the command line '
        "with --set warmup_min_lr=VALUE --set warmup_num_steps=VALUE --set total_num_steps=VALUE")


@pytest.mark.parametrize(("section", "fragment"), [
    ([1, 2], 'the DeepSpeed config\'s "scheduler" must be a mapping with "type" and "params"'),
    ({"params": {}}, 'needs a "type": one of WarmupLR, WarmupDecayLR, WarmupCosineLR, OneCycle, LRRangeTest'),
    ({"type": "WarmupCosine", "params": {}},
     "DeepSpeed does not recognize LR scheduler WarmupCosine (did you mean WarmupCosineLR?)"),
    ({"type": "WarmupLR"}, 'needs "params", a mapping (DeepSpeed calls WarmupLR(optimizer, **params)'),
    ({"type": "WarmupLR", "params": {"warmup_steps": 10}},
     "WarmupLR takes no parameter warmup_steps (did you mean warmup_num_steps?): DeepSpeed would fail"),
    ({"type": "WarmupLR", "params": {"lr": 0.1}}, "WarmupLR takes no parameter lr"),
    ({"type": "WarmupLR", "params": {}, "param": {}}, 'takes "type" and "params", not \'param\''),
    ({"type": "WarmupLR", "params": {"warmup_num_steps": 1000.0}},
     "scheduler.params.warmup_num_steps must be an integer, got 1000.0: DeepSpeed refuses a float there"),
    ({"type": "LRRangeTest", "params": {"lr_range_test_step_size": 20.0}},
     "scheduler.params.lr_range_test_step_size must be an integer"),
    ({"type": "WarmupDecayLR", "params": {"total_num_steps": 10, "warmup_max_lr": None}},
     "scheduler.params.warmup_max_lr is null"),
])
def test_config_sections_deepspeed_would_refuse(section, fragment):
    with pytest.raises(Invalid) as caught:
        ds.from_config(section, {})
    assert fragment in caught.value.render(lambda name: name)


def test_the_command_line_fills_or_replaces_the_sections_values():
    section = {"type": "WarmupLR", "params": {"warmup_num_steps": 100, "warmup_max_lr": None}}
    key, params = ds.from_config(section, {"warmup_num_steps": "200", "warmup_type": "linear", "label": "x"})
    assert key == "deepspeed.warmup_lr"
    assert params == {"warmup_num_steps": "200", "warmup_type": "linear"}
    # A value the command line replaces is not checked as the config's.
    _, params = ds.from_config({"type": "WarmupLR", "params": {"warmup_num_steps": 1000.0}},
                               {"warmup_num_steps": 10})
    assert params == {"warmup_num_steps": 10}


def test_config_types_deepspeed_takes_from_torch():
    """DeepSpeed falls back to torch.optim.lr_scheduler for a type it does not define."""
    key, params = ds.from_config({"type": "CosineAnnealingLR", "params": {"T_max": 20, "eta_min": 0.001}},
                                 {"lr": 0.1})
    assert key == "cosine" and params == {"t_max": 20, "eta_min": 0.001, "lr": 0.1}
    key, params = ds.from_config({"type": "StepLR", "params": {"step_size": 5}}, {})
    assert key == "step" and params == {"step_size": 5}
    with pytest.raises(Invalid) as caught:
        ds.from_config({"type": "StepLR", "params": {"step": 5}}, {})
    assert caught.value.render(str) == ("StepLR takes no parameter step (did you mean step_size?): lrplot's "
                                        "step takes step_size, gamma")


# A whole DeepSpeed config, as DeepSpeed's documentation writes one, and Hugging Face's with "auto".
DS_CONFIG = {
    "train_batch_size": 8,
    "gradient_accumulation_steps": 4,
    "optimizer": {"type": "Adam", "params": {"lr": 0.00015, "betas": [0.8, 0.999], "eps": 1e-8,
                                             "weight_decay": 3e-7}},
    "scheduler": {"type": "WarmupCosineLR", "params": {"total_num_steps": 1000, "warmup_num_steps": 50}},
    "fp16": {"enabled": True},
    "zero_optimization": True,
}
HF_CONFIG = {
    "fp16": {"enabled": "auto"},
    "optimizer": {"type": "AdamW", "params": {"lr": "auto", "betas": "auto", "eps": "auto",
                                              "weight_decay": "auto"}},
    "scheduler": {"type": "WarmupCosineLR",
                  "params": {"total_num_steps": "auto", "warmup_num_steps": "auto"}},
    "zero_optimization": {"stage": 2},
    "gradient_accumulation_steps": "auto",
    "train_batch_size": "auto",
    "train_micro_batch_size_per_gpu": "auto",
}


def test_a_whole_config_gives_its_schedule_and_the_optimizers_lr():
    assert ds.read_config(DS_CONFIG, {}) == [
        ("deepspeed.warmup_cosine_lr", {"total_num_steps": 1000, "warmup_num_steps": 50, "lr": 0.00015})]
    assert ds.read_config(DS_CONFIG, {"batches_per_epoch": 40, "scheduler.params.warmup_num_steps": 5}) == [
        ("deepspeed.warmup_cosine_lr",
         {"total_num_steps": 1000, "warmup_num_steps": 5, "lr": 0.00015, "steps_per_epoch": 10})]
    filled = ds.read_config(HF_CONFIG, {"optimizer.params.lr": 3e-4, "warmup_num_steps": 10,
                                        "total_num_steps": 100, "gradient_accumulation_steps": 2,
                                        "batches_per_epoch": 20})
    assert filled == [("deepspeed.warmup_cosine_lr",
                       {"total_num_steps": 100, "warmup_num_steps": 10, "lr": 3e-4, "steps_per_epoch": 10})]


@pytest.mark.parametrize(("document", "values", "fragment"), [
    ({"train_batch_size": 8}, {}, 'the DeepSpeed config has no "scheduler" section'),
    (HF_CONFIG, {"warmup_num_steps": 10, "total_num_steps": 100},
     'optimizer.params.lr is "auto" in the DeepSpeed config: give it on the command line with '
     "--set lr=VALUE"),
    ({"scheduler": {"type": "WarmupCosineLR", "params": {"total_num_steps": 10}}}, {},
     "the DeepSpeed config gives no optimizer lr (optimizer.params.lr), and WarmupCosineLR scales it: give "
     "it with --set lr=VALUE"),
    ({"scheduler": {"type": "WarmupLR", "params": {}}}, {}, "WarmupLR takes it as warmup_max_lr"),
    (DS_CONFIG, {"warmup_steps": 3},
     "--set warmup_steps: not a key of the DeepSpeed config's scheduler (did you mean warmup_num_steps?)"),
    (DS_CONFIG, {"batches_per_epoch": 10},
     "10 batches per epoch are not a whole number of updates of 4 batches (gradient_accumulation_steps)"),
    (HF_CONFIG, {"lr": 1e-3, "warmup_num_steps": 10, "total_num_steps": 100, "batches_per_epoch": 10},
     'gradient_accumulation_steps is "auto" in the DeepSpeed config: give it with --set '
     "gradient_accumulation_steps=VALUE"),
])
def test_whole_configs_that_are_refused(document, values, fragment):
    with pytest.raises(Invalid) as caught:
        ds.read_config(document, values)
    assert fragment in caught.value.render(str)


def test_schedules_that_overwrite_the_optimizers_lr_need_none():
    document = {"scheduler": {"type": "WarmupDecayLR", "params": {"total_num_steps": 10}}}
    assert ds.read_config(document, {}) == [("deepspeed.warmup_decay_lr", {"total_num_steps": 10})]
    document = {"scheduler": {"type": "WarmupLR", "params": {"warmup_max_lr": 0.1}}}
    assert ds.read_config(document, {}) == [("deepspeed.warmup_lr", {"warmup_max_lr": 0.1})]


def test_lrplot_run_reads_a_deepspeed_config_as_the_flags_give_it(tmp_path):
    path = tmp_path / "ds_config.json"
    path.write_text(json.dumps(HF_CONFIG))
    ours = run_cli(["run", str(path), "--set", "lr=3e-4", "--set", "warmup_num_steps=10",
                    "--set", "total_num_steps=100", "-o", "-"])
    flags = run_cli(["deepspeed", "warmup-cosine-lr", "--lr", "3e-4", "--warmup-num-steps", "10",
                     "--total-num-steps", "100", "-o", "-"])
    assert ours.code == 0 and flags.code == 0, (ours.stderr, flags.stderr)
    assert ours.stdout == flags.stdout
    missing = run_cli(["run", str(path), "-o", "-"])
    assert missing.code != 0 and missing.stdout == ""
    lines = missing.stderr.strip().splitlines()
    assert len(lines) == 1 and "--set warmup_num_steps=VALUE" in lines[0], missing.stderr


# --- the real library --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live():
    """DeepSpeed's schedules module (skips these tests without DeepSpeed, fails them under
    LRPLOT_REQUIRE=all)."""
    return reference("deepspeed.runtime.lr_schedules")


LIVE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.function_scoped_fixture])
THROUGH_CLI = settings(max_examples=40, deadline=None,
                       suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

rates = st.one_of(st.sampled_from([0.0, 1e-3, 0.1]), st.floats(1e-6, 1.0))
warmups = st.one_of(st.integers(1, 4), st.integers(5, 300))
totals = st.one_of(st.integers(1, 10), st.integers(10, 600))
lasts = st.one_of(st.just(-1), st.just(-1), st.integers(0, 400))
rows = st.one_of(st.integers(1, 12), st.integers(12, 700))
kinds = st.sampled_from(["log", "linear"])


@st.composite
def warmup_lr_cases(draw):
    params = {"lr": draw(st.floats(1e-5, 1.0)), "warmup_min_lr": draw(rates),
              "warmup_num_steps": draw(warmups), "warmup_type": draw(kinds),
              "last_batch_iteration": draw(lasts)}
    if draw(st.booleans()):
        params["warmup_max_lr"] = draw(rates)
    return "warmup-lr", params, draw(rows)


@st.composite
def warmup_decay_lr_cases(draw):
    params = {"lr": draw(st.floats(1e-5, 1.0)), "total_num_steps": draw(totals), "warmup_min_lr": draw(rates),
              "warmup_max_lr": draw(rates), "warmup_num_steps": draw(warmups), "warmup_type": draw(kinds),
              "last_batch_iteration": draw(lasts)}
    return "warmup-decay-lr", params, draw(rows)


@st.composite
def warmup_cosine_lr_cases(draw):
    params = {"lr": draw(st.floats(1e-5, 1.0)), "total_num_steps": draw(totals),
              "warmup_min_ratio": draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0))),
              "warmup_num_steps": draw(warmups),
              "cos_min_ratio": draw(st.one_of(st.sampled_from([0.0, 1e-4]), st.floats(-0.5, 1.5))),
              "warmup_type": draw(kinds), "last_batch_iteration": draw(lasts)}
    return "warmup-cosine-lr", params, draw(rows)


@st.composite
def one_cycle_cases(draw):
    first = draw(st.one_of(st.integers(1, 5), st.integers(5, 200)))
    params = {"lr": draw(st.floats(1e-5, 1.0)), "cycle_min_lr": draw(rates), "cycle_max_lr": draw(rates),
              "decay_lr_rate": draw(st.one_of(st.just(0.0), st.floats(0.0, 3.0))),
              "cycle_first_step_size": first,
              "cycle_second_step_size": draw(st.one_of(st.none(), st.integers(0, 3), st.integers(3, 200))),
              "cycle_first_stair_count": draw(st.one_of(st.just(0), st.integers(-2, 3),
                                                        st.integers(3, first + 2))),
              "cycle_second_stair_count": draw(st.one_of(st.none(), st.integers(-1, 3), st.integers(3, 50))),
              "decay_step_size": draw(st.one_of(st.just(0), st.integers(1, 3), st.integers(3, 100))),
              "cycle_momentum": draw(st.booleans()), "cycle_min_mom": draw(st.floats(0.0, 1.0)),
              "cycle_max_mom": draw(st.floats(0.0, 1.0)),
              "decay_mom_rate": draw(st.one_of(st.just(0.0), st.floats(-1.0, 1.0))),
              "last_batch_iteration": draw(lasts)}
    return "one-cycle", params, draw(rows)


@st.composite
def lr_range_test_cases(draw):
    params = {"lr": draw(st.floats(1e-5, 1.0)), "lr_range_test_min_lr": draw(rates),
              "lr_range_test_step_size": draw(st.one_of(st.integers(1, 5), st.integers(5, 500))),
              "lr_range_test_step_rate": draw(st.one_of(st.sampled_from([1.0, 5.0]), st.floats(-2.0, 20.0))),
              "lr_range_test_staircase": draw(st.booleans()), "last_batch_iteration": draw(lasts)}
    return "lr-range-test", params, draw(rows)


CASE_STRATEGIES = {"warmup-lr": warmup_lr_cases(), "warmup-decay-lr": warmup_decay_lr_cases(),
                   "warmup-cosine-lr": warmup_cosine_lr_cases(), "one-cycle": one_cycle_cases(),
                   "lr-range-test": lr_range_test_cases()}


def leave_out_some(schedule: str, params: dict[str, Any], data) -> dict[str, Any]:
    """Some parameters left out (DeepSpeed and lrplot then take their own defaults)."""
    required = {p.name for p in SCHEDULES[schedule].params if p.required}
    return {k: v for k, v in params.items() if k in required or data.draw(st.booleans(), label=k)}


@pytest.mark.parametrize("name", list(CASE_STRATEGIES))
def test_live_through_the_api(live, name):
    @LIVE
    @given(CASE_STRATEGIES[name], st.data())
    def check(case, data):
        schedule, params, n = case
        params = leave_out_some(schedule, params, data)
        assert_matches(curve(f"deepspeed.{schedule}", **params, steps=n), deepspeed_rows(schedule, params, n),
                       (schedule, params, n))

    check()


def cli_args(schedule: str, params: dict[str, Any], n: int) -> list[str]:
    args = ["deepspeed", schedule]
    for key, value in params.items():
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            args.append(flag if value else "--no-" + flag[2:])
        elif value is not None:
            args += [flag, value if isinstance(value, str) else repr(value)]
    return [*args, "--steps", str(n), "-o", "-"]


def read_csv(text: str) -> dict[str, np.ndarray]:
    table = list(csv.reader(io.StringIO(text)))
    columns = {name: np.array([float(row[i]) for row in table[1:]]) for i, name in enumerate(table[0])}
    return {k: v for k, v in columns.items() if k != "step"}


@pytest.mark.parametrize("name", list(CASE_STRATEGIES))
def test_live_through_the_cli(live, name):
    @THROUGH_CLI
    @given(CASE_STRATEGIES[name])
    def check(case):
        schedule, params, n = case
        result = run_cli(cli_args(schedule, params, n))
        assert result.code == 0, result.stderr
        got, expected = read_csv(result.stdout), deepspeed_rows(schedule, params, n)
        assert set(got) == set(expected), (got.keys(), expected.keys())
        for column, values in expected.items():
            assert worst(got[column], values) <= TOLERANCE, (schedule, params, n, column)

    check()


def run_script(code: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(compile(code, "<emitted>", "exec"), namespace)
    namespace["printed"] = [float(line) for line in printed.getvalue().split()]
    return namespace


EMITTED = [
    ("warmup-lr", {"warmup_num_steps": 7, "warmup_min_lr": 1e-4, "lr": 0.02}, 20),
    ("warmup-decay-lr", {"total_num_steps": 30, "warmup_num_steps": 5, "warmup_type": "linear"}, 35),
    ("warmup-cosine-lr", {"lr": 0.1, "total_num_steps": 30, "warmup_num_steps": 5, "warmup_min_ratio": 0.1,
                          "cos_min_ratio": 0.01}, 32),
    ("warmup-cosine-lr", {"lr": 0.1, "total_num_steps": 30, "last_batch_iteration": 12}, 20),
    ("one-cycle", {"cycle_min_lr": 0.001, "cycle_max_lr": 0.01, "cycle_first_step_size": 4,
                   "cycle_second_step_size": 6, "cycle_first_stair_count": 2, "decay_step_size": 3,
                   "decay_lr_rate": 0.5, "decay_mom_rate": 0.01}, 30),
    ("one-cycle", {"cycle_min_lr": 0.001, "cycle_max_lr": 0.01, "cycle_first_step_size": 4,
                   "cycle_momentum": False}, 12),
    ("lr-range-test", {"lr_range_test_step_size": 3, "lr_range_test_staircase": True}, 12),
]


@pytest.mark.parametrize(("name", "params", "n"), EMITTED, ids=[f"{e[0]}#{i}" for i, e in enumerate(EMITTED)])
def test_emitted_code_runs_and_reproduces_the_curve(live, name, params, n, recwarn):
    got = curve(f"deepspeed.{name}", **params, steps=n)
    code = SCHEDULES[name].emit(got.params, n, got.label)
    assert f"from deepspeed.runtime.lr_schedules import {CLASSES[name]}" in code
    namespace = run_script(code)
    assert len(recwarn) == 0, [str(w.message) for w in recwarn]
    np.testing.assert_array_equal(namespace["printed"], namespace["lrs"])
    assert worst(np.array(namespace["lrs"]), got.lr) <= TOLERANCE
    if "momentum" in got.series:
        assert worst(np.array(namespace["momenta"]), got.series["momentum"]) <= TOLERANCE
    else:
        assert "momenta" not in namespace
    # The config section in the script's comment reads back as the same schedule.
    section = json.loads(" ".join(line[4:] for line in code.splitlines() if line.startswith("#   ")))
    key, back = ds.from_config(section["scheduler"], {"lr": got.params["lr"]})
    np.testing.assert_array_equal(curve(key, **back, steps=n).lr, got.lr)


def test_the_engine_steps_the_scheduler_after_every_update(live):
    """DeepSpeed's engine itself (deepspeed.initialize with the config's "scheduler" section, then
    forward, backward and engine.step() per update) trains update t with row t of the curve that
    from_config reads from the same section."""
    cases = [
        ({"type": "WarmupCosineLR", "params": {"total_num_steps": 12, "warmup_num_steps": 3}}, 0.1, 15),
        ({"type": "WarmupLR", "params": {"warmup_min_lr": 0, "warmup_max_lr": 0.001, "warmup_num_steps": 5,
                                         "warmup_type": "linear"}}, 0.1, 9),
        ({"type": "WarmupDecayLR", "params": {"total_num_steps": 10, "warmup_max_lr": 0.01,
                                              "warmup_num_steps": 4, "warmup_min_lr": 0.001}}, 0.1, 13),
        ({"type": "OneCycle", "params": {"cycle_min_lr": 0.01, "cycle_max_lr": 0.1,
                                         "cycle_first_step_size": 3, "cycle_first_stair_count": 2,
                                         "decay_step_size": 2, "decay_lr_rate": 0.5}}, 0.1, 12),
        ({"type": "LRRangeTest", "params": {"lr_range_test_min_lr": 0.001, "lr_range_test_step_size": 2,
                                            "lr_range_test_step_rate": 3}}, 0.1, 8),
    ]
    try:
        results = engine_rows([{"scheduler": s, "lr": lr, "rows": n} for s, lr, n in cases])
    except RuntimeError as exc:
        pytest.fail(str(exc))
    for (section, lr, n), engine in zip(cases, results):
        key, params = ds.from_config(section, {"lr": lr})
        got = curve(key, **params, steps=n)
        assert worst(got.lr, engine["lr"]) <= TOLERANCE, section
        if "momentum" in got.series:
            assert worst(got.series["momentum"], engine["momentum"]) <= TOLERANCE, section


def test_signatures_are_deepspeeds(live):
    """lrplot code maps positional arguments by Schedule.signature: the constructors' own order."""
    for schedule in SCHEDULES.values():
        assert tuple(inspect.signature(getattr(live, schedule.origin_name)).parameters) == schedule.signature


def test_lrplot_code_reads_deepspeed_calls_as_the_flags_give_them():
    ours = run_cli(["code", "WarmupCosineLR(optimizer, 100, 0.0, 10)", "--lr", "0.1", "-o", "-"])
    flags = run_cli(["deepspeed", "warmup-cosine-lr", "--lr", "0.1", "--total-num-steps", "100",
                     "--warmup-num-steps", "10", "-o", "-"])
    assert ours.code == 0 and ours.stdout == flags.stdout, ours.stderr
    ours = run_cli(["code", "deepspeed.runtime.lr_schedules.OneCycle(opt, 1e-4, 1e-3, 0.1, 5, None, 2, "
                    "decay_step_size=3)", "-o", "-"])
    flags = run_cli(["deepspeed", "one-cycle", "--cycle-min-lr", "1e-4", "--cycle-max-lr", "1e-3",
                     "--decay-lr-rate", "0.1", "--cycle-first-step-size", "5",
                     "--cycle-first-stair-count", "2", "--decay-step-size", "3", "-o", "-"])
    assert ours.code == 0 and ours.stdout == flags.stdout, ours.stderr


def test_importing_the_reference_imports_no_library():
    code = ("import sys, tests.reference_deepspeed; "
            "print(sorted(m for m in ('torch', 'deepspeed') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr
