"""--emit torch: the emitted code runs against torch and reproduces lrplot's curve, for every
schedule, warm-up and composition; the CLI wiring and its refusals.

Each case is a curve lrplot computed; its code is executed as it is printed (a fresh namespace, a
real torch), and the rate of every optimizer update is recorded by a global optimizer step hook:
update t must train with row t of the curve, up to the round-off tests/reference.py allows.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import shlex
import subprocess
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

try:
    import torch
    from torch.optim.optimizer import register_optimizer_step_pre_hook
except ImportError as exc:  # the same rule as tests/test_live_torch.py
    if os.environ.get("LRPLOT_REQUIRE_TORCH") == "1":
        pytest.fail(f"LRPLOT_REQUIRE_TORCH=1 but torch cannot be imported: {exc}", pytrace=False)
    pytest.skip("torch is not installed", allow_module_level=True)

import lrplot
from lrplot import config
from lrplot.emit import script as torch_script
from lrplot.emit import torch_code
from lrplot.engine import KEYS, Spec, build_spec, labelled
from lrplot.registry import entry, schedules_of
from tests.reference import assert_matches_torch, kind_of

from .conftest import VAL_ACC, write_metrics
from .test_cli import assert_one_line_error

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_configs"
REGISTRY = schedules_of("torch")
COMMANDS = {name: s for name, s in REGISTRY.items() if not s.yaml_only}
COMPOSABLE = sorted(name for name, s in COMMANDS.items() if not s.stepping.refused)


# --- running emitted code -----------------------------------------------------------------------


def run_code(code: str) -> tuple[np.ndarray, np.ndarray]:
    """Execute ``code`` as a script; the lr (and momentum) of the first param group at every
    optimizer update, in order."""
    rates: list[float] = []
    momenta: list[float] = []

    def record(optimizer: Any, args: Any, kwargs: Any) -> None:
        group = optimizer.param_groups[0]
        rates.append(float(group["lr"]))
        momenta.append(float(group.get("momentum", math.nan)))

    handle = register_optimizer_step_pre_hook(record)
    try:
        with warnings.catch_warnings():
            # A warning from torch means the emitted protocol is off; the emitted script silences
            # torch's step-order warning itself where its own construction order triggers it.
            warnings.simplefilter("error", UserWarning)
            exec(compile(code, "<emitted>", "exec"), {"__name__": "__main__"})
    finally:
        handle.remove()
    return np.array(rates), np.array(momenta)


def raw_params(schedule: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """A curve's (or spec's) parameters as tests/reference.py takes them: composites' children as
    mappings with a type, warm-ups as warmup_steps and warmup_start_factor."""
    out = dict(params)
    if isinstance(out.get("schedules"), tuple):
        out["schedules"] = [
            {"type": child.schedule, **raw_params(child.schedule, child.params),
             **({} if child.warmup_steps is None else {"warmup_steps": child.warmup_steps,
                                                       "warmup_start_factor": child.warmup_start_factor})}
            for child in out["schedules"]
        ]
    return out


def assert_reproduces(curve: lrplot.Curve, code: str) -> None:
    rates, momenta = run_code(code)
    kind = kind_of(curve.schedule, raw_params(curve.schedule, curve.params))
    assert len(rates) == len(curve), (len(rates), len(curve))
    assert_matches_torch(curve.lr, rates, kind, context=f"emitted code of {curve.label}")
    if "momentum" in curve.series:
        assert_matches_torch(curve.series["momentum"], momenta, "closed", what="momentum",
                             context=f"emitted code of {curve.label}")


# --- the cases: registry examples, their warm-ups, the sample configs, compositions ------------


def example_args(name: str) -> list[str]:
    return shlex.split(COMMANDS[name].example)


def yaml_example(name: str) -> dict[str, Any]:
    import yaml

    params = yaml.safe_load(REGISTRY[name].example)
    assert params.pop("type") == name
    return params


def sample_curves() -> list[tuple[str, lrplot.Curve]]:
    """Every schedule of every sample lrplot config, computed as `lrplot run` computes it (the
    training configs of other frameworks, e.g. timm's args.yaml, are their namespaces' tests')."""
    out = []
    for path in sorted(SAMPLES.glob("*.yaml")):
        if config.recognise(config.parse(path.read_text(), path.name), path.name) != config.LRPLOT:
            continue
        loaded = config.load(path)
        specs = labelled(loaded.specs)
        # torch's code only: a training log (type: log) has none, another framework's schedule
        # is its namespace's tests' (tests/test_hf.py, ...).
        out += [(f"{path.stem}[{i}]", lrplot.compute(spec)) for i, spec in enumerate(specs)
                if isinstance(spec, Spec) and entry(spec.schedule).framework == "torch"]
    return out


LINEAR = {"type": "linear", "start_factor": 0.1, "total_iters": 5}
# Compositions the examples and samples do not cover: every quirk of torch's protocol that
# lrplot reproduces (see lrplot/schedules/compose.py) must come out of the emitted code too.
COMPOSITIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "warm-up before onecycle": ("onecycle", {"max_lr": 0.1, "total_steps": 60, "warmup_steps": 10}),
    "warm-up before cyclic, lr != base_lr": (
        "cyclic", {"lr": 0.1, "base_lr": 0.01, "max_lr": 0.05, "step_size_up": 5,
                   "warmup_steps": 4, "warmup_start_factor": 0.5}),
    "onecycle then exponential": ("sequential", {
        "lr": 0.1, "milestones": [20], "schedules": [
            {"type": "onecycle", "max_lr": 1.0, "total_steps": 20},
            {"type": "exponential", "gamma": 0.9}]}),
    "chain first in a sequential": ("sequential", {
        "lr": 0.1, "milestones": [8], "schedules": [
            {"type": "chained", "schedules": [LINEAR, {"type": "exponential", "gamma": 0.9}]},
            {"type": "cosine", "t_max": 20}]}),
    "warm-up first in a sequential": ("sequential", {
        "lr": 0.1, "milestones": [30], "schedules": [
            {"type": "cosine", "t_max": 25, "eta_min": 0.001, "warmup_steps": 5},
            {"type": "step", "step_size": 10, "gamma": 0.5}]}),
    "cyclic then linear in a chain": ("chained", {
        "lr": 0.1, "schedules": [
            {"type": "cyclic", "base_lr": 0.01, "max_lr": 0.05, "step_size_up": 4},
            {"type": "linear", "start_factor": 0.5, "total_iters": 2}]}),
    "cosine above the rate in a chain": ("chained", {
        "lr": 0.1, "steps": 60, "schedules": [
            {"type": "constant", "factor": 0.01, "total_iters": 30},
            {"type": "cosine", "t_max": 20, "eta_min": 0.05}]}),
    "three sequential with restarts": ("sequential", {
        "lr": 0.1, "milestones": [10, 25], "schedules": [
            LINEAR, {"type": "cosine-restarts", "t_0": 5, "t_mult": 2},
            {"type": "polynomial", "total_iters": 10, "power": 2.0}]}),
    "onecycle three-phase, steps per epoch": (
        "onecycle", {"max_lr": 0.1, "epochs": 6, "steps_per_epoch": 7, "three_phase": True,
                     "anneal_strategy": "linear", "cycle_momentum": True}),
    "onecycle, total_steps not whole epochs": (
        "onecycle", {"max_lr": 0.1, "total_steps": 50, "steps_per_epoch": 7}),
    "cosine stepped per batch": ("cosine", {"lr": 0.1, "t_max": 30, "steps_per_epoch": 10,
                                            "steps": 40}),
    "cosine past t_max": ("cosine", {"lr": 0.1, "t_max": 7, "eta_min": 0.01, "steps": 30}),
    "multistep with a repeat": ("multistep", {"lr": 0.1, "milestones": [3, 3, 8], "gamma": 0.5}),
    "plateau with cooldown, floor and NaN": (
        "plateau", {"lr": 0.01, "metrics": [3, 2, 2, 2, math.nan, 2, 2, 2, 2, 1, 1, 1, 1, 1],
                    "patience": 1, "cooldown": 2, "factor": 0.5, "min_lr": 0.003}),
    "plateau on an accuracy": ("plateau", {"lr": 0.001, "metrics": VAL_ACC, "mode": "max",
                                           "patience": 2, "threshold_mode": "abs",
                                           "threshold": 0.001}),
}


@pytest.fixture(scope="module")
def metrics_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("metrics")
    write_metrics(folder)
    return folder


def run_cli(args: list[str], folder: Path):
    from .conftest import run_cli as invoke

    cwd = os.getcwd()
    os.chdir(folder)
    try:
        return invoke(args)
    finally:
        os.chdir(cwd)


CLI_CASES = [(name, []) for name in sorted(COMMANDS)] + [
    (name, ["--warmup-steps", "5"]) for name in COMPOSABLE
] + [(name, ["--warmup-steps", "3", "--warmup-start-factor", "0.1"]) for name in COMPOSABLE]


@pytest.mark.parametrize(("name", "extra"), CLI_CASES,
                         ids=[f"{n}{' '.join([''] + e)}" for n, e in CLI_CASES])
def test_every_example_and_its_warm_up_through_the_cli(metrics_dir, tmp_path, name, extra):
    """`lrplot EXAMPLE --emit torch -o c.json`: the code on stdout reproduces the JSON's curve."""
    out = tmp_path / "c.json"
    result = run_cli([*example_args(name), *extra, "--emit", "torch", "-o", str(out)], metrics_dir)
    assert result.code == 0, result.stderr
    entry = json.loads(out.read_text())["schedules"][0]
    curve_lr = np.array(entry["series"]["lr"], dtype=np.float64)
    rates, momenta = run_code(result.stdout)
    params = {k: v for k, v in entry["params"].items()}
    assert_matches_torch(curve_lr, rates, kind_of(name, params), context=" ".join(extra) or name)
    if "momentum" in entry["series"]:
        assert_matches_torch(np.array(entry["series"]["momentum"]), momenta, "closed",
                             what="momentum")


@pytest.mark.parametrize("name", sorted(n for n, s in REGISTRY.items() if s.yaml_only))
def test_every_yaml_only_example(name):
    curve = lrplot.compute(build_spec(name, yaml_example(name)))
    assert_reproduces(curve, torch_code(curve))


@pytest.mark.parametrize(("case", "curve"), sample_curves(), ids=[c for c, _ in sample_curves()])
def test_every_sample_config_schedule(case, curve):
    assert_reproduces(curve, torch_code(curve))


@pytest.mark.parametrize("case", sorted(COMPOSITIONS))
def test_compositions_and_quirks(case):
    name, params = COMPOSITIONS[case]
    curve = lrplot.compute(build_spec(name, params, KEYS))
    assert_reproduces(curve, torch_code(curve))


# --- what the code says ------------------------------------------------------------------------


def test_onecycle_steps_per_batch_inside_the_batch_loop():
    code = torch_code(lrplot.curve("onecycle", max_lr=0.01, epochs=20, steps_per_epoch=50))
    assert "scheduler = OneCycleLR(optimizer, max_lr=0.01, epochs=20, steps_per_epoch=50)" in code
    lines = code.splitlines()
    loop = lines.index("for epoch in range(20):")
    assert lines[loop + 1].startswith("    for batch in range(50):")
    assert lines[loop + 2] == "        train_step()"
    assert lines[loop + 3].startswith("        scheduler.step()  # once per batch, after optimizer.step()")
    assert "# replace with yours" in code and "momentum=0.9" in code


def test_plateau_steps_per_epoch_with_the_metric():
    code = torch_code(lrplot.curve("plateau", lr=0.001, metrics=VAL_ACC, mode="max", patience=2))
    assert 'scheduler = ReduceLROnPlateau(optimizer, mode="max", patience=2)' in code
    assert "lr=0.001, momentum=0.9)  # replace with yours" in code
    assert f"for epoch in range({len(VAL_ACC)}):" in code
    assert "    scheduler.step(metric)  # once per epoch" in code
    assert "scheduler.step()" not in code


def test_optimizer_lr_is_the_schedules_base_rate():
    code = torch_code(lrplot.curve("exponential", lr=0.05, gamma=0.9))
    assert "torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)" in code
    code = torch_code(lrplot.curve("onecycle", max_lr=0.1, total_steps=100))
    assert "OneCycleLR sets the optimizer's lr itself" in code


def test_floats_are_written_to_read_back_exactly():
    curve = lrplot.curve("exponential", lr=0.1, gamma=0.954992586021436)
    assert "gamma=0.954992586021436" in torch_code(curve)
    assert "lr=0.1," in torch_code(curve)


def test_lrplot_defaults_are_torchs_so_leaving_them_out_is_safe():
    """emit omits parameters at their default: each default must be torch's own."""
    for name, schedule in COMMANDS.items():
        torch_params = inspect.signature(getattr(torch.optim.lr_scheduler, schedule.origin_name)).parameters
        for param in schedule.params:
            if not param.argument or param.required:
                continue
            torch_name = schedule.native.get(param.name, param.name)
            assert torch_name in torch_params, (name, param.name)
            assert torch_params[torch_name].default == param.default, (name, param.name)


def test_several_curves_give_one_script_each_in_turn():
    curves = [lrplot.curve("cosine", t_max=5, label="a"), lrplot.curve("exponential", gamma=0.5, label="b")]
    script = torch_script(curves)
    assert script.startswith("# ---- 1 of 2: a ----\n")
    assert "\n# ---- 2 of 2: b ----\n" in script
    run_code(script)  # the blocks run one after the other


def test_emitted_script_runs_on_its_own(tmp_path, metrics_dir):
    result = run_cli(["onecycle", "--max-lr", "0.01", "--total-steps", "40", "--emit", "torch"],
                     metrics_dir)
    assert result.code == 0 and result.stderr == ""
    script = tmp_path / "train.py"
    script.write_text(result.stdout + "print(scheduler.get_last_lr()[0])\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    # After total_steps steps: torch's one extrapolated rate (still allowed), no error.
    assert float(done.stdout) > 0


# --- the command line --------------------------------------------------------------------------


def test_emit_replaces_the_table_and_keeps_the_files(metrics_dir, tmp_path):
    out = tmp_path / "c.csv"
    result = run_cli(["cosine", "--t-max", "5", "--emit", "torch", "-o", str(out)], metrics_dir)
    assert result.code == 0
    assert result.stdout.startswith("# cosine (CosineAnnealingLR)")
    assert " steps · start " not in result.stdout  # no table
    assert out.exists() and result.stderr == f"Wrote {out}\n"


def test_emit_warnings_still_go_to_stderr(metrics_dir):
    result = run_cli(["cosine", "--t-max", "5", "--eta-min", "0.001", "--emit", "torch"], metrics_dir)
    assert result.code == 0
    assert result.stderr.startswith("Warning: cosine: eta_min 0.001 equals lr 0.001")
    assert "Warning" not in result.stdout


@pytest.mark.parametrize(("extra", "other"), [(["--chart"], "--chart"), (["-o", "-"], "-o -")])
def test_emit_refuses_another_writer_of_stdout(metrics_dir, extra, other):
    result = run_cli(["cosine", "--t-max", "5", "--emit", "torch", *extra], metrics_dir)
    assert_one_line_error(result, 2, f"--emit and {other} both write to standard output")


def test_emit_takes_only_known_frameworks(metrics_dir):
    assert_one_line_error(run_cli(["cosine", "--t-max", "5", "--emit", "jax"], metrics_dir), 2,
                          "--emit must be one of torch, hf, timm, optax, keras, deepspeed, fastai, got jax")


def test_emit_refuses_another_frameworks_code(metrics_dir):
    assert_one_line_error(run_cli(["cosine", "--t-max", "5", "--emit", "hf"], metrics_dir), 2,
                          "--emit hf: cosine is a PyTorch schedule; use --emit torch")


def test_emit_in_compare_and_as_a_yaml_key(metrics_dir, tmp_path):
    result = run_cli(["compare", "cosine --t-max 5", "exponential --gamma 0.5", "--emit", "torch"],
                     metrics_dir)
    assert result.code == 0, result.stderr
    assert result.stdout.count("import torch") == 2
    run_code(result.stdout)
    (tmp_path / "c.yaml").write_text("emit: torch\nschedules:\n  - {type: cosine, t_max: 5}\n")
    result = run_cli(["run", str(tmp_path / "c.yaml")], metrics_dir)
    assert result.code == 0, result.stderr
    assert "CosineAnnealingLR(optimizer, T_max=5)" in result.stdout


def test_specs_and_curves_from_every_path_agree():
    # The spec lrplot builds for a composite child is what the emitted code constructs.
    spec: Spec = build_spec("sequential", {"lr": 0.1, "milestones": [5], "schedules": [
        LINEAR, {"type": "cosine", "t_max": 95, "eta_min": 0.001}]})
    code = torch_code(lrplot.compute(spec))
    assert "linear = LinearLR(optimizer, start_factor=0.1)" in code
    assert "cosine = CosineAnnealingLR(optimizer, T_max=95, eta_min=0.001)" in code
    assert "scheduler = SequentialLR(optimizer, schedulers=[linear, cosine], milestones=[5])" in code


def test_emitting_code_imports_neither_torch_nor_matplotlib(tmp_path):
    from .test_imports import imported_by

    assert imported_by(["cosine", "--t-max", "20", "--emit", "torch"], tmp_path) == set()


def test_a_spec_gives_the_code_of_its_curve():
    spec = build_spec("onecycle", {"max_lr": 0.1, "epochs": 3, "steps_per_epoch": 10, "warmup_steps": 4})
    assert torch_code(spec) == torch_code(lrplot.compute(spec))


def test_a_plateau_on_numbered_epochs_steps_only_where_they_were_measured(tmp_path):
    """A metrics file that validated every second epoch: the emitted loop calls step(metric) at
    those epochs only, and reproduces lrplot's curve."""
    (tmp_path / "odd.csv").write_text("epoch,val_loss\n" + "".join(
        f"{e},{v}\n" for e, v in zip(range(1, 15, 2), [1.0, 0.9, 0.95, 0.96, 0.97, 0.98, 0.99])))
    curve = lrplot.curve("plateau", metrics=str(tmp_path / "odd.csv"), patience=1)
    code = torch_code(curve)
    assert "if epoch in metrics:" in code
    assert_reproduces(curve, code)
