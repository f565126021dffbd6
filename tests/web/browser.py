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
