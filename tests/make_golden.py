"""Writes tests/golden/core.json: torch's curves over a grid of parameters of the four core schedules.

    python tests/make_golden.py            regenerate the file (needs torch)
    python tests/make_golden.py --measure  print how far lrplot is from each case (no torch needed)

Each case holds the schedule, its parameters under lrplot's names, the number of rows and torch's
arrays (``lr``, and ``momentum`` when OneCycleLR cycles it), stepped by tests/reference.py. Floats
are written by ``repr`` (what the json module does), so they read back to the same float64;
non-finite metric values are written as the strings "nan", "inf", "-inf" (``float()`` reads them),
which keeps the file strict JSON.
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
GOLDEN = HERE / "golden" / "core.json"
sys.path.insert(0, str(HERE.parent))  # run as a script: the repository root, for tests.reference

from tests.reference import kind_of, torch_rows, used, worst_error  # noqa: E402

NAN = math.nan
Case = tuple[str, str, dict[str, Any], int]  # id, schedule, params, rows


def exponential_cases() -> Iterator[Case]:
    # gamma > 1 grows (kept finite), tiny gammas underflow through subnormals to 0.
    for gamma, rows in [(0.5, 200), (0.9, 300), (0.95, 300), (0.99, 1000), (0.123456789, 400),
                        (1.0, 50), (1.01, 500), (1.5, 300), (1e-3, 120), (1e-9, 40)]:
        yield f"exponential/gamma={gamma}", "exponential", {"lr": 0.1, "gamma": gamma}, rows
    # Long enough for torch's per-step rounding to accumulate.
    yield "exponential/gamma=0.999,long", "exponential", {"lr": 3e-4, "gamma": 0.999}, 6000
    yield "exponential/default-lr", "exponential", {"gamma": 0.7}, 30


def cosine_cases() -> Iterator[Case]:
    # Three periods (6 * t_max steps) so the curve climbs back twice and falls again.
    for t_max in (1, 2, 3, 7, 10, 20, 100):
        for eta_min in (0.0, 1e-3, 0.2):  # 0.2 > lr: the curve rises first
            yield (f"cosine/t_max={t_max},eta_min={eta_min}", "cosine",
                   {"lr": 0.1, "t_max": t_max, "eta_min": eta_min}, 6 * t_max + 1)
    # A long half-period, then past the trough: where torch's recursion loses most (see
    # reference.TOLERANCES, "recurrence").
    for eta_min in (0.0, 0.2):
        yield (f"cosine/t_max=1000,eta_min={eta_min}", "cosine",
               {"lr": 0.1, "t_max": 1000, "eta_min": eta_min}, 2 * 1000 + 2)
    yield ("cosine/eta_min-near-lr", "cosine", {"lr": 1.0, "t_max": 100, "eta_min": 0.999}, 401)
    yield ("cosine/eta_min=lr", "cosine", {"lr": 0.01, "t_max": 5, "eta_min": 0.01}, 31)
    yield ("cosine/stops-early", "cosine", {"lr": 0.1, "t_max": 50}, 20)
    yield ("cosine/default-lr", "cosine", {"t_max": 20}, 21)
    # Thousands of periods: the angle pi * t / t_max carries a growing rounding error.
    yield ("cosine/t_max=3,many-periods", "cosine", {"lr": 0.1, "t_max": 3, "eta_min": 1e-4}, 6000)


def onecycle_cases() -> Iterator[Case]:
    shapes = [(7, 0.25), (7, 0.37), (10, 0.25), (10, 0.37), (10, 0.5), (100, 0.3), (100, 0.37),
              (101, 0.25)]
    for total, pct in shapes:
        for strategy in ("cos", "linear"):
            for three_phase in (False, True):
                for cycle in (True, False):
                    params = {"max_lr": 0.1, "total_steps": total, "pct_start": pct,
                              "anneal_strategy": strategy, "three_phase": three_phase,
                              "cycle_momentum": cycle}
                    yield (f"onecycle/T={total},pct={pct},{strategy},three_phase={three_phase},"
                           f"momentum={cycle}", "onecycle", params, total)
    # Long cycles, with pct_start * total_steps not a whole number of steps (0.37 * 1000 is
    # 370.00000000000006 in floats: the phase ends where torch says).
    for pct in (0.25, 0.37):
        for strategy in ("cos", "linear"):
            for three_phase in (False, True):
                params = {"max_lr": 1.0, "total_steps": 1000, "pct_start": pct,
                          "anneal_strategy": strategy, "three_phase": three_phase}
                yield (f"onecycle/T=1000,pct={pct},{strategy},three_phase={three_phase}",
                       "onecycle", params, 1000)
    # Division factors and momentum ranges, including the flat warm-up (div_factor 1), a final
    # rate above the start (final_div_factor < 1) and momentum that rises with the rate.
    for div, final_div in [(10.0, 100.0), (1.0, 1e4), (3.0, 0.5), (1e3, 1e6)]:
        for strategy in ("cos", "linear"):
            for three_phase in (False, True):
                params = {"max_lr": 3e-4, "total_steps": 40, "pct_start": 0.3,
                          "anneal_strategy": strategy, "three_phase": three_phase,
                          "div_factor": div, "final_div_factor": final_div}
                yield (f"onecycle/div={div},final_div={final_div},{strategy},"
                       f"three_phase={three_phase}", "onecycle", params, 40)
    for base, top in [(0.8, 0.99), (0.95, 0.85), (0.0, 1.0), (0.3, 0.95)]:
        for strategy in ("cos", "linear"):
            params = {"max_lr": 0.01, "total_steps": 30, "anneal_strategy": strategy,
                      "base_momentum": base, "max_momentum": top}
            yield (f"onecycle/momentum={base}..{top},{strategy}", "onecycle", params, 30)
    yield ("onecycle/epochs", "onecycle",
           {"max_lr": 0.05, "epochs": 4, "steps_per_epoch": 25, "pct_start": 0.25}, 100)
    yield ("onecycle/stops-early", "onecycle",
           {"max_lr": 0.05, "total_steps": 60, "three_phase": True}, 35)
    yield ("onecycle/defaults", "onecycle", {"max_lr": 0.1, "total_steps": 50}, 50)


# Metric series for the plateau grid: one value per epoch.
SERIES: dict[str, list[float]] = {
    # exact repeats: a tie is never an improvement, whatever the threshold
    "ties": [5.0, 4.0, 4.0, 4.0, 3.0, 3.0, 3.0, 3.0, 3.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0,
             2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5,
             1.5, 1.5, 1.5, 1.5, 1.5, 1.5],
    # falls, then long plateaus with tiny gains (below a relative threshold) and a late drop
    "plateaus": [2.0, 1.5, 1.2, 1.0, 0.9, 0.85, 0.84, 0.8399, 0.83995, 0.8399, 0.84, 0.8398,
                 0.8397, 0.8397, 0.8396, 0.84, 0.841, 0.842, 0.84, 0.839, 0.839, 0.839, 0.839,
                 0.6, 0.55, 0.55, 0.55, 0.5499, 0.55, 0.56, 0.57, 0.55, 0.55, 0.55, 0.55, 0.55,
                 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55],
    # NaN first (best stays at its start value), in runs, and last
    "nan": [NAN, 3.0, 2.5, NAN, NAN, 2.4, 2.6, NAN, 2.7, 2.8, 2.9, NAN, NAN, NAN, 2.3, 2.35,
            2.3, NAN, 2.2, 2.25, 2.3, 2.35, 2.4, 2.45, 2.5, NAN, NAN, NAN, NAN, NAN, NAN, NAN,
            2.1, 2.2, 2.3, 2.4, 2.5, 2.6, NAN],
    # negative and crossing zero: a relative threshold on a negative best moves the other way
    "negative": [-0.5, -1.0, -1.5, -1.6, -1.65, -1.66, -1.661, -1.6611, -1.6611, -1.65, -1.7,
                 -1.7001, -1.70005, -1.7, -1.69, -1.68, 0.2, 0.1, 0.0, -0.0, 0.0, -0.1, -0.1,
                 -0.1, -0.0999, -0.1, -2.0, -2.0, -1.9999, -2.0, -1.99, -1.98, -1.97, -1.96,
                 -1.95, -1.94, -1.93, -1.92, -1.91, -1.9],
    # a bumpy accuracy-like curve: rises with noise and saturates
    "noisy": [0.1, 0.3, 0.45, 0.44, 0.52, 0.58, 0.57, 0.61, 0.6, 0.63, 0.62, 0.635, 0.64, 0.639,
              0.641, 0.64, 0.6405, 0.642, 0.641, 0.64, 0.643, 0.643, 0.642, 0.6431, 0.643,
              0.644, 0.6441, 0.644, 0.6439, 0.644, 0.6442, 0.6441, 0.644, 0.644, 0.6443, 0.644,
              0.6444, 0.644, 0.644, 0.644, 0.644, 0.644, 0.644, 0.644, 0.644],
}


def plateau_cases() -> Iterator[Case]:
    for name, values in SERIES.items():
        for mode in ("min", "max"):
            for threshold_mode in ("rel", "abs"):
                for patience in (0, 2, 10):
                    for cooldown in (0, 3):
                        params = {"lr": 0.1, "metrics": values, "mode": mode,
                                  "threshold_mode": threshold_mode, "patience": patience,
                                  "cooldown": cooldown, "factor": 0.5}
                        yield (f"plateau/{name},{mode},{threshold_mode},patience={patience},"
                               f"cooldown={cooldown}", "plateau", params, len(values))
    flat = [1.0] * 30
    rising = [float(i) for i in range(30)]
    # min_lr floor: 0.1 -> 0.01 -> max(0.001, 0.005); then no cut (the drop would be 0 <= eps).
    yield ("plateau/min-lr-floor", "plateau",
           {"lr": 0.1, "metrics": rising, "patience": 0, "min_lr": 0.005}, 30)
    # eps suppresses every cut: the drop 0.5e-8 is not more than eps = 1e-8.
    yield ("plateau/eps-suppresses", "plateau",
           {"lr": 1e-8, "metrics": rising, "patience": 1, "factor": 0.5}, 30)
    yield ("plateau/eps=0", "plateau",
           {"lr": 1e-8, "metrics": rising, "patience": 1, "factor": 0.5, "eps": 0.0}, 30)
    yield ("plateau/min-lr=lr,eps=0", "plateau",
           {"lr": 0.01, "metrics": rising, "patience": 0, "min_lr": 0.01, "eps": 0.0}, 30)
    # threshold 0: any strict improvement counts; a large absolute threshold: none does.
    for threshold in (0.0, 0.5):
        for threshold_mode in ("rel", "abs"):
            yield (f"plateau/threshold={threshold},{threshold_mode}", "plateau",
                   {"lr": 0.1, "metrics": SERIES["plateaus"], "patience": 1,
                    "threshold": threshold, "threshold_mode": threshold_mode}, 45)
    yield ("plateau/abs-threshold=1", "plateau",
           {"lr": 0.1, "metrics": SERIES["negative"], "patience": 2, "threshold": 1.0,
            "threshold_mode": "abs", "cooldown": 1}, 40)
    for factor in (0.9, 0.1, 1 / 3):
        yield (f"plateau/factor={factor:.3g}", "plateau",
               {"lr": 1.0, "metrics": flat, "patience": 0, "factor": factor}, 30)
    yield ("plateau/single-value", "plateau", {"lr": 0.1, "metrics": [1.0]}, 1)
    yield ("plateau/stops-early", "plateau",
           {"lr": 0.1, "metrics": SERIES["ties"], "patience": 1}, 12)
    yield ("plateau/defaults", "plateau", {"metrics": SERIES["plateaus"]}, 45)


def all_cases() -> Iterator[Case]:
    yield from exponential_cases()
    yield from cosine_cases()
    yield from onecycle_cases()
    yield from plateau_cases()


def encode(value: Any) -> Any:
    """JSON-safe: non-finite floats become 'nan', 'inf', '-inf' (float() reads them back)."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


def generate() -> dict[str, Any]:
    import torch

    cases = []
    seen = set()
    for case_id, schedule, params, rows in all_cases():
        if case_id in seen:
            raise ValueError(f"duplicate case id {case_id}")
        seen.add(case_id)
        arrays = torch_rows(schedule, params, rows)
        cases.append({
            "id": case_id,
            "schedule": schedule,
            "params": encode(params),
            "rows": rows,
            "torch": {name: encode(values.tolist()) for name, values in arrays.items()},
        })
    return {
        "generator": "tests/make_golden.py",
        "torch": torch.__version__,
        "convention": "row t = scheduler.get_last_lr()[0] after t calls of scheduler.step() "
        "(ReduceLROnPlateau: step(metrics[i]) for i < t); momentum = "
        "optimizer.param_groups[0]['momentum'] (SGD, momentum=0.9)",
        "cases": cases,
    }


def write(document: dict[str, Any], path: Path) -> None:
    """One case per line: small diffs when a case changes."""
    head = {k: v for k, v in document.items() if k != "cases"}
    lines = [json.dumps(case, allow_nan=False, separators=(",", ":")) for case in document["cases"]]
    text = json.dumps(head, allow_nan=False, indent=1)[:-2]
    text += ',\n "cases": [\n' + ",\n".join(lines) + "\n ]\n}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="ascii")
    tmp.replace(path)


def load(path: Path = GOLDEN) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="ascii"))


def decode_params(schedule: str, params: dict[str, Any]) -> dict[str, Any]:
    if schedule == "plateau":
        return {**params, "metrics": [float(v) for v in params["metrics"]]}
    return dict(params)


def measure(path: Path = GOLDEN) -> None:
    """Per kind: worst relative error, worst error over the curve's scale, and the largest share of
    the allowed error used, over every case of the golden file."""
    import numpy as np

    import lrplot

    document = load(path)
    table: dict[tuple[str, str], list[float]] = {}
    for case in document["cases"]:
        schedule = case["schedule"]
        curve = lrplot.curve(schedule, steps=case["rows"], **decode_params(schedule,
                                                                          case["params"]))
        for name, values in case["torch"].items():
            ref = np.array([float(v) for v in values])
            ours = curve.lr if name == "lr" else curve.series[name]
            rel, scaled = worst_error(ours, ref)
            share = used(ours, ref, kind_of(schedule))
            row = table.setdefault((schedule, name), [0.0, 0.0, 0.0, 0])
            row[0], row[1], row[2] = max(row[0], rel), max(row[1], scaled), max(row[2], share)
            row[3] += 1
    print(f"{'schedule':<12} {'series':<9} {'kind':<11} {'cases':>5} {'worst rel':>10} "
          f"{'worst/scale':>12} {'used of allowed':>16}")
    for (schedule, name), (rel, scaled, share, count) in table.items():
        print(f"{schedule:<12} {name:<9} {kind_of(schedule):<11} {count:>5} {rel:>10.2e} "
              f"{scaled:>12.2e} {share:>16.2e}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--measure", action="store_true",
                        help="compare lrplot with the golden file instead of regenerating it")
    parser.add_argument("--output", type=Path, default=GOLDEN, help="golden file (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.measure:
        measure(args.output)
        return 0
    document = generate()
    write(document, args.output)
    size = args.output.stat().st_size
    print(f"wrote {len(document['cases'])} cases ({size / 1e6:.2f} MB) from torch "
          f"{document['torch']} to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
