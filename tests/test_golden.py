"""lrplot against torch's curves recorded in tests/golden/*.json (by tests/make_golden.py).

Runs without torch. Every case must match under the one tolerance rule (tests/reference.py); the
rows that float arithmetic reproduces exactly must match exactly.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import lrplot
from tests.reference import REFERENCES, assert_matches_torch, kind_of

FOLDER = Path(__file__).resolve().parent / "golden"
GOLDEN = FOLDER / "core.json"
FILES = [GOLDEN, FOLDER / "family.json"]
DOCUMENTS = [json.loads(path.read_text(encoding="ascii")) for path in FILES]
DOCUMENT = DOCUMENTS[0]
CASES = [case for document in DOCUMENTS for case in document["cases"]]


def params_of(case: dict) -> dict:
    """The case's parameters as lrplot takes them (metric values written as "nan" read back)."""
    params = dict(case["params"])
    if "metrics" in params:
        params["metrics"] = [float(v) for v in params["metrics"]]
    return params


def torch_arrays(case: dict) -> dict[str, np.ndarray]:
    return {name: np.array([float(v) for v in values]) for name, values in case["torch"].items()}


def cases_of(*schedules: str, warm_ups: bool = False) -> list:
    """The cases of these schedules (without a warm-up, unless asked: its rows come first)."""
    return [pytest.param(c, id=c["id"]) for c in CASES if c["schedule"] in schedules
            and (warm_ups or "warmup_steps" not in c["params"])]


@pytest.fixture(scope="module")
def curves() -> dict[str, lrplot.Curve]:
    return {c["id"]: lrplot.curve(c["schedule"], steps=c["rows"], **params_of(c)) for c in CASES}


class TestGoldenFile:
    def test_records_its_origin(self):
        for document in DOCUMENTS:
            assert document["generator"] == "tests/make_golden.py"
            assert document["torch"][:1].isdigit()

    def test_covers_every_schedule_with_a_reference(self):
        assert {c["schedule"] for c in CASES} == set(REFERENCES)

    def test_covers_warm_ups_and_nested_compositions(self):
        groups = {c["id"].split("/")[0] for c in CASES}
        assert {"warm-up", "sequential", "chained"} <= groups
        nested = [c for c in CASES if c["schedule"] in ("sequential", "chained")
                  and any(child["type"] in ("sequential", "chained")
                          for child in c["params"]["schedules"])]
        assert nested

    def test_ids_are_unique(self):
        ids = [c["id"] for c in CASES]
        assert len(ids) == len(set(ids))

    def test_stays_small(self):
        for path in FILES:
            assert path.stat().st_size < 1_500_000, path

    def test_rows_match_arrays(self):
        for case in CASES:
            assert all(len(values) == case["rows"] for values in case["torch"].values()), case["id"]


@pytest.mark.parametrize("case", cases_of(*REFERENCES, warm_ups=True))
def test_matches_torch(case, curves):
    curve = curves[case["id"]]
    ref = torch_arrays(case)
    kind = kind_of(case["schedule"], case["params"])
    assert len(curve) == case["rows"]
    assert_matches_torch(curve.lr, ref["lr"], kind, context=case["id"])
    if "momentum" in ref:
        assert_matches_torch(curve.series["momentum"], ref["momentum"], kind, what="momentum",
                             context=case["id"])
    else:
        assert "momentum" not in curve.series


@pytest.mark.parametrize("case", cases_of("plateau"))
def test_plateau_metric_column_is_the_input(case, curves):
    metric = curves[case["id"]].series["metric"]
    given = np.array(params_of(case)["metrics"][: case["rows"]])
    np.testing.assert_array_equal(metric, given)  # NaN counts as equal to NaN here


# --- rows that float arithmetic reproduces exactly ----------------------------------------------


def _sterbenz(a: float, b: float) -> bool:
    """a - b is exact in floats (Sterbenz: b/2 <= a <= 2b), or trivially so (b == 0)."""
    return b == 0 or (b / 2 <= a <= 2 * b)


@pytest.mark.parametrize("case", cases_of("cosine"))
def test_cosine_exact_rows(case, curves):
    lr = curves[case["id"]].lr
    p = curves[case["id"]].params
    base, eta_min, t_max = p["lr"], p["eta_min"], p["t_max"]
    # Row 0 is eta_min + (lr - eta_min): lr again whenever the subtraction is exact.
    if _sterbenz(base, eta_min):
        assert lr[0] == base
    # At odd multiples of t_max the cosine is -1.0 exactly, so the rate is eta_min exactly
    # (torch's recursion multiplies by 1 + cos = 0 there too).
    for t in range(t_max, len(lr), 2 * t_max):
        assert lr[t] == eta_min, (t, lr[t])


@pytest.mark.parametrize("case", cases_of("exponential"))
def test_exponential_exact_rows(case, curves):
    curve = curves[case["id"]]
    assert curve.lr[0] == curve.params["lr"]
    if curve.params["gamma"] in (0.5, 1.0):  # powers of two: every product is exact
        ref = torch_arrays(case)["lr"]
        np.testing.assert_array_equal(curve.lr, ref)


@pytest.mark.parametrize("case", cases_of("onecycle"))
def test_onecycle_exact_rows(case, curves):
    curve = curves[case["id"]]
    p = curve.params
    lr, ref = curve.lr, torch_arrays(case)
    initial = p["max_lr"] / p["div_factor"]
    # Row 0 anneals with pct = 0: linear gives start + 0 = start exactly; cos gives
    # max_lr + (start - max_lr), which is start only when that subtraction is exact. torch does the
    # same: e.g. 0.1 / 25 = 0.004 but row 0 is 0.0040000000000000036 in both.
    if p["anneal_strategy"] == "linear" or _sterbenz(initial, p["max_lr"]):
        assert lr[0] == initial
    else:
        assert abs(lr[0] - initial) <= math.ulp(max(initial, p["max_lr"]))
    assert lr[0] == ref["lr"][0]
    # With cos, pct = 1 at the end of a phase gives the phase's end value exactly: max_lr at the
    # end of the warm-up (when it falls on a step), the final rate at the last step.
    cos = p["anneal_strategy"] == "cos"
    warm_up_end = float(p["pct_start"] * p["total_steps"]) - 1
    peak = int(warm_up_end) if warm_up_end.is_integer() and warm_up_end < len(lr) else None
    if cos and peak is not None:
        assert lr[peak] == p["max_lr"]
    finished = len(lr) == p["total_steps"]
    if cos and finished:
        assert lr[-1] == initial / p["final_div_factor"]
    if "momentum" in curve.series:
        momentum = curve.series["momentum"]
        top, base = p["max_momentum"], p["base_momentum"]
        if p["anneal_strategy"] == "linear" or _sterbenz(top, base):
            assert momentum[0] == top
        assert momentum[0] == ref["momentum"][0]
        if cos and peak is not None:
            assert momentum[peak] == base
        if cos and finished:
            assert momentum[-1] == top
        if p["three_phase"]:
            # The last phase goes from max_momentum to max_momentum: constant, exactly.
            last_start = 2 * p["pct_start"] * p["total_steps"] - 2
            np.testing.assert_array_equal(momentum[np.arange(len(momentum)) > last_start], top)


@pytest.mark.parametrize("case", cases_of("plateau"))
def test_plateau_exact_rows(case, curves):
    curve = curves[case["id"]]
    lr, min_lr = curve.params["lr"], curve.params["min_lr"]
    assert curve.lr[0] == lr
    # A cut never goes below min_lr (nor raises a rate that starts below it).
    assert np.all(curve.lr >= min(lr, min_lr))
    assert np.all(np.diff(curve.lr) <= 0)


# --- the rest of the family ---------------------------------------------------------------------


@pytest.mark.parametrize("case", cases_of("step", "multistep", "constant", "polynomial", "linear"))
def test_factor_schedules_exact_rows(case, curves):
    curve, ref = curves[case["id"]], torch_arrays(case)["lr"]
    p = curve.params
    # Row 0 is one multiplication in both: lr times the first factor (1 for most).
    assert curve.lr[0] == ref[0]
    if curve.schedule in ("step", "multistep") and p["gamma"] in (0.5, 2.0):
        np.testing.assert_array_equal(curve.lr, ref)  # powers of two: every product is exact
    if curve.schedule == "constant":
        total = p["total_iters"]
        np.testing.assert_array_equal(curve.lr[:total], ref[:total])  # lr * factor, once
        np.testing.assert_array_equal(curve.lr[total:], p["lr"])
    if curve.schedule == "polynomial":
        # (1 - T/T) is 0 exactly, and torch's factor there is 0 too.
        np.testing.assert_array_equal(curve.lr[p["total_iters"]:], 0.0)
        np.testing.assert_array_equal(ref[p["total_iters"]:], 0.0)


@pytest.mark.parametrize("case", cases_of("cosine-restarts", "cyclic"))
def test_closed_forms_are_torch_bit_for_bit(case, curves):
    """Both evaluate the same closed form with the same operations; only exp_range's gamma^t goes
    through numpy's pow instead of libm's, and may differ by an ulp."""
    curve, ref = curves[case["id"]], torch_arrays(case)
    if curve.params.get("mode") != "exp_range":
        np.testing.assert_array_equal(curve.lr, ref["lr"])
        if "momentum" in ref:
            np.testing.assert_array_equal(curve.series["momentum"], ref["momentum"])
    if curve.schedule == "cyclic":
        assert curve.lr[0] == curve.params["base_lr"]
    else:
        # Each restart is lr again: eta_min + (lr - eta_min) * 2 / 2.
        p = curve.params
        starts = [0]
        while starts[-1] < len(curve):
            starts.append(starts[-1] + p["t_0"] * p["t_mult"] ** (len(starts) - 1))
        restarts = [s for s in starts if s < len(curve)]
        if p["eta_min"] <= p["lr"] <= 2 * p["eta_min"] or p["eta_min"] == 0:
            np.testing.assert_array_equal(curve.lr[restarts], p["lr"])


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c["id"]) for c in CASES if "warmup_steps" in c["params"]]
)
def test_warm_up_rows(case, curves):
    """The warm-up is LinearLR: row 0 is the rate times start_factor in both, and the curve after
    it is the schedule's from its own step 0 (restarted with torch's closed form)."""
    curve, ref = curves[case["id"]], torch_arrays(case)["lr"]
    steps = curve.params["warmup_steps"]
    assert curve.lr[0] == ref[0]
    assert curve.lr[steps] == ref[steps]
    assert [p.name for p in curve.annotations.phases][:1] == ["warm-up"]
    assert curve.annotations.phases[0].end == steps - 1
