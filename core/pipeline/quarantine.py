"""Rows the store cannot write, kept aside so that the rest of their batch lands.

A row that SQLite refuses (an integer past 64 bits, a value it cannot bind) fails its whole
transaction, and retrying the same batch fails forever: storage stops for good, and at shutdown
the row goes to the spill file and stops it again at every start. The pipeline therefore splits a
batch that fails with such a row error until the failing rows are alone, stores the rest, and
appends each failing row here: one JSON line (stdlib json: it writes any integer) with the time,
the error and the row, for a person to look at. Nothing is retried from this file.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from pathlib import Path

from core.store.rows import StoreRow

_LOGGER = logging.getLogger(__name__)


def is_row_error(err: BaseException) -> bool:
    """True when the error comes from a value in the rows, not from the database or the disk
    (those are retried: a full disk or a locked file must not throw rows away)."""
    if isinstance(err, OverflowError | TypeError | ValueError | UnicodeError | sqlite3.DataError):
        return True
    return isinstance(err, sqlite3.ProgrammingError) and "binding parameter" in str(err)


class QuarantineFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def count(self) -> int:
        """Rows quarantined so far (by this and earlier runs)."""
        try:
            with self.path.open("rb") as fh:
                return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
        except FileNotFoundError:
            return 0

    def append(self, row: StoreRow, error: BaseException) -> None:
        """Keep the row; a failure to do so is logged (the row is then only in the log line)."""
        entry = {"at": time.time(), "error": f"{type(error).__name__}: {error}", "row": row.to_spill()}
        line = json.dumps(entry, default=repr) + "\n"
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write(line)
        except OSError as err:
            _LOGGER.error("cannot keep a quarantined row in %s (%s): %s", self.path, err, line[:500])
