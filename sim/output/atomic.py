"""Atomic file output (SPEC §6): write to a temporary file beside the target, then rename over it.

A reader never sees a half-written file, and an interrupted run leaves the previous version in place.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO

_UMASK = os.umask(0)
os.umask(_UMASK)


def _publish(tmp: str, path: Path) -> None:
    """Give the temporary file the permissions a plain open() would have, then rename it into place."""
    os.chmod(tmp, 0o666 & ~_UMASK)
    os.replace(tmp, path)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        _publish(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


class AtomicStream:
    """A text file written incrementally and published by rename on `commit()`; `discard()` drops it."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self._tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        self.file: IO[str] = os.fdopen(fd, "w", encoding="utf-8", newline="")

    def write(self, text: str) -> None:
        self.file.write(text)

    def commit(self) -> None:
        self.file.close()
        _publish(self._tmp, self.path)

    def discard(self) -> None:
        if not self.file.closed:
            self.file.close()
        Path(self._tmp).unlink(missing_ok=True)
