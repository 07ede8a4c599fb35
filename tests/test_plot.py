"""Plots: valid and byte-reproducible files, what each figure shows, and the envelope that keeps
long curves cheap without changing the picture."""

from __future__ import annotations

import io
import math
import os
import shlex
import subprocess
import sys
import tracemalloc
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from matplotlib.colors import to_rgb

import lrplot
from lrplot.records import replace
from lrplot.render import plot

ROOT = Path(__file__).resolve().parents[1]
VAL_ACC = [0.42, 0.55, 0.61, 0.64, 0.66, 0.665, 0.664, 0.667, 0.666, 0.70, 0.71, 0.709, 0.71,
           0.708, 0.707, 0.709, 0.71, 0.705, 0.711, 0.712]
SIGNATURES = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}


def onecycle():
    return lrplot.curve("onecycle", max_lr=0.01, total_steps=1000)


def plateau():
    return lrplot.curve("plateau", lr=1e-3, metrics=VAL_ACC, mode="max", patience=2,
                        min_lr=1e-6)


def three():
    return [
        lrplot.curve("cosine", lr=0.01, t_max=1000),
        lrplot.curve("exponential", lr=0.01, gamma=0.997, steps=1001),
        lrplot.curve("onecycle", max_lr=0.01, total_steps=1001, label="1cycle"),
    ]


def sample_figures():
    """The figures whose bytes must not depend on the process that drew them."""
    return {
        "onecycle": plot.figure([onecycle()]),
        "plateau": plot.figure([plateau()], log=True),
        "overlay": plot.figure(three(), title="three schedules"),
        "grid": plot.figure(three(), layout="grid", steps_per_epoch=100),
    }


def saved(fig, fmt: str) -> bytes:
    out = io.BytesIO()
    plot.save(fig, out, fmt)
    return out.getvalue()


def write_samples(folder: str) -> None:
    """Entry point for the subprocesses of test_bytes_do_not_depend_on_the_process."""
    for name, fig in sample_figures().items():
        for fmt in plot.FORMATS:
            Path(folder, f"{name}.{fmt}").write_bytes(saved(fig, fmt))
    Path(folder, "pyplot").write_text(str("matplotlib.pyplot" in sys.modules))
    Path(folder, "linewidth").write_text(str(matplotlib.rcParams["lines.linewidth"]))


@pytest.fixture(scope="module")
def figures():
    return sample_figures()


@pytest.fixture(scope="module")
def files(figures):
    """Each sample figure saved once in each format."""
    return {(name, fmt): saved(fig, fmt) for name, fig in figures.items() for fmt in plot.FORMATS}


# ---------------------------------------------------------------------------------------------
# Files


@pytest.mark.parametrize("fmt", plot.FORMATS)
@pytest.mark.parametrize("name", ["onecycle", "plateau", "overlay", "grid"])
def test_files_are_valid_and_the_same_when_saved_twice(figures, files, name, fmt):
    data = files[name, fmt]
    if fmt == "svg":
        assert ET.fromstring(data).tag.endswith("svg")
        assert b"<dc:date>" not in data
    else:
        assert data.startswith(SIGNATURES[fmt])
    if fmt == "pdf":
        assert b"CreationDate" not in data
    assert saved(figures[name], fmt) == data


def test_the_same_figure_built_twice_gives_the_same_bytes():
    first, second = plot.figure(three()), plot.figure(three())
    for fmt in plot.FORMATS:
        assert saved(first, fmt) == saved(second, fmt)


def test_bytes_do_not_depend_on_the_process(tmp_path, files):
    # Two fresh interpreters that differ in everything that could leak into the bytes: the
    # date a writer might stamp, str hashing (set order), and a user matplotlibrc that changes
    # the backend, the style and the SVG hash salt. Both must match this process exactly.
    hostile = tmp_path / "rc" / "matplotlibrc"
    hostile.parent.mkdir()
    hostile.write_text(
        "backend: svg\nlines.linewidth: 7\nfont.size: 23\naxes.facecolor: black\n"
        "svg.hashsalt: other\nsavefig.dpi: 300\nfigure.dpi: 50\naxes.grid: False\n"
        "axes.linewidth: 3\nxtick.direction: in\ntext.color: red\n"
    )
    runs = {"a": {"SOURCE_DATE_EPOCH": "0", "PYTHONHASHSEED": "1"},
            "b": {"SOURCE_DATE_EPOCH": "2000000000", "PYTHONHASHSEED": "2",
                  "MATPLOTLIBRC": str(hostile)}}
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); " \
           "from tests.test_plot import write_samples; write_samples(sys.argv[1])"
    procs = []
    for name, env in runs.items():
        (tmp_path / name).mkdir()
        procs.append(subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path / name)], cwd=tmp_path,
            env={**os.environ, **env}, stderr=subprocess.PIPE, text=True,
        ))
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    assert (tmp_path / "b" / "linewidth").read_text() == "7.0"  # the hostile rc was read
    for run in runs:
        assert (tmp_path / run / "pyplot").read_text() == "False"
        for (name, fmt), data in files.items():
            assert (tmp_path / run / f"{name}.{fmt}").read_bytes() == data, (run, name, fmt)


def test_a_simple_png_stays_small():
    data = saved(plot.figure([lrplot.curve("cosine", lr=0.1, t_max=20)]), "png")
    assert len(data) < 100_000


def test_global_matplotlib_settings_are_untouched(figures):
    before = dict(matplotlib.rcParams)
    saved(plot.figure([onecycle()]), "svg")
    assert dict(matplotlib.rcParams) == before


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="jpg"):
        plot.save(plot.figure([onecycle()]), io.BytesIO(), "jpg")
    with pytest.raises(ValueError, match="layout"):
        plot.figure(three(), layout="mosaic")
    with pytest.raises(ValueError, match="at least one"):
        plot.figure([])


# ---------------------------------------------------------------------------------------------
# What the figures show


def test_one_curve_has_labelled_axes_and_a_default_title():
    fig = plot.figure([lrplot.curve("cosine", lr=0.1, t_max=20)])
    (ax,) = fig.axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("step", "learning rate")
    assert fig.get_suptitle() == "cosine lr=0.1 t_max=20 (CosineAnnealingLR)"
    assert ax.get_legend() is None
    assert plot.figure([onecycle()], title="mine").get_suptitle() == "mine"


def epoch_axis(ax):
    """The secondary x axis on top of ``ax`` (matplotlib keeps it among the axes' children)."""
    from matplotlib.axes._secondary_axes import SecondaryAxis

    found = [child for child in ax.get_children() if isinstance(child, SecondaryAxis)]
    return found[0] if found else None


def test_steps_per_epoch_adds_an_epoch_axis_above_the_steps():
    curve = lrplot.curve("cosine", lr=0.1, t_max=99)
    fig = plot.figure([curve], steps_per_epoch=25)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "step"
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(100))
    top = epoch_axis(ax)
    assert top.get_xlabel() == "epoch (25 steps each)"
    ticks = [t for t in top.get_xticks() if 0 <= t <= 4]
    assert ticks == [0, 1, 2, 3, 4]  # whole epochs, at steps 0, 25, ...
    # A curve that knows its steps per epoch gets the epoch axis without being told again,
    # above the rate (the momentum panel below shares the steps).
    own = lrplot.curve("onecycle", max_lr=0.01, epochs=4, steps_per_epoch=25)
    rate, momentum = plot.figure([own]).axes[:2]
    assert momentum.get_xlabel() == "step" and epoch_axis(rate) is not None
    assert epoch_axis(momentum) is None
    # Without steps per epoch there is no epoch axis; with one step per epoch, steps are epochs.
    assert epoch_axis(plot.figure([curve]).axes[0]) is None
    single = plot.figure([curve], steps_per_epoch=1).axes[0]
    assert single.get_xlabel() == "epoch" and epoch_axis(single) is None


def test_overlay_and_grid_put_the_epoch_axis_on_top_only():
    overlay = plot.figure(three(), steps_per_epoch=100)
    assert overlay.axes[0].get_xlabel() == "step" and epoch_axis(overlay.axes[0]) is not None
    grid = plot.figure(three() + three()[:1], layout="grid", steps_per_epoch=100)
    assert [epoch_axis(ax) is not None for ax in grid.axes[:4]] == [True, True, False, False]


def test_curves_with_their_own_steps_per_epoch_share_only_epochs():
    per_epoch = lrplot.curve("exponential", gamma=0.9, steps=21, steps_per_epoch=1)
    per_batch = lrplot.curve("onecycle", max_lr=0.01, epochs=20, steps_per_epoch=50)
    fig = plot.figure([per_epoch, per_batch])
    ax = fig.axes[0]
    assert ax.get_xlabel() == "epoch" and epoch_axis(ax) is None
    assert ax.lines[1].get_xdata()[-1] == pytest.approx(999 / 50)


def test_log_makes_every_rate_axis_logarithmic(figures):
    assert plot.figure([onecycle()], log=True).axes[0].get_yscale() == "log"
    assert plot.figure([onecycle()]).axes[0].get_yscale() == "linear"
    assert figures["plateau"].axes[0].get_yscale() == "log"
    grid = plot.figure(three(), layout="grid", log=True)
    assert [ax.get_yscale() for ax in grid.axes] == ["log"] * 3


def test_several_curves_overlay_with_a_legend(figures):
    fig = figures["overlay"]
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["cosine", "exponential",
                                                                  "1cycle"]
    colors = {line.get_color() for line in ax.lines}
    assert len(colors) == 3
    assert fig.get_suptitle() == "three schedules"


def test_grid_has_one_axes_per_curve_sharing_both_scales(figures):
    axes = figures["grid"].axes
    assert [ax.get_title() for ax in axes] == ["cosine", "exponential", "1cycle"]
    for ax in axes[1:]:
        assert axes[0].get_shared_x_axes().joined(axes[0], ax)
        assert axes[0].get_shared_y_axes().joined(axes[0], ax)
    # Seven curves: a 3 x 3 grid with two empty slots removed, not left blank.
    seven = plot.figure(three() + three() + three()[:1], layout="grid")
    assert len(seven.axes) == 7


def test_onecycle_shows_phases_guides_and_a_momentum_panel(figures):
    fig = figures["onecycle"]
    rate, momentum = fig.axes
    assert momentum.get_ylabel() == "momentum"
    assert rate.get_shared_x_axes().joined(rate, momentum)
    np.testing.assert_array_equal(momentum.lines[0].get_ydata(),
                                  onecycle().series["momentum"])
    # Phases cover (start, end]: warm-up ends on the peak step 299, cool-down on the last row.
    spans = [(p.get_x(), p.get_x() + p.get_width()) for p in rate.patches]
    assert spans == [(0.0, 299.0), (299.0, 999.0)]
    names = {t.get_text().strip() for t in rate.texts}
    assert {"warm-up", "cool-down"} <= names
    assert len(momentum.patches) == 2
    guides = {line.get_ydata()[0] for line in rate.lines if line.get_linestyle() == "--"}
    assert guides == {0.01, 0.0004, 4e-08}
    assert {"max_lr 0.01", "initial_lr 4e-4", "min_lr 4e-8"} <= names


def test_phases_are_shaded_for_any_single_curve_that_has_them():
    one = plot.figure([lrplot.curve("onecycle", max_lr=0.01, total_steps=100,
                                    cycle_momentum=False, three_phase=True)])
    assert len(one.axes) == 1  # no momentum series: no panel
    assert len(one.axes[0].patches) == 3
    overlaid = plot.figure([onecycle(), onecycle()])
    assert len(overlaid.axes[0].patches) == 0


def test_plateau_shows_the_metric_on_a_twin_axis_and_marks_reductions(figures):
    curve = plateau()
    fig = plot.figure([curve])
    rate, twin = fig.axes
    assert twin.get_ylabel() == "metric"
    assert rate.get_shared_x_axes().joined(rate, twin)
    metric, best = twin.lines
    np.testing.assert_array_equal(metric.get_ydata(), VAL_ACC)
    np.testing.assert_array_equal(best.get_ydata(), np.maximum.accumulate(VAL_ACC))
    (marks,) = [line for line in rate.lines if line.get_marker() == "v"]
    events = curve.annotations.events
    assert events
    assert list(marks.get_xdata()) == [e.step for e in events]
    assert list(marks.get_ydata()) == [e.new for e in events]
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["learning rate", "reduction", "metric", "best metric so far"]


def test_plateau_counts_epochs_and_shades_its_cooldowns():
    curve = lrplot.curve("plateau", lr=1.0, metrics=[1.0] * 12, patience=0, cooldown=2, factor=0.5)
    # Cuts land at rows 2, 5, 8, 11; the metrics of the two epochs after each are not counted.
    assert [e.step for e in curve.annotations.events] == [2, 5, 8, 11]
    assert plot.cooldowns(curve) == [(2, 3), (5, 6), (8, 9), (11, 11)]
    fig = plot.figure([curve], steps_per_epoch=4)
    rate = fig.axes[0]
    assert rate.get_xlabel() == "epoch" and epoch_axis(rate) is None  # a row is an epoch
    spans = [(p.get_x(), p.get_x() + p.get_width()) for p in rate.patches]
    assert spans == [(2, 4), (5, 7), (8, 10)]  # the last one starts on the last row: nothing to span
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["learning rate", "reduction", "cooldown (bad epochs not counted)", "metric",
                      "best metric so far"]
    # No cooldown, no band.
    assert not plot.figure([plateau()]).axes[0].patches


def test_cosine_past_t_max_shows_where_it_turns():
    fig = plot.figure([lrplot.curve("cosine", lr=0.1, t_max=50, steps=150)])
    ax = fig.axes[0]
    assert [(p.get_x(), p.get_x() + p.get_width()) for p in ax.patches] == [(0, 50), (50, 149)]
    assert {"annealing", "past t_max"} <= {t.get_text().strip() for t in ax.texts}


def test_grid_titles_wrap_and_never_overlap():
    specs = [("step", {"step_size": 30}), ("multistep", {"milestones": [30, 80]}),
             ("linear", {"start_factor": 0.1, "total_iters": 20}),
             ("polynomial", {"total_iters": 100, "power": 2.0}),
             ("cosine-restarts", {"t_0": 10, "t_mult": 2}),
             ("cyclic", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 10})]
    curves = [lrplot.curve(name, lr=0.1, steps=100, **params) for name, params in specs]
    long = [lrplot.curve(n, steps=100, label=f"{n} " + "with a very long label " * 4, **p)
            for n, p in specs]
    for group in (curves, long):
        fig = plot.figure(group, layout="grid")
        renderer = fig.canvas.get_renderer()
        boxes = [ax.title.get_window_extent(renderer) for ax in fig.axes]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not a.overlaps(b), (a, b)
        assert all(ax.title.get_text().count("\n") <= 1 for ax in fig.axes)
    assert plot.fit_title("a b", 100, 8) == "a b"
    assert plot.fit_title("word " * 40, 100, 8).endswith("…")


def test_best_metric_so_far_skips_nan():
    curve = lrplot.curve("plateau", lr=0.1, metrics=[3.0, float("nan"), 2.0, 2.5, 1.0])
    best = plot.figure([curve]).axes[1].lines[1].get_ydata()
    np.testing.assert_array_equal(best, [3.0, 3.0, 2.0, 2.0, 1.0])


# ---------------------------------------------------------------------------------------------
# The envelope


def brute_force_extremes(y: np.ndarray, width: int) -> list[tuple[float, float]]:
    out = []
    for start in range(0, len(y), width):
        column = y[start : start + width]
        finite = column[~np.isnan(column)]
        out.append((finite.min(), finite.max()) if finite.size else (math.nan, math.nan))
    return out


def picked_extremes(index: np.ndarray, ys: np.ndarray, n: int, width: int):
    out = []
    for start in range(0, n, width):
        picked = ys[(index >= start) & (index < start + width)]
        finite = picked[~np.isnan(picked)]
        out.append((finite.min(), finite.max()) if finite.size else (math.nan, math.nan))
    return out


values = st.one_of(st.floats(-1e6, 1e6), st.just(math.nan))


@settings(max_examples=200, deadline=None)
@given(y=arrays(np.float64, st.integers(1, 300), elements=values), columns=st.integers(1, 40))
def test_envelope_keeps_each_columns_extremes_and_the_ends(y, columns):
    xs, ys = plot.envelope(0.0, 1.0, y, columns)
    index = xs.astype(np.intp)
    assert np.array_equal(index, xs)
    assert np.all(np.diff(index) > 0)  # original order, no point twice
    assert index[0] == 0 and index[-1] == len(y) - 1
    np.testing.assert_array_equal(ys, y[index])  # only original points, unchanged
    width = max(1, len(y) // columns)  # at least `columns` columns, none wider than 1/columns
    np.testing.assert_array_equal(picked_extremes(index, ys, len(y), width),
                                  brute_force_extremes(y, width))
    assert len(xs) <= 4 * math.ceil(len(y) / width)


def test_envelope_of_a_long_random_curve_matches_brute_force():
    rng = np.random.default_rng(7)
    y = rng.standard_normal(100_003)
    xs, ys = plot.envelope(5.0, 0.5, y, 960)
    index = np.rint((xs - 5.0) / 0.5).astype(np.intp)
    np.testing.assert_array_equal(xs, 5.0 + 0.5 * index)
    assert (xs[0], ys[0], xs[-1], ys[-1]) == (5.0, y[0], 5.0 + 0.5 * 100_002, y[-1])
    width = len(y) // 960
    assert picked_extremes(index, ys, len(y), width) == brute_force_extremes(y, width)


def test_envelope_of_a_short_curve_is_the_curve():
    y = np.array([0.3, 0.1, 0.2])
    xs, ys = plot.envelope(0.0, 2.0, y, 10)
    assert xs.tolist() == [0.0, 2.0, 4.0] and ys.tolist() == y.tolist()


def test_nan_is_skipped_inside_a_column_and_a_column_of_nan_stays_a_gap():
    nan = math.nan
    y = np.array([5.0, *[nan] * 10, 1.0, nan, 3.0, nan, 2.0, 7.0])
    xs, ys = plot.envelope(0.0, 1.0, y, 3)  # columns 0-4, 5-9, 10-14, and 15-16
    assert xs.tolist() == [0.0, 5.0, 9.0, 11.0, 13.0, 15.0, 16.0]
    assert ys[0] == 5.0 and np.isnan(ys[1:3]).all()  # the all-NaN column breaks the line
    assert ys[3:].tolist() == [1.0, 3.0, 2.0, 7.0]  # lone NaN inside a column: stepped over


def test_long_curves_draw_a_bounded_number_of_points():
    # The proxy for "constant time": what matplotlib draws does not grow with the curve.
    limit = 6 * plot.SIZE[0] * plot.DPI
    for steps in (100_000, 2_000_000):
        fig = plot.figure([lrplot.curve("onecycle", max_lr=0.01, total_steps=steps)])
        rate, momentum = fig.axes
        assert len(rate.lines[0].get_xdata()) < limit
        assert len(momentum.lines[0].get_xdata()) < limit


def test_long_curves_are_never_copied():
    curve = lrplot.curve("cosine", t_max=50, steps=2_000_000)
    tracemalloc.start()
    try:
        saved(plot.figure([curve]), "png")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < curve.lr.nbytes / 2  # a single copy of the rates would be twice this


def rgba(fig) -> np.ndarray:
    with plot.house_style():
        fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).astype(np.int16)


def grow(mask: np.ndarray) -> np.ndarray:
    """``mask`` dilated by one pixel in all eight directions."""
    rows = mask.copy()
    rows[1:] |= mask[:-1]
    rows[:-1] |= mask[1:]
    out = rows.copy()
    out[:, 1:] |= rows[:, :-1]
    out[:, :-1] |= rows[:, 1:]
    return out


def test_the_envelope_draws_the_same_picture_as_every_point():
    # 200,000 steps of a cosine with a 100-step period: about two periods per pixel column, so
    # the full line fills a band that only its envelope can draw in constant time.
    curve = lrplot.curve("cosine", t_max=50, steps=200_000)
    reduced = plot.figure([curve])
    full = plot.build([curve], decimate=False)
    bare = plot.build([curve], decimate=False)
    bare.axes[0].lines[0].set_visible(False)
    assert len(reduced.axes[0].lines[0].get_xdata()) < 10_000
    assert len(full.axes[0].lines[0].get_xdata()) == 200_000
    got, want, background = rgba(reduced), rgba(full), rgba(bare)
    differs = np.abs(got - want).max(axis=2)

    # Criterion: a pixel is *settled* when it and its eight neighbours are all fully covered by
    # the line (exactly the line colour: it is opaque) or all untouched by it (exactly the
    # picture without the line). Everything else is the anti-aliased rim of the line, where
    # the coverage of a sub-pixel edge depends on which points drew it. The envelope may differ
    # there; every settled pixel must be the same (up to 2/255 of rounding). Missing or extra
    # ink anywhere more than a pixel from the rim would show up as a settled difference.
    line = np.round(np.array(to_rgb(reduced.axes[0].lines[0].get_color())) * 255)
    solid = (want[..., :3] == line).all(axis=2)
    untouched = (want == background).all(axis=2)
    settled = ~grow(~solid) | ~grow(~untouched)
    assert solid.mean() > 0.3  # the band really is there: the test is not vacuous
    assert differs[settled].max(initial=0) <= 2
    assert (differs == 0).mean() >= 0.99


# --- issue 13: phase names, ticks, titles (each through the command line too) --------------------


def figure_of(cli, monkeypatch, args):
    """Run the command line and keep the figure it saved."""
    kept = []
    save = plot.save

    def keep(fig, out, fmt):
        kept.append(fig)
        save(fig, out, fmt)

    monkeypatch.setattr(plot, "save", keep)
    result = cli(args)
    return result, (kept[0] if kept else None)


def visible(labels, axis_range) -> list[str]:
    low, high = sorted(axis_range)
    return [t.get_text() for t in labels if low <= t.get_position()[0] <= high and t.get_text()]


def x_labels(ax) -> list[str]:
    return visible(ax.get_xticklabels(), ax.get_xlim())


def y_labels(ax) -> list[str]:
    low, high = sorted(ax.get_ylim())
    return [t.get_text() for t in ax.get_yticklabels() if low <= t.get_position()[1] <= high and t.get_text()]


def assert_phase_names_apart(fig, curve) -> None:
    """After drawing: every phase is named (in full or abbreviated), no two names overlap, each
    lies inside the axes and starts or ends inside its own band, and the curve passes below it."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    texts = [t for t in ax.texts if t.get_gid() == plot.PHASE_NAME_GID]
    phases = [p for p in curve.annotations.phases if max(p.start, 0) < min(p.end, len(curve) - 1)]
    assert len(texts) == len(phases)
    box = ax.get_window_extent(renderer)
    to_px = ax.transData.transform
    shown = []
    for text, phase in zip(texts, phases):
        assert text.get_visible(), phase.name
        extent = text.get_window_extent(renderer)
        name = text.get_text()
        assert name == phase.name or (name.endswith("…") and phase.name.startswith(name[:-1])), name
        assert box.x0 <= extent.x0 and extent.x1 <= box.x1 + 0.5 and extent.y1 <= box.y1 + 0.5, name
        start, end = (to_px((x, 0))[0] for x in (max(phase.start, 0), min(phase.end, len(curve) - 1)))
        assert extent.x0 < end and extent.x1 > start, (name, extent.x0, extent.x1, start, end)
        rows = np.arange(len(curve))
        px = to_px(np.column_stack((rows, np.maximum(curve.lr, 1e-300))))
        under = px[(px[:, 0] >= extent.x0) & (px[:, 0] <= extent.x1), 1]
        assert not under.size or under.max() <= extent.y0 + 1, name  # the curve passes below it
        shown.append((name, extent))
    for i, (a, box_a) in enumerate(shown):
        for b, box_b in shown[i + 1:]:
            assert not box_a.overlaps(box_b), (a, b)
    assert shown, "every phase name hidden"


PHASE_CASES = [
    pytest.param(dict(max_lr=0.1, total_steps=steps, pct_start=pct, three_phase=three),
                 id=f"1cycle-{steps}-{pct}-{three}")
    for steps in (100, 1000) for pct in (0.01, 0.03, 0.05, 0.1, 0.3, 0.5, 0.9, 0.97)
    for three in (False, True) if not (three and pct > 0.5) and pct * steps > 2
]
WARM_UPS = [1, 2, 5, 10, 30]


@pytest.mark.parametrize("params", PHASE_CASES)
def test_onecycle_phase_names_never_collide(params):
    curve = lrplot.curve("onecycle", **params)
    assert_phase_names_apart(plot.figure([curve]), curve)


@pytest.mark.parametrize("warmup", WARM_UPS)
def test_warm_up_names_never_collide(warmup):
    curve = lrplot.curve("cosine", t_max=295, warmup_steps=warmup)
    assert_phase_names_apart(plot.figure([curve]), curve)


@pytest.mark.parametrize("name,params", [
    # Eight restarts, the first ones a few pixels wide: three rows of names.
    ("keras.cosine-decay-restarts", dict(initial_learning_rate=0.1, first_decay_steps=10, t_mul=2,
                                         m_mul=0.8, alpha=0.01, steps=2000)),
    # A warm-up and a cooldown of a hundredth of the run each, the cooldown at the right edge.
    ("timm.create-scheduler-v2", dict(lr=0.1, sched="cosine", num_epochs=300, warmup_epochs=1,
                                      cooldown_epochs=2, sched_on_updates=True, updates_per_epoch=100)),
    ("sequential", dict(lr=0.1, milestones=[2, 4], schedules=[
        {"type": "linear", "start_factor": 0.1, "total_iters": 2},
        {"type": "constant", "factor": 0.5, "total_iters": 2},
        {"type": "onecycle", "max_lr": 1.0, "total_steps": 300, "pct_start": 0.01}])),
])
def test_many_narrow_phases_stay_named_and_apart(name, params):
    curve = lrplot.curve(name, **params)
    assert len(curve.annotations.phases) >= 3
    assert_phase_names_apart(plot.figure([curve]), curve)


PHASED = [s for s in lrplot.registry.all_schedules().values() if not s.yaml_only]


@pytest.mark.parametrize("schedule", PHASED, ids=[s.key for s in PHASED])
def test_phase_names_of_every_schedule_never_collide(cli, in_tmp, monkeypatch, schedule):
    args = [*shlex.split(schedule.example), "-o", "x.png"]
    result, fig = figure_of(cli, monkeypatch, args)
    assert result.code == 0, result.stderr
    if fig is None or len(fig.axes) == 0:
        return
    spec_curve = _curve_from_json(cli, [*shlex.split(schedule.example), "-o", "x.json"], in_tmp)
    if spec_curve is not None and len(spec_curve.annotations.phases) > 1:
        assert_phase_names_apart(fig, spec_curve)


def _curve_from_json(cli, args, folder):
    """The curve a command draws, rebuilt from its JSON (rates and phases)."""
    import json as _json

    from lrplot.engine import Curve
    from lrplot.registry import Annotations, Phase

    result = cli(args)
    if result.code != 0:
        return None
    (data,) = _json.loads((folder / "x.json").read_text())["schedules"][:1]
    phases = tuple(Phase(p["name"], p["start"], p["end"]) for p in data["phases"])
    return Curve(data["label"], data["schedule"], {}, np.array(data["series"]["lr"], dtype=float),
                 annotations=Annotations(phases=phases))


def test_the_issue_s_narrow_phases_on_the_command_line(cli, in_tmp, monkeypatch):
    for args, curve in [
        ("onecycle --max-lr 0.1 --total-steps 1000 --pct-start 0.03 -o oc.png",
         lrplot.curve("onecycle", max_lr=0.1, total_steps=1000, pct_start=0.03)),
        ("cosine --t-max 295 --warmup-steps 5 -o cw.png", lrplot.curve("cosine", t_max=295, warmup_steps=5)),
    ]:
        result, fig = figure_of(cli, monkeypatch, args)
        assert result.code == 0 and result.stdout == ""
        assert result.stderr == f"Wrote {args.split()[-1]}\n"
        assert_phase_names_apart(fig, curve)


@pytest.mark.parametrize("args,xs", [
    ("cosine --t-max 20", ["0", "5", "10", "15", "20"]),
    ("cosine --t-max 999", ["0", "250", "500", "750", "999"]),
    ("cosine --t-max 1000000", ["0", "250k", "500k", "750k", "1M"]),
    ("cosine --t-max 1048575", ["0", "250k", "500k", "750k", "1,048,575"]),
])
def test_x_ticks_are_round_and_mark_the_last_step(cli, in_tmp, monkeypatch, args, xs):
    result, fig = figure_of(cli, monkeypatch, [*args.split(), "-o", "x.png"])
    assert result.code == 0 and result.stdout == "" and result.stderr == "Wrote x.png\n"
    ax = fig.axes[0]
    assert x_labels(ax) == xs
    assert ax.yaxis.get_offset_text().get_text() == ""  # no x10^-3 over the axis
    assert y_labels(ax) == ["0", "2e-4", "4e-4", "6e-4", "8e-4", "1e-3"]


def test_rates_from_0_01_up_are_decimals(cli, in_tmp, monkeypatch):
    result, fig = figure_of(cli, monkeypatch, "cosine --lr 0.1 --t-max 20 -o x.png")
    assert result.code == 0 and result.stderr == "Wrote x.png\n"
    assert y_labels(fig.axes[0]) == ["0", "0.02", "0.04", "0.06", "0.08", "0.1"]


def test_log_with_a_rate_of_0_floors_at_the_smallest_positive_rate(cli, in_tmp, monkeypatch):
    result, fig = figure_of(cli, monkeypatch, "cosine --t-max 20 --log -o x.png")
    assert result.code == 0 and result.stdout == "" and result.stderr == "Wrote x.png\n"
    ax = fig.axes[0]
    lr = lrplot.curve("cosine", t_max=20).lr
    smallest = lr[lr > 0].min()
    low, high = ax.get_ylim()
    assert smallest / 2 < low < smallest and lr.max() < high < 2 * lr.max()
    (note,) = [t.get_text() for t in ax.get_legend().get_texts()]
    assert note == "1 row at rate 0 is off the log scale; floor 6.16e-6 = the lowest positive rate"
    assert y_labels(ax)[-1] == "1e-3" and all("e" in label for label in y_labels(ax))


def test_titles_say_the_parameters_and_the_warm_up(cli, in_tmp, monkeypatch):
    result, fig = figure_of(cli, monkeypatch, "cosine --t-max 295 --warmup-steps 5 -o x.png")
    assert result.code == 0 and result.stdout == "" and result.stderr == "Wrote x.png\n"
    assert fig.get_suptitle() == "cosine t_max=295 + warm-up 5 (CosineAnnealingLR)"
    args = "cosine --t-max 20 --warmup-steps 3 --warmup-start-factor 0.1 -o x.png"
    result, fig = figure_of(cli, monkeypatch, args)
    assert fig.get_suptitle() == "cosine t_max=20 + warm-up 3 from 0.1× (CosineAnnealingLR)"
    result, fig = figure_of(cli, monkeypatch, "cosine --t-max 20 --label mine -o x.png")
    assert fig.get_suptitle() == "mine (CosineAnnealingLR)"
    result, fig = figure_of(cli, monkeypatch, "hf linear --num-training-steps 100 -o x.png")
    assert result.code == 0, result.stderr
    # Trainer's warm-up steps, derived from its ratio, were not given: not in the title.
    assert fig.get_suptitle() == "hf linear num_training_steps=100 (get_linear_schedule_with_warmup)"
    args = "onecycle --max-lr 0.01 --epochs 20 --steps-per-epoch 50 -o x.png"
    result, fig = figure_of(cli, monkeypatch, args)
    assert fig.get_suptitle() == "onecycle max_lr=0.01 epochs=20 (OneCycleLR)"


def test_legends_write_the_warm_up_as_such(cli, in_tmp, monkeypatch):
    args = ["compare", "cosine --t-max 20 --warmup-steps 5", "cosine --t-max 20", "-o", "x.png"]
    result, fig = figure_of(cli, monkeypatch, args)
    assert result.code == 0 and result.stdout == "" and result.stderr == "Wrote x.png\n"
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts == ["cosine t_max=20 + warm-up 5", "cosine t_max=20"]


def test_the_metric_axis_is_named_by_its_column(cli, in_tmp, monkeypatch):
    args = "plateau --metrics val_acc.csv --column val_acc --mode max --patience 2 -o x.png"
    result, fig = figure_of(cli, monkeypatch, args)
    assert result.code == 0 and result.stdout == "" and result.stderr == "Wrote x.png\n"
    rate, twin = fig.axes
    assert twin.get_ylabel() == "val_acc"
    handles = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert "val_acc" in handles and "best val_acc so far" in handles
    assert fig.get_suptitle().startswith("plateau metrics=val_acc.csv column=val_acc mode=max patience=2")
    result, fig = figure_of(cli, monkeypatch, "plateau --metrics val.txt -o x.png")
    assert fig.axes[1].get_ylabel() == "metric"  # a file without columns names none


def test_a_sparse_training_log_is_drawn_through_its_logged_rows(tmp_path):
    """Rows between logged steps are NaN: the line joins the logged ones instead of vanishing."""
    curve = lrplot.curve("cosine", t_max=999, steps=1000)
    lr = np.full(1000, np.nan)
    lr[9::10] = curve.lr[9::10]
    sparse = replace(curve, lr=lr)
    fig = lrplot.figure([sparse])
    line = fig.axes[0].get_lines()[0]
    xs, ys = line.get_xdata(), line.get_ydata()
    assert len(xs) == 100 and np.isfinite(ys).all()
    assert xs[0] == 9 and xs[-1] == 999
