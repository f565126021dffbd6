"""Validate staged sources: collect *every* problem, grouped, before anything is loaded.

Problems are grouped by file, column and rule: one problem with a count, the first lines
and one actionable hint, however many rows share it. Value shapes (NN/NN/NNNN) may be shown;
raw values only for categorical columns that are neither identifiers nor free text (channel
names, yes/no words), and only when they take few distinct values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from decisionframe.errors import Problem, count_of, merged
from decisionframe.ingest.chunked import aggregate
from decisionframe.ingest.rules import HINTS, register_words
from decisionframe.ingest.stage import StagedSource
from decisionframe.ingest.values import UNLISTED, suggest_formats
from decisionframe.store import DuckDBStore, quote

MAX_LINES_PER_RULE = 1000  # line numbers kept per file, column and rule (the count is exact)
MAX_SHOWN_VALUES = 20  # a column with more distinct bad values is not shown as values


@dataclass(frozen=True)
class _Check:
    rule: str
    name: str  # target column
    column: str  # file column
    predicate: str
    message: str
    hint: str


def _cell_checks(staged: StagedSource) -> list[_Check]:
    checks: list[_Check] = []
    for name, file_column in staged.columns.items():
        column = staged.stored_sql(name)
        spec = staged.spec.column(name)
        type_ = staged.type_of(name)
        typed = name in staged.typed  # parsed by the reader: no text left to check
        text = staged.input_sql(name)
        if spec is not None and spec.required:
            checks.append(
                _Check(
                    "required-value-missing",
                    name,
                    file_column,
                    f"{column} IS NULL" if typed else f"{text} IS NULL OR {text} = ''",
                    f"'{name}' is required but empty",
                    "fill it in, or remove the row if it is not a real record",
                )
            )
        bad = staged.bad_sql(name)
        unlisted = f"{text} = '{UNLISTED}'"
        if staged.reading(name).refuse_others:
            checks.append(
                _Check(
                    "unlisted-value",
                    name,
                    file_column,
                    unlisted,
                    "not one of the listed codes",
                    "",
                )
            )
            bad = None if bad is None else f"({bad}) AND {text} IS DISTINCT FROM '{UNLISTED}'"
        if bad is not None:
            checks.append(
                _Check(f"not-a-{type_}", name, file_column, bad, f"cannot be read as {type_}", "")
            )
        if spec is not None and spec.non_negative:
            value = column if typed else f"TRY_CAST({staged.value_sql(name)} AS DOUBLE)"
            if not typed and staged.reading(name).plain:
                value = f"TRY_CAST(trim({column}) AS DOUBLE)"
            checks.append(
                _Check(
                    "negative-value",
                    name,
                    file_column,
                    f"{value} < 0",
                    f"'{name}' cannot be negative",
                    "check the sign and the unit of the column",
                )
            )
    if staged.table == "touchpoints" and "channel" in staged.columns:
        channel = f"lower(trim({staged.input_sql('channel')}))"
        checks.append(
            _Check(
                "unknown-channel",
                "channel",
                staged.columns["channel"],
                f"{channel} IS NOT NULL AND NOT list_contains(getvariable('df_channels'), "
                f"{channel})",
                "not one of the configured channels",
                "add them under `channels:` in decisionframe.yaml, or recode them: "
                "`values: {channel: {Walk-in: in_person}}`",
            )
        )
    return checks


def _shape_sql(text: str) -> str:
    """A value's shape: letters as A, digits as N (31/03/2025 -> NN/NN/NNNN)."""
    return (
        f"regexp_replace(regexp_replace(trim({text}), '[^\\W\\d_]', 'A', 'g'), '[0-9]', 'N', 'g')"
    )


def _shapes(store: DuckDBStore, staged: StagedSource, name: str, predicate: str) -> list[str]:
    """The commonest shapes of the bad cells, most common first."""
    rows = store.rows(
        f"SELECT {_shape_sql(staged.input_sql(name))} AS shape, count(*) AS n "
        f"FROM {quote(staged.temp_table)} WHERE {predicate} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3"
    )
    return [str(shape) for shape, _ in rows]


# A short number, a pair of them (a code and the code it depends on, '141:99': see
# ``codes_by``) or a word: a code, not an id.
_CODE_SHAPE = r"^([0-9]{1,4}|[0-9]{1,4}:[0-9]{1,4}|[^0-9]{1,30})$"


def _few_values(
    store: DuckDBStore, staged: StagedSource, name: str, predicate: str, *, words: bool = False
) -> str | None:
    """The bad values with counts, if the column is categorical (few distinct values);
    a value that is not a code (``_CODE_SHAPE``) is shown by its shape only.

    The same rule as ``_unlisted``: an unknown channel once printed
    ``SSN-123-45-6789 (1)`` from a misaligned row (#13); now ``Walk-in (2), shaped
    AAA-NNN-NN-NNNN (1)``. ``words``: only if every value is a word without digits (Yes,
    Maybe), else None (the caller shows shapes).
    """
    text = f"trim({staged.input_sql(name)})"
    rows = store.rows(
        f"SELECT {text} AS v, count(*), bool_and(regexp_matches({text}, ?)), "
        f"any_value({_shape_sql(text)}) FROM {quote(staged.temp_table)} WHERE {predicate} "
        f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {MAX_SHOWN_VALUES + 1}",
        [_CODE_SHAPE],
    )
    if len(rows) > MAX_SHOWN_VALUES:
        return None
    if words and not all(
        is_code and not any(c.isdigit() for c in str(v)) for v, _, is_code, _ in rows
    ):
        return None
    shown: dict[str, int] = {}
    for value, count, is_code, shape in rows:
        label = str(value) if is_code else f"shaped {shape}"
        shown[label] = shown.get(label, 0) + int(count)
    return ", ".join(f"{label} ({n:,})" for label, n in shown.items())


def _unlisted(
    store: DuckDBStore, staged: StagedSource, check: _Check, count: int, predicate: str
) -> tuple[str, str]:
    """Values outside a refusing ``values`` list: the codes themselves when they are codes.

    A code (at most four digits, or a word without digits) cannot identify anyone and is
    what the user must look up; anything longer or mixed is shown only by its shape.
    """
    text = staged.text_sql(check.name)
    rows = store.rows(
        f"SELECT trim({text}) AS v, count(*), bool_and(regexp_matches(trim({text}), ?)) "
        f"FROM {quote(staged.temp_table)} WHERE {predicate} "
        f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {MAX_SHOWN_VALUES + 1}",
        [_CODE_SHAPE],
    )
    if len(rows) <= MAX_SHOWN_VALUES and all(is_code for _, _, is_code in rows):
        seen = ", ".join(f"{v} ({n:,})" for v, n, _ in rows)
        example = str(rows[0][0])
    else:
        shapes = store.rows(
            f"SELECT {_shape_sql(text)}, count(*) FROM {quote(staged.temp_table)} "
            f"WHERE {predicate} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3"
        )
        seen = "shaped " + ", ".join(str(s) for s, _ in shapes)
        example = "<code>"
    are = "value is" if count == 1 else "values are"
    message = f"{count:,} {are} not one of the codes listed for '{check.name}': {seen}"
    hint = (
        f"correct the export, or accept a code deliberately under the column's `values:` "
        f"(for a preset, next to `preset:`: `values: {{{check.name}: {{'{example}': ...}}}}`)"
    )
    return message, hint


def _date_hint(
    store: DuckDBStore, staged: StagedSource, check: _Check, predicate: str, shapes: list[str]
) -> str:
    """The date_format that reads the bad cells: one format per shape, a list if several."""
    chosen: list[str] = []
    ambiguous: list[str] = []
    text = f"({staged.input_sql(check.name)})"
    for index, shape in enumerate(shapes):
        store.execute(f"SET VARIABLE df_shape_{index} = ?", [shape])
        formats = suggest_formats(
            store,
            quote(staged.temp_table),
            text,
            f"{predicate} AND {_shape_sql(text)} = getvariable('df_shape_{index}')",
        )
        if formats and formats[0] not in chosen:
            chosen.append(formats[0])
            ambiguous += [f for f in formats[1:2] if "%d" in f and "%m" in f]
    if not chosen:
        return HINTS[staged.type_of(check.name)] + ", or set `date_format:` (strftime)"
    setting = (
        f"'{chosen[0]}'" if len(chosen) == 1 else "[" + ", ".join(f"'{f}'" for f in chosen) + "]"
    )
    hint = f"set `date_format: {setting}` for this source"
    if ambiguous:
        hint += f" (or '{ambiguous[0]}' if months come first)"
    return hint


def _describe(
    store: DuckDBStore, staged: StagedSource, check: _Check, count: int, part: int | None
) -> tuple[str, str]:
    """Message and hint for one file's bad cells (every file's when ``part`` is None):
    their shapes or values, and what to set."""
    predicate = f"({check.predicate})"
    if part is not None:
        predicate += f" AND {staged.part_sql('rowid')} = {int(part)}"
    if check.rule == "unlisted-value":
        return _unlisted(store, staged, check, count, predicate)
    if check.rule == "unknown-channel":
        values = _few_values(store, staged, check.name, predicate)
        if values:
            seen = f": {values}"
        else:  # too many different ones to list: their commonest shapes
            shown = ", ".join(_shapes(store, staged, check.name, predicate))
            seen = f", shaped {shown}" if shown else ""
        are = "is" if count == 1 else "are"
        message = f"{count_of(count, 'value')} {are} not one of the configured channels{seen}"
        return message, check.hint
    if not check.rule.startswith("not-a-"):
        return (f"{count:,} rows: {check.message}" if count > 1 else check.message), check.hint
    type_ = staged.type_of(check.name)
    categorical = type_ in ("bool", "float", "int")
    values = _few_values(store, staged, check.name, predicate, words=True) if categorical else None
    shapes = _shapes(store, staged, check.name, predicate)
    seen = f"values {values}" if values else f"shaped {', '.join(shapes)}"
    message = f"{count_of(count, 'value')} {check.message}: {seen}"
    hint = HINTS[type_]
    if type_ in ("date", "timestamp"):
        hint = _date_hint(store, staged, check, predicate, shapes)
    elif type_ in ("float", "int") and values and any(c.isalpha() for c in values):
        hint = f"recode the words as numbers: `values: {{{check.name}: {{'Yes': 1, 'No': 0}}}}`"
    elif type_ == "float" and any("N,N" in shape for shape in shapes):
        hint = "numbers use a decimal comma: set `decimal: ','` for this source"
    elif type_ == "bool":
        hint = (
            "name the words: `true_values: [...]` and `false_values: [...]`, or recode with "
            f"`values: {{{check.name}: {{...}}}}`"
        )
    return message, hint


def _grouped(
    store: DuckDBStore,
    staged: StagedSource,
    rule: str,
    column: str | None,
    rowids_sql: str,
    describe: Callable[[int, int], tuple[str, str]] | tuple[str, str] = ("", ""),
) -> list[Problem]:
    """One problem per file of the rows ``rowids_sql`` selects (a query with column rowid)."""
    rows = store.rows(
        f"SELECT part, count(*), list(rowid ORDER BY rowid)[1:{MAX_LINES_PER_RULE}] FROM "
        f"(SELECT {staged.part_sql('rowid')} AS part, rowid FROM ({rowids_sql})) "
        "GROUP BY part ORDER BY part"
    )
    problems = []
    for part, count, rowids in rows:
        lines = tuple(staged.line_of(int(r)) for r in rowids)
        message, hint = describe(int(count), int(part)) if callable(describe) else describe
        problems.append(
            Problem(
                staged.parts[int(part)].display,
                rule,
                message,
                hint,
                lines[0],
                column,
                int(count),
                lines,
            )
        )
    return problems


def _check_cells(store: DuckDBStore, staged: StagedSource) -> list[Problem]:
    checks = _cell_checks(staged)
    if not checks:
        return []
    # Chunked (chunked.py): one query holding every column's checks took minutes to plan.
    counts = aggregate(
        store,
        quote(staged.temp_table),
        [f"count(*) FILTER (WHERE {c.predicate})" for c in checks],
    )
    problems: list[Problem] = []
    for check, count in zip(checks, counts, strict=True):
        if count and staged.exact:
            found = _grouped(
                store,
                staged,
                check.rule,
                check.column,
                f"SELECT rowid FROM {quote(staged.temp_table)} WHERE {check.predicate}",
                lambda n, part, check=check: _describe(store, staged, check, n, part),  # type: ignore[misc]
            )
            if len(found) > 1:  # the same rule broken in several files: said once
                total = sum(p.count for p in found)
                found = [merged(found, *_describe(store, staged, check, total, None))]
            problems += found
        elif count:
            problems.append(_unlocated(staged, check.rule, check.column, int(count)))
    return problems


def cell_checks(staged: StagedSource) -> list[_Check]:
    """The per-cell checks of a staged source (quarantine removes the rows they select)."""
    return _cell_checks(staged)


def _unlocated(staged: StagedSource, rule: str, column: str, count: int) -> Problem:
    """A problem found in a fast-staged source, which has no line numbers to give."""
    return Problem(
        staged.display_path,
        rule,
        f"{count_of(count, 'row')} {'breaks' if count == 1 else 'break'} this rule",
        "stage exactly to locate",
        None,
        column,
        count,
    )


def _check_duplicate_keys(store: DuckDBStore, staged: StagedSource) -> list[Problem]:
    key_columns = [staged.columns[k] for k in staged.spec.key if k in staged.columns]
    if not key_columns:
        return []
    keys = ", ".join(staged.text_sql(k) for k in staged.spec.key if k in staged.columns)
    table = quote(staged.temp_table)
    # A hash aggregate finds whether any key repeats (cheap); only then are rows located.
    repeated = store.rows(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} GROUP BY {keys} HAVING count(*) > 1)"
    )[0][0]
    if not repeated:
        return []
    if not staged.exact:
        return [_unlocated(staged, "duplicate-key", key_columns[0], int(repeated))]
    repeats = (
        f"SELECT rowid, first_rowid FROM (SELECT rowid, min(rowid) OVER (PARTITION BY {keys}) "
        f"AS first_rowid FROM {table}) WHERE rowid <> first_rowid"
    )
    first = store.rows(f"{repeats} ORDER BY rowid LIMIT 1")[0]
    label = " + ".join(staged.spec.key)
    problems = _grouped(
        store, staged, "duplicate-key", key_columns[0], f"SELECT rowid FROM ({repeats})"
    )
    out = []
    for problem in problems:
        earlier = staged.line_of(int(first[1]))
        count = problem.count
        message = (
            f"duplicate {label}: same key as line {earlier}"
            if count == 1
            else f"{count:,} rows repeat a {label} of an earlier row (the first repeats line "
            f"{earlier})"
        )
        hint = "keep one row per key; merge or delete the repeated rows"
        out.append(
            Problem(
                problem.file,
                problem.rule,
                message,
                hint,
                problem.line,
                problem.column,
                count,
                problem.lines,
            )
        )
    if len(out) > 1:  # repeats in several files of the source: said once
        total = sum(p.count for p in out)
        message = f"{total:,} rows repeat a {label} of an earlier row"
        out = [merged(out, message, out[0].hint)]
    return out


def _check_references(
    store: DuckDBStore, staged: StagedSource, all_staged: Mapping[str, StagedSource]
) -> list[Problem]:
    problems: list[Problem] = []
    for name, file_column in staged.columns.items():
        spec = staged.spec.column(name)
        if spec is None or spec.references is None:
            continue
        parent_table, parent_column = spec.references.split(".")
        parent = all_staged.get(parent_table)
        if parent is None or parent_column not in parent.columns:
            problems.append(
                Problem(
                    staged.display_path,
                    "missing-parent-source",
                    f"'{name}' refers to {parent_table}, which is not being imported",
                    f"add a `{parent_table}` source in decisionframe.yaml",
                    None,
                    file_column,
                )
            )
            continue
        child, key = staged.text_sql(name, "c."), parent.text_sql(parent_column, "p.")
        orphans = (
            f"FROM {quote(staged.temp_table)} c ANTI JOIN {quote(parent.temp_table)} p "
            f"ON {child} = {key} WHERE {child} IS NOT NULL"
        )
        if not staged.exact:
            count = int(store.rows(f"SELECT count(*) {orphans}")[0][0])
            if count:
                problems.append(_unlocated(staged, "orphan-reference", file_column, count))
            continue
        singular = parent_table[:-1]
        orphaned = _grouped(
            store,
            staged,
            "orphan-reference",
            file_column,
            f"SELECT c.rowid AS rowid {orphans}",
            (
                f"'{name}' refers to a {singular} that is not in {parent.display_path}",
                f"add the missing {singular} to {parent.display_path}, or remove the row",
            ),
        )
        if len(orphaned) > 1:  # in several files of the source: said once
            orphaned = [merged(orphaned, orphaned[0].message, orphaned[0].hint)]
        problems += orphaned
    return [
        p
        if p.count <= 1
        else Problem(
            p.file,
            p.rule,
            f"{p.count:,} rows: {p.message}",
            p.hint,
            p.line,
            p.column,
            p.count,
            p.lines,
            p.by_file,
        )
        for p in problems
    ]


def set_channels(store: DuckDBStore, channels: list[str]) -> None:
    """The configured channels, as a bound variable the channel check reads."""
    store.execute(
        "SET VARIABLE df_channels = ?::VARCHAR[]", [[c.strip().lower() for c in channels]]
    )


def validate_staged(
    store: DuckDBStore, staged: Mapping[str, StagedSource], *, channels: list[str]
) -> list[Problem]:
    """Every problem in every staged source, in file then line order."""
    set_channels(store, channels)
    register_words(store)
    problems: list[Problem] = []
    for source in staged.values():
        problems += _check_cells(store, source)
        problems += _check_duplicate_keys(store, source)
        problems += _check_references(store, source, staged)
    return sorted(problems, key=lambda p: (p.file, p.line if p.line is not None else 1 << 62))
