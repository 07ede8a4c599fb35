"""Regenerate the golden terminal charts and tables under tests/golden/ (see tests/snapshots.py).

    python scripts/make_snapshots.py            every snapshot
    python scripts/make_snapshots.py NAME ...   some of them (e.g. charts/cosine.txt)
    python scripts/make_snapshots.py --check    write nothing; list the ones that differ

Run from the repository root, then review ``git diff tests/golden`` before committing: the tests
compare with these files and never write them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import snapshots  # noqa: E402  (the repository root must be importable first)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="snapshots to write (default: all)")
    parser.add_argument("--check", action="store_true", help="write nothing; list those that differ")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in snapshots.SNAPSHOTS]
    if unknown:
        parser.error(f"no snapshot {', '.join(unknown)}; snapshots: {', '.join(sorted(snapshots.SNAPSHOTS))}")
    names = args.names or sorted(snapshots.SNAPSHOTS)
    if args.check:
        stale = [n for n in names if not (snapshots.GOLDEN / n).exists()
                 or (snapshots.GOLDEN / n).read_bytes() != snapshots.SNAPSHOTS[n]().encode("utf-8")]
        for name in stale:
            print(f"differs: tests/golden/{name}")
        return 1 if stale else 0
    changed = snapshots.write(names)
    for name in changed:
        print(f"wrote tests/golden/{name}")
    if not changed:
        print("every snapshot is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
