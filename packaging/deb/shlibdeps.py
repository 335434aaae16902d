"""What a bundle needs from the system, as Debian package names: the `Depends:` of the .deb.

    python3 packaging/deb/shlibdeps.py BUNDLE_DIR      -> one dependency a line

Every ELF file in the bundle names the libraries it needs (readelf -d, NEEDED); those not in the
bundle itself come from the system, and dpkg knows which package holds each one on this (the build)
machine. A small dpkg-shlibdeps for a tree that is not a Debian source package. Libraries renamed by
Ubuntu's 64-bit time_t transition are written as alternatives ("libssl3t64 | libssl3"), and libc6
gets the newest GLIBC_ symbol version the bundle uses as its lower bound.

Exits 1 naming the libraries no installed package provides (install them first: make system-deps).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

T64 = {
    "libssl3": "libssl3t64 | libssl3",
    "libglib2.0-0": "libglib2.0-0t64 | libglib2.0-0",
    "libpng16-16": "libpng16-16t64 | libpng16-16",
    "libreadline8": "libreadline8t64 | libreadline8",
    "libdbus-1-3": "libdbus-1-3",
}
LIBC_SONAMES = {
    "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libutil.so.1",
    "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "ld-linux-armhf.so.3",
}  # fmt: skip
GLIBC = re.compile(r"GLIBC_2\.(\d+)")


def elf_files(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def needed(path: Path) -> list[str]:
    out = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True, check=False).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def glibc_minor(paths: list[Path]) -> int:
    out = subprocess.run(["objdump", "-T", *map(str, paths)], capture_output=True, text=True, check=False)
    return max((int(m) for m in GLIBC.findall(out.stdout)), default=17)


def package_of(soname: str) -> str | None:
    result = subprocess.run(["dpkg", "-S", f"*/{soname}"], capture_output=True, text=True, check=False)
    for line in result.stdout.splitlines():
        pkg, _, path = line.partition(": ")
        if path.rsplit("/", 1)[-1] == soname and "-dev" not in pkg.split(":")[0]:
            return pkg.split(":")[0]
    return None


def depends(bundle: Path) -> tuple[list[str], list[str]]:
    elves = elf_files(bundle)
    inside = {p.name for p in bundle.rglob("*")}
    external = sorted({n for p in elves for n in needed(p)} - inside)
    packages: set[str] = set()
    unknown = []
    for soname in external:
        if soname in LIBC_SONAMES:
            continue
        pkg = package_of(soname)
        if pkg is None:
            unknown.append(soname)
        else:
            packages.add(T64.get(pkg, pkg))
    result = [f"libc6 (>= 2.{glibc_minor(elves)})", *sorted(packages - {"libc6"})]
    return result, unknown


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    deps, unknown = depends(Path(argv[1]))
    if unknown:
        print(f"shlibdeps: no installed package provides {', '.join(unknown)}", file=sys.stderr)
        return 1
    print("\n".join(deps))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
