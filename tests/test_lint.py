"""The lint rules hold: heavy modules (matplotlib, yaml) are never imported at module level outside
the renderer that needs them, Click is never imported directly, pyplot is never used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean():
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "lrplot", "tests", "scripts", "benchmarks"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
