"""What every framework and every registered schedule must have, walked from the registry: a
namespace that imports nothing of the others, a command with help that runs its own example, a
YAML type that names it, a listing, a fast route equal to its formula, a benchmark size, and CI
pins of the library version the registry names."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lrplot
from lrplot import catalog
from lrplot.engine import lookup
from lrplot.frameworks import FRAMEWORKS, WORDS
from lrplot.registry import FAST_FROM, all_schedules, schedules_of

from .conftest import run_cli, write_metrics

ROOT = Path(__file__).resolve().parent.parent
SCHEDULES = all_schedules()
COMMANDS = {key: s for key, s in SCHEDULES.items() if not s.yaml_only}
OTHERS = [name for name in FRAMEWORKS if name != "torch"]


def test_every_framework_has_schedules():
    for name in FRAMEWORKS:
        assert schedules_of(name), name


ISOLATION = """
import sys
import lrplot.schedules.{module}
own = "lrplot.schedules.{module}"
others = sorted(m for m in sys.modules if m.startswith("lrplot.schedules.") and m.count(".") == 2
                and m.rsplit(".", 1)[1] in {frameworks!r} and m != own)
libraries = sorted(m for m in {libraries!r} if m in sys.modules)
print(",".join(others) + "|" + ",".join(libraries))
"""


@pytest.mark.parametrize("framework", OTHERS)
def test_a_namespace_imports_no_other_framework_nor_any_library(framework):
    module = FRAMEWORKS[framework].package.rsplit(".", 1)[1]
    modules = [f.package.rsplit(".", 1)[1] for f in FRAMEWORKS.values()]
    libraries = ["torch", "transformers", "timm", "optax", "jax", "keras", "deepspeed", "fastai",
                 "matplotlib", "yaml"]
    code = ISOLATION.format(module=module, frameworks=modules, libraries=libraries)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    others, imported = done.stdout.strip().split("|")
    # Schedules that *are* torch's classes (HF and timm's plateau) may reuse torch's plateau math.
    assert set(filter(None, others.split(","))) <= {"lrplot.schedules.plateau"}, others
    assert imported == "", imported


@pytest.mark.parametrize("key", sorted(COMMANDS))
def test_every_schedule_runs_its_example_and_has_help(key, tmp_path, monkeypatch):
    schedule = COMMANDS[key]
    monkeypatch.chdir(tmp_path)
    write_metrics(tmp_path)
    words = shlex.split(schedule.example)
    result = run_cli([*words, "-o", "-"])
    assert result.code == 0, (schedule.example, result.stderr)
    assert result.stdout.startswith("step,") or result.stdout.startswith("epoch,")
    helped = run_cli([*words[: 1 if schedule.framework == "torch" else 2], "--help"])
    assert helped.code == 0 and schedule.origin in helped.stdout.replace("\n", " ").replace("  ", " ")
    assert schedule.summary and schedule.horizon_text


@pytest.mark.parametrize("key", sorted(SCHEDULES))
def test_every_schedule_is_named_by_its_yaml_type_and_listed(key):
    schedule = SCHEDULES[key]
    assert lookup(schedule.yaml_type) is schedule
    assert schedule.origin.split(".")[0] == FRAMEWORKS[schedule.framework].library
    words = [schedule.name] if schedule.framework == "torch" else [schedule.framework, schedule.name]
    listed = run_cli(["list", *words])
    assert listed.code == 0, listed.stderr
    assert f"{schedule.command}  ({schedule.origin})" in listed.stdout
    assert f"YAML: type: {schedule.yaml_type}" in listed.stdout


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_every_namespace_lists_and_has_help(framework):
    listed = run_cli(["list", framework])
    assert listed.code == 0, listed.stderr
    for schedule in schedules_of(framework).values():
        assert f"{schedule.command}  ({schedule.origin})" in listed.stdout
    if framework != "torch":
        helped = run_cli([framework, "--help"])
        assert helped.code == 0
        assert FRAMEWORKS[framework].title in helped.stdout


@pytest.mark.parametrize("word", [w for w, f in WORDS.items() if w != f])
def test_aliases_name_the_same_namespace(word):
    framework = WORDS[word]
    first = next(s for s in schedules_of(framework).values() if not s.yaml_only)
    words = shlex.split(first.example)
    ours = run_cli([word, *words[1:], "-o", "-"])
    theirs = run_cli([*words, "-o", "-"])
    assert ours.code == 0 and ours.stdout == theirs.stdout


def test_an_unknown_schedule_in_a_namespace_suggests_the_closest():
    result = run_cli(["hf", "cosin"])
    assert result.code == 2
    assert result.stderr.startswith("Error: no hf schedule cosin (did you mean cosine?)")


@pytest.mark.parametrize("key", sorted(k for k, s in SCHEDULES.items() if s.framework != "torch"))
def test_every_schedule_has_a_benchmark_size_and_a_fast_route_that_equals_its_formula(key):
    """benchmarks/run.py computes every schedule at 10^7 rows from Schedule.scaled; a schedule
    with a fast route (lr_range) must equal its plain formula there, to 1e-12 of the scale."""
    schedule = SCHEDULES[key]
    assert schedule.scaled is not None, f"{key} has no Schedule.scaled for the benchmark"
    n = FAST_FROM + 4321
    spec = lrplot.build_spec(key, {**schedule.scaled(n), "steps": n})
    steps = np.arange(n, dtype=np.float64)
    with np.errstate(all="ignore"):
        fast = schedule.rows(0, n, spec.params)
        plain = schedule.curve(steps, spec.params)
    scale = float(np.max(np.abs(plain))) or 1.0
    assert float(np.max(np.abs(fast - plain))) <= 1e-12 * scale


def test_ci_pins_the_versions_the_registry_names():
    ci = (ROOT / ".ci" / "run").read_text()
    for framework in FRAMEWORKS.values():
        assert f'"{framework.library}=={framework.version}"' in ci, framework.library


def test_readme_names_each_tested_version():
    readme = (ROOT / "README.md").read_text()
    for framework in FRAMEWORKS.values():
        assert re.search(rf"{re.escape(framework.library)}\W+{re.escape(framework.version)}", readme), (
            framework.library)


def test_the_catalog_covers_every_framework():
    text = catalog.text()
    for framework in FRAMEWORKS.values():
        assert framework.title in text
    reference = catalog.config_reference()["schedules"]
    assert set(reference) == {s.yaml_type for s in SCHEDULES.values()}


@pytest.mark.parametrize("framework", OTHERS)
def test_a_namespace_command_stays_light(framework, tmp_path):
    """No pydantic (Typer's coercion), torch, yaml or matplotlib on a namespace command's path."""
    from .conftest import write_metrics
    from .test_imports import imported_by

    write_metrics(tmp_path)
    first = next(s for s in schedules_of(framework).values() if not s.yaml_only)
    assert imported_by(shlex.split(first.example), tmp_path) == set()


def test_torch_order_does_not_depend_on_which_framework_came_first():
    code = ("import lrplot.schedules.hf\nfrom lrplot.registry import schedules_of\n"
            "print(','.join(schedules_of('torch')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.strip() == ",".join(schedules_of("torch"))
    assert done.stdout.startswith("exponential,step,")


def test_list_shows_one_schedule_in_full():
    """lrplot list NAME: the origin, the index convention, every parameter with its default, the
    rows by default, an example, the formula and the YAML type."""
    result = run_cli(["list", "hf", "cosine"])
    assert result.code == 0 and result.stderr == ""
    text = result.stdout
    assert text.startswith("hf cosine  (transformers.get_cosine_schedule_with_warmup)\n")
    for piece in ("Trainer uses for optimizer update t", "--num-cycles FLOAT", "[0.5]", "rows by default:",
                  "example: lrplot hf cosine", "formula:", "YAML: type: hf.cosine"):
        assert piece in text, piece
    torch = run_cli(["list", "cosine"])
    assert "η_t = η_min + (η_0 − η_min) · (1 + cos(π·t / T_max)) / 2." in torch.stdout
    assert "--warmup-steps INT" in torch.stdout
    unknown = run_cli(["list", "hf", "cosin"])
    assert unknown.code == 2 and unknown.stdout == ""
    assert unknown.stderr.startswith("Error: no hf schedule cosin (did you mean cosine?)")
