"""`voice`: themes, asks, emerging needs and staff agreement from free-text feedback."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from decisionframe.config import VoiceConfig
from decisionframe.disclosure import protect
from decisionframe.errors import NotEstimableError
from decisionframe.results import Result
from decisionframe.store import Store, nothing_imported, quote
from decisionframe.voice.asks import group_asks
from decisionframe.voice.emerging import emerging_term_clusters, find_emerging
from decisionframe.voice.scrub import scrub_all
from decisionframe.voice.staff import (
    StaffAgreement,
    labels_from_column,
    labels_from_store,
    learn_staff_themes,
)
from decisionframe.voice.themes import (
    ThemeModel,
    discovered_label,
    expand,
    find_themes,
    match_previous,
)

THEMES_TABLE = "df_voice_themes"
EXCERPTS_PER_THEME = 3


def _has(store: Store, table: str) -> set[str]:
    if not store.table_exists(table):
        return set()
    return {name for name, _ in store.table_columns(table)}


def _place(name: str, feedback: set[str], touchpoint: set[str]) -> str:
    """Where a comment was given (``channel`` or ``unit``): the feedback export's own column
    when it has one (survey tools often record it), else the touchpoint's it answers."""
    if name in feedback and name in touchpoint:
        return f"CAST(coalesce(f.{name}, t.{name}) AS VARCHAR) AS {name}"
    if name in feedback:
        return f"CAST(f.{name} AS VARCHAR) AS {name}"
    if name in touchpoint:
        return f"CAST(t.{name} AS VARCHAR) AS {name}"
    return f"NULL AS {name}"


def read_comments(
    store: Store, *, segments: Sequence[str] = (), label_column: str = ""
) -> pd.DataFrame:
    """Feedback with its month, channel, unit and client segments; text scrubbed here.

    Raw text never leaves this function unscrubbed.
    """
    columns = _has(store, "feedback")
    if not columns or not store.rows("SELECT count(*) FROM feedback")[0][0]:
        raise NotEstimableError(
            "nothing is loaded yet. Hint: run `decisionframe import` first."
            if nothing_imported(store)
            else "no feedback loaded. Hint: add a `feedback` source (feedback_id, text) to "
            "decisionframe.yaml and run `decisionframe import`."
        )
    touch = _has(store, "touchpoints")
    join_touch = "touchpoint_id" in columns and {"touchpoint_id", "channel"} <= touch
    client = "f.client_id" if "client_id" in columns else "NULL"
    if client == "NULL" and join_touch:
        client = "t.client_id"
    when = "CAST(f.given_on AS DATE)" if "given_on" in columns else "NULL"
    if join_touch:
        when = f"coalesce({when}, CAST(t.started_at AS DATE))"
    selects = [
        "f.feedback_id",
        "CAST(f.text AS VARCHAR) AS text",
        f"CAST({client} AS VARCHAR) AS client_id",
        f"{when} AS given_on",
        "TRY_CAST(f.score AS DOUBLE) AS score" if "score" in columns else "NULL AS score",
        _place("channel", columns, touch if join_touch else set()),
        _place("unit", columns, touch if join_touch else set()),
    ]
    if label_column and label_column in columns:
        selects.append(f"CAST(f.{quote(label_column)} AS VARCHAR) AS staff_label")
    joins = "LEFT JOIN touchpoints t USING (touchpoint_id)" if join_touch else ""
    client_columns = _has(store, "clients")
    seg = [s for s in segments if s in client_columns and s != "client_id"]
    if seg and client != "NULL":
        selects += [f"CAST(c.{quote(s)} AS VARCHAR) AS {quote('seg_' + s)}" for s in seg]
        joins += f" LEFT JOIN clients c ON c.client_id = {client}"
    frame = store.frame(
        f"SELECT {', '.join(selects)} FROM feedback f {joins} "
        "WHERE f.text IS NOT NULL AND trim(CAST(f.text AS VARCHAR)) <> '' ORDER BY f.feedback_id"
    )
    frame["text"] = scrub_all([str(t) for t in frame["text"]])
    frame["who"] = frame["client_id"].fillna("comment:" + frame["feedback_id"].astype(str))
    given = pd.to_datetime(frame["given_on"], errors="coerce")
    frame["month"] = given.dt.strftime("%Y-%m")
    return frame


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    kind: str
    terms: tuple[str, ...]
    comments: int | None  # None when suppressed (fewer than min_cell_size clients)
    clients: int | None
    share: float | None  # of comments
    client_share: float | None
    sentiment: float | None  # mean VADER compound, -1 (negative) to 1 (positive)
    negative_share: float | None
    mean_score: float | None
    by_month: dict[str, float | None] = field(default_factory=dict)
    by_channel: dict[str, float | None] = field(default_factory=dict)
    by_unit: dict[str, float | None] = field(default_factory=dict)
    by_segment: dict[str, dict[str, float | None]] = field(default_factory=dict)
    disagreement: float | None = None  # share of its comments with a high score, angry words


@dataclass(frozen=True)
class Ask:
    id: str
    label: str
    terms: tuple[str, ...]
    comments: int | None
    clients: int | None


@dataclass(frozen=True)
class EmergingNeed:
    theme: str
    label: str
    first_period: str
    signal_period: str
    rule: str
    chart: str
    where: dict[str, list[str]]
    baseline_share: float
    share_since: float
    reading: str


@dataclass(frozen=True)
class VoiceResult(Result):
    """What people said: themes, asks, emerging needs, and how far staff agree.

    ``excerpts`` (scrubbed comments, only for themes with at least ``min_cell_size``
    distinct clients) are private: ``to_dict()`` leaves them out, ``to_private_dict()``
    keeps them. Nothing verbatim is in the publishable output.
    """

    kind: ClassVar[str] = "voice"

    comments: int
    clients: int
    months: tuple[str, ...]
    themes: tuple[Theme, ...]
    asks: tuple[Ask, ...]
    emerging: tuple[EmergingNeed, ...]
    staff: tuple[StaffAgreement, ...]
    words_vs_scores: dict[str, Any]
    min_cell_size: int
    excerpts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Comments tagged in the web app's labelling queue (df_labels) that this run learnt
    # from (in ``labels``, beside the imported theme-label column).
    web_labels: int = 0

    def summary(self) -> str:
        top = ", ".join(t.label for t in self.themes[:3]) or "none"
        ask = self.asks[0].label if self.asks else "none"
        emerging = "; ".join(f"{e.label} from {e.first_period}" for e in self.emerging) or "none"
        return (
            f"{self.comments:,} comments from {self.clients:,} clients; top themes: {top}; "
            f"top ask: {ask}; emerging: {emerging}"
        )

    def to_dict(self) -> dict[str, Any]:
        """The publishable form: everything but the private excerpts."""
        data = super().to_dict()
        data.pop("excerpts", None)
        return data

    def to_private_dict(self) -> dict[str, Any]:
        return super().to_dict()

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        schema = super().json_schema()
        schema["properties"].pop("excerpts", None)
        return schema

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "id": t.id,
                    "label": t.label,
                    "kind": t.kind,
                    "comments": t.comments,
                    "clients": t.clients,
                    "share": t.share,
                    "sentiment": t.sentiment,
                }
                for t in self.themes
            ]
        )


def _sentiment(texts: Sequence[str]) -> np.ndarray:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    cache: dict[str, float] = {}
    out = np.empty(len(texts))
    for i, text in enumerate(texts):
        if text not in cache:
            cache[text] = float(analyzer.polarity_scores(text)["compound"])
        out[i] = cache[text]
    return out


def _breakdown(
    frame: pd.DataFrame, model: ThemeModel, column: str, k: int
) -> list[dict[str, float | None]]:
    """Per theme: its share of each category's comments, hidden where the disclosure
    rules (distinct clients, complementary suppression over themes x categories) say."""
    if column not in frame or frame[column].isna().all():
        return [{} for _ in model.ids]
    values = frame[column].fillna("unknown").astype(str).to_numpy()
    categories = sorted(set(values))
    who = frame["who"].to_numpy()
    clients = np.zeros((len(model.ids), len(categories)), dtype=np.int64)
    shares = np.zeros((len(model.ids), len(categories)))
    base_clients = []
    for c, category in enumerate(categories):
        rows = values == category
        base_clients.append(len(set(who[rows])))
        for j in range(len(model.ids)):
            hit = rows & model.membership[:, j]
            clients[j, c] = len(set(who[hit]))
            shares[j, c] = hit.sum() / max(1, rows.sum())
    hidden = protect(clients, min_cell_size=k).hidden[:-1, :-1]
    out = []
    for j in range(len(model.ids)):
        out.append(
            {
                category: (
                    None if hidden[j, c] or base_clients[c] < k else round(float(shares[j, c]), 4)
                )
                for c, category in enumerate(categories)
            }
        )
    return out


def _safe(count: int, clients: int, k: int) -> tuple[int | None, int | None]:
    return (None, None) if 0 < clients < k else (count, clients)


def _words_vs_scores(
    frame: pd.DataFrame, compound: np.ndarray, k: int
) -> tuple[dict[str, Any], np.ndarray]:
    score = frame["score"].to_numpy(dtype=float)
    known = ~np.isnan(score)
    flag = np.zeros(len(frame), dtype=bool)
    if known.sum() < 2 or np.nanmax(score) == np.nanmin(score):
        return {
            "scored_comments": int(known.sum()),
            "correlation": None,
            "high_score_angry_words": None,
        }, flag
    lo, hi = np.nanmin(score), np.nanmax(score)
    scaled = (score - lo) / (hi - lo)
    flag = known & (scaled >= 0.75) & (compound <= -0.3)
    corr = float(np.corrcoef(scaled[known], compound[known])[0, 1])
    clients = frame.loc[flag, "who"].nunique()
    count = int(flag.sum()) if clients == 0 or clients >= k else None
    return {
        "scored_comments": int(known.sum()),
        "correlation": round(corr, 3) if np.isfinite(corr) else None,
        "high_score_angry_words": count,
        "rule": "score in the top quarter of its range and VADER compound <= -0.3",
    }, flag


def _excerpts(frame: pd.DataFrame, model: ThemeModel, k: int) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for j, theme in enumerate(model.ids):
        rows = model.membership[:, j]
        if frame.loc[rows, "who"].nunique() < k:
            continue
        candidates = frame.loc[rows, "text"].to_numpy()
        strength = model.strength[rows, j]
        order = np.argsort(-strength, kind="stable")
        picked: list[str] = []
        for i in order:
            text = str(candidates[i])
            if text not in picked and len(text) <= 300:
                picked.append(text)
            if len(picked) == EXCERPTS_PER_THEME:
                break
        out[theme] = tuple(picked)
    return out


def _previous_terms(previous: Mapping[str, Any] | None) -> dict[str, list[str]]:
    if not previous:
        return {}
    return {
        str(t["id"]): list(t["terms"])
        for t in previous.get("themes", [])
        if t.get("kind") == "discovered"
    }


def analyze_voice(
    store: Store,
    *,
    config: VoiceConfig,
    min_cell_size: int = 11,
    previous: Mapping[str, Any] | None = None,
    seed: int = 0,
) -> tuple[VoiceResult, pd.DataFrame]:
    """Themes, asks and emerging needs; also each comment's themes (for the store).

    ``previous`` is the last saved voice run (its ``to_dict()``), so discovered themes
    keep their ids.
    """
    k = min_cell_size
    frame = read_comments(store, segments=config.segments, label_column=config.label_column)
    if len(frame) < 20:
        raise NotEstimableError(
            f"only {len(frame)} comments with text: too few to find themes (need 20)."
        )
    model = find_themes(
        frame["text"].tolist(),
        guided=config.themes,
        discover=config.discover,
        previous=_previous_terms(previous),
        seed=seed,
    )
    model = _add_term_clusters(frame, model, config.baseline_months, k, _previous_terms(previous))
    web = labels_from_store(store)
    labels = pd.concat([labels_from_column(frame), web], ignore_index=True)
    model, staff = learn_staff_themes(
        model, frame["feedback_id"].astype(str).tolist(), labels, seed=seed
    )
    compound = _sentiment(frame["text"].tolist())
    wvs, disagree = _words_vs_scores(frame, compound, k)
    themes = _themes(frame, model, compound, disagree, k)
    order = sorted(range(len(themes)), key=lambda j: -(model.membership[:, j].sum()))
    asks = _asks(frame, k, seed)
    names = dict(zip(model.ids, model.labels, strict=True))
    emerging = tuple(
        _emerging_need(e, names[e.theme])
        for e in find_emerging(
            frame,
            model.membership,
            model.ids,
            baseline_months=config.baseline_months,
            min_cell_size=k,
        )
    )
    result = VoiceResult(
        comments=len(frame),
        clients=int(frame["who"].nunique()),
        months=tuple(sorted(frame["month"].dropna().unique())),
        themes=tuple(themes[j] for j in order),
        asks=asks,
        emerging=emerging,
        staff=tuple(staff),
        words_vs_scores=wvs,
        min_cell_size=k,
        excerpts=_excerpts(frame, model, k),
        web_labels=len(set(web["item_id"]) & set(frame["feedback_id"].astype(str))),
    )
    return result, _assignments(frame, model)


def _add_term_clusters(
    frame: pd.DataFrame,
    model: ThemeModel,
    baseline_months: int,
    k: int,
    previous: Mapping[str, Sequence[str]],
) -> ThemeModel:
    """New term clusters that no theme holds yet become discovered themes."""
    clusters = emerging_term_clusters(
        frame,
        model.doc_terms,
        model.term_names,
        baseline_months=baseline_months,
        min_cell_size=k,
    )
    for cluster in clusters:
        size = max(1, int(cluster.member.sum()))
        covered = (model.membership[cluster.member].sum(axis=0) / size) if model.ids else []
        if len(covered) and float(np.max(covered)) >= 0.5:
            continue
        theme_id = match_previous([cluster.terms], previous)[0]
        if theme_id in model.ids:
            continue
        member, _ = expand(model.doc_terms, cluster.member)
        model = model.with_theme(
            theme_id, discovered_label(cluster.terms), "discovered", cluster.terms, member
        )
    return model


def _themes(
    frame: pd.DataFrame, model: ThemeModel, compound: np.ndarray, disagree: np.ndarray, k: int
) -> list[Theme]:
    n, who = len(frame), frame["who"].to_numpy()
    total_clients = len(set(who))
    months = frame["month"].fillna("unknown").to_numpy()
    month_list = sorted(set(months))
    score = frame["score"].to_numpy(dtype=float)
    channel = _breakdown(frame, model, "channel", k)
    unit = _breakdown(frame, model, "unit", k)
    segments = [c for c in frame.columns if c.startswith("seg_")]
    by_segment = {c[4:]: _breakdown(frame, model, c, k) for c in segments}
    month_table = _breakdown(frame.assign(month=months), model, "month", k)
    out = []
    for j, theme in enumerate(model.ids):
        rows = model.membership[:, j]
        clients = len(set(who[rows]))
        comments, shown_clients = _safe(int(rows.sum()), clients, k)
        visible = comments is not None
        sent = float(compound[rows].mean()) if rows.any() else None
        out.append(
            Theme(
                id=theme,
                label=model.labels[j],
                kind=model.kinds[j],
                terms=model.terms[j],
                comments=comments,
                clients=shown_clients,
                share=round(rows.sum() / n, 4) if visible else None,
                client_share=round(clients / total_clients, 4) if visible else None,
                sentiment=round(sent, 3) if visible and sent is not None else None,
                negative_share=round(float((compound[rows] <= -0.05).mean()), 3)
                if visible and rows.any()
                else None,
                mean_score=round(float(np.nanmean(score[rows])), 2)
                if visible and rows.any() and not np.isnan(score[rows]).all()
                else None,
                by_month={m: month_table[j].get(m) for m in month_list},
                by_channel=channel[j],
                by_unit=unit[j],
                by_segment={s: table[j] for s, table in by_segment.items()},
                disagreement=round(float(disagree[rows].mean()), 3)
                if visible and rows.any() and len(set(who[rows & disagree])) in range(k, n + 1)
                else None,
            )
        )
    return out


def _asks(frame: pd.DataFrame, k: int, seed: int) -> tuple[Ask, ...]:
    groups = group_asks(frame["text"].tolist(), seed=seed)
    who = frame["who"].to_numpy()
    out = []
    for g, ask_id in enumerate(groups.ids):
        comments = sorted(set(groups.comment_index[groups.group == g].tolist()))
        clients = len(set(who[comments]))
        if clients < k:
            continue
        out.append(Ask(ask_id, groups.labels[g], groups.terms[g], len(comments), clients))
    return tuple(sorted(out, key=lambda a: -(a.comments or 0)))


def _emerging_need(e: Any, label: str) -> EmergingNeed:
    places = [f"channel {', '.join(e.where['channel'])}"] if e.where.get("channel") else []
    if e.where.get("unit"):
        places.append(f"unit {', '.join(e.where['unit'])}")
    where = " and ".join(places) or "no single channel or unit"
    reading = (
        f"'{label}' is an emerging need: from {e.first_period} it rose from "
        f"{e.baseline_share:.1%} of comments in the baseline to {e.share_since:.1%} "
        f"({e.rule}, first seen on the {e.chart} chart in {e.signal_period}), mostly in {where}."
    )
    return EmergingNeed(
        e.theme,
        label,
        e.first_period,
        e.signal_period,
        e.rule,
        e.chart,
        e.where,
        round(e.baseline_share, 4),
        round(e.share_since, 4),
        reading,
    )


def _assignments(frame: pd.DataFrame, model: ThemeModel) -> pd.DataFrame:
    rows, cols = np.nonzero(model.membership)
    return pd.DataFrame(
        {
            "feedback_id": frame["feedback_id"].to_numpy()[rows].astype(str),
            "client_id": frame["client_id"].to_numpy()[rows],
            "given_on": pd.to_datetime(frame["given_on"].to_numpy()[rows]),
            "theme": np.asarray(model.ids, dtype=object)[cols],
            "strength": model.strength[rows, cols].astype(float),
        }
    )


def save_assignments(store: Store, assignments: pd.DataFrame) -> None:
    """Each comment's themes, so theory nodes can be measured by a theme."""
    store.register_frame("df_voice_frame", assignments)
    store.execute(
        f"CREATE OR REPLACE TABLE {THEMES_TABLE} AS SELECT feedback_id, client_id, "
        "CAST(given_on AS DATE) AS given_on, theme, strength FROM df_voice_frame"
    )
    store.unregister("df_voice_frame")
