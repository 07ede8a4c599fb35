"""Writes tests/golden/keras.json: Keras' curves over a grid of parameters of every schedule.

    KERAS_BACKEND=jax python tests/make_golden_keras.py            regenerate (needs Keras 3.15.1)
    KERAS_BACKEND=jax python tests/make_golden_keras.py --measure  print lrplot's worst error per case

Each case holds the schedule (its key, ``keras.cosine-decay``), its parameters under lrplot's names
(every argument of the class; lists as lists), the number of rows and Keras' rates, row t =
``schedule(t)`` computed by tests/reference_keras.py in float64 (``floatx="float64"`` with
``jax_enable_x64``, float64 kept through ``cos``, ``floor`` and ``ceil``). Floats are written by
``repr``, so they read back to the same float64.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden" / "keras.json"
sys.path.insert(0, str(HERE.parent))  # run as a script: the repository root, for tests.reference_keras
os.environ.setdefault("KERAS_BACKEND", "jax")

from tests.reference_keras import compare, keras_rows, versions  # noqa: E402

Case = tuple[str, str, dict[str, Any], int]  # id, schedule, params, rows


def _id(name: str, params: dict[str, Any]) -> str:
    shown = ",".join(f"{k}={'-'.join(map(str, v)) if isinstance(v, (list, tuple)) else v}"
                     for k, v in params.items())
    return f"{name}/{shown}"


def exponential_cases() -> Iterator[Case]:
    for d, r, staircase, rows in [(1, 0.9, False, 120), (10, 0.5, False, 300), (10, 0.5, True, 300),
                                  (7, 0.96, True, 400), (100, 0.123456789, False, 500),
                                  (3, 1.0, False, 40), (5, 1.05, False, 300), (4, 0.0, True, 20),
                                  (1, 1e-9, False, 60)]:
        p = {"initial_learning_rate": 0.1, "decay_steps": d, "decay_rate": r, "staircase": staircase}
        yield _id("exponential-decay", p), "keras.exponential-decay", p, rows
    p = {"initial_learning_rate": 3e-4, "decay_steps": 1000, "decay_rate": 0.96, "staircase": False}
    yield _id("exponential-decay", p), "keras.exponential-decay", p, 2500


def inverse_cases() -> Iterator[Case]:
    for d, r, staircase, rows in [(1, 0.5, False, 200), (10, 0.5, True, 300), (7, 2.0, False, 150),
                                  (100, 0.0, False, 20), (3, 1e-3, True, 100)]:
        p = {"initial_learning_rate": 0.1, "decay_steps": d, "decay_rate": r, "staircase": staircase}
        yield _id("inverse-time-decay", p), "keras.inverse-time-decay", p, rows


def polynomial_cases() -> Iterator[Case]:
    for d, end, power, cycle, rows in [(100, 1e-4, 1.0, False, 130), (100, 0.001, 0.5, False, 120),
                                       (50, 0.0, 2.0, True, 201), (10, 0.01, 1.0, True, 61),
                                       (30, 0.2, 3.0, False, 40), (20, 1e-4, 0.0, False, 25),
                                       (1, 0.0, 1.0, True, 8), (333, 0.0, 7.5, False, 400)]:
        p = {"initial_learning_rate": 0.1, "decay_steps": d, "end_learning_rate": end, "power": power,
             "cycle": cycle}
        yield _id("polynomial-decay", p), "keras.polynomial-decay", p, rows


def piecewise_cases() -> Iterator[Case]:
    for boundaries, values, rows in [([10, 20], [0.1, 0.01, 0.001], 30), ([0], [1.0, 0.5], 5),
                                     ([5, 6, 7, 100], [0.3, 0.2, 0.1, 0.05, 0.0], 130),
                                     ([1000], [1e-3, 1e-4], 1300)]:
        p = {"boundaries": boundaries, "values": values}
        yield _id("piecewise-constant-decay", p), "keras.piecewise-constant-decay", p, rows


def cosine_cases() -> Iterator[Case]:
    for a, d, alpha, target, warm, rows in [
        (0.1, 100, 0.0, None, 0, 101), (0.1, 100, 0.1, None, 0, 150),
        (0.1, 10, 0.0, None, 5, 15),  # warmup_steps without warmup_target: ignored
        (0.0, 90, 0.0, 0.1, 10, 120), (0.01, 90, 0.05, 0.1, 30, 130),
        (0.5, 40, 0.0, 0.1, 0, 50),  # warmup_target without warmup_steps: initial rate unused
        (0.0, 1, 0.0, 1.0, 1, 5), (0.1, 1000, 0.0, None, 0, 1001), (0.1, 7, 1.5, None, 0, 12),
    ]:
        p = {"initial_learning_rate": a, "decay_steps": d, "alpha": alpha, "warmup_target": target,
             "warmup_steps": warm}
        yield _id("cosine-decay", p), "keras.cosine-decay", p, rows


def restarts_cases() -> Iterator[Case]:
    for d, t_mul, m_mul, alpha, rows in [
        (10, 2.0, 1.0, 0.0, 160), (10, 1.0, 1.0, 0.0, 45), (10, 1.0, 0.5, 0.1, 45),
        (64, 1.25, 0.7, 0.1, 370),  # restarts on steps 64, 144, 244, 369
        (10, 3.0, 0.9, 0.0, 400), (13, 1.7, 1.3, 0.2, 300), (100, 0.9, 1.0, 0.0, 400),
        (1, 2.0, 1.0, 0.0, 70), (7, 1.5, 1.0, 0.5, 200),
    ]:
        p = {"initial_learning_rate": 0.1, "first_decay_steps": d, "t_mul": t_mul, "m_mul": m_mul,
             "alpha": alpha}
        yield _id("cosine-decay-restarts", p), "keras.cosine-decay-restarts", p, rows


def all_cases() -> Iterator[Case]:
    for family in (exponential_cases, inverse_cases, polynomial_cases, piecewise_cases, cosine_cases,
                   restarts_cases):
        yield from family()


def write() -> None:
    cases = []
    for case_id, schedule, params, rows in all_cases():
        lr = keras_rows(schedule, params, rows, "float64")
        cases.append({"id": case_id, "schedule": schedule, "params": params, "rows": rows,
                      "lr": [float(x) for x in lr]})
    meta = versions()
    document = {
        "generator": "tests/make_golden_keras.py",
        **meta,
        "convention": "row t = schedule(t) on the int32 steps 0..rows-1 (keras.ops.vectorized_map for "
        "CosineDecay with a warmup_target), Keras' arithmetic in float64 (floatx float64, "
        "jax_enable_x64, float64 kept through cos, floor and ceil)",
        "cases": cases,
    }
    GOLDEN.write_text(json.dumps(document, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {GOLDEN} ({GOLDEN.stat().st_size / 1024:.0f} KB)")


def measure() -> None:
    from lrplot.engine import curve

    for case in json.loads(GOLDEN.read_text())["cases"]:
        got = curve(case["schedule"], **case["params"], steps=case["rows"])
        import numpy as np

        found = compare(case["schedule"], got.params, got.lr, np.array(case["lr"]), "float64")
        print(f"{found['error']:9.2e}  {found['worst']:7.3f}  {case['id']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--measure", action="store_true", help="lrplot's error per case, no Keras needed")
    if parser.parse_args().measure:
        measure()
    else:
        write()
