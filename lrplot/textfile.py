"""Reading a text file lrplot takes as input (metrics, configs): what is not text is refused in one line."""

from __future__ import annotations

from pathlib import Path

from lrplot.errors import LrplotError


def read_text(
    path: Path, shown: str, what: str, error: type[LrplotError], limit: int, empty: str = ""
) -> str:
    """The UTF-8 text of ``path`` (a BOM is dropped); ``what`` names the file in messages ("config"),
    ``limit`` caps its size in bytes, ``empty`` says what an empty file lacks."""
    try:
        if path.is_dir():
            raise error(f"{what} {shown} is a directory, not a file")
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise error(f"{what} {shown} does not exist") from None
    except PermissionError:
        raise error(f"{what} {shown} cannot be read: permission denied") from None
    except OSError as exc:
        raise error(f"{what} {shown} cannot be read: {exc.strerror or exc}") from None
    except ValueError:  # the operating system takes no NUL byte in a file name
        raise error(f"{what} {shown!r} is not a file name: it holds a NUL byte") from None
    if len(data) > limit:
        raise error(f"{what} {shown} is larger than {limit >> 20:,} MiB")
    if not data.strip():
        raise error(f"{what} {shown} is empty{empty}")
    if b"\0" in data:
        raise error(f"{what} {shown} is binary, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(f"{what} {shown}:{line}: not UTF-8 text") from None
