"""Runs the GUI's asynchronous requests (restart an engine, apply a config, test a connection, read
the store) on the asyncio loop and hands results back to plain callbacks.

Widgets never `await`: they call `Controller.submit(...)` with `on_done` / `on_error` callbacks.
Every task is kept until it finishes; callbacks whose Qt receiver has been deleted are skipped.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


def _alive(callback: Callable[..., Any] | None) -> bool:
    owner = getattr(callback, "__self__", None)
    return callback is not None and (not isinstance(owner, QObject) or shiboken6.isValid(owner))


if TYPE_CHECKING:
    from core.runtime import Runtime


class Controller(QObject):
    config_applied = Signal(object)  # the AppConfig now in use, after runtime.apply_config succeeded

    def __init__(self, runtime: Runtime | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runtime = runtime
        self._tasks: set[asyncio.Future[Any]] = set()

    @property
    def pending(self) -> int:
        return len(self._tasks)

    def submit(
        self,
        work: Awaitable[Any] | Callable[[], Any],
        on_done: Done | None = None,
        on_error: Failed | None = None,
    ) -> asyncio.Future[Any]:
        """Run `work` (a coroutine, or a function returning a value or an awaitable) on the loop."""
        task = asyncio.ensure_future(self._run(work))
        self._tasks.add(task)

        def finished(fut: asyncio.Future[Any]) -> None:
            self._tasks.discard(fut)
            if fut.cancelled():
                return
            err = fut.exception()
            if err is not None:
                log.debug("gui request failed: %s", err)
                if _alive(on_error):
                    on_error(err)  # type: ignore[misc]
            elif _alive(on_done):
                on_done(fut.result())  # type: ignore[misc]

        task.add_done_callback(finished)
        return task

    def _runtime(self) -> Runtime:
        if self.runtime is None:  # the first-run dialog works before any runtime exists
            raise RuntimeError("no runtime is running yet")
        return self.runtime

    def query(self, read: Callable[[Any], Any], on_done: Done, on_error: Failed | None = None) -> None:
        """Run a read against `runtime.store.queries` (sync or async), or fail if the store is not open."""

        async def run() -> Any:
            store = self.runtime.store if self.runtime is not None else None
            if store is None:
                raise RuntimeError("the store is not open yet")
            return await self._resolve(read(store.queries))

        self.submit(run(), on_done, on_error)

    def restart_engine(self, name: str, on_done: Done | None = None, on_error: Failed | None = None) -> None:
        self.submit(self._runtime().restart_engine(name), on_done, on_error)

    def apply_config(self, config: Any, on_done: Done | None = None, on_error: Failed | None = None) -> None:
        """runtime.apply_config (restarts only the engines concerned), then announce the new config."""

        def applied(restarted: list[str]) -> None:
            self.config_applied.emit(config)
            if _alive(on_done):
                on_done(restarted)  # type: ignore[misc]

        self.submit(self._runtime().apply_config(config), applied, on_error)

    async def drain(self) -> None:
        """Cancel what is still running (the window is closing) and wait for it."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, work: Awaitable[Any] | Callable[[], Any]) -> Any:
        if inspect.isawaitable(work):
            return await work
        return await self._resolve(work())

    @staticmethod
    async def _resolve(value: Any) -> Any:
        return await value if inspect.isawaitable(value) else value
