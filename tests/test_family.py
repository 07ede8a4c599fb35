"""The rest of torch's family: formulas, natural horizons, ranges and messages, one class per family."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.errors import UsageError

from .test_cli import assert_one_line_error, read_csv


def rates(schedule: str, **params) -> list[float]:
    return lrplot.curve(schedule, **params).lr.tolist()


class TestStep:
    def test_staircase(self):
        assert rates("step", lr=1.0, step_size=2, gamma=0.5, steps=7) == [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125]

    @pytest.mark.parametrize(("gamma", "drops"), [(0.1, 2), (0.5, 7), (0.99, 10), (1.0, 3), (1.2, 3)])
    def test_horizon_shows_the_drops_down_to_one_percent(self, gamma, drops):
        assert len(lrplot.curve("step", step_size=5, gamma=gamma)) == drops * 5 + 1

    def test_torch_default_gamma(self):
        assert lrplot.curve("step", lr=1.0, step_size=1, steps=2).lr[1] == pytest.approx(0.1)


class TestMultiStep:
    def test_a_repeated_milestone_applies_gamma_twice(self):
        assert rates("multistep", lr=1.0, milestones=[1, 3, 3], gamma=0.5, steps=5) == [
            1,
            0.5,
            0.5,
            0.125,
            0.125,
        ]

    def test_horizon_is_the_last_milestone_and_a_quarter(self):
        assert len(lrplot.curve("multistep", milestones=[30, 80])) == 101

    def test_milestones_must_be_in_order(self):
        with pytest.raises(UsageError, match=r"milestones must be in increasing order .* got 30 after 80"):
            lrplot.curve("multistep", milestones=[80, 30])

    def test_command_line_list(self, cli):
        result = cli("multistep --lr 1 --milestones 2,2 --gamma 0.5 --steps 3 -o -")
        assert result.code == 0, result.stderr
        assert [row[1] for row in read_csv(result.stdout)[1]] == ["1.0", "1.0", "0.25"]
        assert_one_line_error(cli("multistep --milestones 0,3"), 2, "--milestones", "integers >= 1")
        assert_one_line_error(
            cli("multistep --milestones 5,3"), 2, "--milestones must be in increasing order"
        )


class TestFactors:
    def test_constant_returns_to_lr_exactly(self):
        assert rates("constant", lr=0.3, factor=0.5, total_iters=2, steps=4) == [0.15, 0.15, 0.3, 0.3]
        assert len(lrplot.curve("constant", total_iters=5)) == 11

    def test_linear_reaches_its_end_factor_and_stays(self):
        c = lrplot.curve("linear", lr=1.0, start_factor=0.25, end_factor=0.75, total_iters=4, steps=7)
        np.testing.assert_allclose(c.lr, [0.25, 0.375, 0.5, 0.625, 0.75, 0.75, 0.75], rtol=1e-15)
        assert len(lrplot.curve("linear", total_iters=20)) == 21

    def test_polynomial_reaches_zero_at_total_iters(self):
        c = lrplot.curve("polynomial", lr=1.0, total_iters=4, power=2.0)
        assert c.lr.tolist() == [1.0, 0.5625, 0.25, 0.0625, 0.0]

    @pytest.mark.parametrize(
        ("args", "fragment"),
        [
            ("constant --factor 0", "--factor must be a number in (0, 1], got 0"),  # torch divides by it
            ("constant --factor 1.5", "--factor must be a number in (0, 1]"),
            ("constant --total-iters 0", "--total-iters must be an integer >= 1"),
            ("linear --start-factor 0", "--start-factor must be a number in (0, 1]"),
            ("linear --end-factor 1.01", "--end-factor must be a number in [0, 1]"),
            ("polynomial --power 0", "--power must be a number > 0"),
            ("polynomial --total-iters 0", "--total-iters must be an integer >= 1"),
        ],
    )
    def test_ranges_are_torch_checks_or_stricter(self, cli, args, fragment):
        assert_one_line_error(cli(args), 2, fragment)


class TestCosineRestarts:
    def test_cycles_grow_by_t_mult_and_restart_at_lr(self):
        c = lrplot.curve("cosine-restarts", lr=1.0, t_0=2, t_mult=2)
        assert len(c) == 2 * (1 + 2 + 4) + 1
        assert c.lr[[0, 2, 6, 14]].tolist() == [1.0, 1.0, 1.0, 1.0]
        assert (
            c.lr[1] == pytest.approx(0.5) and c.lr[4] == pytest.approx(0.5) and c.lr[10] == pytest.approx(0.5)
        )

    def test_t_mult_1_repeats(self):
        c = lrplot.curve("cosine-restarts", lr=1.0, t_0=3, eta_min=0.1, steps=12)
        np.testing.assert_array_equal(c.lr[:3], c.lr[3:6])
        np.testing.assert_array_equal(c.lr[:3], c.lr[9:12])

    def test_horizon_is_bounded(self):
        assert len(lrplot.curve("cosine-restarts", t_0=10**5, t_mult=1000)) == 1_000_000

    @pytest.mark.parametrize(
        ("args", "fragment"),
        [
            ("cosine-restarts", "--t-0 is required"),
            ("cosine-restarts --t-0 0", "--t-0 must be"),
            ("cosine-restarts --t-0 3 --t-mult 0", "--t-mult must be"),
            ("cosine-restarts --t-0 3 --t-mult 1.5", "--t-mult must be"),
        ],
    )
    def test_errors(self, cli, args, fragment):
        assert_one_line_error(cli(args), 2, fragment)


class TestCyclic:
    def test_triangles_and_momentum_mirror(self):
        c = lrplot.curve("cyclic", base_lr=1.0, max_lr=3.0, step_size_up=2, step_size_down=1, steps=7)
        # torch's operations, so (1 + 1/3) / (2/3) ... rounds as it does there: 1.9999999999999998.
        np.testing.assert_allclose(c.lr, [1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 1.0], rtol=1e-15)
        np.testing.assert_allclose(c.series["momentum"], [0.9, 0.85, 0.8, 0.9, 0.85, 0.8, 0.9])

    def test_triangular2_halves_each_cycle_and_exp_range_decays(self):
        c = lrplot.curve("cyclic", base_lr=0.0 + 1e-9, max_lr=1.0, step_size_up=1, mode="triangular2")
        assert c.lr[[1, 3, 5]] == pytest.approx([1.0, 0.5, 0.25], rel=1e-8)
        c = lrplot.curve("cyclic", base_lr=1e-9, max_lr=1.0, step_size_up=1, mode="exp_range", gamma=0.5)
        assert c.lr[[1, 3]] == pytest.approx([0.5, 0.125], rel=1e-8)

    def test_horizon_is_three_cycles(self):
        assert len(lrplot.curve("cyclic", base_lr=0.1, max_lr=1.0, step_size_up=3, step_size_down=5)) == 25
        assert len(lrplot.curve("cyclic", base_lr=0.1, max_lr=1.0)) == 12_001  # torch's 2000 up

    def test_gamma_belongs_to_exp_range(self, cli):
        assert_one_line_error(
            cli("cyclic --base-lr 0.1 --max-lr 1 --gamma 0.9"),
            2,
            "--gamma applies only to --mode exp_range (here triangular)",
        )
        assert_one_line_error(
            cli("cyclic --base-lr 0.1 --max-lr 1 --mode exp_range --gamma 1.1"),
            2,
            "--gamma must be a number in (0, 1]",
        )

    def test_csv_columns_and_switch(self, cli):
        result = cli("cyclic --base-lr 0.1 --max-lr 1 --step-size-up 2 -o -")
        assert read_csv(result.stdout)[0] == ["step", "lr", "momentum"]
        result = cli("cyclic --base-lr 0.1 --max-lr 1 --step-size-up 2 --no-cycle-momentum -o -")
        assert read_csv(result.stdout)[0] == ["step", "lr"]

    def test_a_dip_instead_of_a_peak_is_a_warning(self, cli):
        result = cli("cyclic --base-lr 0.1 --max-lr 0.01 --step-size-up 2 -o -")
        assert result.code == 0
        assert result.stderr.startswith("Warning: cyclic: max_lr 0.01 is below base_lr 0.1")


NEW = ["step", "multistep", "constant", "linear", "polynomial", "cosine-restarts", "cyclic"]


@st.composite
def new_specs(draw):
    name = draw(st.sampled_from(NEW))
    lr = draw(st.floats(1e-8, 10))
    if name == "step":
        params = {"step_size": draw(st.integers(1, 50)), "gamma": draw(st.floats(1e-3, 1.05))}
    elif name == "multistep":
        params = {
            "milestones": sorted(draw(st.lists(st.integers(1, 300), min_size=1, max_size=5))),
            "gamma": draw(st.floats(1e-3, 1.0)),
        }
    elif name == "constant":
        params = {"factor": draw(st.floats(1e-6, 1.0)), "total_iters": draw(st.integers(1, 100))}
    elif name == "linear":
        params = {
            "start_factor": draw(st.floats(1e-6, 1.0)),
            "end_factor": draw(st.floats(0.0, 1.0)),
            "total_iters": draw(st.integers(1, 100)),
        }
    elif name == "polynomial":
        params = {"total_iters": draw(st.integers(1, 300)), "power": draw(st.floats(0.01, 10))}
    elif name == "cosine-restarts":
        params = {
            "t_0": draw(st.integers(1, 50)),
            "t_mult": draw(st.integers(1, 3)),
            "eta_min": draw(st.floats(0, 1)),
        }
    else:
        return name, {
            "base_lr": lr,
            "max_lr": draw(st.floats(1e-8, 10)),
            "step_size_up": draw(st.integers(1, 50)),
            "mode": draw(st.sampled_from(["triangular", "triangular2"])),
            "steps": draw(st.integers(1, 300)),
        }
    return name, {"lr": lr, **params, "steps": draw(st.integers(1, 300))}


@settings(max_examples=150, deadline=None)
@given(new_specs())
def test_valid_parameters_give_finite_non_negative_curves_of_the_stated_length(case):
    name, params = case
    curve = lrplot.curve(name, **params)
    assert len(curve) == params["steps"]
    assert np.all(np.isfinite(curve.lr)) and np.all(curve.lr >= 0)
    for series in curve.series.values():
        assert len(series) == len(curve)
