"""Nothing lost, nothing doubled around reconnects while HA's recorder lags (issue 13, items 1-2).

The simulator at --rate events/s with a recorder that shows history --lag seconds late; the client
(with the real pipeline and SQLite store) loses its connection --cuts times, --down seconds each.
Run twice in the same process: first with the back-fill's recorder wait switched off (the baseline:
what the client did before it waited), then as shipped. Prints emitted, lost and doubled events.

    .venv/bin/python bench/backfill_gap.py [--rate 1000] [--lag 3] [--down 2] [--cuts 2]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.config import StorageConfig
from tests.ha_fixtures import (
    FAST,
    emitted_keys,
    ha_config,
    ingest_stack,
    running_sim,
    stored_rows,
    wait_for,
)


async def scenario(args: argparse.Namespace, *, wait: bool) -> tuple[int, int, int, float]:
    """(emitted, lost, doubled, seconds) of one run."""
    tmp = Path(tempfile.mkdtemp(prefix="backfill_gap_"))
    tuning = replace(
        FAST,
        backfill_catchup_poll_s=0.2,
        backfill_catchup_max_s=60.0 if wait else 0.0,
        backfill_overlap_s=10.0,
    )
    config_kw = {"initial_backfill_hours": 0, "backoff_initial_s": args.down, "backoff_max_s": args.down}
    started = time.monotonic()
    async with (
        running_sim(rate=args.rate, record=True, recorder_lag=args.lag) as sim,
        ingest_stack(tmp, StorageConfig(data_dir=str(tmp))) as stack,
    ):
        client = stack.client(ha_config(sim, **config_kw), tuning)
        await client.start()
        try:
            await wait_for(lambda: client.connection_info.synced, 60, what="first sync")
            for n in range(1, args.cuts + 1):
                await asyncio.sleep(3)
                await sim.drop_connections()
                await wait_for(lambda: client.connection_info.reconnects >= n, 60, what="reconnect")  # noqa: B023
                await wait_for(lambda: client.connection_info.synced, 120, what="sync")
            sim.pause()
            await stack.pipeline.flush()
        finally:
            await client.stop()
        rows = sorted((e, t) for e, t, _ in stored_rows(stack.store.path))
    emitted = set(emitted_keys(sim))
    doubled = sum(1 for a, b in itertools.pairwise(rows) if a[0] == b[0] and b[1] - a[1] <= 2)
    return len(emitted), len(emitted - set(rows)), doubled, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--lag", type=float, default=3.0, help="recorder lag, seconds")
    parser.add_argument("--down", type=float, default=2.0, help="seconds offline per cut")
    parser.add_argument("--cuts", type=int, default=2)
    args = parser.parse_args()
    print(f"rate {args.rate:g}/s, recorder {args.lag:g} s late, {args.cuts} cuts of {args.down:g} s")
    for label, wait in (("baseline (no recorder wait)", False), ("waiting for the recorder", True)):
        emitted, lost, doubled, seconds = asyncio.run(scenario(args, wait=wait))
        share = 100 * lost / emitted if emitted else 0.0
        counts = f"emitted {emitted:7d}  lost {lost:6d} ({share:4.1f} %)  doubled {doubled:5d}"
        print(f"{label:30} {counts}  {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
