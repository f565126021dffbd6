"""The theory drawn as a standalone SVG (no Graphviz or other system binary needed).

Layout: one lane (column) per kind, context on the left and outcomes on the right, with
the lane's name on top. Within a lane, nodes are ordered by the mean position of their
causes (one barycentric pass, which removes most crossings in theories of this shape).
Labels wrap onto up to three lines instead of being cut; the drawing grows in height with
the longest lane, so a 30-node theory stays readable. Unmeasured nodes are dashed;
assumption arrows are thick and, with verdicts, coloured and labelled by verdict (the
label carries the verdict, so colour is never the only cue).
"""

from __future__ import annotations

import textwrap
from html import escape

from decisionframe.theory.graph import causal_graph
from decisionframe.theory.model import Theory

LANES: tuple[tuple[str, str], ...] = (
    ("context", "Context"),
    ("intervention", "What we do"),
    ("service_quality", "How we serve"),
    ("mediator", "What changes in between"),
    ("outcome", "Outcomes"),
)
KIND_FILL = {
    "context": "#eceff1",
    "intervention": "#d6eaf8",
    "service_quality": "#dff5e3",
    "mediator": "#fff3cd",
    "outcome": "#fde2e4",
}
# Dark enough for white badge text (WCAG AA, contrast 4.5 or more) and told apart by
# hue family in the Okabe-Ito spirit: blue, vermillion, grey, ochre, purple.
VERDICT_COLOUR = {
    "supported": "#005a8c",
    "contradicted": "#a63c00",
    "no detectable effect": "#555555",
    "inconclusive": "#7a5300",
    "fragile": "#7b3f73",
    "not identifiable": "#333333",
    "not estimable": "#333333",
}
_LANE_W, _BOX_W, _PAD_TOP, _GAP, _CHARS = 200, 168, 44, 18, 24
_LINE = 14


def _lines(text: str) -> list[str]:
    lines = textwrap.wrap(text, _CHARS) or [""]
    if len(lines) > 3:
        lines = [*lines[:2], textwrap.shorten(" ".join(lines[2:]), _CHARS, placeholder="…")]
    return lines


def _tags(theory: Theory, node_id: str, verdicts: dict[str, str]) -> list[tuple[str, str]]:
    """Small lines under a box's label: 'not measured', and the verdict of each assumption
    this node is the cause of (inside the box, so labels never pile up on the arrows)."""
    node = theory.node(node_id)
    tags = [] if node.measured else [("not measured", "#4a4a4a")]
    tested = [e for e in theory.assumption_edges if e.source == node_id]
    for e in tested:
        verdict = verdicts.get(e.label, "")
        text = verdict or "assumption"
        if len(tested) > 1:
            text += " → " + textwrap.shorten(theory.node(e.target).title, 14, placeholder="…")
        tags.append((text, VERDICT_COLOUR.get(verdict, "#444")))
    return tags


def _box_height(node_lines: list[str], tags: int) -> int:
    return 14 + _LINE * len(node_lines) + 13 * tags


def _order(theory: Theory) -> dict[str, list[str]]:
    graph = causal_graph(theory)
    lanes: dict[str, list[str]] = {kind: [] for kind, _ in LANES}
    for node in theory.nodes:
        lanes[node.kind].append(node.id)
    rank: dict[str, float] = {}
    for kind, _ in LANES:
        first = {n: i for i, n in enumerate(lanes[kind])}

        def key(n: str, first: dict[str, int] = first) -> tuple[float, int]:
            parents = [rank[p] for p in graph.predecessors(n) if p in rank]
            return (sum(parents) / len(parents) if parents else first[n], first[n])

        lanes[kind] = sorted(lanes[kind], key=key)
        for i, n in enumerate(lanes[kind]):
            rank[n] = float(i)
    return lanes


def theory_svg(theory: Theory, *, verdicts: dict[str, str] | None = None) -> str:
    """SVG markup of the theory; ``verdicts`` maps 'from -> to' to a verdict."""
    verdicts = verdicts or {}
    lanes = _order(theory)
    shown = [(kind, name) for kind, name in LANES if lanes[kind]]
    width = _LANE_W * len(shown)
    boxes: dict[str, tuple[float, float, float, list[str]]] = {}  # x, y top, height, lines
    tags = {n.id: _tags(theory, n.id, verdicts) for n in theory.nodes}
    height = 0.0
    for column, (kind, _) in enumerate(shown):
        y = float(_PAD_TOP)
        for node_id in lanes[kind]:
            node = theory.node(node_id)
            lines = _lines(node.title)
            h = _box_height(lines, len(tags[node_id]))
            boxes[node_id] = (column * _LANE_W + (_LANE_W - _BOX_W) / 2, y, h, lines)
            y += h + _GAP
        height = max(height, y)
    height += 10
    graph = causal_graph(theory)
    described = "; ".join(
        f"{name}: " + ", ".join(theory.node(n).title for n in lanes[kind]) for kind, name in shown
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" '
        f'role="img" aria-labelledby="theory-title theory-desc" font-family="sans-serif" '
        f'font-size="12">',
        '<title id="theory-title">Impact theory diagram</title>',
        f'<desc id="theory-desc">{escape(described)}</desc>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="context-stroke"/></marker></defs>',
    ]
    for column, (_, name) in enumerate(shown):
        lane_x = column * _LANE_W
        shade = "#f7f9fb" if column % 2 == 0 else "#ffffff"
        parts.append(
            f'<rect x="{lane_x}" y="0" width="{_LANE_W}" height="{height:.0f}" fill="{shade}"/>'
            f'<text x="{lane_x + _LANE_W / 2}" y="22" text-anchor="middle" font-weight="bold" '
            f'fill="#1a1a1a">{escape(name)}</text>'
        )
    for source, target, is_assumption in graph.edges(data="assumption"):
        sx, sy, sh, _ = boxes[source]
        tx, ty, th, _ = boxes[target]
        x1, y1 = sx + _BOX_W, sy + sh / 2
        x2, y2 = tx, ty + th / 2
        if x2 <= x1:  # same lane or backwards: leave from the right, enter from the right
            x2 = tx + _BOX_W
            bend = x1 + 40
            path = (
                f"M {x1:.0f} {y1:.0f} C {bend:.0f} {y1:.0f}, {bend:.0f} {y2:.0f}, {x2:.0f} {y2:.0f}"
            )
        else:
            mid = (x1 + x2) / 2
            path = (
                f"M {x1:.0f} {y1:.0f} C {mid:.0f} {y1:.0f}, {mid:.0f} {y2:.0f}, {x2:.0f} {y2:.0f}"
            )
        key = f"{source} -> {target}"
        verdict = verdicts.get(key, "")
        colour = VERDICT_COLOUR.get(verdict, "#444" if is_assumption else "#9a9a9a")
        width_px = 2.6 if is_assumption else 1.1
        title = f"{theory.node(source).title} → {theory.node(target).title}"
        parts.append(
            f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="{width_px}" '
            f'marker-end="url(#arrow)"><title>{escape(title)}</title></path>'
        )
    for node in theory.nodes:
        x, y, box_h, lines = boxes[node.id]
        dash = "" if node.measured else ' stroke-dasharray="5 4"'
        cx = x + _BOX_W / 2
        text = "".join(
            f'<tspan x="{cx:.0f}" dy="{0 if i == 0 else _LINE}">{escape(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        first = y + 18 + _LINE * (len(lines) - 1) + 14
        extra = "".join(
            f'<text x="{cx:.0f}" y="{first + 13 * i:.0f}" text-anchor="middle" fill="{colour}" '
            f'font-size="10.5" font-weight="{"bold" if colour != "#4a4a4a" else "normal"}">'
            f"{escape(text)}</text>"
            for i, (text, colour) in enumerate(tags[node.id])
        )
        parts.append(
            f"<g><title>{escape(node.title)} ({node.kind.replace('_', ' ')}"
            f"{'' if node.measured else ', not measured'})</title>"
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{_BOX_W}" height="{box_h:.0f}" rx="8" '
            f'fill="{KIND_FILL[node.kind]}" stroke="#333"{dash}/>'
            f'<text x="{cx:.0f}" y="{y + 18:.0f}" text-anchor="middle" fill="#1a1a1a">{text}'
            f"</text>{extra}</g>"
        )
    parts.append("</svg>")
    return "\n".join(parts)
