"""Just enough PNG reading (stdlib) to count a screenshot's pixels: 8-bit RGB or RGBA,
not interlaced, which is what Chromium's --screenshot writes."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

_CHANNELS = {2: 3, 6: 4}  # colour type -> bytes per pixel at bit depth 8


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def read_rgb(path: Path) -> tuple[int, int, list[bytes]]:
    """(width, height, rows), each row `width` RGB triples as bytes."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    pos, idat, head = 8, b"", None
    while pos < len(data):
        (n,), kind = struct.unpack(">I", data[pos : pos + 4]), data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    if head is None or head[2] != 8 or head[3] not in _CHANNELS or head[6] != 0:
        raise ValueError(f"{path}: unsupported PNG layout {head}")
    width, height, bpp = head[0], head[1], _CHANNELS[head[3]]
    raw, stride, prev = zlib.decompress(idat), width * bpp, bytearray(width * bpp)
    rows: list[bytes] = []
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            pred = (0, a, b, (a + b) // 2, _paeth(a, b, c))[f]
            line[i] = (line[i] + pred) & 0xFF
        prev = line
        rgb = line if bpp == 3 else bytes(v for i, v in enumerate(line) if i % 4 != 3)
        rows.append(bytes(rgb))
    return width, height, rows
