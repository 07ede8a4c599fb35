"""Parameters shared by many schedules, declared once."""

from __future__ import annotations

import math

from lrplot.params import Invalid, Real

BASE_LR = Real("lr", "The optimizer's learning rate (its lr), the schedule's starting point.", 1e-3, gt=0,
               argument=False)


# A rate that grows (gamma > 1) eventually passes the largest float64 and becomes inf.
LARGEST = 1.7976931348623157e308


def growth_headroom(lr: float, gamma: float) -> int | None:
    """How many multiplications by ``gamma`` > 1 the rate ``lr`` takes and stays finite (one
    spare for rounding); None when it does not grow."""
    if gamma <= 1.0:
        return None
    return max(0, math.floor((math.log(LARGEST) - math.log(lr)) / math.log(gamma)) - 1)


def overflow(rows: int) -> tuple[int, Invalid]:
    """The row limit of a growing schedule, with the reason."""
    return rows, Invalid(
        f"past step {rows - 1} the rate passes the largest float64 (1.8e308); lower {{}}", "gamma"
    )
