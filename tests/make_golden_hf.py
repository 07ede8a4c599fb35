"""Writes tests/golden/hf.json: transformers' curves over a grid of every hf schedule's arguments.

    python tests/make_golden_hf.py            regenerate the file (needs torch and transformers)
    python tests/make_golden_hf.py --measure  print how far lrplot is from each case (no library)

Each case holds the schedule (``hf.<name>``), its parameters under lrplot's names (YAML), the number
of rows and transformers' rates (``lr``). The ``function`` cases are built by
``transformers.get_scheduler`` from the function's arguments; the ``trainer`` cases by Trainer itself
from TrainingArguments and a dataset (tests/reference_hf.py), so they pin the arithmetic too.
Floats are written by ``repr`` (what the json module does), so they read back to the same float64.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden" / "hf.json"
sys.path.insert(0, str(HERE.parent))  # run as a script: the repository root, for tests.reference_hf

from tests.reference_hf import CONVENTION, hf_rows, trainer_run, worst_error  # noqa: E402

Case = tuple[str, str, dict[str, Any], int]  # id, schedule, params, rows
LR = 1e-3


def _id(name: str, params: dict[str, Any]) -> str:
    return f"{name}/" + ",".join(f"{k}={v}" for k, v in params.items() if k != "metrics")


def function_cases() -> Iterator[Case]:
    for w, n in [(0, 10), (3, 20), (10, 10), (15, 10), (1, 1), (0, 1), (7, 100)]:
        p = {"lr": LR, "num_warmup_steps": w, "num_training_steps": n}
        yield _id("linear", p), "hf.linear", p, n + 5
    for w, n, c in [(0, 20, 0.5), (5, 30, 0.5), (5, 30, 1.0), (0, 25, 2.5), (3, 30, 0.0), (30, 30, 0.5),
                    (40, 30, 0.5), (10, 100, 0.25)]:
        p = {"lr": LR, "num_warmup_steps": w, "num_training_steps": n, "num_cycles": c}
        yield _id("cosine", p), "hf.cosine", p, n + 12
    for w, n, c in [(0, 30, 1), (5, 40, 3), (2, 52, 49), (0, 20, 0), (20, 20, 2), (4, 103, 7)]:
        p = {"lr": LR, "num_warmup_steps": w, "num_training_steps": n, "num_cycles": c}
        yield _id("cosine-with-restarts", p), "hf.cosine-with-restarts", p, n + 5
    for w, n, end, power, rows in [(0, 20, 1e-7, 1.0, 25), (5, 30, 1e-5, 2.0, 35), (5, 30, 0.0, 0.5, 35),
                                   (0, 20, 1e-4, 0.0, 25), (10, 20, 0.0, 3.0, 25), (20, 20, 1e-7, 1.0, 20),
                                   (25, 20, 1e-7, 1.0, 30), (3, 50, 9.99e-4, 1.7, 55)]:
        p = {"lr": LR, "num_warmup_steps": w, "num_training_steps": n, "lr_end": end, "power": power}
        yield _id("polynomial", p), "hf.polynomial", p, rows
    yield "polynomial/default-lr", "hf.polynomial", {"num_warmup_steps": 2, "num_training_steps": 10}, 12
    for lr in (LR, 5e-5, 0.3):
        p = {"lr": lr, "num_training_steps": 10}
        yield _id("constant", p), "hf.constant", p, 10
    for w in (0, 1, 5, 12):
        p = {"lr": LR, "num_warmup_steps": w, "num_training_steps": 15}
        yield _id("constant-with-warmup", p), "hf.constant-with-warmup", p, 15
    for w, tau, rows in [(0, None, 40), (10, None, 60), (10, 3, 60), (4, 100, 60), (0, 1, 30)]:
        p = {"lr": LR, "num_warmup_steps": w, "timescale": tau}
        yield _id("inverse-sqrt", p), "hf.inverse-sqrt", p, rows
    p = {"lr": LR, "num_warmup_steps": 3, "num_training_steps": 50}
    yield _id("inverse-sqrt", p), "hf.inverse-sqrt", p, 50
    for w, n, c, floor in [(0, 20, 0.5, {"min_lr": 1e-5}), (5, 30, 0.5, {"min_lr_rate": 0.1}),
                           (5, 30, 1.5, {"min_lr_rate": 0.0}), (3, 25, 0.5, {"min_lr": 2e-3}),
                           (25, 25, 0.5, {"min_lr_rate": 0.5})]:
        p = {"lr": LR, "num_warmup_steps": w, "num_training_steps": n, "num_cycles": c, **floor}
        yield _id("cosine-with-min-lr", p), "hf.cosine-with-min-lr", p, n + 8
    for w, n, r0, floor in [(5, 30, None, {"min_lr_rate": 0.1}), (5, 30, 0.2, {"min_lr": 1e-5}),
                            (0, 20, None, {"min_lr_rate": 0.0}), (1, 20, 0.3, {"min_lr_rate": 0.0}),
                            (1, 20, None, {"min_lr_rate": 0.05}), (2, 20, 0.0, {"min_lr": 0.0}),
                            (20, 20, None, {"min_lr_rate": 0.1})]:
        p = {"lr": LR, "num_warmup_steps": w, "num_training_steps": n, "warmup_lr_rate": r0, **floor}
        p = {k: v for k, v in p.items() if v is not None}
        yield _id("cosine-warmup-with-min-lr", p), "hf.cosine-warmup-with-min-lr", p, n + 6
    p = {"lr": LR, "num_warmup_steps": 4, "num_training_steps": 30, "num_cycles": 1.0, "min_lr_rate": 0.2}
    yield _id("cosine-warmup-with-min-lr", p), "hf.cosine-warmup-with-min-lr", p, 36
    shapes = ("linear", "cosine", "1-sqrt")
    for warm in shapes:
        for fall in shapes:
            for m in (0.0, 0.1):
                p = {"lr": LR, "num_warmup_steps": 5, "num_training_steps": 30, "num_decay_steps": 10,
                     "warmup_type": warm, "decay_type": fall, "min_lr_ratio": m}
                yield _id("warmup-stable-decay", p), "hf.warmup-stable-decay", p, 34
    for extra in [{"num_training_steps": None, "num_stable_steps": 8}, {"num_training_steps": 12},
                  {"num_training_steps": 30, "num_cycles": 1.0},
                  {"num_training_steps": 40, "num_stable_steps": 6},
                  {"num_training_steps": 10, "num_warmup_steps": 0, "num_decay_steps": 0}]:
        p = {"lr": LR, "num_warmup_steps": 5, "num_decay_steps": 10, **extra}
        p = {k: v for k, v in p.items() if v is not None}
        yield _id("warmup-stable-decay", p), "hf.warmup-stable-decay", p, 42
    metrics = [1.0, 0.8, 0.7, 0.71, 0.72, 0.69, 0.70, 0.70, 0.71, 0.72, 0.73, 0.60, 0.61, 0.62, 0.63, 0.64]
    for extra in [{}, {"patience": 1}, {"patience": 2, "factor": 0.5, "cooldown": 1},
                  {"mode": "max", "patience": 0, "threshold_mode": "abs", "threshold": 0.01, "min_lr": 2e-4},
                  {"lr_scheduler_kwargs": {"patience": 1, "eps": 1e-3}}]:
        p = {"lr": LR, "metrics": metrics, **extra}
        yield _id("reduce-lr-on-plateau", p), "hf.reduce-lr-on-plateau", p, len(metrics)


def trainer_cases() -> Iterator[Case]:
    """Trainer's arithmetic: the run's TrainingArguments; rows = Trainer's num_training_steps."""
    runs = [
        ("hf.linear", {"batches_per_epoch": 30, "num_train_epochs": 1.0, "warmup_steps": 0.1}),
        ("hf.linear", {"num_examples": 1000}),
        ("hf.cosine", {"batches_per_epoch": 157, "gradient_accumulation_steps": 4, "num_train_epochs": 2.0,
                       "warmup_steps": 0.03, "lr": 2e-5}),
        ("hf.cosine", {"num_examples": 1001, "per_device_train_batch_size": 16, "world_size": 3,
                       "gradient_accumulation_steps": 2, "num_train_epochs": 2.5, "warmup_steps": 0.1}),
        ("hf.cosine", {"num_examples": 1001, "per_device_train_batch_size": 16, "world_size": 3,
                       "dataloader_drop_last": True, "num_train_epochs": 1.5, "warmup_steps": 4.0}),
        ("hf.cosine", {"num_examples": 500, "per_device_train_batch_size": 7, "dataloader_drop_last": True,
                       "num_train_epochs": 0.75, "warmup_steps": 3.7}),
        ("hf.cosine-with-restarts", {"batches_per_epoch": 50, "gradient_accumulation_steps": 3,
                                     "max_steps": 40, "warmup_steps": 0.25,
                                     "lr_scheduler_kwargs": {"num_cycles": 2}}),
        ("hf.polynomial", {"batches_per_epoch": 37, "max_steps": 50, "gradient_accumulation_steps": 3,
                           "warmup_steps": 0.5, "lr_scheduler_kwargs": {"power": 2.0, "lr_end": 1e-6}}),
        ("hf.constant", {"batches_per_epoch": 10, "num_train_epochs": 2.0}),
        ("hf.constant-with-warmup", {"batches_per_epoch": 10, "num_train_epochs": 2.0, "warmup_steps": 0.3}),
        ("hf.inverse-sqrt", {"batches_per_epoch": 40, "warmup_steps": 5.0,
                             "lr_scheduler_kwargs": {"timescale": 8}}),
        ("hf.cosine-with-min-lr", {"batches_per_epoch": 45, "num_train_epochs": 1.0, "warmup_steps": 0.1,
                                   "lr_scheduler_kwargs": {"min_lr_rate": 0.1}}),
        ("hf.cosine-warmup-with-min-lr", {"batches_per_epoch": 45, "num_train_epochs": 1.0,
                                          "warmup_steps": 0.1,
                                          "lr_scheduler_kwargs": {"min_lr": 1e-5, "warmup_lr_rate": 0.1}}),
        ("hf.warmup-stable-decay", {"batches_per_epoch": 37, "gradient_accumulation_steps": 3,
                                    "warmup_steps": 0.1, "lr_scheduler_kwargs": {"num_decay_steps": 10,
                                                                                "decay_type": "1-sqrt"}}),
        ("hf.warmup-stable-decay", {"batches_per_epoch": 20, "num_train_epochs": 1.0, "warmup_steps": 4.0,
                                    "lr_scheduler_kwargs": {"num_decay_steps": 10, "num_stable_steps": 3,
                                                            "warmup_type": "cosine", "min_lr_ratio": 0.1}}),
    ]
    for schedule, params in runs:
        params = {"lr": LR, **params}
        yield "trainer/" + _id(schedule.split(".")[1], params).replace("/", ":", 1), schedule, params, -1


def generate() -> dict[str, Any]:
    import torch
    import transformers

    cases = []
    for case_id, schedule, params, rows in function_cases():
        lrs, _ = hf_rows(schedule, params, rows)
        cases.append({"id": case_id, "schedule": schedule, "params": params, "rows": rows,
                      "lr": lrs.tolist()})
    for case_id, schedule, params, _ in trainer_cases():
        lrs, figures = trainer_run(schedule, params)
        cases.append({"id": case_id, "schedule": schedule, "params": params, "rows": len(lrs),
                      "lr": lrs.tolist(), "trainer": figures})
    return {"generator": "tests/make_golden_hf.py", "transformers": transformers.__version__,
            "torch": torch.__version__, "convention": CONVENTION, "cases": cases}


def measure() -> None:
    import numpy as np

    import lrplot

    document = json.loads(GOLDEN.read_text(encoding="ascii"))
    for case in document["cases"]:
        curve = lrplot.curve(case["schedule"], steps=case["rows"], **case["params"])
        error = worst_error(curve.lr, np.array(case["lr"]))
        print(f"{error:9.2e}  {float(np.mean(curve.lr == np.array(case['lr']))):6.1%} exact  {case['id']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", action="store_true", help="compare lrplot with the file")
    if parser.parse_args().measure:
        measure()
        return
    text = json.dumps(generate(), indent=None, separators=(",", ":"))
    GOLDEN.write_text(text.replace('{"id"', '\n{"id"') + "\n", encoding="ascii")
    print(f"wrote {GOLDEN} ({GOLDEN.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
