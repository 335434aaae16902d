"""The spill file: rows that did not fit in the in-memory queue, kept on disk in order.

Append-only JSON lines. Rows are read back in order when the writer has room; once everything
read has been committed and nothing is left, the file is truncated. A spill left by a crash is
replayed at the next start: rows that were in fact committed before the crash are dropped by
the store's (entity, time) uniqueness, so replay never duplicates.

File I/O here is synchronous on purpose: appends are a buffered write + flush of a few KB,
far cheaper than a thread hop, and the reader must never await storage.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import BinaryIO

import orjson

from core.fileperm import private_file
from core.store.rows import StoreRow

_LOGGER = logging.getLogger(__name__)


class SpillFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.pending = 0  # rows in the file not yet read back
        self._offset = 0  # where the next read starts
        self._w: BinaryIO | None = None
        self._r: BinaryIO | None = None

    def open(self) -> int:
        """Open (creating) the file; return how many rows a previous run left to replay."""
        private_file(self.path)  # spilled events are the home's history: 0600 in a 0700 dir
        self._drop_torn_tail()
        self._w = self.path.open("ab")
        self._r = reader = self.path.open("rb")
        self._offset = 0
        self.pending = 0
        while chunk := reader.read(1 << 20):
            self.pending += chunk.count(b"\n")
        return self.pending

    def _drop_torn_tail(self) -> None:
        """A crash mid-append can leave half a line: cut it, or the next append would join it."""
        data_size = self.path.stat().st_size
        if data_size == 0:
            return
        with self.path.open("r+b") as fh:
            fh.seek(max(0, data_size - (1 << 20)))
            tail = fh.read()
            if tail.endswith(b"\n"):
                return
            keep = data_size - len(tail) + tail.rfind(b"\n") + 1
            _LOGGER.warning(
                "spill file %s: dropping a torn last line (%d bytes)", self.path, data_size - keep
            )
            fh.truncate(keep)

    def append(self, rows: list[StoreRow]) -> None:
        assert self._w is not None, "spill file not open"
        self._w.write(b"".join(orjson.dumps(r.to_spill()) + b"\n" for r in rows))
        self._w.flush()  # into the OS: survives a crash of the app
        self.pending += len(rows)

    def read(self, max_rows: int) -> list[StoreRow]:
        """The next rows in order (up to max_rows); an unreadable line is logged and skipped."""
        assert self._r is not None, "spill file not open"
        self._r.seek(self._offset)
        out: list[StoreRow] = []
        while self.pending and len(out) < max_rows:
            line = self._r.readline()
            if not line.endswith(b"\n"):
                _LOGGER.error("spill file %s ends early; %d rows unreadable", self.path, self.pending)
                self.pending = 0
                break
            self._offset += len(line)
            self.pending -= 1
            try:
                out.append(StoreRow.from_spill(orjson.loads(line)))
            except (orjson.JSONDecodeError, TypeError, ValueError):
                _LOGGER.error("spill file %s: skipping an unreadable line", self.path)
        return out

    @property
    def has_data(self) -> bool:
        return self._offset > 0 or self.pending > 0

    def reset(self) -> None:
        """Truncate once everything was read back and committed."""
        assert self._w is not None and self.pending == 0
        os.ftruncate(self._w.fileno(), 0)
        self._offset = 0

    def reset_unread(self) -> None:
        """Truncate after the caller has read everything back (to rewrite it in a new order)."""
        assert self._w is not None
        os.ftruncate(self._w.fileno(), 0)
        self._offset = 0
        self.pending = 0

    def close(self) -> None:
        for fh in (self._w, self._r):
            if fh is not None:
                fh.close()
        self._w = self._r = None
