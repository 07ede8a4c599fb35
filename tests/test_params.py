"""Parameter kinds: every source (flag string, YAML value, Python) parses the same way."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrplot.params import Choice, Integer, IntegerList, Invalid, Real, Series, Switch, Text


def message(param, raw) -> str:
    with pytest.raises(Invalid) as info:
        param.parse(raw)
    return info.value.render(lambda n: f"<{n}>")


class TestReal:
    p = Real("gamma", "", gt=0)

    @pytest.mark.parametrize("raw", ["0.5", 0.5, "5e-1", " 0.5 ", 1 / 2])
    def test_accepts_numbers_from_any_source(self, raw):
        assert self.p.parse(raw) == 0.5

    @pytest.mark.parametrize("raw", ["abc", "", True, None, [1], "1,2"])
    def test_refuses_non_numbers(self, raw):
        assert message(self.p, raw).startswith("<gamma> must be a number > 0, got ")

    @pytest.mark.parametrize("raw", ["nan", "inf", "-inf", float("nan"), 10**400])
    def test_refuses_non_finite(self, raw):
        assert "finite" in message(self.p, raw)

    def test_bounds_are_described(self):
        assert Real("x", "", gt=0, lt=1).allowed() == "a number in (0, 1)"
        assert Real("x", "", ge=0, le=1).allowed() == "a number in [0, 1]"
        assert Real("x", "", ge=0).allowed() == "a number >= 0"
        assert message(Real("x", "", gt=0, lt=1), "1") == "<x> must be a number in (0, 1), got 1"


class TestInteger:
    p = Integer("t_max", "", ge=1)

    @pytest.mark.parametrize("raw", ["20", 20, 20.0, "2e1", " 20 "])
    def test_whole_numbers(self, raw):
        assert self.p.parse(raw) == 20

    @pytest.mark.parametrize("raw", ["20.5", 20.5, "abc", True, "0", 0, -3, "nan", "inf"])
    def test_refusals(self, raw):
        assert message(self.p, raw).startswith("<t_max> must be an integer >= 1, got ")

    def test_big_values_are_exact(self):
        assert Integer("n", "").parse("1e15") == 10**15
        assert Integer("n", "").parse(str(2**70)) == 2**70


def test_choice_is_exact():
    p = Choice("mode", "", "min", choices=("min", "max"))
    assert p.parse("max") == "max"
    assert message(p, "MAX") == "<mode> must be one of min, max, got MAX"
    assert p.metavar == "[min|max]"


def test_switch():
    p = Switch("three_phase", "")
    assert p.parse(True) is True and p.parse("false") is False
    assert "true or false" in message(p, "maybe")
    assert "true or false" in message(p, 1)


def test_integer_list():
    p = IntegerList("milestones", "", ge=1)
    assert p.parse("30,80") == (30, 80)
    assert p.parse([30, 30, 80]) == (30, 30, 80)
    assert p.parse(5) == (5,)
    for raw in ["", "a,b", "30,", [0], [], "1.5"]:
        assert "comma-separated list of integers >= 1" in message(p, raw)


def test_text_and_series():
    assert Text("label", "").parse("cos") == "cos"
    assert Text("label", "").parse(5) == "5"
    assert "non-empty text" in message(Text("label", ""), "  ")
    s = Series("metrics", "")
    assert s.parse("val.csv") == "val.csv"
    assert s.parse([1, "2", 3.5]).tolist() == [1.0, 2.0, 3.5]
    assert s.parse(np.arange(3)).dtype == np.float64
    for raw in ["", [], ["a"], 3]:
        assert "file path or a list of numbers" in message(s, raw)


JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20), st.lists(st.integers(), max_size=3), st.binary(max_size=5),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
KINDS = [
    Real("a", "", gt=0), Real("b", "", ge=0, le=1), Integer("c", "", ge=0), Choice("d", "", choices=("x",)),
    Switch("e", ""), IntegerList("f", "", ge=1), Text("g", ""), Series("h", ""),
]


@given(raw=JUNK)
def test_junk_is_either_parsed_or_refused_with_invalid(raw):
    for param in KINDS:
        try:
            value = param.parse(raw)
        except Invalid as exc:
            assert exc.names == (param.name,)
            continue
        if isinstance(param, Real):
            assert math.isfinite(value)
