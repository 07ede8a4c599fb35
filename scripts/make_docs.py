"""Regenerate the README's pictures (docs/*.png), its schedule table and docs/config-reference.yaml
from the registry.

Run from the repository root: ``python scripts/make_docs.py``. tests/test_docs.py fails when the
README's table and the registry disagree, or when a picture is missing.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

# One picture per schedule, drawn by the command shown next to it in the README.
PICTURES = {
    "exponential.png": "exponential --lr 0.001 --gamma 0.9 --steps 20",
    "cosine.png": "cosine --lr 0.1 --t-max 20 --eta-min 0.001",
    "plateau.png": "plateau --lr 0.001 --metrics sample_configs/val_acc.csv --column val_acc "
    "--mode max --patience 2 --factor 0.1 --cooldown 2",
    "onecycle.png": "onecycle --max-lr 0.01 --epochs 20 --steps-per-epoch 50 --pct-start 0.3",
    "compare.png": 'compare "cosine --lr 0.01 --t-max 100" "onecycle --max-lr 0.01 --total-steps 100" '
    '"exponential --lr 0.01 --gamma 0.97 --steps 100"',
    "seed_examples.png": "run sample_configs/seed_examples.yaml",
    "family.png": " ".join([
        "compare",
        '"step --lr 0.1 --step-size 30 --label step"',
        '"multistep --lr 0.1 --milestones 30,80 --label multistep"',
        '"linear --lr 0.1 --start-factor 0.1 --total-iters 20 --label linear"',
        '"polynomial --lr 0.1 --total-iters 100 --power 2 --label polynomial"',
        '"cosine-restarts --lr 0.1 --t-0 10 --t-mult 2 --label cosine-restarts"',
        '"cyclic --base-lr 0.01 --max-lr 0.1 --step-size-up 10 --label cyclic"',
        "--steps 100 --layout grid",
    ]),
    "nested.png": "run sample_configs/nested.yaml",
}

# One table per framework, between <!-- schedules:NAME:start --> and <!-- schedules:NAME:end -->.
TABLE = re.compile(r"(<!-- schedules:(\w+):start -->\n)(.*?)(<!-- schedules:\2:end -->)", re.S)


def draw_pictures() -> None:
    (ROOT / "docs").mkdir(exist_ok=True)
    for name, command in PICTURES.items():
        args = [sys.executable, "-m", "lrplot", *shlex.split(command), "-o", f"docs/{name}"]
        subprocess.run(args, cwd=ROOT, check=True)


def readme_with_table(text: str) -> str:
    from lrplot import catalog

    return TABLE.sub(lambda m: m.group(1) + catalog.markdown(m.group(2)) + m.group(4), text)


def main() -> None:
    from lrplot import catalog

    draw_pictures()
    README.write_text(readme_with_table(README.read_text()))
    (ROOT / "docs" / "config-reference.yaml").write_text(catalog.yaml_reference())


if __name__ == "__main__":
    main()
