"""Project configuration (decisionframe.yaml): parsed once at the edge, validated, with hints."""

from __future__ import annotations

import difflib
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from decisionframe.errors import ConfigError, Problem
from decisionframe.yamlfile import LocatedYaml, read_located_yaml

CONFIG_FILE = "decisionframe.yaml"
TableName = Literal[
    "clients", "touchpoints", "outcomes", "feedback", "costs", "initiatives", "series"
]
DEFAULT_CHANNELS = ("in_person", "phone", "web", "mobile", "email", "social")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


DateFormats = str | list[str]
ValueMap = dict[str, str | int | float | bool | None]
SOURCE_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".xlsx", ".xlsm", ".xls", ".ods")
FileFormat = Literal["csv", "parquet", "excel"]


_HUMAN_TOKENS = re.compile(
    r"yyyy|yy|mmmm|month|mmm|mon|mm|m|dd|d|hh|h|ss|s|am/pm|tt|a|[/\-.:, T]",
    re.IGNORECASE,
)
_HUMAN_CODES = {
    "yyyy": "%Y",
    "yy": "%y",
    "mmmm": "%B",
    "month": "%B",
    "mmm": "%b",
    "mon": "%b",
    "dd": "%d",
    "d": "%d",
    "ss": "%S",
    "s": "%S",
}
HUMAN_DATE_EXAMPLES = "dd/mm/yyyy, mm/dd/yyyy, yyyy-mm-dd, dd-Mon-yyyy, dd/mm/yyyy hh:mm"


def strftime_of(pattern: str) -> str | None:
    """The strftime format of a date pattern written the human way, or None if it is not one.

    Exports are described the way spreadsheets and manuals write them (dd/mm/yyyy,
    dd-Mon-yyyy, dd/MM/yyyy HH:mm): such a pattern was taken as a strftime format of
    literal letters, so every date failed. ``mm`` is the month, or the minutes right after
    an hour; ``hh`` is 24-hour unless ``am/pm`` is present. A pattern holding ``%`` is
    strftime already and is returned as written.
    """
    if "%" in pattern:
        return pattern
    tokens = _HUMAN_TOKENS.findall(pattern)
    if "".join(tokens) != pattern or not any(t.isalpha() for t in tokens):
        return None
    twelve_hour = any(t.lower() in ("am/pm", "tt", "a") for t in tokens)
    out, after_hour, fields = [], False, 0
    for token in tokens:
        low = token.lower()
        if low in ("hh", "h"):
            out.append("%I" if twelve_hour else "%H")
            after_hour = True
        elif low in ("mm", "m"):
            out.append("%M" if after_hour else "%m")
            after_hour = False
        elif low in ("am/pm", "tt", "a"):
            out.append("%p")
        elif low in _HUMAN_CODES:
            out.append(_HUMAN_CODES[low])
        elif token == "T" or not token.isalpha():
            out.append(token)
            continue
        else:
            return None
        fields += 1
    return "".join(out) if fields >= 2 else None


class ReadOptions(_Strict):
    """How values are written in the export (per source, or per column under ``columns:``)."""

    date_format: DateFormats | None = Field(
        default=None,
        description="format of dates/timestamps, or a list tried in order: strftime "
        f"('%d/%m/%Y') or written the usual way ({HUMAN_DATE_EXAMPLES}; mm after an hour "
        "is minutes)",
    )
    timezone: str | None = Field(
        default=None,
        description="IANA zone of timestamps written without an offset ('Europe/London'); "
        "stored in UTC. Written offsets (+01:00, Z) are always honoured",
    )
    decimal: Literal[".", ","] | None = Field(
        default=None, description="decimal mark of numbers ('.' or ',')"
    )
    true_values: list[str] | None = Field(
        default=None, description="words read as true in yes/no columns (with the built-in ones)"
    )
    false_values: list[str] | None = Field(
        default=None, description="words read as false in yes/no columns"
    )

    @field_validator("date_format")
    @classmethod
    def _readable_format(cls, value: DateFormats | None) -> DateFormats | None:
        for item in [value] if isinstance(value, str) else value or []:
            if strftime_of(item) is None:
                raise ValueError(
                    f"date_format '{item}' is neither a strftime format nor a pattern such "
                    f"as {HUMAN_DATE_EXAMPLES}"
                )
        return value

    def written_formats(self) -> list[str]:
        """The date formats as written in the config (a human pattern not yet translated)."""
        if self.date_format is None:
            return []
        return [self.date_format] if isinstance(self.date_format, str) else list(self.date_format)

    def formats(self) -> list[str]:
        """The date formats in strftime, human patterns (dd/mm/yyyy) translated."""
        return [strftime_of(f) or f for f in self.written_formats()]

    def translated_formats(self) -> list[tuple[str, str]]:
        """(as written, strftime) of every human pattern, for the import's notes."""
        pairs = zip(self.written_formats(), self.formats(), strict=True)
        return [(f, t) for f, t in pairs if f != t]


class LookupStep(_Strict):
    """One hop of a lookup: the value is replaced by another file's column on the same key."""

    path: str = Field(description="the file to look the value up in (CSV, relative to the project)")
    key: str = Field(description="that file's column holding the value being looked up")
    value: str = Field(
        description="that file's column to take instead (the smallest one if the key repeats)"
    )

    @field_validator("path")
    @classmethod
    def _csv(cls, value: str) -> str:
        if not value.lower().endswith((".csv", ".csv.gz")):
            raise ValueError("a lookup file must be .csv or .csv.gz")
        return value


class AsOfFile(_Strict):
    """Where an export writes its own reference day: the latest date in one column of one
    file (HMIS: ExportEndDate in Export.csv)."""

    path: str = Field(description="the file holding the day (CSV, relative to the project)")
    column: str = Field(description="its column holding the day (the latest one is used)")

    @field_validator("path")
    @classmethod
    def _csv(cls, value: str) -> str:
        if not value.lower().endswith((".csv", ".csv.gz")):
            raise ValueError("an as_of_from file must be .csv or .csv.gz")
        return value


class ColumnSource(ReadOptions):
    """A mapped column with its own reading options: {column: Contact Date, date_format: ...}."""

    column: str = Field(description="the column's name in the source file")
    values: ValueMap | None = Field(
        default=None,
        description="recode values: {Walk-in: in_person}; the key '*' recodes every other "
        "value that is not empty (an empty cell stays empty unless a '' key recodes it)",
    )
    other_values: Literal["keep", "refuse"] = Field(
        default="keep",
        description="keep: a value not listed under `values:` is loaded as written. refuse: "
        "it is a located error (a code outside the list, e.g. an HMIS Destination); empty "
        "cells stay empty. List a code under `values:` to accept it deliberately",
    )
    codes_by: str | None = Field(
        default=None,
        description="the file column this column's codes depend on: the codes under "
        "`values:` are then written '<that column's code>:<this column's code>' (HMIS "
        "TypeProvided by RecordType: '141:1' is PATH's re-engagement); an empty cell stays "
        "empty",
    )
    lookup: list[LookupStep] | None = Field(
        default=None,
        description="replace the value by another file's column on the same key, hop by hop "
        "([{path: Enrollment.csv, key: EnrollmentID, value: ProjectID}]); a value not found "
        "is left empty",
    )
    age_bands: list[int] | None = Field(
        default=None,
        description="read the column as a date of birth and keep only the age band it gives "
        "on `as_of` ([18, 25, 65] -> under 18, 18-24, 25-64, 65+); the date itself is never "
        "stored",
    )
    as_of: date | None = Field(
        default=None,
        description="the day ages are counted to (default: `as_of_from`, else the export's "
        "latest contact date: touchpoints.started_at, else outcomes.measured_on or "
        "feedback.given_on; the day of the import only when the data hold no date). The day "
        "used is in the import summary and the import log (`status`)",
    )
    as_of_from: AsOfFile | None = Field(
        default=None,
        description="read the day ages are counted to from the export itself: {path: "
        "data/hmis/Export.csv, column: ExportEndDate}; if the file is missing or holds no "
        "date, the default above is used (and the summary says so)",
    )

    @model_validator(mode="after")
    def _refuse_needs_a_list(self) -> ColumnSource:
        if self.other_values == "refuse" and "*" in (self.values or {}):
            raise ValueError(
                "other_values: refuse and a '*' key contradict each other; drop one of them"
            )
        if self.other_values == "refuse" and not self.values:
            raise ValueError("other_values: refuse needs `values:`, the list of accepted codes")
        if self.codes_by is not None and self.lookup:
            raise ValueError("codes_by and lookup cannot be combined on one column")
        return self

    @field_validator("age_bands")
    @classmethod
    def _increasing(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and (not value or value != sorted(set(value)) or value[0] < 1):
            raise ValueError("age_bands must be increasing whole ages above 0, e.g. [18, 25, 65]")
        return value

    @field_validator("values", mode="before")
    @classmethod
    def _yaml_booleans(cls, value: Any) -> Any:
        return _word_keys(value)


class SourceConfig(ReadOptions):
    """One table's source file(s) and how their columns map onto the canonical table."""

    path: str | list[str] = Field(
        description="file path relative to the project folder (.csv, .csv.gz, .parquet, .xlsx, "
        ".xls, .ods); a glob (data/contacts_*.csv) or a list of files, read as one table"
    )
    columns: dict[str, str | ColumnSource] = Field(
        default_factory=dict,
        description="target column (canonical or a new attribute name) -> column name in the "
        "file, or a mapping {column: name, date_format: ..., values: ...}",
    )
    format: FileFormat | None = Field(
        default=None, description="csv, parquet or excel (default: from the file name)"
    )
    delimiter: str | None = Field(
        default=None, description="field separator of CSV files (default: sniffed from the header)"
    )
    encoding: str | None = Field(
        default=None, description="text encoding of CSV files (default: detected; utf-8 if unsure)"
    )
    sheet: str | int | None = Field(
        default=None, description="sheet name or 0-based index in a spreadsheet (default: first)"
    )
    values: dict[str, ValueMap] = Field(
        default_factory=dict,
        description="recoding per target column: {outcome_value: {'Yes': 1}}, "
        "{channel: {Walk-in: in_person}}; matched ignoring case and surrounding spaces",
    )
    other_columns: Literal["keep", "drop"] = Field(
        default="keep",
        description="keep: every column not named under `columns:` is loaded as an attribute. "
        "drop: only the named columns, and those already named as a canonical column "
        "(client_id), are read; the others (names, SSNs, free text) never reach the store, "
        "not even while importing",
    )
    repeated_rows: Literal["refuse", "collapse"] = Field(
        default="refuse",
        description="collapse: identical rows (after `other_columns: drop`) load once, e.g. "
        "clients listed from a ticket file, one row per ticket; rows repeating a key with "
        "other values are still refused",
    )
    skip_rows_with: list[str] = Field(
        default_factory=list,
        description="file columns that mark a row to leave out when they hold a value "
        "(HMIS marks deleted records with DateDeleted)",
    )
    on_error: Literal["refuse", "quarantine"] = Field(
        default="refuse",
        description="refuse: nothing loads if any row is bad. quarantine: the valid rows "
        "load; rows with a bad cell, a repeated key, a missing parent or an unreadable line "
        "are set aside by file and line in .decisionframe/quarantine/latest.csv (problems "
        "with the file itself still refuse)",
    )

    @field_validator("path")
    @classmethod
    def _known_suffix(cls, value: str | list[str]) -> str | list[str]:
        for item in [value] if isinstance(value, str) else value:
            lowered = item.lower().rstrip("/")
            if not lowered.endswith(SOURCE_SUFFIXES):
                raise ValueError(f"path must end in {', '.join(SOURCE_SUFFIXES)}")
        if isinstance(value, list) and not value:
            raise ValueError("give at least one file")
        return value

    @field_validator("values", mode="before")
    @classmethod
    def _yaml_booleans(cls, value: Any) -> Any:
        """YAML 1.1 reads an unquoted Yes/No key as a boolean; take it back as a word."""
        if isinstance(value, dict):
            return {k: _word_keys(v) for k, v in value.items()}
        return value

    def paths(self) -> list[str]:
        return [self.path] if isinstance(self.path, str) else list(self.path)

    def file_format(self, path: str | None = None) -> FileFormat:
        if self.format is not None:
            return self.format
        name = (path or self.paths()[0]).lower()
        if name.endswith(".parquet"):
            return "parquet"
        if name.endswith((".xlsx", ".xlsm", ".xls", ".ods")):
            return "excel"
        return "csv"

    def read_columns(self) -> list[str]:
        """The file columns read when ``other_columns: drop`` (mapped ones and row markers)."""
        named = [self.column_name(t) or "" for t in self.columns]
        paired = [
            m.codes_by for m in self.columns.values() if isinstance(m, ColumnSource) and m.codes_by
        ]
        return list(dict.fromkeys([*named, *paired, *self.skip_rows_with]))

    def as_of_paths(self) -> list[str]:
        """The files a banded column reads its day from (``as_of_from``), hashed like lookups."""
        return [
            mapped.as_of_from.path
            for mapped in self.columns.values()
            if isinstance(mapped, ColumnSource) and mapped.as_of_from and mapped.as_of is None
        ]

    def counts_ages(self) -> bool:
        """Whether a column is read as a date of birth without a fixed ``as_of`` day."""
        return any(
            isinstance(mapped, ColumnSource) and mapped.age_bands and mapped.as_of is None
            for mapped in self.columns.values()
        )

    def lookup_paths(self) -> list[str]:
        return [
            step.path
            for mapped in self.columns.values()
            if isinstance(mapped, ColumnSource) and mapped.lookup
            for step in mapped.lookup
        ]

    def column_name(self, target: str) -> str | None:
        mapped = self.columns.get(target)
        if mapped is None:
            return None
        return mapped if isinstance(mapped, str) else mapped.column

    def options_for(self, target: str) -> ColumnSource | None:
        mapped = self.columns.get(target)
        return mapped if isinstance(mapped, ColumnSource) else None

    def value_map(self, target: str) -> ValueMap:
        """The recoding for ``target``: the column's own map over the source's."""
        own = self.options_for(target)
        merged = dict(self.values.get(target, {}))
        if own is not None and own.values:
            merged.update(own.values)
        return merged


_YAML_TRUE = ("yes", "true", "on")
_YAML_FALSE = ("no", "false", "off")


def _word_keys(mapping: Any) -> Any:
    """Keys YAML 1.1 turned into booleans (unquoted Yes, No, On) become the words again."""
    if not isinstance(mapping, dict):
        return mapping
    out: dict[Any, Any] = {}
    for key, value in mapping.items():
        if isinstance(key, bool):
            out.update(dict.fromkeys(_YAML_TRUE if key else _YAML_FALSE, value))
        else:
            out[str(key)] = value
    return out


class PrivacyConfig(_Strict):
    """Privacy settings: what is pseudonymized and the smallest group ever published."""

    min_cell_size: int = Field(default=11, ge=2)
    pseudonymize: list[str] = Field(default_factory=lambda: ["client_id", "staff_id"])
    key_env: str = "DECISIONFRAME_KEY"


class DemandRules(_Strict):
    """Settings for failure-demand classification."""

    repeat_window_days: int = Field(default=30, ge=1)
    progress_chasing: list[str] = Field(
        default_factory=lambda: ["chas", "progress", "where is", "follow up", "follow-up", "status"]
    )
    error_correction: list[str] = Field(
        default_factory=lambda: ["wrong", "error", "mistake", "correct", "incorrect", "complaint"]
    )


class GuidedTheme(_Strict):
    """An analyst-named theme: a label and seed terms (words or short phrases).

    A seed ending in ``*`` matches any word that starts with it (``rush*``: rushed,
    rushing). Comments that use a seed teach a classifier that then finds the theme in
    comments worded differently (paraphrases, misspellings).
    """

    label: str = ""
    seeds: list[str] = Field(min_length=1)


class VoiceConfig(_Strict):
    """Settings for `voice` (feedback themes, asks, emerging needs) and `profiles`."""

    themes: dict[str, GuidedTheme] = Field(default_factory=dict)
    discover: int = Field(default=8, ge=0, le=40, description="discovered themes (NMF)")
    baseline_months: int = Field(default=6, ge=3)
    label_column: str = "theme_label"
    segments: list[str] = Field(
        default_factory=list, description="client columns to break theme shares down by"
    )

    @field_validator("themes")
    @classmethod
    def _theme_ids(cls, value: dict[str, GuidedTheme]) -> dict[str, GuidedTheme]:
        for key in value:
            if not key.replace("_", "a").isalnum() or not key[:1].isalpha():
                raise ValueError(f"theme id '{key}' must be letters, digits and _ only")
        return value


class ProjectConfig(_Strict):
    """The whole decisionframe.yaml."""

    name: str
    store: str = Field(
        default=".decisionframe/store.duckdb",
        description="the store: a DuckDB file inside the project, or a PostgreSQL database "
        "`postgresql://host[:port]/db` (user in the address; the password only from "
        "PGPASSWORD or a pgpass file, never here)",
    )
    engine: Literal["duckdb", "spark"] = Field(
        default="duckdb",
        description="where `demand` and `analyze`'s per-client frames run their heavy SQL: the "
        "store itself (duckdb, also for a PostgreSQL store), or Spark over Parquet copies of "
        "the store's validated tables",
    )
    spark_master: str = Field(
        default="local[2]",
        description="Spark master URL for `engine: spark`: local[N], local[*], "
        "spark://host:port, yarn or k8s://https://host:port",
    )
    sources: dict[TableName, SourceConfig] = Field(default_factory=dict)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    channels: list[str] = Field(default_factory=lambda: list(DEFAULT_CHANNELS))
    demand: DemandRules = Field(default_factory=DemandRules)
    voice: VoiceConfig = Field(default_factory=VoiceConfig)
    theory: str = "theory.yaml"
    allow_outside_project: bool = Field(
        default=False,
        description="let the store and sources live outside the project folder (off: "
        "paths are resolved, symlinks followed, and must stay inside it)",
    )

    @field_validator("sources", mode="before")
    @classmethod
    def _preset(cls, value: Any) -> Any:
        """``{preset: hmis, path: data/hmis/}`` becomes the per-table sources it stands for."""
        from decisionframe.presets import expand_preset, is_preset

        return expand_preset(value) if is_preset(value) else value

    @field_validator("store")
    @classmethod
    def _no_password(cls, value: str) -> str:
        if is_database_url(value) and url_has_password(value):
            # The message must not repeat the address: it holds the secret.
            raise ValueError(
                "the store address holds a password; remove it and give the password "
                "through the PGPASSWORD environment variable or a pgpass file (~/.pgpass), "
                "so the project folder can be shared without it"
            )
        return value

    @field_validator("spark_master")
    @classmethod
    def _master_url(cls, value: str) -> str:
        if not _SPARK_MASTER.fullmatch(value.strip()):
            raise ValueError(
                "spark_master must be a Spark master URL: local[2], local[*], "
                "spark://host:7077, yarn or k8s://https://host:443"
            )
        return value.strip()

    @property
    def uses_database(self) -> bool:
        """Whether the store is a database server (PostgreSQL), not a file in the project."""
        return is_database_url(self.store)


_SPARK_MASTER = re.compile(
    r"local(\[(\d+|\*)(,\d+)?\])?|yarn|spark://[A-Za-z0-9.\-]+(:\d+)?(,[A-Za-z0-9.\-]+(:\d+)?)*"
    r"|k8s://https?://[A-Za-z0-9.\-]+(:\d+)?"
)


def is_database_url(store: str) -> bool:
    return store.strip().lower().startswith(("postgresql://", "postgres://"))


def url_has_password(url: str) -> bool:
    """A password in ``user:password@`` or in a ``password=`` query parameter."""
    parts = urlsplit(url.strip())
    try:
        has_userinfo_password = parts.password is not None
    except ValueError:
        has_userinfo_password = True
    query = {k.lower() for k in parse_qs(parts.query, keep_blank_values=True)}
    return has_userinfo_password or "password" in query


def _field_names(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the last key of ``loc`` (for 'did you mean' hints)."""
    model: type[BaseModel] = ProjectConfig
    for index, key in enumerate(loc[:-1]):
        if model is ProjectConfig and key == "sources":
            if index + 1 < len(loc) - 1:
                model = SourceConfig
                break
            return None
        field = model.model_fields.get(str(key))
        annotation = getattr(field, "annotation", None) if field else None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            return None
    return model


def _hint_for(error: dict[str, Any]) -> str:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        model = _model_at(loc)
        choices = _field_names(model) if model else []
        close = difflib.get_close_matches(str(loc[-1]), choices, n=1)
        if close:
            return f"did you mean '{close[0]}'? Allowed keys here: {', '.join(choices)}"
        return f"remove it; allowed keys here: {', '.join(choices) or 'none'}"
    if kind == "value_error" and loc and loc[-1] == "date_format":
        return (
            "write it in strftime ('%d/%m/%Y' for 31/03/2025, '%m/%d/%Y' for 03/31/2025, "
            "'%d-%b-%Y' for 31-Mar-2025) or as dd/mm/yyyy, mm/dd/yyyy, dd-Mon-yyyy"
        )
    if kind == "missing":
        return f"add '{loc[-1]}' (see the commented template from `decisionframe init`)"
    if kind == "literal_error" and loc[:1] == ("sources",) and loc[-1] == "[key]":
        return (
            "sources can be: clients, touchpoints, outcomes, feedback, costs, initiatives, series"
        )
    if kind == "literal_error":
        # The allowed values of this very key (on_error: skip was told about `sources`).
        expected = str((error.get("ctx") or {}).get("expected", ""))
        if expected:
            return f"use {expected} (`decisionframe schema` says what each does)"
    return "fix the value; `decisionframe init` writes a commented example"


def problems_from_validation(
    exc: ValidationError, located: LocatedYaml, *, prefix: tuple[str | int, ...] = ()
) -> list[Problem]:
    """Turn pydantic's errors into located, hinted problems."""
    problems = []
    for error in exc.errors():
        loc = prefix + tuple(error["loc"])
        key = ".".join(str(part) for part in loc) or "(top level)"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        problems.append(
            Problem(
                file=str(located.path),
                line=located.line_of(loc),
                column=key,
                rule=f"config-{error['type'].replace('_', '-')}",
                message=message,
                hint=_hint_for({**error, "loc": loc}),
            )
        )
    return problems


def load_config(project_dir: Path) -> ProjectConfig:
    """Read and validate ``decisionframe.yaml`` in ``project_dir``."""
    located = read_located_yaml(project_dir / CONFIG_FILE)
    if not isinstance(located.data, dict):
        problem = Problem(
            file=str(located.path),
            line=1,
            rule="config-not-mapping",
            message="the file must be a mapping of keys to values",
            hint="start with `name: Your organization`",
        )
        raise ConfigError("invalid project config", [problem])
    try:
        return ProjectConfig.model_validate(located.data)
    except ValidationError as exc:
        # Not chained: pydantic's error repeats the input, which may be a secret (a
        # password in the store address); the located problems say everything needed.
        raise ConfigError(
            f"invalid project config {CONFIG_FILE}", problems_from_validation(exc, located)
        ) from None
