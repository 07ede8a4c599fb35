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


CASES = {
    "exponential": exponential_cases(),
    "cosine": cosine_cases(),
    "onecycle": onecycle_cases(),
    "plateau": plateau_cases(),
}


def check(schedule: str, params: dict[str, Any], n: int, lr, momentum=None) -> None:
    """lrplot's columns against torch's rows for the same parameters."""
    ref = torch_rows(schedule, params, n)
    context = f"{schedule} {params} rows={n}"
    assert_matches_torch(lr, ref["lr"], kind_of(schedule), context=context)
    if "momentum" in ref:
        assert momentum is not None, f"no momentum column for {context}"
        assert_matches_torch(momentum, ref["momentum"], kind_of(schedule), what="momentum",
                             context=context)
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
    if schedule != "onecycle":
        per_epoch = data.draw(st.one_of(st.none(), st.integers(1, 100)), label="steps_per_epoch")
        if per_epoch is not None:
            params = {**params, "steps_per_epoch": per_epoch}
    with tempfile.TemporaryDirectory() as folder:
        argv = command_line(schedule, params, n, Path(folder))
        result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, (argv, result.stderr)
    header, columns = read_csv(result.stdout)
    expected = ["step", "lr"]
    if schedule == "onecycle" and params["cycle_momentum"]:
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
