"""Draws images/icon.png (128x128): a speech bubble holding a check mark, for "the team
remembers this fix". Plain Python (zlib + struct), so it needs nothing installed:
`python3 images/make_icon.py`."""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

SIZE = 128
BACKGROUND = (31, 94, 120)
BUBBLE = (246, 244, 236)
MARK = (222, 140, 38)


def rounded_square(x: float, y: float, half: float, radius: float) -> float:
    """Signed distance to a square of half-width ``half`` with rounded corners (centre 0, 0)."""
    qx, qy = abs(x) - half + radius, abs(y) - half + radius
    outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
    return outside + min(max(qx, qy), 0.0) - radius


def segment(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    """Distance from (px, py) to the segment a-b."""
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def coverage(distance: float) -> float:
    """Anti-aliasing: 1 inside, 0 outside, linear across one pixel."""
    return max(0.0, min(1.0, 0.5 - distance))


def pixel(x: int, y: int) -> tuple[int, int, int, int]:
    cx, cy = x + 0.5 - SIZE / 2, y + 0.5 - SIZE / 2
    tile = coverage(rounded_square(cx, cy, 62, 22))
    bubble = max(coverage(rounded_square(cx, cy + 8, 40, 14)),
                 coverage(segment(cx, cy, -18, 30, -26, 46) - 6))
    mark = max(coverage(segment(cx, cy, -18, -8, -5, 6) - 6), coverage(segment(cx, cy, -5, 6, 20, -22) - 6))
    colour = BACKGROUND
    for layer, alpha in ((BUBBLE, bubble), (MARK, mark * bubble)):
        colour = tuple(round(c + (lc - c) * alpha) for c, lc in zip(colour, layer, strict=True))  # type: ignore[assignment]
    return (*colour, round(255 * tile))  # type: ignore[return-value]


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main() -> None:
    rows = [b"".join(bytes(pixel(x, y)) for x in range(SIZE)) for y in range(SIZE)]
    (Path(__file__).parent / "icon.png").write_bytes(png(SIZE, SIZE, rows))


if __name__ == "__main__":
    main()
