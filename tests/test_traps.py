"""Traps: settings torch accepts that do something else than the user meant. Each is warned about
(one line on stderr, and in JSON's warnings) and each warning is tested triggered and not
triggered, through the library and through the command line (exit 0)."""

from __future__ import annotations

import json
import shlex
from typing import Any

import pytest

import lrplot
from lrplot.engine import KEYS, build_spec

from .test_cli import read_csv


def warnings_of(schedule: str, **params: Any) -> tuple[str, ...]:
    return lrplot.compute(build_spec(schedule, params, KEYS)).warnings


def only(warnings: tuple[str, ...]) -> str:
    assert len(warnings) == 1, warnings
    return warnings[0]


def assert_warns(cli, args: str, label: str, *fragments: str) -> None:
    """The command succeeds, writes its data, and stderr is one 'Warning: label: ...' line."""
    result = cli(f"{args} -o -")
    assert result.code == 0, result.stderr
    assert read_csv(result.stdout)[0][0] == "step"
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Warning: {label}: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def assert_quiet(cli, args: str) -> None:
    result = cli(f"{args} -o -")
    assert result.code == 0, result.stderr
    assert result.stderr == ""


# --- cosine -------------------------------------------------------------------------------------


class TestCosineEtaMin:
    def test_eta_min_equal_to_lr_is_flat(self, cli):
        # The seed's CosineAnnealingLR(T_max=20, eta_min=1e-3) on an optimizer with lr=1e-3.
        curve = lrplot.curve("cosine", lr=1e-3, t_max=20, eta_min=1e-3)
        assert set(curve.lr) == {1e-3}
        assert only(curve.warnings) == (
            "eta_min 0.001 equals lr 0.001: the rate stays flat at lr (CosineAnnealingLR anneals "
            "from the optimizer's lr down to eta_min); set eta_min below lr, e.g. 0 or lr / 100"
        )
        assert_warns(cli, "cosine --t-max 20 --eta-min 1e-3", "cosine", "eta_min 0.001 equals lr")

    def test_eta_min_above_lr_rises(self, cli):
        curve = lrplot.curve("cosine", lr=1e-3, t_max=20, eta_min=2e-3)
        assert curve.lr[-1] > curve.lr[0]
        assert "rises from lr to eta_min instead of falling" in only(curve.warnings)
        assert_warns(cli, "cosine --t-max 20 --eta-min 0.002", "cosine", "is above lr 0.001")

    def test_restarts_too(self, cli):
        assert "CosineAnnealingWarmRestarts" in only(warnings_of("cosine-restarts", t_0=5, eta_min=1e-3))
        assert_warns(cli, "cosine-restarts --t-0 5 --eta-min 0.01", "cosine-restarts", "eta_min 0.01")

    def test_eta_min_below_lr_is_quiet(self, cli):
        assert not warnings_of("cosine", lr=1e-3, t_max=20, eta_min=0.99e-3)
        assert not warnings_of("cosine-restarts", lr=1e-3, t_0=5, eta_min=1e-5)
        assert_quiet(cli, "cosine --t-max 20 --eta-min 1e-5")

    def test_inside_a_composite_the_warning_says_where(self):
        (warning,) = warnings_of("sequential", lr=0.1, milestones=[5], schedules=[
            {"type": "linear", "total_iters": 5}, {"type": "cosine", "t_max": 10, "eta_min": 0.1}])
        assert warning.startswith("schedules[1] (cosine): eta_min 0.1 equals lr 0.1")


class TestCosinePastTMax:
    def test_steps_past_t_max_climb_back_and_say_so(self, cli):
        curve = lrplot.curve("cosine", lr=0.1, t_max=50, eta_min=0.001, steps=150)
        assert only(curve.warnings) == (
            "150 steps run past t_max 50: after step 50 the rate climbs back up from eta_min "
            "(torch's cosine keeps going: back at lr at step 100); to end at eta_min, set t_max "
            "to 149 (the last step), or use 99 fewer steps"
        )
        assert_warns(cli, "cosine --t-max 50 --steps 150", "cosine", "150 steps run past t_max 50")

    def test_and_show_it_as_a_phase(self):
        curve = lrplot.curve("cosine", lr=0.1, t_max=50, steps=150)
        assert [(p.name, p.start, p.end) for p in curve.annotations.phases] == [
            ("annealing", 0, 50), ("past t_max", 50, 149)]

    def test_up_to_t_max_is_quiet(self, cli):
        curve = lrplot.curve("cosine", lr=0.1, t_max=50, steps=51)
        assert not curve.warnings and not curve.annotations.phases
        assert_quiet(cli, "cosine --t-max 50")

    def test_a_cosine_in_a_sequence_counts_its_own_steps(self):
        """After a 5-step warm-up, t_max 95 over 101 rows ends exactly at eta_min: quiet."""
        assert not warnings_of("cosine", lr=0.1, t_max=95, warmup_steps=5)
        (warning,) = warnings_of("cosine", lr=0.1, t_max=95, warmup_steps=5, steps=120)
        assert warning.startswith("115 steps run past t_max 95")


# --- 1cycle ------------------------------------------------------------------------------------


class TestOneCycleTotalSteps:
    def test_total_steps_not_a_whole_number_of_epochs(self, cli):
        curve = lrplot.curve("onecycle", max_lr=0.01, total_steps=1000, steps_per_epoch=30)
        assert only(curve.warnings) == (
            "total_steps 1000 is 33.33 epochs of 30 steps: OneCycleLR counts batches, so epoch 34 "
            "stops at its batch 11 with 'Tried to step 1001 times', and 33 epochs leave the cycle "
            "unfinished; set total_steps = epochs x steps_per_epoch, or give epochs with "
            "steps_per_epoch (e.g. 34 x 30 = 1020)"
        )
        assert_warns(cli, "onecycle --max-lr 0.01 --total-steps 1000 --steps-per-epoch 30",
                     "onecycle", "Tried to step 1001 times", "34 x 30 = 1020")

    def test_total_steps_shorter_than_an_epoch(self, cli):
        # The classic: total_steps=epochs, then stepped per batch.
        warning = only(warnings_of("onecycle", max_lr=0.01, total_steps=20, steps_per_epoch=50))
        assert warning.startswith("total_steps 20 is less than one epoch of 50 steps")
        assert "counts batches, not epochs" in warning and "'Tried to step 21 times'" in warning
        assert_warns(cli, "onecycle --max-lr 0.01 --total-steps 20 --steps-per-epoch 50",
                     "onecycle", "less than one epoch")

    @pytest.mark.parametrize("args", [
        "--total-steps 1000 --steps-per-epoch 50",  # 20 whole epochs
        "--epochs 20 --steps-per-epoch 50",  # total_steps derived, exactly
        "--total-steps 1000",  # nothing to compare it with
    ])
    def test_whole_epochs_are_quiet(self, cli, args):
        assert_quiet(cli, f"onecycle --max-lr 0.01 {args}")

    def test_the_message_matches_what_torch_raises(self):
        """torch allows total_steps calls of step() (the last one extrapolates) and raises on the
        next one, with the number the warning and the --steps error quote."""
        torch = pytest.importorskip("torch")
        weight = torch.nn.Parameter(torch.zeros(1))
        optimizer = torch.optim.SGD([weight], lr=0.1, momentum=0.9)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=10)
        for _ in range(10):
            optimizer.step()
            scheduler.step()
        optimizer.step()
        with pytest.raises(ValueError, match="Tried to step 11 times"):
            scheduler.step()
        assert "'Tried to step 11 times'" in only(
            warnings_of("onecycle", max_lr=0.1, total_steps=10, steps_per_epoch=4))

    def test_inside_a_sequence_its_steps_per_epoch_are_the_composites(self):
        (warning,) = warnings_of("sequential", lr=0.1, milestones=[5], steps_per_epoch=7, schedules=[
            {"type": "linear", "total_iters": 5}, {"type": "onecycle", "max_lr": 1.0, "total_steps": 50}])
        assert warning.startswith("schedules[1] (onecycle): total_steps 50 is 7.143 epochs of 7 steps")


# --- warm-up -----------------------------------------------------------------------------------


class TestWarmUp:
    def test_a_jump_at_the_hand_over(self, cli):
        """A linear schedule that starts at a tenth after a warm-up to the full rate."""
        curve = lrplot.curve("linear", lr=0.1, start_factor=0.1, total_iters=20, warmup_steps=5)
        assert curve.lr[4] > 0.08 and curve.lr[5] == pytest.approx(0.01)
        assert only(curve.warnings) == (
            "the warm-up ramps to 0.1, but linear takes over at step 5 at 0.01: the rate jumps "
            "down to 0.1x; a warm-up should end where its schedule starts: make linear start at "
            "the full rate, or leave out the warm-up"
        )
        assert_warns(cli, "constant --lr 0.1 --factor 0.5 --warmup-steps 5", "constant",
                     "jumps down to 0.5x")

    def test_a_peak_that_is_never_reached(self, cli):
        curve = lrplot.curve("linear", lr=0.1, start_factor=0.1, end_factor=0.5, total_iters=20,
                             warmup_steps=5)
        assert curve.lr.max() < 0.1
        assert "and never gets to 0.1;" in only(curve.warnings)
        assert_warns(cli, "linear --lr 0.1 --start-factor 0.1 --end-factor 0.5 --warmup-steps 5",
                     "linear", "never gets to 0.1")

    def test_a_warm_up_cut_off_by_a_milestone_never_reaches_its_peak(self):
        (warning,) = warnings_of("sequential", lr=0.1, milestones=[3], schedules=[
            {"type": "cosine", "t_max": 50, "warmup_steps": 5}, {"type": "exponential", "gamma": 0.9}])
        assert warning.startswith("schedules[0] (cosine): the warm-up is cut off after 3 of its 5 "
                                  "steps: the rate gets to 0.06, 60% of the 0.1 it ramps to")
        assert "shorten warmup_steps" in warning

    def test_into_a_cyclic_at_another_rate(self, cli):
        assert_warns(cli, "cyclic --lr 0.1 --base-lr 0.01 --max-lr 0.2 --step-size-up 5 "
                     "--warmup-steps 5", "cyclic", "set lr to 0.01")

    @pytest.mark.parametrize("args", [
        "cosine --lr 0.1 --t-max 95 --warmup-steps 5",
        "exponential --lr 0.1 --gamma 0.95 --warmup-steps 5 --warmup-start-factor 0.01",
        "step --lr 0.1 --step-size 10 --warmup-steps 3",
        "onecycle --max-lr 0.1 --total-steps 50 --warmup-steps 5",  # ramps to initial_lr: joined
        "cyclic --lr 0.01 --base-lr 0.01 --max-lr 0.1 --step-size-up 5 --warmup-steps 5",
        "linear --lr 0.1 --start-factor 1 --end-factor 0.1 --total-iters 20 --warmup-steps 5",
        "constant --lr 0.1 --factor 1 --warmup-steps 2 --warmup-start-factor 1",
    ])
    def test_a_warm_up_that_hands_over_smoothly_is_quiet(self, cli, args):
        assert not lrplot.compute(build_spec(shlex.split(args)[0], _flags(args), KEYS)).warnings
        assert_quiet(cli, args)


def _flags(args: str) -> dict[str, Any]:
    """``--a-b 1 --c 2`` as {"a_b": "1", "c": "2"} (values parsed by the parameters, as YAML's)."""
    tokens = shlex.split(args)[1:]
    return {tokens[i][2:].replace("-", "_"): _number(tokens[i + 1]) for i in range(0, len(tokens), 2)}


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return float(text)


# --- exponential -------------------------------------------------------------------------------


class TestExponential:
    def test_below_one_percent(self, cli):
        curve = lrplot.curve("exponential", lr=0.1, gamma=0.9, steps=100)
        assert curve.lr[43] >= 0.001 > curve.lr[44]
        assert only(curve.warnings) == (
            "the rate falls below 1% of lr at step 44: 56 of the 100 steps train at under 1% of "
            "lr; gamma 0.9 decays too fast for 100 steps (stepped per batch instead of per "
            "epoch?), gamma = 0.01 ** (1 / 99) = 0.954548 reaches 1% at the last step"
        )
        assert_warns(cli, "exponential --lr 0.1 --gamma 0.9 --steps 100", "exponential",
                     "below 1% of lr at step 44")

    def test_and_below_1e_10(self, cli):
        curve = lrplot.curve("exponential", lr=0.1, gamma=0.9, steps=300)
        assert curve.lr[196] >= 1e-10 > curve.lr[197]
        assert "below 1% of lr at step 44 and below 1e-10 at step 197: 256 of the 300" in only(
            curve.warnings)
        assert_warns(cli, "exponential --lr 0.1 --gamma 0.9 --steps 300", "exponential",
                     "below 1e-10 at step 197")

    def test_the_suggested_gamma_reaches_one_percent_at_the_last_step(self):
        gamma = 0.01 ** (1 / 99)
        curve = lrplot.curve("exponential", lr=0.1, gamma=gamma, steps=100)
        assert curve.lr[-1] == pytest.approx(0.001) and not curve.warnings

    @pytest.mark.parametrize("args", [
        "exponential --gamma 0.9",  # the default length ends on the first row below 1%
        "exponential --gamma 0.9 --steps 44",
        "exponential --gamma 0.1",
        "exponential --gamma 1.01 --steps 500",  # growth
        "exponential --lr 1e-12 --gamma 0.5 --steps 3",  # tiny from the start: nothing falls
    ])
    def test_a_curve_that_ends_where_it_reaches_one_percent_is_quiet(self, cli, args):
        assert_quiet(cli, args)

    def test_per_schedule_inside_a_chain(self):
        (warning,) = warnings_of("chained", lr=0.1, steps=100, schedules=[
            {"type": "constant", "factor": 0.5, "total_iters": 10}, {"type": "exponential", "gamma": 0.9}])
        assert warning.startswith("schedules[1] (exponential): the rate falls below 1% of lr at step 44")


# --- every trap reaches JSON --------------------------------------------------------------------


@pytest.mark.parametrize(("args", "fragment"), [
    ("cosine --t-max 20 --eta-min 1e-3", "equals lr"),
    ("cosine --t-max 5 --steps 20", "past t_max"),
    ("onecycle --max-lr 0.1 --total-steps 100 --steps-per-epoch 30", "Tried to step 101 times"),
    ("linear --lr 0.1 --start-factor 0.1 --warmup-steps 5", "jumps down"),
    ("exponential --gamma 0.5 --steps 50", "below 1e-10"),
])
def test_warnings_are_in_json(cli, in_tmp, args, fragment):
    result = cli(f"{args} -o out.json")
    assert result.code == 0
    (warning,) = json.loads((in_tmp / "out.json").read_text())["schedules"][0]["warnings"]
    assert fragment in warning
    assert f"Warning: {result.stderr.split(': ', 2)[1]}: {warning}\n" in result.stderr


def test_registry_examples_and_their_defaults_set_no_trap(cli, in_tmp):
    from lrplot.registry import schedules_of

    for name, schedule in schedules_of("torch").items():
        if schedule.yaml_only:
            continue
        result = cli(schedule.example)
        assert result.code == 0 and result.stderr == "", (name, result.stderr)


def test_traps_inside_a_yaml_composite_name_where_they_are(cli, in_tmp):
    (in_tmp / "c.yaml").write_text(
        "schedules:\n"
        "  - type: sequential\n"
        "    label: mine\n"
        "    lr: 0.1\n"
        "    milestones: [3]\n"
        "    schedules:\n"
        "      - {type: cosine, t_max: 50, warmup_steps: 5}\n"
        "      - {type: exponential, gamma: 0.9, steps_per_epoch: null}\n"
    )
    result = cli("run c.yaml -o -")
    assert result.code == 0, result.stderr
    assert result.stderr.splitlines() == [
        "Warning: mine: schedules[0] (cosine): the warm-up is cut off after 3 of its 5 steps: the "
        "rate gets to 0.06, 60% of the 0.1 it ramps to, and cosine never starts; leave the warm-up "
        "room (a later milestone), or shorten warmup_steps"
    ]
    (in_tmp / "ok.yaml").write_text(
        "schedules:\n  - {type: cosine, lr: 0.1, t_max: 95, eta_min: 0.001, warmup_steps: 5}\n")
    assert_quiet(cli, "run ok.yaml")
