"""One exception tree. Every user-facing error says what went wrong, where, and what to do.

Errors never carry raw data values: a bad cell is named by file, line and column only,
because the data is about vulnerable people and identifiers must not leak into logs.
"""

from __future__ import annotations

from dataclasses import dataclass

LINES_SHOWN = 5  # line numbers a grouped problem shows; --json gives them all


def count_of(n: int, noun: str, plural: str | None = None) -> str:
    """'1 problem', '2 problems', '1,200 values': a count with its noun in the right number."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


@dataclass(frozen=True)
class Problem:
    """One located problem in a user's file."""

    file: str
    rule: str
    message: str
    hint: str
    line: int | None = None
    column: str | None = None
    count: int = 1  # how many cells or rows share this problem (grouped by file, column, rule)
    lines: tuple[int, ...] = ()  # the first lines where it occurs (``line`` is the first)
    # The same problem in several files of one source (a monthly series): one per file,
    # with its own lines; ``file``/``lines`` are then the first file's.
    by_file: tuple[Problem, ...] = ()
    # Import problems: whether the problem concerns single rows, which quarantine
    # (`on_error: quarantine`) sets aside; None where that does not apply.
    quarantinable: bool | None = None

    def location(self) -> str:
        if len(self.by_file) > 1:
            names = [p.file for p in self.by_file]
            listed = ", ".join(names) if len(names) <= 3 else f"{names[0]} ... {names[-1]}"
            parts = [f"in {len(names)} files ({listed})"]
            first = self.by_file[0]
            if len(first.lines) > 1 or first.line is not None:
                shown = ", ".join(str(n) for n in (first.lines or (first.line,))[:LINES_SHOWN])
                word = "lines" if len(first.lines) > 1 else "line"
                more = first.count - min(len(first.lines), LINES_SHOWN)
                extra = f" (+{more:,} more)" if more > 0 and len(first.lines) > 1 else ""
                parts.append(f"first in {first.file}, {word} {shown}{extra}")
            if self.column is not None:
                parts.append(f"column '{self.column}'")
            return ", ".join(parts)
        parts = [self.file]
        if len(self.lines) > 1:
            shown = ", ".join(str(n) for n in self.lines[:LINES_SHOWN])
            more = self.count - min(len(self.lines), LINES_SHOWN)
            parts.append(f"lines {shown}" + (f" (+{more:,} more)" if more > 0 else ""))
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.location()}: [{self.rule}] {self.message}. Hint: {self.hint}"

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "message": self.message,
            "hint": self.hint,
            "count": self.count,
            "lines": list(self.lines) or ([self.line] if self.line is not None else []),
            **({"by_file": [p.to_dict() for p in self.by_file]} if self.by_file else {}),
            **({} if self.quarantinable is None else {"quarantinable": self.quarantinable}),
        }


def merge_across_files(problems: list[Problem]) -> list[Problem]:
    """The same problem in several files of a source, said once: "in 25 files (...)".

    Problems are the same when rule, column, message and hint are; each file's own
    problem (with its lines) is kept in ``by_file`` for --json. A monthly series with one
    unknown channel printed 25 near-identical blocks, hiding anything else.
    """
    groups: dict[tuple[str, str | None, str, str], list[Problem]] = {}
    for problem in problems:
        key = (problem.rule, problem.column, problem.message, problem.hint)
        groups.setdefault(key, []).append(problem)
    out: list[Problem] = []
    for problem in problems:
        group = groups[(problem.rule, problem.column, problem.message, problem.hint)]
        if len({p.file for p in group}) < 2:
            out.append(problem)
        elif problem is group[0]:
            out.append(merged(group, problem.message, problem.hint))
    return out


def merged(group: list[Problem], message: str, hint: str) -> Problem:
    """One problem standing for ``group`` (one per file), with ``message`` and ``hint``."""
    first = group[0]
    return Problem(
        first.file,
        first.rule,
        message,
        hint,
        first.line,
        first.column,
        sum(p.count for p in group),
        first.lines,
        tuple(group),
        first.quarantinable,
    )


class DecisionframeError(Exception):
    """Base of every error decisionframe raises on purpose."""


class ProblemsError(DecisionframeError):
    """An error made of one or more located problems, all collected before failing."""

    def __init__(self, summary: str, problems: list[Problem]) -> None:
        self.summary = summary
        self.problems = list(problems)
        super().__init__(self._render())

    def _render(self, limit: int = 50) -> str:
        lines = [f"{self.summary} ({count_of(len(self.problems), 'problem')})"]
        lines += [f"  - {p}" for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"  ... and {len(self.problems) - limit} more (use --json to see all)")
        return "\n".join(lines)


class ConfigError(ProblemsError):
    """decisionframe.yaml (or another settings file) is invalid."""


class TheoryError(ProblemsError):
    """theory.yaml is invalid."""


class ImportValidationError(ProblemsError):
    """Source data failed validation; nothing was loaded."""


class ProjectError(DecisionframeError):
    """The project folder is missing or incomplete."""


class StoreError(DecisionframeError):
    """The store could not be read or written."""


class SourceReadError(DecisionframeError):
    """A source file could not be read at all (not a value in it: the file itself).

    Raised by the store's readers with the driver's error re-worded: ``rule`` and
    ``message`` never carry a value from the file, only what kind of problem it is and,
    where the reader knows it, the line.
    """

    def __init__(self, rule: str, message: str, hint: str, line: int | None = None) -> None:
        self.rule, self.message, self.hint, self.line = rule, message, hint, line
        super().__init__(f"[{rule}] {message}")


class NotEstimableError(DecisionframeError):
    """An analysis cannot produce an honest number from this data."""


class ResultFormatError(DecisionframeError):
    """A saved or given result does not fit its type (another schema version, a bad field)."""


class StaleResultError(DecisionframeError):
    """A saved result was computed from another theory or other data than the current ones.

    ``changes`` names what changed; ``rerun`` the commands that bring the results up to date.
    """

    def __init__(self, message: str, *, changes: list[str], rerun: list[str]) -> None:
        self.changes = list(changes)
        self.rerun = list(rerun)
        super().__init__(message)
