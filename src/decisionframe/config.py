"""Project configuration (decisionframe.yaml): parsed once at the edge, validated, with hints."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from decisionframe.errors import ConfigError, Problem
from decisionframe.yamlfile import LocatedYaml, read_located_yaml

CONFIG_FILE = "decisionframe.yaml"
TableName = Literal[
    "clients", "touchpoints", "outcomes", "feedback", "costs", "initiatives", "series"
]
DEFAULT_CHANNELS = ("in_person", "phone", "web", "mobile", "email", "social")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceConfig(_Strict):
    """One source file and how its columns map onto a canonical table."""

    path: str = Field(description="file path relative to the project folder (.csv or .parquet)")
    columns: dict[str, str] = Field(
        default_factory=dict, description="canonical column -> column name in the source file"
    )
    format: Literal["csv", "parquet"] | None = None
    delimiter: str = ","

    @field_validator("path")
    @classmethod
    def _known_suffix(cls, value: str) -> str:
        if not value.lower().endswith((".csv", ".parquet", ".csv.gz")):
            raise ValueError("path must end in .csv, .csv.gz or .parquet")
        return value

    def file_format(self) -> Literal["csv", "parquet"]:
        if self.format is not None:
            return self.format
        return "parquet" if self.path.lower().endswith(".parquet") else "csv"


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
    store: str = ".decisionframe/store.duckdb"
    sources: dict[TableName, SourceConfig] = Field(default_factory=dict)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    channels: list[str] = Field(default_factory=lambda: list(DEFAULT_CHANNELS))
    demand: DemandRules = Field(default_factory=DemandRules)
    voice: VoiceConfig = Field(default_factory=VoiceConfig)
    theory: str = "theory.yaml"


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
    if kind == "missing":
        return f"add '{loc[-1]}' (see the commented template from `decisionframe init`)"
    if kind == "literal_error" and loc and loc[0] == "sources":
        return (
            "sources can be: clients, touchpoints, outcomes, feedback, costs, initiatives, series"
        )
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
        raise ConfigError(
            f"invalid project config {CONFIG_FILE}", problems_from_validation(exc, located)
        ) from exc
