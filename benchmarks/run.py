"""Every performance figure, measured in one run, each against its goal.

Run from the repository root:

    python benchmarks/run.py                 # all six figures (~5 min with torch installed)
    python benchmarks/run.py --quick         # fewer repeats, torch at 10^5 steps (~1 min)
    python benchmarks/run.py --only engine plot
    python benchmarks/run.py --cold-python /path/to/venv/bin/python   # cold start of that install

1. engine  every schedule at N = 10^7 in float64: lrplot.compute over the memory-bound baseline,
           np.arange(N) then one in-place multiply. Goal <= 3x.
2. torch   the same schedules at N = 10^6: torch's scheduler loop (get_last_lr(), then step(), per
           row) over lrplot.compute. Goal >= 100x.
3. plot    a PNG of a 10^7-step, densely oscillating curve over the same schedule at 10^3 steps.
           Goal <= 1.5x.
4. cold    `lrplot cosine --t-max 20` over `python -c "import numpy, typer, rich.table"`, each a
           fresh process. Goal <= 1.3x.
5. csv     2*10^6 rows: np.savetxt(fmt="%.17g") over lrplot's writer; every float must read back
           the same. Goal >= 3x.
6. memory  peak RSS of computing and plotting a 10^7-step schedule, above the interpreter's
           baseline. Goal <= 3 * N * 8 bytes.
7. logs    a training log of 10^6 logged steps read, checked and plotted, over the same work on a
           computed curve plus parsing the file with json/csv (benchmarks/logs.py). Goal <= 2x.

Every registered schedule of every framework is in figure 1 (sized by its Schedule.scaled), and
the cold start of figure 4 is measured for one command of each namespace.

This machine is noisy, so a figure is never a time: it is the median of ratios, each ratio taken
between two runs side by side (the two sides alternate which goes first). lrplot's caches are
cleared before each run, so every run computes from scratch. Rows marked "stress" are not the
goal's schedules but their hardest settings, shown with the same goal for what they are.
Exit status 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import lrplot  # noqa: E402

ENGINE_ROWS = 10**7
TORCH_ROWS = 10**6
GOALS = {"engine": 3.0, "torch": 100.0, "plot": 1.5, "cold": 1.3, "csv": 3.0, "memory": 3.0, "logs": 2.0}


# --- measuring ------------------------------------------------------------------------------------


def clear_caches() -> None:
    """Every framework's cached curves (composite and plateau scans, fastai's positions)."""
    from lrplot.frameworks import FRAMEWORKS

    for framework in FRAMEWORKS.values():
        module = sys.modules.get(framework.package)
        if module is not None and hasattr(module, "clear_caches"):
            module.clear_caches()


def timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    result = run()
    elapsed = time.perf_counter() - start
    del result
    return elapsed


def side_by_side(
    first: Callable[[], object], second: Callable[[], object], pairs: int
) -> tuple[float, float, float]:
    """(median time of first, median time of second, median of the ratios first/second), over
    ``pairs`` pairs of runs that alternate which side goes first, after one run of each."""
    timed(first), timed(second)
    ones, twos, ratios = [], [], []
    for pair in range(pairs):
        if pair % 2:
            two, one = timed(second), timed(first)
        else:
            one, two = timed(first), timed(second)
        ones.append(one)
        twos.append(two)
        ratios.append(one / two)
    return statistics.median(ones), statistics.median(twos), statistics.median(ratios)


def memory_bound(n: int) -> Callable[[], np.ndarray]:
    def baseline() -> np.ndarray:
        a = np.arange(n, dtype=np.float64)
        a *= 0.5
        return a

    return baseline


def engine(spec: lrplot.Spec) -> Callable[[], lrplot.Curve]:
    def compute() -> lrplot.Curve:
        clear_caches()
        return lrplot.compute(spec)

    return compute


def verdict(ratio: float, goal: float, at_most: bool = True) -> str:
    return "PASS" if (ratio <= goal if at_most else ratio >= goal) else "FAIL"


# --- the schedules --------------------------------------------------------------------------------


def metrics(n: int) -> np.ndarray:
    """A validation loss per epoch: falling, flattening, noisy (seeded)."""
    rng = np.random.default_rng(6)
    epochs = np.arange(n)
    return 0.2 + 1.0 / (1.0 + epochs / (n / 100)) + 0.01 * rng.standard_normal(n)


def schedules(n: int) -> list[tuple[str, str, dict]]:
    """(label, schedule, parameters) for every schedule, sized for n rows as a long run would be."""
    warm = max(n // 1000, 1)
    decay = 0.01 ** (1 / n)  # down to 1% at the last step
    return [
        ("exponential", "exponential", {"lr": 0.1, "gamma": decay}),
        ("step", "step", {"lr": 0.1, "step_size": n // 10, "gamma": 0.5}),
        ("multistep", "multistep", {"lr": 0.1, "milestones": [n // 2, 3 * n // 4, 9 * n // 10]}),
        ("constant", "constant", {"lr": 0.1, "factor": 0.5, "total_iters": n // 10}),
        ("linear", "linear", {"lr": 0.1, "start_factor": 0.01, "total_iters": n - 1}),
        ("polynomial", "polynomial", {"lr": 0.1, "total_iters": n - 1, "power": 0.9}),
        ("cosine", "cosine", {"lr": 0.1, "t_max": n - 1, "eta_min": 1e-5}),
        ("cosine-restarts", "cosine-restarts", {"lr": 0.1, "t_0": n // 100, "t_mult": 2}),
        ("cyclic", "cyclic", {"base_lr": 1e-4, "max_lr": 1e-2, "step_size_up": 2000}),
        ("onecycle", "onecycle", {"max_lr": 0.01, "total_steps": n}),
        ("plateau", "plateau", {"lr": 0.1, "metrics": metrics(n), "patience": 10}),
        (
            "sequential",
            "sequential",
            {
                "lr": 0.1,
                "milestones": [warm],
                "schedules": [
                    {"type": "linear", "start_factor": 0.01, "total_iters": warm},
                    {"type": "cosine", "t_max": n - warm, "eta_min": 1e-5},
                ],
            },
        ),
        (
            "chained",
            "chained",
            {
                "lr": 0.1,
                "schedules": [
                    {"type": "linear", "start_factor": 0.1, "total_iters": warm},
                    {"type": "exponential", "gamma": decay},
                ],
            },
        ),
        ("cosine + warm-up", "cosine", {"lr": 0.1, "t_max": n - warm, "warmup_steps": warm}),
    ]


def framework_schedules(n: int) -> list[tuple[str, str, dict | None]]:
    """(label, key, parameters) for every registered schedule of every other framework, sized
    by its own entry (Schedule.scaled); parameters None when the entry has no such hook."""
    from lrplot.registry import all_schedules

    return [
        (schedule.command, key, None if schedule.scaled is None else schedule.scaled(n))
        for key, schedule in all_schedules().items()
        if schedule.framework != "torch"
    ]


def stress(n: int) -> list[tuple[str, str, dict]]:
    """The hardest settings of some schedules: not the goal's, shown for what they cost."""
    return [
        ("exponential, underflows", "exponential", {"lr": 0.1, "gamma": 0.999}),
        ("polynomial, power 20", "polynomial", {"lr": 0.1, "total_iters": n - 1, "power": 20.0}),
        ("cosine, period 100", "cosine", {"lr": 0.1, "t_max": 50}),
        ("cyclic, one cycle", "cyclic", {"base_lr": 1e-4, "max_lr": 1e-2, "step_size_up": n // 2}),
        (
            "cyclic, exp_range",
            "cyclic",
            {"base_lr": 1e-4, "max_lr": 1e-2, "mode": "exp_range", "gamma": 0.99999},
        ),
        (
            "onecycle, linear, 3 phases",
            "onecycle",
            {"max_lr": 0.01, "total_steps": n, "anneal_strategy": "linear", "three_phase": True},
        ),
        (
            "plateau, no cut ever",
            "plateau",
            {"lr": 0.1, "metrics": 1.0 / (1.0 + np.arange(n) / 1e3), "threshold": 0.0, "patience": n},
        ),
    ]


def spec_of(schedule: str, params: dict, n: int) -> lrplot.Spec:
    return lrplot.build_spec(schedule, {**params, "steps": n})


# --- 1. engine vs the memory limit ----------------------------------------------------------------


def bench_engine(quick: bool) -> list[tuple[str, float, str]]:
    n, pairs = ENGINE_ROWS, 3 if quick else 7
    goal = GOALS["engine"]
    print(f"1. Engine vs the memory limit: lrplot.compute at N = {n:.0e} (float64) over np.arange(N)")
    print(f"   then one in-place multiply; median of {pairs} alternating pairs. Goal <= {goal:g}x.")
    results = []
    print(f"   {'schedule':28} {'lrplot':>9} {'baseline':>9} {'ratio':>7}")
    for kind, cases in (("", schedules(n)), ("", framework_schedules(n)), ("stress", stress(n))):
        for label, name, params in cases:
            if params is None:
                print(f"   {label:28} no Schedule.scaled: not measured  FAIL")
                results.append((label, float("inf"), "FAIL"))
                continue
            spec = spec_of(name, params, n)
            ours, base, ratio = side_by_side(engine(spec), memory_bound(n), pairs)
            mark = verdict(ratio, goal)
            print(
                f"   {label:28} {ours * 1e3:7.1f}ms {base * 1e3:7.1f}ms {ratio:6.2f}x  "
                f"{mark if not kind else 'stress ' + mark.lower()}"
            )
            if not kind:
                results.append((label, ratio, mark))
    worst = max(results, key=lambda r: r[1])
    print(f"   worst: {worst[0]} {worst[1]:.2f}x -> {verdict(worst[1], goal)}\n")
    return [("engine", worst[1], verdict(worst[1], goal))]


# --- 2. engine vs stepping torch ------------------------------------------------------------------


def torch_loop(name: str, params: dict, rows: int) -> float:
    """Seconds for torch's scheduler to give ``rows`` rates the way a script reads a curve:
    get_last_lr() then step() (step(metric) for ReduceLROnPlateau), from a fresh scheduler."""
    import torch

    from tests.reference import DEFAULT_LR, REFERENCES, SGD_MOMENTUM, build_scheduler

    weight = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([weight], lr=params.get("lr", DEFAULT_LR), momentum=SGD_MOMENTUM)
    metric = REFERENCES[name].metric
    feed = [float(v) for v in params[metric]] if metric else None
    torch_params = {**params, metric: feed} if metric else params
    with warnings.catch_warnings():
        # No optimizer.step() between: torch warns about the order, which does not matter here.
        warnings.simplefilter("ignore")
        scheduler = build_scheduler(torch, optimizer, name, torch_params)
        rates = [0.0] * rows
        start = time.perf_counter()
        for t in range(rows):
            rates[t] = scheduler.get_last_lr()[0]
            if t == rows - 1:
                break
            if feed is None:
                scheduler.step()
            else:
                scheduler.step(feed[t])
        return time.perf_counter() - start


def bench_torch(quick: bool) -> list[tuple[str, float, str]]:
    goal = GOALS["torch"]
    try:
        import torch
    except ImportError:
        print("2. Engine vs stepping torch: torch is not installed, skipped.\n")
        return [("torch", float("nan"), "SKIP")]
    n = TORCH_ROWS // 10 if quick else TORCH_ROWS
    print(f"2. Engine vs stepping torch {torch.__version__}: its scheduler loop (get_last_lr(), then")
    print(f"   step(), per row; one run) over lrplot.compute (median of 5), at N = {n:.0e}.")
    print(f"   Goal >= {goal:g}x.{' (quick: N is 10x smaller than the goal says)' if quick else ''}")
    print(f"   {'schedule':28} {'torch':>9} {'lrplot':>9} {'ratio':>8}")
    results = []
    for label, name, params in schedules(n):
        spec = spec_of(name, params, n)
        timed(engine(spec))
        ours = statistics.median(timed(engine(spec)) for _ in range(5))
        theirs = torch_loop(name, params, n)
        ratio = theirs / ours
        results.append((label, ratio))
        print(
            f"   {label:28} {theirs:8.2f}s {ours * 1e3:7.2f}ms {ratio:7.0f}x  {verdict(ratio, goal, False)}"
        )
    worst = min(results, key=lambda r: r[1])
    print(f"   worst: {worst[0]} {worst[1]:.0f}x -> {verdict(worst[1], goal, False)}\n")
    return [("torch", worst[1], verdict(worst[1], goal, False))]


# --- 3. plot time independent of N ----------------------------------------------------------------


def png(curve: lrplot.Curve) -> Callable[[], bytes]:
    from lrplot.render import plot

    def draw() -> bytes:
        out = io.BytesIO()
        plot.save(plot.figure([curve]), out, "png")
        return out.getvalue()

    return draw


def bench_plot(quick: bool) -> list[tuple[str, float, str]]:
    goal, pairs = GOALS["plot"], 3 if quick else 7
    print("3. Plot time independent of N: plot.figure + save as PNG (what -o x.png does) of a")
    print(f"   10^7-step curve over the same schedule at 10^3 steps; median of {pairs} alternating pairs.")
    print(f"   Goal <= {goal:g}x.")
    cases = [
        ("cosine past t_max (period 2000)", "cosine", {"lr": 0.1, "t_max": 1000}),
        ("cyclic, with momentum panel", "cyclic", {"base_lr": 1e-4, "max_lr": 1e-2, "step_size_up": 1000}),
    ]
    results = []
    for label, name, params in cases:
        long = lrplot.curve(name, steps=ENGINE_ROWS, **params)
        short = lrplot.curve(name, steps=1000, **params)
        slow, fast, ratio = side_by_side(png(long), png(short), pairs)
        results.append((label, ratio))
        print(
            f"   {label:34} {slow * 1e3:6.0f}ms vs {fast * 1e3:4.0f}ms  {ratio:5.2f}x  {verdict(ratio, goal)}"
        )
    worst = max(results, key=lambda r: r[1])
    print(f"   worst: {worst[0]} {worst[1]:.2f}x -> {verdict(worst[1], goal)}\n")
    return [("plot", worst[1], verdict(worst[1], goal))]


# --- 4. cold start --------------------------------------------------------------------------------


def bench_cold(quick: bool, python: str) -> list[tuple[str, float, str]]:
    goal, pairs = GOALS["cold"], 10 if quick else 40
    # Outside the repository, so that `python -c` does not find lrplot in the current directory.
    away = tempfile.gettempdir()
    where = subprocess.run(
        [python, "-c", "import lrplot; print(lrplot.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=away,
    ).stdout.strip()
    script = Path(python).parent / "lrplot"
    lrplot_command = [str(script)] if script.exists() else [python, "-m", "lrplot"]
    bare = [python, "-c", "import numpy, typer, rich.table"]

    def run(command: list[str]) -> Callable[[], None]:
        return lambda: subprocess.run(command, stdout=subprocess.DEVNULL, check=True, cwd=away)

    print(f"4. Cold start of one command per namespace over `{' '.join(bare[1:])}`, fresh processes,")
    print(f"   median of {pairs} alternating pairs. Goal <= {goal:g}x.")
    print(f"   lrplot from {where}")
    if "site-packages" not in Path(where).parts:
        print("   note: an editable install (its import finder adds ~10 ms); the figure for the README")
        print("   comes from `pip install .` in a fresh venv, passed as --cold-python.")
    results = []
    for words in cold_commands():
        slow, fast, ratio = side_by_side(run([*lrplot_command, *words]), run(bare), pairs)
        mark = verdict(ratio, goal)
        shown = " ".join(words)[:48]
        print(f"   {shown:48} {slow * 1e3:4.0f}ms vs {fast * 1e3:4.0f}ms: {ratio:.2f}x  {mark}")
        results.append((ratio, mark))
        if quick:
            break
    worst = max(results)
    print(f"   worst: {worst[0]:.2f}x -> {worst[1]}\n")
    return [("cold", worst[0], worst[1])]


def cold_commands() -> list[list[str]]:
    """`lrplot cosine --t-max 20`, then each other framework's first schedule, by its example."""
    import shlex

    from lrplot.frameworks import FRAMEWORKS
    from lrplot.registry import schedules_of

    commands = [["cosine", "--t-max", "20"]]
    for framework in FRAMEWORKS:
        if framework == "torch":
            continue
        first = next((s for s in schedules_of(framework).values() if not s.yaml_only), None)
        if first is not None:
            commands.append([*shlex.split(first.example), "--quiet"])
    return commands


# --- 5. CSV export --------------------------------------------------------------------------------


def bench_csv(quick: bool) -> list[tuple[str, float, str]]:
    import csv_export

    goal, pairs = GOALS["csv"], 1 if quick else 3
    rows = csv_export.ROWS
    print(f"5. CSV export of {rows:.0e} rows: np.savetxt(fmt='%.17g') over lrplot's writer (median of")
    print(f"   {pairs} alternating pairs); every float read back; peak memory traced. Goal >= {goal:g}x.")
    curves = {
        "cosine (step, lr)": lrplot.curve("cosine", t_max=rows, steps=rows),
        "1cycle (step, lr, momentum)": lrplot.curve("onecycle", max_lr=0.1, total_steps=rows),
    }
    results = []
    with tempfile.TemporaryDirectory() as folder:
        ours, theirs = Path(folder) / "lrplot.csv", Path(folder) / "savetxt.csv"
        for label, curve in curves.items():
            slow, fast, ratio = side_by_side(
                lambda c=curve: csv_export.savetxt_csv(c, theirs),
                lambda c=curve: csv_export.lrplot_csv(c, ours),
                pairs,
            )
            exact = csv_export.reads_back(curve, ours)
            peak = csv_export.peak_memory(lambda c=curve: csv_export.lrplot_csv(c, ours))
            mark = verdict(ratio, goal, False) if exact else "FAIL"
            results.append((label, ratio if exact else 0.0))
            print(
                f"   {label:28} {slow:6.2f}s vs {fast:5.2f}s  {ratio:4.1f}x  "
                f"{'reads back exactly' if exact else 'DIFFERS'}, peak {peak / 2**20:.1f} MiB "
                f"(file {os.path.getsize(ours) / 2**20:.0f} MiB)  {mark}"
            )
    worst = min(results, key=lambda r: r[1])
    print(f"   worst: {worst[0]} {worst[1]:.1f}x -> {verdict(worst[1], goal, False)}\n")
    return [("csv", worst[1], verdict(worst[1], goal, False))]


# --- 6. memory ------------------------------------------------------------------------------------

PEAK = r"""
import io, sys
import numpy as np
import lrplot
from lrplot.render import plot

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    raise KeyError(key)

def png(curve):
    plot.save(plot.figure([curve]), io.BytesIO(), "png")

name, params = sys.argv[1], eval(sys.argv[2])
png(lrplot.curve("cosine", t_max=500, steps=1000))  # fonts, caches: what any plot loads
spec = lrplot.build_spec(name, {**params, "steps": int(sys.argv[3])})
with open("/proc/self/clear_refs", "w") as reset:
    reset.write("5")  # the peak RSS starts again from here
before = status("VmRSS:")
png(lrplot.compute(spec))
print(status("VmHWM:") - before)
"""


def bench_memory(quick: bool) -> list[tuple[str, float, str]]:
    n, goal = ENGINE_ROWS, GOALS["memory"]
    print(f"6. Memory: peak RSS of computing and plotting N = {n:.0e} rows (VmHWM, reset once the")
    print("   interpreter, lrplot and matplotlib are loaded and a short plot drawn), in a fresh process,")
    print(f"   over N * 8 bytes (one float64 column). Goal <= {goal:g}.")
    cases = [
        ("cosine past t_max (the plot's)", "cosine", {"lr": 0.1, "t_max": 1000}),
        ("onecycle (rate and momentum)", "onecycle", {"max_lr": 0.01, "total_steps": n}),
        ("cosine + warm-up", "cosine", {"lr": 0.1, "t_max": n - 10**4, "warmup_steps": 10**4}),
    ]
    results = []
    for label, name, params in cases:
        done = subprocess.run(
            [sys.executable, "-c", PEAK, name, repr(params), str(n)], capture_output=True, text=True, cwd=ROOT
        )
        if done.returncode:
            print(f"   {label}: could not measure ({done.stderr.strip().splitlines()[-1]})")
            continue
        peak = int(done.stdout.split()[-1])
        ratio = peak / (n * 8)
        results.append((label, ratio))
        print(f"   {label:32} {peak / 2**20:6.0f} MiB = {ratio:4.2f} x N x 8 bytes  {verdict(ratio, goal)}")
    if not results:
        return [("memory", float("nan"), "SKIP")]
    worst = max(results, key=lambda r: r[1])
    print(f"   worst: {worst[0]} {worst[1]:.2f} -> {verdict(worst[1], goal)}\n")
    return [("memory", worst[1], verdict(worst[1], goal))]


# --- all of it ------------------------------------------------------------------------------------

SECTIONS = ("engine", "torch", "plot", "cold", "csv", "memory", "logs")


# --- 7. training logs ----------------------------------------------------------------------------


def bench_logs(quick: bool) -> list[tuple[str, float, str]]:
    import logs

    goal = GOALS["logs"]
    print("7. Training logs (benchmarks/logs.py): reading, checking and plotting a log of 10^6 logged")
    print(f"   steps over the same work on a computed curve plus parsing the file. Goal <= {goal:g}x.")
    results = logs.measure(quick)
    for name, ratio, _ in results:
        print(f"   {name:28} {ratio:6.2f}x  {verdict(ratio, goal)}")
    worst = max(results, key=lambda r: r[1])
    print(f"   worst: {worst[0]} {worst[1]:.2f}x -> {verdict(worst[1], goal)}\n")
    return [("logs", worst[1], verdict(worst[1], goal))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats; torch at 10^5 steps")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=SECTIONS, help="figures to measure")
    parser.add_argument(
        "--cold-python",
        default=sys.executable,
        help="the interpreter whose lrplot install the cold start measures",
    )
    args = parser.parse_args()
    import numpy  # the version line below

    print(
        f"lrplot {lrplot.__version__}, numpy {numpy.__version__}, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs{', quick' if args.quick else ''}\n"
    )
    figures = []
    for section in SECTIONS:
        if section not in args.only:
            continue
        if section == "cold":
            figures += bench_cold(args.quick, args.cold_python)
        else:
            figures += globals()[f"bench_{section}"](args.quick)
    print("Summary")
    units = {
        "engine": "x",
        "torch": "x faster",
        "plot": "x",
        "cold": "x",
        "csv": "x faster",
        "memory": " x N x 8 B",
        "logs": "x",
    }
    for name, value, mark in figures:
        sense = ">=" if name in ("torch", "csv") else "<="
        print(f"   {name:7} {value:8.2f}{units[name]:11} goal {sense} {GOALS[name]:g}  {mark}")
    return 1 if any(mark == "FAIL" for _, _, mark in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
