// decisionframe serve: the labelling queue's keyboard (no inline script: the CSP allows
// files from the app only). j / k move between items; on a contact a digit submits that
// tag; on a comment a digit toggles that theme, 0 saves "no theme", Enter saves. The
// forms post through htmx (static/app.js adds the CSRF token); the answer replaces the
// item with what was stored, and the next item not yet labelled becomes current.
"use strict";
(function () {
  var currentId = null;

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll("#queue > li.item"));
  }
  function isDone(li) { return li.getAttribute("data-done") === "1"; }

  function select(li) {
    items().forEach(function (other) {
      other.classList.remove("current");
      other.removeAttribute("aria-current");
    });
    if (!li) { currentId = null; return; }
    li.classList.add("current");
    li.setAttribute("aria-current", "true");
    currentId = li.getAttribute("data-item");
    li.scrollIntoView({ block: "nearest" });
  }

  function current() {
    var all = items();
    for (var i = 0; i < all.length; i++) {
      if (all[i].getAttribute("data-item") === currentId) { return all[i]; }
    }
    return null;
  }

  function move(step) {
    var all = items();
    if (!all.length) { return; }
    var at = all.indexOf(current());
    var next = at < 0 ? 0 : Math.min(all.length - 1, Math.max(0, at + step));
    select(all[next]);
  }

  function nextOpen(from) {
    var all = items();
    for (var i = from + 1; i < all.length; i++) { if (!isDone(all[i])) { return all[i]; } }
    return all[from] || null;
  }

  function submit(li, button) {
    // A click, not form.requestSubmit(button): htmx sends the button's name and value
    // (the tag) only for the button it saw clicked.
    if (button) { button.click(); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var target = event.target;
    var tag = target && target.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT" || (tag === "INPUT" && target.type !== "checkbox")) { return; }
    var queue = document.getElementById("queue");
    if (!queue) { return; }
    var kind = queue.getAttribute("data-kind");
    var key = event.key;
    if (key === "j") { move(1); event.preventDefault(); return; }
    if (key === "k") { move(-1); event.preventDefault(); return; }
    var li = current();
    if (!li || isDone(li)) { return; }
    if (kind === "contact" && /^[0-9]$/.test(key)) {
      submit(li, li.querySelector('button[data-key="' + key + '"]'));
      event.preventDefault();
    } else if (kind === "comment" && /^[1-9]$/.test(key)) {
      var box = li.querySelector('input[type=checkbox][data-key="' + key + '"]');
      if (box) { box.checked = !box.checked; }
      event.preventDefault();
    } else if (kind === "comment" && key === "0") {
      li.querySelectorAll("input[type=checkbox]").forEach(function (b) { b.checked = false; });
      submit(li, li.querySelector("button.none"));
      event.preventDefault();
    } else if (kind === "comment" && key === "Enter") {
      submit(li, li.querySelector("button.save"));
      event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    var li = event.target && event.target.closest && event.target.closest("#queue > li.item");
    if (li && !isDone(li)) { select(li); }
  });

  document.addEventListener("htmx:afterSettle", function () {
    var all = items();
    var li = current();
    if (li && isDone(li)) { select(nextOpen(all.indexOf(li))); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var open = items().filter(function (li) { return !isDone(li); });
    select(open[0] || null);
  });
})();
