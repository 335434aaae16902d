"""Run the simulator standalone: python -m core.ha.simulator --port 8123 --rate 200."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from core.ha.simulator.config import SimulatorConfig
from core.ha.simulator.server import Simulator


def parse_args(argv: list[str] | None = None) -> SimulatorConfig:
    """Build the config from the command line."""
    parser = argparse.ArgumentParser(prog="python -m core.ha.simulator", description=__doc__)
    parser.add_argument("--port", type=int, default=8123, help="TCP port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--rate", type=float, default=20.0, help="state_changed events per second (1-20000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--entities", type=int, default=120, help="entities with a state (min: standard home)"
    )
    parser.add_argument("--token", default="sim-token", help="the accepted access token")
    parser.add_argument("--non-admin", action="store_true", help="enforce the non-admin subscribe allowlist")
    args = parser.parse_args(argv)
    return SimulatorConfig(
        port=args.port,
        rate=args.rate,
        seed=args.seed,
        entities=args.entities,
        token=args.token,
        admin=not args.non_admin,
    )


async def serve(config: SimulatorConfig) -> None:
    """Serve until SIGINT or SIGTERM."""
    sim = Simulator(config)
    await sim.start()
    print(f"simulator listening on {sim.url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows has no add_signal_handler
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await sim.stop()


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    try:
        config = parse_args(argv)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
