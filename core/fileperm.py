"""Private files and directories: the home's history, alerts, logs, config and spill files are
readable by this user only (files 0600, directories 0700), whatever the umask says.

The directories are the app's own (data dir, log dir, config dir): an existing one loses its group
and other permission bits. SQLite gives its -wal and -shm files the mode of the database file, so
creating the database 0600 before SQLite opens it covers those too; `private_file` also tightens
them when they already exist (stores created by older versions).
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
_SQLITE_SIDECARS = ("-wal", "-shm", "-journal")


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) if needed; make `path` itself 0700."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _tighten(path, DIR_MODE)
    return path


def private_file(path: Path, *, sqlite: bool = False) -> Path:
    """Create `path` empty if missing, 0600 from its first byte; tighten it (and for a SQLite
    database its -wal/-shm/-journal) when it exists with looser bits."""
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    _tighten(path, FILE_MODE)
    if sqlite:
        for suffix in _SQLITE_SIDECARS:
            side = path.with_name(path.name + suffix)
            if side.exists():
                _tighten(side, FILE_MODE)
    return path


def _tighten(path: Path, mode: int) -> None:
    with contextlib.suppress(OSError):  # not ours, or a filesystem without modes (some Windows ones)
        current = stat.S_IMODE(path.stat().st_mode)
        if current & 0o077:
            os.chmod(path, current & ~0o077 & 0o7777 | (mode & 0o700))
