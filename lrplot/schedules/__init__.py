"""The schedule families; importing this package registers every schedule.

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
