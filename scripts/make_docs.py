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

# Every picture is drawn by the README's own command that writes it: a line of a bash block that
# runs lrplot with `-o docs/NAME.png` (tests/test_docs.py runs the same lines).
PICTURE = re.compile(r"-o (docs/[\w.-]+\.png)")


def picture_commands(text: str) -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("lrplot ") and PICTURE.search(line)]


# One table per framework, between <!-- schedules:NAME:start --> and <!-- schedules:NAME:end -->.
TABLE = re.compile(r"(<!-- schedules:(\w+):start -->\n)(.*?)(<!-- schedules:\2:end -->)", re.S)


def draw_pictures(text: str) -> None:
    (ROOT / "docs").mkdir(exist_ok=True)
    for command in picture_commands(text):
        args = [sys.executable, "-m", "lrplot", *shlex.split(command)[1:], "--quiet"]
        subprocess.run(args, cwd=ROOT, check=True)


FRAMEWORK_TABLE = re.compile(r"(<!-- frameworks:start -->\n)(.*?)(<!-- frameworks:end -->)", re.S)


def readme_with_table(text: str) -> str:
    from lrplot import catalog

    text = FRAMEWORK_TABLE.sub(lambda m: m.group(1) + catalog.frameworks_markdown() + m.group(3), text)
    return TABLE.sub(lambda m: m.group(1) + catalog.markdown(m.group(2)) + m.group(4), text)


def main() -> None:
    from lrplot import catalog

    draw_pictures(README.read_text())
    README.write_text(readme_with_table(README.read_text()))
    (ROOT / "docs" / "config-reference.yaml").write_text(catalog.yaml_reference())


if __name__ == "__main__":
    main()
