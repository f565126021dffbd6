"""Voice themes at scale, side by side with BERTopic (scikit-learn embedder, no downloads).

Comments come from the simulator's feedback writer (``decisionframe.simulate.feedback``)
over synthetic contacts, so every comment's planted themes are known. Both methods see
the same scrubbed texts; agreement is the adjusted mutual information between each
comment's strongest found theme and its planted theme, over comments with at most one
planted theme (BERTopic gives one topic per comment, so that is the fair comparison).

decisionframe is run twice: unguided (discovered themes only, as BERTopic) and guided
(with the seed terms an analyst would write, as in the simulator's decisionframe.yaml).

Run:  .venv/bin/python bench/bench_voice.py --comments 200000
BERTopic is in the `bench` extras; if it is not installed only decisionframe is timed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from decisionframe.config import GuidedTheme
from decisionframe.simulate.feedback import FEEDBACK_SHARE, simulate_feedback
from decisionframe.voice.evaluate import single_theme_ami
from decisionframe.voice.scrub import scrub_all
from decisionframe.voice.themes import clean_for_model, find_themes

GUIDED = {
    "felt_rushed": GuidedTheme(
        label="Felt rushed", seeds=["rush*", "hurr*", "in a hurry", "no time"]
    ),
    "next_steps": GuidedTheme(
        label="Next steps unclear", seeds=["next step*", "explain*", "confus*", "unclear"]
    ),
    "chasing": GuidedTheme(
        label="Chasing", seeds=["chas*", "call* back", "follow up", "no update"]
    ),
    "praise": GuidedTheme(label="Respect", seeds=["respect*", "kind", "dignity", "helpful"]),
}


def comments(n: int, seed: int) -> tuple[list[str], dict[str, list[str]]]:
    rng = np.random.default_rng(seed)
    contacts = int(n / FEEDBACK_SHARE * 1.02)
    day = rng.integers(-270, 455, contacts)
    touchpoints = pd.DataFrame(
        {
            "touchpoint_id": [f"T{i}" for i in range(contacts)],
            "client_id": [f"C{i // 3}" for i in range(contacts)],
            "started_at": pd.Timestamp("2025-01-01") + pd.to_timedelta(day, unit="D"),
            "channel": rng.choice(["in_person", "phone", "web", "mobile", "email"], contacts),
            "respect": np.clip(np.round(rng.normal(3.6, 0.9, contacts)), 1, 5),
            "explained_next_steps": np.clip(np.round(rng.normal(3.4, 0.9, contacts)), 1, 5),
            "wait_minutes": np.round(rng.lognormal(2.7, 0.7, contacts), 1),
        }
    )
    chasing = rng.random(contacts) < 0.15
    backend = rng.choice(["benefits_processing", "housing_assessment", "repairs_team"], contacts)
    simulated = simulate_feedback(seed, touchpoints, chasing=chasing, backend=backend)
    frame = simulated.frame.iloc[:n]
    truth = {k: simulated.truth["comments"][k] for k in frame["feedback_id"]}
    return frame["text"].tolist(), truth


def ours(
    texts: list[str], ids: list[str], guided: bool, discover: int
) -> tuple[float, dict[str, str]]:
    start = time.perf_counter()
    model = find_themes(texts, guided=GUIDED if guided else {}, discover=discover)
    primary = model.primary()
    elapsed = time.perf_counter() - start
    found = {i: model.ids[p] for i, p in zip(ids, primary, strict=True) if p >= 0}
    return elapsed, found


def bertopic(texts: list[str], ids: list[str], topics: int) -> tuple[float, dict[str, str]] | str:
    try:
        from bertopic import BERTopic
    except ImportError as exc:  # the bench extras are not installed
        return f"BERTopic not installed ({exc})"
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline

    embedder = make_pipeline(TfidfVectorizer(min_df=2), TruncatedSVD(100, random_state=0))
    start = time.perf_counter()
    model = BERTopic(embedding_model=embedder, nr_topics=topics, calculate_probabilities=False)
    labels, _ = model.fit_transform(clean_for_model(texts))
    elapsed = time.perf_counter() - start
    return elapsed, {i: str(t) for i, t in zip(ids, labels, strict=True) if t != -1}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--discover", type=int, default=8)
    parser.add_argument("--skip-bertopic", action="store_true")
    parser.add_argument("--skip-ours", action="store_true", help="time BERTopic only")
    args = parser.parse_args()
    t0 = time.perf_counter()
    texts, truth = comments(args.comments, args.seed)
    start = time.perf_counter()
    texts = scrub_all(texts)
    scrub_time = time.perf_counter() - start
    ids = list(truth)
    print(f"{len(texts):,} comments simulated in {start - t0:.1f}s; scrubbed in {scrub_time:.1f}s")
    rows = []
    for guided in () if args.skip_ours else (False, True):
        elapsed, found = ours(texts, ids, guided, args.discover)
        name = "decisionframe " + ("guided + discovered" if guided else "discovered only")
        rows.append((name, elapsed, single_theme_ami(truth, found)))
    if not args.skip_bertopic:
        result = bertopic(texts, ids, args.discover + 4)
        if isinstance(result, str):
            print(result)
        else:
            rows.append(
                ("BERTopic (TF-IDF + SVD embedder)", result[0], single_theme_ami(truth, result[1]))
            )
    print(f"{'method':40s} {'seconds':>9s} {'AMI':>6s}")
    for name, elapsed, ami in rows:
        print(f"{name:40s} {elapsed:9.1f} {ami:6.3f}")


if __name__ == "__main__":
    main()
