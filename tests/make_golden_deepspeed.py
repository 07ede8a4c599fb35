"""Write tests/golden/deepspeed.json: DeepSpeed's own curves over a grid of parameters that covers
every argument of every schedule (and the edges: warm-ups of 1 and 2 steps, runs shorter than
their warm-up, rows past total_num_steps, stairs, the decay after OneCycle's cycle, negative
rates, resumed runs), stepped as DeepSpeed's engine steps them (tests/reference_deepspeed.py).

Run from the repository root with torch and deepspeed installed:

    python tests/make_golden_deepspeed.py            # rewrite the file
    python tests/make_golden_deepspeed.py --check    # exit 1 when the file differs

Floats are written by repr, so they read back to the same float64.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.reference_deepspeed import deepspeed_rows  # noqa: E402

OUT = ROOT / "tests" / "golden" / "deepspeed.json"
GENERATOR = "tests/make_golden_deepspeed.py"
CONVENTION = (
    "row t = the optimizer's lr during update t: recorded before optimizer.step(), after which "
    "scheduler.step() runs, as DeepSpeed's engine.step() does; momentum = betas[0] of torch.optim.AdamW "
    "(lr = the case's lr, else 1e-3)"
)

Case = tuple[str, str, dict[str, Any], int]


def warmup_lr_cases() -> Iterator[Case]:
    for warmup in (1, 2, 3, 10, 40):
        for kind in ("log", "linear"):
            for low in (0.0, 0.01):
                for high in (None, 0.2):
                    params: dict[str, Any] = {"lr": 0.1, "warmup_min_lr": low, "warmup_num_steps": warmup,
                                              "warmup_type": kind}
                    if high is not None:
                        params["warmup_max_lr"] = high
                    yield (f"warmup-lr/W={warmup},{kind},min={low},max={high}", "warmup-lr", params,
                           2 * max(warmup, 2) + 5)
    for last in (0, 4, 50):
        yield (f"warmup-lr/last_batch_iteration={last}", "warmup-lr",
               {"lr": 0.05, "warmup_min_lr": 0.001, "warmup_max_lr": 0.01, "warmup_num_steps": 20,
                "warmup_type": "linear", "last_batch_iteration": last}, 40)
    yield "warmup-lr/max<min", "warmup-lr", {"warmup_min_lr": 0.1, "warmup_max_lr": 0.01,
                                             "warmup_num_steps": 8}, 20
    yield "warmup-lr/defaults", "warmup-lr", {}, 1003


def warmup_decay_lr_cases() -> Iterator[Case]:
    shapes = [(10, 50), (10, 11), (10, 10), (10, 5), (1, 20), (2, 3), (40, 160)]
    for warmup, total in shapes:
        for kind in ("log", "linear"):
            for low in (0.0, 1e-4):
                params = {"lr": 0.3, "total_num_steps": total, "warmup_min_lr": low, "warmup_max_lr": 0.002,
                          "warmup_num_steps": warmup, "warmup_type": kind}
                yield (f"warmup-decay-lr/W={warmup},T={total},{kind},min={low}", "warmup-decay-lr", params,
                       max(total, warmup) + 6)
    for last in (0, 7, 30, 60):
        yield (f"warmup-decay-lr/last_batch_iteration={last}", "warmup-decay-lr",
               {"lr": 0.05, "total_num_steps": 50, "warmup_max_lr": 0.01, "warmup_num_steps": 10,
                "warmup_type": "linear", "last_batch_iteration": last}, 40)
    yield "warmup-decay-lr/defaults", "warmup-decay-lr", {"total_num_steps": 1050}, 1053


def warmup_cosine_lr_cases() -> Iterator[Case]:
    shapes = [(10, 50), (10, 11), (10, 10), (10, 5), (1, 20), (2, 3), (40, 160)]
    for warmup, total in shapes:
        for kind in ("log", "linear"):
            for low, floor in ((0.0, 1e-4), (0.1, 0.0), (0.25, 0.5)):
                params = {"lr": 0.003, "total_num_steps": total, "warmup_min_ratio": low,
                          "warmup_num_steps": warmup, "cos_min_ratio": floor, "warmup_type": kind}
                yield (f"warmup-cosine-lr/W={warmup},T={total},{kind},min_ratio={low},cos_min={floor}",
                       "warmup-cosine-lr", params, max(total, warmup) + 6)
    for floor in (-0.2, 1.5):
        yield (f"warmup-cosine-lr/cos_min_ratio={floor}", "warmup-cosine-lr",
               {"lr": 0.1, "total_num_steps": 60, "warmup_num_steps": 10, "cos_min_ratio": floor}, 66)
    for last in (0, 5, 30, 70):
        yield (f"warmup-cosine-lr/last_batch_iteration={last}", "warmup-cosine-lr",
               {"lr": 0.05, "total_num_steps": 60, "warmup_num_steps": 10, "warmup_min_ratio": 0.1,
                "warmup_type": "linear", "last_batch_iteration": last}, 40)
    yield "warmup-cosine-lr/defaults", "warmup-cosine-lr", {"total_num_steps": 1050}, 1053


def one_cycle_cases() -> Iterator[Case]:
    halves = [(1, None), (3, None), (10, 0), (10, 7), (4, 1)]
    stairs = [(0, None), (3, None), (2, 5), (-1, 4), (10, 10)]
    for first, second in halves:
        for first_stairs, second_stairs in stairs:
            for momentum in (True, False):
                params: dict[str, Any] = {"cycle_min_lr": 0.001, "cycle_max_lr": 0.01,
                                          "cycle_first_step_size": first,
                                          "cycle_first_stair_count": first_stairs, "cycle_momentum": momentum}
                if second is not None:
                    params["cycle_second_step_size"] = second
                if second_stairs is not None:
                    params["cycle_second_stair_count"] = second_stairs
                size = first + (first if second is None else second)
                yield (f"one-cycle/halves={first},{second},stairs={first_stairs},{second_stairs},"
                       f"momentum={momentum}", "one-cycle", params, 2 * size + 4)
    decays = [(0, 0.5, 0.1), (5, 0.0, 0.0), (5, 0.5, 0.0), (5, 0.0, 0.2), (3, 2.0, -0.3), (1, 0.01, 0.05)]
    for size, lr_rate, mom_rate in decays:
        params = {"cycle_min_lr": 0.002, "cycle_max_lr": 0.02, "cycle_first_step_size": 6,
                  "cycle_second_step_size": 4, "decay_step_size": size, "decay_lr_rate": lr_rate,
                  "decay_mom_rate": mom_rate, "cycle_min_mom": 0.85, "cycle_max_mom": 0.95}
        yield (f"one-cycle/decay_step_size={size},decay_lr_rate={lr_rate},decay_mom_rate={mom_rate}",
               "one-cycle", params, 60)
    for low, high in ((0.0, 0.1), (0.1, 0.01)):
        yield (f"one-cycle/lr={low}..{high}", "one-cycle",
               {"cycle_min_lr": low, "cycle_max_lr": high, "cycle_first_step_size": 5,
                "cycle_min_mom": 0.95, "cycle_max_mom": 0.8}, 14)
    for last in (0, 4, 12):
        yield (f"one-cycle/last_batch_iteration={last}", "one-cycle",
               {"lr": 0.5, "cycle_min_lr": 0.001, "cycle_max_lr": 0.01, "cycle_first_step_size": 5,
                "decay_step_size": 2, "decay_lr_rate": 0.3, "last_batch_iteration": last}, 20)
    yield ("one-cycle/defaults", "one-cycle", {"cycle_min_lr": 1e-4, "cycle_max_lr": 1e-3}, 2003)


def lr_range_test_cases() -> Iterator[Case]:
    for size in (1, 5, 100):
        for rate in (1.0, 5.0, -0.5):
            for staircase in (False, True):
                params = {"lr_range_test_min_lr": 0.001, "lr_range_test_step_size": size,
                          "lr_range_test_step_rate": rate, "lr_range_test_staircase": staircase}
                yield (f"lr-range-test/size={size},rate={rate},staircase={staircase}", "lr-range-test",
                       params, min(3 * size + 5, 250))
    for last in (0, 3, 40):
        for staircase in (False, True):
            yield (f"lr-range-test/last_batch_iteration={last},staircase={staircase}", "lr-range-test",
                   {"lr": 0.5, "lr_range_test_min_lr": 0.01, "lr_range_test_step_size": 4,
                    "lr_range_test_staircase": staircase, "last_batch_iteration": last}, 30)
    yield "lr-range-test/min=0.1", "lr-range-test", {"lr_range_test_min_lr": 0.1}, 30
    yield "lr-range-test/defaults", "lr-range-test", {}, 300


def all_cases() -> Iterator[Case]:
    yield from warmup_lr_cases()
    yield from warmup_decay_lr_cases()
    yield from warmup_cosine_lr_cases()
    yield from one_cycle_cases()
    yield from lr_range_test_cases()


def document() -> str:
    import deepspeed
    import torch

    lines = []
    for case_id, schedule, params, rows in all_cases():
        got = deepspeed_rows(schedule, params, rows)
        case = {"id": case_id, "schedule": f"deepspeed.{schedule}", "params": params, "rows": rows,
                **{name: values.tolist() for name, values in got.items()}}
        lines.append(json.dumps(case, separators=(",", ":")))
    head = json.dumps({"generator": GENERATOR, "deepspeed": deepspeed.__version__, "torch": torch.__version__,
                       "convention": CONVENTION}, indent=1)[:-2]
    return head + ',\n "cases": [\n' + ",\n".join(lines) + "\n]}\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is not what it would be")
    args = parser.parse_args()
    text = document()
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="ascii") == text
        print("up to date" if same else f"{OUT} differs from what {GENERATOR} writes")
        return 0 if same else 1
    OUT.write_text(text, encoding="ascii")
    print(f"wrote {OUT} ({len(text) // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
