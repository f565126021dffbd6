"""Interactive charts for the report (Plotly figures serialized to JSON).

Plotly's JSON escapes '<', '>' and '/', so text from the data cannot break out of the
script tag the report puts it in. Each chart's title states the finding, not the variable.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from decisionframe.theory.diagram import VERDICT_COLOUR as VERDICT_COLOUR

if TYPE_CHECKING:
    from decisionframe.controlcharts import ControlChart
    from decisionframe.decide.allocate import FrontierPoint
    from decisionframe.decide.evaluate import OptionResult
    from decisionframe.effects.analyze import EdgeResult
    from decisionframe.effects.diagnostics import Balance

_LAYOUT = {
    "template": "simple_white",
    "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
    "height": 340,
    "font": {"size": 12},
}


_TEXT_FIELDS = ("x", "y", "text", "name", "hovertext")


def _plain(value: Any) -> Any:
    """A string as plain text for Plotly, which renders a subset of HTML in labels
    (``<a href>`` becomes a live link): markup characters become entities, shown as is."""
    return html.escape(value, quote=False) if isinstance(value, str) else value


def _escape_text(fig: go.Figure) -> None:
    """Every label, name, hover text and title of ``fig`` as plain text (unit names and
    reasons come from users' files)."""
    for trace in fig.data:
        for field in _TEXT_FIELDS:
            value = getattr(trace, field, None)
            if isinstance(value, str):
                setattr(trace, field, _plain(value))
            elif isinstance(value, list | tuple) and any(isinstance(v, str) for v in value):
                setattr(trace, field, [_plain(v) for v in value])
    title = fig.layout.title.text
    if isinstance(title, str):
        fig.layout.title.text = _plain(title)
    for axis in (fig.layout.xaxis, fig.layout.yaxis):
        if isinstance(axis.title.text, str):
            axis.title.text = _plain(axis.title.text)


def _json(fig: go.Figure) -> str:
    _escape_text(fig)
    return str(fig.to_json())


def _bins_trace(bins: list[Any], **style: Any) -> go.Bar:
    """Bars of published histogram bins (``decisionframe.disclosure.Bin``), each as wide as
    the range it covers (merged bins are wider)."""
    return go.Bar(
        x=[(b.start + b.end) / 2 for b in bins],
        y=[b.count for b in bins],
        width=[b.end - b.start for b in bins],
        **style,
    )


def forest(edges: Sequence[EdgeResult], title: str) -> str:
    """Estimates with 95% intervals beside the naive comparison, one row per assumption."""
    shown = [(e, e.effect, e.naive) for e in edges if e.effect is not None and e.naive is not None]
    labels = [e.edge for e, _, _ in shown]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[effect.estimate for _, effect, _ in shown],
            y=labels,
            mode="markers",
            name="adjusted estimate",
            marker={
                "size": 11,
                "color": [VERDICT_COLOUR.get(e.verdict.verdict, "#333") for e, _, _ in shown],
            },
            error_x={
                "type": "data",
                "symmetric": False,
                "color": "#555",
                "array": [f.ci_high - f.estimate for _, f, _ in shown],
                "arrayminus": [f.estimate - f.ci_low for _, f, _ in shown],
            },
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[naive.estimate for _, _, naive in shown],
            y=labels,
            mode="markers",
            name="naive comparison",
            marker={"symbol": "x", "size": 9, "color": "#999"},
        )
    )
    fig.add_vline(x=0, line_dash="dot", line_color="#555")
    fig.update_layout(
        **_LAYOUT, title=title, xaxis_title="effect on the outcome (assumption's unit)"
    )
    return _json(fig)


def propensity_overlap(histogram: dict[str, list[Any]], title: str) -> str:
    """``histogram``: group -> published bins (``decisionframe.disclosure.protect_histogram``)."""
    fig = go.Figure()
    for group, colour in (("treated", "#1f77b4"), ("untreated", "#ff7f0e")):
        fig.add_trace(
            _bins_trace(histogram.get(group, []), name=group, opacity=0.6, marker_color=colour)
        )
    fig.update_layout(
        **_LAYOUT,
        title=title,
        barmode="overlay",
        xaxis_title="estimated propensity",
        yaxis_title="clients",
    )
    return _json(fig)


def balance(rows: Sequence[Balance], metric: str, title: str) -> str:
    names = [r.covariate for r in rows]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[abs(r.before) for r in rows],
            y=names,
            mode="markers",
            name="before adjustment",
            marker={"size": 10, "color": "#c0392b"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[abs(r.after) for r in rows],
            y=names,
            mode="markers",
            name="after adjustment",
            marker={"size": 10, "color": "#27ae60"},
        )
    )
    fig.add_vline(x=0.1, line_dash="dot", line_color="#888")
    fig.update_layout(**_LAYOUT, title=title, xaxis_title=f"|{metric}|")
    return _json(fig)


def option_gains(options: Sequence[OptionResult], title: str) -> str:
    fig = go.Figure(
        go.Bar(
            x=[o.option for o in options],
            y=[o.gain_mean for o in options],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [o.gain_high - o.gain_mean for o in options],
                "arrayminus": [o.gain_mean - o.gain_low for o in options],
            },
            marker_color="#2c7fb8",
            text=[f"P(best) {o.p_best:.0%}" for o in options],
            textposition="outside",
        )
    )
    fig.update_layout(
        **_LAYOUT, title=title, yaxis_title="more clients reaching the outcome (90% band)"
    )
    return _json(fig)


def frontier(points: Sequence[FrontierPoint], better: str, title: str) -> str:
    share = [p.share_on_better * 100 for p in points]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=share + share[::-1],
            y=[p.gain_high for p in points] + [p.gain_low for p in points][::-1],
            fill="toself",
            fillcolor="rgba(44,127,184,0.2)",
            line={"width": 0},
            name="90% band",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=share,
            y=[p.gain_mean for p in points],
            mode="lines+markers",
            name="expected",
            line={"color": "#2c7fb8"},
        )
    )
    fig.update_layout(
        **_LAYOUT,
        title=title,
        xaxis_title=f"% of budget on {better}",
        yaxis_title="outcomes gained",
    )
    return _json(fig)


def bars(
    labels: list[str], values: list[float | None], title: str, axis: str, *, percent: bool = False
) -> str:
    fig = go.Figure(go.Bar(x=labels, y=values, marker_color="#d95f02"))
    fig.update_layout(**_LAYOUT, title=title, yaxis_title=axis)
    if percent:
        fig.update_yaxes(tickformat=".0%")
    return _json(fig)


def histogram(bins: list[Any], title: str) -> str:
    """``bins``: published bins (``decisionframe.disclosure.protect_histogram``)."""
    fig = go.Figure(_bins_trace(bins, marker_color="#7570b3"))
    fig.update_layout(
        **_LAYOUT,
        title=title,
        xaxis_title="days from first contact to resolution (last bar: that many or more)",
        yaxis_title="needs",
    )
    return _json(fig)


def control(chart: ControlChart) -> str:
    periods = list(chart.periods)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=periods,
            y=list(chart.values),
            mode="lines+markers",
            name="value",
            line={"color": "#333"},
        )
    )
    for phase in chart.phases:
        x = periods[phase.start : phase.end]
        for limit in (phase.upper, phase.lower):
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=limit,
                    mode="lines",
                    showlegend=False,
                    line={"color": "#c0392b", "dash": "dash", "width": 1},
                )
            )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[phase.center] * len(x),
                mode="lines",
                showlegend=False,
                line={"color": "#2980b9", "width": 1},
            )
        )
    # Every point of a signal's run is marked, not only the one where the rule fired.
    flagged = sorted({i for s in chart.signals for i in (s.points or (s.index,))})
    if flagged:
        fig.add_trace(
            go.Scatter(
                x=[periods[i] for i in flagged],
                y=[chart.values[i] for i in flagged],
                mode="markers",
                name="signal",
                marker={"color": "#c0392b", "size": 11, "symbol": "circle-open"},
            )
        )
    verdict = "signal" if chart.has_signal else "only noise"
    fig.update_layout(**_LAYOUT, title=f"{chart.title}: {verdict}")
    return _json(fig)
