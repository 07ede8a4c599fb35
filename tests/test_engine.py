"""The engine: one validation path, spec resolution, and curve invariants over parameter grids."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.engine import FLAGS, KEYS, Naming, build_spec, compute
from lrplot.errors import ConfigError, UsageError


def test_names_follow_the_source():
    with pytest.raises(UsageError, match=r"^--t-max must be an integer >= 1, got 0$"):
        build_spec("cosine", {"t_max": "0"}, FLAGS)
    with pytest.raises(UsageError, match=r"^t_max must be an integer >= 1, got 0$"):
        build_spec("cosine", {"t_max": 0}, KEYS)
    where = Naming("key", "cfg.yaml: schedules[1] (cosine): ", ConfigError)
    with pytest.raises(ConfigError, match=r"^cfg.yaml: schedules\[1\] \(cosine\): t_max must be"):
        build_spec("cosine", {"t_max": -1}, where)


def test_unknown_names_suggest_the_closest():
    with pytest.raises(UsageError, match=r"tmax is not a parameter of cosine \(did you mean t_max\?\)"):
        lrplot.curve("cosine", tmax=3)
    with pytest.raises(UsageError, match="unknown schedule cosin \\(did you mean cosine\\?\\); known: "):
        lrplot.curve("cosin", t_max=3)


def test_defaults_and_given():
    spec = build_spec("cosine", {"t_max": "5", "eta_min": None}, FLAGS)
    assert spec.params == {"lr": 1e-3, "t_max": 5, "eta_min": 0.0}
    assert spec.given == {"t_max"}
    assert spec.steps == 6


def test_natural_horizons():
    assert len(lrplot.curve("cosine", t_max=20)) == 21
    assert len(lrplot.curve("onecycle", max_lr=1, total_steps=37)) == 37
    assert len(lrplot.curve("onecycle", max_lr=1, epochs=3, steps_per_epoch=7)) == 21
    assert len(lrplot.curve("plateau", metrics=[1, 2, 3])) == 3
    exp = lrplot.curve("exponential", gamma=0.9)
    assert exp.lr[-1] <= 0.01 * exp.lr[0] < exp.lr[-2]
    assert len(lrplot.curve("exponential", gamma=1.0)) == 100
    assert len(lrplot.curve("exponential", gamma=1 - 1e-9)) == 10_000


def test_steps_may_run_past_t_max_and_the_cosine_rises_again():
    c = lrplot.curve("cosine", lr=1.0, t_max=10, steps=41)
    assert c.lr[10] == 0.0 and c.lr[20] == pytest.approx(1.0) and c.lr[30] == pytest.approx(0.0, abs=1e-15)
    assert np.all(np.diff(c.lr[10:21]) > 0)


class TestOneCycle:
    def test_phases_and_guides(self):
        c = lrplot.curve("onecycle", max_lr=0.01, total_steps=100, three_phase=True)
        assert [p.name for p in c.annotations.phases] == ["warm-up", "cool-down", "annealing"]
        assert [p.end for p in c.annotations.phases] == [29.0, 58.0, 99]
        assert c.annotations.guides == {"max_lr": 0.01, "initial_lr": 0.0004, "min_lr": 4e-08}
        assert c.lr[29] == 0.01 and c.lr[58] == pytest.approx(0.0004) and c.lr[99] == pytest.approx(4e-8)
        assert c.series["momentum"][29] == 0.85 and c.series["momentum"][99] == 0.95

    def test_linear_strategy_is_piecewise_linear(self):
        c = lrplot.curve("onecycle", max_lr=1.0, total_steps=11, pct_start=0.5, anneal_strategy="linear",
                         div_factor=2.0, final_div_factor=1.0)
        # warm-up ends at step 4.5: the first five rows climb linearly from 0.5
        assert np.allclose(np.diff(c.lr[:5]), 0.5 / 4.5)

    def test_no_momentum_series_when_not_cycled(self):
        curve = lrplot.curve("onecycle", max_lr=1, total_steps=10, cycle_momentum=False)
        assert "momentum" not in curve.series


class TestPlateau:
    def test_cooldown_and_floor(self):
        flat = [1.0] * 12
        c = lrplot.curve("plateau", lr=1.0, metrics=flat, patience=0, cooldown=2, factor=0.5, min_lr=0.2)
        # first metric sets best; epoch 1 is bad -> cut at row 2; two cooldown epochs; cut again ...
        assert c.lr.tolist() == [1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2]
        assert [e.step for e in c.annotations.events] == [2, 5, 8]

    def test_eps_suppresses_tiny_cuts(self):
        c = lrplot.curve("plateau", lr=1e-8, metrics=[1.0] * 5, patience=0, eps=1e-8)
        assert np.all(c.lr == 1e-8) and c.annotations.events == ()

    def test_nan_is_never_an_improvement_and_warns(self):
        c = lrplot.curve("plateau", lr=1.0, metrics=[1.0, float("nan"), float("nan"), 0.5], patience=1)
        assert c.lr.tolist() == [1.0, 1.0, 1.0, 0.1]
        assert "2 NaN metric values" in c.warnings[0]

    def test_metric_series_is_beside_the_rate(self):
        c = lrplot.curve("plateau", metrics=[3, 2, 1])
        assert c.series["metric"].tolist() == [3, 2, 1]


@st.composite
def valid_specs(draw):
    name = draw(st.sampled_from(["exponential", "cosine", "onecycle", "plateau"]))
    lr = draw(st.floats(1e-8, 10))
    steps = draw(st.integers(1, 300))
    if name == "exponential":
        return name, {"lr": lr, "gamma": draw(st.floats(1e-3, 1.2)), "steps": steps}
    if name == "cosine":
        return name, {"lr": lr, "t_max": draw(st.integers(1, 200)), "eta_min": draw(st.floats(0, 1)),
                      "steps": steps}
    if name == "onecycle":
        total = draw(st.integers(4, 400))
        pct = draw(st.floats(1.01 / total, 0.45))
        return name, {"max_lr": lr, "total_steps": total, "pct_start": pct,
                      "three_phase": draw(st.booleans()),
                      "anneal_strategy": draw(st.sampled_from(["cos", "linear"])),
                      "div_factor": draw(st.floats(1, 1e3)), "final_div_factor": draw(st.floats(1, 1e5))}
    metrics = draw(st.lists(st.floats(-5, 5), min_size=1, max_size=200))
    return name, {"lr": lr, "metrics": metrics, "patience": draw(st.integers(0, 5)),
                  "mode": draw(st.sampled_from(["min", "max"])),
                  "factor": draw(st.floats(0.01, 0.99)), "cooldown": draw(st.integers(0, 3))}


@settings(max_examples=150, deadline=None)
@given(valid_specs())
def test_valid_parameters_give_finite_non_negative_curves_of_the_stated_length(case):
    name, params = case
    spec = build_spec(name, params, KEYS)
    curve = compute(spec)
    assert len(curve) == spec.steps
    assert curve.lr.dtype == np.float64
    assert np.all(np.isfinite(curve.lr)) and np.all(curve.lr >= 0)
    for series in curve.series.values():
        assert len(series) == len(curve)
