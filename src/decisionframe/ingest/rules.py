"""Per-type SQL checks and casts applied to text-staged columns.

Every check is an SQL predicate over a text column that is true for a *bad* cell, so all
bad cells of a whole file are found in one scan.
"""

from __future__ import annotations

from decisionframe.store import DuckDBStore
from decisionframe.store.schema import SQL_TYPES, LogicalType

TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")
_INT_PATTERN = r"\s*[-+]?[0-9]+\s*"

HINTS: dict[LogicalType, str] = {
    "int": "use whole numbers such as 42, without thousands separators",
    "float": "use numbers with a dot for decimals, such as 3.5",
    "bool": "use true/false, yes/no or 1/0",
    "date": "use ISO dates such as 2025-03-31",
    "timestamp": "use ISO timestamps such as 2025-03-31 14:05:00",
    "id": "",
    "text": "",
}


# The yes/no words as a map (word -> true/false) in a DuckDB variable: one lookup per cell
# instead of an IN list of ten words per column, which made a file with hundreds of yes/no
# columns a query too long to plan quickly. Set by ``register_words`` before any check.
BOOL_WORDS_VAR = "df_bool_words"
_BOOL = f"getvariable('{BOOL_WORDS_VAR}')"


def register_words(store: DuckDBStore) -> None:
    """Set the yes/no word map the bool checks and casts read (bound parameters)."""
    store.execute(
        f"SET VARIABLE {BOOL_WORDS_VAR} = map(?::VARCHAR[], ?::BOOLEAN[])",
        [
            [*TRUE_WORDS, *FALSE_WORDS],
            [True] * len(TRUE_WORDS) + [False] * len(FALSE_WORDS),
        ],
    )


def bad_value_sql(column: str, type_: LogicalType) -> str | None:
    """Predicate true where a non-empty cell cannot be read as ``type_`` (None: anything goes)."""
    if type_ == "int":
        # The pattern alone would pass a 23-digit number that the cast then refuses (and
        # DuckDB's cast error quotes the value): a whole number must also fit 64 bits.
        return (
            f"{column} IS NOT NULL AND (NOT regexp_full_match({column}, '{_INT_PATTERN}') "
            f"OR TRY_CAST(trim({column}) AS BIGINT) IS NULL)"
        )
    if type_ == "float":
        return f"{column} IS NOT NULL AND TRY_CAST(trim({column}) AS DOUBLE) IS NULL"
    if type_ == "bool":
        return f"{column} IS NOT NULL AND {_BOOL}[lower(trim({column}))] IS NULL"
    if type_ in ("date", "timestamp"):
        return f"{column} IS NOT NULL AND TRY_CAST(trim({column}) AS {SQL_TYPES[type_]}) IS NULL"
    return None


def cast_sql(column: str, type_: LogicalType) -> str:
    """Expression turning a validated text cell into its typed (non-text) value."""
    if type_ == "bool":
        return f"{_BOOL}[lower(trim({column}))]"
    # Text needs no cast; it is trimmed only where padded (StagedSource.text_sql).
    # DuckDB's casts ignore surrounding whitespace, so no trim() here: on millions of rows
    # the extra string pass is measurable (about 2 s of a 5M-row import).
    return f"CAST({column} AS {SQL_TYPES[type_]})"


# Order matters: the first type every value fits is the one inferred for an extra column.
INFERENCE_ORDER: tuple[LogicalType, ...] = ("int", "float", "bool", "date", "timestamp")
