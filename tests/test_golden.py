"""lrplot against torch's curves recorded in tests/golden/*.json (by tests/make_golden.py).

Runs without torch. Every case must match under the one tolerance rule (tests/reference.py); the
rows that float arithmetic reproduces exactly must match exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

import lrplot
from tests import goldens
from tests.goldens import CASES, DOCUMENTS, FILES, REFERENCES, cases_of, params_of, torch_arrays
from tests.reference import assert_matches_torch, kind_of


@pytest.fixture(scope="module")
def curves() -> dict[str, lrplot.Curve]:
    return goldens.curves_of()


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


# --- rows that float arithmetic reproduces exactly (the checks: tests/goldens.py) ---------------


@pytest.mark.parametrize("case", cases_of("cosine"))
def test_cosine_exact_rows(case, curves):
    goldens.cosine_exact_rows(case, curves[case["id"]])


@pytest.mark.parametrize("case", cases_of("exponential"))
def test_exponential_exact_rows(case, curves):
    goldens.exponential_exact_rows(case, curves[case["id"]])


@pytest.mark.parametrize("case", cases_of("onecycle"))
def test_onecycle_exact_rows(case, curves):
    goldens.onecycle_exact_rows(case, curves[case["id"]])


@pytest.mark.parametrize("case", cases_of("plateau"))
def test_plateau_exact_rows(case, curves):
    goldens.plateau_exact_rows(case, curves[case["id"]])


@pytest.mark.parametrize("case", cases_of("step", "multistep", "constant", "polynomial", "linear"))
def test_factor_schedules_exact_rows(case, curves):
    goldens.factor_exact_rows(case, curves[case["id"]])


@pytest.mark.parametrize("case", cases_of("cosine-restarts", "cyclic"))
def test_closed_forms_are_torch_bit_for_bit(case, curves):
    goldens.closed_forms_bit_for_bit(case, curves[case["id"]])


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c["id"]) for c in CASES if "warmup_steps" in c["params"]]
)
def test_warm_up_rows(case, curves):
    goldens.warm_up_rows(case, curves[case["id"]])
