"""Log files on the local disk: a file, or every file under a folder (recursively)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from tattletrail.sources.base import LogObject, SourceError


def local_objects(path: str | Path) -> Iterator[LogObject]:
    """Every file at `path` in name order; hidden files and folders (`.git`, `.DS_Store`) are left out."""
    root = Path(path).expanduser()
    if root.is_file():
        yield _object(root.resolve())
        return
    if not root.is_dir():
        raise SourceError(f"{root}: no such file or folder")
    # The folder is resolved once, and a file only when it is a link: resolving every file cost a
    # third of a millisecond each.
    root = root.resolve()
    for file in sorted(root.rglob("*")):
        relative = file.relative_to(root).parts
        if file.is_file() and not any(part.startswith(".") for part in relative):
            yield _object(file.resolve() if file.is_symlink() else file)


def _object(file: Path) -> LogObject:
    status = file.stat()
    return LogObject(
        uri=str(file),
        etag=f"{status.st_size}-{status.st_mtime_ns}",
        size=status.st_size,
        open=lambda: open(file, "rb"),
    )
