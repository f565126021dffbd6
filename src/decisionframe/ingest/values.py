"""How one column's text is read: date formats, time zones, decimal marks, yes/no words, recoding.

Every setting from decisionframe.yaml reaches SQL as a DuckDB variable set with a bound
parameter (``SET VARIABLE name = ?``) and read with ``getvariable('name')``; the variable
names are ours, so no configured value is ever spliced into SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from decisionframe.ingest.rules import FALSE_WORDS, TRUE_WORDS, bad_value_sql, cast_sql
from decisionframe.store import DuckDBStore
from decisionframe.store.schema import LogicalType

# A written UTC offset at the end of a timestamp: Z, +01, +0100 or +01:00.
OFFSET_PATTERN = r"[0-9]:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"

# What a value outside a refusing ``values`` list becomes while validating (never loaded).
UNLISTED = "df:unlisted-value"

_DATE_PARTS = (
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%d-%b-%y",
    "%b %d, %Y",
    "%d %B %Y",
    "%B %d, %Y",
    "%Y-%m-%d",
)
_TIME_PARTS = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", "T%H:%M", "T%H:%M:%S")
CANDIDATE_FORMATS = tuple(d + t for d in _DATE_PARTS for t in _TIME_PARTS)


@dataclass
class Reading:
    """The reading options of one column, and the DuckDB variables that carry them."""

    var: str  # prefix of this column's DuckDB variables (ours, never from config)
    formats: list[str] = field(default_factory=list)
    detected: bool = False  # formats found by looking at the values, not configured
    timezone: str | None = None
    decimal: str | None = None
    true_words: list[str] | None = None
    false_words: list[str] | None = None
    values: dict[str, str | None] = field(default_factory=dict)  # lower-case raw -> new text
    # What a value not in ``values`` becomes: set by a '*' key, or empty for a lookup.
    has_default: bool = False
    default: str | None = None
    # ``other_values: refuse``: a non-empty value not in ``values`` becomes UNLISTED, which
    # the validator reports by file, column and line (and quarantine sets aside).
    refuse_others: bool = False

    def register(self, store: DuckDBStore) -> None:
        """Set this column's variables (bound parameters) on the store's connection."""
        for index, fmt in enumerate(self.formats):
            store.execute(f"SET VARIABLE {self.var}_f{index} = ?", [fmt])
        if self.timezone is not None:
            store.execute(f"SET VARIABLE {self.var}_tz = ?", [self.timezone])
        if self.true_words is not None or self.false_words is not None:
            store.execute(f"SET VARIABLE {self.var}_true = ?", [self._words(True)])
            store.execute(f"SET VARIABLE {self.var}_false = ?", [self._words(False)])
        if self.values or self.has_default or self.refuse_others:
            store.execute(
                f"SET VARIABLE {self.var}_map = map(?::VARCHAR[], ?::VARCHAR[])",
                [list(self.values), list(self.values.values())],
            )
        if self.has_default:
            store.execute(f"SET VARIABLE {self.var}_default = ?::VARCHAR", [self.default])

    def _words(self, truth: bool) -> list[str]:
        own = self.true_words if truth else self.false_words
        return [*(TRUE_WORDS if truth else FALSE_WORDS), *(w.strip().lower() for w in own or [])]

    def _get(self, suffix: str) -> str:
        return f"getvariable('{self.var}_{suffix}')"

    @property
    def plain(self) -> bool:
        return not (
            self.formats
            or self.timezone
            or self.decimal == ","
            or self.true_words
            or self.false_words
            or self.values
            or self.has_default
            or self.refuse_others
        )

    def recoded(self, text: str) -> str:
        """``text`` after the column's ``values`` map (matched ignoring case and spaces)."""
        if not self.values and not self.has_default and not self.refuse_others:
            return text
        key = f"lower(trim({text}))"
        other = self._get("default") if self.has_default else text
        # An empty cell is missing, not "any other value": a '*' catch-all left it filled
        # (an empty RecordType became in_person). Only an explicit '' key recodes it.
        empty = f"{self._get('map')}['']" if "" in self.values else "CAST(NULL AS VARCHAR)"
        if self.refuse_others:
            return (
                f"(CASE WHEN {key} IS NULL OR {key} = '' THEN {empty} "
                f"WHEN map_contains({self._get('map')}, {key}) THEN {self._get('map')}[{key}] "
                f"ELSE '{UNLISTED}' END)"
            )
        return (
            f"(CASE WHEN {key} IS NULL OR {key} = '' THEN {empty} "
            f"WHEN map_contains({self._get('map')}, {key}) "
            f"THEN {self._get('map')}[{key}] ELSE {other} END)"
        )

    def _number(self, text: str) -> str:
        return f"replace({text}, ',', '.')" if self.decimal == "," else text

    def _zoned(self, naive: str) -> str:
        if self.timezone is None:
            return naive
        return f"CAST(timezone({self._get('tz')}, {naive}) AS TIMESTAMP)"

    def _parsed(self, text: str, type_: LogicalType) -> str | None:
        """Expression parsing ``text`` to ``type_`` (UTC for timestamps), NULL when it cannot."""
        if type_ == "float":
            return f"TRY_CAST(trim({self._number(text)}) AS DOUBLE)"
        if type_ == "date" and self.formats:
            parts = [
                f"try_strptime(trim({text}), {self._get(f'f{i}')})"
                for i in range(len(self.formats))
            ]
            return f"CAST(coalesce({', '.join(parts)}) AS DATE)"
        if type_ == "timestamp":
            if self.formats:
                parts = []
                for index, fmt in enumerate(self.formats):
                    parsed = f"try_strptime(trim({text}), {self._get(f'f{index}')})"
                    # A %z format gives an aware value (UTC in this session); others are local.
                    parts.append(
                        f"CAST({parsed} AS TIMESTAMP)" if "%z" in fmt else self._zoned(parsed)
                    )
                return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"
            aware = f"CAST(TRY_CAST(trim({text}) AS TIMESTAMPTZ) AS TIMESTAMP)"
            if self.timezone is None:
                return aware  # a naive value is read in the session's zone, UTC: unchanged
            naive = self._zoned(f"TRY_CAST(trim({text}) AS TIMESTAMP)")
            offset = f"regexp_matches({text}, '{OFFSET_PATTERN}')"
            return f"(CASE WHEN {offset} THEN {aware} ELSE {naive} END)"
        return None

    def bad_sql(self, text: str, type_: LogicalType) -> str | None:
        """Predicate true where a non-empty cell cannot be read as ``type_``."""
        if type_ == "bool" and (self.true_words or self.false_words):
            words = f"{self._get('true')} || {self._get('false')}"
            return f"{text} IS NOT NULL AND NOT list_contains({words}, lower(trim({text})))"
        special = (
            (type_ == "float" and self.decimal == ",")
            or (type_ == "date" and self.formats)
            or type_ == "timestamp"
        )
        parsed = self._parsed(text, type_)
        if special and parsed is not None:
            return f"{text} IS NOT NULL AND {parsed} IS NULL"
        return bad_value_sql(text, type_)

    def cast_sql(self, text: str, type_: LogicalType) -> str:
        """Expression turning a validated cell into its loaded value."""
        if type_ == "bool" and (self.true_words or self.false_words):
            word = f"lower(trim({text}))"
            return (
                f"CASE WHEN list_contains({self._get('true')}, {word}) THEN true "
                f"WHEN list_contains({self._get('false')}, {word}) THEN false END"
            )
        if type_ == "float" and self.decimal == ",":
            return f"CAST({self._number(text)} AS DOUBLE)"
        if type_ in ("date", "timestamp") and (self.formats or type_ == "timestamp"):
            parsed = self._parsed(text, type_)
            assert parsed is not None
            return parsed
        return cast_sql(text, type_)

    def typed_sql(self, column: str, type_: LogicalType) -> str:
        """A column the reader already parsed: only the time zone is left to apply."""
        return self._zoned(column) if type_ == "timestamp" else column


def detect_formats(
    store: DuckDBStore, table: str, column: str, type_: LogicalType
) -> tuple[list[str], list[tuple[str, str, str, str, str]]]:
    """Date formats that read every sampled value of ``column`` (text) in ``table``.

    Returns (formats, conflicts): one format when exactly one reading fits; none when ISO
    already fits or nothing does; and for an ambiguous column (03/04/2025 fits both day-first
    and month-first), conflicts of (example value, format a, reading a, format b, reading b).
    """
    iso = "DATE" if type_ == "date" else "TIMESTAMPTZ"
    store.execute("SET VARIABLE df_candidate_formats = ?", [list(CANDIDATE_FORMATS)])
    counts = store.rows(
        f"SELECT count({column}), "
        f"count(*) FILTER (WHERE TRY_CAST(trim({column}) AS {iso}) IS NULL), "
        + ", ".join(
            f"count(*) FILTER (WHERE try_strptime(trim({column}), "
            f"getvariable('df_candidate_formats')[{i + 1}]) IS NULL)"
            for i in range(len(CANDIDATE_FORMATS))
        )
        + f" FROM {table} WHERE {column} IS NOT NULL AND trim({column}) <> ''"
    )[0]
    non_null, iso_failures, *failures = counts
    if not non_null or not iso_failures:
        return [], []
    fitting = [f for f, bad in zip(CANDIDATE_FORMATS, failures, strict=True) if not bad]
    if not fitting:
        return [], []
    if len(fitting) == 1:
        return fitting, []
    first = fitting[0]
    conflicts = []
    for other in fitting[1:]:
        store.execute("SET VARIABLE df_format_a = ?", [first])
        store.execute("SET VARIABLE df_format_b = ?", [other])
        rows = store.rows(
            f"SELECT trim({column}), try_strptime(trim({column}), getvariable('df_format_a')), "
            f"try_strptime(trim({column}), getvariable('df_format_b')) FROM {table} "
            f"WHERE try_strptime(trim({column}), getvariable('df_format_a')) <> "
            f"try_strptime(trim({column}), getvariable('df_format_b')) LIMIT 1"
        )
        if rows:
            value, a, b = rows[0]
            conflicts.append((str(value), first, _reading(a, type_), other, _reading(b, type_)))
    return ([first], []) if not conflicts else ([], conflicts)


def _reading(value: datetime, type_: LogicalType) -> str:
    return value.strftime("%d %B %Y" if type_ == "date" else "%d %B %Y %H:%M")


def suggest_formats(store: DuckDBStore, table: str, column: str, predicate: str) -> list[str]:
    """Candidate formats that read the most of the bad values (ties all returned)."""
    store.execute("SET VARIABLE df_candidate_formats = ?", [list(CANDIDATE_FORMATS)])
    counts = store.rows(
        "SELECT "
        + ", ".join(
            f"count(*) FILTER (WHERE try_strptime(trim({column}), "
            f"getvariable('df_candidate_formats')[{i + 1}]) IS NOT NULL)"
            for i in range(len(CANDIDATE_FORMATS))
        )
        + f" FROM (SELECT * FROM {table} WHERE {predicate} LIMIT 10000)"
    )[0]
    best = max(counts) if counts else 0
    if not best:
        return []
    return [f for f, n in zip(CANDIDATE_FORMATS, counts, strict=True) if n == best]


__all__ = ["CANDIDATE_FORMATS", "UNLISTED", "Reading", "detect_formats", "suggest_formats"]
