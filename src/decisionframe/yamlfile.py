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


def read_located_yaml(path: Path, *, error: type[ProblemsError] = ConfigError) -> LocatedYaml:
    """Parse a YAML file; syntax errors become located problems with a hint."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        problem = Problem(
            file=str(path),
            rule="missing-file",
            message="file not found",
            hint="run `decisionframe init DIR` to scaffold a project folder",
        )
        raise error(f"cannot read {path.name}", [problem]) from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        problem = Problem(
            file=str(path),
            line=None if mark is None else mark.line + 1,
            rule="yaml-syntax",
            message=str(exc.problem or "invalid YAML"),
            hint="check indentation and that every `key: value` pair has a space after ':'",
        )
        raise error(f"cannot parse {path.name}", [problem]) from exc
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return LocatedYaml(path=path, data=data if data is not None else {}, lines=lines)
