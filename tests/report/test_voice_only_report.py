"""A project with only clients and feedback (no theory tested, no contacts) still gets a
report: what people say, and first-screen answers that tell the truth about what is not
known yet (before, `report` refused: "nothing to report yet")."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from decisionframe.cli import app

PHRASES = [
    "on hold for an hour again",
    "the phone line kept me on hold",
    "staff were kind and patient",
    "a lovely advisor who listened",
    "the app crashes when I upload a document",
    "please open on saturdays",
]


def _feedback_project(root: Path) -> Path:
    runner = CliRunner()
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    rng = np.random.default_rng(2)
    with (root / "data" / "clients.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["client_id", "enrolled_on"])
        writer.writerows([f"C{i}", "2025-01-05"] for i in range(300))
    with (root / "data" / "comments.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["Comment ID", "Client", "Date", "Comment"])
        for i in range(400):
            month = 1 + i % 12
            writer.writerow([f"F{i}", f"C{i % 300}", f"2025-{month:02d}-10", rng.choice(PHRASES)])
    config = root / "decisionframe.yaml"
    config.write_text(
        config.read_text("utf-8").replace(
            "  clients: {path: data/clients.csv}\n",
            "  clients: {path: data/clients.csv}\n"
            "  feedback:\n    path: data/comments.csv\n"
            "    columns: {feedback_id: Comment ID, client_id: Client, given_on: Date, "
            "text: Comment}\n",
        ),
        "utf-8",
    )
    return root


def test_a_feedback_only_project_gets_an_honest_report(tmp_path: Path) -> None:
    folder = _feedback_project(tmp_path / "org")
    runner = CliRunner()
    for command in ("import", "voice", "report"):
        result = runner.invoke(app, [command, str(folder)])
        assert result.exit_code == 0, (command, result.output)
    html = (folder / "reports" / "report.html").read_text("utf-8")
    assert "What people say" in html
    assert "Not known until the assumptions are tested" in html
    assert "Nothing is needed to settle" not in html  # nothing was asked of the data yet
    assert "monthly series" not in html  # the project holds feedback, not series
    assert "add a <code>touchpoints</code> source" in html
    assert "Without us:</strong> Without us" not in html


def test_with_nothing_run_the_report_says_which_commands_make_one(tmp_path: Path) -> None:
    folder = _feedback_project(tmp_path / "org")
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(folder)]).exit_code == 0
    result = runner.invoke(app, ["report", str(folder)])
    assert result.exit_code != 0
    assert "voice" in result.output
    assert "Traceback" not in result.output
