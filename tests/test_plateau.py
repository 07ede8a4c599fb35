"""The plateau scan: the vectorized event-jumping path equals torch's step-by-step logic."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.schedules import plateau

MODES = st.sampled_from(["min", "max"])
THRESHOLD_MODES = st.sampled_from(["rel", "abs"])


@st.composite
def series(draw):
    """Metric series with plateaus, ties, noise, NaN and negative stretches."""
    kind = draw(st.sampled_from(["walk", "levels", "noise", "decay"]))
    n = draw(st.integers(1, 400))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "walk":
        values = np.cumsum(rng.normal(size=n))
    elif kind == "levels":
        values = rng.choice([0.5, 0.51, 0.52, 0.6], size=n)
    elif kind == "noise":
        values = rng.normal(size=n) * draw(st.sampled_from([1e-6, 1.0]))
    else:
        values = np.exp(-np.arange(n) / draw(st.integers(1, 100))) + rng.normal(size=n) * 1e-3
    if draw(st.booleans()):
        values[rng.random(n) < 0.05] = np.nan
    return values


@settings(max_examples=300, deadline=None)
@given(
    values=series(),
    mode=MODES,
    threshold_mode=THRESHOLD_MODES,
    threshold=st.sampled_from([0.0, 1e-4, 0.01, 0.3]),
    patience=st.integers(0, 12),
    cooldown=st.integers(0, 5),
)
def test_jumping_equals_the_step_by_step_loop(values, mode, threshold_mode, threshold, patience, cooldown):
    better = plateau.is_better(mode, threshold, threshold_mode)
    starts, stops = plateau.improvement_runs(values, better, plateau.worst(mode))
    fast = (
        plateau._ranges(starts, stops),
        plateau.reductions(starts, stops, len(values), patience, cooldown),
    )
    slow = plateau.decisions_by_loop(values, mode, threshold, threshold_mode, patience, cooldown)
    assert fast[0].tolist() == slow[0].tolist()
    assert fast[1].tolist() == slow[1].tolist()


@pytest.mark.parametrize("n", [10_000, 300_000])
def test_long_sparse_series_take_the_vectorized_path(n, monkeypatch):
    rng = np.random.default_rng(1)
    values = 1.0 / np.log(np.arange(n) + 2.0) + rng.normal(size=n) * 1e-3

    def no_loop(*args):
        raise AssertionError("the step-by-step loop was used")

    monkeypatch.setattr(plateau, "decisions_by_loop", no_loop)
    curve = lrplot.curve("plateau", metrics=values.tolist(), patience=5, cooldown=2, eps=0.0)
    assert len(curve) == n and curve.annotations.events


def test_dense_improvements_fall_back_to_the_loop_with_the_same_result():
    values = np.arange(1000.0, 0.0, -1.0)
    values[::3] += 1.5  # every third value is worse: many short runs of improvements
    assert len(plateau.improvement_runs(values, plateau.is_better("min", 0, "abs"), np.inf)[0]) > 30
    curve = lrplot.curve("plateau", metrics=values.tolist(), patience=0, threshold=0, threshold_mode="abs")
    improved, cuts = plateau.decisions_by_loop(values[:-1], "min", 0.0, "abs", 0, 0)
    assert [e.step for e in curve.annotations.events][:3] == [c + 1 for c in cuts[:3].tolist()]


def test_cuts_stop_once_one_is_skipped():
    curve = lrplot.curve("plateau", lr=1.0, metrics=[1.0] * 50, patience=0, factor=0.5, min_lr=0.1)
    assert [e.new for e in curve.annotations.events] == [0.5, 0.25, 0.125, 0.1]
    assert curve.lr[-1] == 0.1
