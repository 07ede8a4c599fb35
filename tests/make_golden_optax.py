"""Writes tests/golden/optax.json: optax's curves over a grid covering every argument of every schedule.

    python tests/make_golden_optax.py            regenerate the file (needs optax and jax)
    python tests/make_golden_optax.py --measure  print how far lrplot is from each case (no optax)

Each case holds the schedule (its YAML type), its parameters under optax's names (JSON: the steps
of boundaries_and_scales are strings, as JSON keys are; lrplot reads them as integers), the number
of rows and optax's values ``lr``: row t = schedule(t), evaluated with ``jax_enable_x64`` on
``jnp.arange(rows)`` (tests/reference_optax.py), i.e. optax's arithmetic in float64. Floats are
written by ``repr`` (what the json module does), so they read back to the same float64.

The grid includes optax's quiet cases: transition_steps <= 0, decay_rate 0, a negative
transition_begin, end_value on the far side of init_value, warmup_steps <= 0, peak_value 0, and
1cycle fractions that collide or come out of order.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden" / "optax.json"
sys.path.insert(0, str(HERE.parent))  # run as a script: the repository root, for tests.*

from tests.reference_optax import optax_rows, worst  # noqa: E402

Case = tuple[str, str, dict[str, Any], int]  # id, schedule, params, rows


def _id(name: str, params: dict[str, Any]) -> str:
    shown = ",".join(f"{k}={v}" for k, v in params.items() if not isinstance(v, (dict, list)))
    return f"{name}/{shown}" if shown else name


def constant_cases() -> Iterator[Case]:
    for value in (0.1, 3e-4, -0.5, 0.0):
        yield _id("constant", {"value": value}), "optax.constant", {"value": value}, 10


def transition_cases() -> Iterator[Case]:
    shapes = [(0.0, 0.1, 50, 0), (0.1, 0.0, 50, 10), (0.1, 0.1, 10, 0), (0.1, 0.01, 0, 0),
              (0.1, 0.01, -5, 3), (0.1, 0.01, 30, -7), (1e-3, 1e-5, 1, 0), (0.3, -0.2, 17, 2)]
    for init, end, steps, begin in shapes:
        params = {"init_value": init, "end_value": end, "transition_steps": steps, "transition_begin": begin}
        rows = max(begin, 0) + max(steps, 0) + 10
        yield _id("linear", params), "optax.linear", params, rows
    for power in (0.5, 2.0, 3.7, 1.0, 0.0):
        for init, end, steps, begin in [(0.1, 0.001, 40, 0), (0.01, 0.2, 23, 6), (0.1, 0.0, 1, 0),
                                        (0.1, 0.0, 0, 4), (0.1, 0.0, 25, -3)]:
            params = {"init_value": init, "end_value": end, "power": power, "transition_steps": steps,
                      "transition_begin": begin}
            yield (_id("polynomial", params), "optax.polynomial", params,
                   max(begin, 0) + max(steps, 0) + 8)
    # A negative power: infinite from step begin + steps on, so the rows stop before it.
    params = {"init_value": 0.1, "end_value": 0.01, "power": -1.5, "transition_steps": 30,
              "transition_begin": 5}
    yield _id("polynomial", params), "optax.polynomial", params, 35
    # 1 - 49 * (1/49) is 1.1e-16, not 0: a negative power is huge there, not infinite.
    params = {"init_value": 0.1, "end_value": 0.01, "power": -1.0, "transition_steps": 49}
    yield _id("polynomial", params), "optax.polynomial", params, 55


def cosine_cases() -> Iterator[Case]:
    for steps in (1, 2, 7, 100):
        for alpha, exponent in [(0.0, 1.0), (0.1, 1.0), (0.0, 0.5), (0.05, 2.0)]:
            params = {"init_value": 0.1, "decay_steps": steps, "alpha": alpha, "exponent": exponent}
            yield _id("cosine-decay", params), "optax.cosine_decay", params, steps + 10
    for alpha, exponent in [(1.5, 1.0), (-0.1, 1.0), (0.2, 0.0), (0.0, 3.3)]:
        params = {"init_value": 3e-4, "decay_steps": 50, "alpha": alpha, "exponent": exponent}
        yield _id("cosine-decay", params), "optax.cosine_decay", params, 60
    params = {"init_value": 0.1, "decay_steps": 40, "exponent": -0.5}
    yield _id("cosine-decay", params), "optax.cosine_decay", params, 40
    yield "cosine-decay/defaults", "optax.cosine_decay", {"init_value": 1.0, "decay_steps": 20}, 21


EXPONENTIAL_GRID = [
    # transition_steps, decay_rate, transition_begin, staircase, end_value
    (1, 0.9, 0, False, None),
    (7, 0.5, 0, False, None),
    (7, 0.5, 5, True, None),
    (10, 0.1, 3, False, 1e-3),    # end_value a floor below init: reached
    (10, 0.5, 0, False, 0.5),     # end_value a floor above init: flat at end_value
    (5, 1.1, 0, False, 0.3),      # growth, capped by the ceiling
    (5, 1.1, 0, False, 0.05),     # a ceiling below init: flat at end_value
    (4, 1.0, 0, False, 0.05),     # decay_rate 1 takes end_value as a ceiling
    (3, 0.0, 0, False, 0.01),     # decay_rate 0: constant init_value, end_value unused
    (0, 0.5, 0, False, None),     # transition_steps 0: constant
    (-4, 0.5, 2, True, None),
    (6, 0.7, -5, False, None),    # a negative transition_begin counts as 0
    (3, -0.5, 0, True, None),     # negative, in stairs: the sign alternates
    (3, -0.5, 2, True, 0.01),
    (13, 0.123456789, 4, True, 1e-4),
    (1, 0.999, 0, False, None),
    # optax divides by transition_steps as a product with 1/transition_steps: for these T some
    # treads begin one step late (49 in float64; 115 only in float32).
    (49, 0.5, 0, True, None),
    (115, 0.5, 3, True, None),
    (49, 0.8, 0, False, None),
]


def exponential_cases() -> Iterator[Case]:
    for steps, rate, begin, staircase, end in EXPONENTIAL_GRID:
        params = {"init_value": 0.1, "transition_steps": steps, "decay_rate": rate, "transition_begin": begin,
                  "staircase": staircase}
        if end is not None:
            params["end_value"] = end
        yield _id("exponential-decay", params), "optax.exponential_decay", params, max(80, 2 * steps + 2)
        decay = {k: v for k, v in params.items() if k != "init_value"}
        warm = {"init_value": 1e-3, "peak_value": 0.1, "warmup_steps": 12, **decay}
        yield (_id("warmup-exponential-decay", warm), "optax.warmup_exponential_decay", warm,
               max(90, 2 * steps + 14))
    for warmup in (0, -3, 1):
        params = {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": warmup, "transition_steps": 5,
                  "decay_rate": 0.5}
        yield _id("warmup-exponential-decay", params), "optax.warmup_exponential_decay", params, 40


BOUNDARIES = [
    {},
    {"10": 0.5, "20": 0.1},
    {"30": 0.1, "10": 0.5},   # given out of order: optax sorts them
    {"0": 2.0, "25": 0.25},
    {"-5": 0.5, "30": 0.0},
    {"1": 3.0, "2": 0.5, "3": 0.5, "40": 1.0},
]


def piecewise_cases() -> Iterator[Case]:
    for index, knots in enumerate(BOUNDARIES):
        params = {"init_value": 0.1, "boundaries_and_scales": knots}
        yield f"piecewise-constant/{index}", "optax.piecewise_constant", params, 50
        for kind in ("linear", "cosine"):
            params = {"interpolate_type": kind, "init_value": 0.1, "boundaries_and_scales": knots}
            yield f"piecewise-interpolate/{kind},{index}", "optax.piecewise_interpolate", params, 50
    yield "piecewise-constant/none", "optax.piecewise_constant", {"init_value": 0.2}, 5
    params = {"interpolate_type": "cosine", "init_value": 1.0, "boundaries_and_scales": {"100": 0.01}}
    yield "piecewise-interpolate/long", "optax.piecewise_interpolate", params, 120


def warmup_cases() -> Iterator[Case]:
    for warmup in (10, 1, 0, -3):
        params = {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": warmup}
        yield _id("warmup-constant", params), "optax.warmup_constant", params, 30
    shapes = [
        # init, peak, warmup, decay, end, exponent
        (0.0, 0.1, 10, 100, 0.0, 1.0),
        (1e-4, 0.1, 10, 100, 1e-4, 1.0),
        (0.0, 0.1, 0, 50, 1e-3, 1.0),
        (0.0, 1.0, 1, 2, 0.0, 1.0),
        (0.0, 0.1, -5, 20, 0.0, 1.0),
        (0.0, 0.1, 20, 60, 0.01, 2.0),
        (0.0, 0.1, 20, 60, 0.01, 0.5),
        (1e-3, 0.0, 10, 40, 1e-3, 1.0),   # peak_value 0: alpha 0, the decay ends at 0
        (0.2, 0.1, 10, 40, 0.3, 1.0),     # warm-up down, "decay" up
    ]
    for init, peak, warmup, decay, end, exponent in shapes:
        params = {"init_value": init, "peak_value": peak, "warmup_steps": warmup, "decay_steps": decay,
                  "end_value": end, "exponent": exponent}
        yield _id("warmup-cosine-decay", params), "optax.warmup_cosine_decay", params, decay + 10
    yield ("warmup-cosine-decay/defaults", "optax.warmup_cosine_decay",
           {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 5, "decay_steps": 50}, 51)


def onecycle_cases() -> Iterator[Case]:
    for steps in (100, 7, 1, 37):
        for pct_start, pct_final in [(0.3, 0.85), (0.5, 0.5), (0.25, 1.0), (0.9, 0.2), (0.0, 0.85),
                                     (-0.2, 0.85), (0.3, 1.5)]:
            params = {"transition_steps": steps, "peak_value": 0.1, "pct_start": pct_start,
                      "pct_final": pct_final}
            yield _id("linear-onecycle", params), "optax.linear_onecycle", params, steps + 10
        for pct_start in (0.3, 0.0, 1.0, 1.5, -0.2, 0.99):
            params = {"transition_steps": steps, "peak_value": 0.1, "pct_start": pct_start}
            yield _id("cosine-onecycle", params), "optax.cosine_onecycle", params, steps + 10
    for div, final in [(10.0, 100.0), (1.0, 1.0), (0.5, 0.1), (1e3, 1e6)]:
        params = {"transition_steps": 60, "peak_value": 3e-3, "div_factor": div, "final_div_factor": final}
        yield _id("linear-onecycle", params), "optax.linear_onecycle", params, 70
        yield _id("cosine-onecycle", params), "optax.cosine_onecycle", params, 70


def sgdr_cases() -> Iterator[Case]:
    cycles = [
        [{"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 5, "decay_steps": 30},
         {"init_value": 0.0, "peak_value": 0.05, "warmup_steps": 5, "decay_steps": 60}],
        [{"init_value": 1e-3, "peak_value": 0.1, "warmup_steps": 0, "decay_steps": 20, "end_value": 1e-3},
         {"init_value": 1e-3, "peak_value": 0.1, "warmup_steps": 0, "decay_steps": 20, "end_value": 1e-3,
          "exponent": 2.0},
         {"init_value": 0.0, "peak_value": 0.02, "warmup_steps": 3, "decay_steps": 10}],
        [{"init_value": 0.0, "peak_value": 0.1, "warmup_steps": -4, "decay_steps": 8},
         {"init_value": 0.0, "peak_value": 0.0, "warmup_steps": 2, "decay_steps": 9, "end_value": 0.01}],
        [{"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 10, "decay_steps": 40}],
    ]
    for index, kwargs in enumerate(cycles):
        rows = sum(c["decay_steps"] for c in kwargs) + 15
        yield f"sgdr/{index}", "optax.sgdr", {"cosine_kwargs": kwargs}, rows


def join_cases() -> Iterator[Case]:
    linear = {"type": "optax.linear", "init_value": 0.0, "end_value": 0.1, "transition_steps": 10}
    cosine = {"type": "optax.cosine_decay", "init_value": 0.1, "decay_steps": 40, "alpha": 0.05}
    stairs = {"type": "optax.exponential_decay", "init_value": 0.05, "transition_steps": 7, "decay_rate": 0.5,
              "staircase": True}
    for index, (pieces, boundaries) in enumerate([
        ([linear, cosine], [10]),
        ([linear, stairs, cosine], [10, 30]),
        ([cosine, linear, stairs], [25, 15]),  # not increasing: optax's order decides
        ([stairs], []),
    ]):
        yield f"join/{index}", "optax.join_schedules", {"schedules": pieces, "boundaries": boundaries}, 70


def all_cases() -> Iterator[Case]:
    yield from constant_cases()
    yield from transition_cases()
    yield from cosine_cases()
    yield from exponential_cases()
    yield from piecewise_cases()
    yield from warmup_cases()
    yield from onecycle_cases()
    yield from sgdr_cases()
    yield from join_cases()


def build() -> dict[str, Any]:
    import jax
    import optax

    cases = []
    seen = set()
    for case_id, schedule, params, rows in all_cases():
        assert case_id not in seen, case_id
        seen.add(case_id)
        lr = optax_rows(schedule, params, rows, x64=True)
        cases.append({"id": case_id, "schedule": schedule, "params": params, "rows": rows,
                      "lr": [float(v) for v in lr]})
    return {
        "generator": "tests/make_golden_optax.py",
        "optax": optax.__version__,
        "jax": jax.__version__,
        "convention": "row t = schedule(t), evaluated as jax.vmap(schedule)(jnp.arange(rows)) with "
        "jax_enable_x64 set (optax's arithmetic in float64)",
        "cases": cases,
    }


def measure() -> None:
    """How far lrplot is from every stored case, relative to the curve's scale."""
    import numpy as np

    from lrplot.engine import curve

    data = json.loads(GOLDEN.read_text())
    by_schedule: dict[str, float] = {}
    for case in data["cases"]:
        got = curve(case["schedule"], **case["params"], steps=case["rows"]).lr
        error = worst(got, np.array(case["lr"]))
        by_schedule[case["schedule"]] = max(by_schedule.get(case["schedule"], 0.0), error)
    for schedule, error in by_schedule.items():
        print(f"{schedule:34s} {error:.3g}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", action="store_true", help="compare lrplot with the stored file")
    args = parser.parse_args()
    if args.measure:
        measure()
        return
    data = build()
    GOLDEN.write_text(json.dumps(data, indent=None, separators=(",", ":")) + "\n")
    print(f"{GOLDEN}: {len(data['cases'])} cases, {GOLDEN.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
