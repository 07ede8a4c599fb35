"""Cosine annealing: torch's CosineAnnealingLR."""

from __future__ import annotations

import numpy as np

from lrplot.params import Integer, Real
from lrplot.registry import Schedule, register

from ._common import BASE_LR


def cosine_annealing(t: np.ndarray, *, lr: float, t_max: int, eta_min: float) -> np.ndarray:
    """η_t = η_min + (η_0 − η_min) · (1 + cos(π·t / T_max)) / 2.

    Past T_max the cosine keeps going, so the rate climbs back to η_0 at 2·T_max, as in torch
    (which computes the same values with a recursive formula).

    >>> cosine_annealing(np.array([0.0, 1.0, 2.0]), lr=1.0, t_max=2, eta_min=0.0)
    array([1. , 0.5, 0. ])
    """
    return eta_min + (lr - eta_min) * (1.0 + np.cos(np.pi * t / t_max)) / 2.0


COSINE = register(
    Schedule(
        name="cosine",
        torch_class="CosineAnnealingLR",
        summary="Half a cosine from lr down to eta_min over t_max steps (and back up after).",
        params=(
            BASE_LR,
            Integer("t_max", "Steps from lr down to eta_min (half a period).", required=True, ge=1),
            Real("eta_min", "The lowest rate, reached at step t_max.", 0.0, ge=0),
        ),
        lr=cosine_annealing,
        horizon=lambda p: p["t_max"] + 1,
        horizon_text="t_max + 1 rows (steps 0..t_max), so the curve reaches eta_min",
        example="cosine --lr 0.1 --t-max 20 --eta-min 0.001",
    )
)
