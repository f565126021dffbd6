"""Customer profiles (clusters of clients by needs, channel mix and context) and the
variety of demand each channel and unit absorbs.

Profiles: one row per client with a contact's share of each channel, of each of the
most common needs (the reason of value-demand contacts, lower-cased), the number of
distinct needs, and the client's numeric attributes (age, household size, ...). Features
are standardized and clustered by k-means (scikit-learn), k from 2 to 8 chosen by the
silhouette score on a sample. A profile is named by the features whose profile mean
stands furthest from the overall mean (in standard deviations). Per profile: clients,
failure-demand share, the themes its clients voiced, and the mean of each outcome; a
profile with fewer than ``min_cell_size`` clients is not published.

Variety of demand (Seddon): how many distinct needs each channel and unit absorbs (needs
with at least ``min_cell_size`` clients; rarer ones are counted together as "other"), the
entropy of its need mix, and its failure-demand share; and the rank correlation between
variety and failure demand across channel-unit cells: a positive one says variety goes
with failure, where a script cannot absorb what people bring.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from decisionframe.config import DemandRules
from decisionframe.errors import NotEstimableError
from decisionframe.results import Result
from decisionframe.store import Store, quote

TOP_NEEDS = 12
SAMPLE = 4000


@dataclass(frozen=True)
class Profile:
    id: str
    label: str
    clients: int
    distinguishing: dict[str, float]  # feature -> standardized difference from everyone
    failure_share: float | None
    themes: dict[str, float]  # theme id -> share of the profile's clients voicing it
    outcomes: dict[str, float]


@dataclass(frozen=True)
class Variety:
    kind: str  # 'channel' | 'unit' | 'channel x unit'
    name: str
    clients: int
    distinct_needs: int
    entropy: float
    failure_share: float | None


@dataclass(frozen=True)
class ProfilesResult(Result):
    kind: ClassVar[str] = "profiles"
    profiles: tuple[Profile, ...]
    k_silhouette: dict[str, float]
    variety: tuple[Variety, ...]
    variety_failure_correlation: float | None
    suppressed_clients: int
    min_cell_size: int

    def summary(self) -> str:
        names = "; ".join(f"{p.label} ({p.clients:,})" for p in self.profiles)
        corr = self.variety_failure_correlation
        said = "n/a" if corr is None else f"{corr:+.2f}"
        return (
            f"{len(self.profiles)} profiles: {names}; variety of needs vs failure demand "
            f"across channel-unit cells: rank correlation {said}"
        )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {"id": p.id, "label": p.label, "clients": p.clients, "failure": p.failure_share}
                for p in self.profiles
            ]
        )


def _contacts(store: Store, rules: DemandRules) -> pd.DataFrame:
    from decisionframe.demand import classify_demand

    if not store.table_exists("touchpoints"):
        raise NotEstimableError("profiles need touchpoints. Hint: add a touchpoints source.")
    classify_demand(store, rules, learn_from_labels=False)
    return store.frame(
        "SELECT CAST(client_id AS VARCHAR) AS client_id, CAST(channel AS VARCHAR) AS channel, "
        "CAST(unit AS VARCHAR) AS unit, reason_key AS need, demand FROM df_demand"
    )


def _client_features(store: Store, contacts: pd.DataFrame, k: int) -> pd.DataFrame:
    channel = pd.crosstab(contacts["client_id"], contacts["channel"], normalize="index")
    channel.columns = [f"channel {c}" for c in channel.columns]
    value = contacts[contacts["demand"] == "value"].dropna(subset=["need"])
    per_need = value.groupby("need")["client_id"].nunique()
    common = per_need[per_need >= k].sort_values(ascending=False).index[:TOP_NEEDS]
    needs = pd.crosstab(value["client_id"], value["need"].where(value["need"].isin(common)))
    needs = needs.div(needs.sum(axis=1), axis=0)
    needs.columns = [f"need {c}" for c in needs.columns]
    distinct = value.groupby("client_id")["need"].nunique().rename("distinct needs")
    features = channel.join(needs, how="left").join(distinct, how="left").fillna(0.0)
    columns = dict(store.table_columns("clients")) if store.table_exists("clients") else {}
    numeric = [
        c
        for c, kind in columns.items()
        if c != "client_id" and kind.upper().split("(")[0] in _NUMERIC
    ]
    if numeric:
        attributes = store.frame(
            "SELECT CAST(client_id AS VARCHAR) AS client_id, "
            + ", ".join(f"CAST({quote(c)} AS DOUBLE) AS {quote(c)}" for c in numeric)
            + " FROM clients"
        ).set_index("client_id")
        attributes = attributes.fillna(attributes.median())
        features = features.join(attributes, how="inner")
    return features


_NUMERIC = {"BIGINT", "INTEGER", "DOUBLE", "FLOAT", "DECIMAL", "SMALLINT", "TINYINT", "HUGEINT"}


def _cluster(x: np.ndarray, seed: int) -> tuple[np.ndarray, dict[str, float]]:
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(seed)
    sample = rng.choice(len(x), min(SAMPLE, len(x)), replace=False)
    scores: dict[str, float] = {}
    best: tuple[float, np.ndarray] | None = None
    for k in range(2, 9):
        if k >= len(x):
            break
        model = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(x)
        score = float(silhouette_score(x[sample], model.labels_[sample]))
        scores[str(k)] = round(score, 4)
        if best is None or score > best[0]:
            best = (score, model.labels_)
    if best is None:
        return np.zeros(len(x), dtype=int), scores
    return best[1], scores


def _label(z: pd.Series) -> tuple[str, dict[str, float]]:
    top = z.reindex(z.abs().sort_values(ascending=False).index)[:3]
    words = [f"{'more' if v > 0 else 'less'} {name}" for name, v in top.items() if abs(v) >= 0.3]
    return (", ".join(words) or "typical clients"), {
        str(k): round(float(v), 2) for k, v in top.items()
    }


def _per_client_outcomes(store: Store) -> pd.DataFrame:
    if not store.table_exists("outcomes"):
        return pd.DataFrame()
    frame = store.frame(
        "SELECT CAST(client_id AS VARCHAR) AS client_id, CAST(outcome AS VARCHAR) AS outcome, "
        "avg(TRY_CAST(value AS DOUBLE)) AS value FROM outcomes GROUP BY 1, 2"
    )
    return frame.pivot(index="client_id", columns="outcome", values="value")


def _per_client_themes(store: Store) -> pd.DataFrame:
    from decisionframe.voice.analyze import THEMES_TABLE

    if not store.table_exists(THEMES_TABLE):
        return pd.DataFrame()
    frame = store.frame(
        f"SELECT DISTINCT CAST(client_id AS VARCHAR) AS client_id, theme FROM {THEMES_TABLE} "
        "WHERE client_id IS NOT NULL"
    )
    return pd.crosstab(frame["client_id"], frame["theme"]).clip(upper=1)


def _entropy(counts: pd.Series) -> float:
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum()) if len(p) else 0.0


def _variety(contacts: pd.DataFrame, k: int) -> tuple[list[Variety], float | None]:
    out = []
    cells = []
    value = contacts[contacts["demand"] == "value"]
    clients_per_need = value.groupby("need")["client_id"].nunique()
    common = set(clients_per_need[clients_per_need >= k].index)
    frame = contacts.assign(
        need=contacts["need"].where(contacts["need"].isin(common), "other"),
        cell=contacts["channel"].fillna("?") + " x " + contacts["unit"].fillna("?"),
    )
    for kind, column in (("channel", "channel"), ("unit", "unit"), ("channel x unit", "cell")):
        for name, group in frame.groupby(column):
            clients = int(group["client_id"].nunique())
            if clients < k:
                continue
            needs = group[group["demand"] == "value"]["need"].value_counts()
            known = group["demand"].isin(["value", "failure"])
            failure = (
                float((group["demand"] == "failure").sum() / known.sum()) if known.any() else None
            )
            item = Variety(
                kind,
                str(name),
                clients,
                int((needs.index != "other").sum()),
                round(_entropy(needs), 3),
                None if failure is None else round(failure, 4),
            )
            out.append(item)
            if kind == "channel x unit" and failure is not None:
                cells.append((item.entropy, failure))
    corr = None
    if len(cells) >= 4:
        from scipy.stats import spearmanr

        value_corr = spearmanr([c[0] for c in cells], [c[1] for c in cells]).statistic
        corr = None if np.isnan(value_corr) else round(float(value_corr), 3)
    return out, corr


def analyze_profiles(
    store: Store, *, rules: DemandRules, min_cell_size: int = 11, seed: int = 0
) -> ProfilesResult:
    """Customer profiles and variety of demand (see the module doc)."""
    from sklearn.preprocessing import StandardScaler

    k = min_cell_size
    contacts = _contacts(store, rules)
    features = _client_features(store, contacts, k)
    if len(features) < 4 * k:
        raise NotEstimableError(
            f"only {len(features)} clients with contacts: too few for profiles."
        )
    x = StandardScaler().fit_transform(features.to_numpy(dtype=float))
    x = np.nan_to_num(x)
    labels, scores = _cluster(x, seed)
    z = pd.DataFrame(x, index=features.index, columns=features.columns)
    failure = (
        contacts[contacts["demand"].isin(["value", "failure"])]
        .assign(f=lambda d: d["demand"] == "failure")
        .groupby("client_id")["f"]
        .agg(["sum", "count"])
    )
    outcomes = _per_client_outcomes(store)
    themes = _per_client_themes(store)
    profiles, suppressed = [], 0
    order = pd.Series(labels).value_counts().index
    for rank, cluster in enumerate(order):
        members = features.index[labels == cluster]
        if len(members) < k:
            suppressed += len(members)
            continue
        label, distinguishing = _label(z.loc[members].mean())
        f = failure.reindex(members).fillna(0)
        share = float(f["sum"].sum() / f["count"].sum()) if f["count"].sum() else None
        voiced = themes.reindex(members).dropna(how="all")
        theme_share = {}
        if len(voiced) >= k:
            means = voiced.mean().sort_values(ascending=False)
            theme_share = {
                str(t): round(float(v), 3) for t, v in means.items() if voiced[t].sum() >= k
            }
        outcome_means = {}
        held = outcomes.reindex(members)
        for outcome in outcomes.columns:
            known = held[outcome].dropna()
            if len(known) >= k:
                outcome_means[str(outcome)] = round(float(known.mean()), 4)
        profiles.append(
            Profile(
                f"p{rank + 1}",
                label,
                len(members),
                distinguishing,
                None if share is None else round(share, 4),
                theme_share,
                outcome_means,
            )
        )
    variety, corr = _variety(contacts, k)
    return ProfilesResult(tuple(profiles), scores, tuple(variety), corr, suppressed, k)
