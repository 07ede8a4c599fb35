"""Writes tests/golden/fastai.json: fastai's rates (and fit_one_cycle's momenta) over a grid of the
parameters of Learner.fit_one_cycle, fit_flat_cos and fit_sgdr.

    python tests/make_golden_fastai.py            regenerate the file (needs fastai)
    python tests/make_golden_fastai.py --measure  print how far lrplot is from each case (no fastai)

Each case holds the schedule, its parameters under lrplot's names (``steps_per_epoch`` being the
batches of an epoch, the spec-level option), the number of rows and fastai's arrays, from the real
fit_* methods and training-loop callbacks driven by tests/reference_fastai.py (row t = training
batch t). Floats are written by ``repr`` (the json module's), so they read back to the same float64.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden" / "fastai.json"
sys.path.insert(0, str(HERE.parent))  # run as a script: the repository root, for tests.reference_fastai

from tests.reference_fastai import fastai_rows  # noqa: E402

Case = tuple[str, str, dict[str, Any], int]  # id, schedule, params, rows

ONE_CYCLE = {"n_epoch": 3, "lr_max": 0.01, "div": 25.0, "div_final": 1e5, "pct_start": 0.25,
             "moms": (0.95, 0.85, 0.95), "start_epoch": 0, "steps_per_epoch": 8}
FLAT_COS = {"n_epoch": 3, "lr": 0.01, "div_final": 1e5, "pct_start": 0.75, "start_epoch": 0,
            "steps_per_epoch": 8}
SGDR = {"n_cycles": 3, "cycle_len": 1, "lr_max": 0.01, "cycle_mult": 2, "start_epoch": 0,
        "steps_per_epoch": 4}


def rows_of(params: dict[str, Any], n_epoch: int) -> int:
    return (n_epoch - params["start_epoch"]) * params["steps_per_epoch"]


def _label(changes: dict[str, Any]) -> str:
    return ",".join(f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else v}" for k, v in changes.items())


def one_cycle_cases() -> Iterator[Case]:
    variations: list[dict[str, Any]] = [
        {},
        {"lr_max": 1e-3}, {"lr_max": 3e-4},  # 1e-3: the Learner's lr (fit_one_cycle(lr_max=None))
        {"div": 10.0}, {"div": 1.0}, {"div_final": 1e3}, {"div_final": 1.0},
        {"pct_start": 0.0}, {"pct_start": 1.0}, {"pct_start": 0.3}, {"pct_start": 0.5},
        {"pct_start": 1 / 3}, {"pct_start": 0.99},  # 1/3: the warm-up ends on an epoch's first batch
        {"moms": (0.9, 0.8, 0.99)}, {"moms": (0.85, 0.95, 0.9)}, {"moms": (0.9, 0.9, 0.9)},
        {"start_epoch": 1}, {"start_epoch": 2},
        {"n_epoch": 1}, {"n_epoch": 5, "steps_per_epoch": 3}, {"steps_per_epoch": 1},
        {"steps_per_epoch": 2}, {"n_epoch": 2, "steps_per_epoch": 25},
        {"n_epoch": 4, "steps_per_epoch": 7, "pct_start": 0.4, "div": 5.0, "div_final": 1e4,
         "moms": (0.99, 0.8, 0.9), "start_epoch": 1},
    ]
    for changes in variations:
        params = {**ONE_CYCLE, **changes}
        yield (f"one-cycle/{_label(changes) or 'base'}", "one-cycle", params,
               rows_of(params, params["n_epoch"]))


def flat_cos_cases() -> Iterator[Case]:
    variations: list[dict[str, Any]] = [
        {}, {"lr": 1e-3}, {"lr": 0.1}, {"div_final": 10.0}, {"div_final": 1.0},
        {"pct_start": 0.0}, {"pct_start": 1.0}, {"pct_start": 0.5}, {"pct_start": 2 / 3},
        {"start_epoch": 2},  # fit_flat_cos ignores it: every epoch runs
        {"n_epoch": 1}, {"n_epoch": 6, "steps_per_epoch": 3}, {"steps_per_epoch": 1},
        {"n_epoch": 2, "steps_per_epoch": 30, "pct_start": 0.6, "div_final": 1e3},
    ]
    for changes in variations:
        params = {**FLAT_COS, **changes}
        rows = params["n_epoch"] * params["steps_per_epoch"]  # start_epoch is ignored
        yield f"flat-cos/{_label(changes) or 'base'}", "flat-cos", params, rows


def sgdr_cases() -> Iterator[Case]:
    variations: list[dict[str, Any]] = [
        {},  # fit_sgdr(3, 1): cycle 3 restarts one batch late
        {"lr_max": 1e-3}, {"n_cycles": 1}, {"n_cycles": 2}, {"n_cycles": 4, "steps_per_epoch": 2},
        {"cycle_len": 2}, {"cycle_len": 3, "n_cycles": 2}, {"cycle_mult": 3}, {"cycle_mult": 0},
        {"cycle_mult": 3, "n_cycles": 2, "cycle_len": 2}, {"start_epoch": 3}, {"start_epoch": 6},
        {"steps_per_epoch": 1}, {"steps_per_epoch": 13}, {"n_cycles": 2, "steps_per_epoch": 40},
    ]
    for changes in variations:
        params = {**SGDR, **changes}
        cycles, length, mult = params["n_cycles"], params["cycle_len"], params["cycle_mult"]
        n_epoch = length * (mult**cycles - 1) // (mult - 1)
        yield f"sgdr/{_label(changes) or 'base'}", "sgdr", params, rows_of(params, n_epoch)


def all_cases() -> Iterator[Case]:
    yield from one_cycle_cases()
    yield from flat_cos_cases()
    yield from sgdr_cases()


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


def generate() -> dict[str, Any]:
    import fastai

    cases = []
    for case_id, schedule, params, rows in all_cases():
        ref = fastai_rows(schedule, params, rows)
        assert len(ref["lr"]) == rows, (case_id, len(ref["lr"]), rows)
        case = {"id": case_id, "schedule": schedule, "params": _jsonable(params), "rows": rows,
                "lr": [float(v) for v in ref["lr"]]}
        if "momentum" in ref:
            case["momentum"] = [float(v) for v in ref["momentum"]]
        cases.append(case)
    return {
        "generator": "tests/make_golden_fastai.py",
        "fastai": fastai.__version__,
        "convention": "row t = opt.hypers[0]['lr'] while training batch t runs (ParamScheduler."
        "before_batch at Learner.pct_train); momentum = opt.hypers[0]['mom'] (fastai's Adam); "
        "steps_per_epoch = len(dls.train)",
        "cases": cases,
    }


def write(document: dict[str, Any]) -> None:
    head = {k: v for k, v in document.items() if k != "cases"}
    lines = [json.dumps(case, allow_nan=False, separators=(",", ":")) for case in document["cases"]]
    text = json.dumps(head, allow_nan=False, indent=1)[:-2]
    GOLDEN.write_text(text + ',\n "cases": [\n' + ",\n".join(lines) + "\n ]\n}\n", encoding="utf-8")


def measure() -> None:
    import numpy as np

    import lrplot

    document = json.loads(GOLDEN.read_text(encoding="utf-8"))
    for case in document["cases"]:
        curve = lrplot.curve(f"fastai.{case['schedule']}", steps=case["rows"], **case["params"])
        scale = max(abs(v) for v in case["lr"])
        error = float(np.max(np.abs(curve.lr - np.array(case["lr"])))) / scale
        identical = np.array_equal(curve.lr, np.array(case["lr"]))
        print(f"{case['id']:70} {error:.3g}{'  (identical)' if identical else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", action="store_true", help="compare lrplot with the file")
    if parser.parse_args().measure:
        measure()
        return
    document = generate()
    write(document)
    print(f"{GOLDEN.relative_to(HERE.parent)}: {len(document['cases'])} cases")


if __name__ == "__main__":
    main()
