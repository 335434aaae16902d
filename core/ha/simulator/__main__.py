"""Run the simulator standalone: python -m core.ha.simulator --port 8123 --rate 200.

With --tls-cert and --tls-key (PEM files) it serves wss:// and https://, like HA's ssl_certificate."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import ssl
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
    parser.add_argument(
        "--tls-cert", metavar="FILE", help="PEM certificate (chain): serve wss:// and https://"
    )
    parser.add_argument("--tls-key", metavar="FILE", help="PEM private key of --tls-cert")
    parser.add_argument(
        "--recorder-lag", type=float, default=0.0, metavar="S",
        help="history shows rows only S seconds late (a recorder behind under load)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    _check_tls(args.tls_cert, args.tls_key)
    return SimulatorConfig(
        port=args.port,
        rate=args.rate,
        seed=args.seed,
        entities=args.entities,
        token=args.token,
        admin=not args.non_admin,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        recorder_lag=max(0.0, args.recorder_lag),
    )


def _check_tls(cert: str | None, key: str | None) -> None:
    """Both or neither, and loadable: raises ValueError with a one-line reason."""
    if bool(cert) != bool(key):
        raise ValueError("--tls-cert and --tls-key must be given together")
    if not (cert and key):
        return
    for path in (cert, key):  # load_cert_chain's own OSError does not say which file
        try:
            with open(path, "rb"):
                pass
        except OSError as err:
            raise ValueError(f"cannot read {path}: {err.strerror or err}") from None
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except ssl.SSLError:
        raise ValueError(f"{cert} / {key}: not a PEM certificate and its matching private key") from None


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
