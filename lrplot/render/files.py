"""Output targets: checked before any work, written beside their destination and renamed into place."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from lrplot.errors import OutputError, UsageError

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf", ".csv": "csv", ".json": "json"}
BINARY = frozenset({"png", "pdf"})
STDOUT = "-"


@dataclass(frozen=True)
class Target:
    """Where one output goes: a file path, or standard output (``path is None``)."""

    path: Path | None
    format: str

    @property
    def shown(self) -> str:
        return "standard output" if self.path is None else str(self.path)


def parse_targets(paths: Sequence[str], flag: str = "-o", terminal: bool = False) -> list[Target]:
    """Check every ``-o`` value up front: known suffix, existing directory, not a directory,
    no path given twice, no binary format on a terminal (``terminal``: standard output is one).
    Nothing is computed or written before this passes.

    ``-`` is CSV on standard output; ``-`` with a suffix (``-.json``, ``-.svg``, ``-.png``) is
    that format on standard output.
    """
    targets: list[Target] = []
    seen: dict[str, str] = {}
    for raw in paths:
        if raw == STDOUT or raw.startswith(STDOUT + "."):
            target = Target(None, _format(raw, raw[len(STDOUT):] or ".csv", flag))
            if terminal and target.format in BINARY:
                raise UsageError(
                    f"{flag} {raw}: {target.format.upper()} is binary and standard output is a "
                    f"terminal; redirect it (> plot.{target.format}) or give a file name"
                )
            key = STDOUT
        else:
            if not raw.strip():
                raise UsageError(f"{flag} needs a file path, got an empty string")
            if "\0" in raw:  # the operating system takes no NUL byte in a file name
                raise UsageError(f"{flag} {raw!r} is not a file name: it holds a NUL byte")
            path = Path(raw)
            if path.is_dir():
                raise UsageError(f"{flag} {raw} is a directory; give a file name inside it")
            fmt = _format(raw, path.suffix, flag)
            parent = Path(os.path.realpath(path)).parent
            if not Path(raw).parent.is_dir() or not parent.is_dir():
                raise UsageError(f"{flag} {raw}: directory {path.parent} does not exist")
            if not os.access(parent, os.W_OK):
                raise UsageError(f"{flag} {raw}: directory {path.parent} is not writable")
            if path.exists() and not path.is_file():
                raise UsageError(f"{flag} {raw} exists and is not a regular file")
            target = Target(path, fmt)
            key = os.path.realpath(path)
        if key in seen:
            also = "standard output" if key == STDOUT else seen[key]
            raise UsageError(f"{flag} {raw} is given twice (also as {also})")
        seen[key] = raw
        targets.append(target)
    return targets


def _format(raw: str, suffix: str, flag: str) -> str:
    fmt = FORMATS.get(suffix.lower())
    if fmt is None:
        raise UsageError(
            f"{flag} {raw}: unknown file type {suffix or '(no suffix)'}; use one of "
            f"{', '.join(FORMATS)}, - for CSV on standard output, or -.json, -.svg, ... for "
            "another format there"
        )
    return fmt


def protect(targets: Sequence[Target], inputs: Sequence[tuple[str, Path]], flag: str = "-o") -> None:
    """Refuse to write over a file this run reads (``inputs``: (what, path) pairs)."""
    for target in targets:
        if target.path is None or not target.path.exists():
            continue
        for what, source in inputs:
            if source.exists() and os.path.samefile(target.path, source):
                raise UsageError(
                    f"{flag} {target.path} is the {what} this run reads; write the output elsewhere"
                )


@contextlib.contextmanager
def staged(targets: Sequence[Target]) -> Iterator[list[IO[bytes] | None]]:
    """Open a temporary file beside each file target; rename them all into place only if the
    block finishes. On any failure, Ctrl-C included, the temporaries vanish and the files that
    were there stay as they were. Standard output targets get ``None``."""
    import tempfile  # only a run that writes files pays for it

    handles: list[IO[bytes] | None] = []
    temps: list[tuple[str, Path]] = []
    try:
        for target in targets:
            if target.path is None:
                handles.append(None)
                continue
            # Beside the real file, so a symlinked target is written through, not replaced.
            real = Path(os.path.realpath(target.path))
            fd, temp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
            temps.append((temp, real))
            handles.append(os.fdopen(fd, "wb"))
        yield handles
        for handle in handles:
            if handle is not None:
                handle.flush()
                os.fsync(handle.fileno())
                handle.close()
        for temp, path in temps:
            _keep_mode(path, temp)
            os.replace(temp, path)
        temps.clear()
    except BrokenPipeError:
        raise  # the reader of standard output went away (e.g. `| head`): not a write error
    except OSError as exc:
        raise OutputError(f"cannot write {_failed(exc, temps)}: {exc.strerror or exc}") from None
    finally:
        for handle in handles:
            if handle is not None and not handle.closed:
                handle.close()
        for temp, _ in temps:
            with contextlib.suppress(OSError):
                os.unlink(temp)


def _failed(exc: OSError, temps: list[tuple[str, Path]]) -> str:
    for temp, path in temps:
        if exc.filename in (temp, str(path)):
            return str(path)
    return ", ".join(str(path) for _, path in temps) or "output"


def _keep_mode(path: Path, temp: str) -> None:
    """A replaced file keeps its permissions; a new one gets the usual umask-based mode."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(temp, mode)
