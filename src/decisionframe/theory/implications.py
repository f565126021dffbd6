"""Testable implications: the conditional independences a theory's graph implies, tested
on the store's data and said in words.

Which statements. For every pair of measured nodes with no arrow between them, the graph
says they are independent given some set of measured nodes, when such a set exists
(d-separation, networkx). That set is the smallest of: the measured parents of the later
of the two in causal order (the local Markov property: a node is independent of what came
before it given its direct causes), the other's parents, and a minimal separating set of
measured nodes (``nx.find_minimal_d_separator``); the fewer variables held fixed, the
plainer the sentence and the more clients the test keeps. A pair joined only
through unmeasured nodes (``trust``, ``motivation``) has no such set and is listed as not
testable. One statement per non-adjacent pair is the pairwise basis DAGitty lists as
"minimal testable implications"; it checks every missing arrow among measured nodes.

How each is tested. The data are mixed (yes/no outcomes, counts, 1-5 ratings, minutes),
so the test is the generalised covariance measure (GCM; Shah and Peters 2020, "The hardness
of conditional independence testing and the generalised covariance measure"): regress each
of the two on the conditioning set, and test whether the mean product of the residuals is
zero with its own standard error. Unlike Fisher's z on a partial correlation it does not
assume joint normality: a binary variable's variance that changes with the conditioning
set does not make the test reject too often. It is about ten lines of numpy, so it is
written here rather than adding causal-learn (whose fisherz assumes normality and whose
kernel test is far slower). The regressions are flexible but additive: a discrete
conditioning variable (at most 12 values) enters as categories (the joint cells of all
discrete ones when each cell has enough clients, so a count and a rating interact
freely), a continuous one as a cubic spline with quantile knots. A dependence the
regressions cannot represent can make a true statement look false at very large n; a
failing statement with a tiny partial correlation is worded as small for that reason.

Multiple testing: a graph implies many statements and each failing one suggests a
missing arrow, so the p-values are Holm-adjusted across the tests of one theory (family
error rate ``alpha``). Rows with a missing value in a test's variables are left out of
that test only; the number of clients used is reported, and a test on fewer than
``min_cell_size`` (or 50) clients is not run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import ClassVar, Literal

import networkx as nx
import numpy as np
import pandas as pd
from scipy import stats
from sklearn.preprocessing import SplineTransformer
from statsmodels.stats.multitest import multipletests

from decisionframe.disclosure import is_small
from decisionframe.frames import client_frame
from decisionframe.results import Result
from decisionframe.store import Store
from decisionframe.theory.dagitty import Graph, as_digraph
from decisionframe.theory.model import Theory

Verdict = Literal["holds", "fails", "not tested"]
MIN_TEST_ROWS = 50
_DISCRETE_LEVELS = 12
_CELL_MIN = 30  # clients per joint cell before discrete variables are crossed
_SMALL_R = 0.05


@dataclass(frozen=True)
class Implication:
    """``x`` and ``y`` are independent given ``given``, says the graph."""

    x: str
    y: str
    given: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.x} _||_ {self.y}" + (f" | {', '.join(self.given)}" if self.given else "")


def _measured(graph: nx.DiGraph) -> set[str]:
    return {str(n) for n, m in graph.nodes(data="measured", default=True) if m}


def _separates(graph: nx.DiGraph, x: str, y: str, given: set[str]) -> bool:
    return bool(nx.is_d_separator(graph, {x}, {y}, given))


def implied_independences(graph: Graph) -> tuple[list[Implication], list[tuple[str, str]]]:
    """The statements to test, and the non-adjacent measured pairs that cannot be tested
    (joined only through unmeasured nodes). Accepts a Theory, DiGraph or DAGitty text."""
    g = as_digraph(graph)
    measured = _measured(g)
    order = [str(n) for n in nx.topological_sort(g) if str(n) in measured]
    position = {n: i for i, n in enumerate(order)}
    found, untestable = [], []
    for a, b in combinations(order, 2):
        if g.has_edge(a, b) or g.has_edge(b, a):
            continue
        x, y = sorted((a, b), key=position.__getitem__)  # y comes later in causal order
        given = _separator(g, x, y, measured)
        if given is None:
            untestable.append((x, y))
        else:
            found.append(Implication(x, y, tuple(sorted(given, key=position.__getitem__))))
    return found, untestable


def _separator(g: nx.DiGraph, x: str, y: str, measured: set[str]) -> set[str] | None:
    """The smallest of: the later node's parents, the earlier one's, a minimal separator
    (ties in that order), each only if all measured and separating."""
    candidates = []
    for node in (y, x):
        parents = {str(p) for p in g.predecessors(node)} - {x, y}
        if parents <= measured and _separates(g, x, y, parents):
            candidates.append(parents)
    found = nx.find_minimal_d_separator(g, x, y, restricted=measured - {x, y})
    if found is not None:
        candidates.append({str(n) for n in found})
    return min(candidates, key=len) if candidates else None


@dataclass(frozen=True)
class ImplicationTest:
    """One statement tested: the GCM statistic, its p-value (raw and Holm-adjusted), the
    residual partial correlation as the size of any dependence, and the sentence."""

    x: str
    y: str
    given: tuple[str, ...]
    verdict: Verdict
    sentence: str
    n: int | None = None
    partial_r: float | None = None
    statistic: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None

    @property
    def label(self) -> str:
        return str(Implication(self.x, self.y, self.given))


@dataclass(frozen=True, eq=False)
class ImplicationsResult(Result):
    """Every testable implication of a theory, tested on the data."""

    kind: ClassVar[str] = "implications"

    tests: tuple[ImplicationTest, ...]
    untestable: tuple[str, ...] = ()
    alpha: float = 0.05
    method: str = "generalised covariance measure, Holm-adjusted"

    @property
    def failing(self) -> tuple[ImplicationTest, ...]:
        return tuple(t for t in self.tests if t.verdict == "fails")

    def summary(self) -> str:
        run = [t for t in self.tests if t.verdict != "not tested"]
        return (
            f"{len(run)} implications tested: {len(run) - len(self.failing)} hold, "
            f"{len(self.failing)} fail (Holm, family error {self.alpha:g}); "
            f"{len(self.untestable)} pairs not testable"
        )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "implication": t.label,
                    "verdict": t.verdict,
                    "n": t.n,
                    "partial_r": t.partial_r,
                    "p_adjusted": t.p_adjusted,
                    "sentence": t.sentence,
                }
                for t in self.tests
            ],
            columns=["implication", "verdict", "n", "partial_r", "p_adjusted", "sentence"],
        )


def _as_numeric(column: pd.Series) -> pd.Series | None:
    if column.dtype == bool or str(column.dtype) == "boolean":
        return column.astype("Float64").astype(float)
    converted = pd.to_numeric(column, errors="coerce")
    if converted.notna().sum() < column.notna().sum():
        return None  # text: a residual of a category has no single number
    return converted.astype(float)


def _design(frame: pd.DataFrame, given: tuple[str, ...]) -> np.ndarray:
    """Columns for the regression on the conditioning set (see the module docstring)."""
    n = len(frame)
    blocks: list[np.ndarray] = [np.ones((n, 1))]
    discrete = [z for z in given if frame[z].nunique() <= _DISCRETE_LEVELS]
    continuous = [z for z in given if z not in discrete]
    if discrete:
        cells = frame[discrete].astype(str).agg("|".join, axis=1)
        if cells.value_counts().min() >= _CELL_MIN or len(discrete) == 1:
            blocks.append(pd.get_dummies(cells, drop_first=True).to_numpy(float))
        else:
            for z in discrete:
                blocks.append(pd.get_dummies(frame[z].astype(str), drop_first=True).to_numpy(float))
    for z in continuous:
        values = frame[[z]].to_numpy(float)
        spline = SplineTransformer(n_knots=5, degree=3, knots="quantile", include_bias=False)
        blocks.append(spline.fit_transform(values))
    return np.hstack(blocks)


def gcm_test(x: np.ndarray, y: np.ndarray, design: np.ndarray) -> tuple[float, float, float]:
    """The GCM statistic, its two-sided normal p-value and the residual correlation."""
    coef_x, *_ = np.linalg.lstsq(design, x, rcond=None)
    coef_y, *_ = np.linalg.lstsq(design, y, rcond=None)
    rx, ry = x - design @ coef_x, y - design @ coef_y
    product = rx * ry
    spread = float(product.std())
    if spread == 0.0 or not np.isfinite(spread):
        return 0.0, 1.0, 0.0
    statistic = float(np.sqrt(len(product)) * product.mean() / spread)
    denominator = float(np.sqrt((rx @ rx) * (ry @ ry)))
    r = float(rx @ ry / denominator) if denominator > 0 else 0.0
    return statistic, float(2 * stats.norm.sf(abs(statistic))), r


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _sentence(test: ImplicationTest, title: dict[str, str], n_tests: int, alpha: float) -> str:
    x, y = f"“{title[test.x]}”", f"“{title[test.y]}”"
    given = " and ".join(f"“{title[z]}”" for z in test.given)
    assert test.partial_r is not None
    assert test.p_adjusted is not None
    numbers = f"partial correlation {test.partial_r:+.2f}, {_p(test.p_adjusted)}"
    if n_tests > 1:
        numbers += f" after Holm over {n_tests} tests"
    numbers += f", {test.n:,} clients"
    if test.verdict == "holds":
        where = f"given {given}" if given else "with nothing held fixed"
        return f"{x} and {y} are unrelated {where}, as the theory implies ({numbers})."
    if given:
        head = f"{x} and {y} stay related even given {given} ({numbers})"
    else:
        head = f"{x} and {y} are related ({numbers}), though the theory draws no path between them"
    small = (
        f" The dependence is small (|r| < {_SMALL_R:g}): with this many clients a faint "
        "link, or a relation the test's regressions do not capture, is enough."
        if abs(test.partial_r) < _SMALL_R
        else ""
    )
    return f"{head}: is an arrow missing, or a common cause?{small}"


def implication_tests(
    frame: pd.DataFrame,
    implications: list[Implication],
    *,
    titles: dict[str, str] | None = None,
    alpha: float = 0.05,
    min_cell_size: int = 11,
    untestable: Sequence[tuple[str, str]] = (),
) -> ImplicationsResult:
    """Test each implication on a frame with one column per node (NaN where missing)."""
    title = {c: c.replace("_", " ") for c in frame.columns} | (titles or {})
    raw: list[ImplicationTest] = []
    for imp in implications:
        columns = [imp.x, imp.y, *imp.given]
        numeric = {c: _as_numeric(frame[c]) for c in (imp.x, imp.y)}
        bad = [c for c, v in numeric.items() if v is None]
        if bad:
            raw.append(_untested(imp, f"“{title[bad[0]]}” is text, not a number"))
            continue
        complete = frame[columns].dropna()
        n = len(complete)
        if n < MIN_TEST_ROWS or is_small(n, min_cell_size=min_cell_size):
            raw.append(_untested(imp, "too few clients have all of these measured"))
            continue
        design = _design(complete, imp.given)
        xv = _as_numeric(complete[imp.x])
        yv = _as_numeric(complete[imp.y])
        assert xv is not None
        assert yv is not None
        statistic, p, r = gcm_test(xv.to_numpy(), yv.to_numpy(), design)
        raw.append(ImplicationTest(imp.x, imp.y, imp.given, "holds", "", n, r, statistic, p))
    run = [i for i, t in enumerate(raw) if t.p_value is not None]
    adjusted = (
        multipletests([raw[i].p_value for i in run], alpha=alpha, method="holm")[1] if run else []
    )
    tests = list(raw)
    for i, p_adj in zip(run, adjusted, strict=True):
        t = raw[i]
        verdict: Verdict = "fails" if p_adj < alpha else "holds"
        done = ImplicationTest(
            t.x, t.y, t.given, verdict, "", t.n, t.partial_r, t.statistic, t.p_value, float(p_adj)
        )
        tests[i] = _with_sentence(done, _sentence(done, title, len(run), alpha))
    pairs = tuple(
        f"“{title.get(a, a)}” and “{title.get(b, b)}”: joined only through unmeasured nodes"
        for a, b in untestable
    )
    return ImplicationsResult(tuple(tests), pairs, alpha)


def _untested(imp: Implication, why: str) -> ImplicationTest:
    return ImplicationTest(imp.x, imp.y, imp.given, "not tested", f"{imp}: not tested: {why}.")


def _with_sentence(test: ImplicationTest, sentence: str) -> ImplicationTest:
    return ImplicationTest(
        test.x,
        test.y,
        test.given,
        test.verdict,
        sentence,
        test.n,
        test.partial_r,
        test.statistic,
        test.p_value,
        test.p_adjusted,
    )


def check_implications(
    store: Store, theory: Theory, *, alpha: float = 0.05, min_cell_size: int = 11
) -> ImplicationsResult:
    """Every testable implication of the theory, tested on the store's per-client frame."""
    implications, untestable = implied_independences(theory)
    nodes = sorted({n for imp in implications for n in (imp.x, imp.y, *imp.given)})
    frame = client_frame(store, theory, nodes) if nodes else pd.DataFrame()
    titles = {n.id: n.title for n in theory.nodes}
    return implication_tests(
        frame,
        implications,
        titles=titles,
        alpha=alpha,
        min_cell_size=min_cell_size,
        untestable=untestable,
    )


__all__ = [
    "Implication",
    "ImplicationTest",
    "ImplicationsResult",
    "check_implications",
    "gcm_test",
    "implication_tests",
    "implied_independences",
]
