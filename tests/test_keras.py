"""lrplot's Keras namespace against Keras 3.15.1 (jax backend): golden curves (no library needed),
the fast paths for long ranges, warnings and refusals, and, with Keras installed, random parameters
through the library API and through the CLI into CSV, in float64 and in Keras' default float32,
the emitted scripts run, and the quirks lrplot warns about shown on Keras itself.

float64 is Keras with floatx float64, jax_enable_x64, and float64 kept through cos/floor/ceil (see
tests/reference_keras.py, which sets and restores all three); lrplot must be within 1e-12 of the
curve's scale there, and within the first-order float32 error model of Keras by default.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import shlex
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lrplot.engine import curve
from lrplot.errors import LrplotError
from lrplot.registry import FAST_FROM, schedules_of
from lrplot.schedules import keras as ks
from tests.conftest import run_cli
from tests.libraries import reference
from tests.reference_keras import (
    CLASSES,
    assert_matches_keras,
    compare,
    keras_rows,
    precision,
    scale_of,
)

GOLDEN = json.loads((Path(__file__).parent / "golden" / "keras.json").read_text())
CASES = GOLDEN["cases"]
SCHEDULES = schedules_of("keras")
NAMES = list(SCHEDULES)
MAX_ROWS = 2000
LIVE = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# CosineDecayRestarts' ops.cond is compiled anew at every call (~0.1 s): fewer of those.
SLOW = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THROUGH_CLI = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def keras():
    return reference("keras")


def lrplot_curve(name: str, params: dict[str, Any], rows: int):
    return curve(f"keras.{name}", **params, steps=rows)


# --- golden curves ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_golden(case):
    got = curve(case["schedule"], **case["params"], steps=case["rows"])
    assert len(got.lr) == case["rows"]
    assert_matches_keras(case["schedule"], got.params, got.lr, np.array(case["lr"]), "float64", case["id"])


def test_golden_covers_every_schedule_and_argument():
    used: dict[str, set[str]] = {}
    for case in CASES:
        used.setdefault(case["schedule"].split(".", 1)[1], set()).update(case["params"])
    assert set(used) == set(NAMES)
    for name, schedule in SCHEDULES.items():
        assert {p.name for p in schedule.params if p.argument} == used[name], name


def test_golden_rows_where_the_formula_is_exact():
    """Rows that Keras' arithmetic gives exactly are exact here too."""
    for case in CASES:
        lr, p, name = np.array(case["lr"]), case["params"], case["schedule"].split(".", 1)[1]
        got = curve(case["schedule"], **p, steps=case["rows"]).lr
        if name == "piecewise-constant-decay":
            np.testing.assert_array_equal(got, lr)
        if name in ("exponential-decay", "inverse-time-decay", "polynomial-decay"):
            assert got[0] == lr[0] == p["initial_learning_rate"]
        if name == "cosine-decay" and p["warmup_target"] is None:
            # cos(pi) = -1 exactly: the decay ends on initial_learning_rate * alpha.
            assert got[p["decay_steps"]] == lr[p["decay_steps"]] == p["initial_learning_rate"] * p["alpha"]


# --- the fast route for long ranges ----------------------------------------------------------------

LONG = [
    ("exponential-decay", {"initial_learning_rate": 0.1, "decay_steps": 1000, "decay_rate": 0.96}),
    ("exponential-decay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.99}),
    ("exponential-decay", {"initial_learning_rate": 2.0, "decay_steps": 1, "decay_rate": 0.9995}),
    ("exponential-decay", {"initial_learning_rate": 0.1, "decay_steps": 300, "decay_rate": 0.5,
                           "staircase": True}),
    ("exponential-decay", {"initial_learning_rate": 0.1, "decay_steps": 5000, "decay_rate": 1.0001}),
    ("inverse-time-decay", {"initial_learning_rate": 0.1, "decay_steps": 100, "decay_rate": 0.5}),
    ("inverse-time-decay", {"initial_learning_rate": 0.1, "decay_steps": 30, "decay_rate": 2.0,
                            "staircase": True}),
    ("polynomial-decay", {"initial_learning_rate": 0.1, "decay_steps": 40000, "power": 2.0}),
    ("polynomial-decay", {"initial_learning_rate": 0.1, "decay_steps": 20000, "power": 0.5,
                          "end_learning_rate": 0.01, "cycle": True}),
    ("polynomial-decay", {"initial_learning_rate": 0.1, "decay_steps": 300, "power": 3.0, "cycle": True}),
    ("polynomial-decay", {"initial_learning_rate": 0.1, "decay_steps": 20000, "power": 0.0}),
    ("piecewise-constant-decay", {"boundaries": [100, 20000, 40000], "values": [0.1, 0.05, 0.01, 0.001]}),
    ("cosine-decay", {"initial_learning_rate": 0.1, "decay_steps": 50000, "alpha": 0.1}),
    ("cosine-decay", {"initial_learning_rate": 0.0, "decay_steps": 30000, "warmup_target": 0.1,
                      "warmup_steps": 20000}),
    ("cosine-decay", {"initial_learning_rate": 0.3, "decay_steps": 100, "warmup_target": 0.1,
                      "warmup_steps": 100}),
    ("cosine-decay-restarts", {"initial_learning_rate": 0.1, "first_decay_steps": 1000}),
    ("cosine-decay-restarts", {"initial_learning_rate": 0.1, "first_decay_steps": 20000, "t_mul": 1.0,
                               "m_mul": 0.5, "alpha": 0.1}),
    ("cosine-decay-restarts", {"initial_learning_rate": 0.1, "first_decay_steps": 100, "t_mul": 1.0}),
    ("cosine-decay-restarts", {"initial_learning_rate": 0.1, "first_decay_steps": 30, "t_mul": 1.0,
                               "m_mul": 0.9}),
    ("cosine-decay-restarts", {"initial_learning_rate": 0.1, "first_decay_steps": 17000, "t_mul": 1.5,
                               "m_mul": 1.2, "alpha": 0.05}),
    ("cosine-decay-restarts", {"initial_learning_rate": 0.1, "first_decay_steps": 90000, "t_mul": 0.5}),
]


@pytest.mark.parametrize("first", [0, 12345])
@pytest.mark.parametrize(("name", "params"), LONG, ids=[f"{n}-{i}" for i, (n, _) in enumerate(LONG)])
def test_long_ranges_equal_the_formula(name, params, first):
    schedule = SCHEDULES[name]
    n = 3 * FAST_FROM + 777
    spec_params = curve(f"keras.{name}", **params, steps=1).params
    fast = schedule.rows(first, n, spec_params)
    plain = schedule.curve(np.arange(first, first + n, dtype=np.float64), spec_params)
    scale = float(np.max(np.abs(plain))) or 1.0
    assert float(np.max(np.abs(fast - plain))) <= 1e-13 * scale


# --- parameters, refusals and limits ---------------------------------------------------------------


def test_no_lr_parameter_and_keras_names_and_defaults(keras):
    import inspect

    for name, schedule in SCHEDULES.items():
        names = [p.name for p in schedule.params]
        assert "lr" not in names
        signature = inspect.signature(getattr(keras.optimizers.schedules, CLASSES[name]))
        arguments = {k: v for k, v in signature.parameters.items() if k != "name"}
        assert [p.name for p in schedule.params if p.argument] == list(arguments), name
        for param in schedule.params:
            if not param.argument:
                continue
            keras_default = arguments[param.name].default
            if keras_default is inspect.Parameter.empty:
                assert param.required, (name, param.name)
            else:
                assert not param.required and param.default == keras_default, (name, param.name)


def test_float_list_parses_flags_and_yaml():
    kind = ks.FloatList("values", "", ge=0)
    assert kind.parse("0.1, 0.01,1e-3") == (0.1, 0.01, 0.001)
    assert kind.parse([1, 0.5]) == (1.0, 0.5)
    assert kind.parse(0.5) == (0.5,)
    for bad in ("", "0.1,,0.2", "a,b", [True], "-1", [], "nan", {"a": 1}):
        with pytest.raises(Exception) as caught:
            kind.parse(bad)
        assert "values" in caught.value.render(lambda n: n)


REFUSALS = [
    (["exponential-decay", "--initial-learning-rate", "0.1", "--decay-steps", "0", "--decay-rate", "0.5"],
     "--decay-steps must be an integer >= 1"),
    (["exponential-decay", "--initial-learning-rate", "0.1", "--decay-steps", "10"],
     "--decay-rate is required"),
    (["exponential-decay", "--initial-learning-rate", "0.1", "--decay-steps", "10", "--decay-rate", "-0.5"],
     "--decay-rate must be a number >= 0"),
    (["polynomial-decay", "--initial-learning-rate", "0.1", "--decay-steps", "-3"], "--decay-steps"),
    (["polynomial-decay", "--initial-learning-rate", "0.1", "--decay-steps", "3", "--power", "-1"],
     "--power must be a number >= 0"),
    (["inverse-time-decay", "--initial-learning-rate", "0.1", "--decay-steps", "0", "--decay-rate", "1"],
     "--decay-steps"),
    (["cosine-decay", "--initial-learning-rate", "0.1", "--decay-steps", "0"], "--decay-steps"),
    (["cosine-decay", "--decay-steps", "10"], "--initial-learning-rate is required"),
    (["cosine-decay", "--initial-learning-rate", "0.1", "--decay-steps", "10", "--warmup-steps", "-1"],
     "--warmup-steps"),
    (["cosine-decay-restarts", "--initial-learning-rate", "0.1", "--first-decay-steps", "0"],
     "--first-decay-steps"),
    (["cosine-decay-restarts", "--initial-learning-rate", "0.1", "--first-decay-steps", "10", "--t-mul", "0"],
     "--t-mul must be a number > 0"),
    (["piecewise-constant-decay", "--boundaries", "10,20", "--values", "0.1,0.01"],
     "--values needs one more number than --boundaries"),
    (["piecewise-constant-decay", "--boundaries", "20,10", "--values", "0.1,0.01,0.001"],
     "--boundaries must be strictly increasing"),
    (["piecewise-constant-decay", "--boundaries", "10", "--values", "0.1,x"], "--values must be"),
    (["cosine-decay", "--initial-learning-rate", "0.1", "--decay-steps", "10", "--lr", "0.1"], "--lr"),
    (["cosine-decay", "--initial-learning-rate", "0.1", "--decay-steps", "10",
      "--gradient-accumulation-steps", "1"], "--gradient-accumulation-steps must be an integer >= 2"),
    # Past these rows Keras' rate is NaN (t_mul < 1) or overflows float64 (growth).
    (["cosine-decay-restarts", "--initial-learning-rate", "0.1", "--first-decay-steps", "10", "--t-mul",
      "0.5", "--steps", "21"], "from step 20 Keras' rate is NaN"),
    (["exponential-decay", "--initial-learning-rate", "0.1", "--decay-steps", "1", "--decay-rate", "2",
      "--steps", "2000"], "passes the largest float64"),
    (["cosine-decay-restarts", "--initial-learning-rate", "0.1", "--first-decay-steps", "1", "--t-mul",
      "1", "--m-mul", "2", "--steps", "5000"], "--m-mul"),
]


@pytest.mark.parametrize(("args", "message"), REFUSALS, ids=[" ".join(a[:1] + a[-2:]) for a, _ in REFUSALS])
def test_refusal_is_one_line_and_exit_2(args, message):
    result = run_cli(["keras", *args, "-o", "-"])
    assert result.code == 2, result.stdout
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert message in lines[0], lines[0]


KERAS_REFUSES = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 0, "decay_rate": 0.5}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 0}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": -1, "decay_rate": 0.5}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 0}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 0}),
    ("PiecewiseConstantDecay", {"boundaries": [10, 20], "values": [0.1, 0.01]}),
]


@pytest.mark.parametrize(("cls", "params"), KERAS_REFUSES, ids=[c for c, _ in KERAS_REFUSES])
def test_keras_raises_where_lrplot_refuses(keras, cls, params):
    with pytest.raises(ValueError):
        getattr(keras.optimizers.schedules, cls)(**params)


def test_limits_are_where_keras_stops(keras):
    """t_mul < 1: Keras' rate is finite before the step lrplot names and NaN at it or at the step
    after (its float32 and float64 differ, and XLA may fuse 1 - frac * (1 - t_mul) into one
    rounding: lrplot stops at the earliest)."""
    for d, t_mul in [(20, 0.9), (7, 0.3)]:
        params = {"initial_learning_rate": 0.1, "first_decay_steps": d, "t_mul": t_mul}
        rows, why = ks.restarts_limit({**params, "m_mul": 1.0, "alpha": 0.0})
        for floatx in ("float64", "float32"):
            ref = keras_rows("keras.cosine-decay-restarts", params, rows + 2, floatx)
            assert np.all(np.isfinite(ref[:rows])) and np.isnan(ref[rows:]).any(), (d, t_mul, floatx)
        assert f"from step {rows}" in why.template


# --- warnings --------------------------------------------------------------------------------------

WARNED = [
    ("cosine-decay", {"initial_learning_rate": 0.1, "decay_steps": 10, "warmup_steps": 5},
     "warmup_steps 5 has no effect without warmup_target"),
    ("cosine-decay", {"initial_learning_rate": 0.5, "decay_steps": 10, "warmup_target": 0.1},
     "there is no warm-up, the decay starts at step 0 from warmup_target"),
    ("cosine-decay", {"initial_learning_rate": 0.1, "decay_steps": 10, "alpha": 1.5}, "alpha 1.5 >= 1"),
    ("cosine-decay-restarts", {"initial_learning_rate": 0.1, "first_decay_steps": 10, "alpha": 1.0},
     "the rate stays flat"),
    ("polynomial-decay", {"initial_learning_rate": 0.1, "decay_steps": 10, "cycle": True},
     "restarts lower each time"),
    ("cosine-decay-restarts", {"initial_learning_rate": 0.1, "first_decay_steps": 10, "m_mul": 0.5,
                               "alpha": 0.1}, "m_mul scales only the cosine above the floor"),
    ("cosine-decay-restarts", {"initial_learning_rate": 0.1, "first_decay_steps": 64, "t_mul": 1.25},
     "restarts at steps 64, 144, 244 fall exactly on a step"),
    ("cosine-decay-restarts", {"initial_learning_rate": 0.1, "first_decay_steps": 100, "t_mul": 0.8},
     "t_mul 0.8 < 1: each cycle is shorter"),
    ("exponential-decay", {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5,
                           "gradient_accumulation_steps": 4}, "train with rows 3, 7, 11, 15 and"),
    ("exponential-decay", {"initial_learning_rate": 0.1, "decay_steps": 61, "decay_rate": 0.5,
                           "staircase": True}, "drops one step late at steps 61, 122, 183, 244 and 3 more"),
    ("inverse-time-decay", {"initial_learning_rate": 0.1, "decay_steps": 97, "decay_rate": 0.5,
                            "staircase": True, "steps": 400}, "drops one step late at steps 97, 194, 388:"),
    ("polynomial-decay", {"initial_learning_rate": 0.1, "decay_steps": 7, "cycle": True},
     "the cycles ending at steps 21 give that step to the next cycle"),
    ("cosine-decay-restarts", {"initial_learning_rate": 0.1, "first_decay_steps": 61, "t_mul": 1.0,
                               "steps": 200}, "the restarts at steps 61, 122, 183 come one step late"),
]


@pytest.mark.parametrize(("name", "params", "phrase"), WARNED,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(WARNED)])
def test_warning_fires(name, params, phrase):
    found = curve(f"keras.{name}", **params).warnings
    assert any(phrase in w for w in found), found


QUIET = [
    ("exponential-decay", {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}),
    ("inverse-time-decay", {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5,
                            "staircase": True}),
    ("polynomial-decay", {"initial_learning_rate": 0.1, "decay_steps": 10}),
    ("polynomial-decay", {"initial_learning_rate": 0.1, "decay_steps": 10, "cycle": True, "steps": 11}),
    ("piecewise-constant-decay", {"boundaries": [3, 6], "values": [0.3, 0.2, 0.1]}),
    ("cosine-decay", {"initial_learning_rate": 0.1, "decay_steps": 10, "alpha": 0.1}),
    ("cosine-decay", {"initial_learning_rate": 0.0, "decay_steps": 10, "warmup_target": 0.1,
                      "warmup_steps": 3}),
    # t_mul 2 (a power of two): restarts on steps, found exactly.
    ("cosine-decay-restarts", {"initial_learning_rate": 0.1, "first_decay_steps": 10}),
    ("cosine-decay-restarts", {"initial_learning_rate": 0.1, "first_decay_steps": 10, "t_mul": 1.0,
                               "m_mul": 0.5}),
    ("cosine-decay-restarts", {"initial_learning_rate": 0.1, "first_decay_steps": 64, "t_mul": 1.25,
                               "steps": 64}),
]


@pytest.mark.parametrize(("name", "params"), QUIET, ids=[f"{n}-{i}" for i, (n, _) in enumerate(QUIET)])
def test_no_warning_elsewhere(name, params):
    assert curve(f"keras.{name}", **params).warnings == ()


def test_float32_step_warning_from_2_to_the_24():
    params = curve("keras.piecewise-constant-decay", boundaries=[10], values=[0.1, 0.01]).params
    assert SCHEDULES["piecewise-constant-decay"].warn(params, 2**24) == ()
    found = SCHEDULES["piecewise-constant-decay"].warn(params, 2**24 + 1)
    assert len(found) == 1 and "2^24" in found[0]


def test_warnings_go_to_stderr_once():
    result = run_cli(["keras", "cosine-decay", "--initial-learning-rate", "0.1", "--decay-steps", "10",
                      "--warmup-steps", "5", "-o", "-"])
    assert result.code == 0
    assert result.stderr.count("Warning: ") == 1 and "has no effect" in result.stderr
    assert result.stdout.startswith("step,lr\n")


# --- the quirks, on Keras itself --------------------------------------------------------------------


def test_warmup_steps_without_target_are_ignored_by_keras(keras):
    base = {"initial_learning_rate": 0.1, "decay_steps": 10}
    with_steps = keras_rows("keras.cosine-decay", {**base, "warmup_steps": 5}, 15, "float32")
    np.testing.assert_array_equal(with_steps, keras_rows("keras.cosine-decay", base, 15, "float32"))


def test_warmup_target_without_steps_ignores_the_initial_rate_in_keras(keras):
    one = keras_rows("keras.cosine-decay", {"initial_learning_rate": 0.5, "decay_steps": 10,
                                            "warmup_target": 0.1}, 12, "float32")
    two = keras_rows("keras.cosine-decay", {"initial_learning_rate": 0.0, "decay_steps": 10,
                                            "warmup_target": 0.1}, 12, "float32")
    np.testing.assert_array_equal(one, two)
    assert one[0] == np.float32(0.1)


def test_cosine_decay_counts_decay_steps_after_the_warm_up(keras):
    params = {"initial_learning_rate": 0.0, "decay_steps": 10, "warmup_target": 0.1, "warmup_steps": 5}
    ref = keras_rows("keras.cosine-decay", params, 20, "float64")
    assert ref[5] == 0.1 and ref[15] == 0.0 and ref[10] > 0
    assert ks.derived_cosine(curve("keras.cosine-decay", **params).params)["decay_ends_at_step"] == 15


def test_polynomial_cycles_restart_lower_in_keras(keras):
    params = {"initial_learning_rate": 0.1, "decay_steps": 10, "end_learning_rate": 0.0, "cycle": True}
    ref = keras_rows("keras.polynomial-decay", params, 31, "float64")
    assert ref[0] == 0.1 and ref[10] == 0.0 and ref[20] == 0.0
    assert ref[11] == pytest.approx(0.1 * (1 - 11 / 20)) and ref[21] == pytest.approx(0.1 * (1 - 21 / 30))


def test_restart_peaks_in_keras_are_alpha_plus_scaled_cosine(keras):
    params = {"initial_learning_rate": 0.1, "first_decay_steps": 10, "t_mul": 1.0, "m_mul": 0.5,
              "alpha": 0.2}
    ref = keras_rows("keras.cosine-decay-restarts", params, 21, "float64")
    assert ref[10] == pytest.approx(0.1 * (0.2 + 0.8 * 0.5))
    assert ref[20] == pytest.approx(0.1 * (0.2 + 0.8 * 0.25))


def test_keras_puts_some_restarts_on_steps_one_step_late(keras):
    """t_mul 1.25, first 64: restarts at 64, 144, 244, 369. Keras' float32 logarithms put most of
    them in the cycle before (the rate there is the trough); lrplot restarts on the step and warns."""
    params = {"initial_learning_rate": 0.1, "first_decay_steps": 64, "t_mul": 1.25}
    ref = keras_rows("keras.cosine-decay-restarts", params, 400, "float32")
    ours = lrplot_curve("cosine-decay-restarts", params, 400)
    late = [s for s in (64, 144, 244, 369) if ref[s] < 0.01]
    assert late, "Keras placed every restart on its step this time"
    for step in late:
        assert ours.lr[step] == pytest.approx(0.1)
        assert ref[step + 1] == pytest.approx(ours.lr[step + 1], rel=1e-5)
    assert any("244" in w for w in ours.warnings)


def test_keras_float32_divides_by_the_reciprocal(keras):
    """Keras' float32 on jax takes t / d as t * (1/d): at the steps lrplot names its staircase
    drops late, its t_mul-1 restart comes late and its polynomial cycle ends early; its float64
    (as shipped: the floor of a float32 of the quotient) does not."""
    cases = [
        ("exponential-decay", {"initial_learning_rate": 1.0, "decay_steps": 61, "decay_rate": 0.5,
                               "staircase": True}, 61, 0.5),
        ("cosine-decay-restarts", {"initial_learning_rate": 1.0, "first_decay_steps": 61, "t_mul": 1.0,
                                   "alpha": 0.25}, 61, 1.0),
        ("polynomial-decay", {"initial_learning_rate": 1.0, "decay_steps": 7, "end_learning_rate": 0.0,
                              "cycle": True}, 21, 0.0),
    ]
    for name, params, step, exact in cases:
        ours = lrplot_curve(name, params, step + 2).lr
        assert ours[step] == exact
        single = keras_rows(f"keras.{name}", params, step + 2, "float32")
        assert abs(single[step] - exact) > 0.2, name
        assert abs(keras_rows(f"keras.{name}", params, step + 2, "float64-as-shipped")[step] - exact) < 1e-7


def test_gradient_accumulation_does_not_divide_the_schedule_step(keras):
    """A real optimizer: its rate at iteration t is row t, with or without gradient accumulation;
    with gradient_accumulation_steps K it updates only at iterations K-1, 2K-1, ..., with that
    iteration's rate (the weight moves by -rate * gradient, gradient 1)."""
    params = {"initial_learning_rate": 0.1, "decay_steps": 1, "decay_rate": 0.5}
    for k, n in ((None, 4), (3, 8)):
        rows = lrplot_curve("exponential-decay", params, n).lr
        schedule = keras.optimizers.schedules.ExponentialDecay(**params)
        optimizer = keras.optimizers.SGD(learning_rate=schedule, gradient_accumulation_steps=k)
        weight = keras.Variable(0.0)
        rates, moves = [], []
        for _ in range(n):
            before = float(weight.value)
            rates.append(float(optimizer.learning_rate))
            optimizer.apply([keras.ops.ones(())], [weight])
            moves.append(before - float(weight.value))
        np.testing.assert_allclose(rates, rows, rtol=1e-6)
        updates = [t for t in range(n) if k is None or t % k == k - 1]
        np.testing.assert_allclose(np.array(moves)[updates], rows[updates], rtol=1e-3)
        assert all(m == 0 for t, m in enumerate(moves) if t not in updates)


def test_vectorized_map_equals_step_by_step(keras):
    """The reference maps CosineDecay-with-warm-up over the steps (its cond needs a scalar step):
    the numbers of one call per step, to an ulp or two (XLA compiles the two differently)."""
    params = {"initial_learning_rate": 0.01, "decay_steps": 3, "warmup_target": 0.1, "warmup_steps": 3,
              "alpha": 0.1}
    for floatx, eps in (("float32", 2.0**-23), ("float64", 2.0**-52)):
        mapped = keras_rows("keras.cosine-decay", params, 8, floatx)
        stepped = keras_rows("keras.cosine-decay", params, 8, floatx, step_by_step=True)
        assert np.max(np.abs(mapped - stepped)) <= 2 * eps * scale_of(stepped), floatx


def test_keras_float64_as_shipped_keeps_cos_in_float32(keras):
    """On jax, Keras 3.15's floatx float64 still takes cos in float32: its cosine is float32-close
    to lrplot's, not 1e-12-close (the reference's float64 mode restores float64 there)."""
    params = {"initial_learning_rate": 0.1, "decay_steps": 100}
    ours = lrplot_curve("cosine-decay", params, 101)
    shipped = keras_rows("keras.cosine-decay", params, 101, "float64-as-shipped")
    assert compare("keras.cosine-decay", ours.params, ours.lr, shipped, "float64")["worst"] > 1
    assert compare("keras.cosine-decay", ours.params, ours.lr, shipped, "float32")["worst"] <= 1
    exact = keras_rows("keras.cosine-decay", params, 101, "float64")
    assert compare("keras.cosine-decay", ours.params, ours.lr, exact, "float64")["worst"] <= 1


def test_precision_is_restored(keras):
    import jax

    before = (keras.config.floatx(), jax.config.jax_enable_x64)
    with contextlib.suppress(RuntimeError), precision("float64"):
        assert keras.config.floatx() == "float64"
        raise RuntimeError
    assert (keras.config.floatx(), jax.config.jax_enable_x64) == before


# --- random parameters against Keras ----------------------------------------------------------------


def log_uniform(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(np.log10(low), np.log10(high)).map(lambda e: float(10.0**e))


rates = st.one_of(log_uniform(1e-6, 10.0), st.just(0.0), st.sampled_from([0.1, 1e-3]))
lengths = st.one_of(st.integers(1, 5), st.integers(1, 600))
rows = st.one_of(st.integers(1, 50), st.integers(50, MAX_ROWS))


@st.composite
def exponential_cases(draw):
    decay_rate = draw(st.one_of(log_uniform(1e-4, 1.0), st.floats(0.9, 1.0), st.floats(1.0, 1.05),
                                st.sampled_from([0.0, 0.5, 0.96, 1.0])))
    return {"initial_learning_rate": draw(rates), "decay_steps": draw(lengths), "decay_rate": decay_rate,
            "staircase": draw(st.booleans())}, draw(rows)


@st.composite
def inverse_cases(draw):
    decay_rate = draw(st.one_of(log_uniform(1e-4, 10.0), st.sampled_from([0.0, 0.5, 1.0])))
    return {"initial_learning_rate": draw(rates), "decay_steps": draw(lengths), "decay_rate": decay_rate,
            "staircase": draw(st.booleans())}, draw(rows)


@st.composite
def polynomial_cases(draw):
    a = draw(rates)
    end = draw(st.one_of(st.just(1e-4), st.just(0.0), st.floats(0, 1).map(lambda f: a * f),
                         st.floats(1, 3).map(lambda f: a * f)))
    # (A power below float32's range is 0 in Keras' float32, and 0^0 = 1: not round-off.)
    power = draw(st.one_of(st.sampled_from([0.0, 0.5, 1.0, 2.0]), st.floats(0.01, 5.0)))
    return {"initial_learning_rate": a, "decay_steps": draw(lengths), "end_learning_rate": end,
            "power": power, "cycle": draw(st.booleans())}, draw(rows)


@st.composite
def piecewise_cases(draw):
    boundaries = sorted(draw(st.sets(st.integers(0, 1500), min_size=1, max_size=6)))
    values = draw(st.lists(st.one_of(rates, st.floats(0.0, 1.0)), min_size=len(boundaries) + 1,
                           max_size=len(boundaries) + 1))
    return {"boundaries": boundaries, "values": values}, draw(rows)


@st.composite
def cosine_cases(draw):
    params = {"initial_learning_rate": draw(rates), "decay_steps": draw(lengths),
              "alpha": draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0), st.floats(1.0, 2.0))),
              "warmup_target": draw(st.one_of(st.none(), rates)),
              "warmup_steps": draw(st.one_of(st.just(0), st.integers(0, 5), st.integers(0, 600)))}
    return params, draw(rows)


@st.composite
def restarts_cases(draw):
    t_mul = draw(st.one_of(st.sampled_from([1.0, 2.0, 3.0, 1.25, 1.5, 0.5, 0.75]), st.floats(1.01, 4.0),
                           st.floats(0.3, 0.99)))
    d = draw(lengths)
    params = {"initial_learning_rate": draw(rates), "first_decay_steps": d, "t_mul": t_mul,
              "m_mul": draw(st.one_of(st.just(1.0), st.floats(0.3, 1.5))),
              "alpha": draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0)))}
    n = draw(rows)
    if t_mul < 1:
        # Shrinking cycles: stop where they are still 16 steps and 1/500 of the run long; past that
        # Keras' phase is a difference of numbers ~t/first over a cycle ~t_mul^i, and rounding
        # (in any backend) decides the rate, not the formula.
        shortest = max(16.0, d / (1 - t_mul) / 500)
        if d <= shortest:
            n = min(n, d)
        else:
            cycles = math.floor(math.log(shortest / d) / math.log(t_mul))
            n = min(n, max(1, math.floor(d * (1 - t_mul**cycles) / (1 - t_mul))))
    return params, n


STRATEGIES = {
    "exponential-decay": exponential_cases(),
    "inverse-time-decay": inverse_cases(),
    "polynomial-decay": polynomial_cases(),
    "piecewise-constant-decay": piecewise_cases(),
    "cosine-decay": cosine_cases(),
    "cosine-decay-restarts": restarts_cases(),
}


def ours_or_refused(name: str, params: dict[str, Any], n: int):
    try:
        return lrplot_curve(name, params, n)
    except LrplotError:
        assume(False)  # past a limit (overflow, NaN): the refusals have their own tests


def check_against_keras(name: str, params: dict[str, Any], n: int) -> None:
    got = ours_or_refused(name, params, n)
    for floatx in ("float64", "float32"):
        ref = keras_rows(f"keras.{name}", params, n, floatx)
        assert_matches_keras(name, got.params, got.lr, ref, floatx)


def _live(name: str, speed: settings):
    @speed
    @given(case=STRATEGIES[name])
    def test(keras, case):
        params, n = case
        check_against_keras(name, params, n)

    test.__name__ = f"test_{name.replace('-', '_')}_matches_keras"
    return test


test_exponential_decay_matches_keras = _live("exponential-decay", LIVE)
test_inverse_time_decay_matches_keras = _live("inverse-time-decay", LIVE)
test_polynomial_decay_matches_keras = _live("polynomial-decay", LIVE)
test_piecewise_constant_decay_matches_keras = _live("piecewise-constant-decay", LIVE)
test_cosine_decay_matches_keras = _live("cosine-decay", LIVE)
test_cosine_decay_restarts_matches_keras = _live("cosine-decay-restarts", SLOW)


def flags(params: dict[str, Any]) -> list[str]:
    out = []
    for key, value in params.items():
        flag = "--" + key.replace("_", "-")
        if value is None:
            continue
        if isinstance(value, bool):
            out.append(flag if value else f"--no-{key.replace('_', '-')}")
        elif isinstance(value, (list, tuple)):
            out += [flag, ",".join(repr(v) for v in value)]
        else:
            out += [flag, repr(value)]
    return out


def csv_rates(text: str) -> np.ndarray:
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:2] == ["step", "lr"]
    return np.array([float(row[1]) for row in table[1:]])


@THROUGH_CLI
@given(data=st.data())
def test_cli_csv_matches_keras(keras, data):
    name = data.draw(st.sampled_from(NAMES))
    params, n = data.draw(STRATEGIES[name])
    got = ours_or_refused(name, params, n)
    result = run_cli(["keras", name, *flags(params), "--steps", str(n), "-o", "-"])
    assert result.code == 0, result.stderr
    lr = csv_rates(result.stdout)
    np.testing.assert_array_equal(lr, got.lr)  # the CSV round-trips every float
    assert_matches_keras(name, got.params, lr, keras_rows(f"keras.{name}", params, n, "float64"), "float64")


# --- emitted code ---------------------------------------------------------------------------------

EMITTED = [
    ("exponential-decay", "--initial-learning-rate 0.1 --decay-steps 3 --decay-rate 0.5 --staircase", 20),
    ("piecewise-constant-decay", "--boundaries 3,6 --values 0.3,0.2,0.1", 10),
    ("polynomial-decay", "--initial-learning-rate 0.1 --decay-steps 5 --power 0.5 --cycle", 16),
    ("inverse-time-decay", "--initial-learning-rate 0.1 --decay-steps 2 --decay-rate 0.5", 10),
    ("cosine-decay", "--initial-learning-rate 0 --decay-steps 8 --warmup-target 0.1 --warmup-steps 3 "
     "--alpha 0.1", 14),
    ("cosine-decay-restarts", "--initial-learning-rate 0.1 --first-decay-steps 4 --t-mul 1.5 --m-mul 0.8 "
     "--alpha 0.05 --gradient-accumulation-steps 2", 12),
]


@pytest.mark.parametrize(("name", "args", "n"), EMITTED, ids=[n for n, _, _ in EMITTED])
def test_emitted_script_runs_and_reproduces_the_curve(keras, name, args, n):
    result = run_cli(["keras", name, *shlex.split(args), "--steps", str(n), "--emit", "keras"])
    assert result.code == 0, result.stderr
    script = result.stdout
    assert "KERAS_BACKEND" in script and f"keras.optimizers.schedules.{CLASSES[name]}(" in script
    printed = io.StringIO()
    namespace: dict[str, Any] = {"print": lambda *a: printed.write(" ".join(map(str, a)) + "\n")}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(compile(script, "<emitted>", "exec"), namespace)
    lrs = np.array(namespace["lrs"])
    assert printed.getvalue().split() == [repr(float(x)) for x in lrs]
    got = run_cli(["keras", name, *shlex.split(args), "--steps", str(n), "-o", "-"])
    ours = csv_rates(got.stdout)
    params = curve(f"keras.{name}", **_parsed(name, args), steps=n).params
    assert_matches_keras(name, params, ours, lrs, "float32")


def _parsed(name: str, args: str) -> dict[str, Any]:
    """The flags of ``args`` as keyword parameters (switches true)."""
    words, out = shlex.split(args), {}
    i = 0
    while i < len(words):
        key = words[i][2:].replace("-", "_")
        if i + 1 < len(words) and not words[i + 1].startswith("--"):
            out[key] = words[i + 1]
            i += 2
        else:
            out[key] = True
            i += 1
    return out


def test_emitted_script_names_only_keras_arguments():
    spec = curve("keras.cosine-decay", initial_learning_rate=0.0, decay_steps=8, warmup_target=0.1,
                 warmup_steps=3, gradient_accumulation_steps=4)
    script = SCHEDULES["cosine-decay"].emit(spec.params, 12, "label")
    assert ("    initial_learning_rate=0.0,\n    decay_steps=8,\n    warmup_target=0.1,\n"
            "    warmup_steps=3,\n") in script
    assert "gradient_accumulation_steps=4)" in script and "alpha" not in script
    assert "range(12)" in script


# --- the namespace ---------------------------------------------------------------------------------


def test_yaml_takes_lists_for_boundaries_and_values(tmp_path):
    config = tmp_path / "k.yaml"
    config.write_text("schedules:\n  - type: keras.piecewise_constant_decay\n    boundaries: [2, 4]\n"
                      "    values: [0.3, 0.2, 0.1]\n")
    result = run_cli(["run", str(config), "--steps", "6", "-o", "-"])
    assert result.code == 0, result.stderr
    np.testing.assert_array_equal(csv_rates(result.stdout), [0.3, 0.3, 0.3, 0.2, 0.2, 0.1])


def test_compare_keras_and_optax_cosines():
    """The README's picture: Keras counts decay_steps after the warm-up, optax including it."""
    result = run_cli(["compare", "keras cosine-decay --initial-learning-rate 0 --decay-steps 900 "
                      "--warmup-target 0.1 --warmup-steps 100",
                      "optax warmup-cosine-decay --init-value 0 --peak-value 0.1 --warmup-steps 100 "
                      "--decay-steps 900", "--steps", "1001", "-o", "-"])
    assert result.code == 0, result.stderr
    table = list(csv.reader(io.StringIO(result.stdout)))
    keras_col, optax_col = (np.array([float(r[i]) if r[i] else np.nan for r in table[1:]]) for i in (1, 2))
    assert keras_col[100] == optax_col[100] == 0.1
    assert keras_col[1000] == 0.0 and optax_col[900] == 0.0 and keras_col[900] > 0.0


def test_annotations_name_the_phases():
    warm = curve("keras.cosine-decay", initial_learning_rate=0.0, decay_steps=10, warmup_target=0.1,
                 warmup_steps=5, steps=20)
    assert [(p.name, p.start, p.end) for p in warm.annotations.phases] == [
        ("warm-up", 0, 4), ("decay", 4, 15), ("after decay_steps", 15, 19)]
    cycles = curve("keras.cosine-decay-restarts", initial_learning_rate=0.1, first_decay_steps=10)
    assert [(p.name, p.start, p.end) for p in cycles.annotations.phases] == [
        ("cycle 1", 0, 9), ("cycle 2", 9, 29), ("cycle 3", 29, 69), ("cycle 4", 69, 70)]
    assert scale_of(cycles.lr) == 0.1
