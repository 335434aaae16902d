"""Generated team logos for the demo server: a disc in the team colour with a ring in its second
colour, as a PNG written with zlib alone (no imaging library in core)."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def _rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def disc_png(color: str, ring: str, size: int = 64) -> bytes:
    """An RGBA PNG: transparent outside the disc."""
    fill, edge = _rgb(color), _rgb(ring)
    r_out, r_in, centre = size / 2 - 1, size / 2 - 6, (size - 1) / 2
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter: none
        for x in range(size):
            d = ((x - centre) ** 2 + (y - centre) ** 2) ** 0.5
            if d > r_out:
                rows += b"\0\0\0\0"
            else:
                rows += bytes((*(edge if d > r_in else fill), 255))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows)))
        + _chunk(b"IEND", b"")
    )
