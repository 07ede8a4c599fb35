"""Suggestions where a word is chosen from a set (issue 13, item 10): a close choice, a spec typed
without its quotes, a warm-up asked for as a command. Exit code, stdout and stderr apart."""

from __future__ import annotations

import pytest

from lrplot.params import Choice, Invalid

from .test_cli import assert_one_line_error


def test_a_choice_names_the_closest_one():
    choice = Choice("anneal_strategy", "", "cos", choices=("cos", "linear"))
    with pytest.raises(Invalid) as info:
        choice.parse("cosine")
    wanted = "anneal_strategy must be one of cos, linear, got cosine (did you mean cos?)"
    assert info.value.render(str) == wanted
    with pytest.raises(Invalid) as info:
        choice.parse("xyz")
    assert info.value.render(str) == "anneal_strategy must be one of cos, linear, got xyz"


@pytest.mark.parametrize("args,fragments", [
    ("onecycle --max-lr 0.1 --total-steps 100 --anneal-strategy cosine",
     ["--anneal-strategy must be one of cos, linear, got cosine (did you mean cos?)"]),
    ("plateau --metrics val.txt --mode maximum", ["--mode must be one of min, max", "(did you mean max?)"]),
    ("cosine --t-max 20 --emit torchh", ["(did you mean torch?)"]),
])
def test_a_choice_on_the_command_line(cli, in_tmp, args, fragments):
    assert_one_line_error(cli(args), 2, *fragments)


def test_a_choice_in_yaml(cli, in_tmp):
    (in_tmp / "c.yaml").write_text(
        "schedules:\n  - type: onecycle\n    max_lr: 0.1\n    total_steps: 100\n    anneal_strategy: linaer\n"
    )
    assert_one_line_error(cli("run c.yaml"), 1, "c.yaml:5: ", "anneal_strategy must be one of cos, linear",
                          "(did you mean linear?)")


@pytest.mark.parametrize("args,expected", [
    ('compare cosine --t-max 20',
     '--t-max is an option of cosine, not of compare: each SPEC is one schedule command line in quotes, '
     'e.g. lrplot compare "cosine --t-max 20"'),
    ('compare cosine --t-max 20 onecycle --max-lr 0.01 --total-steps 100 -o cmp.png --log',
     '--t-max is an option of cosine, not of compare: each SPEC is one schedule command line in quotes, '
     'e.g. lrplot compare "cosine --t-max 20" "onecycle --max-lr 0.01 --total-steps 100" -o cmp.png --log'),
    ('compare "cosine --t-max 20" hf linear --num-training-steps 100 --steps 50',
     '--num-training-steps is an option of hf linear, not of compare: each SPEC is one schedule command '
     'line in quotes, e.g. lrplot compare "cosine --t-max 20" "hf linear --num-training-steps 100" '
     '--steps 50'),
])
def test_specs_without_quotes_are_shown_quoted(cli, in_tmp, args, expected):
    result = cli(args)
    assert_one_line_error(result, 2)
    assert result.stderr == f"Error: {expected}\n"
    assert not (in_tmp / "cmp.png").exists()


def test_quoted_specs_and_compare_s_own_options_are_left_alone(cli):
    result = cli('compare "cosine --t-max 20" step --steps 25')
    assert result.code == 2 and result.stdout == ""
    # step takes no schedule option here: what fails is step's own --step-size, not the quoting.
    assert result.stderr == "Error: spec 2 (step): --step-size is required\n"
    result = cli("compare cosine onecycle --steps 20 --steps-per-epoch 5")
    assert result.code == 2 and "quotes" not in result.stderr
    # An option no schedule has is Click's to report.
    result = cli("compare cosine --bogus 1")
    assert result.code == 2 and result.stderr.startswith("Error: No such option: --bogus")


@pytest.mark.parametrize("name,fragment", [
    ("warmup-cosine", "a warm-up is an option of each schedule: lrplot cosine --warmup-steps N "
                      "(transformers' own: lrplot hf cosine --num-warmup-steps N)"),
    ("warmup_step", "a warm-up is an option of each schedule: lrplot step --warmup-steps N;"),
    ("cosine-warm-up", "lrplot cosine --warmup-steps N"),
    ("warmup", "a warm-up is an option of each schedule: lrplot SCHEDULE --warmup-steps N;"),
])
def test_a_warm_up_command_points_at_the_option(cli, name, fragment):
    result = cli([name, "--t-max", "20"])
    assert_one_line_error(result, 2, f"no command {name}; ", fragment, "commands: exponential, ")


def test_other_unknown_commands_keep_their_suggestion(cli):
    assert_one_line_error(cli("cosin --t-max 20"), 2, "no command cosin (did you mean cosine?)")
