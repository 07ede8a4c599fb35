"""Python's repr of float64 and str of integers for whole numpy columns, joined into CSV or JSON text."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# len("-2.2250738585072014e-308"): no float64 has a longer repr.
WIDTH = 24


def _extended() -> bool:
    """Whether long double is x87 extended (64-bit significand) or IEEE quad, and rounds to it."""
    one, tiny = np.longdouble(1), np.ldexp(np.longdouble(1), -63)
    return np.finfo(np.longdouble).nmant in (63, 112) and bool((one + tiny) - one == tiny)


# Shortest digits are found in long double arithmetic, with error bounds that need at least a 64-bit
# significand. Where long double is no wider than a double (Windows, macOS on ARM) or is a pair of
# doubles (POWER), every value goes through Python's repr instead.
EXTENDED = _extended()

_TEN16 = np.longdouble(10**16)
_TEN17 = np.longdouble(10**16) * 10
# Below this, doubles lose precision (subnormals): the 15-digit argument in ``shortest`` needs normal ones.
_SMALLEST = 2.0**-1021
_LARGEST = np.finfo(np.float64).max
_POWERS_OF_TEN = np.array([10**i for i in range(1, 20)], dtype=np.uint64)
# Absolute slack for the float64 arithmetic on quantities below 100 (fractions, distances).
_SLACK = 2.0**-40


@dataclass(frozen=True)
class Cells:
    """One ASCII text per row: row i is ``chars[i, start[i]:stop[i]]``."""

    chars: np.ndarray
    start: np.ndarray
    stop: np.ndarray

    def __len__(self) -> int:
        return len(self.chars)

    def mask(self) -> np.ndarray:
        """Which bytes of ``chars`` are text."""
        width = self.chars.shape[1]
        return _spans(width).take(self.start * (width + 1) + self.stop, axis=0)


@functools.cache
def _spans(width: int) -> np.ndarray:
    """Row ``start * (width + 1) + stop`` marks the bytes [start, stop) of a row ``width`` long.

    A table lookup: comparing every byte's column with its row's bounds costs several times more.
    """
    bounds = np.arange(width + 1)
    columns = np.arange(width)
    inside = (columns >= bounds[:, None, None]) & (columns < bounds[None, :, None])
    return inside.reshape(-1, width)


# --- digits --------------------------------------------------------------------------------------


@functools.cache
def _four_digits() -> np.ndarray:
    """Entry n packs the ASCII of n, zero-padded to four digits, into one uint32 (memory order)."""
    n = np.arange(10_000)
    ascii = np.stack([n // 1000, n // 100 % 10, n // 10 % 10, n % 10], axis=1).astype(np.uint8) + ord("0")
    return ascii.view(np.uint32).reshape(-1)


def _digits(values: np.ndarray, groups: int) -> np.ndarray:
    """ASCII digits of non-negative integers (uint64), four per uint32, right-aligned and
    zero-padded to ``4 * groups`` digits; ``.view(np.uint8)`` reads them in order."""
    table, out = _four_digits(), np.empty((len(values), groups), dtype=np.uint32)
    rest = values
    for group in range(groups - 1, -1, -2):
        # eight digits at a time in 64 bits, then four and four in 32, where numpy divides faster
        high = rest // np.uint64(10**8)
        eight = (rest - high * np.uint64(10**8)).astype(np.uint32)
        upper = eight // np.uint32(10_000)
        out[:, group] = table[eight - upper * np.uint32(10_000)]
        if group:
            out[:, group - 1] = table[upper]
        rest = high
    return out


# --- powers of ten in extended precision ---------------------------------------------------------

# Decimal scalings the formatter needs: 10**(16 - e) for decimal exponents e of normal doubles, +-1.
_KMIN, _KMAX = 16 - 310, 16 + 310


def _power_of_ten(k: int) -> tuple[int, int, bool]:
    """10**k as ``mantissa * 2**-shift`` with a 64-bit mantissa, rounded half to even; and whether
    that is exact."""
    num, den = (10**k, 1) if k >= 0 else (1, 10**-k)

    def divide(shift: int) -> tuple[int, int, int]:
        top, bottom = (num << shift, den) if shift >= 0 else (num, den << -shift)
        return *divmod(top, bottom), bottom

    shift = 64 - num.bit_length() + den.bit_length()
    mantissa, rest, divisor = divide(shift)
    if mantissa >> 64:
        shift -= 1
        mantissa, rest, divisor = divide(shift)
    if 2 * rest > divisor or (2 * rest == divisor and mantissa & 1):
        mantissa += 1
    if mantissa >> 64:
        mantissa, shift = mantissa >> 1, shift - 1
    return mantissa, shift, rest == 0


@functools.cache
def _powers_of_ten() -> tuple[np.ndarray, np.ndarray]:
    """10**k for k in [_KMIN, _KMAX] in long double, and the relative error bound of ``x * 10**k``.

    Built from Python integers so that no step trusts the platform's decimal parsing. A product with
    an exact power (k <= 27: 5**27 < 2**64) is one rounding (<= 2**-64 relative), otherwise two;
    the bounds below are twice that.
    """
    powers, bounds = [], []
    for k in range(_KMIN, _KMAX + 1):
        mantissa, shift, exact = _power_of_ten(k)
        high, low = divmod(mantissa, 1 << 32)
        value = np.longdouble(high) * np.longdouble(1 << 32) + np.longdouble(low)
        powers.append(np.ldexp(value, -shift))
        bounds.append(2.0**-63 if exact else 2.0**-62)
    return np.array(powers, dtype=np.longdouble), np.array(bounds)


# --- shortest round-trip digits ------------------------------------------------------------------


@dataclass(frozen=True)
class ShortestDigits:
    """|v| = 0.d1d2...d17 * 10**(exponent + 1), ``digits`` the 17 digits d1..d17 (shortest digits then
    zeros); ``sure`` is False where extended precision cannot vouch for them."""

    digits: np.ndarray
    exponent: np.ndarray
    sure: np.ndarray


def _scaled(a: np.ndarray, exponent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """|v| * 10**(16 - exponent) in long double (17 digits before the point) and its error bound."""
    powers, bounds = _powers_of_ten()
    k = 16 - exponent - _KMIN
    s = a.astype(np.longdouble) * powers[k]
    return s, s.astype(np.float64) * bounds[k]


def shortest(a: np.ndarray) -> ShortestDigits:
    """The digits Python's repr prints for each float64 in ``a`` (positive, normal, finite).

    s = a * 10**(16 - e) holds the 17 leading digits before the point. A candidate of p digits is
    s rounded to a multiple of 10**(17 - p); it reads back as ``a`` when it is closer to s than
    ``half`` (half the gap to the neighbouring floats, in the same unit; a quarter of the gap below a
    power of two). A 15-digit rounding that reads back is the shortest digits with zeros after
    them (any <= 15-digit decimal survives a trip through a double). Otherwise the 16-digit rounding
    if it reads back (repr prefers the nearest of the shortest), else the 17-digit one. Every test is
    made with a margin ``tol`` for the long double error; inside it, ``sure`` is False.
    """
    exponent = np.floor(np.log10(a)).astype(np.intp)
    s, tol = _scaled(a, exponent)
    sure = np.ones(len(a), dtype=bool)
    # Next to a power of ten, log10 may be off by one and s may sit on the edge of its decade:
    # a wide float64 filter, then the exact long double test on the few rows it lets through.
    rough = s.astype(np.float64)
    (edge,) = np.nonzero((rough < 1e16 * (1 + 2.0**-48)) | (rough > 1e17 * (1 - 2.0**-48)))
    if len(edge):
        exponent[edge] += (s[edge] >= _TEN17).astype(np.intp) - (s[edge] < _TEN16)
        s[edge], tol[edge] = _scaled(a[edge], exponent[edge])
        # differences of nearby long doubles are exact, sums with tol would round
        sure[edge] = (s[edge] - _TEN16 >= tol[edge]) & (_TEN17 - s[edge] > tol[edge])
    tol += _SLACK

    rounded = np.rint(s)
    fraction = (s - rounded).astype(np.float64)  # exact: both are within 1/2 of each other
    m17 = rounded.astype(np.uint64)
    q16, q15 = m17 // np.uint64(10), m17 // np.uint64(100)
    r16, r15 = m17 - q16 * np.uint64(10), m17 - q15 * np.uint64(100)
    # s = 10 * q16 + x16 = 100 * q15 + x15, with x16 in [-1/2, 19/2], x15 in [-1/2, 199/2]
    x16 = r16.astype(np.float64) + fraction
    x15 = r15.astype(np.float64) + fraction
    up16, up15 = x16 > 5, x15 > 50
    off16, off15 = np.abs(x16 - 10 * up16), np.abs(x15 - 100 * up15)

    # a = mantissa * 2**e with mantissa in [1/2, 1): the gap to the next float is 2**(e - 53)
    mantissa = np.frexp(a)[0]
    half = s.astype(np.float64) * (2.0**-54 / mantissa)
    half_tol = half * 2.0**-50 + _SLACK
    power_of_two = mantissa == 0.5
    half15 = np.where(power_of_two & ~up15 & (x15 > 0), half * 0.5, half)
    half16 = np.where(power_of_two & ~up16 & (x16 > 0), half * 0.5, half)
    in15 = off15 + tol < half15 - half_tol
    out15 = off15 - tol > half15 + half_tol
    in16 = off16 + tol < half16 - half_tol
    out16 = off16 - tol > half16 + half_tol

    digits = np.where(in15, (q15 + up15) * np.uint64(100), np.where(in16, (q16 + up16) * np.uint64(10), m17))
    # 16 digits: x16 must not sit on the rounding midpoint. 17 digits always read back, except
    # below a power of two, where a neighbouring candidate might win.
    sure &= in15 | (out15 & ((in16 & (np.abs(x16 - 5) > tol)) | (out16 & ~power_of_two)))
    sure &= in15 | in16 | (np.abs(fraction) < 0.5 - tol)
    carry = digits >= np.uint64(10**17)  # 9.99...95 rounded up to 10.0
    if carry.any():
        digits[carry] = np.uint64(10**16)
        exponent[carry] += 1
    return ShortestDigits(digits, exponent, sure)


# --- layouts: where each character of a repr comes from ------------------------------------------

# A value's source row (36 bytes, nine uint32): its 17 digits right-aligned in 20, its decimal
# exponent in 4 (the last 3 used), then constants. A layout lists the source bytes of one shape of
# repr; a single gather then spells every value of a chunk.
_DIGIT = 3  # byte of the first digit
_EXP = 21  # first of the three exponent digits
_CONSTANTS = b"-0.e+naif\0\0\0"
_MINUS, _ZERO, _DOT, _E, _PLUS, _N, _A, _I, _F = range(24, 33)
_SOURCE_WORDS = 9

_SCIENTIFIC = 2 * 20 * 17  # after the positional layouts (sign, exponent -4..15, 1..17 digits)
_SPECIAL = _SCIENTIFIC + 2 * 2 * 2 * 17  # after (sign, sign of the exponent, 2 or 3 exponent digits, digits)
_SPECIALS = ("nan", "inf", "-inf", "0.0", "-0.0")


def _positional(negative: bool, exponent: int, count: int) -> list[int]:
    digit = list(range(_DIGIT, _DIGIT + 17))
    sign = [_MINUS] if negative else []
    if exponent < 0:
        return sign + [_ZERO, _DOT] + [_ZERO] * (-exponent - 1) + digit[:count]
    # repr keeps one digit after the point: 100.0
    return sign + digit[: exponent + 1] + [_DOT] + digit[exponent + 1 : max(count, exponent + 2)]


def _scientific(negative: bool, exponent_negative: bool, three: bool, count: int) -> list[int]:
    digit = list(range(_DIGIT, _DIGIT + 17))
    sign = [_MINUS] if negative else []
    fraction = [_DOT] + digit[1:count] if count > 1 else []  # 1e+16, not 1.0e+16
    digits = list(range(_EXP if three else _EXP + 1, _EXP + 3))
    exponent = [_E, _MINUS if exponent_negative else _PLUS] + digits
    return sign + digit[:1] + fraction + exponent


@functools.cache
def _layouts() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source bytes of every layout id (padded to WIDTH), their lengths, and the constant words."""
    rows = [
        _positional(negative, exponent, count)
        for negative in (False, True)
        for exponent in range(-4, 16)
        for count in range(1, 18)
    ]
    rows += [
        _scientific(negative, exponent_negative, three, count)
        for negative in (False, True)
        for exponent_negative in (False, True)
        for three in (False, True)
        for count in range(1, 18)
    ]
    letters = {chr(c): _MINUS + i for i, c in enumerate(_CONSTANTS[:9])}
    rows += [[letters[c] for c in text] for text in _SPECIALS]
    index = np.zeros((len(rows), WIDTH), dtype=np.intp)
    for i, row in enumerate(rows):
        index[i, : len(row)] = row
    lengths = np.array([len(row) for row in rows], dtype=np.intp)
    return index, lengths, np.frombuffer(_CONSTANTS, dtype=np.uint32)


def _layout_ids(negative: np.ndarray, exponent: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Layout id of each value, in the order ``_layouts`` lists them; repr is positional for
    decimal exponents -4 <= e < 16."""
    positional = (exponent >= -4) & (exponent < 16)
    sign = negative.astype(np.intp)
    fixed = (sign * 20 + exponent + 4) * 17
    floating = _SCIENTIFIC + ((sign * 2 + (exponent < 0)) * 2 + (np.abs(exponent) >= 100)) * 17
    return np.where(positional, fixed, floating) + count - 1


def _repr_cells(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The fallback: Python's repr, one call per value."""
    text = np.array([repr(v) for v in values.tolist()], dtype=f"S{WIDTH}")
    return text.view(np.uint8).reshape(len(values), WIDTH), np.char.str_len(text)


# --- cells ---------------------------------------------------------------------------------------


def float_cells(values: np.ndarray) -> Cells:
    """``repr(float(v))`` of each value, vectorised. Values whose digits long double arithmetic cannot
    vouch for (and subnormals) are formatted by repr itself, one call each."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    a = np.abs(v)
    regular = (a >= _SMALLEST) & (a <= _LARGEST) if EXTENDED else np.zeros(len(v), dtype=bool)
    everything = bool(regular.all())
    rows = slice(None) if everything else np.flatnonzero(regular)
    number = shortest(a[rows])

    index, lengths, constants = _layouts()
    words = np.empty((len(v), _SOURCE_WORDS), dtype=np.uint32)
    words[:, 6:] = constants
    words[rows, :5] = _digits(number.digits, 5)
    words[rows, 5] = _four_digits()[np.abs(number.exponent)]
    source = words.view(np.uint8)
    # digits after the last non-zero one are padding
    count = 17 - np.argmax(source[rows, _DIGIT + 16 : _DIGIT - 1 : -1] != ord("0"), axis=1)
    negative = np.signbit(v)
    ids = np.empty(len(v), dtype=np.intp)
    ids[rows] = _layout_ids(negative[rows], number.exponent, count)
    if not everything:
        nan = np.isnan(v)
        # index into _SPECIALS: nan, inf or 0.0, the next one when negative
        special = np.where(nan, 0, np.where(np.isinf(v), 1, 3)) + (negative & ~nan)
        ids = np.where(regular, ids, _SPECIAL + special)

    spots = index.take(ids, axis=0)
    spots += (np.arange(len(v)) * source.shape[1])[:, None]
    chars = source.reshape(-1).take(spots)
    stop = lengths[ids]
    redo = ~regular & np.isfinite(v) & (v != 0)
    redo[rows] |= ~number.sure
    if redo.any():
        chars[redo], stop[redo] = _repr_cells(v[redo])
    return Cells(chars, np.zeros(len(v), dtype=np.intp), stop)


def int_cells(values: np.ndarray) -> Cells:
    """``str(int(v))`` of each integer, vectorised."""
    v = np.asarray(values).reshape(-1)
    if v.dtype.kind not in "iu":
        raise TypeError(f"int_cells takes integers, not {v.dtype}")
    negative = v < 0
    magnitude = v.astype(np.uint64)
    magnitude[negative] = np.uint64(0) - magnitude[negative]  # modulo 2**64: right for -2**63 too
    count = np.searchsorted(_POWERS_OF_TEN, magnitude, side="right") + 1
    groups = -(-int(count.max(initial=1)) // 4)
    chars = np.empty((len(v), 4 * groups + 1), dtype=np.uint8)
    chars[:, 1:] = _digits(magnitude, groups).view(np.uint8)
    start = chars.shape[1] - count - negative
    chars[negative, start[negative]] = ord("-")
    return Cells(chars, start, np.full(len(v), chars.shape[1], dtype=np.intp))


def replace(cells: Cells, where: np.ndarray, text: str) -> Cells:
    """``cells`` with the rows in ``where`` reading ``text``."""
    if not where.any():
        return cells
    chars = cells.chars
    if chars.shape[1] < len(text):
        chars = np.pad(chars, ((0, 0), (0, len(text) - chars.shape[1])))
    chars, start, stop = chars.copy(), cells.start.copy(), cells.stop.copy()
    chars[where, : len(text)] = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    start[where], stop[where] = 0, len(text)
    return Cells(chars, start, stop)


def padded(cells: Cells, rows: int) -> Cells:
    """``cells`` followed by empty rows up to ``rows``."""
    extra = rows - len(cells)
    if extra <= 0:
        return cells
    empty = np.zeros(extra, dtype=np.intp)
    return Cells(
        np.concatenate([cells.chars, np.zeros((extra, cells.chars.shape[1]), dtype=np.uint8)]),
        np.concatenate([cells.start, empty]),
        np.concatenate([cells.stop, empty]),
    )


def join_rows(columns: Sequence[Cells], sep: bytes = b",", end: bytes = b"\n") -> bytes:
    """Row i of every column, joined by ``sep`` and ended by ``end``: CSV rows in one bytes object.

    The columns are laid side by side in one grid with a mask of the bytes to keep; one boolean
    index then yields the text.
    """
    rows = len(columns[0])
    blocks: list[Cells | bytes] = []
    for position, column in enumerate(columns):
        blocks += [sep, column] if position and sep else [column]
    blocks.append(end)
    widths = [len(b) if isinstance(b, bytes) else b.chars.shape[1] for b in blocks]
    grid = np.empty((rows, sum(widths)), dtype=np.uint8)
    keep = np.empty((rows, sum(widths)), dtype=bool)
    at = 0
    for block, width in zip(blocks, widths):
        if isinstance(block, bytes):
            grid[:, at : at + width] = np.frombuffer(block, dtype=np.uint8)
            keep[:, at : at + width] = True
        else:
            grid[:, at : at + width] = block.chars
            keep[:, at : at + width] = block.mask()
        at += width
    return grid[keep].tobytes()


def join_items(cells: Cells, sep: bytes = b", ") -> bytes:
    """The cells joined by ``sep``, as in a JSON array."""
    if not len(cells):
        return b""
    return join_rows([cells], end=sep)[: -len(sep)]


def format_floats(values: np.ndarray) -> list[str]:
    """``[repr(float(v)) for v in values]``, computed as a whole."""
    return join_rows([float_cells(values)], end=b"\n").decode("ascii").split("\n")[:-1]
