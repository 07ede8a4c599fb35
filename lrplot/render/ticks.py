"""Tick values and labels shared by the plot and the terminal chart: nice steps, rates as ``5e-4``.

No matplotlib here: the terminal chart uses these too, and it must stay cheap to import.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

# Rates from 0.01 up are read as decimals (0.1, 0.05); below, a decimal is a row of zeros that the
# eye has to count, so every label of the axis is written as m e-k (1e-3, 5e-4, 2.5e-3).
PLAIN_FROM = 0.01
PLAIN_BELOW = 1e4
# Labels of the plain style are at most this long (0.0125); a longer one puts the axis in m e-k.
PLAIN_WIDTH = 6
# A step axis up to here reads in plain digits with separators (9,500); past it in k and M.
SUFFIX_FROM = 10_000


def nice_steps(raw: float, mantissas: Sequence[float] = (1, 2, 5)) -> Iterator[tuple[float, int]]:
    """m·10^e for m in ``mantissas``, from the smallest at least ``raw`` upwards, as (m, e).

    >>> steps = nice_steps(0.3)
    >>> next(steps), next(steps), next(steps)
    ((5, -1), (1, 0), (2, 0))
    """
    e = math.floor(math.log10(raw))
    while True:
        for m in mantissas:
            if m * 10.0**e >= raw * (1 - 1e-9):
                yield m, e
        e += 1


def decimal(m: float, e: int) -> float:
    """m·10^e rounded once, so that 3 x 0.002 is 0.006 and not 0.006000000000000001."""
    if e >= 0:
        return m * 10.0**e if e < 308 else math.inf
    return m / 10 ** (-e)


def sci(value: float, digits: int = 12) -> str:
    """A rate in the shortest ``m e-k`` form, to ``digits`` significant digits: ``5e-4``,
    ``2.5e-3``, ``1e4``; 0 as ``0``.

    >>> sci(0.0005), sci(0.0025), sci(1e-3), sci(-2e-6), sci(12000.0), sci(6.1558297e-06, 3)
    ('5e-4', '2.5e-3', '1e-3', '-2e-6', '1.2e4', '6.16e-6')
    """
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def plain(value: float) -> str:
    """A rate as a short decimal, float noise from tick arithmetic rounded away (0.3, not
    0.30000000000000004).

    >>> plain(0.30000000000000004), plain(0.05), plain(0.0), plain(2.0)
    ('0.3', '0.05', '0', '2')
    """
    text = f"{float(f'{value:.12g}'):.12f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def rate_labels(values: Sequence[float]) -> list[str]:
    """Labels for the rate ticks ``values``, in one style for the whole axis: decimals when every
    non-zero rate is at least 0.01 (0.1, 0.05) and they stay short, else ``1e-3``, ``5e-4``;
    never a ×10⁻³ multiplier that the reader must apply to every tick.

    >>> rate_labels([0.0, 0.05, 0.1]), rate_labels([0.0, 5e-4, 1e-3]), rate_labels([0.0025, 0.01])
    (['0', '0.05', '0.1'], ['0', '5e-4', '1e-3'], ['2.5e-3', '1e-2'])
    """
    shown = [v for v in values if v != 0 and math.isfinite(v)]
    texts = [plain(v) for v in values]
    if all(PLAIN_FROM <= abs(v) < PLAIN_BELOW for v in shown) and all(len(t) <= PLAIN_WIDTH for t in texts):
        return texts
    return [sci(v) if math.isfinite(v) else str(v) for v in values]


def rate_text(value: float, digits: int = 3) -> str:
    """One rate to ``digits`` significant digits, in the style of the axis it would sit on.

    >>> rate_text(0.1), rate_text(0.004), rate_text(4e-07), rate_text(1 / 3)
    ('0.1', '4e-3', '4e-7', '0.333')
    """
    return rate_labels([float(f"{value:.{digits}g}")])[0]


def step_labels(values: Sequence[float]) -> list[str]:
    """Labels for round step ticks: digits with separators (0, 2,500, 5,000) while the axis stays
    below 10,000, past it thousands as k and millions as M (0, 250k, 500k, 750k, 1M).

    >>> step_labels([0, 5, 10]), step_labels([0, 2500, 5000]), step_labels([0, 250_000, 1_000_000])
    (['0', '5', '10'], ['0', '2,500', '5,000'], ['0', '250k', '1M'])
    >>> step_labels([0, 2_500_000, 10_000_000]), step_labels([0, 12_500, 25_000]), step_labels([0, 0.5])
    (['0', '2.5M', '10M'], ['0', '12.5k', '25k'], ['0', '0.5'])
    """
    top = max((abs(v) for v in values), default=0)
    if top < SUFFIX_FROM:
        return [count_label(v) for v in values]
    return [_suffixed(v) for v in values]


def _suffixed(v: float) -> str:
    if abs(v) >= 1e6:
        return plain(v / 1e6) + "M"
    if abs(v) >= 1e3:
        return plain(v / 1e3) + "k"
    return count_label(v)


def count_label(x: float) -> str:
    """A step or epoch exactly: whole numbers with thousands separators (200,000), others with up
    to three decimals.

    >>> count_label(200000.0), count_label(19.98), count_label(0.125)
    ('200,000', '19.98', '0.125')
    """
    if x == round(x):
        return f"{round(x):,}"
    return f"{x:,.3f}".rstrip("0").rstrip(".")


def rounded_label(x: float, resolution: float) -> str:
    """``x`` to the precision a reader can tell apart at ``resolution`` (what one column of a
    chart spans): the end of an epoch axis whose last row is at epoch 19.98, read on a chart whose
    columns are a third of an epoch wide, is 20.

    >>> rounded_label(19.98, 0.33), rounded_label(1.98, 0.033), rounded_label(20.0, 0.5)
    ('20', '1.98', '20')
    """
    if x == round(x) or resolution <= 0:
        return count_label(x)
    digits = max(0, min(3, -math.floor(math.log10(resolution))))
    return count_label(round(x, digits))


def log_floor_note(rows: int, negative: bool, floor: float) -> str:
    """What a log axis says about the rows it cannot show (rates of 0, or below): how many, and
    where the axis starts instead.

    >>> log_floor_note(1, False, 6.1558297e-06)
    '1 row at rate 0 is off the log scale; floor 6.16e-6 = the lowest positive rate'
    """
    rate = "rate ≤ 0" if negative else "rate 0"
    verb = "are" if rows != 1 else "is"
    return (f"{rows:,} row{'s' * (rows != 1)} at {rate} {verb} off the log scale; floor "
            f"{sci(floor, 3)} = the lowest positive rate")
