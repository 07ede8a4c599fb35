"""lrplot against live torch on random valid parameters: through the library and through the CLI.

Skipped when torch is not importable, unless LRPLOT_REQUIRE_TORCH=1 (CI sets it): then the module
fails, so a broken torch install cannot turn the comparison into a silent skip.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

try:
    import torch  # noqa: F401
except ImportError as exc:
    if os.environ.get("LRPLOT_REQUIRE_TORCH") == "1":
        pytest.fail(f"LRPLOT_REQUIRE_TORCH=1 but torch cannot be imported: {exc}", pytrace=False)
    pytest.skip("torch is not installed (set LRPLOT_REQUIRE_TORCH=1 to make this an error)",
                allow_module_level=True)

from typer.testing import CliRunner

import lrplot
from lrplot.cli import app
from tests.reference import assert_matches_torch, kind_of, torch_rows

MAX_ROWS = 2000
LIVE = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THROUGH_CLI = settings(max_examples=25, deadline=None,
                       suppress_health_check=[HealthCheck.too_slow])


def log_uniform(low: float, high: float) -> st.SearchStrategy[float]:
    """Floats spread evenly over the decades from ``low`` to ``high``."""
    return st.floats(np.log10(low), np.log10(high)).map(lambda e: float(10.0**e))


rates = log_uniform(1e-6, 10.0)
# Hypothesis favours small integers; long curves are where recursions drift, so draw them too.
rows = st.one_of(st.integers(1, 50), st.integers(50, MAX_ROWS))


@st.composite
def exponential_cases(draw) -> tuple[dict[str, Any], int]:
    gamma = draw(st.one_of(
        log_uniform(1e-4, 1.0),
        st.floats(0.9, 1.0),
        st.floats(1.0, 1.3),  # growth, still finite after 2000 steps
        st.sampled_from([0.5, 0.1, 1.0]),
    ))
    assume(gamma > 0)
    return {"lr": draw(rates), "gamma": gamma}, draw(rows)


@st.composite
def cosine_cases(draw) -> tuple[dict[str, Any], int]:
    lr = draw(rates)
    eta_min = draw(st.one_of(
        st.just(0.0),
        st.floats(0.0, 1.0).map(lambda f: lr * f),
        st.floats(1.0, 3.0).map(lambda f: lr * f),  # above lr: the curve rises first
    ))
    t_max = draw(st.one_of(st.integers(1, 4), st.integers(1, 1000)))
    return {"lr": lr, "t_max": t_max, "eta_min": eta_min}, draw(rows)


@st.composite
def onecycle_cases(draw) -> tuple[dict[str, Any], int]:
    """A cycle lrplot accepts: a warm-up with a step (pct_start * total_steps > 1) and, with three
    phases, a final phase with one; rows up to total_steps."""
    params: dict[str, Any] = {"max_lr": draw(rates)}
    if draw(st.booleans()):
        total = draw(st.integers(2, MAX_ROWS))
        params["total_steps"] = total
    else:
        per_epoch = draw(st.integers(1, 50))
        epochs = draw(st.integers(max(1, 2 // per_epoch), MAX_ROWS // per_epoch))
        params.update(epochs=epochs, steps_per_epoch=per_epoch)
        total = epochs * per_epoch
    three_phase = draw(st.booleans())
    top = (total + 1) / (2 * total) if three_phase else 0.99
    pct = draw(st.one_of(st.floats(1 / total, top, exclude_min=True, exclude_max=three_phase),
                         st.sampled_from([0.25, 0.3, 0.37, 0.45])))
    assume(0 < pct < 1 and float(pct * total) - 1 > 0)
    assume(not three_phase or float(2 * pct * total) - 2 < total - 1)
    params.update(
        pct_start=pct,
        three_phase=three_phase,
        anneal_strategy=draw(st.sampled_from(["cos", "linear"])),
        div_factor=draw(log_uniform(0.5, 1e4)),
        final_div_factor=draw(log_uniform(0.1, 1e5)),
        cycle_momentum=draw(st.booleans()),
        base_momentum=draw(st.floats(0.0, 1.0)),
        max_momentum=draw(st.floats(0.0, 1.0)),
    )
    return params, draw(st.integers(1, total))


# Few distinct values, so ties and plateaus are common; NaN among them.
METRIC_POOL = [0.0, -0.0, 1.0, 0.5, 0.25, -1.0, -2.5, 0.9999, 1.0001, 100.0, float("nan")]


@st.composite
def plateau_cases(draw) -> tuple[dict[str, Any], int]:
    metric = st.one_of(st.sampled_from(METRIC_POOL),
                       st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False))
    metrics = draw(st.lists(metric, min_size=1, max_size=200))
    if draw(st.booleans()):  # a random walk: improvements and stalls alternate; NaNs stay
        values = np.array(metrics)
        walk = np.cumsum(np.nan_to_num(values, nan=0.0)) * 0.01
        metrics = np.where(np.isnan(values), np.nan, walk).tolist()
    lr = draw(log_uniform(1e-6, 1.0))
    threshold_mode = draw(st.sampled_from(["rel", "abs"]))
    params = {
        "lr": lr,
        "metrics": metrics,
        "mode": draw(st.sampled_from(["min", "max"])),
        "factor": draw(st.one_of(st.floats(0.01, 0.99), st.sampled_from([0.1, 0.5]))),
        "patience": draw(st.integers(0, 12)),
        "threshold": draw(st.one_of(
            st.just(0.0), st.just(1e-4),
            st.floats(0.0, 0.9) if threshold_mode == "rel" else st.floats(0.0, 5.0),
        )),
        "threshold_mode": threshold_mode,
        "cooldown": draw(st.integers(0, 5)),
        "min_lr": draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0).map(lambda f: lr * f))),
        "eps": draw(st.one_of(st.just(1e-8), st.just(0.0),
                              st.floats(0.0, 1.0).map(lambda f: lr * f))),
    }
    return params, draw(st.integers(1, len(metrics)))


def gammas(growth: float) -> st.SearchStrategy[float]:
    """Decay factors from tiny to 1, and a little growth (still finite after 2000 steps)."""
    return st.one_of(log_uniform(1e-3, 1.0), st.floats(0.9, 1.0), st.floats(1.0, growth),
                     st.sampled_from([0.1, 0.5]))


@st.composite
def step_cases(draw) -> tuple[dict[str, Any], int]:
    step_size = draw(st.one_of(st.integers(1, 5), st.integers(1, 200)))
    return {"lr": draw(rates), "step_size": step_size, "gamma": draw(gammas(1.05))}, draw(rows)


@st.composite
def multistep_cases(draw) -> tuple[dict[str, Any], int]:
    # Sorted, with repeats (each applies gamma again), some past the last row.
    milestones = sorted(draw(st.lists(st.integers(1, MAX_ROWS + 100), min_size=1, max_size=10)))
    if draw(st.booleans()):
        milestones.insert(0, milestones[0])
    return {"lr": draw(rates), "milestones": milestones, "gamma": draw(gammas(1.5))}, draw(rows)


@st.composite
def constant_cases(draw) -> tuple[dict[str, Any], int]:
    factor = draw(st.one_of(st.floats(1e-3, 1.0), log_uniform(1e-6, 1.0), st.sampled_from([1 / 3, 1.0])))
    total = draw(st.one_of(st.integers(1, 10), st.integers(1, MAX_ROWS)))
    return {"lr": draw(rates), "factor": factor, "total_iters": total}, draw(rows)


@st.composite
def linear_cases(draw) -> tuple[dict[str, Any], int]:
    start = draw(st.one_of(st.floats(1e-3, 1.0), log_uniform(1e-6, 1.0), st.just(1.0)))
    assume(0 < start <= 1)
    end = draw(st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 1.0])))
    total = draw(st.one_of(st.integers(1, 10), st.integers(1, MAX_ROWS)))
    return {"lr": draw(rates), "start_factor": start, "end_factor": end, "total_iters": total}, draw(rows)


@st.composite
def polynomial_cases(draw) -> tuple[dict[str, Any], int]:
    total = draw(st.one_of(st.integers(1, 10), st.integers(1, MAX_ROWS)))
    power = draw(st.one_of(log_uniform(0.05, 10.0), st.sampled_from([0.5, 1.0, 2.0])))
    return {"lr": draw(rates), "total_iters": total, "power": power}, draw(rows)


@st.composite
def restarts_cases(draw) -> tuple[dict[str, Any], int]:
    lr = draw(rates)
    eta_min = draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0).map(lambda f: lr * f),
                             st.floats(1.0, 3.0).map(lambda f: lr * f)))
    t_0 = draw(st.one_of(st.integers(1, 5), st.integers(1, 500)))
    return {"lr": lr, "t_0": t_0, "t_mult": draw(st.integers(1, 4)), "eta_min": eta_min}, draw(rows)


@st.composite
def cyclic_cases(draw) -> tuple[dict[str, Any], int]:
    base = draw(rates)
    params: dict[str, Any] = {
        "base_lr": base,
        "max_lr": draw(st.one_of(st.floats(1.0, 100.0), st.floats(0.1, 1.0)).map(lambda f: base * f)),
        "step_size_up": draw(st.one_of(st.integers(1, 5), st.integers(1, 500))),
        "step_size_down": draw(st.one_of(st.none(), st.integers(1, 500))),
        "mode": draw(st.sampled_from(["triangular", "triangular2", "exp_range"])),
        "cycle_momentum": draw(st.booleans()),
        "base_momentum": draw(st.floats(0.0, 1.0)),
        "max_momentum": draw(st.floats(0.0, 1.0)),
    }
    if params["mode"] == "exp_range":
        params["gamma"] = draw(st.one_of(st.floats(0.99, 1.0), log_uniform(0.5, 1.0)))
    return params, draw(rows)


CASES = {
    "exponential": exponential_cases(),
    "step": step_cases(),
    "multistep": multistep_cases(),
    "constant": constant_cases(),
    "linear": linear_cases(),
    "polynomial": polynomial_cases(),
    "cosine": cosine_cases(),
    "cosine-restarts": restarts_cases(),
    "cyclic": cyclic_cases(),
    "onecycle": onecycle_cases(),
    "plateau": plateau_cases(),
}
# Every schedule but plateau takes a warm-up (torch's SequentialLR refuses ReduceLROnPlateau).
WARMED = [name for name in CASES if name != "plateau"]


@st.composite
def warm_up_cases(draw, schedule: str) -> tuple[dict[str, Any], int]:
    """A schedule's parameters plus a warm-up; rows cover the warm-up and then the schedule."""
    params, n = draw(CASES[schedule])
    steps = draw(st.one_of(st.integers(1, 5), st.integers(1, 300)))
    params = {**params, "warmup_steps": steps}
    if draw(st.booleans()):
        params["warmup_start_factor"] = draw(st.one_of(st.floats(1e-3, 1.0), log_uniform(1e-6, 1.0)))
        assume(0 < params["warmup_start_factor"] <= 1)
    if schedule == "cyclic" and draw(st.booleans()):
        params["lr"] = params["base_lr"]  # the ramp leads into the cycle
    # A run that is all warm-up is refused (tests/test_robustness.py), so rows go past it.
    return params, steps + draw(st.integers(1, n))


def cycles_momentum(schedule: str, params: dict[str, Any]) -> bool:
    """Whether a curve has a momentum column: a onecycle or cyclic that cycles it, anywhere."""
    if schedule in ("sequential", "chained"):
        return any(cycles_momentum(child["type"], child) for child in params["schedules"])
    return schedule in ("onecycle", "cyclic") and params.get("cycle_momentum", True)


def check(schedule: str, params: dict[str, Any], n: int, lr, momentum=None) -> None:
    """lrplot's columns against torch's rows for the same parameters."""
    ref = torch_rows(schedule, params, n)
    context = f"{schedule} {params} rows={n}"
    kind = kind_of(schedule, params)
    assert_matches_torch(lr, ref["lr"], kind, context=context)
    if "momentum" in ref:
        assert momentum is not None, f"no momentum column for {context}"
        assert_matches_torch(momentum, ref["momentum"], kind, what="momentum", context=context)
    else:
        assert momentum is None, f"a momentum column torch does not have, for {context}"


# --- the library --------------------------------------------------------------------------------


@pytest.mark.parametrize("schedule", CASES)
@LIVE
@given(data=st.data())
def test_library_matches_torch(schedule, data):
    params, n = data.draw(CASES[schedule], label="params, rows")
    curve = lrplot.curve(schedule, steps=n, **params)
    assert len(curve) == n
    check(schedule, params, n, curve.lr, curve.series.get("momentum"))
    if schedule == "plateau":
        np.testing.assert_array_equal(curve.series["metric"], params["metrics"][:n])


# --- the command line ---------------------------------------------------------------------------


def command_line(schedule: str, params: dict[str, Any], n: int, folder: Path) -> list[str]:
    """The argv that asks for these parameters: kebab-case flags, floats written exactly."""
    args = [schedule]
    for name, value in params.items():
        flag = "--" + name.replace("_", "-")
        if name == "metrics":
            path = folder / "metrics.txt"
            path.write_text("".join(f"{v!r}\n" for v in value), encoding="ascii")
            args += [flag, str(path)]
        elif isinstance(value, bool):
            args.append(flag if value else "--no-" + name.replace("_", "-"))
        elif isinstance(value, (list, tuple)):
            args += [flag, ",".join(map(str, value))]
        elif value is None:
            continue
        else:
            args += [flag, repr(value) if isinstance(value, float) else str(value)]
    return [*args, "--steps", str(n), "-o", "-"]


def read_csv(text: str) -> tuple[list[str], dict[str, np.ndarray]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    table = [[float(cell) for cell in row] for row in reader]
    columns = np.array(table, dtype=np.float64).reshape(len(table), len(header))
    return header, {name: columns[:, i] for i, name in enumerate(header)}


@pytest.mark.parametrize("schedule", CASES)
@THROUGH_CLI
@given(data=st.data())
def test_cli_csv_matches_torch(schedule, data):
    params, n = data.draw(CASES[schedule], label="params, rows")
    # 1cycle takes steps per epoch as its own parameter; a plateau refuses them (its rows are epochs).
    if schedule not in ("onecycle", "plateau"):
        per_epoch = data.draw(st.one_of(st.none(), st.integers(1, 100)), label="steps_per_epoch")
        if per_epoch is not None:
            params = {**params, "steps_per_epoch": per_epoch}
    with tempfile.TemporaryDirectory() as folder:
        argv = command_line(schedule, params, n, Path(folder))
        result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, (argv, result.stderr)
    header, columns = read_csv(result.stdout)
    expected = ["step", "lr"]
    if cycles_momentum(schedule, params):
        expected.append("momentum")
    if schedule == "plateau":
        expected.append("metric")
    if params.get("steps_per_epoch") is not None:
        expected.append("epoch")
    assert header == expected, argv
    np.testing.assert_array_equal(columns["step"], np.arange(n))
    check(schedule, params, n, columns["lr"], columns.get("momentum"))
    if "metric" in columns:
        np.testing.assert_array_equal(columns["metric"], params["metrics"][:n])
    if "epoch" in columns:
        np.testing.assert_array_equal(columns["epoch"], np.arange(n) / params["steps_per_epoch"])


# --- warm-up: SequentialLR([LinearLR, schedule]) --------------------------------------------------

WARM_UP = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("schedule", WARMED)
@WARM_UP
@given(data=st.data())
def test_warm_up_matches_torch(schedule, data):
    params, n = data.draw(warm_up_cases(schedule), label="params, rows")
    curve = lrplot.curve(schedule, steps=n, **params)
    check(schedule, params, n, curve.lr, curve.series.get("momentum"))
    assert curve.annotations.phases[0].name == "warm-up"


@pytest.mark.parametrize("schedule", WARMED)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_warm_up_through_cli(schedule, data):
    params, n = data.draw(warm_up_cases(schedule), label="params, rows")
    with tempfile.TemporaryDirectory() as folder:
        argv = command_line(schedule, params, n, Path(folder))
        result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, (argv, result.stderr)
    header, columns = read_csv(result.stdout)
    momentum = ["momentum"] if cycles_momentum(schedule, params) else []
    epoch = ["epoch"] if params.get("steps_per_epoch") is not None else []
    assert header == ["step", "lr", *momentum, *epoch]
    check(schedule, params, n, columns["lr"], columns.get("momentum"))


# --- compositions: SequentialLR and ChainedScheduler, nested --------------------------------------

MAX_COMPOSITE_ROWS = 400
COMPOSABLE = [name for name in CASES if name != "plateau"]
COMPOSE = settings(max_examples=60, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@st.composite
def children(draw, lr: float, warm_up: bool) -> dict[str, Any]:
    """One schedule inside a composite: it inherits the composite's lr (or repeats it)."""
    name = draw(st.sampled_from(COMPOSABLE))
    params, _ = draw(CASES[name])
    params = {k: v for k, v in params.items() if k != "lr"}
    if "epochs" in params:  # steps_per_epoch belongs to the whole composite
        params["total_steps"] = params.pop("epochs") * params.pop("steps_per_epoch")
    if name not in ("onecycle",) and draw(st.booleans()):
        params["lr"] = lr
    if warm_up and draw(st.booleans()):
        params["warmup_steps"] = draw(st.integers(1, 30))
    return {"type": name, **params}


@st.composite
def trees(draw, lr: float, depth: int = 0) -> dict[str, Any]:
    """A sequential or a chained; composites (and warm-ups) only where torch can restart them:
    anywhere in a chain, first in a sequence."""

    def first() -> dict[str, Any]:
        if depth < 2 and draw(st.integers(0, 3)) == 0:
            return draw(trees(lr, depth + 1))
        return draw(children(lr, True))

    count = draw(st.integers(1, 3))
    if draw(st.booleans()):
        return {"type": "chained", "schedules": [first() for _ in range(count)]}
    schedules = [first(), *(draw(children(lr, False)) for _ in range(count - 1))]
    milestones = sorted(draw(st.sets(st.integers(1, 300), min_size=count - 1, max_size=count - 1)))
    return {"type": "sequential", **({"milestones": milestones} if milestones else {}),
            "schedules": schedules}


@st.composite
def composition_cases(draw) -> tuple[str, dict[str, Any], int]:
    lr = draw(rates)
    tree = draw(trees(lr))
    name = tree.pop("type")
    params = {"lr": lr, **tree}
    try:
        spec = lrplot.build_spec(name, params)
    except lrplot.LrplotError as exc:
        # The one refusal a random tree may meet: onecycle's optimizer keys written twice.
        assert "onecycle" in str(exc), exc
        assume(False)
    return name, params, draw(st.integers(1, min(spec.steps, MAX_COMPOSITE_ROWS)))


@COMPOSE
@given(case=composition_cases())
def test_compositions_match_torch(case):
    name, params, n = case
    curve = lrplot.curve(name, steps=n, **params)
    assert len(curve) == n
    check(name, params, n, curve.lr, curve.series.get("momentum"))


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(case=composition_cases())
def test_compositions_through_run(case):
    import yaml

    name, params, n = case
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "composite.yaml"
        config.write_text(yaml.safe_dump({"schedules": [{"type": name, **params, "steps": n}]}),
                          encoding="utf-8")
        result = CliRunner().invoke(app, ["run", str(config), "-o", "-"])
    assert result.exit_code == 0, result.stderr
    header, columns = read_csv(result.stdout)
    assert header == ["step", "lr", *(["momentum"] if cycles_momentum(name, params) else [])]
    check(name, params, n, columns["lr"], columns.get("momentum"))
