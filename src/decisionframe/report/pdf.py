"""Print the HTML report to PDF through headless Chromium (the print stylesheet applies).

Uses the system's chromium (Debian: `apt-get install chromium`); nothing is downloaded.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from decisionframe.errors import ProjectError

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--no-pdf-header-footer",
    "--virtual-time-budget=20000",
)


def chromium_binary() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise ProjectError(
        "no Chromium found to print the PDF. Hint: install it (Debian: `apt-get install "
        "chromium`, or `make chromium` in a clone), or open the HTML report and print it."
    )


def print_pdf(html: Path, *, out: Path | None = None, timeout: float = 300) -> Path:
    """Write ``html`` as a PDF (default: beside it, same name) and return its path."""
    target = out or html.with_suffix(".pdf")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                chromium_binary(),
                *_FLAGS,
                f"--user-data-dir={profile}",
                f"--print-to-pdf={target.resolve()}",
                html.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    if done.returncode != 0 or not target.exists():
        raise ProjectError(
            f"Chromium could not print {html.name} (exit code {done.returncode}). Hint: open "
            "the HTML report in a browser and print it from there."
        )
    return target


def page_count(pdf: Path) -> int:
    """Pages in a PDF written by Chromium (its page objects are not compressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes()))
