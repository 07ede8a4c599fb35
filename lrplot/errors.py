"""The exceptions lrplot raises for bad input; cli.py turns each into one line and an exit code."""

from __future__ import annotations


class LrplotError(Exception):
    """A problem with what the user gave lrplot, stated in one line. Exit code 1."""

    exit_code = 1


class UsageError(LrplotError):
    """The command line is wrong: a flag's value, a missing or contradictory flag. Exit code 2."""

    exit_code = 2


class InputError(LrplotError):
    """A file lrplot reads is missing, unreadable or malformed (metrics, YAML). Exit code 1."""


class OutputError(LrplotError):
    """An output target cannot be written. Exit code 1."""


class ConfigError(LrplotError):
    """A YAML config is wrong: syntax, structure or a parameter value. Exit code 1."""
