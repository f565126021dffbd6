"""Paths named in decisionframe.yaml stay inside the project folder.

A store path such as ``../victim/.decisionframe/store.duckdb`` would replace another
project's tables, and a source at ``../../x.csv``, an absolute path or a symlink in
``data/`` pointing elsewhere would read files the project does not own while its
provenance still said ``data/costs.csv``. Every such path is resolved (symlinks followed)
and must land inside the project folder unless the config says ``allow_outside_project:
true``; provenance records the resolved path.
"""

from __future__ import annotations

from pathlib import Path

from decisionframe.errors import Problem

OUTSIDE_HINT = (
    "keep data and the store inside the project folder, or set "
    "`allow_outside_project: true` in decisionframe.yaml if this is on purpose"
)


def resolve_inside(project_dir: Path, name: str, *, allow_outside: bool) -> tuple[Path, str] | None:
    """``name`` resolved against ``project_dir``: the real path and how to show it (relative
    to the project where inside), or None if it escapes and that is not allowed."""
    root = project_dir.resolve()
    real = (project_dir / name).resolve()
    if real.is_relative_to(root):
        return real, real.relative_to(root).as_posix()
    if allow_outside:
        return real, str(real)
    return None


def outside_problem(name: str, what: str) -> Problem:
    return Problem(
        "decisionframe.yaml",
        "path-outside-project",
        f"{what} '{name}' resolves to a place outside the project folder",
        OUTSIDE_HINT,
    )


__all__ = ["OUTSIDE_HINT", "outside_problem", "resolve_inside"]
