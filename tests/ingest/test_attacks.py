"""Attacks on import (issue #13): injection through config, values leaking through the
driver's errors, unreadable files that must become located problems, not tracebacks."""

from __future__ import annotations

import csv
import gzip
import random
from pathlib import Path

import pytest
import yaml

from decisionframe.errors import ImportValidationError
from decisionframe.project import Project


def _config(project_dir: Path) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((project_dir / "decisionframe.yaml").read_text())  # type: ignore[no-any-return]


def _write_config(project_dir: Path, config: dict) -> None:  # type: ignore[type-arg]
    (project_dir / "decisionframe.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def _set_column(path: Path, column: str, value: str, rows: range | None = None) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        data = list(csv.DictReader(handle))
    fields = list(data[0]) if column in data[0] else [*data[0], column]
    for index, row in enumerate(data):
        if rows is None or index in rows:
            row[column] = value
        else:
            row.setdefault(column, "")
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(data)


def test_a_channel_with_an_apostrophe_imports(project_dir: Path) -> None:
    config = _config(project_dir)
    config["channels"] = [
        "in_person",
        "phone",
        "web",
        "mobile",
        "email",
        "social",
        "citizens' advice",
    ]
    _write_config(project_dir, config)
    _set_column(project_dir / "data" / "contacts.csv", "channel", "citizens' advice", range(0, 5))
    project = Project(project_dir)
    project.import_data()
    with project.open_store(read_only=True) as store:
        got = store.rows("SELECT count(*) FROM touchpoints WHERE channel = ?", ["citizens' advice"])
    assert got[0][0] == 5


def test_a_crafted_channel_runs_no_sql(project_dir: Path, tmp_path: Path) -> None:
    stolen = tmp_path / "stolen.csv"
    payload = f"x'); COPY (SELECT client_id FROM df_stage_clients) TO '{stolen}'; SELECT ('"
    config = _config(project_dir)
    config["channels"] = ["in_person", "phone", "web", "mobile", "email", "social", payload]
    _write_config(project_dir, config)
    _set_column(project_dir / "data" / "contacts.csv", "channel", "fax", range(0, 1))
    with pytest.raises(ImportValidationError) as info:
        Project(project_dir).import_data()
    assert {p.rule for p in info.value.problems} == {"unknown-channel"}
    assert not stolen.exists()


def test_an_unknown_channel_is_shown_only_when_it_is_a_code(project_dir: Path) -> None:
    """A misaligned row put an SSN in the channel column and the error printed it; a code
    (a word, or a short number) is still shown, since that is what the user must recode."""
    path = project_dir / "data" / "contacts.csv"
    _set_column(path, "channel", "SSN-123-45-6789", range(0, 1))
    _set_column(path, "channel", "Walk-in", range(1, 3))
    with pytest.raises(ImportValidationError) as info:
        Project(project_dir).import_data()
    [problem] = info.value.problems
    assert problem.rule == "unknown-channel"
    assert "123-45" not in str(info.value) + repr(problem)
    assert "AAA-NNN-NN-NNNN" in problem.message
    assert "Walk-in" in problem.message
    _set_column(path, "channel", "Walk-in", range(0, 1))
    with pytest.raises(ImportValidationError) as info:
        Project(project_dir).import_data()
    assert "Walk-in (3)" in info.value.problems[0].message


def test_demand_words_are_not_spliced_into_sql(project_dir: Path) -> None:
    config = _config(project_dir)
    config["demand"] = {"progress_chasing": ["chas", "o'brien's"], "error_correction": ["wrong"]}
    _write_config(project_dir, config)
    project = Project(project_dir)
    project.import_data()
    assert project.demand().overall["contacts"] > 0


def test_a_line_over_the_reader_limit_is_located_without_its_value(project_dir: Path) -> None:
    path = project_dir / "data" / "clients.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(3, '"TB1","SSN-123-45-6789' + "x" * 2_200_000 + '"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ImportValidationError) as info:
        Project(project_dir).import_data()
    text = str(info.value) + repr(info.value.problems)
    assert "SSN-123" not in text
    assert "TB1" not in text
    assert any(p.file == "data/clients.csv" for p in info.value.problems)


def test_a_23_digit_extra_column_is_not_echoed(project_dir: Path) -> None:
    big = "12345678901234567890123"
    _set_column(project_dir / "data" / "clients.csv", "reference_number", big)
    project = Project(project_dir)
    project.import_data()  # a number too big for 64 bits is not an integer column
    with project.open_store(read_only=True) as store:
        kinds = dict(
            store.rows(
                "SELECT column_name, logical_type FROM df_columns WHERE table_name = 'clients'"
            )
        )
    assert kinds["reference_number"] in ("float", "text")


def test_a_23_digit_canonical_integer_is_a_located_problem(project_dir: Path) -> None:
    # costs.capacity is an int column: the value must be refused, not crash the cast
    path = project_dir / "data" / "costs.csv"
    text = path.read_text(encoding="utf-8").replace(",4000", ",12345678901234567890123")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportValidationError) as info:
        Project(project_dir).import_data()
    assert [(p.line, p.rule) for p in info.value.problems] == [(2, "not-a-int")]
    assert "12345678901234567890123" not in str(info.value)


@pytest.mark.parametrize(
    ("name", "content", "rule"),
    [
        ("clients.csv", b'"client_id","age"\n"C1","4\n"C2",5\n', "unreadable-csv"),
        ("clients.csv", random.Random(4096).randbytes(4096), None),
        ("clients.parquet", b"client_id,age\nC1,4\n", "not-parquet"),
        ("clients.parquet", b"PAR1" + random.Random(200).randbytes(200) + b"PAR1", "not-parquet"),
    ],
)
def test_unreadable_files_are_located_problems(
    project_dir: Path, name: str, content: bytes, rule: str | None
) -> None:
    (project_dir / "data" / name).write_bytes(content)
    config = _config(project_dir)
    config["sources"]["clients"]["path"] = f"data/{name}"
    _write_config(project_dir, config)
    with pytest.raises(ImportValidationError) as info:
        Project(project_dir).import_data()
    problems = [p for p in info.value.problems if p.file == f"data/{name}"]
    assert problems
    if rule is not None:
        assert problems[0].rule == rule


def test_a_truncated_gzip_is_a_located_problem(project_dir: Path) -> None:
    raw = (project_dir / "data" / "clients.csv").read_bytes()
    (project_dir / "data" / "clients.csv.gz").write_bytes(gzip.compress(raw)[: len(raw) // 8])
    config = _config(project_dir)
    config["sources"]["clients"]["path"] = "data/clients.csv.gz"
    _write_config(project_dir, config)
    with pytest.raises(ImportValidationError) as info:
        Project(project_dir).import_data()
    assert any(p.file == "data/clients.csv.gz" for p in info.value.problems)
