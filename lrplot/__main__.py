"""``python -m lrplot``: the same command as ``lrplot``."""

from .cli import main

main()
