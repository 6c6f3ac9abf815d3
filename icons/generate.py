#!/usr/bin/env python3
"""Draws the app icon (a speech bubble with three dots on a teal tile) and writes
every size Tauri bundles: PNGs, a PNG-based .ico and .icns. Pure standard library,
so it runs anywhere: `python3 icons/generate.py`."""
import math
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
TEAL = (15, 157, 138)
DARK = (9, 94, 83)
WHITE = (255, 255, 255)


def coverage(x, y, s):
    """RGBA of pixel (x, y) on an s*s canvas, 4x4 supersampled."""
    acc = [0.0, 0.0, 0.0, 0.0]
    n = 4
    for i in range(n):
        for j in range(n):
            u = (x + (i + 0.5) / n) / s
            v = (y + (j + 0.5) / n) / s
            c = sample(u, v)
            if c is None:
                continue
            a = c[3] / 255.0
            for k in range(3):
                acc[k] += c[k] * a
            acc[3] += a
    if acc[3] == 0:
        return (0, 0, 0, 0)
    return (int(acc[0] / acc[3]), int(acc[1] / acc[3]), int(acc[2] / acc[3]), int(255 * acc[3] / (n * n)))


def sample(u, v):
    # Rounded tile.
    r = 0.22
    dx = max(abs(u - 0.5) - (0.5 - r - 0.04), 0)
    dy = max(abs(v - 0.5) - (0.5 - r - 0.04), 0)
    if math.hypot(dx, dy) > r:
        return None
    # Bubble: a circle with a tail at the lower left.
    in_bubble = math.hypot(u - 0.52, v - 0.47) < 0.27
    tx, ty = u - 0.30, v - 0.70
    in_tail = -0.02 < tx < 0.16 and -0.12 < ty < 0.06 and tx - 0.9 * ty < 0.14 and ty > -0.12 + 0.6 * tx
    if in_bubble or in_tail:
        for cx in (0.40, 0.52, 0.64):
            if math.hypot(u - cx, v - 0.47) < 0.045:
                return TEAL + (255,)
        return WHITE + (255,)
    # A soft diagonal shade on the tile.
    t = (u + v) / 2
    return tuple(int(TEAL[k] * (1 - 0.35 * t) + DARK[k] * 0.35 * t) for k in range(3)) + (255,)


def png(size, pixels):
    raw = b"".join(b"\x00" + bytes(sum((list(p) for p in pixels[y * size:(y + 1) * size]), [])) for y in range(size))
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def render(size):
    return [coverage(x, y, size) for y in range(size) for x in range(size)]


def main():
    sizes = {16, 32, 64, 128, 256, 512, 1024}
    images = {s: png(s, render(s)) for s in sorted(sizes)}
    def write(name, data):
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
    write("32x32.png", images[32])
    write("64x64.png", images[64])
    write("128x128.png", images[128])
    write("128x128@2x.png", images[256])
    write("icon.png", images[512])
    write("tray.png", images[64])
    # ICO with PNG entries (Vista+).
    entries = [16, 32, 64, 128, 256]
    header = struct.pack("<HHH", 0, 1, len(entries))
    offset = 6 + 16 * len(entries)
    dirs, blobs = b"", b""
    for s in entries:
        data = images[s]
        dirs += struct.pack("<BBBBHHII", s % 256, s % 256, 0, 0, 1, 32, len(data), offset + len(blobs))
        blobs += data
    write("icon.ico", header + dirs + blobs)
    # ICNS with PNG entries.
    parts = b"".join(tag + struct.pack(">I", len(images[s]) + 8) + images[s]
                     for tag, s in ((b"ic07", 128), (b"ic08", 256), (b"ic09", 512), (b"ic10", 1024)))
    write("icon.icns", b"icns" + struct.pack(">I", len(parts) + 8) + parts)


if __name__ == "__main__":
    main()
