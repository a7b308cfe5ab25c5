"""Writes the app icon (an RGBA PNG, as Tauri's generate_context! requires) without
third-party packages: a teal disc with a white ring of cluster dots. Run once; the PNG
is committed."""
import math, struct, sys, zlib

def png(width, height, pixel):
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows.extend(pixel(x, y))
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b"")

def icon(size):
    c = size / 2
    dots = [(c + 0.28 * size * math.cos(a), c + 0.28 * size * math.sin(a)) for a in [i * math.pi / 3 for i in range(6)]]
    def pixel(x, y):
        d = math.hypot(x + 0.5 - c, y + 0.5 - c)
        if d > size * 0.48:
            return (0, 0, 0, 0)
        for (dx, dy) in dots:
            if math.hypot(x + 0.5 - dx, y + 0.5 - dy) < size * 0.07:
                return (255, 255, 255, 255)
        if d < size * 0.1:
            return (255, 196, 61, 255)
        return (17, 122, 128, 255)
    return png(size, size, pixel)

if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "src-tauri/icons/icon.png"
    with open(out, "wb") as f:
        f.write(icon(256))
