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
      out.textContent = value.toLocaleString("en", { maximumSignificantDigits: 4 });
    }
  }
  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("input[type=range][data-output]")) { show(target); }
  });
})();
