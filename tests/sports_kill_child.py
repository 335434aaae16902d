"""A sports engine in its own process, for the SIGKILL test: polls the given ESPN-shaped server fast
and delivers to the webhooks already in the data dir, until it is killed."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from core.config import SportsConfig
from core.sports.engine import SportsEngine


async def main(data_dir: Path, base_url: str) -> None:
    cfg = SportsConfig(
        teams=["nfl:WSH"],
        base_url=base_url,
        live_poll_s=0.1,
        pregame_poll_s=0.1,
        day_poll_s=0.1,
        idle_poll_s=0.1,
        confirm_polls=1,
        webhook_timeout_s=5.0,
    )
    engine = SportsEngine(cfg, data_dir)
    await engine.start()
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
