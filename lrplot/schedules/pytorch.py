"""PyTorch's scheduler family (torch.optim.lr_scheduler): importing this registers every one.

The import order is the order of `lrplot list`, the README table and the help.
"""
# isort: skip_file

from . import exponential  # noqa: F401
from . import step  # noqa: F401
from . import factor  # noqa: F401
from . import cosine  # noqa: F401
from . import cyclic  # noqa: F401
from . import onecycle  # noqa: F401
from . import plateau  # noqa: F401
from . import compose  # noqa: F401


def clear_caches() -> None:
    """Forget every computed curve the family keeps (composite scans, plateau scans): a fresh
    start for benchmarks and for tests that change how curves are computed."""
    compose._scanned.cache_clear()
    plateau.plateau_scan.cache_clear()
