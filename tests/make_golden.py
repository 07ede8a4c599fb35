"""Writes tests/golden/*.json: torch's curves over grids of parameters of every schedule.

    python tests/make_golden.py                 regenerate the files (needs torch)
    python tests/make_golden.py --only family   regenerate one of them
    python tests/make_golden.py --measure       print how far lrplot is from each case (no torch)

core.json holds the four core schedules; family.json the rest of torch's family, the warm-up
and the compositions (SequentialLR, ChainedScheduler, nested), whose children are nested mappings
with a ``type`` as lrplot takes them.

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
FAMILY = HERE / "golden" / "family.json"
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


# --- the rest of the family -----------------------------------------------------------------------


def step_cases() -> Iterator[Case]:
    for step_size in (1, 3, 30):
        for gamma in (0.1, 0.5, 0.9, 1.05):
            yield (f"step/step_size={step_size},gamma={gamma}", "step",
                   {"lr": 0.1, "step_size": step_size, "gamma": gamma}, 12 * step_size + 1)
    # Thousands of decays: torch's product of gammas drifts.
    yield "step/long", "step", {"lr": 0.5, "step_size": 2, "gamma": 0.997}, 5000
    yield "step/defaults", "step", {"step_size": 4}, 20


def multistep_cases() -> Iterator[Case]:
    for milestones in [(30, 80), (5, 5, 10), (1,), (2, 3, 4, 5, 6), (10, 10, 10, 40)]:
        for gamma in (0.1, 0.5, 2.0):
            name = ",".join(map(str, milestones))
            yield (f"multistep/milestones={name},gamma={gamma}", "multistep",
                   {"lr": 0.1, "milestones": list(milestones), "gamma": gamma}, 100)
    yield "multistep/defaults", "multistep", {"milestones": [3, 6]}, 10


def constant_cases() -> Iterator[Case]:
    for factor in (1 / 3, 0.5, 1.0, 1e-4, 0.123456789):
        for total in (1, 5, 40):
            yield (f"constant/factor={factor:.6g},total_iters={total}", "constant",
                   {"lr": 0.1, "factor": factor, "total_iters": total}, 2 * total + 10)
    yield "constant/defaults", "constant", {}, 11


def linear_cases() -> Iterator[Case]:
    for start, end in [(1 / 3, 1.0), (0.1, 1.0), (1.0, 0.1), (0.5, 0.0), (1e-6, 1.0), (0.7, 0.7)]:
        for total in (1, 5, 100):
            yield (f"linear/start={start:.6g},end={end},total_iters={total}", "linear",
                   {"lr": 0.1, "start_factor": start, "end_factor": end, "total_iters": total},
                   total + 20)
    # A long ramp: each step multiplies by a rounded ratio.
    yield ("linear/long", "linear",
           {"lr": 3e-4, "start_factor": 0.001, "end_factor": 1.0, "total_iters": 4000}, 4010)
    yield "linear/defaults", "linear", {}, 8


def polynomial_cases() -> Iterator[Case]:
    for total in (1, 5, 100):
        for power in (0.5, 1.0, 2.0, 7.5):
            yield (f"polynomial/total_iters={total},power={power}", "polynomial",
                   {"lr": 0.1, "total_iters": total, "power": power}, total + 10)
    yield ("polynomial/long", "polynomial", {"lr": 1.0, "total_iters": 3000, "power": 9.0}, 3005)
    yield "polynomial/defaults", "polynomial", {}, 8


def restarts_cases() -> Iterator[Case]:
    for t_0 in (1, 3, 10):
        for t_mult in (1, 2, 3):
            for eta_min in (0.0, 1e-3, 0.2):  # 0.2 > lr: each cycle rises
                params = {"lr": 0.1, "t_0": t_0, "t_mult": t_mult, "eta_min": eta_min}
                rows = t_0 * (1 + t_mult + t_mult**2) + 2
                yield (f"cosine-restarts/t_0={t_0},t_mult={t_mult},eta_min={eta_min}",
                       "cosine-restarts", params, rows)
    yield ("cosine-restarts/long", "cosine-restarts",
           {"lr": 0.1, "t_0": 997, "t_mult": 1, "eta_min": 1e-4}, 5000)
    yield "cosine-restarts/defaults", "cosine-restarts", {"t_0": 5}, 16


def cyclic_cases() -> Iterator[Case]:
    for mode in ("triangular", "triangular2", "exp_range"):
        for up, down in [(5, None), (3, 7), (10, 1), (1, 1)]:
            for momentum in (True, False):
                params = {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": up, "step_size_down": down,
                          "mode": mode, "cycle_momentum": momentum}
                if mode == "exp_range":
                    params["gamma"] = 0.99
                rows = 4 * (up + (down or up)) + 1
                yield (f"cyclic/{mode},up={up},down={down},momentum={momentum}", "cyclic", params, rows)
    yield ("cyclic/exp_range,long", "cyclic",
           {"base_lr": 0.1, "max_lr": 1.0, "step_size_up": 50, "mode": "exp_range", "gamma": 0.9995}, 3000)
    yield ("cyclic/max_lr<base_lr", "cyclic",
           {"base_lr": 0.01, "max_lr": 0.001, "step_size_up": 4, "base_momentum": 0.95,
            "max_momentum": 0.8}, 30)
    yield "cyclic/defaults", "cyclic", {"base_lr": 0.001, "max_lr": 0.006}, 200


# Warm-ups in front of each schedule; onecycle and cyclic show torch's quirks (the warm-up ramps to
# OneCycleLR's max_lr / div_factor, and to the optimizer's lr in front of CyclicLR's base_lr).
WARMED: list[tuple[str, dict[str, Any], int]] = [
    ("cosine", {"lr": 0.1, "t_max": 40, "eta_min": 0.001}, 60),
    ("exponential", {"lr": 0.1, "gamma": 0.9}, 40),
    ("step", {"lr": 0.1, "step_size": 5, "gamma": 0.5}, 40),
    ("multistep", {"lr": 0.1, "milestones": [5, 10, 10]}, 30),
    ("constant", {"lr": 0.1, "factor": 0.5, "total_iters": 4}, 20),
    ("linear", {"lr": 0.1, "start_factor": 0.5, "end_factor": 0.1, "total_iters": 10}, 25),
    ("polynomial", {"lr": 0.1, "total_iters": 20, "power": 2.0}, 30),
    ("cosine-restarts", {"lr": 0.1, "t_0": 4, "t_mult": 2, "eta_min": 0.01}, 40),
    ("cyclic", {"lr": 0.01, "base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4}, 40),
    ("cyclic", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4}, 40),
    ("onecycle", {"max_lr": 0.1, "total_steps": 30}, 30),
    ("onecycle", {"max_lr": 0.1, "total_steps": 30, "three_phase": True, "anneal_strategy": "linear"}, 30),
]


def warm_up_cases() -> Iterator[Case]:
    for index, (schedule, params, rows) in enumerate(WARMED):
        for steps, factor in [(1, None), (5, None), (5, 0.01)]:
            warm = {"warmup_steps": steps, **({} if factor is None else {"warmup_start_factor": factor})}
            yield (f"warm-up/{schedule}#{index},steps={steps},factor={factor}", schedule,
                   {**params, **warm}, rows + steps)
    yield ("warm-up/cosine,long", "cosine",
           {"lr": 0.1, "t_max": 1000, "eta_min": 0.2, "warmup_steps": 100, "warmup_start_factor": 0.1},
           2200)


def _linear(**params: Any) -> dict[str, Any]:
    return {"type": "linear", **params}


def _exponential(gamma: float) -> dict[str, Any]:
    return {"type": "exponential", "gamma": gamma}


COSINE = {"type": "cosine", "t_max": 20, "eta_min": 0.01}
CYCLIC = {"type": "cyclic", "base_lr": 0.02, "max_lr": 0.2, "step_size_up": 3}
ONECYCLE = {"type": "onecycle", "max_lr": 0.5, "total_steps": 40}


def sequential_cases() -> Iterator[Case]:
    def case(name: str, schedules: list[dict[str, Any]], milestones: list[int], rows: int, lr=0.1):
        params = {"lr": lr, "milestones": milestones, "schedules": schedules}
        return f"sequential/{name}", "sequential", params, rows

    yield case("issue", [_linear(start_factor=0.1, total_iters=5),
                         {"type": "cosine", "t_max": 95, "eta_min": 0.001}], [5], 100)
    yield case("torch-doc", [{"type": "constant", "factor": 0.1, "total_iters": 2},
                             _exponential(0.9)], [2], 20)
    yield case("three", [_linear(total_iters=4), {"type": "step", "step_size": 3, "gamma": 0.5},
                         COSINE], [4, 13], 60)
    yield case("milestone-before-end", [COSINE, _exponential(0.8)], [7], 30)
    yield case("cosine-past-trough", [COSINE, {"type": "polynomial", "total_iters": 5}], [30], 45)
    yield case("onecycle-later", [_exponential(0.9), ONECYCLE], [5], 45)
    yield case("onecycle-first", [ONECYCLE, {"type": "cosine", "t_max": 10}], [40], 60)
    yield case("cyclic-first", [CYCLIC, _exponential(0.5)], [6], 15)
    yield case("cyclic-later", [_exponential(0.9), CYCLIC], [6], 30)
    yield case("restarts", [{"type": "cosine-restarts", "t_0": 3},
                            {"type": "cosine-restarts", "t_0": 2, "t_mult": 2}], [5], 30)
    yield case("single", [{"type": "multistep", "milestones": [2, 4]}], [], 8)
    # Composites first: torch steps their children once more while constructing (see compose.py).
    yield case("chained-first", [{"type": "chained", "schedules": [_exponential(0.5), COSINE]},
                                 _exponential(0.9)], [4], 15)
    yield case("sequential-first", [{"type": "sequential", "milestones": [3],
                                     "schedules": [_exponential(0.5), _exponential(0.9)]},
                                    {"type": "constant", "factor": 0.5, "total_iters": 2}], [6], 12)
    yield case("warm-up-first", [{**COSINE, "warmup_steps": 3}, _exponential(0.9)], [10], 20)
    yield case("long", [_linear(start_factor=0.01, total_iters=5),
                        {"type": "cosine", "t_max": 1000, "eta_min": 0.2}], [5], 2100)


def chained_cases() -> Iterator[Case]:
    def case(name: str, schedules: list[dict[str, Any]], rows: int, lr=0.1):
        return f"chained/{name}", "chained", {"lr": lr, "schedules": schedules}, rows

    yield case("issue", [_linear(start_factor=0.1, total_iters=5), _exponential(0.95)], 60)
    yield case("torch-doc", [{"type": "constant", "factor": 0.1, "total_iters": 20},
                             _exponential(0.9)], 30)
    yield case("cosine-eta-times-gamma", [COSINE, _exponential(0.97)], 70)
    yield case("cosine-t_max=1", [{"type": "cosine", "t_max": 1, "eta_min": 0.05},
                                  _exponential(0.97)], 20)
    yield case("onecycle-then-linear", [ONECYCLE, _linear(start_factor=0.5, total_iters=3)], 40)
    yield case("linear-then-onecycle", [_linear(start_factor=0.5, total_iters=3), ONECYCLE], 40)
    yield case("cyclic-polynomial", [CYCLIC, {"type": "polynomial", "total_iters": 30, "power": 1.5}],
               40)
    yield case("restarts-step", [{"type": "cosine-restarts", "t_0": 4, "eta_min": 0.001},
                                 {"type": "step", "step_size": 6, "gamma": 0.5}], 40)
    yield case("cyclic-before-onecycle", [{**CYCLIC, "base_momentum": 0.7}, ONECYCLE], 40)
    yield case("nested", [{"type": "chained", "schedules": [_exponential(0.99),
                                                           {"type": "multistep", "milestones": [5]}]},
                          {"type": "sequential", "milestones": [8],
                           "schedules": [_linear(total_iters=8), COSINE]}], 40)
    yield case("warm-up-inside", [{**COSINE, "warmup_steps": 4}, _exponential(0.98)], 40)


def family_cases() -> Iterator[Case]:
    yield from step_cases()
    yield from multistep_cases()
    yield from constant_cases()
    yield from linear_cases()
    yield from polynomial_cases()
    yield from restarts_cases()
    yield from cyclic_cases()
    yield from warm_up_cases()
    yield from sequential_cases()
    yield from chained_cases()


FILES = {"core": (GOLDEN, all_cases), "family": (FAMILY, family_cases)}


def encode(value: Any) -> Any:
    """JSON-safe: non-finite floats become 'nan', 'inf', '-inf' (float() reads them back)."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


def generate(cases_of=all_cases) -> dict[str, Any]:
    import torch

    cases = []
    seen = set()
    for case_id, schedule, params, rows in cases_of():
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
            share = used(ours, ref, kind_of(schedule, case["params"]))
            group = case["id"].split("/")[0]
            row = table.setdefault((group, name, kind_of(schedule, case["params"])), [0.0, 0.0, 0.0, 0])
            row[0], row[1], row[2] = max(row[0], rel), max(row[1], scaled), max(row[2], share)
            row[3] += 1
    print(f"{'cases of':<16} {'series':<9} {'kind':<11} {'cases':>5} {'worst rel':>10} "
          f"{'worst/scale':>12} {'used of allowed':>16}")
    for (group, name, kind), (rel, scaled, share, count) in table.items():
        print(f"{group:<16} {name:<9} {kind:<11} {count:>5} {rel:>10.2e} "
              f"{scaled:>12.2e} {share:>16.2e}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--measure", action="store_true",
                        help="compare lrplot with the golden files instead of regenerating them")
    parser.add_argument("--only", choices=sorted(FILES), help="one golden file (default: all)")
    args = parser.parse_args(argv)
    chosen = [args.only] if args.only else list(FILES)
    for name in chosen:
        path, cases_of = FILES[name]
        if args.measure:
            print(f"{path.name}:")
            measure(path)
            continue
        document = generate(cases_of)
        write(document, path)
        size = path.stat().st_size
        print(f"wrote {len(document['cases'])} cases ({size / 1e6:.2f} MB) from torch "
              f"{document['torch']} to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
