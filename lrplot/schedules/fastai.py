"""fastai's schedules: Learner.fit_one_cycle, fit_flat_cos and fit_sgdr (fastai.callback.schedule).

Each ``fit_*`` hands ``ParamScheduler`` a function of the training position: ``combine_scheds``
splits [0, 1] into phases and anneals inside each one with ``SchedCos``. The Learner calls it
before every training batch at ``pct_train``, so **row t is the rate of training batch t** (and,
for fit_one_cycle, the momentum of that batch): what ``learn.opt.hypers[0]['lr']`` holds while
the batch trains, and what ``learn.recorder.hps`` records. A run has n_epoch x steps_per_epoch
batches (``len(dls.train)`` batches an epoch); with ``start_epoch`` the rows begin at that epoch.

Three pieces of fastai arithmetic decide every value, and lrplot reproduces each exactly:

1. The position. ``TrainEvalCallback`` sets ``pct_train = epoch / n_epoch`` before each epoch and
   adds ``1. / (n_iter * n_epoch)`` after every batch, in Python floats: batch j of epoch e sits at
   e/E + d + ... + d (j additions, each rounded), not at (e·K + j)/(E·K). See :func:`train_positions`.
2. The phase, in float32. ``combine_scheds`` holds the phase ends as a float32 tensor (fastai's
   ``tensor()`` turns float64 into float32, whatever torch's default dtype): the cumulative sum of
   the fractions (accumulated in double by torch on the CPU, each end rounded to float32). The
   position is compared and subtracted in float32: phase i is the last with f32(pos) >= c_i, and
   p = f32(f32(f32(pos) − c_i) / f32(c_{i+1} − c_i)). See :func:`phase_positions`.
3. The value, in float64: ``SchedCos(a, b)(p) = a + (1 + cos(π·(1 − p)))·(b − a)/2`` on Python
   floats and numpy float64.

So the rates are float64 numbers computed at float32 positions: lrplot's curve equals fastai's
batch by batch (to an ulp of ``cos``), and both differ from the ideal formula at position t/N by
float32 round-off (up to ~1e-7 of the rate's range). No fastai setting computes the positions in
float64. Over long ranges (``lr_range``, ``series_range``) the positions are the same floats,
walked once for a curve's rate and momentum (:func:`combined_rows`), and the cosine is a
polynomial per chunk of rows (:func:`_sched_cos_rows`): a few ulps of the phase's levels from
numpy's cos, not bit-identical.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache, partial
from typing import Any, NamedTuple

import numpy as np

from lrplot.params import Integer, Invalid, Param, Real
from lrplot.registry import Annotations, Context, Phase, Schedule, register
from lrplot.schedules._writer import writer

# Learner(lr=defaults.lr): the rate fit_* use when lr_max (or lr) is not given.
DEFAULT_LR = 1e-3
# Learner(moms=...): the momenta fit_one_cycle cycles when moms is not given.
DEFAULT_MOMS = (0.95, 0.85, 0.95)
# Below this many batches, consecutive batches are more than 4 float32 ulps apart in position,
# so they never share a float32 phase position (their rates differ); above it lrplot checks.
SHARED_FROM = 1 << 22
# Rows per chunk of a long range: a chunk's positions and its float64 temporaries stay in the L2
# cache, and numpy's cost per call is small beside the chunk's work. COUNTS: 0, 1, ..., CHUNK − 1,
# the offsets of a chunk's rows.
CHUNK = 1 << 15
COUNTS = np.arange(CHUNK, dtype=np.float64)
COUNTS.flags.writeable = False


class Reals(Param):
    """A fixed number of floats: '0.95,0.85,0.95' on the command line, a list in YAML."""

    options = {"length": 3, "ge": None, "le": None}
    metavar = "FLOAT,FLOAT,FLOAT"

    def allowed(self) -> str:
        bounds = ""
        if self.ge is not None and self.le is not None:
            bounds = f", each in [{self.ge:g}, {self.le:g}]"
        return f"{self.length} comma-separated numbers{bounds}"

    def parse(self, raw: Any) -> tuple[float, ...]:
        if isinstance(raw, str):
            items: list[Any] = raw.split(",")
        elif isinstance(raw, (list, tuple, np.ndarray)):
            items = list(raw)
        else:
            raise self._bad(raw)
        each = Real(self.name, self.help, ge=self.ge, le=self.le)
        try:
            values = tuple(each.parse(item) for item in items)
        except Invalid:
            raise self._bad(raw) from None
        if len(values) != self.length:
            raise self._bad(raw)
        return values


# --- 1. where each batch sits: Learner.pct_train ------------------------------------------------


def train_positions(g: np.ndarray, *, n_epoch: int, steps_per_epoch: int) -> np.ndarray:
    """``pct_train`` of training batch g (counted from the first batch of epoch 0), exactly.

    Batch j of epoch e = g // K: pos = e/E, then j times pos = fl(pos + d) with d = 1./(K·E).
    Inside one binade of float64 every such sum rounds by the same step (pos stays on the grid
    of the binade's ulp u, so fl(pos + d) = pos + D with D = d rounded to a multiple of u; on a
    tie, to an even multiple once pos is even), so pos_j = fl(e/E + d) + (j − 1)·D exactly while
    pos_j stays in the binade of e/E. The few epochs that cross a binade (epoch 0 crosses many)
    are walked binade by binade (:func:`_walk`).

    >>> train_positions(np.arange(4.0), n_epoch=2, steps_per_epoch=2)
    array([0.  , 0.25, 0.5 , 0.75])
    """
    g = np.asarray(g, dtype=np.float64)
    per_epoch, epochs = int(steps_per_epoch), int(n_epoch)
    epoch = np.floor_divide(g, per_epoch)
    j = g - epoch * per_epoch
    start, first, step, top = _epoch_steps(epoch, per_epoch, epochs)
    with np.errstate(invalid="ignore"):
        pos = np.where(j == 0, start, first + (j - 1) * step)
    bad = (j >= 2) & ~(pos <= top)
    if bad.any():
        d = 1.0 / (per_epoch * epochs)
        for e in sorted(set(epoch[bad].tolist())):  # not np.unique: it imports numpy.ma (~6 ms)
            rows = bad & (epoch == e)
            low = int(j[rows].min())
            walked = _walk(e / epochs, d, int(j[rows].max()) + 1, low)
            pos[rows] = walked[j[rows].astype(np.int64) - low]
    return pos


def _sum_step(d: float, exponent: int) -> tuple[float, bool]:
    """(D, tie): fl(x + d) = x + D for an even x (last bit 0) in the binade [2^(e−1), 2^e) of
    frexp exponent e, as long as the sum stays in it: d rounded to a multiple of the binade's ulp.
    tie: d is an odd number of half-ulps; round-half-even then moves an odd x by the other
    multiple, after which x is even."""
    ulp = math.ldexp(1.0, exponent - 53)
    units = d / ulp
    whole = math.floor(units)
    frac = units - whole
    if frac == 0.5:
        return (whole + whole % 2) * ulp, True
    return (whole + (frac > 0.5)) * ulp, False


def _epoch_steps(epoch: np.ndarray, per_epoch: int, epochs: int):
    """For each epoch: its start e/E, its second position fl(e/E + d) (even, after a tie), the
    step D of the sums after it, and the top of the binade of e/E (the sums are exact up to it).
    Epoch 0 (start 0, crossing every binade up to its end) gets top = −inf: it is always walked."""
    d = 1.0 / (per_epoch * epochs)
    start = epoch / epochs
    first = start + d
    _, exponent = np.frexp(start)
    if not exponent.size:
        return start, first, start, start
    low = int(exponent.min())
    found = range(low, int(exponent.max()) + 1)
    steps = np.array([_sum_step(d, e)[0] for e in found])
    tops = np.array([math.ldexp(1.0, e) for e in found])
    step = steps[exponent - low]
    top = np.where(start > 0, tops[exponent - low], -np.inf)
    return start, first, step, top


def _walk(start: float, d: float, count: int, begin: int = 0, out: np.ndarray | None = None) -> np.ndarray:
    """Positions begin..count−1 of an epoch that starts at ``start`` (into ``out``, float64 or
    float32, else a new float64 array), by the binades they cross: in each, the constant step of
    :func:`_sum_step`; across a binade's top (and on an odd value in a tie binade), the one Python
    addition fastai makes. Only the rows asked for are computed: the binades before them cost a
    few scalar operations each."""
    out = np.empty(count - begin) if out is None else out
    x = start  # at the top of the loop: the position of batch i − 1

    def put(low: int, high: int, step: float) -> None:
        """Batches low..high−1 (those asked for) at x + (k − i + 1)·step, a piece at a time. Every
        term is a whole number of the binade's ulps, so the sums are exact in any order."""
        low = max(low, begin)
        if high <= low:
            return
        width = min(CHUNK, high - low)
        offsets = np.multiply(COUNTS[:width], step, out=scratch[:width])  # the same in every piece
        for a in range(low, high, CHUNK):
            b = min(a + CHUNK, high)
            np.add(offsets[: b - a], x + (a - i + 1) * step, out=out[a - begin : b - begin],
                   casting="same_kind")

    scratch = np.empty(min(CHUNK, max(count - begin, 0)))

    if begin == 0:
        out[0] = x
    i = 1
    while i < count:
        if x == 0.0:
            x, i = d, i + 1
            if i - 1 >= begin:
                out[i - 1 - begin] = x
            continue
        _, exponent = math.frexp(x)
        step, tie = _sum_step(d, exponent)
        ulp = math.ldexp(1.0, exponent - 53)
        odd = round(x / ulp) % 2 == 1
        if step == 0.0 and not (tie and odd):  # d is at most half an ulp: the sum stops moving
            out[max(i - begin, 0):] = x
            break
        room = 0 if tie and odd else round((math.ldexp(1.0, exponent) - x) / ulp) // round(step / ulp)
        if room == 0:
            x, i = x + d, i + 1
            if i - 1 >= begin:
                out[i - 1 - begin] = x
            continue
        take = min(room, count - i)
        put(i, i + take, step)
        x, i = x + take * step, i + take
    return out


# --- 2. which phase, and where in it: combine_scheds in float32 -----------------------------------


def phase_ends(pcts: Sequence[float]) -> np.ndarray:
    """``combine_scheds``' phase ends: ``torch.cumsum(tensor([0] + pcts), 0)``, a float32 tensor
    (fractions rounded to float32, summed in double by torch's CPU kernel, each end rounded)."""
    fractions = np.array([0.0, *pcts], dtype=np.float32).astype(np.float64)
    return np.cumsum(fractions).astype(np.float32)


def phase_positions(pos: np.ndarray, pcts: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """(phase index, position inside the phase as float64) for each training position, as
    ``combine_scheds``' ``_inner`` computes them in float32: idx = min(last i with f32(pos) >= c_i,
    phases − 1), p = f32(f32(f32(pos) − c_idx) / f32(c_{idx+1} − c_idx)).

    >>> phase_positions(np.array([0.0, 0.3, 0.65]), [0.3, 0.7])[0]
    array([0, 1, 1])
    """
    ends = phase_ends(pcts)
    x = np.asarray(pos, dtype=np.float64).astype(np.float32)
    idx = np.minimum(np.searchsorted(ends, x, side="right") - 1, len(pcts) - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        inside = (x - ends[idx]) / (ends[idx + 1] - ends[idx])
    return idx, inside.astype(np.float64)


# --- 3. the annealing: SchedCos in float64 ------------------------------------------------------


def sched_cos(start, end, p: np.ndarray) -> np.ndarray:
    """``sched_cos(start, end, pos) = start + (1 + cos(π·(1 − pos)))·(end − start)/2``, in
    fastai's order of operations."""
    return start + (1 + np.cos(np.pi * (1 - p))) * (end - start) / 2


def _combined(t: np.ndarray, pcts: Sequence[float], levels: Sequence[tuple[float, float]], *,
              n_epoch: int, steps_per_epoch: int, first_epoch: int) -> np.ndarray:
    """The value of ``combine_scheds(pcts, [SchedCos(a, b) for a, b in levels])`` at the
    position of row t (training batch first_epoch·K + t)."""
    g = np.asarray(t, dtype=np.float64) + first_epoch * steps_per_epoch
    pos = train_positions(g, n_epoch=n_epoch, steps_per_epoch=steps_per_epoch)
    idx, p = phase_positions(pos, pcts)
    starts = np.array([a for a, _ in levels])
    ends = np.array([b for _, b in levels])
    return sched_cos(starts[idx], ends[idx], p)


# --- the same, over long row ranges (Schedule.lr_range and series_range) ---------------------------
#
# A long range is walked once, a piece of rows at a time, so that every temporary stays in the
# CPU's cache and every series of the curve (fit_one_cycle's rate and momentum) comes from the same
# pass: a piece of float32 positions (positions32), then for each chunk of it the phase positions
# p (in float32, as combine_scheds) and sched_cos's factor 1 + cos(π(1 − p)) = 1 − cos(πp) into a
# buffer (a curve of one series takes its values straight from the polynomial, its coefficients
# scaled); a helper thread then writes each series a + factor·(b − a)/2 of the piece into the
# outputs while the next piece is computed (_walk_range). numpy's cos would cost more than all the
# rest together, so inside a chunk the factor is a polynomial in p: with m the chunk's middle
# position and u = p − m,
#     1 − cos(π(m + u)) = 1 − cos(πm)·cos(πu) + sin(πm)·sin(πu),
# where cos(πu) and sin(πu) are Chebyshev interpolants on |u| <= the chunk's half-width (a chunk
# spans at most a few hundredths of a phase). That factor is within a few ulps of 2 of numpy's; equal
# positions still give equal factors (one polynomial a chunk, and a run of equal positions that
# crosses chunks keeps its first value); the first and last positions of each phase take numpy's
# cos, so a phase starts exactly at its level.

# Rows of float32 positions computed at a time (1 MiB, in the L2 cache), and handed to the helper
# thread together: long enough that the two threads take Python's lock from each other rarely.
PIECE = 1 << 18
# The interpolants' bound on their error (of cos(πu) and sin(πu)), and their highest degree: a
# phase whose chunks are too wide for it (a short range) takes numpy's cos.
POLY_ERROR = 2.0**-54
MAX_DEGREE = 8
# Over a long range a phase's rows are within a few ulps of its levels of fastai's: a range takes
# the polynomial for a phase whose levels are at most this many times the largest value of the
# series in the range (else the rows, say the tail of a cosine towards lr_max/div_final, would
# differ by more than their round-off), and numpy's cos for the others.
FAST_LEVELS = 16.0


def positions32(g0: int, n: int, *, n_epoch: int, steps_per_epoch: int,
                out: np.ndarray | None = None) -> np.ndarray:
    """f32(pct_train) of the training batches g0..g0+n−1 (what combine_scheds compares), epoch
    by epoch: the sums of :func:`train_positions` broadcast over blocks of whole epochs (or
    pieces of a long one), each rounded once to float32; epochs that cross a binade are walked.
    Into ``out`` (n float32) when given."""
    per_epoch, epochs = steps_per_epoch, n_epoch
    d = 1.0 / (per_epoch * epochs)
    low, high = g0 // per_epoch, (g0 + n - 1) // per_epoch
    span = np.arange(low, high + 1, dtype=np.float64)
    skip = g0 - low * per_epoch  # rows of the first epoch before g0
    if per_epoch <= 2:  # no sums beyond the first: e/E and fl(e/E + d)
        full = np.empty((len(span), per_epoch), dtype=np.float32)
        full[:, 0] = start = span / epochs
        if per_epoch == 2:
            np.add(start, d, out=full[:, 1])
        return _sliced(full, skip, n, out)
    start, second, step, top = _epoch_steps(span, per_epoch, epochs)
    regular = second + (per_epoch - 2) * step <= top
    if per_epoch <= CHUNK:  # blocks of whole epochs, sliced at the end
        full = np.empty((len(span), per_epoch), dtype=np.float32)
        offsets = np.arange(-1, per_epoch - 1, dtype=np.float64)  # j − 1
        block = CHUNK // per_epoch
        scratch = np.empty((block, per_epoch))
        for a in range(0, len(span), block):
            rows = slice(a, min(a + block, len(span)))
            part = scratch[: rows.stop - a]
            np.multiply(step[rows, None], offsets, out=part)
            np.add(part, second[rows, None], out=full[rows])
        full[:, 0] = start
        for e in np.flatnonzero(~regular).tolist():
            _walk((low + e) / epochs, d, per_epoch, out=full[e])
        return _sliced(full, skip, n, out)
    # Long epochs: only the batches asked for, a piece at a time. Every term is a whole number of
    # the binade's ulps, so (second + (j − 1)·D) + k·D is second + (j − 1 + k)·D exactly.
    out = np.empty(n, dtype=np.float32) if out is None else out
    offsets = np.empty(CHUNK)
    for e in range(len(span)):
        first_j = skip if e == 0 else 0
        last_j = min(per_epoch, g0 + n - (low + e) * per_epoch)
        at = (low + e) * per_epoch + first_j - g0  # row of (e, first_j)
        if not regular[e]:
            _walk((low + e) / epochs, d, last_j, first_j, out=out[at : at + last_j - first_j])
            continue
        np.multiply(COUNTS, step[e], out=offsets)  # k·D, the same in every piece of the epoch
        for j in range(first_j, last_j, CHUNK):
            part = offsets[: min(CHUNK, last_j - j)]
            rows = slice(at + j - first_j, at + j - first_j + len(part))
            np.add(part, second[e] + (j - 1) * step[e], out=out[rows])
        if first_j == 0:
            out[at] = start[e]
    return out


def _sliced(full: np.ndarray, skip: int, n: int, out: np.ndarray | None) -> np.ndarray:
    rows = full.reshape(-1)[skip : skip + n]
    if out is None:
        return rows
    out[:] = rows
    return out


class Interpolants(NamedTuple):
    """Monomial coefficients (in u) of polynomials within POLY_ERROR of cos(πu) and sin(πu) on
    |u| <= radius."""

    radius: float
    cos: tuple[float, ...]
    sin: tuple[float, ...]


@lru_cache(maxsize=16)
def interpolants(radius: float) -> Interpolants | None:
    """The lowest degree d whose Chebyshev bound 2·(πr/2)^(d+1)/(d+1)! (|f^(d+1)| <= π^(d+1)) is
    within POLY_ERROR, interpolated at the d+1 Chebyshev nodes of [−r, r]; None past MAX_DEGREE."""
    half_angle = math.pi * radius / 2
    for degree in range(1, MAX_DEGREE + 1):
        if 2 * half_angle ** (degree + 1) / math.factorial(degree + 1) <= POLY_ERROR:
            break
    else:
        return None
    nodes = np.cos((2 * np.arange(degree + 1) + 1) * np.pi / (2 * degree + 2))  # on [−1, 1]
    vandermonde = np.vander(nodes, degree + 1, increasing=True)
    powers = radius ** -np.arange(degree + 1, dtype=np.float64)  # from v = u/r back to u
    cos = np.linalg.solve(vandermonde, np.cos(np.pi * radius * nodes)) * powers
    sin = np.linalg.solve(vandermonde, np.sin(np.pi * radius * nodes)) * powers
    return Interpolants(radius, tuple(cos.tolist()), tuple(sin.tolist()))


def chunk_radius(width: float, batches: int) -> float:
    """A bound on the half-width, in phase position, of a chunk of a phase of this float32 width:
    CHUNK batches of 1/batches each, plus what fastai's float32 roundings move its two ends (the
    position's, the difference's and the quotient's: a few 2^-25 of the run and of the phase)."""
    return (CHUNK / batches + 2.0**-22) / width / 2 + 2.0**-22


def _sched_cos_rows(out: np.ndarray, p: np.ndarray, polys: Interpolants | None, a: float, half: float,
                    scratch: np.ndarray) -> None:
    """a + (1 + cos(π(1 − p)))·half for one chunk's positions p (float32, never decreasing) into
    out: the polynomial around the chunk's middle m when the chunk is within ``polys``' radius of
    it, else numpy's. ``scratch``: room for two rows of the chunk's length (p − m and the sum,
    kept in the cache until the last operation writes out)."""
    low, high = float(p[0]), float(p[-1])
    middle, spread = (low + high) / 2, (high - low) / 2
    if polys is None or not spread <= polys.radius:
        _plain(out, p, a, half)
        return
    c, s = math.cos(math.pi * middle), math.sin(math.pi * middle)
    terms = [half * (s * sk - c * ck) for ck, sk in zip(polys.cos, polys.sin)]
    terms[0] = a + half * (1.0 + s * polys.sin[0] - c * polys.cos[0])
    u, total = scratch
    u[...] = p  # a plain cast, then the subtraction in float64: cheaper than numpy's mixed-type loop
    np.subtract(u, middle, out=u)
    np.multiply(u, terms[-1], out=total)
    for term in reversed(terms[1:-1]):
        np.add(total, term, out=total)
        np.multiply(total, u, out=total)
    np.add(total, terms[0], out=out)


def _plain_value(p: float, a: float, half: float) -> float:
    """numpy's a + (1 + cos(π(1 − p)))·half for one position, by :func:`_plain`'s array operations."""
    one = np.empty(1)
    _plain(one, np.array([p], dtype=np.float32), a, half)
    return float(one[0])


def _plain(out: np.ndarray, p: np.ndarray, a: float, half: float) -> None:
    """``sched_cos`` of float32 positions p into out, in fastai's operations, a piece at a time."""
    for low in range(0, len(p), CHUNK):
        rows, q = out[low : low + CHUNK], p[low : low + CHUNK]
        np.subtract(1.0, q, out=rows, dtype=np.float64)
        np.multiply(rows, np.pi, out=rows)
        np.cos(rows, out=rows)
        np.add(rows, 1.0, out=rows)
        np.multiply(rows, half, out=rows)
        np.add(rows, a, out=rows)


class _Segment:
    """What a walk knows of one phase's rows: where they start and end, the last position and
    value seen, and where the run of equal positions at its end began."""

    __slots__ = ("start", "end", "last_p", "last_value", "run_start")

    def __init__(self, start: int, p: float) -> None:
        self.start = self.end = self.run_start = start
        self.last_p = p
        self.last_value = math.nan


class _Walked(NamedTuple):
    """What a walk of a range found: each phase's segment, and the rows whose position is the row
    before's in the same phase (counted when asked)."""

    segments: dict[int, _Segment]
    shared: int


def _series_rows(block: np.ndarray, series: Sequence[Sequence[tuple[float, float]]], phase: int,
                 last_phase: bool, rows: slice, factor: np.ndarray | float) -> None:
    """Each series' rows (row i of ``block`` for series i) from the factor: a + factor·(b − a)/2,
    in two array operations for all of them (a flat phase but the last, whose positions may be
    0/0, is a: fastai's a + factor·0)."""
    levels = [each[phase] for each in series]
    target = block[:, rows]
    flat = [a == b and not last_phase for a, b in levels]
    if not any(flat):
        np.multiply(np.array([[(b - a) / 2] for a, b in levels]), factor, out=target)
        np.add(target, np.array([[a] for a, _ in levels]), out=target)
        return
    for row, (a, b), level in zip(target, levels, flat):
        if level:
            row[...] = a
        else:
            np.multiply(factor, (b - a) / 2, out=row)
            np.add(row, a, out=row)


def _chunk_rows(out: np.ndarray, p: np.ndarray, polys: Interpolants | None, a: float, half: float,
                segment: _Segment, first_row: int, scratch: np.ndarray) -> None:
    """:func:`_sched_cos_rows` of one chunk of a phase, with the rows of a run of equal positions
    given one value: the segment's first position numpy's cos, a run from the chunk before its
    value. Keeps the segment's last position, value and run start up to date."""
    _sched_cos_rows(out, p, polys, a, half, scratch)
    first, final = p[0], p[-1]  # float32 keys: searchsorted then compares in float32, without a copy
    if math.isnan(segment.last_value):  # the segment's first rows
        segment.last_value = _plain_value(float(first), a, half)
        out[: p.searchsorted(first, side="right")] = segment.last_value
    elif first == segment.last_p:
        out[: p.searchsorted(first, side="right")] = segment.last_value
    if final != segment.last_p:
        segment.run_start = first_row + int(p.searchsorted(final, side="left"))
    segment.last_p, segment.last_value, segment.end = float(final), float(out[-1]), first_row + len(p)


def _write_piece(block: np.ndarray, series: Sequence[Sequence[tuple[float, float]]],
                 parts: Sequence[tuple[int, int, int]], values: np.ndarray, first_row: int,
                 flat: Sequence[bool]) -> None:
    """The helper's half of one piece of a walk: each series' rows from the piece's values (one
    series: its own values; more: the factor), or the level of a flat phase. ``parts``: (phase,
    low, high), the phase's rows first_row + low..high."""
    last = len(flat) - 1
    with np.errstate(invalid="ignore"):
        for phase, low, high in parts:
            rows = slice(first_row + low, first_row + high)
            if flat[phase]:
                _series_rows(block, series, phase, False, rows, 0.0)
            elif len(series) == 1:
                block[0, rows] = values[low:high]
            else:
                _series_rows(block, series, phase, phase == last, rows, values[low:high])


def _walk_range(block: np.ndarray, g0: int, n: int, pcts: tuple[float, ...],
                series: Sequence[Sequence[tuple[float, float]]], *, n_epoch: int, steps_per_epoch: int,
                count: bool) -> _Walked | None:
    """Fill each series' rows (row i of ``block`` for series i) of the training batches
    g0..g0+n−1 (see the comment above); None when the positions decrease somewhere (sums so long
    that an epoch ends past the next one's start), which this walk does not follow.

    A long range takes two cores: this thread computes a piece's positions and cosine into one of
    two buffers, then hands the piece to a helper thread (``_writer``), which writes its rows into
    the outputs (:func:`_write_piece`) while this thread computes the next piece into the other."""
    ends = phase_ends(pcts)
    last = len(pcts) - 1
    batches = n_epoch * steps_per_epoch
    widths = [ends[i + 1] - ends[i] for i in range(len(pcts))]
    polys = [interpolants(chunk_radius(float(w), batches)) if w > 0 else None for w in widths]
    # A phase every series is flat in needs no factor (no series at all: only the count).
    flat = [not series or (all(levels[i][0] == levels[i][1] for levels in series) and i < last)
            for i in range(len(pcts))]
    x = np.empty(min(PIECE, n), dtype=np.float32)
    buffers, scratch = [np.empty(min(PIECE, n)) for _ in range(2)], np.empty((2, CHUNK))
    segments: dict[int, _Segment] = {}
    shared = 0
    before = math.nan  # the position of the row before the piece
    helper = writer(n if series else 0)
    handed = 0
    try:
        with np.errstate(invalid="ignore", divide="ignore"):
            for piece in range(0, n, PIECE):
                m = min(PIECE, n - piece)
                xs = positions32(g0 + piece, m, n_epoch=n_epoch, steps_per_epoch=steps_per_epoch, out=x[:m])
                # Inside an epoch the sums never decrease, so only each epoch's first batch can step back.
                starts = np.arange(-(g0 + piece) % steps_per_epoch, m, steps_per_epoch)
                inner = starts[starts > 0]
                if (len(starts) and starts[0] == 0 and xs[0] < before) or np.any(xs[inner] < xs[inner - 1]):
                    return None
                before = float(xs[-1])
                bounds = [0, *np.searchsorted(xs, ends[1:-1], side="left").tolist(), m]
                values = buffers[handed % 2]
                helper.wait(handed - 1)  # the piece two before, which read this buffer, is written
                for phase in range(len(pcts)):
                    for low in range(bounds[phase], bounds[phase + 1], CHUNK):
                        high = min(low + CHUNK, bounds[phase + 1])
                        p = xs[low:high]
                        if ends[phase]:  # x − 0 is x
                            np.subtract(p, ends[phase], out=p)
                        np.divide(p, widths[phase], out=p)
                        segment = segments.get(phase)
                        if segment is None:
                            segment = segments[phase] = _Segment(piece + low, float(p[0]))
                        elif count and p[0] == segment.last_p:
                            shared += 1
                        if count:
                            shared += int(np.count_nonzero(p[1:] == p[:-1]))
                        if flat[phase]:
                            segment.last_p, segment.end = float(p[-1]), piece + high
                            continue
                        # One series: its own values, straight from the polynomial; more: the factor.
                        a, b = series[0][phase] if len(series) == 1 else (0.0, 2.0)
                        _chunk_rows(values[low:high], p, polys[phase], a, (b - a) / 2, segment, piece + low,
                                    scratch[:, : high - low])
                if series:
                    parts = [(phase, bounds[phase], bounds[phase + 1]) for phase in range(len(pcts))
                             if bounds[phase] < bounds[phase + 1]]
                    helper.submit(partial(_write_piece, block, series, parts, values, piece, flat))
                    handed += 1
            helper.wait(handed)
    finally:
        helper.close()
    for phase, segment in segments.items():  # numpy's cos for each phase's last position
        tail = slice(segment.run_start, segment.end)
        if flat[phase]:
            continue
        if len(series) == 1:
            a, b = series[0][phase]
            block[0, tail] = _plain_value(segment.last_p, a, (b - a) / 2)
        else:
            _series_rows(block, series, phase, phase == last, tail,
                         np.float64(_plain_value(segment.last_p, 0.0, 1.0)))
    return _Walked(segments, shared)


def _plain_phase(out: np.ndarray, g0: int, rows: slice, begin: np.float32, width: np.float32, a: float,
                 b: float, *, n_epoch: int, steps_per_epoch: int) -> None:
    """numpy's cos for one phase's rows of the range (training batches g0 + rows)."""
    for low in range(rows.start, rows.stop, PIECE):
        m = min(PIECE, rows.stop - low)
        p = positions32(g0 + low, m, n_epoch=n_epoch, steps_per_epoch=steps_per_epoch)
        np.subtract(p, begin, out=p)
        np.divide(p, width, out=p)
        _plain(out[low : low + m], p, a, (b - a) / 2)


# Rows whose position is the row before's, by range: counted on the way by the rates' walk, so
# that a warning does not walk millions of positions again (clear_caches() empties it).
_SHARED: dict[tuple[Any, ...], int] = {}


def combined_rows(first: int, n: int, pcts: Sequence[float], series: Sequence[Sequence[tuple[float, float]]],
                  *, n_epoch: int, steps_per_epoch: int, first_epoch: int) -> list[np.ndarray]:
    """:func:`_combined` of each levels in ``series`` at rows first..first+n−1, in one walk (see
    the comment above): each phase by the polynomial, or by numpy's cos where its levels are more
    than FAST_LEVELS times the largest value of its series in the range, or its chunks too wide."""
    pcts = tuple(pcts)
    g0 = first + first_epoch * steps_per_epoch
    geometry = {"n_epoch": n_epoch, "steps_per_epoch": steps_per_epoch}
    key = (g0, n, pcts, n_epoch, steps_per_epoch)
    counting = n_epoch * steps_per_epoch >= SHARED_FROM
    block = np.empty((len(series), n))  # the series' rows: one array, so one operation writes them all
    outs = list(block)
    walked = _walk_range(block, g0, n, pcts, series, **geometry, count=counting)
    if walked is None:
        t = np.arange(first, first + n, dtype=np.float64)
        outs = [_combined(t, pcts, levels, **geometry, first_epoch=first_epoch) for levels in series]
        shared = _count_shared(g0, n, pcts, **geometry) if counting else 0
    else:
        segments, shared = walked.segments, walked.shared
        ends = phase_ends(pcts)
        with np.errstate(invalid="ignore", divide="ignore"):
            for out, levels in zip(outs, series):
                # The largest value: at an end of a phase (sched_cos is monotonic); NaN does not count.
                scale = max((abs(float(out[i])) for s in segments.values() for i in (s.start, s.end - 1)
                             if not math.isnan(out[i])), default=0.0)
                for phase, segment in segments.items():
                    a, b = levels[phase]
                    if max(abs(a), abs(b)) > FAST_LEVELS * scale and a != b:
                        _plain_phase(out, g0, slice(segment.start, segment.end), ends[phase],
                                     ends[phase + 1] - ends[phase], a, b, **geometry)
    _remember_shared(key, shared)
    return outs


def _remember_shared(key: tuple[Any, ...], shared: int) -> int:
    """Keep a range's count of shared positions, for the last 8 ranges counted."""
    _SHARED.pop(key, None)
    _SHARED[key] = shared
    while len(_SHARED) > 8:
        del _SHARED[next(iter(_SHARED))]
    return shared


def _count_shared(g0: int, n: int, pcts: tuple[float, ...], *, n_epoch: int, steps_per_epoch: int) -> int:
    """Rows of the range whose phase and phase position are the row before's, the plain way."""
    x = positions32(g0, n, n_epoch=n_epoch, steps_per_epoch=steps_per_epoch)
    idx, p = phase_positions(x, pcts)
    return int(np.count_nonzero((idx[1:] == idx[:-1]) & (p[1:] == p[:-1])))


def clear_caches() -> None:
    """Forget the counted positions and interpolants (benchmarks start every run from scratch)."""
    _SHARED.clear()
    interpolants.cache_clear()


# --- fit_one_cycle --------------------------------------------------------------------------------


def one_cycle_lr(t: np.ndarray, *, n_epoch: int, steps_per_epoch: int, lr_max: float, div: float,
                 div_final: float, pct_start: float, start_epoch: int) -> np.ndarray:
    """``fit_one_cycle``'s rate: ``combined_cos(pct_start, lr_max/div, lr_max, lr_max/div_final)``,
    i.e. over the fraction pct_start of the run a cosine from lr_max/div up to lr_max, then a
    cosine down to lr_max/div_final (note: div_final divides lr_max, not the starting rate).

    >>> one_cycle_lr(np.arange(4.0), n_epoch=1, steps_per_epoch=4, lr_max=1.0, div=4.0,
    ...              div_final=10.0, pct_start=0.5, start_epoch=0).round(4)
    array([0.25 , 0.625, 1.   , 0.55 ])
    """
    return _combined(t, [pct_start, 1 - pct_start], _one_cycle_levels(lr_max, div, div_final),
                     n_epoch=n_epoch, steps_per_epoch=steps_per_epoch, first_epoch=start_epoch)


def one_cycle_momentum(t: np.ndarray, *, n_epoch: int, steps_per_epoch: int, pct_start: float,
                       moms: tuple[float, float, float], start_epoch: int) -> dict[str, np.ndarray]:
    """``combined_cos(pct_start, *moms)``: momentum (Adam's beta1) from moms[0] down to moms[1]
    while the rate warms up, then back up to moms[2]."""
    levels = [(moms[0], moms[1]), (moms[1], moms[2])]
    return {"momentum": _combined(t, [pct_start, 1 - pct_start], levels, n_epoch=n_epoch,
                                  steps_per_epoch=steps_per_epoch, first_epoch=start_epoch)}


# --- fit_flat_cos -----------------------------------------------------------------------------------


def flat_cos_lr(t: np.ndarray, *, n_epoch: int, steps_per_epoch: int, lr: float, div_final: float,
                pct_start: float) -> np.ndarray:
    """``fit_flat_cos``' rate: ``combined_cos(pct_start, lr, lr, lr/div_final)``, flat at lr for
    the fraction pct_start of the run, then a cosine down to lr/div_final. fastai passes
    ``start_epoch=0`` to ``fit`` whatever start_epoch it is given, so the rows always begin at
    epoch 0.

    >>> flat_cos_lr(np.arange(4.0), n_epoch=1, steps_per_epoch=4, lr=1.0, div_final=10.0,
    ...             pct_start=0.5).round(4)
    array([1.  , 1.  , 1.  , 0.55])
    """
    levels = [(lr, lr), (lr, lr / div_final)]
    return _combined(t, [pct_start, 1 - pct_start], levels, n_epoch=n_epoch,
                     steps_per_epoch=steps_per_epoch, first_epoch=0)


# --- fit_sgdr ---------------------------------------------------------------------------------------


def sgdr_epochs(n_cycles: int, cycle_len: int, cycle_mult: int) -> int:
    """``fit_sgdr``'s n_epoch: cycle_len·(cycle_mult^n_cycles − 1) // (cycle_mult − 1)."""
    return cycle_len * (cycle_mult**n_cycles - 1) // (cycle_mult - 1)


def sgdr_pcts(n_cycles: int, cycle_len: int, cycle_mult: int) -> list[float]:
    """Each cycle's fraction of the run: cycle_len·cycle_mult^i / n_epoch (Python's exact int
    division, rounded once)."""
    total = sgdr_epochs(n_cycles, cycle_len, cycle_mult)
    return [cycle_len * cycle_mult**i / total for i in range(n_cycles)]


def sgdr_lr(t: np.ndarray, *, n_epoch: int, steps_per_epoch: int, n_cycles: int, cycle_len: int,
            lr_max: float, cycle_mult: int, start_epoch: int) -> np.ndarray:
    """``fit_sgdr``'s rate: n_cycles cosines ``SchedCos(lr_max, 0)``, cycle i lasting
    cycle_len·cycle_mult^i epochs, each restarting at lr_max and falling towards 0.

    >>> sgdr_lr(np.arange(6.0), n_epoch=3, steps_per_epoch=2, n_cycles=2, cycle_len=1,
    ...         lr_max=1.0, cycle_mult=2, start_epoch=0).round(4)
    array([1.    , 0.5   , 1.    , 0.8536, 0.5   , 0.1464])
    """
    pcts = sgdr_pcts(n_cycles, cycle_len, cycle_mult)
    return _combined(t, pcts, [(lr_max, 0)] * n_cycles, n_epoch=n_epoch,
                     steps_per_epoch=steps_per_epoch, first_epoch=start_epoch)


# --- the same, over long row ranges (Schedule.lr_range) -------------------------------------------


def _one_cycle_levels(lr_max: float, div: float, div_final: float) -> list[tuple[float, float]]:
    return [(lr_max / div, lr_max), (lr_max, lr_max / div_final)]


def one_cycle_series_range(first: int, n: int, *, n_epoch: int, steps_per_epoch: int, lr_max: float,
                           div: float, div_final: float, pct_start: float, moms: tuple[float, float, float],
                           start_epoch: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """fit_one_cycle's rate and momentum over a long range, in one walk: they share every
    position and factor."""
    momentum = [(moms[0], moms[1]), (moms[1], moms[2])]
    rate, moment = combined_rows(first, n, [pct_start, 1 - pct_start],
                                 [_one_cycle_levels(lr_max, div, div_final), momentum], n_epoch=n_epoch,
                                 steps_per_epoch=steps_per_epoch, first_epoch=start_epoch)
    return rate, {"momentum": moment}


def one_cycle_lr_range(first: int, n: int, *, n_epoch: int, steps_per_epoch: int, lr_max: float,
                       div: float, div_final: float, pct_start: float, start_epoch: int) -> np.ndarray:
    return combined_rows(first, n, [pct_start, 1 - pct_start], [_one_cycle_levels(lr_max, div, div_final)],
                         n_epoch=n_epoch, steps_per_epoch=steps_per_epoch, first_epoch=start_epoch)[0]


def one_cycle_momentum_range(first: int, n: int, *, n_epoch: int, steps_per_epoch: int, pct_start: float,
                             moms: tuple[float, float, float], start_epoch: int) -> dict[str, np.ndarray]:
    levels = [(moms[0], moms[1]), (moms[1], moms[2])]
    return {"momentum": combined_rows(first, n, [pct_start, 1 - pct_start], [levels], n_epoch=n_epoch,
                                      steps_per_epoch=steps_per_epoch, first_epoch=start_epoch)[0]}


def flat_cos_lr_range(first: int, n: int, *, n_epoch: int, steps_per_epoch: int, lr: float,
                      div_final: float, pct_start: float) -> np.ndarray:
    levels = [(lr, lr), (lr, lr / div_final)]
    return combined_rows(first, n, [pct_start, 1 - pct_start], [levels], n_epoch=n_epoch,
                         steps_per_epoch=steps_per_epoch, first_epoch=0)[0]


def sgdr_lr_range(first: int, n: int, *, n_epoch: int, steps_per_epoch: int, n_cycles: int,
                  cycle_len: int, lr_max: float, cycle_mult: int, start_epoch: int) -> np.ndarray:
    pcts = sgdr_pcts(n_cycles, cycle_len, cycle_mult)
    return combined_rows(first, n, pcts, [[(lr_max, 0)] * n_cycles], n_epoch=n_epoch,
                         steps_per_epoch=steps_per_epoch, first_epoch=start_epoch)[0]


# --- parameters, checks and warnings ----------------------------------------------------------------


N_EPOCH = Integer("n_epoch", "Epochs to train (fit's n_epoch).", required=True, ge=1)
START_EPOCH = Integer(
    "start_epoch", "Resume at this epoch: the epochs before it are skipped (fit's SkipToEpoch).", 0, ge=0
)
PCT_FRACTION = {"ge": 0, "le": 1}


def _batches(params: Mapping[str, Any]) -> int:
    return params["n_epoch"] * params["steps_per_epoch"]


def resumed(params: Mapping[str, Any]) -> int:
    """The epoch row 0 belongs to in fit_one_cycle and fit_sgdr: start_epoch (SkipToEpoch skips
    the epochs before it, batches and all)."""
    return params["start_epoch"]


def from_zero(params: Mapping[str, Any]) -> int:
    """The epoch row 0 belongs to in fit_flat_cos: 0, whatever start_epoch (see flat_cos_lr)."""
    return 0


def run_rows(params: Mapping[str, Any], first_epoch=resumed) -> int:
    return (params["n_epoch"] - first_epoch(params)) * params["steps_per_epoch"]


def resolve_run(params: dict[str, Any], context: Context, name: str) -> dict[str, Any]:
    """The batches per epoch (the spec's --steps-per-epoch, required), and a start_epoch inside the run."""
    per_epoch = context.steps_per_epoch
    if per_epoch is None:
        raise Invalid(
            f"fastai {name} needs {{}}: the batches in one epoch (len(dls.train)), which place "
            "each batch at its training position",
            "steps_per_epoch",
        )
    params = {**params, "steps_per_epoch": per_epoch}
    start, epochs = params["start_epoch"], params["n_epoch"]
    if name == "flat-cos":  # fit_flat_cos takes start_epoch and ignores it (see warn_flat_cos)
        return params
    if start >= epochs and name == "sgdr":
        raise Invalid(f"{{}} {start} skips every epoch: fit_sgdr trains {epochs} epochs (0..{epochs - 1}), "
                      "so it must be below that", "start_epoch")
    if start >= epochs:
        raise Invalid(f"{{}} {start} skips every epoch: fit trains epochs start_epoch..n_epoch - 1, so "
                      f"it must be below {{}} {epochs}", "start_epoch", "n_epoch")
    return params


def resolve_sgdr(params: dict[str, Any], context: Context) -> dict[str, Any]:
    """fit_sgdr derives n_epoch from the cycles; refuse what fastai refuses on the way."""
    cycles, length, mult = params["n_cycles"], params["cycle_len"], params["cycle_mult"]
    if mult == 1:
        raise Invalid(
            "{} 1 is refused by fastai: fit_sgdr computes n_epoch = cycle_len * (cycle_mult**n_cycles "
            "- 1) // (cycle_mult - 1), a division by zero; use 2 or more (or cycles of equal length "
            "with fit_one_cycle per cycle)",
            "cycle_mult",
        )
    pcts = sgdr_pcts(cycles, length, mult)
    if sum(pcts) != 1.0:
        raise Invalid(
            f"fastai refuses these cycles: their fractions of the run sum to {sum(pcts)!r}, not "
            "exactly 1 in floats (combine_scheds asserts sum(pcts) == 1); change {} or {}",
            "cycle_len", "n_cycles",
        )
    return resolve_run({**params, "n_epoch": sgdr_epochs(cycles, length, mult)}, context, "sgdr")


def limit(params: Mapping[str, Any], pcts: Sequence[float], first_epoch=resumed,
          more: str = "n_epoch") -> tuple[int, Invalid]:
    """The run's last batch; or, sooner, the first batch whose rate fastai computes as NaN."""
    rows = run_rows(params, first_epoch)
    nan = nan_from(params, pcts, first_epoch)
    if nan is not None and nan < rows:
        end = float(phase_ends(pcts)[-1])
        return nan, Invalid(
            f"from row {nan} on, fastai's rate is NaN: the float32 position of those batches rounds to "
            f"{end:g}, where the last phase ends and begins (it has zero length), and combine_scheds "
            "divides 0 by 0 there; change {} or train fewer batches",
            "cycle_mult" if more == "n_cycles" else "pct_start",
        )
    return rows, Invalid(
        f"the run has {rows} training batches (rows 0..{rows - 1}: epochs {first_epoch(params)}.."
        f"{params['n_epoch'] - 1} of {params['steps_per_epoch']} batches); fit stops after them; "
        "raise {} to plot more",
        more,
    )


def nan_from(params: Mapping[str, Any], pcts: Sequence[float], first_epoch=resumed) -> int | None:
    """The first row at or past which fastai's phase position is 0/0: when the last phase has zero
    length (pct_start 1, cycle_mult 0), a batch whose float32 position rounds up to its end."""
    ends = phase_ends(pcts)
    if ends[-1] != ends[-2]:
        return None
    per_epoch, first = params["steps_per_epoch"], first_epoch(params) * params["steps_per_epoch"]
    found = first_reaching(ends[-1], first, _batches(params), n_epoch=params["n_epoch"],
                           steps_per_epoch=per_epoch)
    return None if found is None else found - first


def first_reaching(end: np.float32, low: int, high: int, *, n_epoch: int, steps_per_epoch: int) -> int | None:
    """The first training batch g in low..high−1 whose float32 position is at least ``end`` (the
    positions never decrease: a binary search), or None."""

    def reached(g: int) -> bool:
        pos = train_positions(np.array([float(g)]), n_epoch=n_epoch, steps_per_epoch=steps_per_epoch)
        return bool(pos.astype(np.float32)[0] >= end)

    if high <= low or not reached(high - 1):
        return None
    if reached(low):
        return low
    low, high = low, high - 1  # reached(high), not reached(low)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if reached(middle) else (middle, high)
    return high


def shared_positions(params: Mapping[str, Any], pcts: Sequence[float], n: int, first_epoch=resumed) -> int:
    """How many of the first n rows share their phase position (so their rate) with the row before:
    fastai's float32 positions are 2^-24 apart near the end of the run, so a run of enough batches
    gives neighbouring batches one rate. Counted by the walk of the curve's rates when it has run
    (:func:`combined_rows`), else by a walk of the positions alone."""
    if _batches(params) < SHARED_FROM:
        return 0
    per_epoch, epochs = params["steps_per_epoch"], params["n_epoch"]
    g0 = first_epoch(params) * per_epoch
    key = (g0, n, tuple(pcts), epochs, per_epoch)
    if key in _SHARED:
        return _SHARED[key]
    walked = _walk_range(np.empty((0, n)), g0, n, tuple(pcts), [], n_epoch=epochs, steps_per_epoch=per_epoch,
                         count=True)
    return _remember_shared(key, walked.shared if walked is not None
                            else _count_shared(g0, n, tuple(pcts), n_epoch=epochs, steps_per_epoch=per_epoch))


def float32_warnings(params: Mapping[str, Any], pcts: Sequence[float], n: int,
                     first_epoch=resumed) -> tuple[str, ...]:
    same = shared_positions(params, pcts, n, first_epoch)
    if not same:
        return ()
    return (
        f"{same} of the {n} batches share their rate with the batch before: fastai computes the "
        f"position inside a phase in float32, whose spacing (2^-24 near the end of the run) is "
        f"coarser than the run's {_batches(params)} batches, so the curve steps",
    )


def _one_cycle_pcts(params: Mapping[str, Any]) -> list[float]:
    return [params["pct_start"], 1 - params["pct_start"]]


def warn_one_cycle(params: Mapping[str, Any], n: int) -> tuple[str, ...]:
    return float32_warnings(params, _one_cycle_pcts(params), n)


def warn_flat_cos(params: Mapping[str, Any], n: int) -> tuple[str, ...]:
    found = ()
    if params["start_epoch"]:
        found += (
            f"fit_flat_cos ignores start_epoch {params['start_epoch']}: it calls fit(..., "
            "start_epoch=0), so training restarts at epoch 0 and every epoch runs again (rows "
            "begin at epoch 0); use fit_one_cycle or fit_sgdr to resume",
        )
    return found + float32_warnings(params, _one_cycle_pcts(params), n, from_zero)


def late_restarts(params: Mapping[str, Any], n: int) -> list[tuple[int, int, int]]:
    """(cycle, epoch, batches late) for each restart that fastai makes after the first batch of
    its epoch: the cycle's float32 end rounds above f32(epoch / n_epoch), so the epoch's first
    batches still finish the cycle before (at a rate near 0) — e.g. fit_sgdr(3, 1) restarts its
    third cycle one batch into epoch 3. Found by a binary search over the epoch's positions."""
    pcts = sgdr_pcts(params["n_cycles"], params["cycle_len"], params["cycle_mult"])
    ends = phase_ends(pcts)
    per_epoch, epochs = params["steps_per_epoch"], params["n_epoch"]
    first = params["start_epoch"] * per_epoch
    found = []
    epoch = 0
    for cycle in range(1, params["n_cycles"]):
        epoch += params["cycle_len"] * params["cycle_mult"] ** (cycle - 1)
        if np.float32(epoch / epochs) >= ends[cycle]:
            continue
        begin = epoch * per_epoch
        if not 0 <= begin - first < n or ends[cycle] == ends[cycle - 1]:
            continue
        restart = first_reaching(ends[cycle], begin, begin + per_epoch, n_epoch=epochs,
                                 steps_per_epoch=per_epoch)
        found.append((cycle + 1, epoch, (begin + per_epoch if restart is None else restart) - begin))
    return found


def _listed(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def warn_sgdr(params: Mapping[str, Any], n: int) -> tuple[str, ...]:
    found: tuple[str, ...] = ()
    if params["cycle_mult"] == 0 and params["n_cycles"] > 1:
        found += (
            f"cycle_mult 0: fit_sgdr gives every cycle after the first 0 epochs, so its {params['n_cycles']} "
            f"cycles are one cosine over {params['cycle_len']} epochs",
        )
    late = late_restarts(params, n)
    if late:
        first = params["start_epoch"] * params["steps_per_epoch"]
        where = [f"cycle {cycle} at row {epoch * params['steps_per_epoch'] - first + batches} instead of "
                 f"{epoch * params['steps_per_epoch'] - first}" for cycle, epoch, batches in late]
        if len(late) == 1:
            cycle, epoch, batches = late[0]
            ending = "that batch still ends" if batches == 1 else f"those {batches} batches still end"
            why = (f"(the first batch of epoch {epoch}): its float32 end of cycle {cycle - 1} rounds above "
                   f"the epoch's start, so {ending} cycle {cycle - 1}, at a rate near 0")
        else:
            why = ("(each the first batch of an epoch): its float32 cycle ends round above those epochs' "
                   "starts, so each of them begins by ending the cycle before, at a rate near 0")
        found += (f"fastai restarts {_listed(where)} {why}",)
    pcts = sgdr_pcts(params["n_cycles"], params["cycle_len"], params["cycle_mult"])
    return found + float32_warnings(params, pcts, n)


# --- phases, for pictures and tables ---------------------------------------------------------------


def _phase_rows(params: Mapping[str, Any], fractions: Sequence[float], first_epoch) -> list[float]:
    """The ideal row of each phase end (fraction of the run x batches), counted from row 0."""
    total, first = _batches(params), first_epoch(params) * params["steps_per_epoch"]
    return [float(np.cumsum(fractions[: i + 1])[-1] * total - first) for i in range(len(fractions))]


def _phases(names: Sequence[str], params: Mapping[str, Any], fractions: Sequence[float],
            first_epoch=resumed) -> tuple[Phase, ...]:
    ends = _phase_rows(params, fractions, first_epoch)
    last = run_rows(params, first_epoch) - 1
    starts = [0.0, *ends[:-1]]
    return tuple(
        Phase(name, max(start, 0.0), min(end, last))
        for name, start, end in zip(names, starts, ends)
        if end > 0 and start < last
    )


def annotate_one_cycle(params: Mapping[str, Any], n: int) -> Annotations:
    lr_max = params["lr_max"]
    return Annotations(
        phases=_phases(("warm-up", "annealing"), params, _one_cycle_pcts(params)),
        guides={"lr_max": lr_max, "start": lr_max / params["div"], "end": lr_max / params["div_final"]},
    )


def annotate_flat_cos(params: Mapping[str, Any], n: int) -> Annotations:
    return Annotations(
        phases=_phases(("flat", "annealing"), params, _one_cycle_pcts(params), from_zero),
        guides={"lr": params["lr"], "end": params["lr"] / params["div_final"]},
    )


def annotate_sgdr(params: Mapping[str, Any], n: int) -> Annotations:
    pcts = sgdr_pcts(params["n_cycles"], params["cycle_len"], params["cycle_mult"])
    names = [f"cycle {i + 1}" for i in range(len(pcts))]
    return Annotations(phases=_phases(names, params, pcts), guides={"lr_max": params["lr_max"]})


# --- code for fastai -----------------------------------------------------------------------------


def _literal(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(repr(float(v)) for v in value) + ")"
    return repr(value)


def _fit_call(method: str, positional: Sequence[str], params: Mapping[str, Any],
              keywords: Sequence[tuple[str, Any]]) -> str:
    args = [str(params[name]) for name in positional]
    args += [f"{name}={_literal(params[name])}" for name, default in keywords if params[name] != default]
    return f"learn.{method}({', '.join(args)})"


def _emit(params: Mapping[str, Any], rows: int, label: str, *, call: str, imports: str,
          scheds: Sequence[str], first_epoch: int, momentum: bool, prelude: Sequence[str] = ()) -> str:
    lines = [
        f"# {label}, as lrplot draws it. In fastai:",
        f"#     {call}",
        f"# on a Learner whose dls.train has {params['steps_per_epoch']} batches: its ParamScheduler calls "
        "the schedule",
        "# functions below before every training batch, at the position pct_train that",
        "# TrainEvalCallback keeps. Row t of lrs is training batch t.",
        "import numpy as np",
        f"from fastai.callback.schedule import {imports}",
        "",
        *prelude,
        *scheds,
        "",
        f"n_epoch, n_iter = {params['n_epoch']}, {params['steps_per_epoch']}",
        "positions = []",
        f"for epoch in range({f'{first_epoch}, ' if first_epoch else ''}n_epoch):",
        "    pct_train = epoch / n_epoch  # TrainEvalCallback.before_train",
        "    for batch in range(n_iter):",
        "        positions.append(pct_train)",
        "        pct_train += 1. / (n_iter * n_epoch)  # TrainEvalCallback.after_batch",
        f"positions = positions[:{rows}]",
        "",
        "# fit_* read the rate back as an array (one per parameter group): group 0 is lrs.",
        "lrs = [float(lr_sched(pos)[0]) for pos in positions]",
    ]
    if momentum:
        lines.append("momenta = [float(mom_sched(pos)) for pos in positions]")
    lines += ["for lr in lrs:", "    print(repr(lr))"]
    return "\n".join(lines) + "\n"


def emit_one_cycle(params: Mapping[str, Any], rows: int, label: str) -> str:
    call = _fit_call("fit_one_cycle", ["n_epoch"], params, [
        ("lr_max", DEFAULT_LR), ("div", 25.0), ("div_final", 1e5), ("pct_start", 0.25),
        ("moms", DEFAULT_MOMS), ("start_epoch", 0)])
    pct = repr(params["pct_start"])
    scheds = [
        f"lr_max = np.array([{params['lr_max']!r}])",
        f"lr_sched = combined_cos({pct}, lr_max / {params['div']!r}, lr_max, "
        f"lr_max / {params['div_final']!r})",
        f"mom_sched = combined_cos({pct}, {', '.join(repr(m) for m in params['moms'])})",
    ]
    return _emit(params, rows, label, call=call, imports="combined_cos", scheds=scheds,
                 first_epoch=params["start_epoch"], momentum=True)


def emit_flat_cos(params: Mapping[str, Any], rows: int, label: str) -> str:
    call = _fit_call("fit_flat_cos", ["n_epoch"], params, [
        ("lr", DEFAULT_LR), ("div_final", 1e5), ("pct_start", 0.75), ("start_epoch", 0)])
    pct = repr(params["pct_start"])
    scheds = [
        f"lr = np.array([{params['lr']!r}])",
        f"lr_sched = combined_cos({pct}, lr, lr, lr / {params['div_final']!r})",
    ]
    ignored = "# fit_flat_cos passes start_epoch=0 to fit, whatever it is given."
    prelude = [ignored] if params["start_epoch"] else []
    return _emit(params, rows, label, call=call, imports="combined_cos", scheds=scheds, first_epoch=0,
                 momentum=False, prelude=prelude)


def emit_sgdr(params: Mapping[str, Any], rows: int, label: str) -> str:
    call = _fit_call("fit_sgdr", ["n_cycles", "cycle_len"], params, [
        ("lr_max", DEFAULT_LR), ("cycle_mult", 2), ("start_epoch", 0)])
    scheds = [
        f"n_cycles, cycle_len = {params['n_cycles']}, {params['cycle_len']}",
        f"cycle_mult = {params['cycle_mult']}",
        f"lr_max = np.array([{params['lr_max']!r}])",
        "total = cycle_len * (cycle_mult**n_cycles - 1) // (cycle_mult - 1)  # fit_sgdr's n_epoch",
        "pcts = [cycle_len * cycle_mult**i / total for i in range(n_cycles)]",
        "lr_sched = combine_scheds(pcts, [SchedCos(lr_max, 0) for _ in range(n_cycles)])",
    ]
    return _emit(params, rows, label, call=call, imports="SchedCos, combine_scheds", scheds=scheds,
                 first_epoch=params["start_epoch"], momentum=False)


# --- the registry ------------------------------------------------------------------------------------


def _scaled(epochs: int, **extra: Any):
    def scaled(n: int) -> dict[str, Any]:
        return {"n_epoch": epochs, "steps_per_epoch": -(-n // epochs), "steps": n, **extra}
    return scaled


def _scaled_sgdr(n: int) -> dict[str, Any]:
    return {"n_cycles": 3, "cycle_len": 1, "lr_max": 0.01, "steps_per_epoch": -(-n // 7), "steps": n}


ONE_CYCLE = register(
    Schedule(
        name="one-cycle",
        framework="fastai",
        origin="fastai.callback.schedule.Learner.fit_one_cycle",
        summary="Learner.fit_one_cycle: cosine warm-up to lr_max, cosine down to lr_max/div_final; "
        "momentum cycled inversely.",
        params=(
            N_EPOCH,
            Real("lr_max", "The peak rate (fastai's default: the Learner's lr, 1e-3).", DEFAULT_LR, gt=0),
            Real("div", "The run starts at lr_max / div.", 25.0, gt=0),
            Real("div_final", "The run ends at lr_max / div_final.", 1e5, gt=0),
            Real("pct_start", "Fraction of the run spent warming up.", 0.25, **PCT_FRACTION),
            Reals("moms", "Momentum at the start, at the peak rate and at the end (the Learner's moms).",
                  DEFAULT_MOMS, length=3, ge=0, le=1),
            START_EPOCH,
        ),
        lr=one_cycle_lr,
        lr_range=one_cycle_lr_range,
        horizon=run_rows,
        horizon_text="every training batch: (n_epoch - start_epoch) x steps_per_epoch rows",
        example="fastai one-cycle --n-epoch 5 --lr-max 0.01 --steps-per-epoch 100",
        resolve=lambda p, c: resolve_run(p, c, "one-cycle"),
        limit=lambda p: limit(p, _one_cycle_pcts(p)),
        extras=one_cycle_momentum,
        extras_range=one_cycle_momentum_range,
        series_range=one_cycle_series_range,
        annotate=annotate_one_cycle,
        warn=warn_one_cycle,
        epoch_length=lambda p: p["steps_per_epoch"],
        per_batch=True,
        emit=emit_one_cycle,
        signature=("self", "n_epoch", "lr_max", "div", "div_final", "pct_start", "wd", "moms", "cbs",
                   "reset_opt", "start_epoch"),
        scaled=_scaled(10, lr_max=0.01),
    )
)

FLAT_COS = register(
    Schedule(
        name="flat-cos",
        framework="fastai",
        origin="fastai.callback.schedule.Learner.fit_flat_cos",
        summary="Learner.fit_flat_cos: flat at lr, then a cosine down to lr/div_final.",
        params=(
            N_EPOCH,
            Real("lr", "The flat rate (fastai's default: the Learner's lr, 1e-3).", DEFAULT_LR, gt=0),
            Real("div_final", "The run ends at lr / div_final.", 1e5, gt=0),
            Real("pct_start", "Fraction of the run at the flat rate.", 0.75, **PCT_FRACTION),
            Integer("start_epoch", "fit_flat_cos takes it and ignores it (it trains from epoch 0).", 0, ge=0),
        ),
        lr=flat_cos_lr,
        lr_range=flat_cos_lr_range,
        horizon=lambda p: run_rows(p, from_zero),
        horizon_text="every training batch: n_epoch x steps_per_epoch rows",
        example="fastai flat-cos --n-epoch 5 --lr 0.01 --steps-per-epoch 100",
        resolve=lambda p, c: resolve_run(p, c, "flat-cos"),
        limit=lambda p: limit(p, _one_cycle_pcts(p), from_zero),
        annotate=annotate_flat_cos,
        warn=warn_flat_cos,
        epoch_length=lambda p: p["steps_per_epoch"],
        per_batch=True,
        emit=emit_flat_cos,
        signature=("self", "n_epoch", "lr", "div_final", "pct_start", "wd", "cbs", "reset_opt",
                   "start_epoch"),
        scaled=_scaled(10, lr=0.01),
    )
)

SGDR = register(
    Schedule(
        name="sgdr",
        framework="fastai",
        origin="fastai.callback.schedule.Learner.fit_sgdr",
        summary="Learner.fit_sgdr: n_cycles cosines from lr_max towards 0, each cycle_mult times longer.",
        params=(
            Integer("n_cycles", "Cycles (restarts at lr_max).", required=True, ge=1),
            Integer("cycle_len", "Epochs in the first cycle.", required=True, ge=1),
            Real("lr_max", "The rate at each restart (fastai's default: the Learner's lr, 1e-3).",
                 DEFAULT_LR, gt=0),
            Integer("cycle_mult", "Each cycle is this many times longer than the one before.", 2, ge=0),
            START_EPOCH,
        ),
        lr=sgdr_lr,
        lr_range=sgdr_lr_range,
        horizon=run_rows,
        horizon_text="every training batch: (n_epoch - start_epoch) x steps_per_epoch rows, with "
        "n_epoch = cycle_len * (cycle_mult^n_cycles - 1) / (cycle_mult - 1)",
        example="fastai sgdr --n-cycles 3 --cycle-len 1 --lr-max 0.01 --steps-per-epoch 100",
        resolve=resolve_sgdr,
        limit=lambda p: limit(p, sgdr_pcts(p["n_cycles"], p["cycle_len"], p["cycle_mult"]), more="n_cycles"),
        annotate=annotate_sgdr,
        warn=warn_sgdr,
        epoch_length=lambda p: p["steps_per_epoch"],
        derived=lambda p: {"n_epoch": p["n_epoch"]},
        per_batch=True,
        emit=emit_sgdr,
        signature=("self", "n_cycles", "cycle_len", "lr_max", "cycle_mult", "cbs", "reset_opt", "wd",
                   "start_epoch"),
        scaled=_scaled_sgdr,
    )
)

