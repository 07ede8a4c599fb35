"""Commands that do not plot never import matplotlib (nor yaml unless a config is read)."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import sys
from lrplot.cli import main
try:
    main({args!r})
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in ("matplotlib", "yaml", "pydantic", "torch") if m in sys.modules)
sys.stderr.write("HEAVY=" + ",".join(heavy) + "\\n")
sys.exit(code)
"""


def imported_by(args: list[str], cwd) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args)],
        capture_output=True, text=True, cwd=cwd, check=False,
    )
    assert done.returncode == 0, done.stderr
    line = [x for x in done.stderr.splitlines() if x.startswith("HEAVY=")][-1]
    return set(filter(None, line[len("HEAVY="):].split(",")))


@pytest.mark.parametrize(
    "args",
    [
        ["cosine", "--t-max", "20"],
        ["cosine", "--t-max", "20", "-o", "x.csv"],
        ["cosine", "--t-max", "20", "-o", "x.json"],
        ["onecycle", "--max-lr", "0.01", "--total-steps", "100", "-o", "-"],
        ["list"],
    ],
)
def test_non_plotting_commands_stay_light(tmp_path, args):
    assert imported_by(args, tmp_path) == set()


def test_plotting_imports_matplotlib(tmp_path):
    assert "matplotlib" in imported_by(["cosine", "--t-max", "20", "-o", "x.png"], tmp_path)
