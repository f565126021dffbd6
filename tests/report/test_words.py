"""The report never says two things that can contradict each other.

``contradictions`` reads a rendered report the way a careful director would and lists every
pair of statements that disagree. It runs over both simulator scenarios and over the edge
cases: no evidence at all, an assumption that is not identifiable, an inconclusive one,
and synthetic results for every verdict.
"""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

import pytest

from decisionframe.project import Project
from decisionframe.report import build_report
from decisionframe.report.words import VERDICTS, assumption_words, probability
from decisionframe.theory.model import Theory, Unit, default_unit
from tests.conftest import make_project


def _text(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _verdict_words(text: str) -> list[str]:
    lowered = text.lower()
    found = []
    for v in sorted(VERDICTS, key=len, reverse=True):
        count = len(re.findall(rf"(?<![\w-]){re.escape(v)}(?![\w-])", lowered))
        found += [v] * count
        lowered = lowered.replace(v, " ")
    return found


def _blocks(html: str, tag: str, cls: str) -> list[tuple[dict[str, str], str]]:
    pattern = rf'<{tag} class="{cls}"([^>]*)>(.*?)</{tag}>'
    out = []
    for attrs, body in re.findall(pattern, html, flags=re.S):
        found = re.findall(r'data-([\w-]+)="([^"]*)"', attrs)
        out.append(({k: html_lib.unescape(v) for k, v in found}, body))
    return out


def _headline(body: str) -> str:
    match = re.search(r'class="headline">(.*?)</(?:span|p)>', body, flags=re.S)
    assert match, body[:200]
    return _text(match.group(1))


def contradictions(html: str) -> list[str]:
    """Every statement in the report that disagrees with another one."""
    problems: list[str] = []
    items = _blocks(html, "li", "assumption")
    cards = _blocks(html, "article", "card")
    measured_next = {html_lib.unescape(e) for e in re.findall(r'<tr data-edge="([^"]+)"', html)}
    headlines = {}
    for attrs, body in items:
        words = _verdict_words(_text(body))
        if words != [attrs["verdict"]]:
            problems.append(f"first screen, {attrs['edge']}: verdict words {words}")
        headlines[attrs["edge"]] = _headline(body)
    for attrs, body in cards:
        edge, verdict = attrs["edge"], attrs["verdict"]
        text = _text(body)
        words = _verdict_words(text)
        if words != [verdict]:
            problems.append(f"card {edge}: verdict words {words}")
        headline = _headline(body)
        if headlines.get(edge) != headline:
            problems.append(f"{edge}: the first screen and the card say different things")
        if "chance" in text and verdict not in ("supported", "contradicted", "fragile"):
            problems.append(f"{edge}: a chance of a direction beside '{verdict}'")
        if verdict == "no detectable effect" and "too small to matter" not in headline:
            problems.append(f"{edge}: no detectable effect, but not said to be too small")
        if verdict == "inconclusive" and "cannot tell" not in headline:
            problems.append(f"{edge}: inconclusive, but said as if it could tell")
        if verdict in ("supported", "contradicted", "fragile") and "between" in headline:
            problems.append(f"{edge}: '{verdict}' but worded like a null result")
        if "what to measure next" in text.lower() and edge not in measured_next:
            problems.append(f"{edge}: advice points to a measure-next table that leaves it out")
        for p in re.findall(r"chance[^.]*?:\s*(\d+)%", text):
            if p in ("0", "100"):
                problems.append(f"{edge}: a probability of {p}% (say 'over 99%'/'under 1%')")
    screen = html[: html.index('<section id="theory"')] if 'id="theory"' in html else html
    first = re.search(r'<p class="decision-sentence">(.*?)</p>', screen, flags=re.S)
    section = re.search(r'<p class="plan-sentence">(.*?)</p>', html, flags=re.S)
    if first and section and _text(first.group(1)) != _text(section.group(1)):
        problems.append("the first screen and the decision section state different decisions")
    recommended = re.search(r'<tr class="recommended"><th scope="row"><strong>(.*?)</strong>', html)
    if first and recommended:
        chosen = re.match(r"Choose (.*?): ", _text(first.group(1)))
        if chosen is None or chosen.group(1) != _text(recommended.group(1)):
            problems.append("the decision sentence names another plan than the plans table")
    for p in re.findall(r"chance[^.]*?(?<![\d,.])(\d+)%", _text(html)):
        if p in ("0", "100"):
            problems.append(f"a chance of {p}% (say 'over 99%' or 'under 1%')")
    for p in re.findall(r"<td class=\"num\">(0|100)%</td>", html):
        problems.append(f"a table cell with a chance of {p}%")
    nothing = "Nothing more for the decision" in screen
    needed = re.findall(r'<tr data-edge="[^"]+">.*?<td class="num">(.*?)</td></tr>', html, re.S)
    if nothing and any(not n.startswith("none") for n in needed):
        problems.append("first screen says nothing more is needed; the table asks for more")
    return problems


def test_both_scenarios_say_nothing_contradictory(analyzed) -> None:  # type: ignore[no-untyped-def]
    project, _, truth = analyzed
    project.decide(draws=4000)
    project.demand()
    html = build_report(project).read_text()
    assert contradictions(html) == []
    verdicts = [a["verdict"] for a, _ in _blocks(html, "li", "assumption")]
    assert len(verdicts) == 4  # every assumption on the first screen
    if truth["scenario"] == "service-does-not-matter":
        assert "no detectable effect" in verdicts


def test_edge_cases_not_identifiable_and_inconclusive(sim_cache: Path, tmp_path: Path) -> None:
    folder = make_project(sim_cache, tmp_path / "org", n=1500, seed=8)
    theory = folder / "theory.yaml"
    text = theory.read_text()
    # Without a measure of earlier episodes, respect's effect cannot be told from theirs.
    text = text.replace("    measure: {table: clients, column: prior_episodes}\n", "")
    theory.write_text(text)
    project = Project(folder)
    project.import_data()
    project.analyze(seed=0)  # (decide refuses: two of its levers have no estimate)
    html = build_report(project).read_text()
    verdicts = {a["edge"]: a["verdict"] for a, _ in _blocks(html, "li", "assumption")}
    assert verdicts["respect -> housed_180"] == "not identifiable"
    assert "inconclusive" in verdicts.values()
    assert contradictions(html) == []
    assert "Earlier episodes of homelessness" in html  # words, not ids, in the advice


def test_no_evidence_says_so_once(project_dir: Path) -> None:
    project = Project(project_dir)
    project.import_data()
    project.demand()
    html = build_report(project).read_text()
    assert "No assumption has been tested yet" in html
    assert _blocks(html, "li", "assumption") == []
    assert contradictions(html) == []


def _edge(verdict: str, estimate: float | None, low: float, high: float, **extra: object) -> dict:  # type: ignore[type-arg]
    return {
        "edge": "respect -> housed_180",
        "treatment": "respect",
        "outcome": "housed_180",
        "claim": "Respect keeps people housed",
        "expected": "increase",
        "unit": "per 1 unit of respect",
        "verdict": verdict,
        "estimate": estimate,
        "ci_low": low,
        "ci_high": high,
        "posterior": {"mean": 0.0, "sd": 0.01, "p_expected_direction": 0.91},
        "identification": {"explanation": "back-door: confounded", "to_measure": ["trust"]},
        "refutations": [{"name": "placebo treatment", "passed": False}],
        **extra,
    }


@pytest.mark.parametrize(
    ("verdict", "estimate", "low", "high"),
    [
        ("supported", 0.05, 0.03, 0.07),
        ("contradicted", -0.05, -0.07, -0.03),
        ("no detectable effect", 0.001, -0.004, 0.006),
        ("inconclusive", -0.02, -0.06, 0.02),
        ("fragile", 0.05, 0.03, 0.07),
        ("not identifiable", None, 0.0, 0.0),
        ("not estimable", None, 0.0, 0.0),
    ],
)
def test_every_verdict_has_one_consistent_wording(
    verdict: str, estimate: float | None, low: float, high: float, sim_cache: Path, tmp_path: Path
) -> None:
    from decisionframe.theory import load_theory

    folder = make_project(sim_cache, tmp_path / "org")
    theory: Theory = load_theory(folder / "theory.yaml")
    words = assumption_words(_edge(verdict, estimate, low, high), theory, decided=True)
    said = " ".join((words.headline, words.chance, words.advice))
    assert _verdict_words(said) == []  # the verdict word belongs to the badge alone
    assert "respect ->" not in said
    assert "housed_180" not in said
    if verdict in ("no detectable effect", "inconclusive"):
        assert words.chance == ""
        assert "per 100 people served" in words.headline
    if verdict == "supported":
        assert "5.0 more people stably housed at six months per 100 people served" in said
        assert "For each point more on the 1-5 respect rating" in said
        assert "chance" in words.chance
        assert "91%" in words.chance
    if verdict == "inconclusive":
        assert "what to measure next" not in said.lower()  # it is not in that table
    if verdict == "fragile":
        assert "placebo treatment" in said
    if verdict == "not identifiable":
        assert "“Client trusts the service enough to come back”" in said


def test_probabilities_in_words_beyond_99_and_1() -> None:
    assert probability(0.9999) == "over 99%"
    assert probability(0.0001) == "under 1%"
    assert probability(0.5) == "50%"
    assert probability(0.99) == "99%"


def test_units_from_the_theory_or_its_labels() -> None:
    assert default_unit("Waiting time before being served (minutes)").plural == (
        "minutes of waiting time before being served"
    )
    assert default_unit("Case complexity (1-5)").one == "point on the 1-5 scale of case complexity"
    assert Unit(one="point on the 1-5 respect rating").plural == "points on the 1-5 respect rating"
    assert Unit(one="person housed").plural == "people housed"
