"""GUI entry: QApplication + the qasync loop (asyncio.Runner with a QEventLoop factory), first-run
setup, the session (runtime + window), and a clean shutdown when the window closes.

main.py calls `run_gui(config, args)`; args may carry `demo`, `kiosk` (already folded into config.ui
by main.py) and `screenshots` (a directory: warm up, save one PNG per tab, exit 0).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import qasync
from PySide6.QtWidgets import QApplication

from app import theme
from app.controller import Controller
from app.icons import tinted_icon
from app.session import GuiSession
from app.setup_dialog import SetupDialog, needs_setup
from app.theme import ThemeManager
from app.widgets import ui
from core.bus import Bus
from core.config import AppConfig, default_config_path, save_config
from core.gc_watch import freeze_long_lived
from core.runtime import Runtime

log = logging.getLogger(__name__)


def configure_app(app: QApplication) -> None:
    """Application-wide settings, before any window exists."""
    app.setApplicationName("HA Ingestor")
    app.setDesktopFileName("ha-ingestor")
    # The session decides when to stop (after the runtime is down). Without this, accepting the
    # first-run dialog (then the only window) quits Qt and stops the qasync loop mid-start.
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(tinted_icon("app", "#3fb950"))


def run_gui(config: AppConfig, args: Any) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    configure_app(app)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        return runner.run(gui_main(app, config, args))


async def gui_main(app: QApplication, config: AppConfig, args: Any) -> int:
    if needs_setup(config, args):
        chosen = await run_setup(app, config)
        if chosen is None:
            return 0
        config = chosen
    bus = Bus()
    _setup_logging(config, bus)  # before the window: the Logs tab reads the ring this installs
    session = GuiSession(app, config, runtime=Runtime(config, bus=bus))
    shots = getattr(args, "screenshots", None)
    if shots:
        from app.screenshots import take_screenshots

        return await take_screenshots(session, Path(shots))
    _install_signal_handlers(session)
    await session.start()
    freeze_long_lived()  # the window, modules and start-up objects leave the collector's walks
    log.info(
        "window shown %.2f s after the session was created", (session.shown_at or 0) - session.launched_at
    )
    await session.closed
    await session.stop()
    return 0


async def run_setup(app: QApplication, config: AppConfig) -> AppConfig | None:
    """Show the first-run screen (open(), not exec()) and save the choice to the config file."""
    (theme.manager() or ThemeManager(app)).set_theme(config.ui.theme)
    dialog = SetupDialog(config, Controller(None))
    done: asyncio.Future[AppConfig | None] = asyncio.get_running_loop().create_future()

    def finish(config: AppConfig | None) -> None:
        if not done.done():
            done.set_result(config)

    dialog.chosen.connect(finish)
    dialog.rejected.connect(lambda: finish(None))
    dialog.open()
    chosen = await done
    dialog.deleteLater()
    if chosen is not None:
        path = save_config(chosen, Path(config.source_path or default_config_path()))
        log.info("setup saved to %s", path)
    return chosen


def _setup_logging(config: AppConfig, bus: Any) -> None:
    from core.logs import setup_logging

    try:
        setup_logging(config.logging, bus, stderr=True)
    except OSError as err:  # an unwritable log dir must not stop the GUI
        print(f"logging to file disabled: {err}", file=sys.stderr)


def _install_signal_handlers(session: Any) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, session.request_close)
        except (NotImplementedError, RuntimeError, ValueError):
            signal.signal(sig, lambda *_: session.request_close())
            # Python runs signal handlers only between bytecodes: wake the interpreter now and then.
            session._signal_wakeup = ui.timer(session, 500, lambda: None)
            session._signal_wakeup.start()
