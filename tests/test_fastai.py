"""lrplot's fastai namespace against fastai itself: golden curves (no library needed); the exact
training positions and float32 phase arithmetic; the long-range path; warnings and refusals; and,
with fastai installed, random parameters through the library (fit_* with its training-loop
callbacks, tests/reference_fastai.py) and through the CLI into CSV, a real Learner trained for a
few batches, fastai's defaults and refusals, and the emitted scripts run.

fastai computes the rates in float64 at float32 positions, and lrplot reproduces that arithmetic,
so one tolerance serves: 1e-12 of the curve's scale (what is measured is 0: bit-identical). Ranges
of FAST_FROM rows or more take a polynomial per chunk of rows instead of numpy's cos (fa._sched_cos_rows):
a few ulps of the phase's levels, so those tests hold them to FAST_ROUTE of the scale.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrplot.engine import curve
from lrplot.errors import LrplotError
from lrplot.registry import FAST_FROM, schedules_of
from lrplot.schedules import _writer
from lrplot.schedules import fastai as fa
from tests.conftest import run_cli
from tests.libraries import reference
from tests.reference_fastai import assert_matches, defaults, fastai_rows, learner_rows

GOLDEN = json.loads((Path(__file__).parent / "golden" / "fastai.json").read_text())
CASES = GOLDEN["cases"]
SCHEDULES = schedules_of("fastai")
NAMES = list(SCHEDULES)
LIVE = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THROUGH_CLI = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# The long-range path against the plain formula (and fastai): a few ulps of a phase's levels, which
# are at most fa.FAST_LEVELS times the largest rate of the range (else that phase is plain).
FAST_ROUTE = 2.0**-45


@pytest.fixture(scope="module")
def fastai():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fastai's import-time notices from torch.jit and pandas
        return reference("fastai.callback.schedule")


def lrplot_curve(name: str, params: dict[str, Any], rows: int | None = None):
    return curve(f"fastai.{name}", **params, **({} if rows is None else {"steps": rows}))


# --- golden curves ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_golden(case):
    got = lrplot_curve(case["schedule"], case["params"], case["rows"])
    assert_matches(got.lr, case["lr"], context=case["id"])
    if "momentum" in case:
        assert_matches(got.series["momentum"], case["momentum"], what="momentum", context=case["id"])
    else:
        assert "momentum" not in got.series


def test_golden_covers_every_schedule_and_argument():
    """Every parameter of every schedule takes a value besides its default somewhere in the grid."""
    moved: dict[str, set[str]] = {name: set() for name in NAMES}
    for case in CASES:
        for param in SCHEDULES[case["schedule"]].params:
            default = list(param.default) if isinstance(param.default, tuple) else param.default
            if case["params"].get(param.name, default) != default:
                moved[case["schedule"]].add(param.name)
    for name, schedule in SCHEDULES.items():
        assert moved[name] == {p.name for p in schedule.params}, name


# --- the positions: pct_train, exactly ------------------------------------------------------------------


def accumulated(per_epoch: int, epochs: int) -> np.ndarray:
    """TrainEvalCallback's arithmetic, one Python addition at a time."""
    out = []
    for epoch in range(epochs):
        pos = epoch / epochs
        for _ in range(per_epoch):
            out.append(pos)
            pos += 1.0 / (per_epoch * epochs)
    return np.array(out)


@settings(max_examples=60, deadline=None)
@given(per_epoch=st.integers(1, 3000), epochs=st.integers(1, 40))
def test_positions_are_the_accumulated_sums(per_epoch, epochs):
    per_epoch = min(per_epoch, 60_000 // epochs)
    expected = accumulated(per_epoch, epochs)
    steps = np.arange(len(expected), dtype=np.float64)
    got = fa.train_positions(steps, n_epoch=epochs, steps_per_epoch=per_epoch)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(fa.positions32(0, len(expected), n_epoch=epochs, steps_per_epoch=per_epoch),
                                  expected.astype(np.float32))


@pytest.mark.parametrize(("per_epoch", "epochs"), [(3 * 2**10, 1), (96, 4), (3, 5), (12, 2), (5, 3)])
def test_positions_through_rounding_ties(per_epoch, epochs):
    """Runs of 3·2^k batches make d an odd number of half-ulps in some binade: round-half-even."""
    expected = accumulated(per_epoch, epochs)
    steps = np.arange(len(expected), dtype=np.float64)
    got = fa.train_positions(steps, n_epoch=epochs, steps_per_epoch=per_epoch)
    np.testing.assert_array_equal(got, expected)


def test_positions_of_long_epochs_in_pieces():
    per_epoch, epochs = 50_000, 3
    expected = accumulated(per_epoch, epochs)
    for first, n in [(0, 150_000), (49_990, 20_000), (120_001, 29_999), (7, 1)]:
        got = fa.positions32(first, n, n_epoch=epochs, steps_per_epoch=per_epoch)
        np.testing.assert_array_equal(got, expected[first : first + n].astype(np.float32))
        rows = np.arange(first, first + n, dtype=np.float64)[::997]
        np.testing.assert_array_equal(fa.train_positions(rows, n_epoch=epochs, steps_per_epoch=per_epoch),
                                      expected[rows.astype(int)])


def test_phase_ends_are_summed_as_torch_sums_float32_on_the_cpu():
    # Sequential float32 sums would give 0.42857143 for the second end; torch accumulates in double.
    ends = fa.phase_ends([1 / 7, 2 / 7, 4 / 7])
    assert ends.dtype == np.float32
    assert ends.tolist() == [0.0, np.float32(1 / 7).item(), 0.4285714626312256, 1.0]


# --- long ranges -----------------------------------------------------------------------------------

LONG = 1 << 16
RANGE_CASES = [
    ("one-cycle", {"n_epoch": 3, "steps_per_epoch": 40_000, "lr_max": 0.01, "pct_start": 0.3}),
    ("one-cycle", {"n_epoch": 20, "steps_per_epoch": 5000, "pct_start": 0.0, "start_epoch": 3}),
    ("one-cycle", {"n_epoch": 40_000, "steps_per_epoch": 2, "pct_start": 1.0}),
    ("one-cycle", {"n_epoch": 100_000, "steps_per_epoch": 1}),
    ("one-cycle", {"n_epoch": 2, "steps_per_epoch": 60_000, "pct_start": 0.002}),  # a series of 3 terms
    ("one-cycle", {"n_epoch": 1, "steps_per_epoch": 120_000, "pct_start": 0.0001}),  # too narrow: plain
    ("one-cycle", {"n_epoch": 4, "steps_per_epoch": 2**24, "start_epoch": 3}),  # positions shared
    ("one-cycle", {"n_epoch": 2**13, "steps_per_epoch": 2**12, "start_epoch": 2**13 - 20}),  # the tail
    ("flat-cos", {"n_epoch": 7, "steps_per_epoch": 20_000, "pct_start": 0.5, "start_epoch": 2}),
    ("flat-cos", {"n_epoch": 2**12, "steps_per_epoch": 2**13, "pct_start": 0.5}),
    ("sgdr", {"n_cycles": 4, "cycle_len": 1, "cycle_mult": 2, "steps_per_epoch": 9000}),
    ("sgdr", {"n_cycles": 8, "cycle_len": 1, "cycle_mult": 2, "steps_per_epoch": 500}),
    ("sgdr", {"n_cycles": 3, "cycle_len": 2, "cycle_mult": 0, "steps_per_epoch": 40_000}),
    ("sgdr", {"n_cycles": 5, "cycle_len": 1, "cycle_mult": 3, "steps_per_epoch": 3000, "lr_max": 0.3}),
]


def _range_cases():
    for name, schedule in SCHEDULES.items():
        yield pytest.param(name, schedule.scaled(LONG), id=f"{name}-scaled")
    for index, (name, params) in enumerate(RANGE_CASES):
        yield pytest.param(name, params, id=f"{name}-{index}")


def assert_fast_route(fast: np.ndarray, plain: np.ndarray) -> float:
    """The long-range path within FAST_ROUTE of the plain formula's scale, NaN where it is NaN,
    and every run of equal rates in the plain formula equal in it too (the table and the warning
    count them); returns the worst error in ulps of the scale."""
    np.testing.assert_array_equal(np.isnan(fast), np.isnan(plain))
    scale = float(np.nanmax(np.abs(plain))) or 1.0
    error = float(np.nanmax(np.abs(fast - plain), initial=0.0)) / scale
    assert error <= FAST_ROUTE, f"{error:.3g} of the scale"
    held = plain[1:] == plain[:-1]
    np.testing.assert_array_equal(fast[1:][held], fast[:-1][held])
    return error / 2.0**-52


@pytest.mark.parametrize(("name", "params"), list(_range_cases()))
@pytest.mark.parametrize("first", [0, 12_345])
def test_long_ranges_equal_the_formula(name, params, first):
    """lr_range (positions by epochs, phases as row ranges, the series) against the plain formula:
    the same float32 positions, so the same rates to a few ulps, and the same runs of equal rates."""
    schedule = SCHEDULES[name]
    spec = lrplot_curve(name, {k: v for k, v in params.items() if k != "steps"}, 1)
    rows = min(LONG, fa.run_rows(spec.params, fa.from_zero if name == "flat-cos" else fa.resumed) - first)
    fa.clear_caches()
    steps = np.arange(first, first + rows, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        fast, plain = schedule.rows(first, rows, spec.params), schedule.curve(steps, spec.params)
    assert_fast_route(fast, plain)
    if schedule.extras_range is not None:
        fast = schedule.extra_rows(first, rows, spec.params)["momentum"]
        plain = schedule.extra_series(steps, spec.params)["momentum"]
        assert_fast_route(fast, plain)


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(NAMES), data=st.data())
def test_windows_of_long_runs_equal_the_formula(name, data):
    """Windows of runs of 10^7 batches (each schedule's benchmark run, whose chunks take the
    polynomial), anywhere and across phase ends, against the plain formula."""
    schedule = SCHEDULES[name]
    params = {k: v for k, v in schedule.scaled(10**7).items() if k != "steps"}
    spec = lrplot_curve(name, params, 1)
    total = fa.run_rows(spec.params, fa.from_zero if name == "flat-cos" else fa.resumed)
    rows = data.draw(st.integers(FAST_FROM, 3 * fa.CHUNK + 17))
    ends = [int(phase.end) for phase in schedule.annotate(spec.params, total).phases[:-1]]
    middle = data.draw(st.one_of(st.integers(0, total), st.sampled_from(ends or [0])))
    first = min(max(middle - rows // 2, 0), total - rows)
    steps = np.arange(first, first + rows, dtype=np.float64)
    lr, extras = schedule.series_rows(first, rows, spec.params)
    assert_fast_route(lr, schedule.curve(steps, spec.params))
    for key, values in schedule.extra_series(steps, spec.params).items():
        assert_fast_route(extras[key], values)


@pytest.mark.parametrize("name", NAMES)
def test_rows_written_by_the_helper_thread_are_the_inline_rows(name, monkeypatch):
    """The helper thread writes each piece's rows from one of two buffers: with pieces of a few
    thousand rows (so the buffers are reused hundreds of times) and the thread taken at any
    length, every row and series equals the walk written inline, bit for bit."""
    schedule = SCHEDULES[name]
    params = {k: v for k, v in schedule.scaled(10**7).items() if k != "steps"}
    spec = lrplot_curve(name, params, 1)
    total = fa.run_rows(spec.params, fa.from_zero if name == "flat-cos" else fa.resumed)
    first, rows = total // 5, 700_003  # across the first phase end of each schedule
    monkeypatch.setattr(fa, "PIECE", 3000)
    monkeypatch.setattr(_writer, "THREAD_FROM", 10**9)
    inline = schedule.series_rows(first, rows, spec.params)
    fa.clear_caches()
    monkeypatch.setattr(_writer, "THREAD_FROM", 1)
    started = []

    class Counted(_writer.Writer):
        def submit(self, job):
            started.append(job)
            super().submit(job)

    monkeypatch.setattr(_writer, "Writer", Counted)
    threaded = schedule.series_rows(first, rows, spec.params)
    assert len(started) >= rows // 3000  # every piece went through the thread
    np.testing.assert_array_equal(threaded[0], inline[0])
    assert threaded[1].keys() == inline[1].keys()
    for key, values in inline[1].items():
        np.testing.assert_array_equal(threaded[1][key], values)


@pytest.mark.parametrize("name", NAMES)
def test_whole_benchmark_runs_equal_the_formula(name):
    """Each schedule's benchmark run of 10^7 batches, whole (so written by the helper thread),
    against the plain formula at random rows and at every phase end."""
    schedule = SCHEDULES[name]
    params = {k: v for k, v in schedule.scaled(10**7).items() if k != "steps"}
    spec = lrplot_curve(name, params, 1)
    total = fa.run_rows(spec.params, fa.from_zero if name == "flat-cos" else fa.resumed)
    assert total >= _writer.THREAD_FROM
    lr, extras = schedule.series_rows(0, total, spec.params)
    ends = [int(phase.end) for phase in schedule.annotate(spec.params, total).phases[:-1]]
    picked = np.unique(np.concatenate([
        np.random.default_rng(11).integers(0, total, 20_000),
        *[np.arange(max(end - 3, 0), min(end + 3, total)) for end in ends], [0, total - 1],
    ]))
    steps = picked.astype(np.float64)
    assert_fast_route(lr[picked], schedule.curve(steps, spec.params))
    for key, values in schedule.extra_series(steps, spec.params).items():
        assert_fast_route(extras[key][picked], values)


def test_a_range_of_small_rates_is_plain():
    """The last epochs of a one-cycle run hold rates near lr_max/div_final, 10^5 times below the
    phase's levels, whose few ulps the series would miss by: those rows take the plain formula."""
    params = {"n_epoch": 2**13, "steps_per_epoch": 2**12, "start_epoch": 2**13 - 20}
    schedule = SCHEDULES["one-cycle"]
    spec = lrplot_curve("one-cycle", params, 1)
    rows = fa.run_rows(spec.params)
    fast = schedule.rows(0, rows, spec.params)
    np.testing.assert_array_equal(fast, schedule.curve(np.arange(rows, dtype=np.float64), spec.params))


@settings(max_examples=60, deadline=None)
@given(per_epoch=st.integers(2, 300_000), epochs=st.integers(1, 40), pct=st.floats(0.01, 0.99),
       data=st.data())
def test_chunks_stay_within_their_radius(per_epoch, epochs, pct, data):
    """The polynomial is taken for a chunk whose half-width is within fa.chunk_radius: fastai's
    float32 phase positions of every chunk of CHUNK rows are, from the first epoch (which crosses
    binades) to the last, so a long range never falls back to numpy's cos for want of it."""
    batches = per_epoch * epochs
    n = min(batches, 1 << 16)
    g0 = data.draw(st.integers(0, batches - n))
    pcts = (pct, 1 - pct)
    x = fa.positions32(g0, n, n_epoch=epochs, steps_per_epoch=per_epoch)
    idx, p = fa.phase_positions(x, pcts)
    ends = fa.phase_ends(pcts)
    for phase in range(len(pcts)):
        rows = np.flatnonzero(idx == phase)
        radius = fa.chunk_radius(float(ends[phase + 1] - ends[phase]), batches)
        for low in range(0, len(rows), fa.CHUNK):
            chunk = p[rows[low : low + fa.CHUNK]]
            assert (chunk[-1] - chunk[0]) / 2 <= radius, (phase, low)


@settings(max_examples=60, deadline=None)
@given(middle=st.floats(0.0, 1.0), width=st.floats(1e-6, 8e-3), rows=st.integers(1, 9000),
       a=st.floats(-1.0, 1.0), b=st.floats(-1.0, 1.0), repeats=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_sched_cos_rows_are_numpys_to_a_few_ulps(middle, width, rows, a, b, repeats, seed):
    """fa._sched_cos_rows' polynomial against numpy's a + (1 + cos(π(1 − p)))·(b − a)/2 for a
    chunk of float32 positions within the radius it was built for: within 4 ulps of the levels,
    and equal positions give equal values."""
    rng = np.random.default_rng(seed)
    p = np.sort(rng.uniform(middle - width, middle + width, rows)).astype(np.float32)
    if repeats:
        p = np.repeat(p[::3], 3)[:rows]
    polys = fa.interpolants(width * 1.01)
    assert polys is not None
    got, expected = np.empty(len(p)), np.empty(len(p))
    fa._sched_cos_rows(got, p, polys, a, (b - a) / 2, np.empty((2, len(p))))
    fa._plain(expected, p, a, (b - a) / 2)
    assert float(np.max(np.abs(got - expected))) <= 4 * 2.0**-52 * max(abs(a), abs(b), 1e-300)
    same = p[1:] == p[:-1]
    np.testing.assert_array_equal(got[1:][same], got[:-1][same])


def test_interpolants_meet_their_bound():
    """The interpolants of cos(πu) and sin(πu) within POLY_ERROR (and a few ulps) on their
    interval, and none where MAX_DEGREE is not enough."""
    for radius in (1e-5, 1e-3, 3e-3, 8e-3, 1.5e-2, 3.5e-2):
        polys = fa.interpolants(radius)
        u = np.linspace(-radius, radius, 10_001)
        for coefficients, exact in ((polys.cos, np.cos(np.pi * u)), (polys.sin, np.sin(np.pi * u))):
            values = np.polynomial.polynomial.polyval(u, coefficients)
            assert float(np.max(np.abs(values - exact))) <= fa.POLY_ERROR + 4 * 2.0**-53
    assert fa.interpolants(0.05) is None


def test_caches_clear():
    params = {"n_epoch": 2**12, "steps_per_epoch": 2**11}  # past SHARED_FROM: the walk counts
    lrplot_curve("one-cycle", params, FAST_FROM)
    assert fa._SHARED and fa.interpolants.cache_info().currsize
    fa.clear_caches()
    assert not fa._SHARED and fa.interpolants.cache_info().currsize == 0


# --- warnings ----------------------------------------------------------------------------------------

LAST_EPOCH_OF_2_25 = {"n_epoch": 2**13, "steps_per_epoch": 2**12, "start_epoch": 2**13 - 1}
WARNED = [
    ("flat-cos", {"n_epoch": 3, "steps_per_epoch": 4, "start_epoch": 1}, "ignores start_epoch 1"),
    ("sgdr", {"n_cycles": 3, "cycle_len": 1, "steps_per_epoch": 4},
     "restarts cycle 3 at row 13 instead of 12"),
    ("sgdr", {"n_cycles": 4, "cycle_len": 1, "steps_per_epoch": 4},
     "cycle 3 at row 13 instead of 12 and cycle 4 at row 29 instead of 28"),
    ("sgdr", {"n_cycles": 3, "cycle_len": 1, "cycle_mult": 0, "steps_per_epoch": 4}, "cycle_mult 0"),
    ("one-cycle", LAST_EPOCH_OF_2_25, "2047 of the 4096 batches share their rate"),
]
QUIET = [
    ("flat-cos", {"n_epoch": 3, "steps_per_epoch": 4}),
    ("one-cycle", {"n_epoch": 3, "steps_per_epoch": 4, "start_epoch": 2}),
    ("sgdr", {"n_cycles": 2, "cycle_len": 1, "steps_per_epoch": 4}),
    ("sgdr", {"n_cycles": 3, "cycle_len": 1, "steps_per_epoch": 4, "start_epoch": 4}),  # past the late one
    ("sgdr", {"n_cycles": 1, "cycle_len": 2, "cycle_mult": 0, "steps_per_epoch": 4}),
    ("one-cycle", {"n_epoch": 2**12, "steps_per_epoch": 2**12, "start_epoch": 2**12 - 1}),  # 2^24 batches
    ("flat-cos", {"n_epoch": 2**12, "steps_per_epoch": 2**12, "pct_start": 0.5}),
]


@pytest.mark.parametrize(("name", "params", "phrase"), WARNED, ids=[f"{w[0]}-{w[2][:24]}" for w in WARNED])
def test_each_warning_fires(name, params, phrase):
    warned = lrplot_curve(name, params).warnings
    assert len(warned) == 1 and phrase in warned[0], warned


@pytest.mark.parametrize(("name", "params"), QUIET)
def test_no_warning_elsewhere(name, params):
    assert lrplot_curve(name, params).warnings == ()


def test_late_restart_is_where_the_rate_jumps():
    """fit_sgdr(3, 1): the rate jumps back to lr_max one batch into epoch 3, not at its start."""
    got = lrplot_curve("sgdr", {"n_cycles": 3, "cycle_len": 1, "lr_max": 0.1, "steps_per_epoch": 50})
    jumps = np.flatnonzero(np.diff(got.lr) > 0) + 1
    assert jumps.tolist() == [50, 151]
    assert got.lr[150] < 1e-12 and got.lr[50] == 0.1
    assert "cycle 3 at row 151 instead of 150" in got.warnings[0]


def test_shared_rates_are_really_shared():
    got = lrplot_curve("one-cycle", LAST_EPOCH_OF_2_25).lr
    assert int(np.count_nonzero(got[1:] == got[:-1])) == 2047


def test_warnings_reach_the_command_line():
    result = run_cli(["fastai", "sgdr", "--n-cycles", "3", "--cycle-len", "1", "--steps-per-epoch", "4",
                      "-o", "-"])
    assert result.code == 0
    assert result.stderr.startswith("Warning: fastai sgdr: fastai restarts cycle 3 at row 13")


# --- refusals ----------------------------------------------------------------------------------------

REFUSED = [
    (["one-cycle", "--n-epoch", "5"], "--steps-per-epoch"),
    (["sgdr", "--n-cycles", "2", "--cycle-len", "1"], "--steps-per-epoch"),
    (["flat-cos", "--steps-per-epoch", "3"], "--n-epoch is required"),
    (["one-cycle", "--n-epoch", "5", "--steps-per-epoch", "4", "--start-epoch", "5"],
     "--start-epoch 5 skips every epoch"),
    (["sgdr", "--n-cycles", "2", "--cycle-len", "1", "--steps-per-epoch", "4", "--start-epoch", "3"],
     "--start-epoch 3 skips every epoch: fit_sgdr trains 3 epochs"),
    (["sgdr", "--n-cycles", "3", "--cycle-len", "1", "--cycle-mult", "1", "--steps-per-epoch", "4"],
     "--cycle-mult 1 is refused by fastai"),
    (["one-cycle", "--n-epoch", "5", "--steps-per-epoch", "4", "--moms", "0.9,0.8"], "--moms must be 3"),
    (["one-cycle", "--n-epoch", "5", "--steps-per-epoch", "4", "--moms", "0.9,x,0.8"], "--moms must be 3"),
    (["one-cycle", "--n-epoch", "5", "--steps-per-epoch", "4", "--pct-start", "1.5"], "--pct-start must be"),
    (["flat-cos", "--n-epoch", "5", "--steps-per-epoch", "4", "--pct-start", "-0.1"], "--pct-start must be"),
    (["one-cycle", "--n-epoch", "2", "--steps-per-epoch", "4", "--steps", "9"],
     "--steps 9 is too many: the run has 8 training batches"),
    (["one-cycle", "--n-epoch", "8192", "--steps-per-epoch", "4096", "--start-epoch", "8191",
      "--pct-start", "1"], "from row 4095 on, fastai's rate is NaN"),
    (["one-cycle", "--n-epoch", "0", "--steps-per-epoch", "4"], "--n-epoch must be"),
    (["sgdr", "--n-cycles", "0", "--cycle-len", "1", "--steps-per-epoch", "4"], "--n-cycles must be"),
]


@pytest.mark.parametrize(("args", "phrase"), REFUSED, ids=[" ".join(r[0][:1] + r[0][-2:]) for r in REFUSED])
def test_refusals_are_one_line_exit_2(args, phrase):
    result = run_cli(["fastai", *args, "-o", "-"])
    assert result.code == 2, (result.code, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and phrase in lines[0], result.stderr


def test_moms_in_yaml_and_python():
    for moms in ([0.9, 0.8, 0.99], (0.9, 0.8, 0.99), "0.9, 0.8, 0.99"):
        got = lrplot_curve("one-cycle", {"n_epoch": 1, "steps_per_epoch": 4, "moms": moms})
        assert got.params["moms"] == (0.9, 0.8, 0.99)
    with pytest.raises(LrplotError, match="moms must be 3 comma-separated numbers"):
        lrplot_curve("one-cycle", {"n_epoch": 1, "steps_per_epoch": 4, "moms": 0.9})


def test_run_reads_a_yaml_type(tmp_path):
    config = tmp_path / "fastai.yaml"
    config.write_text("steps_per_epoch: 5\nschedules:\n  - {type: fastai.one_cycle, n_epoch: 2, "
                      "moms: [0.9, 0.8, 0.9]}\n  - {type: fastai.flat_cos, n_epoch: 2}\n", encoding="utf-8")
    result = run_cli(["run", str(config), "-o", "-"])
    assert result.code == 0, result.stderr
    header, rows = read_csv(result.stdout)
    assert len(rows) == 10 and header[0] == "step"


# --- fastai itself (the library installed) ------------------------------------------------------------


def read_csv(text: str) -> tuple[list[str], np.ndarray]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    return header, np.array([[float(cell) for cell in row] for row in reader])


def test_defaults_are_fastais(fastai):
    found = defaults()
    for name, schedule in SCHEDULES.items():
        for param in schedule.params:
            if param.name in found[name]:
                assert param.default == found[name][param.name], (name, param.name)
    assert fa.DEFAULT_LR == found["one-cycle"]["lr_max"] and fa.DEFAULT_MOMS == found["one-cycle"]["moms"]


@st.composite
def one_cycle_params(draw) -> dict[str, Any]:
    epochs = draw(st.integers(1, 6))
    per_epoch = draw(st.integers(1, 40))
    pct = draw(st.one_of(st.sampled_from([0.0, 1.0, 0.25, 0.5]), st.floats(0, 1),
                         st.integers(1, epochs).map(lambda k, e=epochs: k / e)))
    return {"n_epoch": epochs, "steps_per_epoch": per_epoch, "lr_max": draw(st.floats(1e-6, 1.0)),
            "div": draw(st.sampled_from([25.0, 1.0, 10.0, 3.7])),
            "div_final": draw(st.sampled_from([1e5, 1.0, 1e3, 77.0])), "pct_start": pct,
            "moms": tuple(draw(st.lists(st.floats(0, 1), min_size=3, max_size=3))),
            "start_epoch": draw(st.integers(0, epochs - 1))}


@st.composite
def flat_cos_params(draw) -> dict[str, Any]:
    epochs = draw(st.integers(1, 6))
    return {"n_epoch": epochs, "steps_per_epoch": draw(st.integers(1, 40)), "lr": draw(st.floats(1e-6, 1.0)),
            "div_final": draw(st.sampled_from([1e5, 1.0, 10.0])),
            "pct_start": draw(st.one_of(st.sampled_from([0.0, 1.0, 0.75]), st.floats(0, 1))),
            "start_epoch": draw(st.integers(0, 3))}


@st.composite
def sgdr_params(draw) -> dict[str, Any]:
    cycles, length, mult = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.sampled_from([0, 2, 3]))
    epochs = fa.sgdr_epochs(cycles, length, mult)
    return {"n_cycles": cycles, "cycle_len": length, "cycle_mult": mult,
            "steps_per_epoch": draw(st.integers(1, max(1, 600 // epochs))),
            "lr_max": draw(st.floats(1e-6, 1.0)),
            "start_epoch": draw(st.integers(0, epochs - 1))}


STRATEGIES = {"one-cycle": one_cycle_params, "flat-cos": flat_cos_params, "sgdr": sgdr_params}


def rows_of(name: str, params: dict[str, Any]) -> int:
    return lrplot_curve(name, params).lr.size


@pytest.mark.parametrize("name", NAMES)
@LIVE
@given(data=st.data())
def test_library_matches_fastai(name, data, fastai):
    params = data.draw(STRATEGIES[name]())
    total = rows_of(name, params)
    rows = data.draw(st.one_of(st.just(total), st.integers(1, total)))
    got = lrplot_curve(name, params, rows)
    ref = fastai_rows(name, params, rows)
    assert_matches(got.lr, ref["lr"], context=f"{name} {params}")
    assert set(got.series) == set(ref) - {"lr"}
    if "momentum" in ref:
        assert_matches(got.series["momentum"], ref["momentum"], what="momentum", context=f"{name} {params}")


def command_line(name: str, params: dict[str, Any], rows: int) -> list[str]:
    args = ["fastai", name]
    for key, value in params.items():
        flag = "--" + key.replace("_", "-")
        args += [flag, ",".join(repr(v) for v in value) if isinstance(value, tuple) else repr(value)]
    return [*args, "--steps", str(rows), "-o", "-"]


@pytest.mark.parametrize("name", NAMES)
@THROUGH_CLI
@given(data=st.data())
def test_cli_csv_matches_fastai(name, data, fastai):
    params = data.draw(STRATEGIES[name]())
    rows = data.draw(st.integers(1, rows_of(name, params)))
    result = run_cli(command_line(name, params, rows))
    assert result.code == 0, result.stderr
    header, table = read_csv(result.stdout)
    ref = fastai_rows(name, params, rows)
    expected = ["step", "lr", *(["momentum"] if "momentum" in ref else []), "epoch"]
    assert header == expected
    np.testing.assert_array_equal(table[:, 0], np.arange(rows))
    assert_matches(table[:, 1], ref["lr"], context=str(params))
    if "momentum" in ref:
        assert_matches(table[:, 2], ref["momentum"], what="momentum", context=str(params))
    np.testing.assert_array_equal(table[:, -1], np.arange(rows) / params["steps_per_epoch"])


LONG_LIVE = [
    ("one-cycle", {"n_epoch": 2, "steps_per_epoch": 9000, "lr_max": 0.01, "div": 25.0, "div_final": 1e5,
                   "pct_start": 0.3, "moms": (0.95, 0.85, 0.95), "start_epoch": 0}),
    ("sgdr", {"n_cycles": 3, "cycle_len": 1, "lr_max": 0.01, "cycle_mult": 2, "start_epoch": 0,
              "steps_per_epoch": 2500}),
]


@pytest.mark.parametrize(("name", "params"), LONG_LIVE, ids=[c[0] for c in LONG_LIVE])
def test_long_runs_match_fastai(name, params, fastai):
    """Past the kernels' threshold the engine takes lr_range: still fastai's rates."""
    got = lrplot_curve(name, params)
    assert got.lr.size >= 1 << 14
    ref = fastai_rows(name, params, got.lr.size)
    assert assert_matches(got.lr, ref["lr"]) <= FAST_ROUTE
    if "momentum" in ref:
        assert assert_matches(got.series["momentum"], ref["momentum"], what="momentum") <= FAST_ROUTE


def test_float32_steps_and_nan_are_fastais(fastai):
    params = {"lr_max": 1e-3, "div": 25.0, "div_final": 1e5, "pct_start": 0.25, "moms": fa.DEFAULT_MOMS,
              **LAST_EPOCH_OF_2_25}
    ref = fastai_rows("one-cycle", params, 4096)
    np.testing.assert_array_equal(lrplot_curve("one-cycle", LAST_EPOCH_OF_2_25).lr, ref["lr"])
    ref = fastai_rows("one-cycle", {**params, "pct_start": 1.0}, 4096)
    assert np.isnan(ref["lr"]).tolist() == [False] * 4095 + [True]
    got = lrplot_curve("one-cycle", {**LAST_EPOCH_OF_2_25, "pct_start": 1.0}, 4095)
    np.testing.assert_array_equal(got.lr, ref["lr"][:4095])


# Learner.fit_* with a real training loop: a Linear model, a few tensors, CPU.
LEARNER_RUNS = [
    ("one-cycle", {"n_epoch": 2, "steps_per_epoch": 6, "lr_max": 0.01, "div": 25.0, "div_final": 1e5,
                   "pct_start": 0.25, "moms": (0.95, 0.85, 0.95), "start_epoch": 0}),
    ("one-cycle", {"n_epoch": 3, "steps_per_epoch": 4, "lr_max": 1e-3, "div": 10.0, "div_final": 1e3,
                   "pct_start": 0.4, "moms": (0.9, 0.8, 0.99), "start_epoch": 1}),
    ("flat-cos", {"n_epoch": 3, "steps_per_epoch": 4, "lr": 0.01, "div_final": 1e5, "pct_start": 0.75,
                  "start_epoch": 2}),
    ("sgdr", {"n_cycles": 3, "cycle_len": 1, "lr_max": 0.01, "cycle_mult": 2, "start_epoch": 0,
              "steps_per_epoch": 3}),
]


@pytest.mark.parametrize(("name", "params"), LEARNER_RUNS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(LEARNER_RUNS)])
def test_a_real_learner_trains_with_these_rates(name, params, fastai):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fastai's own notices about a callback's attributes
        live = learner_rows(name, params)
    got = lrplot_curve(name, params)
    np.testing.assert_array_equal(got.lr, live["lr"])
    np.testing.assert_array_equal(live["lr"], fastai_rows(name, params, 10**6)["lr"])
    if name == "one-cycle":
        np.testing.assert_array_equal(got.series["momentum"], live["momentum"])


def test_fastai_refuses_what_lrplot_refuses(fastai):
    from fastai.learner import Learner

    def fit(method: str, *args, **kwargs):
        class Stand:
            lr, moms, opt = 1e-3, (0.95, 0.85, 0.95), None

            def create_opt(self):
                import torch
                from fastai.optimizer import Adam

                self.opt = Adam([torch.nn.Parameter(torch.zeros(1))], lr=self.lr)

            def fit(self, *a, **k):
                self.scheds = k["cbs"][0].scheds

        stand = Stand()
        getattr(Learner, method)(stand, *args, **kwargs)
        return stand.scheds

    with pytest.raises(AssertionError):
        fit("fit_one_cycle", 2, pct_start=1.5)
    with pytest.raises(AssertionError):
        fit("fit_flat_cos", 2, pct_start=-0.1)
    with pytest.raises(ZeroDivisionError):
        fit("fit_sgdr", 3, 1, cycle_mult=1)
    fit("fit_sgdr", 3, 2, cycle_mult=0)  # accepted: one cycle of 2 epochs, then two of 0


def _exec(script: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "__emitted__"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(compile(script, "<emitted>", "exec"), namespace)
    return namespace


EMITTED = [
    ("one-cycle", ["--n-epoch", "3", "--lr-max", "0.01", "--pct-start", "0.3", "--moms", "0.9,0.8,0.95",
                   "--steps-per-epoch", "7", "--start-epoch", "1"]),
    ("one-cycle", ["--n-epoch", "2", "--steps-per-epoch", "5", "--steps", "7"]),
    ("flat-cos", ["--n-epoch", "3", "--lr", "0.02", "--div-final", "1000", "--steps-per-epoch", "6",
                  "--start-epoch", "1"]),
    ("sgdr", ["--n-cycles", "3", "--cycle-len", "1", "--lr-max", "0.1", "--cycle-mult", "3",
              "--steps-per-epoch", "4", "--start-epoch", "2"]),
]


@pytest.mark.parametrize(("name", "args"), EMITTED, ids=[f"{e[0]}-{i}" for i, e in enumerate(EMITTED)])
def test_emitted_script_reproduces_the_curve(name, args, fastai, capsys):
    result = run_cli(["fastai", name, *args, "--emit", "fastai"])
    assert result.code == 0, result.stderr
    data = run_cli(["fastai", name, *args, "-o", "-"])
    header, table = read_csv(data.stdout)
    namespace = _exec(result.stdout)
    printed = capsys.readouterr().out.split()
    assert [float(v) for v in printed] == namespace["lrs"]
    np.testing.assert_array_equal(np.array(namespace["lrs"]), table[:, 1])
    if "momentum" in header:
        np.testing.assert_array_equal(np.array(namespace["momenta"]), table[:, header.index("momentum")])
    else:
        assert "momenta" not in namespace
    assert "learn.fit_" in result.stdout


def test_signatures_are_the_methods_own(fastai):
    """``lrplot code`` maps positional arguments by these: Learner.fit_*'s own, self first."""
    import inspect

    import fastai.callback.schedule as module

    for schedule in SCHEDULES.values():
        *_, cls, method = schedule.origin.split(".")
        assert schedule.origin.startswith(module.__name__ + ".")
        fn = getattr(getattr(module, cls), method)
        assert tuple(inspect.signature(fn).parameters) == schedule.signature, schedule.key
