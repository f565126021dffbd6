// The decision simulator's sliders: show each slider's value beside it as it moves (htmx
// posts the form; static/app.js adds the CSRF token and redraws the frontier chart).
"use strict";
(function () {
  function show(input) {
    var out = document.getElementById(input.getAttribute("data-output"));
    if (!out) { return; }
    var value = Number(input.value);
    if (input.hasAttribute("data-unlimited-at-max") && value >= Number(input.max)) {
      out.textContent = "unlimited";
    } else {
      // as the page writes it (numbers.py): thousands separators, a share's change in points
      var scale = Number(input.getAttribute("data-scale") || "1");
      var suffix = input.getAttribute("data-suffix") || "";
      var shown = value * scale;
      var text = Math.abs(shown) >= 100
        ? Math.round(shown).toLocaleString("en")
        : shown.toLocaleString("en", { maximumSignificantDigits: 3 });
      out.textContent = (scale !== 1 && shown > 0 ? "+" : "") + text + suffix;
    }
  }
  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("input[type=range][data-output]")) { show(target); }
  });
})();
