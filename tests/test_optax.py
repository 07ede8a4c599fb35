"""lrplot's optax namespace against optax itself: golden curves (no library needed), the fast paths
for long ranges, warnings and refusals, and, with optax installed, random parameters through the
library API and through the CLI into CSV, in float64 (jax_enable_x64) and in optax's default
float32, and the emitted scripts run.

jax's x64 flag is process-wide: every evaluation sets it through tests.reference_optax.precision,
which puts the previous value back.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lrplot.engine import curve
from lrplot.errors import LrplotError
from lrplot.registry import schedules_of
from lrplot.schedules import optax as ox
from tests.conftest import run_cli
from tests.libraries import reference
from tests.reference_optax import FLOAT32_EPS, optax_rows, precision, scale_of, worst

GOLDEN = json.loads((Path(__file__).parent / "golden" / "optax.json").read_text())
CASES = GOLDEN["cases"]
SCHEDULES = schedules_of("optax")
# join-schedules (a composite of these) has tests of its own, at the end.
NAMES = [name for name in SCHEDULES if name != "join-schedules"]
COMMANDS = [name for name, s in SCHEDULES.items() if not s.yaml_only]
# lrplot against optax in float64: at most this much of the curve's scale (max |lr|).
X64_TOLERANCE = 1e-12
EPS64 = float(np.finfo(np.float64).eps)


# --- golden curves ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_golden(case):
    got = curve(case["schedule"], **case["params"], steps=case["rows"])
    expected = np.array(case["lr"])
    assert len(got.lr) == case["rows"]
    assert worst(got.lr, expected) <= X64_TOLERANCE, case["id"]


def test_golden_covers_every_schedule_and_argument():
    used: dict[str, set[str]] = {}
    for case in CASES:
        name = case["schedule"].split(".", 1)[1].replace("_", "-")
        used.setdefault(name, set()).update(case["params"])
        for cycle in case["params"].get("cosine_kwargs", []):
            used.setdefault("sgdr cycles", set()).update(cycle)
    assert set(NAMES) <= set(used)
    for name, schedule in SCHEDULES.items():
        assert {p.name for p in schedule.params} <= used[name], name
    assert used["sgdr cycles"] == {p.name for p in ox.WARMUP_COSINE_PARAMS}


def test_golden_rows_where_the_formula_is_exact():
    """Rows optax computes exactly are exact here too: the start of a transition, the held ends."""
    for case in CASES:
        got = curve(case["schedule"], **case["params"], steps=case["rows"]).lr
        p = case["params"]
        if case["schedule"] == "optax.constant":
            assert np.all(got == p["value"])
        if case["schedule"] == "optax.piecewise_constant":
            np.testing.assert_array_equal(got, case["lr"])  # products in the same order
        if case["schedule"] == "optax.cosine_decay" and p.get("exponent", 1.0) > 0:
            # cos(pi) is -1 exactly: the decay ends at init_value * alpha exactly (0**0 is 1).
            assert got[p["decay_steps"]] == p["init_value"] * p.get("alpha", 0.0)


# --- long ranges -----------------------------------------------------------------------------------

LONG = 1 << 16
# Besides each schedule's scaled run, the branches of the fast paths.
RANGE_CASES = [
    ("polynomial", {"init_value": 0.1, "end_value": 0.001, "power": 0.5, "transition_steps": 50_000,
                    "transition_begin": 3000}),
    ("polynomial", {"init_value": 0.1, "end_value": 0.2, "power": 1.0, "transition_steps": 40_000}),
    ("cosine-decay", {"init_value": 0.1, "decay_steps": 30_000, "alpha": 0.1, "exponent": 2.0}),
    ("cosine-decay", {"init_value": 0.1, "decay_steps": 100, "alpha": 0.5}),
    ("exponential-decay", {"init_value": 0.1, "transition_steps": 1, "decay_rate": 0.9999}),
    ("exponential-decay", {"init_value": 0.1, "transition_steps": 777, "decay_rate": 0.3,
                           "transition_begin": 5000, "end_value": 1e-4}),
    ("exponential-decay", {"init_value": 0.1, "transition_steps": 3, "decay_rate": 0.9999,
                           "staircase": True}),
    ("exponential-decay", {"init_value": 0.1, "transition_steps": 5000, "decay_rate": 0.5, "staircase": True,
                           "end_value": 0.01}),
    ("exponential-decay", {"init_value": 1e-3, "transition_steps": 1000, "decay_rate": 1.5,
                           "end_value": 1.0}),
    ("piecewise-interpolate", {"interpolate_type": "linear", "init_value": 0.1,
                               "boundaries_and_scales": {-50: 2.0, 20_000: 0.5, 20_010: 3.0, 60_000: 0.1}}),
    ("warmup-cosine-decay", {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": -300,
                             "decay_steps": 50_000, "exponent": 0.5}),
    ("warmup-exponential-decay", {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 20_000,
                                  "transition_steps": 100, "decay_rate": 0.5, "transition_begin": 1000,
                                  "staircase": True}),
    ("linear-onecycle", {"transition_steps": 60_000, "peak_value": 0.1, "pct_start": 0.9, "pct_final": 0.2}),
    ("sgdr", {"cosine_kwargs": [
        {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 100, "decay_steps": 30_000},
        {"init_value": 0.0, "peak_value": 0.05, "warmup_steps": -20, "decay_steps": 40_000,
         "end_value": 1e-3}]}),
]


def _range_cases():
    for name, schedule in SCHEDULES.items():
        yield pytest.param(name, schedule.scaled(LONG), id=f"{name}-scaled")
    for index, (name, params) in enumerate(RANGE_CASES):
        yield pytest.param(name, params, id=f"{name}-{index}")


@pytest.mark.parametrize(("name", "params"), list(_range_cases()))
@pytest.mark.parametrize("first", [0, 12_345])
def test_long_ranges_equal_the_formula(name, params, first):
    """lr_range (the kernels) against the schedule's own formula, to a few ulps of the scale."""
    schedule = SCHEDULES[name]
    spec = curve(schedule.key, **{k: v for k, v in params.items() if k != "steps"}, steps=2)
    assert schedule.lr_range is not None
    fast = schedule.rows(first, LONG, spec.params)
    plain = schedule.curve(np.arange(first, first + LONG, dtype=np.float64), spec.params)
    assert fast.shape == plain.shape
    assert np.max(np.abs(fast - plain)) <= 8 * EPS64 * scale_of(plain), name


# --- warnings ----------------------------------------------------------------------------------------

# (schedule, parameters, a phrase of the warning): each fires here...
WARNED = [
    ("linear", {"init_value": 0.1, "end_value": 0.0, "transition_steps": 0}, "transition_steps 0 <= 0"),
    ("linear", {"init_value": 0.1, "end_value": 0.0, "transition_steps": 9, "transition_begin": -3},
     "transition_begin -3 < 0 counts as 0"),
    ("polynomial", {"init_value": 0.1, "end_value": 0.0, "power": 2.0, "transition_steps": -2},
     "never reaching end_value"),
    ("exponential-decay", {"init_value": 0.1, "transition_steps": 0, "decay_rate": 0.5, "end_value": 0.01},
     "end_value has no effect"),
    ("exponential-decay", {"init_value": 0.1, "transition_steps": 5, "decay_rate": 0.0}, "decay_rate 0"),
    ("exponential-decay", {"init_value": 0.1, "transition_steps": 5, "decay_rate": 0.5,
                           "transition_begin": -1}, "transition_begin -1 < 0"),
    ("exponential-decay", {"init_value": 0.1, "transition_steps": 5, "decay_rate": -0.5, "staircase": True},
     "changes sign"),
    ("exponential-decay", {"init_value": 0.1, "transition_steps": 5, "decay_rate": 0.5, "end_value": 0.2},
     "as a floor"),
    ("exponential-decay", {"init_value": 0.1, "transition_steps": 5, "decay_rate": 1.0, "end_value": 0.05},
     "as a ceiling"),
    ("warmup-exponential-decay", {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 5,
                                  "transition_steps": 5, "decay_rate": 0.5, "end_value": 0.2},
     "above peak_value 0.1"),
    ("warmup-exponential-decay", {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": -5,
                                  "transition_steps": 5, "decay_rate": 0.5}, "the decay starts 5 steps in"),
    ("warmup-constant", {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 0},
     "never reaching peak_value"),
    ("warmup-cosine-decay", {"init_value": 0.0, "peak_value": 0.0, "warmup_steps": 5, "decay_steps": 20,
                             "end_value": 0.01}, "alpha"),
    ("warmup-cosine-decay", {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": -5, "decay_steps": 20},
     "the cosine starts 5 steps in"),
    ("linear-onecycle", {"transition_steps": 100, "peak_value": 0.1, "pct_start": 0.5, "pct_final": 0.5},
     "pct_start and pct_final both give step 50"),
    ("linear-onecycle", {"transition_steps": 100, "peak_value": 0.1, "pct_final": 1.0},
     "pct_final and transition_steps both give step 100"),
    ("linear-onecycle", {"transition_steps": 100, "peak_value": 0.1, "pct_start": 0.9, "pct_final": 0.2},
     "out of order"),
    ("linear-onecycle", {"transition_steps": 100, "peak_value": 0.1, "pct_start": 0.0},
     "there is no warm-up"),
    ("linear-onecycle", {"transition_steps": 100, "peak_value": 0.1, "pct_start": -0.2}, "is -20 < 0"),
    ("cosine-onecycle", {"transition_steps": 100, "peak_value": 0.1, "pct_start": 1.0},
     "pct_start and transition_steps both give step 100"),
    ("cosine-onecycle", {"transition_steps": 100, "peak_value": 0.1, "pct_start": 1.5},
     "past transition_steps 100"),
    ("sgdr", {"cosine_kwargs": [{"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 5, "decay_steps": 20},
                                {"init_value": 0.0, "peak_value": 0.0, "warmup_steps": 5, "decay_steps": 20,
                                 "end_value": 0.01}]}, "cycle 1: peak_value 0"),
]
# ...and none fires on these neighbours.
QUIET = [
    ("constant", {"value": 0.1}),
    ("linear", {"init_value": 0.1, "end_value": 0.0, "transition_steps": 1}),
    ("polynomial", {"init_value": 0.1, "end_value": 0.0, "power": 2.0, "transition_steps": 9,
                    "transition_begin": 4}),
    ("cosine-decay", {"init_value": 0.1, "decay_steps": 9, "alpha": 1.5}),
    ("exponential-decay", {"init_value": 0.1, "transition_steps": 5, "decay_rate": 0.5, "end_value": 0.01}),
    ("exponential-decay", {"init_value": 0.1, "transition_steps": 5, "decay_rate": 1.1, "end_value": 0.2}),
    ("exponential-decay", {"init_value": 0.1, "transition_steps": 5, "decay_rate": 0.5, "staircase": True}),
    ("piecewise-constant", {"init_value": 0.1, "boundaries_and_scales": {0: 2.0, 10: 0.0}}),
    ("piecewise-interpolate", {"interpolate_type": "cosine", "init_value": 0.1,
                               "boundaries_and_scales": {-3: 2.0, 10: 0.5}}),
    ("warmup-constant", {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 1}),
    ("warmup-cosine-decay", {"init_value": 0.0, "peak_value": 0.0, "warmup_steps": 0, "decay_steps": 20}),
    ("warmup-exponential-decay", {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 0,
                                  "transition_steps": 5, "decay_rate": 0.5}),
    ("linear-onecycle", {"transition_steps": 100, "peak_value": 0.1}),
    ("cosine-onecycle", {"transition_steps": 100, "peak_value": 0.1, "pct_start": 0.99}),
    ("sgdr", {"cosine_kwargs": [{"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 0,
                                 "decay_steps": 20}]}),
]


@pytest.mark.parametrize(("name", "params", "phrase"), WARNED, ids=[f"{w[0]}:{w[2]}" for w in WARNED])
def test_warning_fires(name, params, phrase):
    found = curve(f"optax.{name}", **params).warnings
    assert any(phrase in text for text in found), found


@pytest.mark.parametrize(("steps", "late64", "late32"), [(49, [49, 98], []), (115, [], [115, 230]),
                                                      (64, [], []), (5, [], [])])
def test_staircase_late_treads_are_warned(steps, late64, late32):
    params = {"init_value": 1.0, "transition_steps": steps, "decay_rate": 0.5, "staircase": True}
    got = curve("optax.exponential-decay", **params, steps=2 * steps + 1)
    found = [w for w in got.warnings if "one step late" in w]
    if not late64 and not late32:
        assert found == []
        return
    (text,) = found
    for step in late64:
        assert got.lr[step] == got.lr[step - 1]  # the tread begins a step late in float64, here too
    assert (f"at steps {', '.join(map(str, late64))} in float64" in text) == bool(late64)
    assert (f"at steps {', '.join(map(str, late32))} in float32" in text) == bool(late32)
    warm = curve("optax.warmup-exponential-decay", init_value=0.0, peak_value=1.0, warmup_steps=10,
                 **{k: v for k, v in params.items() if k != "init_value"}, steps=2 * steps + 11)
    shifted = [s + 10 for s in (late64 or late32)]
    assert any(f"at steps {', '.join(map(str, shifted))}" in w for w in warm.warnings)


def test_linear_onecycle_with_one_step_warns_of_its_collision():
    # transition_steps 1: int(0.3) = int(0.85) = 0, one boundary for both and no warm-up.
    found = curve("optax.linear-onecycle", transition_steps=1, peak_value=0.1).warnings
    assert any("both give step 0" in text for text in found)


@pytest.mark.parametrize(("name", "params"), QUIET, ids=[q[0] for q in QUIET])
def test_no_warning_elsewhere(name, params):
    assert curve(f"optax.{name}", **params).warnings == ()


@pytest.mark.parametrize("name", [n for n in NAMES if n not in ("constant", "piecewise-constant")])
def test_float32_step_count_warning_from_2_to_the_24(name):
    schedule = SCHEDULES[name]
    params = curve(schedule.key, **{k: v for k, v in schedule.scaled(100).items() if k != "steps"},
                   steps=2).params
    assert not any("2^24" in w for w in schedule.warn(params, ox.FLOAT32_EXACT_STEPS))
    assert any("2^24" in w for w in schedule.warn(params, ox.FLOAT32_EXACT_STEPS + 1))


def test_warnings_go_to_stderr_once_per_curve():
    result = run_cli(["optax", "warmup-constant", "--init-value", "0", "--peak-value", "0.1",
                      "--warmup-steps", "0", "-o", "-"])
    assert result.code == 0
    assert result.stderr.count("Warning: ") == 1 and "never reaching peak_value" in result.stderr
    assert result.stdout.splitlines()[0] == "step,lr"


# --- refusals ----------------------------------------------------------------------------------------

REFUSED = [
    (["cosine-decay", "--init-value", "1", "--decay-steps", "0"], "--decay-steps must be an integer >= 1"),
    (["warmup-cosine-decay", "--init-value", "0", "--peak-value", "1", "--warmup-steps", "10",
      "--decay-steps", "10"], "--decay-steps must be above --warmup-steps"),
    (["piecewise-constant", "--init-value", "1", "--boundaries-and-scales", "10=-0.1"],
     "--boundaries-and-scales scales must be >= 0"),
    (["piecewise-interpolate", "--interpolate-type", "linear", "--init-value", "1",
      "--boundaries-and-scales", "10=0.5,20=-1"], "--boundaries-and-scales scales must be >= 0"),
    (["piecewise-constant", "--init-value", "1", "--boundaries-and-scales", "10=0.5,10=0.1"],
     "--boundaries-and-scales gives step 10 twice"),
    (["piecewise-constant", "--init-value", "1", "--boundaries-and-scales", "10:0.5"],
     "--boundaries-and-scales must be steps and scales as STEP=SCALE"),
    (["piecewise-constant", "--init-value", "1", "--boundaries-and-scales", "1.5=0.5"],
     "--boundaries-and-scales must be steps and scales"),
    (["piecewise-interpolate", "--interpolate-type", "quadratic", "--init-value", "1"],
     "--interpolate-type must be one of linear, cosine"),
    (["linear-onecycle", "--transition-steps", "0", "--peak-value", "0.1"],
     "--transition-steps must be an integer >= 1"),
    (["cosine-onecycle", "--transition-steps", "10", "--peak-value", "0.1", "--div-factor", "0"],
     "--div-factor must be a number > 0"),
    (["linear-onecycle", "--transition-steps", "10", "--peak-value", "0.1", "--final-div-factor=-2"],
     "--final-div-factor must be a number > 0"),
    (["exponential-decay", "--init-value", "0.1", "--transition-steps", "5", "--decay-rate=-0.5"],
     "--decay-rate < 0 needs --staircase"),
    (["polynomial", "--init-value", "0.1", "--end-value", "0", "--power=-1", "--transition-steps", "10",
      "--steps", "11"], "--steps 11 is too many: from step 10 on the rate is infinite"),
    (["cosine-decay", "--init-value", "0.1", "--decay-steps", "10", "--exponent=-1", "--steps", "11"],
     "--steps 11 is too many"),
    (["linear", "--init-value", "0.1", "--end-value", "0", "--transition-steps", "10", "--lr", "0.1"],
     "No such option: --lr"),
]


@pytest.mark.parametrize(("args", "message"), REFUSED, ids=[" ".join(a[:1] + [m[:30]]) for a, m in REFUSED])
def test_refusal_is_one_line_and_exit_2(args, message):
    result = run_cli(["optax", *args, "-o", "-"])
    assert result.code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], result.stderr


SGDR_REFUSED = [
    ([], "cosine_kwargs must be a non-empty list"),
    ([{"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 5}], "cosine_kwargs[0] needs decay_steps"),
    ([{"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 5, "decay_steps": 9},
      {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 5, "decay_steps": 5}],
     "cosine_kwargs[1].decay_steps must be above cosine_kwargs[1].warmup_steps"),
    ([{"init_value": 0.0, "peak_value": "high", "warmup_steps": 5, "decay_steps": 9}],
     "cosine_kwargs[0].peak_value must be a number, got high"),
    ([{"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 5, "decay_steps": 9, "alpha": 0.1}],
     "cosine_kwargs[0]: alpha is not an argument of warmup_cosine_decay_schedule"),
    (["cosine"], "cosine_kwargs[0] must be a mapping"),
]


@pytest.mark.parametrize(("cycles", "message"), SGDR_REFUSED, ids=[m[:40] for _, m in SGDR_REFUSED])
def test_sgdr_refusals_name_the_cycle(cycles, message):
    with pytest.raises(LrplotError) as caught:
        curve("optax.sgdr", cosine_kwargs=cycles)
    assert message in str(caught.value)


def test_yaml_takes_a_mapping_for_boundaries_and_sgdr_cycles(tmp_path):
    """YAML keys are names in lrplot's configs, so the steps of a mapping are quoted (or the
    boundaries given as the command line's text)."""
    config = tmp_path / "optax.yaml"
    config.write_text(
        "schedules:\n"
        "  - type: optax.piecewise_constant\n"
        "    init_value: 0.1\n"
        "    boundaries_and_scales: {'3': 0.5, '6': 0.5}\n"
        "  - type: optax.piecewise_constant\n"
        "    init_value: 0.1\n"
        "    boundaries_and_scales: 3=0.5,6=0.5\n"
        "  - type: optax.sgdr\n"
        "    cosine_kwargs:\n"
        "      - {init_value: 0, peak_value: 0.1, warmup_steps: 2, decay_steps: 4}\n"
        "      - {init_value: 0, peak_value: 0.05, warmup_steps: 0, decay_steps: 4}\n"
    )
    result = run_cli(["run", str(config), "--steps", "9", "-o", "-"])
    assert result.code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert [float(r[1]) for r in rows[1:]] == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025]
    assert [r[2] for r in rows[1:]] == [r[1] for r in rows[1:]]
    assert float(rows[1 + 4][3]) == 0.05  # the second cycle starts at its peak


def test_namespace_lists_every_schedule_and_sgdr_is_yaml_only():
    result = run_cli(["list", "optax"])
    assert result.code == 0
    for name in NAMES:
        assert f"optax {name}" in result.stdout
    assert set(NAMES) - set(COMMANDS) == {"sgdr"}
    assert run_cli(["optax", "sgdr", "-o", "-"]).code == 2


def test_no_lr_parameter_anywhere():
    for schedule in SCHEDULES.values():
        assert "lr" not in {p.name for p in schedule.params}


# --- live: optax itself ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def optax():
    return reference("optax")


MAX_ROWS = 2000
LIVE = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THROUGH_CLI = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def log_uniform(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(math.log10(low), math.log10(high)).map(lambda e: float(10.0**e))


values = st.one_of(log_uniform(1e-6, 10.0), st.just(0.0), log_uniform(1e-4, 1.0).map(lambda v: -v))
rates = st.one_of(log_uniform(1e-6, 10.0), st.just(0.0))
lengths = st.one_of(st.integers(1, 5), st.integers(1, 1500))
begins = st.one_of(st.just(0), st.integers(-20, 300))
rows = st.integers(1, MAX_ROWS)


@st.composite
def transition_case(draw, power: bool):
    params = {"init_value": draw(values), "end_value": draw(values),
              "transition_steps": draw(st.one_of(lengths, st.integers(-3, 0))),
              "transition_begin": draw(begins)}
    n = draw(rows)
    if power:
        params["power"] = draw(st.one_of(st.floats(0.0, 5.0), st.sampled_from([0.5, 1.0, 2.0, 0.0]),
                                         st.floats(-3.0, -0.1)))
        end = max(params["transition_begin"], 0) + params["transition_steps"]
        if params["power"] < 0 and params["transition_steps"] > 0:
            assume(end >= 1)
            n = min(n, end)
    return params, n


@st.composite
def cosine_case(draw):
    params = {"init_value": draw(rates), "decay_steps": draw(lengths),
              "alpha": draw(st.one_of(st.just(0.0), st.floats(-0.5, 1.5))),
              "exponent": draw(st.one_of(st.just(1.0), st.floats(0.0, 4.0), st.floats(-2.0, -0.1)))}
    n = draw(rows)
    if params["exponent"] < 0:
        n = min(n, params["decay_steps"])
    return params, n


@st.composite
def exponential_fields(draw, start: float):
    staircase = draw(st.booleans())
    rate = draw(st.one_of(log_uniform(1e-3, 1.0), st.floats(0.9, 1.0), st.floats(1.0, 1.3),
                          st.sampled_from([0.0, 0.5, 1.0])))
    if staircase and draw(st.booleans()):
        rate = -rate
    params = {"transition_steps": draw(st.one_of(lengths, st.integers(-3, 0))), "decay_rate": rate,
              "transition_begin": draw(begins), "staircase": staircase}
    if draw(st.booleans()):
        params["end_value"] = start * draw(st.floats(0.0, 2.0))
    return params


@st.composite
def exponential_case(draw):
    init = draw(rates)
    return {"init_value": init, **draw(exponential_fields(init))}, draw(rows)


@st.composite
def knots(draw):
    steps = draw(st.lists(st.one_of(st.integers(-10, 40), st.integers(1, 1500)), max_size=4, unique=True))
    scales = [draw(st.one_of(st.floats(0.0, 3.0), st.sampled_from([0.0, 0.1, 0.5, 2.0]))) for _ in steps]
    return dict(zip(steps, scales))


@st.composite
def piecewise_constant_case(draw):
    return {"init_value": draw(rates), "boundaries_and_scales": draw(knots())}, draw(rows)


@st.composite
def piecewise_interpolate_case(draw):
    return ({"interpolate_type": draw(st.sampled_from(["linear", "cosine"])), "init_value": draw(rates),
             "boundaries_and_scales": draw(knots())}, draw(rows))


@st.composite
def warmup_constant_case(draw):
    return ({"init_value": draw(rates), "peak_value": draw(rates),
             "warmup_steps": draw(st.one_of(lengths, st.integers(-5, 0)))}, draw(rows))


@st.composite
def warmup_cosine_fields(draw, negative_exponent: bool = True):
    warmup = draw(st.one_of(st.just(0), st.integers(-20, 5), st.integers(1, 500)))
    params = {"init_value": draw(rates), "peak_value": draw(st.one_of(rates, st.just(0.0))),
              "warmup_steps": warmup, "decay_steps": warmup + draw(lengths)}
    if draw(st.booleans()):
        params["end_value"] = draw(st.one_of(rates, st.just(0.0)))
    if draw(st.booleans()):
        exponents = [st.floats(0.0, 4.0), st.sampled_from([0.5, 2.0])]
        if negative_exponent:
            exponents.append(st.floats(-2.0, -0.1))
        params["exponent"] = draw(st.one_of(*exponents))
    return params


@st.composite
def warmup_cosine_case(draw):
    params = draw(warmup_cosine_fields())
    n = draw(rows)
    if params.get("exponent", 1.0) < 0:
        assume(params["decay_steps"] >= 1)
        n = min(n, params["decay_steps"])
    return params, n


@st.composite
def warmup_exponential_case(draw):
    peak = draw(rates)
    params = {"init_value": draw(rates), "peak_value": peak,
              "warmup_steps": draw(st.one_of(st.just(0), st.integers(-5, 5), st.integers(1, 500))),
              **draw(exponential_fields(peak))}
    return params, draw(rows)


fractions = st.one_of(st.floats(-0.2, 1.3), st.sampled_from([0.0, 0.25, 0.3, 0.5, 0.85, 1.0]))


@st.composite
def onecycle_case(draw, linear: bool):
    params = {"transition_steps": draw(lengths), "peak_value": draw(log_uniform(1e-6, 10.0)),
              "pct_start": draw(fractions), "div_factor": draw(log_uniform(0.5, 1e3)),
              "final_div_factor": draw(log_uniform(0.1, 1e5))}
    if linear:
        params["pct_final"] = draw(fractions)
    return params, draw(rows)


@st.composite
def sgdr_case(draw):
    cycles = draw(st.lists(warmup_cosine_fields(negative_exponent=False), min_size=1, max_size=4))
    return {"cosine_kwargs": cycles}, draw(rows)


STRATEGIES = {
    "constant": st.tuples(st.fixed_dictionaries({"value": values}), rows),
    "linear": transition_case(power=False),
    "polynomial": transition_case(power=True),
    "cosine-decay": cosine_case(),
    "exponential-decay": exponential_case(),
    "piecewise-constant": piecewise_constant_case(),
    "piecewise-interpolate": piecewise_interpolate_case(),
    "warmup-constant": warmup_constant_case(),
    "warmup-cosine-decay": warmup_cosine_case(),
    "warmup-exponential-decay": warmup_exponential_case(),
    "linear-onecycle": onecycle_case(linear=True),
    "cosine-onecycle": onecycle_case(linear=False),
    "sgdr": sgdr_case(),
}


def test_every_schedule_has_a_strategy():
    assert set(STRATEGIES) == set(NAMES)


def _bump(base: np.ndarray, power: float, delta: float) -> np.ndarray:
    """How far base**power moves when base moves by ``delta`` (base in [0, 1]; NaN: no base here)."""
    with np.errstate(all="ignore"):
        b = np.nan_to_num(base, nan=0.5)
        here = np.power(b, power)
        moved = np.maximum(np.abs(np.power(b + delta, power) - here),
                           np.abs(np.power(np.maximum(b - delta, 0.0), power) - here))
    return np.where(np.isnan(base), 0.0, np.nan_to_num(moved, nan=0.0, posinf=0.0))


def _cosine_base(t: np.ndarray, decay_steps: int) -> np.ndarray:
    return 0.5 * (1 + np.cos(np.pi * np.minimum(t, decay_steps) / decay_steps))


def _powers(name: str, p: dict[str, Any], t: np.ndarray):
    """(amplitude, base per row, power): where optax raises a float32 base in [0, 1] to a power."""
    if name == "polynomial" and p["transition_steps"] > 0:
        steps = p["transition_steps"]
        yield (p["init_value"] - p["end_value"],
               1 - np.clip(t - max(p["transition_begin"], 0), 0, steps) / steps, p["power"])
    if name == "cosine-decay":
        yield p["init_value"] * (1 - p["alpha"]), _cosine_base(t, p["decay_steps"]), p["exponent"]
    cycles = [p] if name == "warmup-cosine-decay" else (p["cosine_kwargs"] if name == "sgdr" else [])
    starts = [0, *ox._sgdr_boundaries(cycles)] if name == "sgdr" else [0]
    for start, cycle in zip(starts, cycles):
        w, peak = cycle["warmup_steps"], cycle["peak_value"]
        alpha = ox._cosine_alpha(peak, cycle.get("end_value", 0.0))
        base = np.where(t - start >= w, _cosine_base(t - start - w, cycle["decay_steps"] - w), np.nan)
        yield peak * (1 - alpha), base, cycle.get("exponent", 1.0)


def _decays(name: str, p: dict[str, Any], t: np.ndarray):
    """(exponent per row, rate): where optax raises a float32 decay_rate to a float32 power."""
    if name not in ("exponential-decay", "warmup-exponential-decay"):
        return
    if p["transition_steps"] <= 0 or p["decay_rate"] == 0:
        return
    shift = p.get("warmup_steps", 0) + max(p["transition_begin"], 0)
    exponent = np.maximum(t - shift, 0) / p["transition_steps"]
    yield (np.floor(exponent) if p["staircase"] else exponent), p["decay_rate"]


VALUE_PARAMS = ("value", "init_value", "end_value", "peak_value")


def operand_scale(params: dict[str, Any], lr: np.ndarray) -> float:
    """The magnitude float32 round-off is relative to: the curve's, or a rate optax computes with
    that is larger (a warm-up stopped early, (I − E)·frac + E cancelling)."""
    rates = [abs(v) for k, v in params.items() if k in VALUE_PARAMS and v is not None]
    for cycle in params.get("cosine_kwargs", ()):
        rates += [abs(v) for k, v in cycle.items() if k in VALUE_PARAMS]
    if "peak_value" in params and "div_factor" in params:
        rates.append(abs(params["peak_value"]))
    return max([scale_of(lr), *rates])


def float32_tolerance(name: str, params: dict[str, Any], lr: np.ndarray) -> np.ndarray:
    """What float32 round-off allows between optax's default float32 rows and lrplot's float64 ones.

    A few float32 ulps of the scale (the larger of the curve's and its rates', see operand_scale)
    and of each value, plus the round-off that optax's float32
    arithmetic amplifies: a base in [0, 1] off by a few ulps, raised to a power (a power below 1
    magnifies it near 0: (b + δ)^p − b^p is up to δ^p), and a decay_rate rounded to float32,
    raised to the power p (which moves r^p by p·ulp, and by |ln r|·p·ulp for p's own rounding).
    Every input is a float32 there too, the step count included (exact below 2^24).
    """
    params = dict(curve(f"optax.{name}", **params, steps=1).params)  # with the defaults
    t = np.arange(len(lr), dtype=np.float64)
    tolerance = 8 * FLOAT32_EPS * operand_scale(params, lr) + 4 * FLOAT32_EPS * np.abs(lr)
    for amplitude, base, power in _powers(name, params, t):
        tolerance = tolerance + abs(amplitude) * _bump(base, power, 4 * FLOAT32_EPS)
    for exponent, rate in _decays(name, params, t):
        tolerance = tolerance + np.abs(lr) * exponent * (1 + abs(math.log(abs(rate)))) * FLOAT32_EPS
    return tolerance


def tread_starts(name: str, params: dict[str, Any], n: int) -> tuple[np.ndarray, np.ndarray]:
    """A staircase's first steps t = shift + k·T whose tread index floor(k·T·(1/T)) optax computes
    as k − 1, in float64 and in float32 (XLA divides by a constant as a multiplication by its
    reciprocal: the float32 rounding is emulated here in numpy's float32)."""
    p = dict(curve(f"optax.{name}", **params, steps=1).params)
    steps = p.get("transition_steps", 0)
    if name not in ("exponential-decay", "warmup-exponential-decay") or not p.get("staircase") or steps <= 0:
        return np.array([], dtype=int), np.array([], dtype=int)
    shift = p.get("warmup_steps", 0) + max(p["transition_begin"], 0)
    k = np.arange(1, n // steps + 2)
    first = shift + k * steps
    late64 = np.floor((k * steps).astype(np.float64) * (1.0 / steps)) < k
    k32 = k.astype(np.float32)
    late32 = np.floor(k32 * np.float32(steps) * (np.float32(1) / np.float32(steps))) < k32
    keep = (first >= 0) & (first < n)
    return first[late64 & keep], first[late32 & keep]


def float32_expected(name: str, params: dict[str, Any], got: np.ndarray) -> np.ndarray:
    """lrplot's float64 rows with the staircase's treads where float32 starts them: a tread that
    begins one step late in float32 only holds the previous level at its first step; one late in
    float64 only has its own level there in float32."""
    late64, late32 = tread_starts(name, params, len(got))
    expected = got.copy()
    for t in sorted(set(late32.tolist()) - set(late64.tolist())):
        expected[t] = got[t - 1]
    for t in sorted(set(late64.tolist()) - set(late32.tolist())):
        if t + 1 < len(got):
            expected[t] = got[t + 1]
    return expected


def check_against_optax(name: str, params: dict[str, Any], n: int, got: np.ndarray) -> None:
    ref64 = optax_rows(name, params, n, x64=True)
    assert len(got) == n
    # Relative to the schedule's scale: the rows shown may be a small start of a run whose rates
    # (I − E)·frac + E cancel, e.g. 16 rows of a polynomial from 0 toward 10 (optax loses the same
    # digits there).
    scale = operand_scale(dict(curve(f"optax.{name}", **params, steps=1).params), ref64)
    off = float(np.max(np.abs(got - ref64), initial=0.0)) / scale
    assert off <= X64_TOLERANCE, (params, n, off)
    if np.max(np.abs(got)) < 1e38:  # beyond that float32 overflows
        ref32 = optax_rows(name, params, n, x64=False)
        expected = float32_expected(name, params, got)
        excess = np.abs(expected - ref32) - float32_tolerance(name, params, got)
        # Where float32 itself overflows on the way (0 · 1.25^398 is 0 · inf = NaN in float32),
        # the float64 curve is the one to trust; elsewhere float32 must agree within round-off.
        excess[~np.isfinite(ref32)] = 0.0
        assert np.all(excess <= 0), (params, n, int(np.argmax(excess)), float(np.max(excess)))


@pytest.mark.parametrize("name", NAMES)
def test_live_api_matches_optax(name, optax):
    @LIVE
    @given(STRATEGIES[name])
    def check(case):
        params, n = case
        got = curve(f"optax.{name}", **params, steps=n)
        check_against_optax(name, params, n, got.lr)

    check()


def flags(params: dict[str, Any]) -> list[str]:
    out = []
    for key, value in params.items():
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            out.append(flag if value else "--no-" + flag[2:])
        elif isinstance(value, dict):
            if value:
                out.append(f"{flag}=" + ",".join(f"{k}={v!r}" for k, v in value.items()))
        else:
            out.append(f"{flag}={value if isinstance(value, str) else repr(value)}")
    return out


@pytest.mark.parametrize("name", COMMANDS)
def test_live_cli_matches_optax(name, optax):
    @THROUGH_CLI
    @given(STRATEGIES[name])
    def check(case):
        params, n = case
        result = run_cli(["optax", name, *flags(params), "--steps", str(n), "-o", "-"])
        assert result.code == 0, result.stderr
        table = list(csv.reader(io.StringIO(result.stdout)))
        assert table[0] == ["step", "lr"]
        assert [int(r[0]) for r in table[1:]] == list(range(n))
        check_against_optax(name, params, n, np.array([float(r[1]) for r in table[1:]]))

    check()


def test_live_sgdr_through_yaml(optax, tmp_path):
    @THROUGH_CLI
    @given(sgdr_case())
    def check(case):
        params, n = case
        config = tmp_path / "sgdr.yaml"
        config.write_text(json.dumps({"schedules": [{"type": "optax.sgdr", **params}]}))
        result = run_cli(["run", str(config), "--steps", str(n), "-o", "-"])
        assert result.code == 0, result.stderr
        lr = np.array([float(r[1]) for r in list(csv.reader(io.StringIO(result.stdout)))[1:]])
        check_against_optax("sgdr", params, n, lr)

    check()


def test_live_long_range_matches_optax(optax):
    """Long curves take the kernels (lr_range): still optax's values in float64."""
    n = 40_000
    for name in NAMES:
        params = {k: v for k, v in SCHEDULES[name].scaled(n).items() if k != "steps"}
        got = curve(f"optax.{name}", **params, steps=n).lr
        assert worst(got, optax_rows(name, params, n, x64=True)) <= X64_TOLERANCE, name


# Where optax raises, lrplot refuses (REFUSED above); these are optax's own calls for them.
OPTAX_RAISES = [
    ("cosine_decay_schedule", {"init_value": 1.0, "decay_steps": 0}),
    ("warmup_cosine_decay_schedule", {"init_value": 0.0, "peak_value": 1.0, "warmup_steps": 10,
                                      "decay_steps": 10}),
    ("piecewise_constant_schedule", {"init_value": 1.0, "boundaries_and_scales": {10: -0.1}}),
    ("piecewise_interpolate_schedule", {"interpolate_type": "linear", "init_value": 1.0,
                                        "boundaries_and_scales": {10: 0.5, 20: -1.0}}),
    ("piecewise_interpolate_schedule", {"interpolate_type": "quadratic", "init_value": 1.0}),
    ("linear_onecycle_schedule", {"transition_steps": 0, "peak_value": 0.1}),
    ("cosine_onecycle_schedule", {"transition_steps": 10, "peak_value": 0.1, "div_factor": 0.0}),
    ("linear_onecycle_schedule", {"transition_steps": 10, "peak_value": 0.1, "final_div_factor": -2.0}),
    ("sgdr_schedule", {"cosine_kwargs": [{"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 5}]}),
]


@pytest.mark.parametrize(("function", "kwargs"), OPTAX_RAISES, ids=[f for f, _ in OPTAX_RAISES])
def test_optax_raises_where_lrplot_refuses(function, kwargs, optax):
    with pytest.raises((ValueError, ZeroDivisionError, TypeError)):
        getattr(optax, function)(**kwargs)


def test_optax_gives_nan_and_inf_where_lrplot_refuses(optax):
    """The two refusals optax does not make itself: a negative decay_rate without staircase (NaN
    between transitions) and rows past a negative power's pole (inf)."""
    nan = optax_rows("exponential-decay", {"init_value": 0.1, "transition_steps": 5, "decay_rate": -0.5}, 8)
    assert np.isnan(nan[1:5]).all() and np.isfinite(nan[[0, 5]]).all()
    pole = {"init_value": 0.1, "end_value": 0.0, "power": -1.0, "transition_steps": 10}
    inf = optax_rows("polynomial", pole, 12)
    assert np.isfinite(inf[:10]).all() and np.isinf(inf[10:]).all()


@pytest.mark.parametrize("steps", [49, 115, 98])
def test_late_treads_are_where_optax_drops(steps, optax):
    """The steps the warning names are the steps where optax itself is still on the previous tread."""
    params = {"init_value": 1.0, "transition_steps": steps, "decay_rate": 0.5, "staircase": True}
    n = 3 * steps + 2  # the drop after the third tread's first step is a row too
    got = curve("optax.exponential-decay", **params, steps=n)
    for x64 in (True, False):
        ref = optax_rows("exponential-decay", params, n, x64=x64)
        drops = [t for t in range(1, n) if ref[t] != ref[t - 1]]
        on_time = [k * steps for k in (1, 2, 3)]
        late = sorted(set(on_time) - set(drops))
        assert all(t + 1 in drops for t in late)
        late64, late32 = ox._late_treads(steps, 0, n)
        assert late == (late64 if x64 else late32)
    assert worst(got.lr, optax_rows("exponential-decay", params, n)) == 0.0


def test_quiet_cases_are_what_optax_does(optax):
    """optax's constant fallbacks, reproduced: the warned curves are optax's curves."""
    for name, params, _ in WARNED:
        n = 60
        got = curve(f"optax.{name}", **params, steps=n).lr
        assert worst(got, optax_rows(name, params, n, x64=True)) <= X64_TOLERANCE, (name, params)


EMITTED = [(name, SCHEDULES[name].scaled(300)) for name in NAMES] + [
    ("exponential-decay", {"init_value": 0.1, "transition_steps": 7, "decay_rate": 0.5, "transition_begin": 3,
                           "staircase": True, "end_value": 0.01, "steps": 60}),
    ("warmup-cosine-decay", {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 10, "decay_steps": 50,
                             "exponent": 2.0, "steps": 60}),
    ("sgdr", {"cosine_kwargs": [{"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 5, "decay_steps": 20,
                                 "end_value": 0.001, "exponent": 0.5}], "steps": 30}),
]


def _run_script(script: str, x64: bool) -> list[float]:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    printed = io.StringIO()
    with precision(x64), warnings.catch_warnings(), contextlib.redirect_stdout(printed):
        warnings.simplefilter("error")
        exec(compile(script, "<emitted>", "exec"), namespace)
    lrs = namespace["lrs"]
    assert [float(line) for line in printed.getvalue().split()] == lrs
    return lrs


@pytest.mark.parametrize(("name", "params"), EMITTED, ids=[f"{n}-{i}" for i, (n, _) in enumerate(EMITTED)])
def test_emitted_script_reproduces_the_curve(name, params, optax, tmp_path):
    n = params["steps"]
    body = {k: v for k, v in params.items() if k != "steps"}
    got = curve(f"optax.{name}", **params)
    if SCHEDULES[name].yaml_only:
        config = tmp_path / "c.yaml"
        config.write_text(json.dumps({"schedules": [{"type": f"optax.{name}", **body}]}))
        result = run_cli(["run", str(config), "--steps", str(n), "--emit", "optax"])
    else:
        result = run_cli(["optax", name, *flags(body), "--steps", str(n), "--emit", "optax"])
    assert result.code == 0, result.stderr
    script = result.stdout
    assert f"optax.{SCHEDULES[name].origin_name}(" in script and "float32" in script
    x64 = np.array(_run_script(script, x64=True))
    assert len(x64) == n and worst(got.lr, x64) <= X64_TOLERANCE
    f32 = np.array(_run_script(script, x64=False))
    expected = float32_expected(name, body, got.lr)
    assert np.all(np.abs(expected - f32) <= float32_tolerance(name, body, got.lr))


# --- join_schedules -----------------------------------------------------------------------------

JOIN_PIECES = {
    "linear": ("linear_schedule", {"init_value": 0.0, "end_value": 1e-3, "transition_steps": 100}),
    "cosine_decay": ("cosine_decay_schedule", {"init_value": 1e-3, "decay_steps": 900, "alpha": 0.1}),
    "exponential_decay": ("exponential_decay", {"init_value": 5e-4, "transition_steps": 50, "decay_rate": 0.5,
                                                "staircase": True}),
    "constant": ("constant_schedule", {"value": 2e-4}),
}


@pytest.mark.parametrize("pieces,boundaries", [
    (["linear", "cosine_decay"], [100]),
    (["linear", "exponential_decay", "constant"], [100, 400]),
    (["constant", "linear"], [0]),
    (["cosine_decay", "linear", "constant"], [300, 200]),  # not increasing: optax's order decides
])
def test_join_schedules_is_optax_join_schedules(pieces, boundaries, optax, tmp_path):
    import jax
    import jax.numpy as jnp

    n = 1200
    config = tmp_path / "join.yaml"
    children = [{"type": f"optax.{p}", **JOIN_PIECES[p][1]} for p in pieces]
    config.write_text(json.dumps({"schedules": [{"type": "optax.join_schedules", "boundaries": boundaries,
                                                 "schedules": children}]}))
    result = run_cli(["run", str(config), "--steps", str(n), "-o", "-"])
    assert result.code == 0, result.stderr
    ours = np.array([float(r[1]) for r in list(csv.reader(io.StringIO(result.stdout)))[1:]])
    with precision(True):
        fns = [getattr(optax, JOIN_PIECES[p][0])(**JOIN_PIECES[p][1]) for p in pieces]
        joined = optax.join_schedules(fns, boundaries)
        theirs = np.array([float(joined(jnp.asarray(s))) for s in range(n)])
    assert np.max(np.abs(ours - theirs)) <= 1e-12 * np.max(np.abs(theirs))
    assert ("not increasing" in result.stderr) == (boundaries != sorted(boundaries))
    del jax


def test_join_schedules_through_code_and_emit(optax):
    source = ("optax.join_schedules([optax.linear_schedule(0.0, 1e-3, 100), "
              "optax.cosine_decay_schedule(1e-3, 900)], [100])")
    ours = run_cli(["code", source, "-o", "-"])
    assert ours.code == 0, ours.stderr
    emitted = run_cli(["code", source, "--emit", "optax"])
    assert "optax.join_schedules(" in emitted.stdout
    namespace: dict[str, Any] = {}
    with precision(True):
        exec(compile(emitted.stdout, "<emitted>", "exec"), namespace)
    rows = [float(r[1]) for r in list(csv.reader(io.StringIO(ours.stdout)))[1:]]
    assert np.max(np.abs(np.array(namespace["lrs"]) - np.array(rows))) <= 1e-12 * max(rows)


def test_join_schedules_refuses_other_frameworks_and_missing_boundaries(tmp_path):
    config = tmp_path / "join.yaml"
    config.write_text(json.dumps({"schedules": [{"type": "optax.join_schedules", "boundaries": [10],
                                                 "schedules": [{"type": "optax.constant", "value": 1.0},
                                                               {"type": "cosine", "t_max": 10}]}]}))
    result = run_cli(["run", str(config)])
    assert result.code == 1 and "join_schedules joins optax schedules" in result.stderr
    config.write_text(json.dumps({"schedules": [{"type": "optax.join_schedules", "boundaries": [],
                                                 "schedules": [{"type": "optax.constant", "value": 1.0},
                                                               {"type": "optax.constant", "value": 2.0}]}]}))
    result = run_cli(["run", str(config)])
    assert result.code == 1 and "boundaries needs 1 value for 2 schedules" in result.stderr
