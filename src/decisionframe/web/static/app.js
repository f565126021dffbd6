// decisionframe serve: the little script every page loads (no inline script: the CSP
// allows files from the app only).
// 1. htmx sends the session's CSRF token with every request it makes (writes need it).
// 2. Charts: an element with data-chart='{"data": [...], "layout": {...}}' is drawn with
//    the vendored Plotly (loaded on pages that have charts), in the report's look.
"use strict";
(function () {
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  var axis = { showline: true, linecolor: "#444", ticks: "outside", gridcolor: "#e6e6e6", automargin: true };
  function draw(element) {
    if (!window.Plotly) { return; }
    var spec = JSON.parse(element.getAttribute("data-chart"));
    var layout = Object.assign({
      font: { family: "system-ui, -apple-system, Segoe UI, sans-serif", size: 12, color: "#1a1a1a" },
      paper_bgcolor: "#fff", plot_bgcolor: "#fff", hoverlabel: { font: { size: 12 } }
    }, spec.layout || {});
    layout.xaxis = Object.assign({}, axis, (spec.layout || {}).xaxis);
    layout.yaxis = Object.assign({}, axis, (spec.layout || {}).yaxis);
    // The box is as tall as the chart: a short chart in the default box left a blank gap
    // under it (the CSP allows setting a style from script, not a style attribute).
    if (layout.height) { element.style.height = layout.height + "px"; }
    window.Plotly.react(element, spec.data, layout, { displayModeBar: false, responsive: true, displaylogo: false });
  }
  function drawAll(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(draw);
  }
  window.dfDrawCharts = drawAll;
  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawAll(event.detail.elt); });
})();
