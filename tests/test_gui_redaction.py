"""The GUI against a hostile HA whose auth_invalid message quotes the token: the error is shown on
the Overview, the Services and Logs tables and the status bar, never the token (issue 13, item 14)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import WSMsgType, web
from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QLabel

from core.config import HomeAssistantConfig
from tests.gui_conftest import make_gui_config, running_session, wait_until

TOKEN = "eyJhbGciOiJIUzI1NiJ9.gui-hostile-token.c2lnbmF0dXJl"
SHOWN = "Invalid access token"


@pytest.fixture
async def hostile_ha() -> AsyncIterator[str]:
    async def websocket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(orjson.dumps({"type": "auth_required", "ha_version": "2025.4.4"}).decode())
        msg = await ws.receive()
        token = orjson.loads(msg.data).get("access_token", "") if msg.type == WSMsgType.TEXT else ""
        await ws.send_str(orjson.dumps({"type": "auth_invalid", "message": f"{SHOWN} {token}"}).decode())
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/api/websocket", websocket)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def visible_texts(window: Any) -> list[str]:
    """Every label's text and every table cell (display and tooltip) in the window."""
    texts = [label.text() for label in window.findChildren(QLabel)]
    for view in window.findChildren(QAbstractItemView):
        model: QAbstractItemModel | None = view.model()
        if model is None:
            continue
        for row in range(model.rowCount()):
            for col in range(model.columnCount()):
                index = model.index(row, col)
                for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                    value = model.data(index, role)
                    if isinstance(value, str):
                        texts.append(value)
    return texts


@pytest.mark.gui
async def test_a_token_quoted_by_ha_never_reaches_the_screen(
    qapp: Any, tmp_path: Path, autostart_path: Path, hostile_ha: str
) -> None:
    ha = HomeAssistantConfig(url=hostile_ha, token=TOKEN, backoff_initial_s=0.2, initial_backfill_hours=0)
    config = replace(make_gui_config(tmp_path), home_assistant=ha)
    async with running_session(qapp, config, autostart_path, warm=False) as session:
        window = session.window
        window.show_notice(f"HA said: {SHOWN} {TOKEN}")  # whatever a caller passes, it is redacted
        for key in ("overview", "services", "logs"):
            tab = window.show_tab(key)

            def shown(tab: Any = tab) -> bool:
                tab.refresh()
                return any(SHOWN in text for text in visible_texts(window))

            await wait_until(shown, 20)
            texts = visible_texts(window)
            assert not [t for t in texts if TOKEN in t or "gui-hostile-token" in t], key
