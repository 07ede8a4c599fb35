"""lrplot code: schedules read out of Python source without running it give exactly what the
equivalent flags give; holes are named with the --set that fills them; nothing is ever run."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lrplot.cli import schedule_command
from lrplot.errors import LrplotError
from lrplot.params import Real, Series, Switch
from lrplot.registry import all_schedules

from .conftest import run_cli, write_metrics

SCHEDULES = all_schedules()
# Schedules whose library signature lrplot knows: their calls can be written positionally.
WITH_SIGNATURE = sorted(k for k, s in SCHEDULES.items() if s.signature and not s.yaml_only)


def csv(args: list[str]) -> str:
    result = run_cli([*args, "-o", "-"])
    assert result.code == 0, (args, result.stderr)
    return result.stdout


class TestTheIssueExamples:
    def test_onecycle_with_a_hole_filled_by_set(self):
        ours = csv(["code", "OneCycleLR(optimizer, max_lr=0.01, epochs=20, "
                    "steps_per_epoch=len(train_loader))", "--set", "len(train_loader)=50"])
        flags = csv(["onecycle", "--max-lr", "0.01", "--epochs", "20", "--steps-per-epoch", "50"])
        assert ours == flags

    def test_hugging_face_function_with_the_optimizers_lr(self):
        ours = csv(["code", "get_cosine_schedule_with_warmup(opt, num_warmup_steps=100, "
                    "num_training_steps=1000)", "--lr", "2e-5"])
        flags = csv(["hf", "cosine", "--num-warmup-steps", "100", "--num-training-steps", "1000",
                     "--lr", "2e-5"])
        assert ours == flags

    def test_optax_positional_arguments(self):
        ours = csv(["code", "optax.warmup_cosine_decay_schedule(0.0, 1e-3, 100, 1000)"])
        flags = csv(["optax", "warmup-cosine-decay", "--init-value", "0.0", "--peak-value", "1e-3",
                     "--warmup-steps", "100", "--decay-steps", "1000"])
        assert ours == flags

    def test_a_file_gives_one_curve_per_scheduler_and_reads_its_constants(self, tmp_path):
        script = tmp_path / "train.py"
        script.write_text(
            "import torch\n"
            "from torch.optim import lr_scheduler\n"
            "EPOCHS = 20\n"
            "WARM = 5\n"
            "model = torch.nn.Linear(1, 1)\n"
            "optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4)\n"
            "warmup = lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=WARM)\n"
            "cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS - WARM)\n"
            "scheduler = lr_scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=[WARM])\n"
            "other = torch.optim.lr_scheduler.ExponentialLR(optimizer, 0.9)\n"
            "for epoch in range(EPOCHS):\n"
            "    scheduler.step()\n"
        )
        result = run_cli(["code", str(script), "--steps", "20", "-o", "-"])
        assert result.code == 0, result.stderr
        header = result.stdout.splitlines()[0]
        assert header.startswith('step,"sequential') and ",exponential" in header
        config = tmp_path / "same.yaml"
        config.write_text(
            "steps: 20\nschedules:\n"
            "  - type: sequential\n    lr: 0.0003\n    milestones: [5]\n    schedules:\n"
            "      - {type: linear, start_factor: 0.1, total_iters: 5}\n"
            "      - {type: cosine, t_max: 15}\n"
            "  - {type: exponential, lr: 0.0003, gamma: 0.9}\n"
        )
        planned = run_cli(["run", str(config), "-o", "-"])
        assert [row.split(",")[1:] for row in result.stdout.splitlines()[1:]] == [
            row.split(",")[1:] for row in planned.stdout.splitlines()[1:]]

    def test_emit_turns_it_back_into_code(self):
        result = run_cli(["code", "torch.optim.lr_scheduler.StepLR(opt, 30, gamma=0.5)", "--emit", "torch"])
        assert result.code == 0
        assert "scheduler = StepLR(optimizer, step_size=30, gamma=0.5)" in result.stdout


class TestHoles:
    def test_an_open_hole_names_the_set_to_add(self):
        result = run_cli(["code", "CosineAnnealingLR(opt, T_max=EPOCHS * len(loader))"])
        assert result.code == 2
        assert result.stderr == ("Error: code:1: EPOCHS is not a value lrplot can read without running "
                                 "the code; add --set EPOCHS=VALUE\n")

    def test_an_expression_hole_is_filled_by_its_text(self):
        ours = csv(["code", "CosineAnnealingLR(opt, T_max=args.epochs)", "--set", "args.epochs=30"])
        assert ours == csv(["cosine", "--t-max", "30"])

    def test_arithmetic_of_literals(self):
        ours = csv(["code", "OneCycleLR(opt, max_lr=1e-3 * 10, total_steps=20 * 50, div_factor=-(-25))"])
        assert ours == csv(["onecycle", "--max-lr", "0.01", "--total-steps", "1000"])

    def test_set_gives_what_is_not_an_argument(self, tmp_path):
        (tmp_path / "val.txt").write_text("\n".join(str(1 / (i + 1)) for i in range(12)) + "\n")
        metrics = str(tmp_path / "val.txt")
        ours = csv(["code", "ReduceLROnPlateau(opt, patience=2)", "--set", f"metrics={metrics}"])
        assert ours == csv(["plateau", "--patience", "2", "--metrics", metrics])


# Code that must never run: each is refused as a hole or an error, and leaves no trace.
DANGEROUS = [
    "__import__('os').system('touch pwned')",
    "CosineAnnealingLR(opt, T_max=__import__('os').system('touch pwned'))",
    "CosineAnnealingLR(opt, T_max=(lambda: 3)())",
    "CosineAnnealingLR(opt, T_max=[i for i in range(3)][0])",
    "CosineAnnealingLR(opt, T_max=f'{open(\"pwned\", \"w\")}')",
    "CosineAnnealingLR(opt, T_max=os.path.sep)",
    "CosineAnnealingLR(opt, T_max=10 ** 10 ** 10)",
    "CosineAnnealingLR(opt, T_max=open('pwned', 'w').write('x'))",
]


@pytest.mark.parametrize("source", DANGEROUS)
def test_nothing_is_ever_run(source, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = set(sys.modules)
    result = run_cli(["code", source])
    assert result.code == 2
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "pwned").exists()
    assert "os" in before or "os" not in set(sys.modules) - before


class TestRefusals:
    def test_an_unknown_callable_suggests_the_closest(self):
        result = run_cli(["code", "CosineAnealingLR(opt, 10)"])
        assert result.code == 2
        assert "CosineAnealingLR: did you mean CosineAnnealingLR?" in result.stderr

    def test_an_unknown_argument_is_named(self):
        result = run_cli(["code", "CosineAnnealingLR(opt, T_max=10, eta_mni=0.1)"])
        assert result.code == 2
        assert "eta_mni is not a parameter lrplot reads for CosineAnnealingLR (did you mean eta_min?)" in (
            result.stderr)

    def test_too_many_positional_arguments(self):
        result = run_cli(["code", "StepLR(opt, 1, 2, 3, 4, 5)"])
        assert result.code == 2 and "StepLR takes 4 positional arguments, got 6" in result.stderr

    def test_huge_and_deep_expressions_are_refused(self):
        deep = run_cli(["code", "CosineAnnealingLR(opt, T_max=" + "(" * 500 + "1" + ")" * 500 + ")"])
        assert deep.code == 2 and "nested" in deep.stderr
        huge = run_cli(["code", "CosineAnnealingLR(opt, T_max=" + "1+" * 20000 + "1)"])
        assert huge.code == 2 and "too long" in huge.stderr

    def test_syntax_errors_and_missing_files(self, tmp_path):
        bad = run_cli(["code", "CosineAnnealingLR(opt,"])
        assert bad.code == 2 and bad.stderr.startswith("Error: code:1: not valid Python")
        missing = run_cli(["code", str(tmp_path / "nope.py")])
        assert missing.code == 2 and "no such file" in missing.stderr

    def test_a_bad_value_is_refused_by_the_one_validation_path(self):
        result = run_cli(["code", "CosineAnnealingLR(opt, T_max=0)"])
        assert result.code == 2
        assert result.stderr == "Error: code:1: t_max must be an integer >= 1, got 0\n"

    def test_the_factory_name_must_be_known(self):
        result = run_cli(["code", "get_scheduler('cosin', opt, 10, 100)"])
        assert result.code == 2 and "get_scheduler('cosin') is not a hf schedule (did you mean cosine?)" in (
            result.stderr)


# --- every schedule: the code a user would write gives the flags' CSV ----------------------------


def example_values(key: str) -> dict[str, Any]:
    """The parsed parameters of a schedule's own example command (lrplot names, typed values)."""
    schedule = SCHEDULES[key]
    words = shlex.split(schedule.example)[1 if schedule.framework == "torch" else 2:]
    command = schedule_command(schedule.framework, schedule.name)
    raw = {k: v for k, v in command.make_context(schedule.name, words).params.items()
           if v not in (None, [], ())}
    params = {p.name: p for p in schedule.params}
    return {name: params[name].parse(value) if name in params else value for name, value in raw.items()}


def perturbed(values: dict[str, Any], key: str, draw) -> dict[str, Any]:
    """The example with its numbers moved a little (hypothesis draws how)."""
    params = {p.name: p for p in SCHEDULES[key].params}
    out = {}
    for name, value in values.items():
        param = params.get(name)
        if isinstance(param, Real) and isinstance(value, float) and value != 0:
            value = value * draw(st.sampled_from([0.5, 0.9, 1.0, 1.1, 2.0]))
        elif isinstance(value, int) and not isinstance(value, bool) and not isinstance(param, Switch):
            value = value + draw(st.integers(0, 3))
        out[name] = value
    return out


def as_source(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(as_source(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{as_source(k)}: {as_source(v)}" for k, v in value.items()) + "}"
    return repr(value)


def as_flag(name: str, value: Any, param) -> list[str]:
    flag = "--" + name.replace("_", "-")
    if isinstance(param, Switch):
        return [flag if value else "--no-" + name.replace("_", "-")]
    if isinstance(value, tuple):
        return [flag, ",".join(str(v) for v in value)]
    if isinstance(value, Mapping):
        return [flag, ",".join(f"{k}={v!r}" for k, v in value.items())]
    return [flag, repr(value) if isinstance(value, float) else str(value)]


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@pytest.mark.parametrize("key", WITH_SIGNATURE)
@given(data=st.data())
def test_code_gives_the_flags_csv_for_every_schedule(key, data, tmp_path_factory, monkeypatch):
    folder = tmp_path_factory.mktemp("code")
    monkeypatch.chdir(folder)
    write_metrics(folder)
    schedule = SCHEDULES[key]
    params = {p.name: p for p in schedule.params}
    values = perturbed(example_values(key), key, data.draw)
    signature = [n for n in schedule.signature]
    native = dict(schedule.native)
    theirs = {native.get(n, n): n for n in values}
    in_call = [n for n in signature if n in theirs]
    positional = data.draw(st.integers(0, len(in_call)))
    # Positional arguments are a prefix of the signature, so only up to the first one missing.
    run = 0
    for name in signature:
        if name == "optimizer" or name in theirs:
            run += 1
        else:
            break
    args = []
    for index, name in enumerate(signature[:run]):
        if name == "optimizer":
            args.append("optimizer")
        elif index < positional:
            args.append(as_source(values[theirs[name]]))
    used = {theirs[n] for n in signature[: min(run, positional)] if n in theirs}
    # Keywords: every argument of the call not given by position (a **kwargs function such as
    # get_reduce_on_plateau_schedule takes the schedule's own arguments this way).
    keyword = [n for n in values if n not in used and (native.get(n, n) in signature or (
        n in params and params[n].argument))]
    args += [f"{native.get(n, n)}={as_source(values[n])}" for n in keyword]
    extra = [n for n in values if n not in used and n not in keyword]
    code_args = ["code", f"{schedule.origin_name}({', '.join(args)})"]
    for name in extra:
        if name in params and not params[name].argument:
            code_args += ["--set", f"{name}={values[name]}"] if isinstance(params[name], Series) or (
                name != "lr") else ["--lr", str(values[name])]
        else:
            code_args += as_flag(name, values[name], params.get(name))
    flags = [*shlex.split(schedule.example)[: 1 if schedule.framework == "torch" else 2]]
    for name, value in values.items():
        flags += as_flag(name, value, params.get(name))
    first = run_cli([*flags, "-o", "-"])
    assume(first.code == 0)
    ours = run_cli([*code_args, "-o", "-"])
    assert ours.code == 0, (code_args, ours.stderr)
    assert ours.stdout == first.stdout, code_args
    assert ours.stderr == first.stderr


def resolve_origin(origin: str) -> Any:
    """The library object a dotted origin names: the longest importable module, then attributes
    (fastai's Learner methods are patched onto Learner, not module functions)."""
    import importlib

    parts = origin.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            target = getattr(target, name)
        return target
    raise ImportError(origin)


def test_signatures_are_the_libraries_own():
    """Each schedule's signature lists its library callable's parameters in order (checked
    against the real library where it is installed; every library in CI)."""
    import inspect

    from tests.libraries import available, reference

    checked = 0
    for schedule in SCHEDULES.values():
        if not schedule.signature:
            continue
        library = schedule.origin.split(".")[0]
        loader = "timm.scheduler" if library == "timm" else library
        if not available(loader):
            continue
        reference(loader)
        fn = resolve_origin(schedule.origin)
        names = tuple(p for p in inspect.signature(fn).parameters if p not in ("args", "kwargs"))
        assert names == schedule.signature, schedule.key
        checked += 1
    assert checked


def test_reading_code_never_raises_past_the_boundary():
    from lrplot.code import read

    with pytest.raises(LrplotError):
        read("x = ", {})


def test_every_schedule_with_a_command_knows_its_librarys_signature():
    """So that lrplot code can map positional arguments of every framework's calls."""
    assert [k for k, s in SCHEDULES.items() if not s.signature and not s.yaml_only] == []


def test_keras_calls_with_positional_arguments_and_a_name():
    ours = csv(["code", "keras.optimizers.schedules.CosineDecay(0.1, 1000, name='decay')"])
    assert ours == csv(["keras", "cosine-decay", "--initial-learning-rate", "0.1", "--decay-steps", "1000"])
