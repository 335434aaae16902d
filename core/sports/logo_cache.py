"""Team logos fetched once and kept on disk (data_dir/logos), so the wall tablet does not fetch them
again on every start; the tab asks for a path and gets one as soon as the file is there."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from pathlib import Path

import aiohttp

_LOGGER = logging.getLogger("core.sports.logos")
RETRY_S = 3600.0
MAX_BYTES = 512 * 1024


class LogoCache:
    def __init__(self, directory: Path, session: aiohttp.ClientSession) -> None:
        self.directory = directory
        self.session = session
        self._failed: dict[str, float] = {}
        self._pending: dict[str, asyncio.Task[None]] = {}

    def _file(self, url: str) -> Path:
        return self.directory / f"{hashlib.sha256(url.encode()).hexdigest()[:24]}.png"

    def path(self, url: str) -> Path | None:
        """The cached file, or None while it is being fetched (or could not be)."""
        if not url:
            return None
        file = self._file(url)
        if file.exists():
            return file
        if url not in self._pending and time.time() - self._failed.get(url, 0.0) > RETRY_S:
            task = asyncio.get_running_loop().create_task(self._fetch(url, file))
            self._pending[url] = task
            task.add_done_callback(lambda _: self._pending.pop(url, None))
        return None

    async def _fetch(self, url: str, file: Path) -> None:
        try:
            async with self.session.get(url, timeout=aiohttp.ClientTimeout(total=10)) as resp:
                body = await resp.content.read(MAX_BYTES + 1)
                if resp.status != 200 or len(body) > MAX_BYTES or not body.startswith(b"\x89PNG"):
                    raise ValueError(f"HTTP {resp.status}, {len(body)} bytes")
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            self._failed[url] = time.time()
            _LOGGER.info("logo %s not cached: %s", url[:120], err)
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(".tmp")
        tmp.write_bytes(body)
        tmp.replace(file)

    async def close(self) -> None:
        for task in list(self._pending.values()):
            task.cancel()
        self._pending.clear()
