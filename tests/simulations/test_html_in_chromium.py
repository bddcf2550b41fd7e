"""The HTML report opened in headless Chromium: the screenshot shows charts and Chinese glyphs.

Chromium and a CJK font come from the system packages; when missing, the fixture installs
them with ``tests/install_chromium.sh`` (root and apt-get needed, else the test fails).
"""

from __future__ import annotations

import struct
import subprocess
import zlib
from pathlib import Path

from tests.conftest import RULESETS
from tests.simulations.conftest import YIHE, small_scenario
from xinzhi.simulations.html_report import BASE, CAND
from xinzhi.simulations.run import simulate


def screenshot(browser: str, page: Path, out: Path, width: int, height: int) -> list[list[tuple[int, int, int]]]:
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--window-size={width},{height}", f"--screenshot={out}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    return decode_png(out.read_bytes())


def decode_png(data: bytes) -> list[list[tuple[int, int, int]]]:
    """RGB rows of an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and color in (2, 6) and interlace == 0
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return rows


def rgb(hex_color: str) -> tuple[int, int, int]:
    return tuple(int(hex_color[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def test_report_screenshot_shows_rendered_charts_and_chinese(chromium, tmp_path):
    outcome = simulate(YIHE, RULESETS / "dongshan_2022.yaml", scenario=small_scenario(residents=120, months=3),
                       seed=6, workers=1)
    page = tmp_path / "report.html"
    page.write_text(outcome.html, encoding="utf-8")
    pixels = screenshot(chromium, page, tmp_path / "report.png", 1000, 1800)
    colors = {}
    for row in pixels:
        for px in row:
            colors[px] = colors.get(px, 0) + 1
    non_white = sum(n for px, n in colors.items() if px != (255, 255, 255))
    assert non_white > 0.03 * 1000 * 1800, "the page is (nearly) blank"
    # the zone chart's bars, in the baseline and candidate colours, are on screen
    assert colors.get(rgb(BASE), 0) > 2000 and colors.get(rgb(CAND), 0) > 2000

    # Chinese glyphs, not tofu: two different words must not render identically
    words = []
    for word in ("北区", "南区"):
        probe = tmp_path / f"probe-{word}.html"
        probe.write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{{margin:0;background:#fff;'
                         f'font:96px {_font()}}}</style></head><body>{word}</body></html>', encoding="utf-8")
        words.append(screenshot(chromium, probe, tmp_path / f"probe-{len(words)}.png", 240, 130))
    ink = [sum(px != (255, 255, 255) for row in w for px in row) for w in words]
    assert min(ink) > 500
    assert words[0] != words[1], "北 and 南 render the same: no CJK font (tofu boxes)"


def _font() -> str:
    from xinzhi.simulations.html_report import FONT
    return FONT
