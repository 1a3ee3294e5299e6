#!/usr/bin/env python3
"""Writes a still test picture as Y4M (BT.601, limited range, 4:2:0): the same frame repeated,
so that any keyframe the browser sends can be compared with it. Also writes the picture shifted
right by a few pixels, the wrong answer a comparison must score clearly lower.

Pure standard library, deterministic: the same bytes on every machine."""
import argparse
import math


def rgb_at(x, y, w, h):
    # A picture with edges everywhere: shifted by 4 px it must differ clearly.
    r = int(255 * x / (w - 1))
    g = int(255 * y / (h - 1))
    b = 128
    if (x // 32 + y // 32) % 2 == 0 and y < h // 2:  # checkerboard on the upper half
        r, g, b = 240 - r // 2, 240 - g // 2, 30
    for cx, cy, rad, col in ((160, 330, 70, (220, 40, 40)), (330, 360, 55, (40, 200, 60)),
                             (500, 320, 80, (40, 60, 220))):
        if (x - cx) ** 2 + (y - cy) ** 2 < rad * rad:
            r, g, b = col
    if y > 420 and (x // 8) % 2 == 0:  # fine vertical stripes at the bottom
        r, g, b = 250, 250, 250
    if 20 < y < 40 and 20 < x < 620 and int(6 * math.sin(x / 9.0)) + 30 == y:
        r, g, b = 0, 0, 0
    return r, g, b


def to_yuv(r, g, b):
    # BT.601 limited range, integer rounding.
    y = 16 + (65.738 * r + 129.057 * g + 25.064 * b) / 256
    u = 128 + (-37.945 * r - 74.494 * g + 112.439 * b) / 256
    v = 128 + (112.439 * r - 94.154 * g - 18.285 * b) / 256
    return int(round(y)), int(round(u)), int(round(v))


def rgb_rows(w, h, shift, mirror=False):
    return [[rgb_at(w - 1 - x if mirror else max(0, x - shift), y, w, h) for x in range(w)]
            for y in range(h)]


def make_planes(w, h, shift, mirror=False):
    rgb = rgb_rows(w, h, shift, mirror)
    yp = bytearray(w * h)
    up = bytearray((w // 2) * (h // 2))
    vp = bytearray((w // 2) * (h // 2))
    for y in range(h):
        row = rgb[y]
        for x in range(w):
            yp[y * w + x] = to_yuv(*row[x])[0]
    for y in range(0, h, 2):
        for x in range(0, w, 2):
            acc = [0, 0, 0]
            for dy in (0, 1):
                for dx in (0, 1):
                    for i, c in enumerate(rgb[y + dy][x + dx]):
                        acc[i] += c
            _, u, v = to_yuv(*(a / 4 for a in acc))
            up[(y // 2) * (w // 2) + x // 2] = u
            vp[(y // 2) * (w // 2) + x // 2] = v
    return bytes(yp) + bytes(up) + bytes(vp)


def write_y4m(path, w, h, fps, frames, planes):
    with open(path, "wb") as f:
        f.write(b"YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 C420mpeg2\n" % (w, h, fps))
        for _ in range(frames):
            f.write(b"FRAME\n")
            f.write(planes)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True, help="the still picture, .y4m")
    ap.add_argument("--shifted-out", help="the picture shifted right, one frame, .y4m")
    ap.add_argument("--shift", type=int, default=4)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--mirror", action="store_true",
                    help="the picture mirrored left to right: a second, different known picture")
    ap.add_argument("--rgb-out", help="also the picture as raw RGB bytes (for a page's canvas)")
    a = ap.parse_args()
    write_y4m(a.out, a.width, a.height, a.fps, a.frames,
              make_planes(a.width, a.height, 0, a.mirror))
    if a.rgb_out:
        with open(a.rgb_out, "wb") as f:
            for row in rgb_rows(a.width, a.height, 0, a.mirror):
                f.write(bytes(c for px in row for c in px))
    if a.shifted_out:
        write_y4m(a.shifted_out, a.width, a.height, a.fps, 1, make_planes(a.width, a.height, a.shift))


if __name__ == "__main__":
    main()
