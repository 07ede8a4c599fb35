"""Composites (sequential, chained), the warm-up, and torch's stepping protocol behind them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.engine import KEYS, build_spec
from lrplot.errors import ConfigError, UsageError
from lrplot.registry import schedules_of
from lrplot.schedules import compose

from .test_cli import assert_one_line_error, read_csv

LINEAR = {"type": "linear", "start_factor": 0.1, "total_iters": 5}
COSINE = {"type": "cosine", "t_max": 95, "eta_min": 0.001}
ISSUE_SEQUENTIAL = {"lr": 0.1, "milestones": [5], "schedules": [LINEAR, COSINE]}
ISSUE_CHAINED = {"lr": 0.1, "schedules": [LINEAR, {"type": "exponential", "gamma": 0.95}]}


def curve(name: str, **params) -> lrplot.Curve:
    return lrplot.compute(build_spec(name, params))


class TestSequential:
    def test_each_schedule_from_its_own_step_0_at_its_milestone(self):
        c = curve("sequential", **ISSUE_SEQUENTIAL)
        assert len(c) == 5 + 96  # the last milestone, then the cosine's own t_max + 1 rows
        linear = lrplot.curve("linear", lr=0.1, start_factor=0.1, total_iters=5, steps=5).lr
        cosine = lrplot.curve("cosine", lr=0.1, t_max=95, eta_min=0.001).lr
        np.testing.assert_allclose(c.lr[:5], linear, rtol=1e-15)
        np.testing.assert_allclose(c.lr[5:], cosine, rtol=1e-14)

    def test_phases_are_the_schedules_with_their_own_phases_moved(self):
        c = curve(
            "sequential",
            lr=0.1,
            milestones=[5],
            schedules=[LINEAR, {"type": "onecycle", "max_lr": 1.0, "total_steps": 20}],
        )
        assert [(p.name, p.start, p.end) for p in c.annotations.phases] == [
            ("linear", 0, 4),
            ("warm-up", 4, 10.0),
            ("cool-down", 10.0, 24.0),
        ]
        assert c.annotations.guides["max_lr"] == 1.0

    def test_one_schedule_needs_no_milestone(self):
        alone = lrplot.curve("exponential", lr=0.1, gamma=0.5).lr
        for milestones in (None, []):
            c = curve(
                "sequential", lr=0.1, milestones=milestones, schedules=[{"type": "exponential", "gamma": 0.5}]
            )
            np.testing.assert_allclose(c.lr, alone, rtol=1e-15)

    def test_a_schedule_after_a_onecycle_restarts_from_its_initial_lr(self):
        """OneCycleLR's constructor overwrites the optimizer's initial_lr, which later schedules
        take as their base (torch), so the exponential restarts at max_lr / div_factor."""
        c = curve(
            "sequential",
            lr=0.1,
            milestones=[20],
            schedules=[
                {"type": "onecycle", "max_lr": 1.0, "total_steps": 20},
                {"type": "exponential", "gamma": 0.5},
            ],
        )
        assert c.lr[20] == pytest.approx(1.0 / 25) and c.lr[21] == pytest.approx(0.5 / 25)

    def test_a_chain_first_steps_once_more_at_construction(self):
        """torch's SequentialLR steps its first child again after undoing a step; a ChainedScheduler
        steps its schedules without _is_initial there, so an ExponentialLR inside already decays."""
        c = curve(
            "sequential",
            lr=0.1,
            milestones=[3],
            schedules=[
                {"type": "chained", "schedules": [{"type": "exponential", "gamma": 0.5}]},
                {"type": "exponential", "gamma": 0.9},
            ],
        )
        np.testing.assert_allclose(c.lr[:4], [0.05, 0.025, 0.0125, 0.1])


class TestChained:
    def test_factors_multiply(self):
        c = curve("chained", **ISSUE_CHAINED)
        linear = lrplot.curve("linear", lr=1.0, start_factor=0.1, total_iters=5, steps=len(c)).lr
        exponential = lrplot.curve("exponential", lr=1.0, gamma=0.95, steps=len(c)).lr
        np.testing.assert_allclose(c.lr, 0.1 * linear * exponential, rtol=1e-14)
        assert len(c) == len(lrplot.curve("exponential", gamma=0.95))  # the longest schedule

    def test_a_schedule_that_overwrites_the_rate_resets_it(self):
        """CyclicLR overwrites the rate each step; the linear after it multiplies by its own step's
        ratio only (torch steps each on the rate the one before left)."""
        c = curve(
            "chained",
            lr=0.1,
            schedules=[
                {
                    "type": "cyclic",
                    "base_lr": 0.01,
                    "max_lr": 0.05,
                    "step_size_up": 4,
                    "cycle_momentum": False,
                },
                {"type": "linear", "start_factor": 0.5, "total_iters": 2},
            ],
        )
        assert c.lr[:4] == pytest.approx([0.005, 0.02 * 1.5, 0.03 * (1 / 0.75), 0.04])

    def test_momentum_comes_from_the_schedules_that_cycle_it(self):
        c = curve(
            "chained",
            lr=0.1,
            schedules=[
                {"type": "exponential", "gamma": 0.9},
                {"type": "cyclic", "base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2},
            ],
        )
        assert c.series["momentum"][:3] == pytest.approx([0.9, 0.85, 0.8])
        assert "momentum" not in curve("chained", **ISSUE_CHAINED).series


class TestWarmUp:
    def test_is_a_linear_ramp_then_the_schedule_from_its_step_0(self):
        c = lrplot.curve("cosine", lr=0.1, t_max=10, warmup_steps=5)
        assert len(c) == 16
        np.testing.assert_allclose(c.lr[:5], 0.1 * (1 / 3 + (2 / 3) * np.arange(5) / 5), rtol=1e-15)
        np.testing.assert_allclose(c.lr[5:], lrplot.curve("cosine", lr=0.1, t_max=10).lr, rtol=1e-14)
        assert [(p.name, p.start, p.end) for p in c.annotations.phases] == [
            ("warm-up", 0, 4),
            ("cosine", 4, 15),
        ]
        assert c.params["warmup_steps"] == 5 and c.params["warmup_start_factor"] == pytest.approx(1 / 3)

    def test_adds_its_steps_to_onecycle_s_limit_and_ramps_to_its_start(self):
        c = lrplot.curve("onecycle", max_lr=0.1, total_steps=100, warmup_steps=10, warmup_start_factor=0.5)
        assert len(c) == 110
        assert c.lr[0] == pytest.approx(0.1 / 25 * 0.5)  # OneCycleLR overwrote initial_lr (torch)
        assert c.annotations.phases[0].name == "warm-up" and c.series["momentum"][0] == 0.95
        with pytest.raises(
            UsageError, match=r"steps 111 is too many: .*step 0 is row 10 here, so at most 110"
        ):
            lrplot.curve("onecycle", max_lr=0.1, total_steps=100, warmup_steps=10, steps=111)

    def test_in_front_of_cyclic_ramps_to_the_optimizer_lr(self):
        c = lrplot.curve("cyclic", base_lr=0.01, max_lr=0.1, step_size_up=4, warmup_steps=3)
        assert c.lr[2] == pytest.approx(0.001 * (1 / 3 + 2 * (2 / 3) / 3)) and c.lr[3] == 0.01
        assert "set lr to 0.01" in c.warnings[0]
        assert not lrplot.curve("cyclic", lr=0.01, base_lr=0.01, max_lr=0.1, warmup_steps=3).warnings

    def test_on_the_command_line(self, cli):
        result = cli("exponential --lr 0.3 --gamma 0.5 --warmup-steps 2 --warmup-start-factor 0.5 -o -")
        assert result.code == 0, result.stderr
        assert [row[1] for row in read_csv(result.stdout)[1]][:4] == [
            "0.15",
            "0.22499999999999998",
            "0.3",
            "0.15",
        ]

    @pytest.mark.parametrize(
        ("args", "fragments"),
        [
            ("cosine --t-max 5 --warmup-steps 0", ["--warmup-steps must be an integer >= 1"]),
            (
                "cosine --t-max 5 --warmup-steps 2 --warmup-start-factor 0",
                ["--warmup-start-factor must be a number in (0, 1]"],
            ),
            ("cosine --t-max 5 --warmup-start-factor 0.5", ["--warmup-start-factor needs --warmup-steps"]),
            (
                "plateau --metrics val.txt --warmup-steps 3",
                ["--warmup-steps cannot be used with plateau", "refuse ReduceLROnPlateau"],
            ),
        ],
    )
    def test_errors(self, cli, in_tmp, args, fragments):
        assert_one_line_error(cli(args), 2, *fragments)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        (
            "sequential",
            {"lr": 0.1, "milestones": [5], "schedules": [LINEAR, {**COSINE, "lr": 0.2}]},
            r"^schedules\[1\] \(cosine\): lr 0.2 differs from the composite's lr 0.1",
        ),
        (
            "chained",
            {"schedules": [{"type": "plateau", "metrics": [1, 2]}, LINEAR]},
            r"^schedules\[0\] \(plateau\): torch's SequentialLR and ChainedScheduler refuse "
            r"ReduceLROnPlateau",
        ),
        ("sequential", {"schedules": [LINEAR, COSINE]}, r"^milestones needs 1 value for 2 schedules"),
        (
            "sequential",
            {"milestones": [3, 9], "schedules": [LINEAR, COSINE]},
            r"^milestones needs 1 value .* got 2",
        ),
        (
            "sequential",
            {"milestones": [5, 5], "schedules": [LINEAR, COSINE, COSINE]},
            r"^milestones must increase",
        ),
        (
            "sequential",
            {"milestones": [0], "schedules": [LINEAR, COSINE]},
            r"^milestones must be .*integers >= 1",
        ),
        (
            "sequential",
            {"milestones": [5], "schedules": [LINEAR, {"type": "chained", "schedules": [COSINE]}]},
            r"^schedules\[1\] \(chained\): a chained can only come first in a sequential: torch "
            r"restarts it with _update_lr\(0\), which ChainedScheduler does not implement",
        ),
        (
            "sequential",
            {"milestones": [5], "schedules": [LINEAR, {**COSINE, "warmup_steps": 3}]},
            r"^schedules\[1\] \(cosine\): a schedule with a warm-up can only come first",
        ),
        (
            "chained",
            {"warmup_steps": 3, "schedules": [COSINE]},
            r"^warmup_steps cannot be used on a chained: a warm-up is a SequentialLR of LinearLR and "
            r"the chained",
        ),
        (
            "chained",
            {"schedules": [{"type": "chained", "schedules": [{**COSINE, "t_max": 0}]}]},
            r"^schedules\[0\] \(chained\): schedules\[0\] \(cosine\): t_max must be an integer >= 1, got 0$",
        ),
        (
            "chained",
            {
                "schedules": [
                    {"type": "onecycle", "max_lr": 1, "total_steps": 9},
                    {"type": "onecycle", "max_lr": 2, "total_steps": 9},
                ]
            },
            r"^schedules\[1\] \(onecycle\): a second onecycle in one composite would overwrite",
        ),
        (
            "chained",
            {
                "schedules": [
                    {"type": "onecycle", "max_lr": 1, "total_steps": 9},
                    {"type": "cyclic", "base_lr": 0.1, "max_lr": 1},
                ]
            },
            r"^schedules\[1\] \(cyclic\): cycling momentum after a onecycle that cycles it",
        ),
        (
            "chained",
            {"schedules": [{**COSINE, "steps": 5}]},
            r"^schedules\[0\] \(cosine\): steps applies to the whole",
        ),
        (
            "chained",
            {"schedules": [{**COSINE, "label": "x"}]},
            r"^schedules\[0\] \(cosine\): label applies to the whole",
        ),
        (
            "chained",
            {"schedules": [{"type": "cosin", "t_max": 3}]},
            r"^schedules\[0\] \(cosin\): unknown schedule cosin \(did you mean cosine\?\)",
        ),
        (
            "chained",
            {"schedules": [COSINE, {"t_max": 3}]},
            r"^schedules\[1\] needs a type \(a schedule name\), got none",
        ),
        ("chained", {"schedules": [COSINE, 3]}, r"^schedules\[1\] must be a mapping with a type"),
        ("chained", {"schedules": []}, r"^schedules must be a non-empty list of schedules"),
        ("chained", {"schedules": [COSINE], "milestones": [3]}, r"^milestones is not a parameter of chained"),
    ],
)
def test_composition_errors_say_where(name, params, message):
    with pytest.raises(UsageError, match=message):
        build_spec(name, params, KEYS)


def test_the_same_lr_given_again_is_fine_and_children_inherit_it():
    c = curve("chained", lr=0.2, schedules=[{**COSINE, "lr": 0.2}, {"type": "exponential", "gamma": 0.5}])
    assert c.params["schedules"][0].params["lr"] == 0.2 and c.params["schedules"][1].params["lr"] == 0.2


def test_a_cyclic_before_a_onecycle_is_overwritten_by_it():
    """Both overwrite the optimizer's lr and momentum at every step (neither reads the rate it
    finds); the onecycle steps last in the chain, so the chain is the onecycle alone, 9 rows."""
    params = {"schedules": [
        {"type": "cyclic", "base_lr": 0.1, "max_lr": 1},
        {"type": "onecycle", "max_lr": 1, "total_steps": 9},
    ]}
    chain = curve("chained", **params)
    alone = lrplot.curve("onecycle", max_lr=1, total_steps=9)
    assert len(chain) == 9
    np.testing.assert_array_equal(chain.lr, alone.lr)
    np.testing.assert_array_equal(chain.series["momentum"], alone.series["momentum"])
    try:
        import torch  # noqa: F401
    except ImportError:
        return
    from tests.reference import torch_rows

    ref = torch_rows("chained", params, len(chain))
    np.testing.assert_array_equal(ref["lr"], alone.lr)
    np.testing.assert_array_equal(ref["momentum"], alone.series["momentum"])


def test_nesting_has_a_bound():
    tree: dict = COSINE
    for _ in range(40):
        tree = {"type": "chained", "schedules": [tree]}
    with pytest.raises(UsageError, match="nest more than 32 composites deep"):
        build_spec("chained", {"schedules": tree["schedules"]})


def test_onecycle_inside_limits_the_rows_and_its_epochs_use_the_composite_s_steps_per_epoch():
    params = {
        "lr": 0.1,
        "milestones": [4],
        "steps_per_epoch": 5,
        "schedules": [LINEAR, {"type": "onecycle", "max_lr": 1, "epochs": 3}],
    }
    assert build_spec("sequential", params).steps == 4 + 15
    with pytest.raises(UsageError, match=r"schedules\[1\] \(onecycle\): the cycle has 15 steps"):
        build_spec("sequential", {**params, "steps": 20})


def test_json_describes_the_schedules_inside(cli, in_tmp):
    (in_tmp / "c.yaml").write_text(
        "schedules:\n  - type: sequential\n    lr: 0.1\n    milestones: [5]\n    schedules:\n"
        "      - {type: cosine, t_max: 95, eta_min: 0.001, warmup_steps: 2}\n"
        "      - {type: linear, start_factor: 0.1, total_iters: 5}\n"
    )
    result = cli("run c.yaml -o c.json")
    assert result.code == 0, result.stderr
    entry = json.loads((in_tmp / "c.json").read_text())["schedules"][0]
    assert entry["origin"] == "torch.optim.lr_scheduler.SequentialLR"
    assert entry["params"]["schedules"] == [
        "cosine(t_max=95, eta_min=0.001, warmup_steps=2)",
        "linear(start_factor=0.1)",  # total_iters 5 is the default
    ]


class TestRun:
    YAML = (
        "schedules:\n"
        "  - type: sequential        # = SequentialLR\n"
        "    lr: 0.1\n"
        "    milestones: [5]\n"
        "    schedules:\n"
        "      - {type: linear, start_factor: 0.1, total_iters: 5}\n"
        "      - {type: cosine, t_max: 95, eta_min: 0.001}\n"
        "  - type: chained           # = ChainedScheduler\n"
        "    lr: 0.1\n"
        "    schedules:\n"
        "      - {type: linear, start_factor: 0.1, total_iters: 5}\n"
        "      - {type: exponential, gamma: 0.95}\n"
    )

    def test_the_issue_s_config_runs(self, cli, in_tmp):
        (in_tmp / "c.yaml").write_text(self.YAML)
        result = cli("run c.yaml -o -")
        assert result.code == 0, result.stderr
        header, rows = read_csv(result.stdout)
        assert len(header) == 3 and header[1].startswith("sequential") and header[2].startswith("chained")
        sequential = curve("sequential", **ISSUE_SEQUENTIAL).lr
        assert [float(r[1]) for r in rows[: len(sequential)]] == sequential.tolist()

    def test_an_error_inside_names_the_file_line_and_path(self, cli, in_tmp):
        (in_tmp / "c.yaml").write_text(self.YAML.replace("gamma: 0.95", "gamma: -1"))
        assert_one_line_error(
            cli("run c.yaml"),
            1,
            "c.yaml:12:",
            "schedules[1] (chained): schedules[1] (exponential): gamma must be a number > 0, got -1",
        )

    def test_composites_have_no_command_but_are_listed(self, cli):
        assert_one_line_error(cli("sequential --lr 0.1"), 2, "sequential is defined in YAML only")
        listing = cli("list").stdout
        for name in ("sequential", "chained"):
            schedule = schedules_of("torch")[name]
            assert f"{name}  ({schedule.origin})  YAML only: lrplot run CONFIG.yaml" in listing
            assert f"example: - {schedule.example}" in listing
        assert "| `sequential` (YAML) | `SequentialLR` |" in cli("list --markdown").stdout


def test_config_errors_are_config_errors(in_tmp):
    from lrplot import config

    (in_tmp / "c.yaml").write_text(
        "schedules:\n  - {type: chained, schedules: [{type: plateau, metrics: [1]}]}\n"
    )
    with pytest.raises(
        ConfigError, match=r"c.yaml:2: schedules\[0\] \(chained\): schedules\[0\] \(plateau\)"
    ):
        config.load(in_tmp / "c.yaml")


# --- the recurrence solver ----------------------------------------------------------------------

maps = st.tuples(st.floats(0.0, 2.0), st.sampled_from([0.0, 0.5]), st.floats(0.0, 1.0))


@settings(max_examples=200, deadline=None)
@given(st.lists(maps, min_size=0, max_size=300), st.floats(0.0, 1.0))
def test_solve_equals_stepping_one_row_after_the_other(rows, x0):
    a, p, q = (np.array(v, dtype=np.float64) for v in zip(*rows)) if rows else (np.zeros(0),) * 3
    expected = [x0]
    for ai, pi, qi in rows:
        expected.append(qi if ai == 0 else ai * (expected[-1] - pi) + qi)
    scale = max(1.0, *map(abs, expected))
    np.testing.assert_allclose(compose.solve(a, p, q, x0), expected, rtol=1e-12, atol=1e-12 * scale)


def test_solve_keeps_resets_exact_after_an_overflow():
    a = np.array([1e200, 1e200, 0.0, 0.5])
    rows = compose.solve(a, np.zeros(4), np.array([0.0, 0.0, 3.0, 0.0]), 1.0)
    assert rows[3] == 3.0 and rows[4] == 1.5


def test_a_flat_cosine_stays_exactly_flat_after_a_warm_up():
    c = lrplot.curve("cosine", lr=1.0, t_max=35, eta_min=1.0, warmup_steps=1, steps=200)
    np.testing.assert_array_equal(c.lr[1:], 1.0)
