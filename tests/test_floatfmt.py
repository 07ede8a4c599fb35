"""The vectorised formatter: repr of every float64, str of every integer, whole CSV chunks, the fallback."""

from __future__ import annotations

import io
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.render import export, floatfmt
from lrplot.render.floatfmt import (
    float_cells,
    format_floats,
    int_cells,
    join_items,
    join_rows,
    padded,
    replace,
    shortest,
)

SETTINGS = settings(max_examples=200, deadline=None)
MAX = np.finfo(np.float64).max
SMALLEST_NORMAL = np.finfo(np.float64).tiny


def reprs(values) -> list[str]:
    return [repr(v) for v in np.asarray(values, dtype=np.float64).tolist()]


def assert_repr(values) -> None:
    values = np.asarray(values, dtype=np.float64)
    assert format_floats(values) == reprs(values)


def neighbours(values: np.ndarray, ulps: int = 3) -> np.ndarray:
    """Each positive finite value and the floats up to ``ulps`` steps either side of it, both signs."""
    bits = np.asarray(values, dtype=np.float64).view(np.int64)
    near = (bits[:, None] + np.arange(-ulps, ulps + 1)).reshape(-1)
    near = near[(near >= 0) & (near < np.float64(np.inf).view(np.int64))].view(np.float64)
    return np.concatenate([near, -near])


def step(value: float, ulps: int) -> float:
    """The float ``ulps`` representable steps away from ``value``."""
    return float((np.float64(value).view(np.int64) + ulps).view(np.float64))


# --- strategies ----------------------------------------------------------------------------------

bit_patterns = st.binary(min_size=8, max_size=8).map(lambda b: float(np.frombuffer(b, dtype=np.float64)[0]))
subnormals = st.floats(min_value=-SMALLEST_NORMAL, max_value=SMALLEST_NORMAL)
lr_like = st.floats(min_value=1e-12, max_value=10.0)
log_uniform = st.floats(min_value=-12.0, max_value=1.0).map(lambda x: 10.0**x)
# short decimals (15 significant digits or fewer), trailing zeros in the digits: 0.001, 2.5e-07, 1234.5
short_decimals = st.builds(
    lambda digits, exponent: float(f"{digits}e{exponent}"),
    st.integers(min_value=1, max_value=10**15 - 1),
    st.integers(min_value=-330, max_value=300),
)
# exactly 15, 16 or 17 significant digits: each length's decision is taken
n_digits = st.integers(min_value=15, max_value=17).flatmap(
    lambda n: st.builds(
        lambda digits, exponent: float(f"{digits}e{exponent}"),
        st.integers(min_value=10 ** (n - 1), max_value=10**n - 1),
        st.integers(min_value=-320, max_value=290),
    )
)
decade_edges = st.builds(
    lambda k, ulps: step(float(f"1e{k}"), ulps), st.integers(-323, 308), st.integers(-40, 40)
)
powers_of_two = st.builds(lambda k, ulps: step(2.0**k, ulps), st.integers(-1074, 1023), st.integers(-3, 3))
cosines = st.builds(
    lambda lr, eta, t, total: eta + (lr - eta) * (1 + math.cos(math.pi * t / total)) / 2,
    lr_like,
    st.floats(min_value=0.0, max_value=1e-3),
    st.integers(min_value=0, max_value=10**7),
    st.integers(min_value=1, max_value=10**7),
)
powers = st.builds(
    lambda lr, gamma, t: lr * gamma**t,
    lr_like,
    st.floats(min_value=0.5, max_value=1.0),
    st.integers(min_value=0, max_value=10**5),
)
any_float = st.one_of(
    st.floats(),  # NaN, infinities, signed zeros, subnormals included
    bit_patterns,
    subnormals,
    lr_like,
    log_uniform,
    short_decimals,
    n_digits,
    decade_edges,
    powers_of_two,
    cosines,
    powers,
    st.sampled_from([0.0, -0.0, 5e-324, -5e-324, MAX, -MAX, SMALLEST_NORMAL, math.inf, -math.inf, math.nan]),
)
float_lists = st.lists(any_float, max_size=60)


# --- repr of every float64 -----------------------------------------------------------------------


class TestRepr:
    @SETTINGS
    @given(float_lists)
    def test_equals_repr(self, values):
        assert_repr(values)

    @SETTINGS
    @given(st.lists(any_float, min_size=1, max_size=60), st.booleans())
    def test_negated_values_equal_repr(self, values, negate):
        assert_repr(-np.array(values) if negate else values)

    def test_notation_thresholds_and_specials(self):
        values = [0.001, 100.0, 9.549150281252633e-05, 1e-05, 0.0001, 1e16, 1e15, 9999999999999998.0,
                  1.5e16, -0.0, 0.0, math.nan, math.inf, -math.inf, 1e100, 1e-100, 1.2345e-300, 5e-324]
        assert format_floats(values) == [
            "0.001", "100.0", "9.549150281252633e-05", "1e-05", "0.0001", "1e+16", "1000000000000000.0",
            "9999999999999998.0", "1.5e+16", "-0.0", "0.0", "nan", "inf", "-inf", "1e+100", "1e-100",
            "1.2345e-300", "5e-324",
        ]

    def test_every_power_of_two_and_ten_with_neighbours(self):
        twos = 2.0 ** np.arange(-1074, 1024)
        tens = np.array([float(f"1e{k}") for k in range(-323, 309)])
        assert_repr(neighbours(twos))
        assert_repr(neighbours(tens, ulps=5))

    def test_every_decade_with_short_and_long_digits(self):
        scales = np.array([float(f"1e{k}") for k in range(-307, 308)])
        mantissas = np.array([1.0, 1.5, 2.5, 9.5, 9.999999999999998, 1.2345678901234567, 7.0000000000000001])
        assert_repr(neighbours((scales[:, None] * mantissas).reshape(-1), ulps=1))

    def test_random_bit_patterns_in_bulk(self):
        rng = np.random.default_rng(20240607)
        assert_repr(rng.integers(0, 2**64, 100_000, dtype=np.uint64).view(np.float64))

    def test_curves_in_bulk(self):
        rng = np.random.default_rng(7)
        assert_repr(lrplot.curve("cosine", t_max=50_000, eta_min=1e-6).lr)
        c = lrplot.curve("onecycle", max_lr=0.1, total_steps=50_000)
        assert_repr(c.lr)
        assert_repr(c.series["momentum"])
        assert_repr(np.arange(50_000) / 7)
        assert_repr(10.0 ** rng.uniform(-12, 1, 50_000))

    def test_other_dtypes_read_as_float64(self):
        values = np.array([0.1, 1 / 3, 1e-8], dtype=np.float32)
        assert format_floats(values) == [repr(v) for v in values.astype(np.float64).tolist()]
        assert format_floats(np.array([], dtype=np.float64)) == []


class TestFallback:
    """Values the long double arithmetic cannot vouch for go to repr, one call each."""

    @SETTINGS
    @given(float_lists, st.data())
    def test_forced_on_any_subset(self, values, data):
        real = floatfmt.shortest

        def doubtful(a: np.ndarray) -> floatfmt.ShortestDigits:
            number = real(a)
            forced = data.draw(st.lists(st.booleans(), min_size=len(a), max_size=len(a)), label="forced")
            sure = number.sure & ~np.array(forced, dtype=bool)
            return floatfmt.ShortestDigits(number.digits, number.exponent, sure)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(floatfmt, "shortest", doubtful)
            assert_repr(values)

    @SETTINGS
    @given(float_lists)
    def test_everything_without_extended_precision(self, values):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(floatfmt, "EXTENDED", False)
            assert_repr(values)

    def test_subnormals_and_doubtful_values_still_exact(self):
        values = np.array([5e-324, 1e-310, SMALLEST_NORMAL, 1.0, 10.0, 1e22, 1e16])
        assert not shortest(np.array([1.0, 1e16])).sure.any()  # an exact power of ten sits on the edge
        assert_repr(values)

    def test_typical_curves_rarely_need_it(self):
        for values in (
            lrplot.curve("cosine", t_max=100_000).lr,
            lrplot.curve("onecycle", max_lr=0.1, total_steps=100_000).series["momentum"],
            lrplot.curve("exponential", gamma=0.9999, steps=100_000).lr,
            np.arange(100_000) / 7,
        ):
            assert shortest(values[values > 0]).sure.mean() > 0.99


def test_powers_of_ten_are_correctly_rounded():
    for k in range(floatfmt._KMIN, floatfmt._KMAX + 1, 7):
        mantissa, shift, exact = floatfmt._power_of_ten(k)
        assert 2**63 <= mantissa < 2**64
        error = abs(Fraction(mantissa, 1) / Fraction(2) ** shift - Fraction(10) ** k)
        assert error <= Fraction(1, 2) / Fraction(2) ** shift
        assert exact == (error == 0) == (0 <= k <= 27)


# --- integers and whole chunks -------------------------------------------------------------------


@SETTINGS
@given(st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=60))
def test_int_cells_equal_str(values):
    array = np.array(values, dtype=np.int64)
    assert join_rows([int_cells(array)], end=b"\n").decode() == "".join(f"{v}\n" for v in values)


def test_int_cells_take_unsigned_and_refuse_floats():
    values = np.array([0, 9, 10, 2**64 - 1], dtype=np.uint64)
    assert join_rows([int_cells(values)], sep=b",", end=b";") == b"0;9;10;18446744073709551615;"
    with pytest.raises(TypeError, match="integers"):
        int_cells(np.array([1.0]))


@SETTINGS
@given(st.lists(st.lists(any_float, max_size=40), min_size=1, max_size=4), st.integers(0, 3))
def test_csv_chunk_equals_repr_rows(series, first_step):
    """Steps, then every series padded with empty cells to the longest: as the old writer did it."""
    rows = max(len(s) for s in series)
    steps = np.arange(first_step, first_step + rows)
    columns = [int_cells(steps)] + [padded(float_cells(np.array(s, dtype=np.float64)), rows) for s in series]
    cells = [[str(t) for t in steps.tolist()]] + [reprs(s) + [""] * (rows - len(s)) for s in series]
    expected = "".join(",".join(row) + "\n" for row in zip(*cells))
    assert join_rows(columns, sep=b",", end=b"\n").decode() == expected


@SETTINGS
@given(float_lists)
def test_json_items_write_null_for_non_finite(values):
    array = np.array(values, dtype=np.float64)
    text = join_items(replace(float_cells(array), ~np.isfinite(array), "null"), sep=b", ")
    assert text.decode() == ", ".join(r if math.isfinite(v) else "null" for r, v in zip(reprs(array), values))


def test_csv_writer_across_chunk_boundaries(monkeypatch):
    """The export writes what the straightforward repr-based rows would, whatever the chunking."""
    monkeypatch.setattr(export, "CHUNK_ROWS", 7)
    long = lrplot.curve("onecycle", max_lr=0.1, total_steps=40, label="long")
    short = lrplot.curve("cosine", t_max=16, label="short")
    out = io.BytesIO()
    export.write_csv(out, [long, short], steps_per_epoch=6)
    lr, other = long.lr.tolist(), short.lr.tolist()
    lines = [f"{t},{lr[t]!r},{other[t]!r}," if t < len(other) else f"{t},{lr[t]!r},," for t in range(40)]
    lines = [line + repr(t / 6) for t, line in enumerate(lines)]
    assert out.getvalue().decode() == "step,long,short,epoch\n" + "".join(line + "\n" for line in lines)
