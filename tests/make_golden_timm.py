"""Writes tests/golden/timm.json: timm's schedulers over a grid covering every argument.

    python tests/make_golden_timm.py             regenerate the file (needs torch and timm)
    python tests/make_golden_timm.py --measure   print how far lrplot is from each case (no timm)

Each case holds the schedule (lrplot's key, e.g. timm.cosine), its parameters under lrplot's
names as lrplot takes them (a noise range is a number or a list of two), the number of rows and
timm's rates, stepped by tests/reference_timm.py: row 0 at construction, row t after step(t)
(step_update(t) with t_in_epochs false or sched_on_updates; step(t, metrics[t - 1]) for plateau).
Floats are written by repr (what the json module does), so they read back to the same float64.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden" / "timm.json"
sys.path.insert(0, str(HERE.parent))  # run as a script: the repository root, for tests.*

from tests.reference_timm import timm_rows, worst_error  # noqa: E402

Case = tuple[str, str, dict[str, Any], int]  # id, schedule, params, rows

# A validation accuracy that climbs, stalls and climbs again; a loss that falls and stalls.
ACCURACY = [
    0.30,
    0.42,
    0.51,
    0.55,
    0.56,
    0.56,
    0.555,
    0.57,
    0.571,
    0.569,
    0.568,
    0.57,
    0.60,
    0.61,
    0.612,
    0.611,
    0.61,
    0.609,
    0.612,
    0.611,
    0.613,
    0.612,
    0.612,
    0.611,
    0.61,
]
LOSS = [
    2.3,
    1.9,
    1.6,
    1.45,
    1.4,
    1.38,
    1.385,
    1.39,
    1.37,
    1.371,
    1.372,
    1.2,
    1.1,
    1.05,
    1.049,
    1.05,
    1.051,
    1.052,
    1.05,
    1.049,
    1.0495,
    1.05,
]


def _name(params: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in params.items() if k not in ("lr", "metrics"))


def cycle_cases(shape: str) -> Iterator[Case]:
    key = f"timm.{shape}"
    extra: list[dict[str, Any]] = [{}]
    if shape == "tanh":
        extra = [{}, {"lb": -2.0, "ub": 5.0}, {"lb": -10.0, "ub": 0.5}]
    if shape == "poly":
        extra = [{}, {"power": 2.0}, {"power": 0.1}, {"power": 0.0}, {"power": 1.0}]
    for index, more in enumerate(extra):
        for t_initial in (1, 10, 37) if index == 0 else (10,):
            for warmup_t, prefix in ((0, False), (5, False), (5, True)):
                for lr_min in (0.0, 1e-3):
                    params = {
                        "lr": 0.1,
                        "t_initial": t_initial,
                        "lr_min": lr_min,
                        "warmup_t": warmup_t,
                        "warmup_prefix": prefix,
                        **more,
                    }
                    if warmup_t:
                        params["warmup_lr_init"] = 1e-4
                    yield f"{shape}/{_name(params)}", key, params, t_initial + warmup_t + 8
    # Cycles: equal ones, growing ones (cycle_mul 1.5, 3: the log-based index rounds at exact
    # boundaries), shrinking ones (cycle_mul < 1, up to where timm's log fails), and a limit of 0.
    cycles = [
        ({"t_initial": 8, "cycle_limit": 4, "cycle_decay": 0.5}, 40),
        ({"t_initial": 10, "cycle_mul": 1.5, "cycle_limit": 6, "cycle_decay": 0.7, "lr_min": 1e-3}, 220),
        ({"t_initial": 1, "cycle_mul": 3.0, "cycle_limit": 8}, 200),
        ({"t_initial": 16, "cycle_mul": 1.5, "cycle_limit": 7}, 440),
        ({"t_initial": 3, "cycle_mul": 10.0, "cycle_limit": 4}, 500),
        ({"t_initial": 40, "cycle_mul": 0.5, "cycle_limit": 100}, 79),
        ({"t_initial": 33, "cycle_mul": 0.9, "cycle_limit": 1000, "warmup_t": 4, "warmup_prefix": True}, 300),
        ({"t_initial": 10, "cycle_limit": 0, "warmup_t": 3}, 15),
        ({"t_initial": 12, "cycle_limit": 3, "cycle_decay": 2.0}, 40),
        ({"t_initial": 20, "t_in_epochs": False, "warmup_t": 4}, 25),
    ]
    for more, rows in cycles:
        params = {"lr": 0.05, **more}
        yield f"{shape}/cycles,{_name(params)}", key, params, rows
    if shape != "tanh":
        for k in (0.5, 2.0, 0.0):
            params = {"lr": 0.1, "t_initial": 30, "k_decay": k, "cycle_limit": 2, "cycle_mul": 1.5}
            yield f"{shape}/k_decay={k}", key, params, 80
    for noise in (
        {"noise_range_t": [3, 15]},
        {"noise_range_t": 5, "noise_pct": 0.05, "noise_std": 0.5},
        {"noise_range_t": 0, "noise_pct": 1.5, "noise_seed": 2**32 - 4},
        {"noise_range_t": [10, 10]},
    ):
        params = {"lr": 0.1, "t_initial": 20, "warmup_t": 2, **noise}
        yield f"{shape}/noise,{_name(params)}", key, params, 25


def step_cases() -> Iterator[Case]:
    for decay_t in (1.0, 3.0, 2.5, 0.7):
        for rate in (0.1, 0.5, 1.0, 1.1):
            params = {"lr": 0.1, "decay_t": decay_t, "decay_rate": rate}
            yield f"step/{_name(params)}", "timm.step", params, 30
    for warmup_t, prefix in ((4, True), (4, False), (7, False)):
        params = {
            "lr": 0.1,
            "decay_t": 3.0,
            "decay_rate": 0.5,
            "warmup_t": warmup_t,
            "warmup_lr_init": 1e-3,
            "warmup_prefix": prefix,
        }
        yield f"step/{_name(params)}", "timm.step", params, 25
    params = {
        "lr": 0.1,
        "decay_t": 3.0,
        "decay_rate": 0.5,
        "noise_range_t": [2, 12],
        "noise_pct": 0.3,
        "noise_std": 0.4,
        "noise_seed": 11,
    }
    yield f"step/{_name(params)}", "timm.step", params, 20
    params = {"lr": 0.1, "decay_t": 3.0, "decay_rate": 0.5, "t_in_epochs": False}
    yield f"step/{_name(params)}", "timm.step", params, 20


def multistep_cases() -> Iterator[Case]:
    for milestones in ([5], [1], [3, 3, 7], [2, 10, 11, 20]):
        for rate in (0.1, 0.5, 1.0):
            params = {"lr": 0.1, "decay_t": milestones, "decay_rate": rate}
            yield f"multistep/{_name(params)}", "timm.multistep", params, 25
    for warmup_t, prefix in ((4, True), (4, False), (12, False)):
        params = {
            "lr": 0.1,
            "decay_t": [5, 10],
            "decay_rate": 0.5,
            "warmup_t": warmup_t,
            "warmup_lr_init": 1e-3,
            "warmup_prefix": prefix,
        }
        yield f"multistep/{_name(params)}", "timm.multistep", params, 25
    params = {
        "lr": 0.1,
        "decay_t": [5, 10],
        "decay_rate": 0.5,
        "noise_range_t": 3,
        "noise_seed": 7,
        "noise_pct": 0.2,
        "noise_std": 0.3,
    }
    yield f"multistep/{_name(params)}", "timm.multistep", params, 20
    params = {"lr": 0.1, "decay_t": [5, 10], "decay_rate": 0.5, "t_in_epochs": False}
    yield f"multistep/{_name(params)}", "timm.multistep", params, 15


def plateau_cases() -> Iterator[Case]:
    for name, metrics, mode in (
        ("accuracy", ACCURACY, "max"),
        ("loss", LOSS, "min"),
        ("loss-as-max", LOSS, "max"),
    ):
        for patience, cooldown, warmup in ((2, 0, 0), (1, 2, 0), (2, 0, 3), (0, 0, 5)):
            params = {
                "lr": 0.1,
                "metrics": metrics,
                "mode": mode,
                "patience_t": patience,
                "cooldown_t": cooldown,
                "warmup_t": warmup,
                "warmup_lr_init": 1e-3 if warmup else 0.0,
            }
            yield f"plateau/{name},{_name(params)}", "timm.plateau", params, len(metrics)
    more = [
        {"decay_rate": 0.5, "lr_min": 0.02, "threshold": 0.0},
        {"threshold": 0.05},
        {"noise_range_t": 4, "noise_pct": 0.2, "noise_std": 0.5, "noise_seed": 5},
        {"noise_range_t": [3, 12], "noise_type": "uniform"},
        {"warmup_t": 3, "noise_range_t": 0, "noise_type": "uniform", "noise_pct": 0.5},
    ]
    for extra in more:
        params = {"lr": 0.1, "metrics": LOSS, "mode": "min", "patience_t": 1, **extra}
        yield f"plateau/{_name(params)}", "timm.plateau", params, len(LOSS)


def factory_cases() -> Iterator[Case]:
    key = "timm.create_scheduler_v2"
    shapes = [
        {"sched": "cosine"},
        {"sched": "tanh"},
        {"sched": "poly"},
        {"sched": "poly", "decay_rate": 0.9},
        {"sched": "step", "decay_epochs": 3.0},
        {"sched": "step", "decay_epochs": 2.5, "decay_rate": 0.5},
        {"sched": "multistep", "decay_milestones": [4, 8]},
        {"sched": "constant"},
    ]
    for shape in shapes:
        for on_updates in (False, True):
            for warmup, prefix, cooldown in ((0, False, 0), (3, False, 2), (3, True, 2)):
                params: dict[str, Any] = {
                    "lr": 0.1,
                    **shape,
                    "num_epochs": 12,
                    "warmup_epochs": warmup,
                    "warmup_prefix": prefix,
                    "cooldown_epochs": cooldown,
                    "min_lr": 1e-4,
                }
                if on_updates:
                    params.update(sched_on_updates=True, updates_per_epoch=3)
                yield f"factory/{_name(params)}", key, params, None  # type: ignore[misc]
    cycles = [
        {"cycle_limit": 3},
        {"cycle_limit": 3, "cycle_decay": 0.5, "cycle_mul": 1.5},
        {"cycle_limit": 2, "k_decay": 2.0},
        {"noise": [0.3, 0.8], "noise_pct": 0.2, "noise_std": 0.5},
        {"noise": [0.5]},
        {"noise": 0.25, "noise_seed": 3},
    ]
    for extra in cycles:
        for on_updates in (False, True):
            params = {"lr": 0.1, "sched": "cosine", "num_epochs": 10, "warmup_epochs": 2, **extra}
            if on_updates:  # the factory's own keyword for it
                params.update(step_on_epochs=False, updates_per_epoch=4)
            yield f"factory/{_name(params)}", key, params, None  # type: ignore[misc]
    for extra in ({}, {"warmup_epochs": 3, "warmup_lr": 1e-3}, {"plateau_mode": "min", "patience_epochs": 1}):
        params = {"lr": 0.1, "sched": "plateau", "metrics": LOSS, "num_epochs": 20, **extra}
        yield f"factory/plateau,{_name(params)}", key, params, None  # type: ignore[misc]


def all_cases() -> Iterator[Case]:
    for shape in ("cosine", "tanh", "poly"):
        yield from cycle_cases(shape)
    yield from step_cases()
    yield from multistep_cases()
    yield from plateau_cases()
    yield from factory_cases()


def rows_of(schedule: str, params: dict[str, Any], rows: int | None) -> int:
    """A case's rows: as given, or the factory's natural length (what lrplot computes by default)."""
    if rows is not None:
        return rows
    import lrplot

    return len(lrplot.curve(schedule, **params).lr)


def write() -> None:
    import torch

    from tests.libraries import reference

    reference("timm.scheduler")
    import timm.version

    cases = []
    for case_id, schedule, params, rows in all_cases():
        n = rows_of(schedule, params, rows)
        lr = timm_rows(schedule, params, n).tolist()
        assert all(math.isfinite(v) for v in lr), case_id
        cases.append({"id": case_id, "schedule": schedule, "params": params, "rows": n, "lr": lr})
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    head = {
        "generator": "tests/make_golden_timm.py",
        "timm": timm.version.__version__,
        "torch": torch.__version__,
        "convention": "row 0 = optimizer.param_groups[0]['lr'] after construction; row t = the same after "
        "scheduler.step(t) (step_update(t) with t_in_epochs false or sched_on_updates; "
        "step(t, metrics[t - 1]) for PlateauLRScheduler); SGD, lr = the case's lr",
    }
    lines = ["{"] + [f" {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()] + [' "cases": [']
    lines += [
        json.dumps(c, separators=(",", ":")) + ("," if i < len(cases) - 1 else "")
        for i, c in enumerate(cases)
    ]
    lines += [" ]", "}"]
    GOLDEN.write_text("\n".join(lines) + "\n", encoding="ascii")
    print(f"wrote {len(cases)} cases to {GOLDEN} ({GOLDEN.stat().st_size / 1e3:.0f} kB)")


def measure() -> None:
    import numpy as np

    import lrplot

    document = json.loads(GOLDEN.read_text(encoding="ascii"))
    worst: dict[str, float] = {}
    for case in document["cases"]:
        ours = lrplot.curve(case["schedule"], steps=case["rows"], **case["params"]).lr
        error = worst_error(ours, np.array(case["lr"]), case["params"].get("lr", 1e-3))
        worst[case["schedule"]] = max(worst.get(case["schedule"], 0.0), error)
    for schedule, error in worst.items():
        print(f"{schedule:28} worst {error:.2e} of the curve's scale")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--measure", action="store_true", help="compare lrplot with the file; no timm needed")
    args = parser.parse_args()
    measure() if args.measure else write()
