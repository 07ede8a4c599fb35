"""Training logs of 10^6 logged steps: reading, checking and plotting one, against what the same
work costs for a computed curve of the same length plus parsing the file with the standard
library (issue 12, section 5). Goal: <= 2x for each.

    python benchmarks/logs.py            # 10^6 logged steps per format (~2 min)
    python benchmarks/logs.py --quick    # 10^5

For each format (Hugging Face trainer_state.json as Trainer writes it, Lightning's metrics.csv with
a rate row and a loss row per step, a plain step,lr CSV):

- read:  lrplot.logs.read and the log's curve, over json.load (csv.reader) of the file plus
         computing the planned schedule (hf cosine) of the same length;
- check: reading the log, computing the plan and comparing them (lrplot check), over the parse
         plus computing the plan;
- plot:  reading the log and writing its PNG (lrplot log FILE -o x.png), over the parse plus
         computing the plan and writing its PNG.

A figure is the median of ratios, each between two runs side by side that alternate which goes
first (the machine is noisy; see benchmarks/run.py).
"""

from __future__ import annotations

import argparse
import collections
import csv
import io
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

import lrplot  # noqa: E402
from lrplot import check, logs  # noqa: E402
from lrplot.render import View, write  # noqa: E402
from lrplot.render.files import Target  # noqa: E402

GOAL = 2.0
ROWS, QUICK_ROWS = 10**6, 10**5
FORMATS = ("hf", "lightning", "csv")


def plan_params(n: int) -> dict:
    return {"lr": 1e-3, "num_warmup_steps": n // 100, "num_training_steps": n}


def write_logs(folder: Path, n: int) -> dict[str, Path]:
    """One log per format whose rates are the plan's, as each library writes them."""
    rates = lrplot.curve("hf.cosine", **plan_params(n)).lr
    loss = 1.0 + np.linspace(1, 0, n) ** 2
    steps = np.arange(n)
    paths = {}
    history = [{"epoch": float(s + 1) / 1000, "grad_norm": float(g), "learning_rate": float(r),
                "loss": float(g), "step": int(s + 1)} for s, r, g in zip(steps, rates, loss)]
    paths["hf"] = folder / "trainer_state.json"
    # Trainer's save_to_json: indent=2, sort_keys=True.
    paths["hf"].write_text(json.dumps({"global_step": n, "log_history": history}, indent=2,
                                      sort_keys=True) + "\n")
    del history
    lines = ["epoch,lr-AdamW,step,train_loss,val_loss"]
    for s, r, g in zip(steps.tolist(), rates.tolist(), loss.tolist()):
        lines.append(f",{r!r},{s},,")
        lines.append(f"{s // 1000},,{s},{g!r},")
    paths["lightning"] = folder / "metrics.csv"
    paths["lightning"].write_text("\n".join(lines) + "\n")
    lines = ["step,lr"] + [f"{s},{r!r}" for s, r in zip(steps.tolist(), rates.tolist())]
    paths["csv"] = folder / "lr.csv"
    paths["csv"].write_text("\n".join(lines) + "\n")
    return paths


def parse(path: Path) -> Callable[[], object]:
    """The standard library's parse of the file: json.load, or every row of csv.reader."""
    if path.suffix == ".json":
        return lambda: json.loads(path.read_text())
    return lambda: collections.deque(csv.reader(io.StringIO(path.read_text())), maxlen=0)


def png(curve: lrplot.Curve) -> bytes:
    out = io.BytesIO()
    write([curve], [Target(None, "png")], View(title="a million steps"), out)
    return out.getvalue()


def timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def side_by_side(first: Callable[[], object], second: Callable[[], object], pairs: int) -> float:
    """The median of first/second over ``pairs`` pairs of runs alternating which goes first,
    after one run of each."""
    timed(first), timed(second)
    ratios = []
    for pair in range(pairs):
        if pair % 2:
            two, one = timed(second), timed(first)
        else:
            one, two = timed(first), timed(second)
        ratios.append(one / two)
    return statistics.median(ratios)


def measure(quick: bool) -> list[tuple[str, float, float]]:
    """(name, ratio, goal) for reading, checking and plotting a log of each format."""
    n = QUICK_ROWS if quick else ROWS
    pairs = 3 if quick else 5
    spec = lrplot.build_spec("hf.cosine", plan_params(n))

    def plan() -> lrplot.Curve:
        return lrplot.compute(spec)

    results = []
    with tempfile.TemporaryDirectory() as temp:
        paths = write_logs(Path(temp), n)
        for kind in FORMATS:
            path, parsed = paths[kind], parse(paths[kind])

            def read(path=path) -> lrplot.Curve:
                return logs.build(str(path)).curve()

            def checked(path=path) -> check.Report:
                report = check.compare(logs.read(path), plan().lr, "hf cosine")
                assert report.agree, report.lines
                return report

            figures = {
                "read": (read, lambda parsed=parsed: (parsed(), plan())),
                "check": (checked, lambda parsed=parsed: (parsed(), plan())),
                "plot": (lambda read=read: png(read()), lambda parsed=parsed: (parsed(), png(plan()))),
            }
            for name, (ours, baseline) in figures.items():
                ratio = side_by_side(ours, baseline, pairs)
                results.append((f"log {kind} {name} ({n:,} logged steps)", ratio, GOAL))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} logged steps, fewer repeats")
    quick = parser.parse_args().quick
    failed = False
    for name, ratio, goal in measure(quick):
        verdict = "PASS" if ratio <= goal else "FAIL"
        failed |= verdict == "FAIL"
        print(f"{name:<46} {ratio:6.2f}x  (goal <= {goal:g}x)  {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
