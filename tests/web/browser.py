"""What the browser tests share: Debian's chromium, the app on a loopback port, a launch.

Playwright drives the system's chromium (``executable_path``); it never downloads a browser.
Where chromium is missing the browser tests are skipped on a developer's machine but fail
under ``CI=true``: a gate that silently skipped them would claim what it did not check.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"

if CHROMIUM is None and os.environ.get("CI") == "true":  # pragma: no cover - CI machines
    raise RuntimeError("CI=true but Debian's chromium is missing: `make chromium` installs it")

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(app: Any, name: str = "127.0.0.1") -> Iterator[str]:
    """``app`` under uvicorn in a thread on a free loopback port; yields its address, with
    ``name`` as the host a browser types (``localhost`` or ``127.0.0.1``)."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the app did not start within 20 s"
    try:
        yield f"http://{name}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian chromium driven by Playwright, closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """A screenshot's pixels: (width, height, one RGB row of bytes per line), read with
    zlib alone (Playwright writes 8-bit RGB or RGBA, not interlaced), so a test can check
    what a user sees, colour by colour, without an imaging library."""
    import struct
    import zlib

    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height, channels = 8, b"", 0, 0, 3
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8, "an unexpected PNG"
            assert colour in (2, 6), "an unexpected PNG"
            assert not interlace, "an unexpected PNG"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, rows = zlib.decompress(idat), width * channels, []
    previous = bytearray(stride)
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        kind, row = line[0], bytearray(line[1:])
        for i in range(stride):
            left = row[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                row[i] = (row[i] + left) & 255
            elif kind == 2:
                row[i] = (row[i] + up) & 255
            elif kind == 3:
                row[i] = (row[i] + (left + up) // 2) & 255
            elif kind == 4:
                guess = left + up - corner
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                row[i] = (
                    row[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)
                ) & 255
        previous = row
        rgb = row if channels == 3 else bytearray(b for i, b in enumerate(row) if i % 4 != 3)
        rows.append(bytes(rgb))
    return width, height, rows


def count_colour(rows: list[bytes], hex_colour: str, tolerance: int = 24) -> int:
    """How many pixels are within ``tolerance`` (per channel) of ``hex_colour``."""
    target = bytes.fromhex(hex_colour.lstrip("#"))
    found = 0
    for row in rows:
        for i in range(0, len(row), 3):
            if all(abs(row[i + c] - target[c]) <= tolerance for c in range(3)):
                found += 1
    return found
