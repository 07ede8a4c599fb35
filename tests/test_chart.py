"""The terminal chart: golden charts, the layout's limits, and the reduction that keeps the picture.

Golden charts are reviewed files under tests/golden/charts/, made by the recipes in
tests/snapshots.py and rewritten only by ``python scripts/make_snapshots.py``.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

import lrplot
from lrplot.engine import Curve
from lrplot.records import replace
from lrplot.registry import Annotations, Phase
from lrplot.render.chart import column_spans, default_height, render_chart, terminal_size
from tests import snapshots
from tests.snapshots import plateau_two_cuts, three

ANSI = re.compile(r"\x1b\[[0-9;]*m")
BRAILLE = re.compile("[\u2801-\u28ff]")


def plain(text: str) -> str:
    return ANSI.sub("", text)


def lines_of(text: str) -> list[str]:
    assert text.endswith("\n")
    return text[:-1].split("\n")


def with_lr(y, label: str = "curve", **changes) -> Curve:
    """A curve with these rates (and no annotations unless given)."""
    base = lrplot.curve("constant", lr=1e-3, steps=2)
    return replace(base, lr=np.asarray(y, dtype=np.float64), label=label, **changes)


CHARTS = [name for name in sorted(snapshots.SNAPSHOTS) if name.startswith("charts/")]


class TestGolden:
    @pytest.mark.parametrize("name", CHARTS)
    def test_chart_equals_its_reviewed_file(self, name):
        snapshots.check(name)

    def test_plateau_snapshot_has_two_reductions(self):
        assert len(plateau_two_cuts().annotations.events) == 2


class TestLayout:
    def test_colour_only_adds_escapes(self):
        for curves in (three(), [lrplot.curve("onecycle", max_lr=0.01, total_steps=1000)]):
            coloured = render_chart(curves, width=64, height=16, color=True, title="t")
            bare = render_chart(curves, width=64, height=16, color=False, title="t")
            assert "\x1b" in coloured and "\x1b" not in bare
            assert plain(coloured) == bare

    def test_each_curve_its_colour_and_the_later_one_wins_a_shared_cell(self):
        a = lrplot.curve("cosine", lr=0.01, t_max=100)
        chart = render_chart([a, replace(a, label="same")], width=50, height=10)
        plot = "".join(lines_of(chart)[:-3])
        assert "\x1b[33m" in plot and "\x1b[34m" not in plot  # blue only in the legend
        assert "\x1b[34m━━\x1b[0m cosine   \x1b[33m━━\x1b[0m same" in chart

    def test_y_ticks_x_ends_and_title(self):
        chart = lines_of(render_chart([lrplot.curve("cosine", lr=0.1, t_max=50)], width=60, height=14,
                                      color=False, title="cos"))
        assert chart[0].strip() == "cos"
        assert chart[1].startswith(" 0.1 ┤") and chart[-3].startswith("   0 ┤")
        assert chart[-2].startswith("     └┬") and chart[-2].endswith("┬")
        assert chart[-1].split() == ["step", "0", "10", "20", "30", "40", "50"]

    def test_epochs_when_given_or_shared(self):
        curve = lrplot.curve("onecycle", max_lr=0.01, total_steps=1000)
        given_ = lines_of(render_chart([curve], width=60, height=12, steps_per_epoch=100, color=False))
        # The last row is at epoch 9.99; a column is a sixth of an epoch wide: it reads 10.
        assert given_[-1].split()[0] == "epoch" and given_[-1].split()[-1] == "10"
        shared = [replace(c, steps_per_epoch=50) for c in three()]
        assert lines_of(render_chart(shared, width=60, height=14, color=False))[-2].split()[-1] == "2"
        # Curves that count epochs at different rates share only epochs: lined up by epoch, the
        # 101 steps at 10 an epoch end at epoch 10, the 101 at 50 an epoch at epoch 2.
        mixed = [shared[0], replace(shared[1], steps_per_epoch=10)]
        labels = lines_of(render_chart(mixed, width=60, height=14, color=False))[-2].split()
        assert labels[0] == "epoch" and labels[-1] == "10"

    def test_phase_boundaries_marked_and_named(self):
        curve = lrplot.curve("onecycle", max_lr=0.01, total_steps=100, three_phase=True)
        chart = lines_of(render_chart([curve], width=70, height=14, color=False))
        assert chart[0].split() == ["warm-up", "cool-down", "annealing"]
        axis = chart[-2]
        marks = [i for i, ch in enumerate(axis) if ch in "┴┼"]
        assert len(marks) == 2
        for column in marks:
            # The dotted line runs up every row, except where the curve passes.
            assert all(row[column] in "┊" or BRAILLE.match(row[column]) for row in chart[1:-2])

    def test_several_curves_hide_their_phases(self):
        curves = [lrplot.curve("onecycle", max_lr=0.01, total_steps=100), with_lr([0.01, 0.0])]
        chart = render_chart(curves, width=60, height=12, color=False)
        assert "┊" not in chart and "┴" not in chart and "warm-up" not in chart

    def test_legend_wraps_and_cuts_long_labels(self):
        curves = [with_lr([0.01, 0.0], label=name) for name in ("a" * 30, "b" * 30, "c" * 200)]
        chart = lines_of(render_chart(curves, width=40, height=14, color=False))
        assert chart[-3:] == ["━━ " + "a" * 30, "━━ " + "b" * 30, "━━ " + "c" * 36 + "…"]

    def test_short_heights_drop_the_extras_first(self):
        curve = lrplot.curve("onecycle", max_lr=0.01, total_steps=100)
        six = lines_of(render_chart([curve], width=40, height=6, color=False, title="title"))
        assert six[0].strip() == "title" and six[1].startswith("1e-2 ┤")  # no phase names
        five = lines_of(render_chart([curve], width=40, height=5, color=False, title="title"))
        assert five[0].startswith("1e-2 ┤") and five[-1].split()[0] == "step"  # nor title
        four = lines_of(render_chart([curve], width=40, height=4, color=False, title="title"))
        assert four[-1].startswith("     └┬")  # nor x labels
        assert len(lines_of(render_chart([curve], width=40, height=1, color=False))) == 1

    def test_narrow_widths_drop_the_y_labels(self):
        chart = lines_of(render_chart([lrplot.curve("cosine", t_max=9)], width=10, height=6, color=False))
        assert not any("┤" in line for line in chart) and BRAILLE.search(chart[0])

    def test_no_curves_or_no_room_is_an_error(self):
        with pytest.raises(ValueError, match="at least one curve"):
            render_chart([], width=60, height=10)
        with pytest.raises(ValueError, match="0x10"):
            render_chart([with_lr([1.0])], width=0, height=10)


class TestValues:
    def test_constant_and_single_point_curves(self):
        for y in ([1e-3] * 50, [1e-3], [0.0] * 5, [-1e-3, -1e-3]):
            for log in (False, True):
                chart = render_chart([with_lr(y)], width=40, height=10, log=log, color=False)
                assert len(lines_of(chart)) == 10
                assert bool(BRAILLE.search(chart)) == (not log or y[0] > 0)

    def test_a_constant_on_a_log_scale_sits_between_two_ticks(self):
        chart = lines_of(render_chart([with_lr([1e-3] * 50)], width=40, height=10, log=True, color=False))
        labels = [line.split("┤")[0].strip() for line in chart if "┤" in line]
        assert labels == ["2e-3", "1e-3", "5e-4"]
        assert BRAILLE.search(next(line for line in chart if line.startswith("1e-3 ┤")))

    def test_nothing_to_draw_says_so(self):
        nan = render_chart([with_lr([math.nan] * 30)], width=50, height=10, color=False)
        zero_log = render_chart([with_lr([0.0] * 30)], width=50, height=10, log=True, color=False)
        assert "no values to draw" in nan and not BRAILLE.search(nan)
        assert "no positive values for a log scale" in zero_log and not BRAILLE.search(zero_log)

    def test_log_leaves_out_values_at_or_below_zero(self):
        curve = lrplot.curve("cosine", lr=0.1, t_max=100)  # ends at exactly 0
        chart = lines_of(render_chart([curve], width=60, height=12, log=True, color=False))
        labels = [line.split("┤")[0].strip() for line in chart if "┤" in line]
        assert labels[0] == "1e-1" and all(float(label) > 0 for label in labels)

    def test_nan_leaves_a_gap(self):
        y = np.full(300, 0.01)
        y[100:200] = np.nan
        top = lines_of(render_chart([with_lr(y)], width=46, height=8, color=False))[0]
        plot = top.split("┤")[1]
        assert len(plot) == 40 and plot[:12].strip() and plot[-12:].strip()
        assert plot[14:25].strip() == ""

    def test_a_steep_drop_is_a_vertical_stroke(self):
        y = np.where(np.arange(100_001) < 50_000, 0.01, 0.0)
        chart = lines_of(render_chart([with_lr(y)], width=50, height=10, color=False))
        plot = [line[line.index("┤") + 1 :] if "┤" in line else line[line.index("│") + 1 :]
                for line in chart[:-2]]
        drop = plot[0].rstrip().__len__() - 1
        assert all(BRAILLE.match(row[drop]) for row in plot)


def m4(y: np.ndarray, dot_columns: int) -> np.ndarray:
    """``y`` where, in each dot column, every point but the first, lowest, highest and last is
    replaced by the kept point before it: the same extremes, ends and order of each column."""
    n = len(y)
    i = np.arange(n, dtype=np.int64)
    column = (2 * i * (dot_columns - 1) + (n - 1)) // (2 * (n - 1))  # nearest column, ties right
    edges = np.flatnonzero(np.diff(column)) + 1
    starts, ends = np.r_[0, edges], np.r_[edges, n] - 1
    keep = np.zeros(n, dtype=bool)
    keep[starts] = keep[ends] = True
    keep[starts + np.array([np.argmin(y[a : b + 1]) for a, b in zip(starts, ends)])] = True
    keep[starts + np.array([np.argmax(y[a : b + 1]) for a, b in zip(starts, ends)])] = True
    return y[np.maximum.accumulate(np.where(keep, i, 0))]


@pytest.mark.parametrize("log", [False, True])
def test_reduction_does_not_change_the_picture(log):
    n = 1_000_000
    t = np.arange(n)
    y = lrplot.curve("onecycle", max_lr=0.01, total_steps=n).lr * (1 + 0.3 * np.sin(t * 0.0037))
    y[300_000:310_000] *= 0.05  # a dip three columns wide
    y[600_000] = 0.02  # one spike
    chart = render_chart([with_lr(y)], width=70, height=16, log=log, color=False)
    axis = lines_of(chart)[-2]
    cells = len(axis) - axis.index("└") - 1
    envelope = m4(y, 2 * cells)
    assert np.count_nonzero(np.diff(envelope)) < 8 * cells  # few distinct values remain
    assert render_chart([with_lr(envelope)], width=70, height=16, log=log, color=False) == chart


def reference_spans(y, length: int, columns: int, log: bool, steps: bool):
    """column_spans point by point: the range of the line through the points over each column
    [c - 1/2, c + 1/2); a point, and the drop of a step, belong to the nearest column (ties right)."""
    y = np.asarray(y, dtype=np.float64)
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.log10(np.where(y > 0, y, np.nan))
    # Exact positions: a point on a column's edge is on it, as column_spans's integers say.
    scale = Fraction(columns - 1, length - 1) if length > 1 else Fraction(0)
    half = Fraction(1, 2)
    low, high = np.full(columns, np.inf), np.full(columns, -np.inf)

    def add(column, *values):
        low[column] = min(low[column], *values)
        high[column] = max(high[column], *values)

    def nearest(i):
        return (2 * i * (columns - 1) + (length - 1)) // (2 * (length - 1)) if length > 1 else 0

    for i, value in enumerate(y):
        if not math.isnan(value):
            add(nearest(i), value)
    for i in range(len(y) - 1):
        u, v = y[i], y[i + 1]
        if math.isnan(u) or math.isnan(v):
            continue
        if steps:  # u from point i's column to point i+1's, where the drop to v is
            for column in range(nearest(i), nearest(i + 1) + 1):
                add(column, u)
            continue
        a, b = i * scale, (i + 1) * scale
        for column in range(max(0, math.floor(a - 1)), min(columns, math.ceil(b + 1))):
            x0, x1 = max(a, column - half), min(b, column + half)
            # A line only touching the column's right edge starts in the next column.
            if x0 < x1 or x0 == x1 < column + half:
                add(column, u + (v - u) * float((x0 - a) / (b - a)), u + (v - u) * float((x1 - a) / (b - a)))
    return np.where(np.isfinite(low), low, np.nan), np.where(np.isfinite(high), high, np.nan)


RATES = st.one_of(st.floats(1e-6, 1.0), st.sampled_from([0.0, math.nan, 1e-3]))


@settings(max_examples=300, deadline=None)
@given(
    y=st.lists(RATES, min_size=1, max_size=120),
    extra=st.integers(0, 30),
    columns=st.integers(2, 90),
    log=st.booleans(),
    steps=st.booleans(),
)
def test_column_spans_match_a_point_by_point_reference(y, extra, columns, log, steps):
    length = len(y) + extra  # a shorter curve beside a longer one
    got = column_spans(np.array(y), length, columns, log=log, steps=steps)
    want = reference_spans(y, length, columns, log, steps)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12)


@st.composite
def curves(draw):
    count = draw(st.integers(1, 4))
    found = []
    for _ in range(count):
        y = draw(st.lists(RATES, min_size=1, max_size=200))
        changes = {}
        if draw(st.booleans()):
            ends = sorted(draw(st.lists(st.floats(0, len(y) + 2), min_size=1, max_size=3)))
            starts = [0.0, *ends[:-1]]
            changes["annotations"] = Annotations(
                phases=tuple(Phase(f"phase {i}", s, e) for i, (s, e) in enumerate(zip(starts, ends)))
            )
        if draw(st.booleans()):
            changes["series"] = {"metric": np.zeros(len(y))}
        label = draw(st.text(min_size=1, max_size=30))
        found.append(with_lr(y, label=label, **changes))
    return found


@settings(max_examples=200, deadline=None)
@given(
    curves=curves(),
    width=st.integers(1, 140),
    height=st.integers(1, 40),
    log=st.booleans(),
    per_epoch=st.one_of(st.none(), st.integers(1, 50)),
    title=st.one_of(st.none(), st.text(max_size=80)),
)
def test_every_chart_fits(curves, width, height, log, per_epoch, title):
    coloured = render_chart(curves, width=width, height=height, log=log, steps_per_epoch=per_epoch,
                            title=title)
    bare = render_chart(curves, width=width, height=height, log=log, steps_per_epoch=per_epoch,
                        title=title, color=False)
    assert "\x1b" not in bare and plain(coloured) == bare
    lines = lines_of(bare)
    assert len(lines) == height
    assert all(cell_len(line) <= width for line in lines), lines


def test_terminal_size_and_default_height(monkeypatch):
    monkeypatch.setenv("COLUMNS", "123")
    monkeypatch.setenv("LINES", "45")
    assert terminal_size() == (123, 45)
    assert [default_height(rows) for rows in (10, 24, 60)] == [8, 20, 20]


# --- issue 13: ticks on the command line ----------------------------------------------------------


def test_the_end_of_an_epoch_axis_reads_to_the_column_s_precision(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "24")
    result = cli("onecycle --max-lr 0.01 --epochs 20 --steps-per-epoch 50 --chart")
    assert result.code == 0 and result.stderr == ""
    labels = lines_of(result.stdout)[-1].split()
    assert labels == ["epoch", "0", "5", "10", "15", "20"]  # the last row is at epoch 19.98
    assert "19.98" not in result.stdout


@pytest.mark.parametrize("args,labels", [
    ("cosine --t-max 20", ["step", "0", "5", "10", "15", "20"]),
    ("cosine --t-max 999", ["step", "0", "200", "400", "600", "800", "999"]),
    ("cosine --t-max 1000000", ["step", "0", "200k", "400k", "600k", "800k", "1M"]),
])
def test_round_steps_and_the_last_one(cli, monkeypatch, args, labels):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "24")
    result = cli(f"{args} --chart")
    assert result.code == 0 and result.stderr == ""
    assert lines_of(result.stdout)[-1].split() == labels
    y = [line.split("┤")[0].strip() for line in lines_of(result.stdout) if "┤" in line]
    assert y[0] == "1e-3" and y[-1] == "0"


def test_a_log_chart_says_where_its_floor_is(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "90")
    monkeypatch.setenv("LINES", "24")
    result = cli("cosine --t-max 20 --log --chart")
    assert result.code == 0 and result.stderr == ""
    lines = lines_of(result.stdout)
    assert lines[-1] == "1 row at rate 0 is off the log scale; floor 6.16e-6 = the lowest positive rate"
    y = [line.split("┤")[0].strip() for line in lines if "┤" in line]
    assert y == ["1e-3", "1e-4", "1e-5", "5e-6"]
    assert "rate 0" not in cli("exponential --gamma 0.9 --steps 30 --log --chart").stdout


def test_the_tick_helpers_examples_hold():
    import doctest

    from lrplot.render import chart, labels, table, ticks

    for module in (ticks, table, chart, labels):
        assert doctest.testmod(module).failed == 0, module.__name__
