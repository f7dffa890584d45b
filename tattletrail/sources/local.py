"""Log files on the local disk: a file, or every file under a folder (recursively).

Links to folders are followed (`AWSLogs` linked in from another disk is common); a link back to a
folder already read is skipped and reported, so a loop can't read forever.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterator

from tattletrail.sources.base import LogObject, SourceError
from tattletrail.sources.filters import EventFilter

Report = Callable[[str], None]


def local_objects(path: str | Path, events: EventFilter | None = None,
                  report: Report | None = None) -> Iterator[LogObject]:
    """Every file at `path` in name order; hidden files and folders (`.git`, `.DS_Store`) are left
    out, and with `events`, files whose CloudTrail key layout puts them outside the filters."""
    root = Path(path).expanduser()
    if root.is_file():
        yield _object(root.resolve())
        return
    if not root.is_dir():
        raise SourceError(f"{root}: no such file or folder")
    # The folder is resolved once, and a file only when it is a link: resolving every file cost a
    # third of a millisecond each.
    root = root.resolve()
    for file in _files_under(root, report or (lambda notice: None)):
        relative = file.relative_to(root).as_posix()
        if events is not None and not events.keeps_path(relative):
            continue
        yield _object(file.resolve() if file.is_symlink() else file)


def _files_under(root: Path, report: Report) -> Iterator[Path]:
    """Files under `root` in name order (as rglob gave them), following links to folders; a folder
    met again (a loop, or a second link to it) is read once."""
    seen: dict[tuple[int, int], Path] = {}

    def walk(folder: Path) -> Iterator[Path]:
        status = folder.stat()
        identity = (status.st_dev, status.st_ino)
        if identity in seen:
            report(f"{folder}: skipped, it is {seen[identity]} again (a link loop, or a second link to it)")
            return
        seen[identity] = folder
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as error:
            report(f"{folder}: skipped, can't list it ({error.strerror})")
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            child = folder / entry.name
            if entry.is_dir(follow_symlinks=True):
                yield from walk(child)
            elif entry.is_file(follow_symlinks=True):
                yield child
            elif entry.is_symlink():
                report(f"{child}: skipped, a link to {os.readlink(child)} which does not exist")

    yield from walk(root)


def _object(file: Path) -> LogObject:
    status = file.stat()
    return LogObject(
        uri=str(file),
        etag=f"{status.st_size}-{status.st_mtime_ns}",
        size=status.st_size,
        open=lambda: open(file, "rb"),
    )
