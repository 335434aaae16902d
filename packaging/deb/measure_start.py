"""Time from launch to the first painted window of an installed (or built) bundle, cold and warm.

    python3 packaging/deb/measure_start.py [--warm N] LAUNCHER

Each run starts LAUNCHER --demo in a fresh temporary home, reads its log until the line
"first paint X s after the process started" (app/session.py: the window's first paint event,
measured from the process's start time in /proc, so the bootloader, Python start-up and imports are
included), then stops it with SIGTERM. "Cold": the bundle's files are first dropped from the page
cache (posix_fadvise DONTNEED, which needs no root; the system's shared libraries stay cached).
Uses the X display when DISPLAY is set, else Qt's offscreen platform.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAINT = re.compile(r"first paint ([\d.]+) s after the process started")
TIMEOUT_S = 120


def evict(tree: Path) -> int:
    count = 0
    for path in tree.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                count += 1
            finally:
                os.close(fd)
    return count


def one_run(launcher: Path) -> float:
    with tempfile.TemporaryDirectory(prefix="ha-ingestor-start-") as home:
        env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=f"{home}/c", XDG_DATA_HOME=f"{home}/d",
                   XDG_STATE_HOME=f"{home}/s", XDG_CACHE_HOME=f"{home}/k")  # fmt: skip
        if not env.get("DISPLAY"):
            env["QT_QPA_PLATFORM"] = "offscreen"
        proc = subprocess.Popen(
            [str(launcher), "--demo"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert proc.stdout is not None
        deadline = time.monotonic() + TIMEOUT_S
        try:
            for line in proc.stdout:
                found = PAINT.search(line)
                if found:
                    return float(found.group(1))
                if time.monotonic() > deadline:
                    break
            raise SystemExit(f"no 'first paint' line from {launcher} (exit {proc.poll()})")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("launcher", type=Path)
    parser.add_argument("--warm", type=int, default=3, help="warm runs after the cold one")
    args = parser.parse_args(argv)
    bundle = args.launcher.resolve().parent
    files = evict(bundle)
    cold = one_run(args.launcher)
    warm = [one_run(args.launcher) for _ in range(args.warm)]
    print(f"cold (page cache of {files} bundle files dropped): first paint {cold:.2f} s")
    print(f"warm: first paint {', '.join(f'{w:.2f}' for w in warm)} s (best {min(warm):.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
