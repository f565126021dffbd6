"""Hostile YAML (issue #13): alias bombs, deep nesting, repeated keys, huge or binary files
are located problems, in bounded time and memory."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from decisionframe.config import load_config
from decisionframe.errors import ConfigError
from decisionframe.yamlfile import MAX_YAML_BYTES, read_located_yaml

BOMB = "\n".join(
    ["name: X", "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]"
        for i in range(8)
    ]
)


def _rule(tmp_path: Path, text: str | bytes) -> tuple[str, int | None]:
    path = tmp_path / "decisionframe.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    [problem] = info.value.problems
    return problem.rule, problem.line


def test_an_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    assert len(BOMB) < 600
    started = time.perf_counter()
    assert _rule(tmp_path, BOMB) == ("yaml-alias", 3)
    assert time.perf_counter() - started < 1


def test_deep_nesting_is_refused_not_a_recursion_error(tmp_path: Path) -> None:
    assert _rule(tmp_path, "name: X\nx: " + "[" * 5000 + "]" * 5000 + "\n")[0] == "yaml-too-deep"
    block = "name: X\n" + "".join("  " * i + f"k{i}:\n" for i in range(300)) + "  " * 300 + "v\n"
    assert _rule(tmp_path, block)[0] == "yaml-too-deep"


def test_a_repeated_key_is_an_error_with_its_line(tmp_path: Path) -> None:
    assert _rule(tmp_path, "name: X\nprivacy:\n  min_cell_size: 11\n  min_cell_size: 2\n") == (
        "yaml-duplicate-key",
        4,
    )


def test_a_huge_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    text = "name: X\n# " + "x" * (MAX_YAML_BYTES + 10) + "\n"
    assert _rule(tmp_path, text)[0] == "yaml-too-large"


@pytest.mark.parametrize(
    "content", [random.Random(2000).randbytes(2000), b"name: X\n\x00\x01\x02\n", b"\xff\xfe"]
)
def test_binary_garbage_is_a_located_problem(tmp_path: Path, content: bytes) -> None:
    assert _rule(tmp_path, content)[0].startswith("yaml-")


def test_lines_are_still_known(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a:\n  b: 1\n  c: [1, 2]\n", encoding="utf-8")
    located = read_located_yaml(path)
    assert located.data == {"a": {"b": 1, "c": [1, 2]}}
    assert located.line_of(("a", "c", 1)) == 3
