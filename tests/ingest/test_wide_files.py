"""Wide exports (issue #13 item 9): a file with a thousand extra columns imports, typed, and
an import's queries grow with its columns linearly, in bounded pieces.

One query holding every column's checks took minutes to plan for 1,000 columns (DuckDB's
planning time grows with the square of a query's length); the cost is checked here by
counting queries and the checks in each, never by the clock.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from decisionframe.errors import ImportValidationError
from decisionframe.ingest.chunked import EXPRESSIONS_PER_QUERY
from decisionframe.project import Project
from decisionframe.store import DuckDBStore

KINDS = ("int", "float", "bool", "date", "text")
EXPECTED_SQL = {"int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN", "date": "DATE"}


def _value(kind: str, row: int, column: int) -> str:
    return {
        "int": str(row * 7 - column),
        "float": f"{row + column / 1000:.3f}",
        "bool": ("yes", "No", "1", "f")[(row + column) % 4],
        "date": f"2025-{row % 12 + 1:02d}-{column % 28 + 1:02d}",
        "text": f"w{(row * column) % 13}",
    }[kind]


def _wide_project(
    folder: Path, extra: int, rows: int, *, config: str = "", edit: Any = None
) -> Path:
    """A project whose clients.csv has client_id and ``extra`` columns of KINDS in turn."""
    (folder / "data").mkdir(parents=True)
    header = ["client_id", *(f"Extra {i} ({KINDS[i % 5]})" for i in range(extra))]
    table = [
        [f"C{r:04d}", *(_value(KINDS[i % 5], r, i) for i in range(extra))] for r in range(rows)
    ]
    if edit is not None:
        edit(header, table)
    with (folder / "data" / "clients.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(table)
    source = config or "{path: data/clients.csv}"
    (folder / "decisionframe.yaml").write_text(f"name: wide\nsources:\n  clients: {source}\n")
    return folder


def _record_queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement the import sends to DuckDB, in order."""
    sent: list[str] = []
    for method in ("execute", "rows"):
        original = getattr(DuckDBStore, method)

        def recording(self: DuckDBStore, sql: str, params: Any = None, _o: Any = original) -> Any:
            sent.append(sql)
            return _o(self, sql, params)

        monkeypatch.setattr(DuckDBStore, method, recording)
    return sent


def _columns(folder: Path) -> Iterator[tuple[str, str, str]]:
    with Project(folder).open_store(read_only=True) as store:
        yield from store.rows(
            "SELECT d.column_name, d.logical_type, c.data_type FROM df_columns d "
            "JOIN information_schema.columns c ON c.table_name = d.table_name "
            "AND c.column_name = d.column_name WHERE d.table_name = 'clients' "
            "ORDER BY c.ordinal_position"
        )


def test_a_thousand_column_file_imports_with_its_values_and_types(tmp_path: Path) -> None:
    folder = _wide_project(tmp_path / "org", 1000, 40)
    result = Project(folder).import_data()
    assert result.tables[0].rows == 40
    columns = list(_columns(folder))
    assert len(columns) == 2 + 1000  # client_id, enrolled_on (canonical) and every extra
    extras = {name: (logical, sql) for name, logical, sql in columns[2:]}
    for index in range(1000):
        kind = KINDS[index % 5]
        logical, sql = extras[f"extra_{index}_{kind}"]
        assert logical == kind
        assert sql == EXPECTED_SQL.get(kind, "VARCHAR")
    with Project(folder).open_store(read_only=True) as store:
        row = store.rows(
            "SELECT extra_0_int, extra_996_float, extra_997_bool, extra_998_date, "
            "extra_999_text FROM clients ORDER BY extra_0_int DESC LIMIT 1"
        )[0]
    assert row[0] == 39 * 7  # the last row (row 39) has the largest first column
    assert row[1] == pytest.approx(39.996)
    assert row[2] is (("yes", "No", "1", "f")[(39 + 997) % 4] in ("yes", "1"))
    assert row[3].isoformat() == _value("date", 39, 998)
    assert row[4] == _value("text", 39, 999)


def test_other_columns_drop_keeps_only_the_named_ones_of_a_wide_file(tmp_path: Path) -> None:
    folder = _wide_project(
        tmp_path / "org",
        1000,
        10,
        config="{path: data/clients.csv, other_columns: drop, "
        "columns: {client_id: client_id, visits: 'Extra 500 (int)', seen: 'Extra 998 (date)'}}",
    )
    Project(folder).import_data()
    assert [(n, t) for n, t, _ in _columns(folder)] == [
        ("client_id", "id"),
        ("enrolled_on", "date"),
        ("visits", "int"),
        ("seen", "date"),
    ]


def test_a_mixed_column_among_many_is_text_and_a_bad_row_is_located(tmp_path: Path) -> None:
    """A line break inside quoted fields of two columns far apart (different chunks of the
    line-break count) still moves later line numbers by exactly its extra lines."""

    def edit(header: list[str], table: list[list[str]]) -> None:
        header.append("enrolled_on")
        for row in table:
            row.append("2025-01-01")
        table[2][3] = "12\nnot a number"  # extra 2 (bool) and 150 (int) become text
        table[2][151] = "a\nb\nc"
        table[6][-1] = "31/13/2025"  # no date: row 6 is the 8th record -> line 8 + 3

    folder = _wide_project(tmp_path / "org", 300, 12, edit=edit)
    with pytest.raises(ImportValidationError) as raised:
        Project(folder).import_data()
    [problem] = raised.value.problems
    assert (problem.rule, problem.line, problem.column) == ("not-a-date", 11, "enrolled_on")
    assert "31/13/2025" not in problem.message


@pytest.mark.parametrize("extra", [100, 400])
def test_every_query_holds_a_bounded_number_of_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: int
) -> None:
    sent = _record_queries(monkeypatch)
    Project(_wide_project(tmp_path / "org", extra, 5)).import_data()
    assert sent
    assert max(sql.count("FILTER (WHERE") for sql in sent) <= EXPRESSIONS_PER_QUERY
    assert max(sql.count("bool_or(") for sql in sent) <= EXPRESSIONS_PER_QUERY


def test_import_queries_grow_linearly_with_the_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four times the columns: about four times the queries and SQL, never sixteen."""
    counts, lengths = [], []
    for extra in (100, 400):
        sent = _record_queries(monkeypatch)
        Project(_wide_project(tmp_path / f"org{extra}", extra, 5)).import_data()
        counts.append(len(sent))
        lengths.append(sum(len(sql) for sql in sent))
        monkeypatch.undo()
    assert counts[1] < 4.5 * counts[0]
    assert lengths[1] < 4.5 * lengths[0]
    # The longest is the load's select list, one short expression per column (linear);
    # with every check in one query it was 760 characters per column.
    assert max(len(sql) for sql in sent) < 100 * 400
