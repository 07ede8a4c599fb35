"""The schedule families; importing this package registers every schedule."""

from . import cosine, exponential, onecycle, plateau  # noqa: F401
