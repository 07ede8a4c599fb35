"""Parameters shared by many schedules, declared once."""

from __future__ import annotations

from lrplot.params import Real

BASE_LR = Real("lr", "The optimizer's learning rate (its lr), the schedule's starting point.", 1e-3, gt=0)

