"""torch's curves recorded in tests/golden/*.json (by tests/make_golden.py), and the checks of the rows
float arithmetic reproduces exactly: shared by tests/test_golden.py (the plain formulas) and
tests/test_kernels.py (the fast paths forced on every length), so neither calls the other's tests.

Also the one place that changes how curves are computed for a test (:func:`fast_paths_from`):
the thresholds and the caches of computed curves belong together.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

import lrplot
from lrplot import registry
from lrplot.schedules import _kernels, pytorch
from tests.reference import REFERENCES

FOLDER = Path(__file__).resolve().parent / "golden"
GOLDEN = FOLDER / "core.json"
FILES = [GOLDEN, FOLDER / "family.json"]
DOCUMENTS = [json.loads(path.read_text(encoding="ascii")) for path in FILES]
DOCUMENT = DOCUMENTS[0]
CASES = [case for document in DOCUMENTS for case in document["cases"]]

__all__ = ["CASES", "DOCUMENT", "DOCUMENTS", "FILES", "REFERENCES", "EXACT_ROWS", "cases_of",
           "curves_of", "fast_paths_from", "params_of", "torch_arrays"]


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


def curves_of(cases: list[dict] = CASES) -> dict[str, lrplot.Curve]:
    """lrplot's curve of each case, by id."""
    return {c["id"]: lrplot.curve(c["schedule"], steps=c["rows"], **params_of(c)) for c in cases}


@contextlib.contextmanager
def fast_paths_from(rows: int) -> Iterator[None]:
    """Within the block, a range takes the schedules' fast paths from ``rows`` rows on (1: always;
    10**9: never), starting from empty caches; everything as it was afterwards."""
    saved = _kernels.FAST_FROM, registry.FAST_FROM
    _kernels.FAST_FROM = registry.FAST_FROM = rows
    pytorch.clear_caches()
    try:
        yield
    finally:
        _kernels.FAST_FROM, registry.FAST_FROM = saved
        pytorch.clear_caches()


# --- rows that float arithmetic reproduces exactly ----------------------------------------------


def _sterbenz(a: float, b: float) -> bool:
    """a - b is exact in floats (Sterbenz: b/2 <= a <= 2b), or trivially so (b == 0)."""
    return b == 0 or (b / 2 <= a <= 2 * b)


def cosine_exact_rows(case: dict, curve: lrplot.Curve) -> None:
    lr, p = curve.lr, curve.params
    base, eta_min, t_max = p["lr"], p["eta_min"], p["t_max"]
    # Row 0 is eta_min + (lr - eta_min): lr again whenever the subtraction is exact.
    if _sterbenz(base, eta_min):
        assert lr[0] == base
    # At odd multiples of t_max the cosine is -1.0 exactly, so the rate is eta_min exactly
    # (torch's recursion multiplies by 1 + cos = 0 there too).
    for t in range(t_max, len(lr), 2 * t_max):
        assert lr[t] == eta_min, (t, lr[t])


def exponential_exact_rows(case: dict, curve: lrplot.Curve) -> None:
    assert curve.lr[0] == curve.params["lr"]
    if curve.params["gamma"] in (0.5, 1.0):  # powers of two: every product is exact
        np.testing.assert_array_equal(curve.lr, torch_arrays(case)["lr"])


def onecycle_exact_rows(case: dict, curve: lrplot.Curve) -> None:
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


def plateau_exact_rows(case: dict, curve: lrplot.Curve) -> None:
    lr, min_lr = curve.params["lr"], curve.params["min_lr"]
    assert curve.lr[0] == lr
    # A cut never goes below min_lr (nor raises a rate that starts below it).
    assert np.all(curve.lr >= min(lr, min_lr))
    assert np.all(np.diff(curve.lr) <= 0)


def factor_exact_rows(case: dict, curve: lrplot.Curve) -> None:
    ref = torch_arrays(case)["lr"]
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


def closed_forms_bit_for_bit(case: dict, curve: lrplot.Curve) -> None:
    """Both evaluate the same closed form with the same operations; only exp_range's gamma^t goes
    through numpy's pow instead of libm's, and may differ by an ulp."""
    ref = torch_arrays(case)
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


def warm_up_rows(case: dict, curve: lrplot.Curve) -> None:
    """The warm-up is LinearLR: row 0 is the rate times start_factor in both, and the curve after
    it is the schedule's from its own step 0 (restarted with torch's closed form)."""
    ref = torch_arrays(case)["lr"]
    steps = curve.params["warmup_steps"]
    assert curve.lr[0] == ref[0]
    assert curve.lr[steps] == ref[steps]
    assert [p.name for p in curve.annotations.phases][:1] == ["warm-up"]
    assert curve.annotations.phases[0].end == steps - 1


# The exact-row check of each schedule that holds by any route, plain formula or fast path
# (warm-ups: warm_up_rows, whatever the schedule). cosine-restarts is bit for bit with torch by its
# plain formula only (tests/test_golden.py); its fast path stays within tests/reference.py's bound.
EXACT_ROWS: dict[str, Callable[[dict, lrplot.Curve], None]] = {
    "cosine": cosine_exact_rows,
    "exponential": exponential_exact_rows,
    "onecycle": onecycle_exact_rows,
    "plateau": plateau_exact_rows,
    **dict.fromkeys(("step", "multistep", "constant", "polynomial", "linear"), factor_exact_rows),
    "cyclic": closed_forms_bit_for_bit,
}


def exact_rows(case: dict, curve: lrplot.Curve) -> None:
    """The exact-row check that applies to ``case``, if any."""
    if "warmup_steps" in case["params"]:
        warm_up_rows(case, curve)
    elif case["schedule"] in EXACT_ROWS:
        EXACT_ROWS[case["schedule"]](case, curve)
