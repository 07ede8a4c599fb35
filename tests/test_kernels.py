"""The fast paths for long step ranges (lrplot/schedules/_kernels.py and the schedules using it).

Each kernel equals its closed form, computed in extended precision, to a few ulps of the curve's
scale; each schedule's long path equals its plain formula within 1e-12 of the scale (bit for bit
where it only rearranges the same operations); and with the fast paths forced on every length
the golden torch curves still match under tests/reference.py's tolerances. Ranges start anywhere
and end mid-block.
"""

from __future__ import annotations

import math
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.registry import schedules_of
from lrplot.schedules import _kernels, compose, cosine, cyclic, exponential, factor, onecycle, plateau, step
from tests import goldens
from tests.reference import assert_matches_torch, kind_of

KERNELS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# The stated bound (README, benchmarks): every fast path within 1e-12 of the curve's scale.
WITHIN = 1e-12
LONG = _kernels.FAST_FROM
# Below this, float64 is subnormal and carries fewer digits: a scale this small is taken as this.
NORMAL = float(np.finfo(np.float64).tiny)

firsts = st.one_of(st.just(0), st.integers(1, 5000), st.integers(0, 10**7))
lengths = st.one_of(st.integers(1, 3 * _kernels.BLOCK + 17), st.sampled_from([_kernels.BLOCK, 1]))
long_lengths = st.integers(LONG, LONG + 2 * _kernels.BLOCK + 17)


def steps_ld(first: int, n: int) -> np.ndarray:
    return np.arange(first, first + n, dtype=np.longdouble)


def off_scale(got: np.ndarray, want: np.ndarray, scale: float | None = None) -> float:
    """The largest difference as a fraction of the curve's scale: ``scale`` (the largest rate the
    schedule reaches, when the rows compared are only part of it), else the largest |want|."""
    want = np.asarray(want, dtype=np.float64)
    if scale is None:
        scale = float(np.max(np.abs(want))) if want.size else 0.0
    diff = np.abs(np.asarray(got, dtype=np.longdouble) - np.asarray(want, dtype=np.longdouble))
    return float(np.max(diff, initial=0.0)) / scale if scale else float(np.max(diff, initial=0.0))


# --- the kernels against extended precision -------------------------------------------------------


@KERNELS
@given(
    first=firsts,
    n=lengths,
    length=st.one_of(st.integers(1, 50), st.integers(1, 10**7)),
    start=st.integers(0, 10**6),
    amp=st.floats(-1, 1),
    mid=st.floats(-1, 1),
)
def test_cosine_of_a_periodic_angle(first, n, length, start, amp, mid):
    assume(abs(amp) + abs(mid) > 1e-3)
    got = _kernels.cosine(np.empty(n), first, start=start, length=length, amp=amp, mid=mid, periodic=True)
    # The angle reduced exactly, then the cosine in extended precision.
    reduced = (np.arange(first, first + n, dtype=np.int64) - start) % (2 * length)
    want = mid + amp * np.cos(np.pi * reduced.astype(np.longdouble) / length)
    assert np.max(np.abs(got - want)) <= 2e-15 * (abs(amp) + abs(mid))


@KERNELS
@given(
    first=firsts,
    n=lengths,
    lead=st.floats(0, 1),
    stretch=st.floats(0.25, 4.0),
    amp=st.floats(-1, 1),
    mid=st.floats(-1, 1),
)
def test_cosine_of_a_phase(first, n, lead, stretch, amp, mid):
    """A 1cycle phase: a start and a length that are not whole steps, angles up to a few π."""
    assume(abs(amp) + abs(mid) > 1e-3)
    length = max(n, 2) * stretch
    start = first - lead * length
    got = _kernels.cosine(np.empty(n), first, start=start, length=length, amp=amp, mid=mid, periodic=False)
    # The same float difference t - start as the plain formula, then exact arithmetic.
    offsets = np.arange(first, first + n, dtype=np.float64) - start
    want = mid + amp * np.cos(np.pi * offsets.astype(np.longdouble) / np.longdouble(length))
    assert np.max(np.abs(got - want)) <= 1e-14 * (abs(amp) + abs(mid))


@KERNELS
@given(
    first=firsts,
    n=lengths,
    scale=st.floats(1e-6, 10.0),
    ratio=st.one_of(
        st.floats(0.5, 1.5),
        st.floats(1 - 1e-4, 1 + 1e-5),
        st.floats(1e-9, 0.5),
        st.sampled_from([0.5, 1.0, 0.999, 0.1]),
    ),
)
def test_geometric(first, n, scale, ratio):
    assume(ratio > 0)
    with np.errstate(over="ignore", under="ignore"):
        got = _kernels.geometric(np.empty(n), first, scale=scale, ratio=ratio)
        want = np.longdouble(scale) * np.power(np.longdouble(ratio), steps_ld(first, n))
    normal = (want >= _kernels.TINY) & (want <= _kernels.HUGE)
    # Relative to each value; near the bottom of the range, where a scale > 1 leaves ratio^t itself
    # subnormal, a few subnormal ulps of the scale.
    assert np.all(np.abs(got[normal] - want[normal]) <= 6e-16 * want[normal] + 4 * 2.0**-1074 * max(1, scale))
    # Below the normal range, 0: never more than the smallest normal away.
    assert np.all(got[want < _kernels.TINY] == 0)
    assert np.all(np.isinf(got[want > _kernels.HUGE]))
    if ratio in (0.5, 1.0):  # powers of two: exact products, exactly the plain formula
        plain = scale * np.power(ratio, np.arange(first, first + n, dtype=np.float64))
        np.testing.assert_array_equal(got[normal], plain[normal])


@KERNELS
@given(
    data=st.data(),
    p=st.one_of(st.floats(0.01, 5.0), st.sampled_from([0.5, 0.9, 1.0, 2.0, 20.0])),
    scale=st.floats(1e-6, 10.0),
)
def test_power(data, p, scale):
    total = data.draw(st.integers(LONG, 10**7))
    first = data.draw(st.integers(0, total - 1))
    n = data.draw(st.integers(1, min(total - first, 3 * _kernels.BLOCK + 17)))

    def plain(t):
        return factor.polynomial(t, lr=scale, total_iters=total, power=p)

    got = _kernels.power(np.empty(n), first, total=total, p=p, plain=plain)
    want = np.longdouble(scale) * ((total - steps_ld(first, n)) / total) ** np.longdouble(p)
    # The plain formula rounds 1 - t/T (an error the power multiplies by p); the series, which
    # starts each block from it, is as close to the exact value.
    assert off_scale(got, want, scale) <= WITHIN
    assert off_scale(got, plain(np.arange(first, first + n, dtype=np.float64)), scale) <= 1e-14


def test_power_series_reach():
    assert _kernels._series_reach(1.0) == 0.5  # a polynomial of degree 1: the series is exact
    assert _kernels._series_reach(0.9) <= 2.0**-6
    assert _kernels._series_reach(1e6) < 2.0**-20


@KERNELS
@given(first=firsts, n=lengths, slope=st.floats(-1, 1), at=st.floats(-1, 1))
def test_affine(first, n, slope, at):
    def plain(t):
        return at + slope * (t - first)

    got = _kernels.affine(np.empty(n), first, slope=slope, plain=plain)
    want = at + np.longdouble(slope) * (steps_ld(first, n) - first)
    assert np.max(np.abs(got - want), initial=0) <= 4e-16 * (abs(at) + abs(slope) * n + 1e-300)


@given(first=st.integers(0, 1000), n=st.integers(1, 500), width=st.integers(1, 60))
def test_stairs_tile_and_pieces(first, n, width):
    t = np.arange(first, first + n)
    levels = np.arange(first // width, (first + n - 1) // width + 1) * 1.5
    np.testing.assert_array_equal(
        _kernels.stairs(first, n, width, levels), (t // width - first // width) * 1.5 + levels[0]
    )
    pattern = np.arange(width) * 2.0
    np.testing.assert_array_equal(_kernels.tile(n, pattern), pattern[np.arange(n) % width])
    cut = min(width, n)
    np.testing.assert_array_equal(
        _kernels.pieces(n, [0, cut, n], [1.0, 2.0]), np.where(np.arange(n) < cut, 1.0, 2.0)
    )


# --- every schedule's long path against its plain formula -----------------------------------------


# Each schedule function's fast route over a range of steps (its entry's lr_range or extras_range).
RANGE_OF = {
    **{s.lr: s.lr_range for s in schedules_of("torch").values() if s.lr_range},
    **{s.extras: s.extras_range for s in schedules_of("torch").values() if s.extras_range},
}


def long_and_plain(fn, first: int, n: int, **params):
    """fn's fast route over the steps first..first+n-1, and fn on the same steps as a plain array."""
    with np.errstate(all="ignore"):
        fast = RANGE_OF[fn](first, n, **params)
        plain = fn(np.arange(first, first + n, dtype=np.float64), **params)
    return fast, plain


rates = st.floats(1e-6, 10.0)


@KERNELS
@given(
    first=firsts,
    n=long_lengths,
    lr=rates,
    gamma=st.one_of(st.floats(0.5, 1.0), st.floats(1 - 1e-5, 1.0), st.floats(1e-3, 0.5)),
)
def test_exponential(first, n, lr, gamma):
    fast, plain = long_and_plain(exponential.exponential, first, n, lr=lr, gamma=gamma)
    normal = plain >= _kernels.TINY
    assert off_scale(fast[normal], plain[normal], lr) <= WITHIN
    assert np.all(fast[~normal] == 0)


@KERNELS
@given(first=firsts, n=long_lengths, lr=rates, size=st.integers(1, 3000), gamma=st.floats(0.01, 1.0))
def test_step_is_the_plain_formula_bit_for_bit(first, n, lr, size, gamma):
    fast, plain = long_and_plain(step.step_decay, first, n, lr=lr, step_size=size, gamma=gamma)
    levels = (first + n - 1) // size - first // size + 1
    if levels < _kernels.FAST_FROM:
        np.testing.assert_array_equal(fast, plain)
    assert off_scale(fast, plain, lr) <= WITHIN


@KERNELS
@given(
    first=firsts,
    n=long_lengths,
    lr=rates,
    gamma=st.floats(0.01, 1.0),
    marks=st.lists(st.integers(1, 10**7), min_size=1, max_size=6),
)
def test_multistep_and_constant_are_the_plain_formulas_bit_for_bit(first, n, lr, gamma, marks):
    fast, plain = long_and_plain(
        step.multi_step, first, n, lr=lr, milestones=tuple(sorted(marks)), gamma=gamma
    )
    np.testing.assert_array_equal(fast, plain)
    fast, plain = long_and_plain(factor.constant, first, n, lr=lr, factor=gamma, total_iters=marks[0])
    np.testing.assert_array_equal(fast, plain)


@KERNELS
@given(
    first=firsts,
    n=long_lengths,
    lr=rates,
    start=st.floats(0.01, 1.0),
    end=st.floats(0.0, 1.0),
    total=st.integers(1, 10**7),
    power=st.floats(0.05, 8.0),
)
def test_linear_and_polynomial(first, n, lr, start, end, total, power):
    fast, plain = long_and_plain(
        factor.linear, first, n, lr=lr, start_factor=start, end_factor=end, total_iters=total
    )
    assert off_scale(fast, plain, lr) <= WITHIN
    flat = np.arange(first, first + n) >= total  # from total_iters on: the formula, one value
    np.testing.assert_array_equal(fast[flat], plain[flat])
    fast, plain = long_and_plain(factor.polynomial, first, n, lr=lr, total_iters=total, power=power)
    assert off_scale(fast, plain, lr) <= WITHIN
    np.testing.assert_array_equal(fast[np.arange(first, first + n) >= total], 0.0)


@KERNELS
@given(first=firsts, n=long_lengths, lr=rates, eta=st.floats(0, 2.0), t_max=st.integers(1, 10**7))
def test_cosine(first, n, lr, eta, t_max):
    fast, _ = long_and_plain(cosine.cosine_annealing, first, n, lr=lr, t_max=t_max, eta_min=lr * eta)
    # The closed form is periodic: on reduced steps its angle carries no rounding of t itself.
    reduced = (np.arange(first, first + n) % (2 * t_max)).astype(np.float64)
    plain = cosine.cosine_annealing(reduced, lr=lr, t_max=t_max, eta_min=lr * eta)
    assert off_scale(fast, plain, lr * max(1.0, eta)) <= WITHIN
    # Where cos is ±1 the rows are exact, as torch's: lr (via eta_min + (lr - eta_min)) and eta_min.
    np.testing.assert_array_equal(fast[reduced == 0], plain[reduced == 0])
    np.testing.assert_array_equal(fast[reduced == t_max], lr * eta)


@KERNELS
@given(
    first=firsts,
    n=long_lengths,
    lr=rates,
    eta=st.floats(0, 1.0),
    t_0=st.one_of(st.integers(1, 100), st.integers(1, 10**6)),
    t_mult=st.integers(1, 4),
)
def test_cosine_restarts(first, n, lr, eta, t_0, t_mult):
    fast, plain = long_and_plain(
        cosine.cosine_warm_restarts, first, n, lr=lr, t_0=t_0, t_mult=t_mult, eta_min=lr * eta
    )
    assert off_scale(fast, plain, lr) <= WITHIN
    if t_mult == 1 and t_0 < _kernels.FAST_FROM:  # one period by the formula, repeated
        np.testing.assert_array_equal(fast, plain)


@KERNELS
@given(
    first=st.one_of(firsts, st.integers(0, 2**45)),
    n=long_lengths,
    base=rates,
    top=rates,
    up=st.integers(1, 5000),
    down=st.one_of(st.none(), st.integers(1, 5000)),
    mode=st.sampled_from(["triangular", "triangular2", "exp_range"]),
    gamma=st.floats(0.9999, 1.0),
    momentum=st.tuples(st.floats(0, 1), st.floats(0, 1)),
)
def test_cyclic_is_the_plain_formula_bit_for_bit(first, n, base, top, up, down, mode, gamma, momentum):
    """Bit for bit: over runs of cycles whose t/total keeps its binade, the roundings repeat
    exactly; only exp_range's gamma^t takes block products."""
    shape = {"step_size_up": up, "step_size_down": down, "mode": mode, "gamma": gamma}
    fast, plain = long_and_plain(cyclic.cyclic, first, n, base_lr=base, max_lr=top, **shape)
    moment = {"cycle_momentum": True, "base_momentum": momentum[0], "max_momentum": momentum[1]}
    fast_m, plain_m = (
        out["momentum"] for out in long_and_plain(cyclic.cyclic_momentum, first, n, **shape, **moment)
    )
    if mode == "exp_range":
        assert off_scale(fast, plain, max(base, top)) <= WITHIN
        assert off_scale(fast_m, plain_m, max(*momentum, NORMAL)) <= WITHIN
    else:
        np.testing.assert_array_equal(fast, plain)
        np.testing.assert_array_equal(fast_m, plain_m)


@KERNELS
@given(
    data=st.data(),
    max_lr=rates,
    pct=st.floats(0.05, 0.45),
    three=st.booleans(),
    strategy=st.sampled_from(["cos", "linear"]),
    div=st.floats(1.0, 1e4),
    final=st.floats(0.1, 1e5),
    momentum=st.tuples(st.floats(0, 1), st.floats(0, 1)),
)
def test_onecycle(data, max_lr, pct, three, strategy, div, final, momentum):
    total = data.draw(st.integers(LONG, 10**7))
    first = data.draw(st.integers(0, total - LONG))
    n = data.draw(st.integers(LONG, min(total - first, LONG + 3 * _kernels.BLOCK)))
    shape = {"total_steps": total, "pct_start": pct, "anneal_strategy": strategy, "three_phase": three}
    fast, plain = long_and_plain(
        onecycle.one_cycle, first, n, max_lr=max_lr, div_factor=div, final_div_factor=final, **shape
    )
    assert off_scale(fast, plain, max_lr) <= WITHIN
    moment = {"cycle_momentum": True, "base_momentum": momentum[0], "max_momentum": momentum[1]}
    fast_m, plain_m = (
        out["momentum"] for out in long_and_plain(onecycle.one_cycle_momentum, first, n, **shape, **moment)
    )
    assert off_scale(fast_m, plain_m, max(*momentum, NORMAL)) <= WITHIN
    # A phase's first and last step are the formula's: where torch lands exactly on its rates.
    for low, high in _kernels.phase_rows(first, n, onecycle.phase_ends(total, pct, three)):
        if high > low:
            assert fast[low] == plain[low] and fast[high - 1] == plain[high - 1]


# --- range_aware functions never read the values of a long range ----------------------------------

EXAMPLES = {
    "exponential": {"gamma": 0.9999},
    "step": {"step_size": 1000},
    "multistep": {"milestones": [100, 5000, 5000]},
    "constant": {"total_iters": 7000},
    "linear": {"total_iters": 9000},
    "polynomial": {"total_iters": 12000, "power": 0.9},
    "cosine": {"t_max": 7000},
    "cosine-restarts": {"t_0": 300, "t_mult": 2},
    "cyclic": {"base_lr": 1e-4, "max_lr": 1e-2, "step_size_up": 700},
    "onecycle": {"max_lr": 0.01, "total_steps": 30000},
    "plateau": {"metrics": (1.0 / (1 + np.arange(30000) / 50)).tolist(), "patience": 3},
    "sequential": {
        "milestones": [500],
        "schedules": [{"type": "linear", "total_iters": 500}, {"type": "cosine", "t_max": 20000}],
    },
    "chained": {
        "schedules": [
            {"type": "linear", "total_iters": 500},
            {"type": "exponential", "gamma": 0.9999},
            {"type": "onecycle", "max_lr": 0.1, "total_steps": 30000},
        ]
    },
}


def test_every_schedule_has_an_example():
    assert set(EXAMPLES) == set(schedules_of("torch"))


@pytest.mark.parametrize("name", sorted(EXAMPLES))
@pytest.mark.parametrize("first", [0, 1234])
def test_every_fast_route_equals_the_formula(name, first):
    """Each schedule's rows over a long range (its lr_range) are its plain formula's."""
    schedule = schedules_of("torch")[name]
    spec = lrplot.build_spec(name, EXAMPLES[name])
    assert schedule.lr_range is not None
    n = LONG + 1000
    bound = schedule.limit(spec.params) if schedule.limit else None
    if bound is not None and first + n > bound[0]:
        first = 0
    steps = np.arange(first, first + n, dtype=np.float64)
    with np.errstate(all="ignore"):
        fast, plain = schedule.rows(first, n, spec.params), schedule.curve(steps, spec.params)
        fast_extras, plain_extras = schedule.extra_rows(first, n, spec.params), schedule.extra_series(
            steps, spec.params)
    assert off_scale(fast, plain) <= WITHIN
    assert fast_extras.keys() == plain_extras.keys()
    for key in plain_extras:
        assert off_scale(fast_extras[key], plain_extras[key]) <= WITHIN


def test_the_engine_takes_the_fast_route_for_long_curves():
    spec = lrplot.build_spec("cosine", {"t_max": 100, "steps": LONG + 7})
    curve = lrplot.compute(spec)
    np.testing.assert_array_equal(
        curve.lr, cosine.cosine_annealing_range(0, LONG + 7, lr=1e-3, t_max=100, eta_min=0.0)
    )


# --- the golden torch curves, with the fast paths on every length ---------------------------------


@pytest.fixture(scope="module")
def forced_curves():
    """The golden cases computed with every fast path taken, however short the range."""
    with goldens.fast_paths_from(1):
        return goldens.curves_of()


@pytest.mark.parametrize("case", goldens.cases_of(*goldens.REFERENCES, warm_ups=True))
def test_fast_paths_match_torch(case, forced_curves):
    curve, ref = forced_curves[case["id"]], goldens.torch_arrays(case)
    kind = kind_of(case["schedule"], case["params"])
    assert_matches_torch(curve.lr, ref["lr"], kind, context=case["id"])
    if "momentum" in ref:
        assert_matches_torch(
            curve.series["momentum"], ref["momentum"], kind, what="momentum", context=case["id"]
        )
    # The rows torch hits exactly stay exact.
    goldens.exact_rows(case, curve)


# --- composites: the closed forms against the scan ------------------------------------------------

COMPOSITES = [
    ("cosine", {"lr": 0.1, "t_max": 40000, "eta_min": 1e-4, "warmup_steps": 700}),
    ("onecycle", {"max_lr": 0.1, "total_steps": 40000, "warmup_steps": 300}),
    ("cyclic", {"base_lr": 1e-3, "max_lr": 1e-2, "step_size_up": 900, "lr": 1e-3, "warmup_steps": 100}),
    (
        "sequential",
        {
            "lr": 0.1,
            "milestones": [1000, 30000],
            "schedules": [
                {"type": "linear", "start_factor": 0.01, "total_iters": 1000},
                {"type": "cosine", "t_max": 29000, "eta_min": 0.001},
                {"type": "exponential", "gamma": 0.9999},
            ],
        },
    ),
    (
        "chained",
        {
            "lr": 0.1,
            "schedules": [
                {"type": "linear", "start_factor": 0.1, "total_iters": 2000},
                {"type": "exponential", "gamma": 0.99995},
                {"type": "multistep", "milestones": [20000, 30000], "gamma": 0.5},
            ],
        },
    ),
    (
        "chained",
        {
            "lr": 0.1,
            "schedules": [
                {"type": "onecycle", "max_lr": 0.1, "total_steps": 40000},
                {"type": "cosine", "t_max": 15000},
            ],
        },
    ),
    (
        "sequential",
        {
            "lr": 0.1,
            "milestones": [20000],
            "schedules": [
                {
                    "type": "chained",
                    "schedules": [
                        {"type": "constant", "factor": 0.5, "total_iters": 5000},
                        {"type": "polynomial", "total_iters": 30000, "power": 2.0},
                    ],
                },
                {"type": "cosine-restarts", "t_0": 3000, "t_mult": 2},
            ],
        },
    ),
]


@pytest.mark.parametrize("name,params", COMPOSITES)
def test_composites_from_closed_forms_equal_the_scan(name, params):
    rows = 40000
    closed = lrplot.curve(name, steps=rows, **params)
    with goldens.fast_paths_from(10**9):  # the scan, and every plain formula
        scanned = lrplot.curve(name, steps=rows, **params)
    assert off_scale(closed.lr, scanned.lr) <= WITHIN
    assert closed.series.keys() == scanned.series.keys()
    for key in closed.series:
        assert off_scale(closed.series[key], scanned.series[key]) <= WITHIN


def test_a_cosine_sharing_the_rate_in_a_chain_is_left_to_the_scan():
    node = compose.node_of(lrplot.build_spec("chained", COMPOSITES[-2][1]))
    assert compose._closed_form_rates(node, 0.1, 40000) is None
    assert (
        compose._closed_form_rates(compose.node_of(lrplot.build_spec(*COMPOSITES[3])), 0.1, 40000) is not None
    )


# --- the plateau scan ------------------------------------------------------------------------------


@st.composite
def metric_series(draw):
    n = draw(st.integers(1, 500))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["walk", "decay", "levels", "noise"]))
    if kind == "walk":
        values = np.cumsum(rng.normal(size=n))
    elif kind == "decay":
        values = 1.0 / (1 + np.arange(n) / draw(st.integers(1, 50))) + rng.normal(size=n) * 1e-4
    elif kind == "levels":
        values = rng.choice([0.5, 0.51, 0.52, 0.6], size=n)
    else:
        values = rng.normal(size=n)
    if draw(st.booleans()):
        values[rng.random(n) < 0.05] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    return values


@settings(max_examples=300, deadline=None)
@given(
    values=metric_series(),
    mode=st.sampled_from(["min", "max"]),
    threshold_mode=st.sampled_from(["rel", "abs"]),
    threshold=st.sampled_from([0.0, 1e-4, 0.01, 0.3]),
    patience=st.integers(0, 12),
    cooldown=st.integers(0, 5),
    wanted=st.one_of(st.none(), st.integers(0, 6)),
)
def test_plateau_records_and_prefixes_equal_the_loop(
    values, mode, threshold_mode, threshold, patience, cooldown, wanted
):
    """Runs read off the records (forced from the first run on) and decisions stopped after the
    cuts wanted are torch's step-by-step ones."""
    improved, cuts = plateau.decisions_by_loop(values, mode, threshold, threshold_mode, patience, cooldown)
    expected = cuts if wanted is None else cuts[:wanted]
    better = plateau.is_better(mode, threshold, threshold_mode)
    with mock.patch.multiple(plateau, DENSE_RUNS=0, DENSE=0.0, FIRST_PREFIX=7):
        runs = plateau.improvement_runs(values, better, plateau.worst(mode))
        got_improved, got_cuts = plateau.decisions(
            values, mode, threshold, threshold_mode, patience, cooldown, wanted
        )
    if better.keeps_records(values):
        assert plateau._ranges(*runs).tolist() == improved.tolist()
    assert got_cuts.tolist() == expected.tolist()
    if len(expected):
        before_last = expected[-1]
        assert got_improved[got_improved < before_last].tolist() == improved[improved < before_last].tolist()


def test_plateau_stops_reading_once_the_rate_cannot_change(monkeypatch):
    values = np.full(10**6, 1.0)
    values[0] = 0.5
    read = []
    original = plateau._decisions

    def spy(part, *args):
        read.append(len(part))
        return original(part, *args)

    monkeypatch.setattr(plateau, "_decisions", spy)
    plateau.plateau_scan.cache_clear()
    curve = lrplot.curve("plateau", lr=0.1, metrics=values, patience=2, factor=0.5, eps=1e-3)
    assert len(curve.annotations.events) == 6  # 0.1 -> 0.05 -> ... -> 0.0015625; then < eps
    assert max(read) <= plateau.FIRST_PREFIX * plateau.PREFIX_GROWTH
    assert curve.lr[-1] == 0.1 / 2**6


# --- long curves against torch itself ---------------------------------------------------------------

LONG_CASES = [
    ("exponential", {"lr": 0.1, "gamma": 0.9997}),
    ("step", {"lr": 0.1, "step_size": 3000, "gamma": 0.5}),
    ("multistep", {"lr": 0.1, "milestones": [9000, 15000], "gamma": 0.1}),
    ("constant", {"lr": 0.1, "factor": 0.3, "total_iters": 5000}),
    ("linear", {"lr": 0.1, "start_factor": 0.01, "total_iters": 19000}),
    ("polynomial", {"lr": 0.1, "total_iters": 19000, "power": 0.9}),
    ("cosine", {"lr": 0.1, "t_max": 19999, "eta_min": 1e-4}),
    ("cosine", {"lr": 0.1, "t_max": 3000}),
    ("cosine-restarts", {"lr": 0.1, "t_0": 2500, "t_mult": 2, "eta_min": 1e-4}),
    ("cyclic", {"base_lr": 1e-4, "max_lr": 1e-2, "step_size_up": 1500, "mode": "triangular2"}),
    ("cyclic", {"base_lr": 1e-4, "max_lr": 1e-2, "step_size_up": 700, "mode": "exp_range", "gamma": 0.9999}),
    ("onecycle", {"max_lr": 0.01, "total_steps": 20000}),
    ("onecycle", {"max_lr": 0.01, "total_steps": 20000, "three_phase": True, "anneal_strategy": "linear"}),
    ("cosine", {"lr": 0.1, "t_max": 19000, "warmup_steps": 1000}),
    ("sequential", COMPOSITES[3][1]),
    ("chained", COMPOSITES[4][1]),
]


@pytest.mark.parametrize("name,params", LONG_CASES)
def test_long_curves_match_torch(name, params):
    pytest.importorskip("torch")
    from tests.reference import torch_rows

    rows = 20000
    assert rows >= _kernels.FAST_FROM
    curve = lrplot.curve(name, steps=rows, **params)
    ref = torch_rows(name, params, rows)
    kind = kind_of(name, params)
    assert_matches_torch(curve.lr, ref["lr"], kind, context=name)
    if "momentum" in ref:
        assert_matches_torch(curve.series["momentum"], ref["momentum"], kind, what="momentum", context=name)


def test_fast_from_is_a_power_of_two_above_a_block():
    assert _kernels.FAST_FROM >= 2 * _kernels.BLOCK and math.log2(_kernels.FAST_FROM).is_integer()
