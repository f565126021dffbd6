"""Interactive charts for the report (Plotly figures serialized to JSON).

Each chart is a ``Chart``: its title (the finding, as an HTML caption that wraps instead of
being cut off), a text description (the alt text: the chart's content in words, for screen
readers and print) and the Plotly spec. Specs carry no template (the report sets one small
shared look) and round their numbers, which keeps the file small. Colours are the Okabe-Ito
palette, distinguishable with the common colour-vision deficiencies; nothing is told by
colour alone (markers differ in shape, lines in dash).

Plotly's JSON escapes '<', '>' and '/', so text from the data cannot break out of the
script tag the report puts it in.
"""

from __future__ import annotations

import html
import itertools
import json
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from decisionframe.theory.diagram import VERDICT_COLOUR as VERDICT_COLOUR

# Okabe & Ito (2008), "Color Universal Design".
BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, GREY = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#56B4E9",
    "#CC79A7",
    "#555555",
)
_counter = itertools.count()


def start_report() -> None:
    """Number the next report's charts from 0, so two reports built in one process are
    equal (a report is built in one thread)."""
    global _counter
    _counter = itertools.count()


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    spec: Markup
    height: int


_TEXT_FIELDS = ("x", "y", "text", "name", "hovertext")


def _plain(value: Any) -> Any:
    """Strings as plain text for Plotly, which renders a subset of HTML in labels (``<a
    href>`` becomes a live link): markup characters become entities, shown as is (#13)."""
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.4g}")
    if isinstance(value, list | tuple):
        return [_round(v) for v in value]
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value


def _chart(
    data: list[dict[str, Any]],
    layout: dict[str, Any],
    *,
    title: str,
    description: str,
    height: int = 320,
) -> Chart:
    base: dict[str, Any] = {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "showlegend": len(data) > 1,
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
    }
    for axis in ("xaxis", "yaxis"):
        base[axis] = {"automargin": True, **layout.pop(axis, {})}
    data = [{k: _plain(v) if k in _TEXT_FIELDS else v for k, v in t.items()} for t in data]
    spec = json.dumps({"data": _round(data), "layout": _round({**base, **layout})})
    # Escape what could close the script tag, as Plotly's own JSON encoder does.
    spec = spec.replace("<", "\\u003c").replace(">", "\\u003e").replace("/", "\\/")
    return Chart(f"chart-{next(_counter)}", title, description, Markup(spec), height)


def _axis(title: str, **extra: Any) -> dict[str, Any]:
    return {"title": {"text": _plain(title).replace("&lt;br&gt;", "<br>")}, **extra}


def effect_panel(
    *,
    estimate: float,
    low: float,
    high: float,
    naive: float | None,
    min_effect: float,
    colour: str,
    axis: str,
    title: str,
    description: str,
) -> Chart:
    """One assumption on its own scale: estimate with 95% interval, the naive comparison, a
    band for effects too small to matter and the zero line."""
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": [estimate],
            "y": ["adjusted estimate"],
            "mode": "markers",
            "name": "adjusted estimate (95% interval)",
            "marker": {"size": 13, "color": colour, "symbol": "circle"},
            "error_x": {
                "type": "data",
                "symmetric": False,
                "array": [high - estimate],
                "arrayminus": [estimate - low],
                "color": colour,
                "thickness": 2,
            },
            "hovertemplate": "%{x:.1f}<extra>adjusted estimate</extra>",
        }
    ]
    if naive is not None:
        data.append(
            {
                "type": "scatter",
                "x": [naive],
                "y": ["naive comparison"],
                "mode": "markers",
                "name": "naive comparison",
                "marker": {"size": 11, "color": GREY, "symbol": "x"},
                "hovertemplate": "%{x:.1f}<extra>naive comparison</extra>",
            }
        )
    shapes = [
        {
            "type": "rect",
            "xref": "x",
            "yref": "paper",
            "x0": -min_effect,
            "x1": min_effect,
            "y0": 0,
            "y1": 1,
            "fillcolor": "rgba(120,120,120,0.15)",
            "line": {"width": 0},
            "layer": "below",
        },
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": 0,
            "x1": 0,
            "y0": 0,
            "y1": 1,
            "line": {"color": "#333", "dash": "dot", "width": 1},
        },
    ]
    layout = {
        "xaxis": _axis(axis, zeroline=False),
        "yaxis": {"autorange": "reversed"},
        "shapes": shapes,
        "showlegend": False,
    }
    return _chart(data, layout, title=title, description=description, height=170)


def _bins(bins: list[Any]) -> dict[str, Any]:
    """Bars of published histogram bins (``decisionframe.disclosure.Bin``), each as wide as
    the range it covers (merged bins are wider)."""
    return {
        "type": "bar",
        "x": [(b.start + b.end) / 2 for b in bins],
        "y": [b.count for b in bins],
        "width": [b.end - b.start for b in bins],
    }


def propensity_overlap(histogram: dict[str, list[Any]], title: str, description: str) -> Chart:
    """``histogram``: group -> published bins (``decisionframe.disclosure.protect_histogram``)."""
    data = [
        {
            **_bins(histogram.get(group, [])),
            "name": name,
            "opacity": 0.7,
            "marker": {"color": colour, "pattern": {"shape": shape}},
        }
        for group, name, colour, shape in (
            ("treated", "got it", BLUE, ""),
            ("untreated", "did not", ORANGE, "/"),
        )
    ]
    layout = {
        "barmode": "overlay",
        "xaxis": _axis("estimated chance of getting it"),
        "yaxis": _axis("clients"),
    }
    return _chart(data, layout, title=title, description=description)


def balance(rows: list[dict[str, Any]], metric: str, title: str, description: str) -> Chart:
    names = [r["label"] for r in rows]
    data = [
        {
            "type": "scatter",
            "x": [abs(r[key]) for r in rows],
            "y": names,
            "mode": "markers",
            "name": name,
            "marker": {"size": 11, "color": colour, "symbol": symbol},
        }
        for key, name, colour, symbol in (
            ("before", "before adjustment", VERMILLION, "circle-open"),
            ("after", "after adjustment", BLUE, "circle"),
        )
    ]
    layout = {
        "xaxis": _axis(f"gap<br>({metric})", rangemode="tozero"),
        "shapes": [
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": 0.1,
                "x1": 0.1,
                "y0": 0,
                "y1": 1,
                "line": {"color": GREY, "dash": "dot", "width": 1},
            }
        ],
    }
    return _chart(data, layout, title=title, description=description, height=200 + 30 * len(rows))


def option_gains(options: list[dict[str, Any]], axis: str, title: str, description: str) -> Chart:
    data = [
        {
            "type": "bar",
            "x": [o["option"] for o in options],
            "y": [o["gain_mean"] for o in options],
            "error_y": {
                "type": "data",
                "symmetric": False,
                "array": [o["gain_high"] - o["gain_mean"] for o in options],
                "arrayminus": [o["gain_mean"] - o["gain_low"] for o in options],
            },
            "marker": {"color": BLUE},
            "name": "expected (90% band)",
        }
    ]
    layout = {"xaxis": _axis("option"), "yaxis": _axis(axis, rangemode="tozero")}
    return _chart(data, layout, title=title, description=description)


def frontier(
    points: list[dict[str, Any]], better: str, axis: str, title: str, description: str
) -> Chart:
    share = [p["share_on_better"] * 100 for p in points]
    data = [
        {
            "type": "scatter",
            "x": share + share[::-1],
            "y": [p["gain_high"] for p in points] + [p["gain_low"] for p in points][::-1],
            "fill": "toself",
            "fillcolor": "rgba(0,114,178,0.18)",
            "line": {"width": 0},
            "name": "90% band",
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "x": share,
            "y": [p["gain_mean"] for p in points],
            "mode": "lines+markers",
            "name": "expected",
            "line": {"color": BLUE},
        },
    ]
    layout = {"xaxis": _axis(f"% of the budget on '{better}'"), "yaxis": _axis(axis)}
    return _chart(data, layout, title=title, description=description)


def bars(
    labels: list[str],
    values: list[float],
    *,
    title: str,
    description: str,
    axis: str,
    percent: bool = False,
) -> Chart:
    data = [
        {
            "type": "bar",
            "x": values,
            "y": labels,
            "orientation": "h",
            "marker": {"color": VERMILLION},
            "hovertemplate": ("%{x:.1%}" if percent else "%{x:,}") + "<extra>%{y}</extra>",
        }
    ]
    layout = {
        "xaxis": _axis(axis, **({"tickformat": ".0%"} if percent else {})),
        "yaxis": {"autorange": "reversed"},
    }
    return _chart(data, layout, title=title, description=description, height=120 + 28 * len(labels))


def histogram(bins: list[Any], title: str, description: str) -> Chart:
    """``bins``: published bins (``decisionframe.disclosure.protect_histogram``)."""
    data = [{**_bins(bins), "marker": {"color": PURPLE}}]
    layout = {
        "xaxis": _axis("days from first contact to resolution (last bar: that many or more)"),
        "yaxis": _axis("needs"),
    }
    return _chart(data, layout, title=title, description=description)


def control(chart: dict[str, Any], title: str, description: str) -> Chart:
    periods = chart["periods"]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": periods,
            "y": chart["values"],
            "mode": "lines+markers",
            "name": "value",
            "line": {"color": "#222"},
        }
    ]
    for n, phase in enumerate(chart["phases"]):
        x = periods[phase["start"] : phase["end"]]
        for key in ("upper", "lower"):
            data.append(
                {
                    "type": "scatter",
                    "x": x,
                    "y": phase[key],
                    "mode": "lines",
                    "name": "control limits",
                    "showlegend": n == 0 and key == "upper",
                    "legendgroup": "limits",
                    "line": {"color": VERMILLION, "dash": "dash", "width": 1},
                }
            )
        data.append(
            {
                "type": "scatter",
                "x": x,
                "y": [phase["center"]] * len(x),
                "mode": "lines",
                "name": "centre line",
                "showlegend": n == 0,
                "legendgroup": "centre",
                "line": {"color": BLUE, "width": 1},
            }
        )
    # Every point of a signal's run is marked, not only the one where the rule fired (#19).
    flagged = sorted({i for s in chart["signals"] for i in (s.get("points") or (s["index"],))})
    if flagged:
        data.append(
            {
                "type": "scatter",
                "x": [periods[i] for i in flagged],
                "y": [chart["values"][i] for i in flagged],
                "mode": "markers",
                "name": "signal",
                "marker": {"color": VERMILLION, "size": 13, "symbol": "circle-open"},
            }
        )
    return _chart(data, {}, title=title, description=description, height=300)
