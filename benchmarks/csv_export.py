"""CSV export of 2·10⁶ rows: lrplot's writer against np.savetxt with %.17g, memory and round trip.

Run: python benchmarks/csv_export.py. Prints, for a cosine curve (step, lr) and a 1cycle curve
(step, lr, momentum), the best of a few runs of each writer, their ratio against the goal (lrplot at
least 3x faster), that every float reads back to the same float64, and the peak memory the export
allocates (traced with tracemalloc: it stays at a few chunks, not the size of the file). Also the
cost of formatting alone, per value, against Python's repr.
"""

from __future__ import annotations

import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

import lrplot
from lrplot.render.export import CHUNK_ROWS, write_csv
from lrplot.render.floatfmt import float_cells, shortest

ROWS = 2_000_000
GOAL = 3.0
REPEATS = 3


def best_of(run: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def lrplot_csv(curve: lrplot.Curve, path: Path) -> None:
    with open(path, "wb") as out:
        write_csv(out, [curve])


def savetxt_csv(curve: lrplot.Curve, path: Path) -> None:
    columns = [curve.steps, curve.lr, *curve.series.values()]
    fmt = ["%d"] + ["%.17g"] * (len(columns) - 1)
    np.savetxt(path, np.column_stack(columns), fmt=fmt, delimiter=",")


def reads_back(curve: lrplot.Curve, path: Path) -> bool:
    table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    expected = np.column_stack([curve.steps, curve.lr, *curve.series.values()])
    return table.shape == expected.shape and bool(np.array_equal(table, expected, equal_nan=True))


def peak_memory(run: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def formatting_ns(values: np.ndarray) -> tuple[float, float, float]:
    """ns per value: lrplot's formatter (chunked, no joining), Python's repr (on a sample), and the
    fraction of values that took the repr fallback."""

    def chunks() -> None:
        for a in range(0, len(values), CHUNK_ROWS):
            float_cells(values[a : a + CHUNK_ROWS])

    sample = values[:: max(1, len(values) // 200_000)]
    vectorised = best_of(chunks) / len(values) * 1e9
    python = best_of(lambda: list(map(repr, sample.tolist()))) / len(sample) * 1e9
    magnitude = np.abs(values[np.isfinite(values) & (values != 0)])
    normal = magnitude >= np.finfo(np.float64).tiny  # subnormals always take the fallback
    unsure = np.count_nonzero(~shortest(magnitude[normal]).sure) + np.count_nonzero(~normal)
    return vectorised, python, unsure / max(1, len(values))


def main() -> None:
    curves = {
        "cosine (step, lr)": lrplot.curve("cosine", t_max=ROWS, steps=ROWS),
        "1cycle (step, lr, momentum)": lrplot.curve("onecycle", max_lr=0.1, total_steps=ROWS),
    }
    print(f"{ROWS:,} rows, best of {REPEATS}; goal: lrplot >= {GOAL:g}x faster than savetxt(fmt='%.17g')\n")
    print(f"{'curve':30} {'lrplot':>9} {'savetxt':>9} {'ratio':>7}  goal  read back  peak memory / file")
    met = True
    with tempfile.TemporaryDirectory() as folder:
        ours, theirs = Path(folder) / "lrplot.csv", Path(folder) / "savetxt.csv"
        for name, curve in curves.items():
            fast = best_of(lambda c=curve: lrplot_csv(c, ours))
            slow = best_of(lambda c=curve: savetxt_csv(c, theirs))
            ratio = slow / fast
            met &= ratio >= GOAL
            exact = reads_back(curve, ours)
            met &= exact
            peak = peak_memory(lambda c=curve: lrplot_csv(c, ours))
            size = os.path.getsize(ours)
            verdict = "met" if ratio >= GOAL else "MISSED"
            print(
                f"{name:30} {fast:8.3f}s {slow:8.3f}s {ratio:6.1f}x  {verdict:4}  "
                f"{'exact' if exact else 'DIFFERS':9}  {peak / 2**20:.1f} MiB / {size / 2**20:.0f} MiB"
            )
    print("\nformatting alone, ns per float64:")
    for name, curve in curves.items():
        for column, values in {"lr": curve.lr, **curve.series}.items():
            ns, python, fallback = formatting_ns(values)
            print(
                f"  {name.split()[0]:8} {column:9} {ns:6.1f} ns  (repr {python:.0f} ns, {python / ns:.0f}x); "
                f"repr fallback for {fallback:.3%} of values"
            )
    print(f"\ngoal {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
