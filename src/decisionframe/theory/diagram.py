"""The theory drawn as a standalone SVG (no Graphviz or other system binary needed).

Layout: networkx's multipartite layout with one column per kind, causes on the left and
outcomes on the right. Kinds are coloured; unmeasured nodes are dashed; assumption edges
are labelled and, when verdicts are given, coloured by verdict.
"""

from __future__ import annotations

from html import escape

import networkx as nx

from decisionframe.theory.graph import causal_graph
from decisionframe.theory.model import Theory

KIND_COLUMN = {"context": 0, "intervention": 1, "service_quality": 1, "mediator": 2, "outcome": 3}
KIND_FILL = {
    "context": "#eceff1",
    "intervention": "#d1e7ff",
    "service_quality": "#dff5e3",
    "mediator": "#fff3cd",
    "outcome": "#f8d7da",
}
VERDICT_COLOUR = {
    "supported": "#1b7f3b",
    "contradicted": "#b00020",
    "no detectable effect": "#6c757d",
    "inconclusive": "#c77700",
    "fragile": "#8e44ad",
    "not identifiable": "#343a40",
    "not estimable": "#343a40",
}
_W, _H, _BOX_W, _BOX_H = 980, 520, 170, 46


def _positions(theory: Theory) -> dict[str, tuple[float, float]]:
    graph = nx.DiGraph()
    for node in theory.nodes:
        graph.add_node(node.id, layer=KIND_COLUMN[node.kind])
    layout = nx.multipartite_layout(graph, subset_key="layer", align="vertical", scale=1.0)
    xs = [float(p[0]) for p in layout.values()]
    ys = [float(p[1]) for p in layout.values()]

    def scale(value: float, low: float, high: float, size: float, pad: float) -> float:
        return pad + (value - low) / ((high - low) or 1.0) * (size - 2 * pad)

    return {
        n: (
            scale(float(p[0]), min(xs), max(xs), _W, 100),
            scale(float(p[1]), min(ys), max(ys), _H, 40),
        )
        for n, p in layout.items()
    }


def theory_svg(theory: Theory, *, verdicts: dict[str, str] | None = None) -> str:
    """SVG markup of the theory; ``verdicts`` maps 'from -> to' to a verdict."""
    verdicts = verdicts or {}
    pos = _positions(theory)
    graph = causal_graph(theory)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" role="img" '
        f'aria-label="Impact theory diagram" font-family="sans-serif" font-size="12">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="context-stroke"/></marker></defs>',
    ]
    for source, target, is_assumption in graph.edges(data="assumption"):
        (x1, y1), (x2, y2) = pos[source], pos[target]
        x1, x2 = x1 + _BOX_W / 2, x2 - _BOX_W / 2
        key = f"{source} -> {target}"
        colour = VERDICT_COLOUR.get(verdicts.get(key, ""), "#555" if is_assumption else "#aaa")
        width = 2.5 if is_assumption else 1.2
        parts.append(
            f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="{colour}" '
            f'stroke-width="{width}" marker-end="url(#arrow)"><title>{escape(key)}</title></line>'
        )
        if is_assumption:
            label = verdicts.get(key, "assumption")
            parts.append(
                f'<text x="{(x1 + x2) / 2:.0f}" y="{(y1 + y2) / 2 - 4:.0f}" fill="{colour}" '
                f'text-anchor="middle" font-size="11">{escape(label)}</text>'
            )
    for node in theory.nodes:
        x, y = pos[node.id]
        dash = "" if node.measured else ' stroke-dasharray="5 4"'
        title = node.title if len(node.title) <= 26 else node.title[:25] + "…"
        parts.append(
            f"<g><title>{escape(node.id)} ({node.kind}{'' if node.measured else ', not measured'})"
            f'</title><rect x="{x - _BOX_W / 2:.0f}" y="{y - _BOX_H / 2:.0f}" width="{_BOX_W}" '
            f'height="{_BOX_H}" rx="8" fill="{KIND_FILL[node.kind]}" stroke="#333"{dash}/>'
            f'<text x="{x:.0f}" y="{y - 3:.0f}" text-anchor="middle">{escape(title)}</text>'
            f'<text x="{x:.0f}" y="{y + 13:.0f}" text-anchor="middle" fill="#555" '
            f'font-size="10">{node.kind.replace("_", " ")}'
            f"{'' if node.measured else ' · not measured'}</text></g>"
        )
    parts.append("</svg>")
    return "\n".join(parts)
