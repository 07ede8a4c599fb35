"""lrplot's timm namespace against timm 1.0.31 (timm.scheduler).

- Golden: every case of tests/golden/timm.json (tests/make_golden_timm.py) equals lrplot's curve;
  no timm needed.
- torch's generator without torch: lrplot's Mersenne Twister against numpy's (no torch needed),
  and its noise against timm's ``_calculate_noise`` (torch), bit for bit.
- Live: random parameters covering every argument, timm against lrplot.engine.curve and against
  the CLI's CSV; long ranges (the kernels) against timm; create_scheduler_v2's num_epochs.
- Emitted scripts run against timm and leave the curve in ``lrs``.
- Every warning fires where it should and not elsewhere; every refusal is one line, exit 2.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.errors import UsageError
from lrplot.registry import schedules_of
from lrplot.schedules import timm as T
from tests.conftest import run_cli
from tests.reference_timm import TOLERANCE, num_epochs, timm_rows, worst_error

GOLDEN = Path(__file__).resolve().parent / "golden" / "timm.json"
DOCUMENT = json.loads(GOLDEN.read_text(encoding="ascii"))
LIVE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THROUGH_CLI = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def timm_scheduler():
    """timm.scheduler (skips the live tests without it, fails when LRPLOT_REQUIRE asks for it)."""
    from tests.libraries import reference

    return reference("timm.scheduler")


def curve(schedule: str, params: dict[str, Any], rows: int | None = None) -> lrplot.Curve:
    return lrplot.curve(schedule, **params, **({} if rows is None else {"steps": rows}))


# --- golden ---------------------------------------------------------------------------------------


class TestGolden:
    def test_records_its_origin(self):
        assert DOCUMENT["generator"] == "tests/make_golden_timm.py"
        assert DOCUMENT["timm"] == "1.0.31"

    def test_covers_every_schedule_and_argument(self):
        cases = DOCUMENT["cases"]
        for name, schedule in schedules_of("timm").items():
            mine = [c for c in cases if c["schedule"] == schedule.yaml_type]
            assert mine, name
            given = {k for c in mine for k in c["params"]}
            assert given >= {p.name for p in schedule.params} - {"column", "lr"}, (name, given)

    def test_stays_small(self):
        assert GOLDEN.stat().st_size < 300_000

    @pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in DOCUMENT["cases"]])
    def test_matches_timm(self, case):
        ours = curve(case["schedule"], case["params"], case["rows"]).lr
        theirs = np.array(case["lr"])
        assert len(ours) == case["rows"]
        assert worst_error(ours, theirs, case["params"].get("lr", 1e-3)) <= TOLERANCE

    def test_most_rows_are_bit_exact(self):
        exact = total = 0
        for case in DOCUMENT["cases"]:
            ours = curve(case["schedule"], case["params"], case["rows"]).lr
            exact += int(np.sum(ours == np.array(case["lr"])))
            total += case["rows"]
        assert exact / total > 0.9


# --- torch's generator, without torch ---------------------------------------------------------------


class TestGenerator:
    SEEDS = np.array([0, 1, 42, 5489, 2**31, 2**32 - 1, 123456789], dtype=np.uint32)

    def mt_outputs(self, seed: int, count: int) -> np.ndarray:
        generator = np.random.MT19937(0)
        generator._legacy_seeding(int(seed))  # the classic init_genrand, as torch seeds it
        return generator.random_raw(count)

    def test_first_outputs_are_mt19937s(self):
        got = T._first_outputs(self.SEEDS, 12)
        for column, seed in enumerate(self.SEEDS):
            assert (got[:, column] == self.mt_outputs(seed, 12)).all()

    def test_twists_continue_the_stream(self):
        state = T._initial_state(self.SEEDS)
        blocks = []
        for _ in range(3):
            state = T._twist(state)
            blocks.append(T._temper(state))
        got = np.concatenate(blocks)
        for column, seed in enumerate(self.SEEDS):
            assert (got[:, column] == self.mt_outputs(seed, 3 * 624)).all()

    @pytest.mark.parametrize("pct,std", [(0.67, 1.0), (0.3, 2.0), (0.02, 1.0), (2.0, 0.5)])
    def test_normal_noise_is_timms(self, timm_scheduler, pct, std):
        import torch

        seeds = np.arange(0, 3000, dtype=np.uint32) * np.uint32(7919) + np.uint32(2**32 - 1500)
        ours = T._normal_noise(seeds, pct, std)
        scheduler = timm_scheduler.CosineLRScheduler(
            torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1),
            t_initial=10,
            noise_pct=pct,
            noise_std=std,
            noise_seed=0,
        )
        theirs = np.array([scheduler._calculate_noise(int(s)) for s in seeds])
        assert (ours == theirs).all()

    def test_uniform_noise_is_timms(self, timm_scheduler):
        import torch

        seeds = np.arange(0, 3000, dtype=np.uint32) * np.uint32(104729)
        ours = T._uniform_noise(seeds, 0.4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            scheduler = timm_scheduler.PlateauLRScheduler(
                torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1),
                noise_type="uniform",
                noise_pct=0.4,
                noise_seed=0,
            )
        theirs = np.array([scheduler._calculate_noise(int(s)) for s in seeds])
        assert (ours == theirs).all()

    def test_seeds_wrap_at_32_bits_as_torchs_do(self, timm_scheduler):
        params = {"lr": 0.1, "t_initial": 20, "noise_range_t": 1, "noise_seed": 2**32 - 5}
        ours = curve("timm.cosine", params).lr
        assert worst_error(ours, timm_rows("timm.cosine", params, len(ours))) == 0


# --- live: random parameters ------------------------------------------------------------------------


def log_uniform(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(math.log10(low), math.log10(high)).map(lambda e: float(10.0**e))


rates = log_uniform(1e-6, 10.0)


@st.composite
def noise(draw, plateau: bool = False) -> dict[str, Any]:
    if not draw(st.booleans()):
        return {}
    start = draw(st.integers(0, 60))
    span = draw(st.one_of(st.just(start), st.lists(st.integers(0, 80), min_size=2, max_size=2)))
    found = {
        "noise_range_t": span,
        "noise_pct": draw(st.one_of(st.just(0.67), st.floats(0.05, 1.5))),
        "noise_std": draw(st.one_of(st.just(1.0), st.floats(0.1, 3.0))),
        "noise_seed": draw(st.one_of(st.just(42), st.integers(0, 2**32 + 10))),
    }
    if plateau:
        found["noise_type"] = draw(st.sampled_from(["normal", "uniform"]))
    return found


@st.composite
def warmup(draw, lr: float) -> dict[str, Any]:
    return {
        "warmup_t": draw(st.one_of(st.just(0), st.integers(1, 40))),
        "warmup_lr_init": draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0).map(lambda f: lr * f))),
        "warmup_prefix": draw(st.booleans()),
    }


@st.composite
def cycle_cases(draw, shape: str) -> tuple[dict[str, Any], int]:
    lr = draw(rates)
    params: dict[str, Any] = {
        "lr": lr,
        "t_initial": draw(st.one_of(st.integers(1, 5), st.integers(1, 200))),
        "lr_min": draw(st.one_of(st.just(0.0), st.floats(0.0, 1.5).map(lambda f: lr * f))),
        "cycle_mul": draw(
            st.one_of(
                st.just(1.0), st.sampled_from([1.5, 2.0, 3.0, 0.5, 0.9, 1.1, 10.0]), st.floats(0.3, 4.0)
            )
        ),
        "cycle_decay": draw(st.one_of(st.just(1.0), st.floats(0.0, 1.2))),
        "cycle_limit": draw(st.one_of(st.just(1), st.integers(0, 30))),
        "t_in_epochs": draw(st.booleans()),
        **draw(warmup(lr)),
        **draw(noise()),
    }
    if shape != "tanh":
        params["k_decay"] = draw(st.one_of(st.just(1.0), st.just(0.0), st.floats(0.2, 3.0)))
    if shape == "tanh":
        params["lb"] = draw(st.floats(-10.0, 2.0))
        params["ub"] = params["lb"] + draw(st.floats(0.1, 12.0))
    if shape == "poly":
        params["power"] = draw(st.one_of(st.just(0.5), st.floats(0.0, 3.0)))
    return params, draw(st.integers(1, 400))


@st.composite
def step_cases(draw) -> tuple[dict[str, Any], int]:
    lr = draw(rates)
    params = {
        "lr": lr,
        "decay_t": draw(st.one_of(st.integers(1, 40).map(float), st.floats(0.3, 40.0))),
        "decay_rate": draw(st.one_of(st.just(1.0), st.floats(0.0, 1.1))),
        "t_in_epochs": draw(st.booleans()),
        **draw(warmup(lr)),
        **draw(noise()),
    }
    return params, draw(st.integers(1, 300))


@st.composite
def multistep_cases(draw) -> tuple[dict[str, Any], int]:
    lr = draw(rates)
    milestones = sorted(draw(st.lists(st.integers(1, 120), min_size=1, max_size=5)))
    params = {
        "lr": lr,
        "decay_t": milestones,
        "decay_rate": draw(st.one_of(st.just(1.0), st.floats(0.0, 1.1))),
        "t_in_epochs": draw(st.booleans()),
        **draw(warmup(lr)),
        **draw(noise()),
    }
    return params, draw(st.integers(1, 200))


@st.composite
def plateau_cases(draw) -> tuple[dict[str, Any], int]:
    steps = draw(st.lists(st.one_of(st.floats(-1.0, 1.0), st.just(0.0)), min_size=1, max_size=80))
    metrics = np.cumsum(steps).tolist()
    lr = draw(log_uniform(1e-6, 1.0))
    params = {
        "lr": lr,
        "metrics": metrics,
        "mode": draw(st.sampled_from(["min", "max"])),
        "decay_rate": draw(st.one_of(st.just(0.1), st.floats(0.01, 0.99))),
        "patience_t": draw(st.integers(0, 8)),
        "threshold": draw(st.one_of(st.just(1e-4), st.floats(0.0, 0.5))),
        "cooldown_t": draw(st.integers(0, 4)),
        "warmup_t": draw(st.one_of(st.just(0), st.integers(1, 30))),
        "warmup_lr_init": draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0).map(lambda f: lr * f))),
        "lr_min": draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0).map(lambda f: lr * f))),
        **draw(noise(plateau=True)),
    }
    return params, draw(st.integers(1, len(metrics)))


@st.composite
def factory_cases(draw) -> tuple[dict[str, Any], None]:
    sched = draw(st.sampled_from(["cosine", "tanh", "step", "multistep", "poly", "plateau", "constant"]))
    params: dict[str, Any] = {
        "lr": draw(log_uniform(1e-5, 1.0)),
        "sched": sched,
        "num_epochs": draw(st.integers(1, 40)),
        "warmup_epochs": draw(st.integers(0, 8)),
        "warmup_prefix": draw(st.booleans()),
        "cooldown_epochs": draw(st.integers(0, 8)),
        "warmup_lr": draw(st.sampled_from([0.0, 1e-5, 1e-3])),
        "min_lr": draw(st.sampled_from([0.0, 1e-5, 1e-3])),
        "decay_rate": draw(
            st.one_of(st.just(0.1), st.floats(0.01, 0.99) if sched == "plateau" else st.floats(0.0, 1.5))
        ),
        "decay_epochs": draw(st.one_of(st.just(90.0), st.floats(0.5, 12.0))),
        "decay_milestones": sorted(draw(st.lists(st.integers(1, 40), min_size=1, max_size=4))),
        "cycle_mul": draw(st.sampled_from([1.0, 1.5, 2.0, 0.8])),
        "cycle_decay": draw(st.sampled_from([0.1, 0.5, 1.0])),
        "cycle_limit": draw(st.integers(1, 4)),
        "k_decay": draw(st.sampled_from([1.0, 0.5, 2.0])),
        "patience_epochs": draw(st.integers(0, 5)),
        "plateau_mode": draw(st.sampled_from(["min", "max"])),
    }
    if draw(st.booleans()):
        params.update(
            noise=draw(st.sampled_from([[0.5], [0.2, 0.7], 0.1])),
            noise_pct=draw(st.floats(0.05, 1.0)),
            noise_seed=draw(st.integers(0, 100)),
        )
    if sched == "plateau":
        params["metrics"] = np.cumsum(draw(st.lists(st.floats(-1.0, 1.0), min_size=1, max_size=50))).tolist()
    elif draw(st.booleans()):
        params.update(
            draw(st.sampled_from([{"sched_on_updates": True}, {"step_on_epochs": False}])),
            updates_per_epoch=draw(st.integers(1, 6)),
        )
    return params, None


def computed(schedule: str, params: dict[str, Any], rows: int | None) -> lrplot.Curve:
    """lrplot's curve; hypothesis discards parameters lrplot refuses for the row count (as timm
    would fail there: cycle_mul < 1 past its end, growth past float64)."""
    try:
        return curve(schedule, params, rows)
    except UsageError:
        assume(False)
        raise


def check_live(schedule: str, params: dict[str, Any], rows: int | None) -> lrplot.Curve:
    ours = computed(schedule, params, rows)
    theirs = timm_rows(schedule, params, len(ours))
    assert worst_error(ours.lr, theirs, params["lr"]) <= TOLERANCE
    return ours


STRATEGIES = {
    "timm.cosine": cycle_cases("cosine"),
    "timm.tanh": cycle_cases("tanh"),
    "timm.poly": cycle_cases("poly"),
    "timm.step": step_cases(),
    "timm.multistep": multistep_cases(),
    "timm.plateau": plateau_cases(),
    "timm.create_scheduler_v2": factory_cases(),
}


@pytest.mark.parametrize("schedule", list(STRATEGIES))
def test_live_through_the_library(timm_scheduler, schedule):
    @LIVE
    @given(STRATEGIES[schedule])
    def run(case):
        check_live(schedule, *case)

    run()


def test_factory_counts_epochs_as_timm(timm_scheduler):
    @LIVE
    @given(factory_cases())
    def run(case):
        params, _ = case
        ours = computed("timm.create_scheduler_v2", params, None)
        assert ours.params["scheduler"].num_epochs == num_epochs(params)
        assert ours.derived["num_epochs"] == num_epochs(params)

    run()


def cli_args(schedule: str, params: dict[str, Any], rows: int | None, folder: Path) -> list[str]:
    """The command line for a case: lists as A,B, switches as --x/--no-x, metrics in a file."""
    args = ["timm", schedule.split(".", 1)[1].replace("_", "-")]
    for name, value in params.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            args.append(flag if value else "--no-" + name.replace("_", "-"))
        elif name == "metrics":
            path = folder / "metrics.txt"
            path.write_text("\n".join(repr(float(v)) for v in value) + "\n")
            args += [flag, str(path)]
        elif isinstance(value, (list, tuple)):
            args += [flag, ",".join(repr(v) for v in value)]
        else:
            args += [flag, value if isinstance(value, str) else repr(value)]
    return args + ([] if rows is None else ["--steps", str(rows)]) + ["-o", "-"]


def csv_rates(text: str) -> np.ndarray:
    rows = list(csv.DictReader(io.StringIO(text)))
    return np.array([float(row["lr"]) for row in rows])


@pytest.mark.parametrize("schedule", list(STRATEGIES))
def test_live_through_the_cli(timm_scheduler, schedule, tmp_path):
    @THROUGH_CLI
    @given(STRATEGIES[schedule])
    def run(case):
        params, rows = case
        ours = computed(schedule, params, rows)
        result = run_cli(cli_args(schedule, params, rows, tmp_path))
        assert result.code == 0, result.stderr
        rates = csv_rates(result.stdout)
        assert (rates == ours.lr).all()
        assert worst_error(rates, timm_rows(schedule, params, len(rates)), params["lr"]) <= TOLERANCE

    run()


LONG = [
    ("timm.cosine", {"lr": 0.1, "t_initial": 19_000, "warmup_t": 500, "warmup_prefix": True, "lr_min": 1e-5}),
    ("timm.cosine", {"lr": 0.1, "t_initial": 6000, "cycle_mul": 1.5, "cycle_limit": 4, "cycle_decay": 0.7}),
    ("timm.cosine", {"lr": 0.1, "t_initial": 40, "cycle_limit": 10_000, "cycle_decay": 0.999}),
    ("timm.tanh", {"lr": 0.1, "t_initial": 20_000, "lr_min": 1e-4, "warmup_t": 300}),
    ("timm.tanh", {"lr": 0.1, "t_initial": 9000, "cycle_mul": 1.25, "cycle_limit": 3, "lb": -3.0}),
    ("timm.poly", {"lr": 0.1, "t_initial": 30_000, "power": 2.0, "lr_min": 1e-5}),
    ("timm.poly", {"lr": 0.1, "t_initial": 300, "cycle_limit": 10_000, "power": 0.9}),
    ("timm.step", {"lr": 0.1, "decay_t": 3000.0, "decay_rate": 0.5, "warmup_t": 100}),
    ("timm.step", {"lr": 0.1, "decay_t": 1.0, "decay_rate": 0.9995}),
    ("timm.multistep", {"lr": 0.1, "decay_t": [5000, 12_000, 17_000], "decay_rate": 0.1, "warmup_t": 50}),
    (
        "timm.create_scheduler_v2",
        {
            "lr": 0.1,
            "num_epochs": 20,
            "warmup_epochs": 2,
            "cooldown_epochs": 2,
            "sched_on_updates": True,
            "updates_per_epoch": 1000,
        },
    ),
]


@pytest.mark.parametrize("schedule,params", LONG, ids=[f"{s}-{i}" for i, (s, _) in enumerate(LONG)])
def test_long_ranges_take_the_kernels_and_match(timm_scheduler, schedule, params):
    n = 20_000
    ours = curve(schedule, params, n).lr
    plain = lrplot.registry.entry(schedule).curve(
        np.arange(n, dtype=np.float64), curve(schedule, params, 1).params
    )
    scale = np.max(np.abs(plain))
    assert np.max(np.abs(ours - plain)) <= 32 * np.spacing(scale)
    assert worst_error(ours, timm_rows(schedule, params, n)) <= TOLERANCE


# --- emitted code -----------------------------------------------------------------------------------

EMITTED = [
    (
        "timm.cosine",
        {
            "lr": 0.1,
            "t_initial": 20,
            "warmup_t": 3,
            "noise_range_t": [5, 12],
            "cycle_limit": 2,
            "cycle_decay": 0.5,
            "k_decay": 2.0,
        },
        None,
    ),
    ("timm.cosine", {"lr": 0.1, "t_initial": 20, "t_in_epochs": False, "noise_range_t": 5}, None),
    ("timm.tanh", {"lr": 0.1, "t_initial": 20, "warmup_t": 3, "warmup_prefix": True, "lb": -3.0}, None),
    ("timm.poly", {"lr": 0.1, "t_initial": 20, "power": 2.0, "cycle_mul": 1.5, "cycle_limit": 3}, None),
    (
        "timm.step",
        {"lr": 0.1, "decay_t": 4.5, "decay_rate": 0.5, "warmup_t": 2, "warmup_prefix": False},
        None,
    ),
    ("timm.multistep", {"lr": 0.1, "decay_t": [4, 9, 9], "decay_rate": 0.5}, None),
    (
        "timm.plateau",
        {
            "lr": 0.1,
            "metrics": [1, 0.9, 0.95, 0.96, 0.97, 0.5, 0.6, 0.7, 0.8],
            "patience_t": 1,
            "warmup_t": 2,
            "mode": "min",
            "noise_range_t": 4,
            "noise_type": "uniform",
        },
        None,
    ),
    (
        "timm.create_scheduler_v2",
        {
            "lr": 0.1,
            "num_epochs": 6,
            "warmup_epochs": 2,
            "cooldown_epochs": 2,
            "sched_on_updates": True,
            "updates_per_epoch": 3,
            "noise": [0.2, 0.8],
        },
        None,
    ),
    (
        "timm.create_scheduler_v2",
        {"lr": 0.1, "sched": "multistep", "num_epochs": 10, "decay_milestones": [3, 6], "warmup_epochs": 2},
        None,
    ),
    (
        "timm.create_scheduler_v2",
        {
            "lr": 0.1,
            "sched": "plateau",
            "metrics": [1, 0.9, 0.95, 0.96, 0.97, 0.5],
            "patience_epochs": 1,
            "plateau_mode": "min",
        },
        None,
    ),
    (
        "timm.create_scheduler_v2",
        {
            "lr": 0.1,
            "sched": "step",
            "num_epochs": 10,
            "decay_epochs": 2.5,
            "sched_on_updates": True,
            "updates_per_epoch": 3,
        },
        31,
    ),
]


@pytest.mark.parametrize(
    "schedule,params,rows", EMITTED, ids=[f"{s}-{i}" for i, (s, _, _) in enumerate(EMITTED)]
)
def test_emitted_code_runs_and_reproduces_the_curve(timm_scheduler, schedule, params, rows):
    from lrplot.emit import code

    ours = curve(schedule, params, rows)
    text = code(ours)
    assert "from timm.scheduler import" in text
    namespace: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            exec(compile(text, "<emitted>", "exec"), namespace)
    lrs = np.array(namespace["lrs"])
    assert len(lrs) == len(ours)
    assert worst_error(lrs, ours.lr) <= TOLERANCE
    assert [float(line) for line in printed.getvalue().split()] == namespace["lrs"]
    assert max(len(line) for line in text.splitlines()) <= T.WIDTH


def test_emit_through_the_cli(timm_scheduler):
    result = run_cli(["timm", "cosine", "--lr", "0.1", "--t-initial", "10", "--emit", "timm"])
    assert result.code == 0, result.stderr
    assert "CosineLRScheduler(optimizer, t_initial=10)" in result.stdout


# --- warnings -------------------------------------------------------------------------------------


def warned(schedule: str, params: dict[str, Any], rows: int | None = None) -> str:
    return " | ".join(curve(schedule, params, rows).warnings)


QUIET = [
    ("timm.cosine", {"lr": 0.1, "t_initial": 50, "warmup_t": 5, "warmup_prefix": True}),
    ("timm.cosine", {"lr": 0.1, "t_initial": 10, "cycle_mul": 2.0, "cycle_limit": 4}),
    ("timm.tanh", {"lr": 0.1, "t_initial": 50, "warmup_t": 5}),
    ("timm.poly", {"lr": 0.1, "t_initial": 50, "cycle_limit": 3, "cycle_decay": 0.5}),
    ("timm.step", {"lr": 0.1, "decay_t": 10, "decay_rate": 0.5, "warmup_t": 3}),
    ("timm.create_scheduler_v2", {"lr": 0.1, "num_epochs": 30, "warmup_epochs": 3, "warmup_prefix": True}),
    (
        "timm.create_scheduler_v2",
        {"lr": 0.1, "num_epochs": 30, "cooldown_epochs": 5, "sched_on_updates": True, "updates_per_epoch": 7},
    ),
]


@pytest.mark.parametrize("schedule,params", QUIET, ids=[f"{s}-{i}" for i, (s, _) in enumerate(QUIET)])
def test_plain_runs_warn_nothing(schedule, params):
    assert curve(schedule, params).warnings == ()


TRAPS = [
    ("jump", "timm.cosine", {"t_initial": 20, "warmup_t": 5}, None, "warm-up ends on a jump"),
    (
        "jump-tanh-prefix",
        "timm.tanh",
        {"t_initial": 20, "warmup_t": 5, "warmup_prefix": True, "lb": -1.0},
        None,
        "warm-up ends on a jump",
    ),
    (
        "jump-step",
        "timm.step",
        {"decay_t": 2, "decay_rate": 0.5, "warmup_t": 5, "warmup_prefix": False},
        None,
        "warm-up ends on a jump",
    ),
    (
        "early-milestone",
        "timm.multistep",
        {"decay_t": [10], "decay_rate": 0.1},
        None,
        "the one at step 10 takes effect at row 9",
    ),
    ("flat-default", "timm.step", {"decay_t": 10}, None, "decay_rate 1 (StepLRScheduler's default)"),
    ("ends-at-lr-min", "timm.cosine", {"t_initial": 20}, 40, "from step 20 on the rate is lr_min"),
    (
        "late-restart",
        "timm.cosine",
        {"t_initial": 1, "cycle_mul": 3.0, "cycle_limit": 8},
        200,
        "at step 121 timm's cycle index",
    ),
    ("no-cycle", "timm.poly", {"t_initial": 10, "cycle_limit": 0}, None, "cycle_limit 0"),
    ("k-zero", "timm.cosine", {"t_initial": 10, "k_decay": 0.0}, None, "k_decay 0"),
    ("lr-min-above", "timm.cosine", {"lr": 0.1, "t_initial": 10, "lr_min": 0.2}, None, "rises to lr_min"),
    ("one-step-cycles", "timm.cosine", {"t_initial": 1, "cycle_limit": 5}, None, "will have no effect"),
    ("noise", "timm.cosine", {"t_initial": 20, "noise_range_t": 3}, None, "between 0.33x and 1.67x"),
    (
        "noise-negative",
        "timm.cosine",
        {"t_initial": 20, "noise_range_t": 3, "noise_pct": 1.2},
        None,
        "zero or negative",
    ),
    (
        "noise-slow",
        "timm.cosine",
        {"t_initial": 20, "noise_range_t": 3, "noise_pct": 0.005},
        None,
        "normals per noisy step",
    ),
    ("noise-nowhere", "timm.cosine", {"t_initial": 20, "noise_range_t": [8, 8]}, None, "covers no row"),
    ("deprecated", "timm.plateau", {"metrics": [0.1, 0.2, 0.3]}, None, "deprecated in timm 1.0.31"),
    (
        "warm-metrics",
        "timm.plateau",
        {"metrics": [0.1, 0.2, 0.3, 0.4], "warmup_t": 2},
        None,
        "ignores the metrics of the warm-up epochs 0..1",
    ),
    ("max-loss", "timm.plateau", {"metrics": [3.0, 2.0, 1.5, 1.2, 1.1, 1.0, 0.9, 0.8]}, None, "mode is max"),
    (
        "poly-power",
        "timm.create_scheduler_v2",
        {"sched": "poly", "num_epochs": 10},
        None,
        "passes decay_rate as PolyLRScheduler's power: power 0.1",
    ),
    (
        "cooldown-ignored",
        "timm.create_scheduler_v2",
        {"sched": "step", "num_epochs": 10, "cooldown_epochs": 3},
        None,
        "cooldown_epochs is ignored with sched step",
    ),
    (
        "cycle-decay",
        "timm.create_scheduler_v2",
        {"num_epochs": 10, "cycle_limit": 3},
        None,
        "cycle_decay 0.1 is create_scheduler_v2's default",
    ),
    (
        "whole-epochs",
        "timm.create_scheduler_v2",
        {
            "num_epochs": 3,
            "cycle_limit": 2,
            "cycle_mul": 1.5,
            "sched_on_updates": True,
            "updates_per_epoch": 4,
        },
        None,
        "training stops 2 updates early",
    ),
    (
        "per-epoch-ignored",
        "timm.create_scheduler_v2",
        {"num_epochs": 10, "updates_per_epoch": 4},
        None,
        "updates_per_epoch is ignored without sched_on_updates",
    ),
    (
        "plateau-prefix",
        "timm.create_scheduler_v2",
        {"sched": "plateau", "metrics": [1.0, 2.0, 3.0], "warmup_epochs": 1, "warmup_prefix": True},
        None,
        "warmup_prefix does not apply to plateau",
    ),
    (
        "factory-names",
        "timm.create_scheduler_v2",
        {"num_epochs": 10, "min_lr": 0.5},
        None,
        "min_lr 0.5 is not below lr",
    ),
]


@pytest.mark.parametrize("schedule,params,rows,text", [t[1:] for t in TRAPS], ids=[t[0] for t in TRAPS])
def test_each_trap_warns(schedule, params, rows, text):
    assert text in warned(schedule, params, rows)


def test_refused_steps_are_where_timm_breaks(timm_scheduler):
    import torch

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
    poly = timm_scheduler.PolyLRScheduler(optimizer, t_initial=90, cycle_mul=0.7, cycle_limit=10)
    poly.step(153)
    assert isinstance(optimizer.param_groups[0]["lr"], complex)
    params = {"t_initial": 90, "cycle_mul": 0.7, "cycle_limit": 10}
    assert len(curve("timm.poly", params, 153)) == 153
    cosine = timm_scheduler.CosineLRScheduler(
        optimizer, t_initial=10, cycle_mul=1.3, cycle_limit=5, k_decay=1.5
    )
    with pytest.raises(TypeError):
        cosine.step(23)


def test_late_restart_rows_are_lr_min_as_in_timm():
    ours = curve("timm.cosine", {"lr": 0.1, "t_initial": 1, "cycle_mul": 3.0, "cycle_limit": 8}, 200).lr
    # Cycle 5 starts at step 121 = 1 + 3 + 9 + 27 + 81; timm's log puts 121 at the end of cycle 4.
    assert ours[121] == 0.0 and ours[122] > 0.0999


def test_warnings_reach_stderr_and_data_stdout():
    result = run_cli(["timm", "cosine", "--t-initial", "10", "--warmup-t", "3", "-o", "-"])
    assert result.code == 0
    assert result.stderr.startswith("Warning: timm cosine")
    assert result.stdout.startswith("step,lr\n")


# --- refusals -------------------------------------------------------------------------------------

REFUSALS = [
    (["timm", "cosine", "--t-initial", "0"], "--t-initial"),
    (["timm", "tanh", "--t-initial", "10", "--lb", "2", "--ub", "1"], "--lb must be below --ub"),
    (
        ["timm", "cosine", "--t-initial", "10", "--cycle-mul", "0.5", "--cycle-limit", "50", "--steps", "40"],
        "--cycle-mul",
    ),
    (["timm", "cosine", "--t-initial", "10", "--cycle-mul", "0"], "--cycle-mul"),
    (
        [
            "timm",
            "cosine",
            "--t-initial",
            "10",
            "--cycle-mul",
            "1.3",
            "--cycle-limit",
            "5",
            "--k-decay",
            "1.5",
        ],
        "at step 23 timm's float cycle arithmetic breaks",
    ),
    (
        ["timm", "poly", "--t-initial", "90", "--cycle-mul", "0.7", "--cycle-limit", "10", "--steps", "200"],
        "at step 153 timm's float cycle arithmetic breaks",
    ),
    (
        ["timm", "tanh", "--t-initial", "1", "--cycle-mul", "0.5", "--warmup-t", "2", "--steps", "1"],
        "--warmup-t 2 is past the end of the cycles",
    ),
    (["timm", "cosine", "--t-initial", "10", "--k-decay", "-1"], "--k-decay"),
    (["timm", "multistep", "--decay-t", "5,3"], "--decay-t must be in increasing order"),
    (["timm", "step", "--decay-t", "0"], "--decay-t"),
    (["timm", "step", "--decay-t", "2", "--decay-rate", "3", "--steps", "10000"], "--decay-rate"),
    (["timm", "cosine", "--t-initial", "10", "--noise-range-t", "1,2,3"], "--noise-range-t"),
    (["timm", "cosine", "--t-initial", "10", "--noise-range-t", "x"], "--noise-range-t"),
    (["timm", "cosine", "--t-initial", "10", "--noise-range-t", "2", "--noise-pct", "0"], "--noise-pct"),
    (["timm", "plateau", "--metrics", "METRICS", "--decay-rate", "1"], "--decay-rate"),
    (["timm", "plateau", "--metrics", "METRICS", "--steps", "9"], "--steps"),
    (["timm", "cosine", "--t-initial", "10", "--num-epochs", "5"], "No such option: --num-epochs"),
    (["timm", "create-scheduler-v2", "--t-initial", "5"], "No such option: --t-initial"),
    (["timm", "create-scheduler-v2", "--sched-on-updates"], "--sched-on-updates needs --updates-per-epoch"),
    (
        [
            "timm",
            "create-scheduler-v2",
            "--sched",
            "plateau",
            "--metrics",
            "METRICS",
            "--sched-on-updates",
            "--updates-per-epoch",
            "3",
        ],
        "--sched plateau cannot be used with --sched-on-updates",
    ),
    (["timm", "create-scheduler-v2", "--sched", "plateau"], "--sched plateau needs --metrics"),
    (["timm", "create-scheduler-v2", "--metrics", "METRICS"], "--metrics applies only to --sched plateau"),
    (
        ["timm", "create-scheduler-v2", "--sched", "multistep", "--decay-milestones", "9,3"],
        "--decay-milestones",
    ),
    (["timm", "create-scheduler-v2", "--sched", "wsd"], "--sched"),
    (["timm", "create-scheduler-v2", "--cycle-mul", "2", "--cycle-limit", "5000"], "OverflowError"),
]


@pytest.mark.parametrize("args,fragment", REFUSALS, ids=[" ".join(a[1:4]) for a, _ in REFUSALS])
def test_refusals_are_one_line_exit_2(tmp_path, args, fragment):
    metrics = tmp_path / "m.txt"
    metrics.write_text("0.5\n0.6\n0.7\n")
    result = run_cli([str(metrics) if a == "METRICS" else a for a in args] + ["-o", "-"])
    assert result.code == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert fragment in lines[0], lines[0]


# --- everywhere torch's schedules go --------------------------------------------------------------


def test_yaml_and_compare(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(
        "schedules:\n"
        "  - type: timm.create_scheduler_v2\n    lr: 0.1\n    num_epochs: 10\n    warmup_epochs: 2\n"
        "    label: factory\n"
        "  - type: timm.cosine\n    lr: 0.1\n    t_initial: 10\n    warmup_t: 2\n    label: constructor\n"
    )
    result = run_cli(["run", str(config), "-o", "-"])
    assert result.code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [float(r["factory"]) for r in rows if r["factory"]] == curve(
        "timm.create_scheduler_v2", {"lr": 0.1, "num_epochs": 10, "warmup_epochs": 2}
    ).lr.tolist()
    both = run_cli(
        ["compare", "timm cosine --lr 0.1 --t-initial 10", "cosine --lr 0.1 --t-max 10", "-o", "-"]
    )
    assert both.code == 0, both.stderr
    table = list(csv.DictReader(io.StringIO(both.stdout)))
    assert len(table) == 11


def test_listed_with_formulas():
    result = run_cli(["list", "timm", "cosine"])
    assert result.code == 0
    assert "cos(π·t_c^k / t_i^k)" in result.stdout
    listing = run_cli(["list", "timm"]).stdout
    for name in ("cosine", "tanh", "step", "multistep", "poly", "plateau", "create-scheduler-v2"):
        assert f"timm {name} " in listing


def test_factory_rows_and_epochs():
    ours = curve(
        "timm.create_scheduler_v2",
        {
            "lr": 0.1,
            "num_epochs": 10,
            "warmup_epochs": 2,
            "warmup_prefix": True,
            "cooldown_epochs": 3,
            "sched_on_updates": True,
            "updates_per_epoch": 5,
        },
    )
    assert len(ours) == (10 + 2 + 3) * 5
    assert ours.steps_per_epoch == 5
    assert [p.name for p in ours.annotations.phases] == ["warm-up", "cosine", "cooldown"]


def test_importing_the_module_imports_no_library():
    import subprocess
    import sys

    probe = (
        "import sys, lrplot.schedules.timm; "
        "print(sorted(m for m in ('torch', 'timm', 'matplotlib') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# --- train.py's args.yaml and lrplot code ----------------------------------------------------------

ARGS_YAML = {
    "model": "resnet50",
    "opt": "lamb",
    "sched": "cosine",
    "epochs": 20,
    "warmup_epochs": 2,
    "warmup_lr": 1e-5,
    "min_lr": 1e-6,
    "cooldown_epochs": 3,
    "lr": None,
    "lr_base": 0.005,
    "lr_base_size": 256,
    "lr_base_scale": "",
    "batch_size": 96,
    "grad_accum_steps": 2,
    "sched_on_updates": True,
    "lr_cycle_decay": 0.5,
    "lr_cycle_limit": 2,
    "lr_noise": [0.4, 0.9],
    "seed": 7,
    "eval_metric": "top1",
    "decay_milestones": [90, 180],
    "warmup_prefix": True,
}


def train_py_rows(timm_scheduler, args: dict[str, Any], batches: int, world_size: int = 1) -> np.ndarray:
    """What timm's train.py would do: its lr from lr_base, updates per epoch from the loader's
    length, then create_scheduler_v2(**scheduler_kwargs(args)), stepped as its loop steps it."""
    import argparse

    import torch

    ns = argparse.Namespace(**{**T.TRAIN_DEFAULTS, **args, "world_size": world_size})
    if not ns.lr:
        ratio = ns.batch_size * world_size * ns.grad_accum_steps / ns.lr_base_size
        scale = ns.lr_base_scale or (
            "sqrt" if any(o in ns.opt.lower() for o in ("ada", "lamb")) else "linear"
        )
        ns.lr = ns.lr_base * (ratio**0.5 if scale == "sqrt" else ratio)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=ns.lr)
    per_epoch = (batches + ns.grad_accum_steps - 1) // ns.grad_accum_steps
    kwargs = timm_scheduler.scheduler_kwargs(ns, decreasing_metric=ns.eval_metric == "loss")
    scheduler, epochs = timm_scheduler.create_scheduler_v2(optimizer, **kwargs, updates_per_epoch=per_epoch)
    out, updates = [], 0
    for epoch in range(epochs):
        for _ in range(per_epoch):
            out.append(optimizer.param_groups[0]["lr"])
            updates += 1
            scheduler.step_update(num_updates=updates)
        scheduler.step(epoch + 1)
    return np.array(out)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"sched": "multistep", "decay_milestones": [5, 12]},
        {"sched": "poly", "opt": "sgd", "sched_on_updates": False},
        {"lr": 0.3, "sched": "tanh", "lr_noise": None},
    ],
)
def test_args_yaml_as_train_py_reads_it(timm_scheduler, tmp_path, changes):
    import yaml

    args = {**ARGS_YAML, **changes}
    path = tmp_path / "args.yaml"
    path.write_text(yaml.safe_dump(args))
    result = run_cli(["run", str(path), "--batches-per-epoch", "25", "--set", "world_size=2", "-o", "-"])
    assert result.code == 0, result.stderr
    theirs = train_py_rows(timm_scheduler, args, 25, world_size=2)
    if not args["sched_on_updates"]:  # stepped per epoch: one row an epoch
        theirs = theirs[:: (25 + 1) // 2]
    ours = csv_rates(result.stdout)
    assert len(ours) == len(theirs)
    assert worst_error(ours, theirs) <= TOLERANCE


def test_args_yaml_refusals(tmp_path):
    import yaml

    path = tmp_path / "args.yaml"
    path.write_text(yaml.safe_dump(ARGS_YAML))
    result = run_cli(["run", str(path), "-o", "-"])
    assert result.code == 1 and "give batches_per_epoch" in result.stderr  # a config error
    path.write_text(yaml.safe_dump({**ARGS_YAML, "sched": "wsd"}))
    result = run_cli(["run", str(path), "--batches-per-epoch", "10", "-o", "-"])
    assert result.code == 1 and "sched wsd builds WSDLRScheduler" in result.stderr


def test_code_reads_timm_calls():
    line = "s = CosineLRScheduler(torch.optim.SGD(p, lr=0.1), 100, 1e-5, warmup_t=5, warmup_prefix=True)"
    result = run_cli(["code", line, "-o", "-"])
    assert result.code == 0, result.stderr
    expected = curve(
        "timm.cosine", {"lr": 0.1, "t_initial": 100, "lr_min": 1e-5, "warmup_t": 5, "warmup_prefix": True}
    ).lr
    assert (csv_rates(result.stdout) == expected).all()
    factory = (
        "s, n = create_scheduler_v2(opt, 'cosine', 30, warmup_epochs=2, step_on_epochs=False, "
        "updates_per_epoch=len(loader))"
    )
    result = run_cli(["code", factory, "--set", "len(loader)=4", "--lr", "0.1", "-o", "-"])
    assert result.code == 0, result.stderr
    expected = curve(
        "timm.create_scheduler_v2",
        {"lr": 0.1, "num_epochs": 30, "warmup_epochs": 2, "sched_on_updates": True, "updates_per_epoch": 4},
    ).lr
    assert (csv_rates(result.stdout) == expected).all()
