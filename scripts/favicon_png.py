#!/usr/bin/env python3
"""Draws web/favicon.png, the page's icon, from the shapes of web/favicon.svg (a rounded square
and a bolt), 32x32 RGBA, 4x4 samples a pixel. The main page links the PNG: Chromium decodes a
page's icon on the renderer's main thread, and the SVG took it for 40 to 50 ms (an SVG
document laid out) just while the camera was starting; a PNG this size takes well under 1 ms.
Standard library only, deterministic.

  scripts/favicon_png.py [--out web/favicon.png]"""
import argparse
import os
import struct
import zlib

SIZE, SAMPLES, RADIUS = 32, 4, 6.0
BACKGROUND, BOLT = (0x1D, 0x35, 0x57), (0xFF, 0xD1, 0x66)
BOLT_POINTS = [(18, 3), (7, 18), (14, 18), (12, 29), (23, 14), (16, 14)]  # favicon.svg's path


def in_rounded_square(x, y):
    cx = min(max(x, RADIUS), SIZE - RADIUS)
    cy = min(max(y, RADIUS), SIZE - RADIUS)
    return (x - cx) ** 2 + (y - cy) ** 2 <= RADIUS ** 2


def in_polygon(x, y, pts):
    inside = False
    for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def pixel(px, py):
    cover = bolt = 0
    for sy in range(SAMPLES):
        for sx in range(SAMPLES):
            x, y = px + (sx + 0.5) / SAMPLES, py + (sy + 0.5) / SAMPLES
            if in_rounded_square(x, y):
                cover += 1
                bolt += in_polygon(x, y, BOLT_POINTS)
    if cover == 0:
        return b"\0\0\0\0"
    rgb = [round((b * bolt + g * (cover - bolt)) / cover) for b, g in zip(BOLT, BACKGROUND)]
    return bytes(rgb + [round(255 * cover / SAMPLES ** 2)])


def png(width, height, rows):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\0" + row for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "web", "favicon.png"))
    a = ap.parse_args()
    rows = [b"".join(pixel(x, y) for x in range(SIZE)) for y in range(SIZE)]
    with open(a.out, "wb") as f:
        f.write(png(SIZE, SIZE, rows))


if __name__ == "__main__":
    main()
