"""Read YAML while remembering where each key was written, so errors can name the line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from decisionframe.errors import ConfigError, Problem, ProblemsError

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class LocatedYaml:
    """Parsed YAML data plus the 1-based line of every key path."""

    path: Path
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, key_path: KeyPath) -> int | None:
        """Line of the deepest known prefix of ``key_path``."""
        for cut in range(len(key_path), -1, -1):
            line = self.lines.get(tuple(key_path[:cut]))
            if line is not None:
                return line
        return None


MAX_YAML_BYTES = 1 << 20  # settings and theories are a few KB; a megabyte is not a theory
MAX_YAML_DEPTH = 64  # nesting levels; the deepest real file is about 6


class _Refused(Exception):
    def __init__(self, rule: str, message: str, hint: str, mark: yaml.Mark | None) -> None:
        super().__init__(message)
        self.rule, self.message, self.hint, self.mark = rule, message, hint, mark


class _GuardedLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases, deep nesting or repeated keys.

    Aliases are refused outright: a 400-byte file of nested aliases expands to gigabytes
    (the "billion laughs"), and no decisionframe setting needs one. Nesting is capped so
    the recursive composer cannot exhaust the stack, and a key written twice in one
    mapping is an error instead of the last one silently winning.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise _Refused(
                "yaml-alias",
                "YAML aliases (*name) are not allowed",
                "write the value out in full where it is used",
                mark,
            )
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _Refused(
                    "yaml-too-deep",
                    f"nested more than {MAX_YAML_DEPTH} levels deep",
                    "flatten the structure; no setting nests this deep",
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_mapping_node(self, anchor: Any) -> yaml.MappingNode:
        node = super().compose_mapping_node(anchor)
        seen: set[str] = set()
        for key_node, _ in node.value:
            key = str(key_node.value)
            if key in seen:
                raise _Refused(
                    "yaml-duplicate-key",
                    f"key '{key}' is written twice in the same mapping",
                    "keep one; YAML would silently use the last",
                    key_node.start_mark,
                )
            seen.add(key)
        return node


def _walk(node: yaml.Node, prefix: KeyPath, lines: dict[KeyPath, int]) -> None:
    lines.setdefault(prefix, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*prefix, str(key_node.value))
            lines[key] = key_node.start_mark.line + 1
            _walk(value_node, key, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            key = (*prefix, index)
            lines[key] = item.start_mark.line + 1
            _walk(item, key, lines)


def _problem(path: Path, rule: str, message: str, hint: str, mark: yaml.Mark | None) -> Problem:
    return Problem(
        file=str(path),
        line=None if mark is None else mark.line + 1,
        rule=rule,
        message=message,
        hint=hint,
    )


_DEFAULT_SYNTAX_HINT = "check indentation and that every `key: value` pair has a space after ':'"
_FLOW_SYNTAX = "?:#,[]{}&*!|>%@`"


def _token_at(line: str, column: int) -> str:
    """The flow-collection item around ``column``: from the previous ``{``, ``[``, ``,`` or
    ``: `` to the next ``,``, ``}``, ``]`` or ``: `` (the name YAML stumbled on)."""
    left = column
    while left > 0 and line[left - 1] not in "{[,":
        if line[left - 1] == " " and left >= 2 and line[left - 2] == ":":
            break
        left -= 1
    right = column + 1
    while right < len(line) and line[right] not in ",}]":
        if line[column] != ":" and line[right] == ":" and line[right + 1 : right + 2] in ("", " "):
            break
        right += 1
    return line[left:right].strip()


def _quoted(token: str) -> str:
    return f'"{token}"' if "'" in token else f"'{token}'"


def syntax_hint(text: str, exc: yaml.MarkedYAMLError) -> str:
    """A hint for a YAML syntax error that names the likely cause.

    The commonest one in a config is an export's column name with a character YAML reads
    as syntax (``Resolved?``, ``Score: 1-5``, ``Notes #1``) written unquoted inside
    ``{...}``; the generic "check indentation" sent users looking in the wrong place.
    """
    mark, lines = exc.problem_mark, text.splitlines()
    line = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    column = mark.column if mark is not None else 0
    where = str(exc.context or "")
    char = line[column] if column < len(line) else ""
    if "flow" in where and char and char in _FLOW_SYNTAX:
        token = _token_at(line, column)
        if token:
            return (
                f"write {_quoted(token)} in quotes: inside {{...}} or [...] YAML reads "
                "? : # , [ ] { } as syntax, so a column name holding one needs quotes"
            )
    if "flow" in where:
        return (
            "close every { and [, and quote any name holding ? : # , [ ] { } "
            "(e.g. 'Resolved?', 'Notes #1'): inside {...} YAML reads them as syntax"
        )
    if str(exc.problem or "").startswith("mapping values are not allowed"):
        return (
            "a value holding ': ' must be in quotes (column: 'Score: 1-5'); otherwise "
            + _DEFAULT_SYNTAX_HINT
        )
    if "cannot start any token" in str(exc.problem or ""):
        return "a value starting with @ or ` must be in quotes ('@home')"
    return _DEFAULT_SYNTAX_HINT


def parse_located_yaml(text: str, path: Path) -> tuple[Any, dict[KeyPath, int]]:
    """Parse ``text`` once (no aliases, bounded depth, unique keys): data and key lines.

    Raises ``_Refused`` or ``yaml.YAMLError``; ``read_located_yaml`` turns both into
    located problems.
    """
    loader = _GuardedLoader(text)
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


def read_located_yaml(path: Path, *, error: type[ProblemsError] = ConfigError) -> LocatedYaml:
    """Parse a YAML file; syntax errors become located problems with a hint."""
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            problem = _problem(
                path,
                "yaml-too-large",
                f"the file is {size:,} bytes; at most {MAX_YAML_BYTES:,} are read",
                "a settings or theory file is a few kilobytes; is this the right file?",
                None,
            )
            raise error(f"cannot read {path.name}", [problem])
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        problem = Problem(
            file=str(path),
            rule="missing-file",
            message="file not found",
            hint="run `decisionframe init DIR` to scaffold a project folder",
        )
        raise error(f"cannot read {path.name}", [problem]) from exc
    except UnicodeDecodeError as exc:
        problem = _problem(
            path, "yaml-encoding", "the file is not UTF-8 text", "save it as UTF-8", None
        )
        raise error(f"cannot read {path.name}", [problem]) from exc
    try:
        data, lines = parse_located_yaml(text, path)
    except _Refused as exc:
        problem = _problem(path, exc.rule, exc.message, exc.hint, exc.mark)
        raise error(f"cannot parse {path.name}", [problem]) from None
    except yaml.MarkedYAMLError as exc:
        problem = _problem(
            path,
            "yaml-syntax",
            str(exc.problem or "invalid YAML"),
            syntax_hint(text, exc),
            exc.problem_mark,
        )
        raise error(f"cannot parse {path.name}", [problem]) from exc
    except (yaml.YAMLError, RecursionError) as exc:
        problem = _problem(
            path,
            "yaml-syntax",
            "the file cannot be read as YAML (control characters or binary content)",
            "check that it is a plain text YAML file",
            None,
        )
        raise error(f"cannot parse {path.name}", [problem]) from exc
    return LocatedYaml(path=path, data=data if data is not None else {}, lines=lines)
