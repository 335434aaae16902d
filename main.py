"""HA Ingestor entry point.

python main.py                      GUI (or headless when there is no display)
python main.py --headless           every engine, no Qt, a one-line live status
python main.py --demo               force the built-in Home Assistant simulator
python main.py export --data-dir D  stored events as JSON lines
python main.py keys                 show the REST API keys
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from core.config import AppConfig, ConfigError, load_config
from core.version import version

EXIT_CONFIG = 2
EXIT_GUI_DEPS = 2  # the system lacks a library the GUI needs (the message names the apt-get command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ha-ingestor", description="Home Assistant ingestor and dashboard")
    add_common(parser)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    parser.add_argument("--demo", action="store_true", help="force the built-in HA simulator")
    parser.add_argument("--headless", action="store_true", help="run without the GUI")
    parser.add_argument(
        "--headless-fallback",
        action="store_true",
        help="run headless when the GUI cannot start (missing system libraries, no display)",
    )
    parser.add_argument("--duration", type=float, metavar="SECONDS", help="run this long, flush, exit 0")
    parser.add_argument("--kiosk", action="store_true", help="fullscreen wall-tablet mode")
    parser.add_argument("--screen", type=int, metavar="N", help="full screen on display N (0 = first)")
    parser.add_argument("--screenshots", metavar="DIR", help="save one PNG per tab after a warm-up, exit")
    parser.add_argument("--rate", type=float, help="simulator events per second")
    parser.add_argument("--selftest", action="store_true", help="check the install end to end, exit 0/1")
    sub = parser.add_subparsers(dest="command")
    export = sub.add_parser("export", help="print stored events as JSON lines")
    add_common(export)
    export.add_argument("--since", type=parse_iso, help="ISO 8601 start (inclusive)")
    export.add_argument("--until", type=parse_iso, help="ISO 8601 end (exclusive)")
    export.add_argument("--entity", help="only this entity_id")
    keys = sub.add_parser("keys", help="show the REST API keys (generated on first run)")
    add_common(keys)
    return parser


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="TOML config file")
    parser.add_argument("--data-dir", help="where the SQLite store lives")


def parse_iso(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return value if value.tzinfo else value.astimezone()


def config_from_args(args: argparse.Namespace) -> AppConfig:
    overrides: dict[str, dict[str, Any]] = {}
    if args.data_dir:
        overrides["storage"] = {"data_dir": args.data_dir}
    if getattr(args, "rate", None):
        overrides["simulator"] = {"rate": args.rate}
    if getattr(args, "kiosk", False):
        overrides.setdefault("ui", {})["kiosk"] = True
    if getattr(args, "screen", None) is not None:
        overrides.setdefault("ui", {})["screen"] = args.screen
    config = load_config(args.config, overrides=overrides)
    return config.with_demo() if getattr(args, "demo", False) else config


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = config_from_args(args)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return EXIT_CONFIG
    if args.command == "export":
        return run_export(config, args)
    if args.command == "keys":
        from core.keys import show_keys

        print(show_keys(config))
        return 0
    if args.selftest:
        from core.selftest import run_selftest

        return asyncio.run(run_selftest(config))
    if args.headless or (args.screenshots is None and not has_display()):
        if not args.headless:
            print("no display found: running headless (use --headless to silence this)", file=sys.stderr)
        return run_headless(config, args.duration)
    problem = gui_problem()
    if problem:
        if args.headless_fallback:
            print(f"{problem}: running headless (--headless-fallback)", file=sys.stderr)
            return run_headless(config, args.duration)
        print(f"ha-ingestor: {problem}", file=sys.stderr)
        return EXIT_GUI_DEPS
    from app.qt_main import run_gui

    return run_gui(config, args)


def gui_problem() -> str | None:
    """Why Qt's platform plugin cannot load (one line naming the missing libraries), or None."""
    from app.qt_preflight import prepare

    result = prepare()
    return None if result is None or result.ok else result.message()


def has_display() -> bool:
    if sys.platform != "linux" or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_export(config: AppConfig, args: argparse.Namespace) -> int:
    from core.store.export import export_events

    data_dir = config.storage.resolved_data_dir()
    if not data_dir.exists():
        print(f"no store at {data_dir}", file=sys.stderr)
        return 1
    asyncio.run(export_events(data_dir, sys.stdout, args.since, args.until, args.entity))
    return 0


def run_headless(config: AppConfig, duration: float | None) -> int:
    from core.headless import run_headless_async

    return asyncio.run(run_headless_async(config, duration, install_signals=install_signal_handlers))


def install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Windows, or not the main thread: Ctrl+C still raises KeyboardInterrupt there.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


if __name__ == "__main__":
    import multiprocessing

    # The store's worker process for heavy reads is spawned: in the frozen bundle the child is this
    # same executable, which must act as the worker, not start another app.
    multiprocessing.freeze_support()
    sys.exit(main())
