"""lrplot: learning-rate schedules computed exactly as PyTorch steps them, without PyTorch.

>>> import lrplot
>>> c = lrplot.curve("cosine", lr=0.1, t_max=20)
>>> len(c), c.lr[0], c.lr[-1]
(21, 0.1, 0.0)

``lrplot.figure(curves)`` draws curves on a matplotlib Figure (matplotlib is imported only then).
"""

from __future__ import annotations

from .engine import Curve, Spec, build_spec, compute, curve
from .errors import LrplotError
from .registry import all_schedules

__version__ = "0.1.0"

__all__ = ["Curve", "LrplotError", "Spec", "build_spec", "compute", "curve", "figure", "all_schedules"]


def figure(curves, **options):
    """A matplotlib Figure of one curve or a list of curves (see lrplot.render.plot.figure)."""
    from .render.plot import figure as _figure

    return _figure([curves] if isinstance(curves, Curve) else list(curves), **options)
