// decisionframe serve: the theory editor (templates/editor.html.j2).
//
// The draft theory is plain data, exactly what theory.yaml holds (nodes, edges with their
// assumptions, and whatever else the file says, kept untouched). Every edit goes through
// edit(label, change): it records the draft before and after, so undo and redo walk a
// history of named operations ("add node 'trust'", "delete arrow a -> b"). The graph
// (Cytoscape) is redrawn from the draft after each edit; the server checks the draft
// (POST /editor/check) a moment after the last edit and answers diagnostics that name
// the variable. Nothing reaches theory.yaml until Save (POST /editor/save), which
// validates again on the server. No inline script or style (the CSP); text from the
// theory is only ever set as textContent, never as HTML.
"use strict";
(function () {
  var LANES = [
    { id: "lane-context", title: "Context", kinds: ["context"] },
    { id: "lane-actions", title: "Interventions and service quality", kinds: ["intervention", "service_quality"] },
    { id: "lane-mediators", title: "Mediators", kinds: ["mediator"] },
    { id: "lane-outcomes", title: "Outcomes", kinds: ["outcome"] }
  ];
  var KIND_LABEL = { intervention: "intervention", service_quality: "service quality", mediator: "mediator", outcome: "outcome", context: "context" };
  // Between lanes there is room for an arrow's verdict, written beside its cause.
  var COLUMN_W = 184, LANE_GAP = 88, ROW_H = 64, NODE_W = 164, MAX_ROW_H = 150, LANE_ROWS = 8;
  var ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
  // The undo history outlives a reload of the tab (sessionStorage: this tab only, gone
  // when it closes), as long as theory.yaml is still what the tab last loaded or saved.
  var HISTORY_KEY = "decisionframe.editor.history", MAX_HISTORY = 200;

  var root, canEdit, csrf, cy, eh;
  var state = { theory: { nodes: [], edges: [] }, positions: {}, columns: [], outcomes: [], evidence: [], verdict_colours: {} };
  var draft = { nodes: [], edges: [] };
  var positions = {};
  var past = [], future = [];
  var drawing = false;
  var dirty = false, checkSeq = 0, checkTimer = null, selected = null, lastDiagnosis = null;
  var baseline = "";  // canonical text of theory.yaml as this tab last loaded or saved it

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "className") { e.className = attrs[k]; } else { e.setAttribute(k, attrs[k]); }
    });
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function clone(x) { return JSON.parse(JSON.stringify(x)); }
  function status(text, kind) {
    var s = $("ed-status");
    s.textContent = text;
    s.className = "ed-status" + (kind ? " " + kind : "");
    if (cy) { cy.resize(); }  // Cytoscape caches where its canvas is on the page
  }

  function api(method, path, body) {
    var init = { method: method, credentials: "same-origin", headers: { "Accept": "application/json", "X-CSRF-Token": csrf } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (r) {
      return r.text().then(function (t) {
        var data = null;
        try { data = t ? JSON.parse(t) : null; } catch (e) { data = { detail: t }; }
        return { ok: r.ok, status: r.status, data: data };
      });
    });
  }

  // ----- the draft and its history ---------------------------------------------------
  function nodeOf(id) { return (draft.nodes || []).find(function (n) { return n.id === id; }); }
  function edgeKey(e) { return e.from + " -> " + e.to; }
  function edgeOf(key) { return (draft.edges || []).find(function (e) { return edgeKey(e) === key; }); }
  function snapshot() { return JSON.stringify({ t: draft, p: positions }); }
  function restore(s) { var o = JSON.parse(s); draft = o.t; positions = o.p; }

  function edit(label, change) {
    var before = snapshot();
    change();
    var after = snapshot();
    if (before === after) { return; }
    past.push({ label: label, before: before, after: after });
    if (past.length > MAX_HISTORY) { past.shift(); }
    future = [];
    afterEdit();
  }
  function undo() {
    var op = past.pop();
    if (!op) { return; }
    restore(op.before);
    future.push(op);
    status("Undone: " + op.label);
    afterEdit();
  }
  function redo() {
    var op = future.pop();
    if (!op) { return; }
    restore(op.after);
    past.push(op);
    status("Redone: " + op.label);
    afterEdit();
  }
  function afterEdit() {
    dirty = canonical(draft) !== baseline;
    draw();
    theoryForm();
    showSelected();
    updateButtons();
    scheduleCheck();
    persist();
  }

  // ----- the history across a reload ------------------------------------------------
  function canonical(x) {
    // JSON with sorted keys: the draft and the theory read back from the file compare
    // equal whatever order their keys were added in.
    if (Array.isArray(x)) { return "[" + x.map(canonical).join(",") + "]"; }
    if (x && typeof x === "object") {
      return "{" + Object.keys(x).sort().map(function (k) { return JSON.stringify(k) + ":" + canonical(x[k]); }).join(",") + "}";
    }
    return JSON.stringify(x === undefined ? null : x);
  }
  function persist() {
    if (!canEdit) { return; }
    var keep = past.slice();
    for (;;) {
      try {
        sessionStorage.setItem(HISTORY_KEY, JSON.stringify({ base: baseline, past: keep, future: future, now: snapshot() }));
        return;
      } catch (e) {
        // Storage full (or refused): keep the newest steps that fit, else none.
        if (!keep.length) { try { sessionStorage.removeItem(HISTORY_KEY); } catch (e2) { /* no storage */ } return; }
        keep = keep.slice(Math.ceil(keep.length / 2));
      }
    }
  }
  function recall() {
    // The history this tab held before a reload, if theory.yaml is as the tab left it.
    var kept = null;
    try { kept = JSON.parse(sessionStorage.getItem(HISTORY_KEY) || "null"); } catch (e) { kept = null; }
    if (!kept || !Array.isArray(kept.past) || !Array.isArray(kept.future) || typeof kept.now !== "string") { return ""; }
    if (kept.base !== baseline) {
      try { sessionStorage.removeItem(HISTORY_KEY); } catch (e) { /* no storage */ }
      return "theory.yaml changed since this tab last had it: the undo history starts afresh.";
    }
    past = kept.past; future = kept.future;
    restore(kept.now);
    draft.nodes = draft.nodes || [];
    dirty = canonical(draft) !== baseline;
    if (dirty) { return "Your unsaved edits and their undo history are back from before the reload (not saved yet)."; }
    return past.length || future.length ? "The undo history is kept from before the reload." : "";
  }
  function updateButtons() {
    if (!canEdit) { return; }
    var u = $("ed-undo"), r = $("ed-redo");
    u.disabled = !past.length;
    r.disabled = !future.length;
    u.title = past.length ? "Undo " + past[past.length - 1].label : "Nothing to undo";
    r.title = future.length ? "Redo " + future[future.length - 1].label : "Nothing to redo";
    $("ed-delete").disabled = !selected;
  }

  // ----- drawing ---------------------------------------------------------------------
  function laneIndex(kind) {
    for (var i = 0; i < LANES.length; i++) { if (LANES[i].kinds.indexOf(kind) >= 0) { return i; } }
    return 0;
  }
  function title(node) { return node.label || String(node.id).replace(/_/g, " "); }
  function evidenceOf(key) { return state.evidence.find(function (e) { return e.edge === key; }); }

  function elements() {
    var els = [];
    (draft.nodes || []).forEach(function (n) {
      if (!n || typeof n.id !== "string") { return; }
      var classes = ["thing", "k-" + n.kind];
      if (!n.measure) { classes.push("unmeasured"); }
      els.push({ group: "nodes", data: { id: n.id, label: title(n) }, classes: classes.join(" ") });
    });
    var ids = {};
    els.forEach(function (e) { ids[e.data.id] = true; });
    (draft.edges || []).forEach(function (e) {
      if (!ids[e.from] || !ids[e.to]) { return; }
      var key = edgeKey(e), classes = [], label = "";
      if (e.assumption) {
        classes.push("assumption");
        var ev = evidenceOf(key);
        if (ev) {
          classes.push("has-evidence");
          if (ev.stale) { classes.push("stale"); }
          label = ev.verdict + (ev.stale ? "\n(stale)" : "");
        } else {
          label = "to test";
        }
      }
      var colour = "#767676";
      if (e.assumption) {
        var found = evidenceOf(key);
        colour = found ? (state.verdict_colours[found.verdict] || "#444444") : "#1a1a1a";
      }
      els.push({ group: "edges", data: { id: "e:" + key, key: key, source: e.from, target: e.to, label: label, colour: colour }, classes: classes.join(" ") });
    });
    return els;
  }

  function draw() {
    cy.batch(function () {
      cy.elements(".thing, edge").remove();
      cy.add(elements());
      var missing = [];
      cy.nodes(".thing").forEach(function (n) {
        var p = positions[n.id()];
        if (p) { n.position({ x: p.x, y: p.y }); } else { missing.push(n); }
      });
      missing.forEach(placeNew);
      markDiagnosis();
    });
    if (drawing) { cy.edges().style("events", "no"); }
    drawLanes();
    if (selected) {
      var found = cy.getElementById(selected.type === "node" ? selected.id : "e:" + selected.id);
      if (found.nonempty()) { found.select(); } else { selected = null; }
    }
  }

  function laneX() {
    // Each lane is as wide as the columns its nodes use (a mediator chain steps right).
    var xs = [], x = 0;
    LANES.forEach(function (lane, i) {
      var used = cy.nodes(".thing").filter(function (n) { return laneIndex(kindOf(n)) === i; });
      var left = x, right = x + COLUMN_W;
      used.forEach(function (n) { right = Math.max(right, n.position("x") + COLUMN_W / 2); });
      xs.push({ left: left, right: right });
      x = right + LANE_GAP;
    });
    return xs;
  }
  function kindOf(n) { var d = nodeOf(n.id()); return d ? d.kind : "context"; }

  function placeNew(n) {
    // A node without a position: at the bottom of its lane's first column.
    var i = laneIndex(kindOf(n)), bounds = laneBoundsFromPositions();
    var left = bounds[i].left, bottom = -Infinity;
    cy.nodes(".thing").forEach(function (m) {
      if (m.same(n) || !positions[m.id()]) { return; }
      if (laneIndex(kindOf(m)) === i) { bottom = Math.max(bottom, positions[m.id()].y); }
    });
    var p = { x: left + COLUMN_W / 2, y: bottom === -Infinity ? 0 : bottom + ROW_H };
    positions[n.id()] = p;
    n.position(p);
  }
  function laneBoundsFromPositions() {
    // Lane columns implied by the positions held (for placing a node before drawing).
    var lefts = [], x = 0;
    LANES.forEach(function (lane, i) {
      var right = x + COLUMN_W;
      (draft.nodes || []).forEach(function (d) {
        if (laneIndex(d.kind) === i && positions[d.id]) { right = Math.max(right, positions[d.id].x + COLUMN_W / 2); }
      });
      lefts.push({ left: x, right: right });
      x = right + LANE_GAP;
    });
    return lefts;
  }

  function drawLanes() {
    var things = cy.nodes(".thing");
    var top = 0, bottom = ROW_H;
    if (things.nonempty()) {
      var bb = things.boundingBox({ includeLabels: true, includeEdges: false });
      top = bb.y1; bottom = bb.y2;
    }
    var xs = laneX();
    cy.batch(function () {
      LANES.forEach(function (lane, i) {
        var data = {
          id: lane.id, label: lane.title,
          w: xs[i].right - xs[i].left + LANE_GAP / 2, h: bottom - top + 70
        };
        var pos = { x: (xs[i].left + xs[i].right) / 2, y: (top + bottom) / 2 - 15 };
        var existing = cy.getElementById(lane.id);
        if (existing.empty()) {
          existing = cy.add({ group: "nodes", data: data, classes: "lane", grabbable: false, selectable: false, locked: true });
        } else {
          existing.data(data);
        }
        existing.unlock(); existing.position(pos); existing.lock();
      });
    });
  }

  function layOut() {
    // Dagre orders the nodes (layered, few crossings); the lanes then place each kind in
    // its column. A lane takes a second column only for a chain inside it (a mediator
    // leading to another) or when it has more than LANE_ROWS nodes: every column more
    // makes the graph wider, and a wide graph is drawn small on a laptop's screen. The rows
    // are spread to the canvas's shape (up to MAX_ROW_H apart), so a small theory fills
    // the space instead of sitting in a thin band across it.
    var things = cy.nodes(".thing");
    if (things.empty()) { return {}; }
    things.union(cy.edges()).layout({ name: "dagre", rankDir: "LR", nodeSep: 18, rankSep: 80, animate: false, fit: false }).run();
    var lanes = LANES.map(function (lane, i) {
      var inLane = things.filter(function (n) { return laneIndex(kindOf(n)) === i; });
      var chained = inLane.edgesWith(inLane).nonempty();
      var ranks = [];
      inLane.forEach(function (n) { var r = Math.round(n.position("x")); if (ranks.indexOf(r) < 0) { ranks.push(r); } });
      ranks.sort(function (a, b) { return a - b; });
      var width = chained || inLane.length > LANE_ROWS ? Math.min(2, Math.max(1, ranks.length)) : 1;
      var columns = [];
      for (var k = 0; k < width; k++) { columns.push([]); }
      inLane.forEach(function (n) {
        var c = width === 1 ? 0 : chained ? ranks.indexOf(Math.round(n.position("x"))) % width : columns[0].length > columns[1].length ? 1 : 0;
        columns[c].push(n);
      });
      // In a column the nodes keep dagre's order (few crossings), one row apart, centred.
      columns.forEach(function (col) { col.sort(function (a, b) { return a.position("y") - b.position("y"); }); });
      return columns.filter(function (col) { return col.length; });
    });
    var nColumns = 0, rows = 1;
    lanes.forEach(function (columns) {
      nColumns += Math.max(1, columns.length);
      columns.forEach(function (col) { rows = Math.max(rows, col.length); });
    });
    var wide = nColumns * COLUMN_W + (LANES.length - 1) * LANE_GAP;
    var box = cy.container().getBoundingClientRect();
    var shape = box.width > 0 && box.height > 0 ? box.height / box.width : 0.6;
    var rowH = Math.max(ROW_H, Math.min(MAX_ROW_H, (shape * wide - 90) / Math.max(1, rows)));
    var out = {}, x = 0;
    lanes.forEach(function (columns) {
      columns.forEach(function (col, c) {
        col.forEach(function (n, row) {
          var offset = c * rowH / 2;  // the second column half a row down: arrows stay apart
          out[n.id()] = { x: x + c * COLUMN_W + COLUMN_W / 2, y: Math.round((row - (col.length - 1) / 2) * rowH + offset) };
        });
      });
      x += Math.max(1, columns.length) * COLUMN_W + LANE_GAP;
    });
    return out;
  }

  function fit() { cy.fit(cy.elements(), 24); }

  // ----- diagnostics -----------------------------------------------------------------
  function markDiagnosis() {
    cy.elements(".thing, edge").removeClass("d-error d-warning");
    if (!lastDiagnosis) { return; }
    lastDiagnosis.diagnostics.forEach(function (d) {
      var cls = d.severity === "error" ? "d-error" : d.severity === "warning" ? "d-warning" : null;
      if (!cls) { return; }
      d.nodes.forEach(function (id) { cy.getElementById(id).addClass(cls); });
      d.edges.forEach(function (key) { cy.getElementById("e:" + key).addClass(cls); });
    });
  }

  function scheduleCheck() {
    if (!canEdit) { return; }
    clearTimeout(checkTimer);
    checkTimer = setTimeout(check, 300);
  }
  function check() {
    var seq = ++checkSeq;
    api("POST", "/editor/check", { theory: draft }).then(function (r) {
      if (seq !== checkSeq) { return; }  // a newer check is under way
      if (r.ok) { showDiagnosis(r.data); } else { status("The check failed: " + (r.data && r.data.detail), "bad"); }
    });
  }

  function showDiagnosis(diagnosis) {
    lastDiagnosis = diagnosis;
    var list = $("ed-diagnostics");
    list.replaceChildren();
    // Identified assumptions are listed below; a checks list says what needs attention.
    var shown = diagnosis.diagnostics.filter(function (d) { return !/^identify-(?!none)/.test(d.rule); });
    if (!shown.length) { list.appendChild(el("li", { className: "ok" }, "No problems found.")); }
    shown.forEach(function (d) {
      var li = el("li", { className: "sev-" + d.severity, "data-rule": d.rule });
      li.appendChild(el("strong", {}, d.severity + ": "));
      li.appendChild(document.createTextNode(d.message));
      if (d.hint) { li.appendChild(el("span", { className: "hint" }, " " + d.hint)); }
      li.addEventListener("click", function () {
        cy.elements().unselect();
        d.nodes.forEach(function (id) { cy.getElementById(id).select(); });
        d.edges.forEach(function (key) { cy.getElementById("e:" + key).select(); });
      });
      list.appendChild(li);
    });
    var ids = $("ed-identifications");
    ids.replaceChildren();
    if (!diagnosis.identifications.length) { ids.appendChild(el("li", { className: "muted" }, "No assumption arrows, or the graph has a cycle.")); }
    diagnosis.identifications.forEach(function (i) {
      var li = el("li", { className: i.strategy === "none" ? "sev-error" : "" });
      li.appendChild(el("strong", {}, i.treatment + " → " + i.outcome + ": "));
      li.appendChild(document.createTextNode(i.explanation || i.strategy));
      ids.appendChild(li);
    });
    draw();
    var errors = diagnosis.diagnostics.filter(function (d) { return d.severity === "error"; }).length;
    if (canEdit && $("ed-save-button")) { $("ed-save-button").title = errors ? errors + " error(s): fix them before saving" : "Save to theory.yaml"; }
  }

  // ----- the side panel: the selected node or arrow ------------------------------------
  function field(form, labelText, input) {
    var label = el("label", {}, labelText);
    label.appendChild(input);
    form.appendChild(label);
    return input;
  }
  function textInput(value, attrs) {
    var i = el("input", Object.assign({ type: "text" }, attrs || {}));
    i.value = value === undefined || value === null ? "" : String(value);
    if (!canEdit) { i.readOnly = true; }
    return i;
  }
  function textArea(value) {
    var t = el("textarea", { rows: "3" });
    t.value = value || "";
    if (!canEdit) { t.readOnly = true; }
    return t;
  }
  function select(options, value) {
    var s = el("select");
    options.forEach(function (o) {
      var opt = el("option", { value: o[0] }, o[1]);
      if (o[0] === value) { opt.selected = true; }
      s.appendChild(opt);
    });
    if (!canEdit) { s.disabled = true; }
    return s;
  }
  function onChange(input, label, apply) {
    input.addEventListener("change", function () { edit(label, function () { apply(input.value); }); });
  }
  function setOrDrop(obj, key, value) {
    if (value === "" || value === null || value === undefined) { delete obj[key]; } else { obj[key] = value; }
  }
  function numberOrNull(text) {
    if (text === "" || text === null) { return null; }
    var v = Number(text);
    return isFinite(v) ? v : text;  // a non-number goes to the check, which says so
  }

  function measureValue(m) {
    if (!m) { return ""; }
    if (m.table === "outcomes") { return "outcomes|" + (m.outcome || ""); }
    return (m.table || "") + "|" + (m.column || "");
  }
  function measureOptions(current) {
    var opts = [["", "(not measured)"]];
    state.columns.forEach(function (c) {
      var missing = Math.round(c.missing_share * 100);
      opts.push([c.table + "|" + c.column, c.table + "." + c.column + " · " + c.logical_type + " · " + missing + "% missing"]);
    });
    state.outcomes.forEach(function (o) { opts.push(["outcomes|" + o, "outcome: " + o]); });
    if (current && !opts.some(function (o) { return o[0] === current; })) {
      opts.push([current, current.replace("|", ".") + " (not in the store)"]);
    }
    return opts;
  }

  function nodeForm(n) {
    var form = $("ed-node-form");
    form.replaceChildren();
    form.appendChild(el("h3", {}, title(n)));
    var idInput = field(form, "id", textInput(n.id, { pattern: "[A-Za-z_][A-Za-z0-9_]*", spellcheck: "false" }));
    idInput.id = "ed-node-id";
    idInput.addEventListener("change", function () { renameNode(n.id, idInput.value.trim(), idInput); });
    onChange(field(form, "label", textInput(n.label)), "change the label of '" + n.id + "'", function (v) { setOrDrop(nodeOf(n.id), "label", v); });
    var kinds = Object.keys(KIND_LABEL).map(function (k) { return [k, KIND_LABEL[k]]; });
    onChange(field(form, "kind", select(kinds, n.kind)), "change the kind of '" + n.id + "'", function (v) {
      var node = nodeOf(n.id);
      node.kind = v;
      if (v !== "intervention" && v !== "service_quality") { delete node.counterfactual; }
      delete positions[n.id];  // it moves to its new lane
    });
    onChange(field(form, "description", textArea(n.description)), "change the description of '" + n.id + "'", function (v) { setOrDrop(nodeOf(n.id), "description", v); });
    var current = measureValue(n.measure);
    var measure = field(form, "measured by", select(measureOptions(current), current));
    measure.id = "ed-measure";
    onChange(measure, "change the measure of '" + n.id + "'", function (v) {
      var node = nodeOf(n.id), old = node.measure || {};
      if (!v) { delete node.measure; return; }
      var parts = v.split("|"), table = parts[0], name = parts.slice(1).join("|");
      var m = table === "outcomes" ? { table: "outcomes", outcome: name } : { table: table, column: name };
      if (old.table === table) {
        ["aggregate", "within_days", "at_day"].forEach(function (k) { if (old[k] !== undefined) { m[k] = old[k]; } });
      }
      if (table === "touchpoints" && !m.aggregate) { m.aggregate = "mean"; }
      node.measure = m;
    });
    if (n.measure && n.measure.table && n.measure.table !== "clients" && n.measure.table !== "outcomes") {
      var aggs = ["mean", "sum", "count", "min", "max", "share_true", "first", "last", "any"].map(function (a) { return [a, a]; });
      onChange(field(form, "per client, the", select(aggs, n.measure.aggregate || "mean")), "change how '" + n.id + "' is summed up", function (v) { nodeOf(n.id).measure.aggregate = v; });
      onChange(field(form, "within days of enrolment", textInput(n.measure.within_days, { inputmode: "numeric" })), "change the window of '" + n.id + "'", function (v) { setOrDrop(nodeOf(n.id).measure, "within_days", numberOrNull(v)); });
    }
    if (n.measure && n.measure.table === "outcomes") {
      onChange(field(form, "at day", textInput(n.measure.at_day, { inputmode: "numeric" })), "change the day of '" + n.id + "'", function (v) { setOrDrop(nodeOf(n.id).measure, "at_day", numberOrNull(v)); });
    }
    if (n.kind === "intervention" || n.kind === "service_quality") {
      var cf = field(form, "counterfactual: what would be different for clients without it?", textArea(n.counterfactual));
      cf.id = "ed-counterfactual";
      onChange(cf, "change the counterfactual of '" + n.id + "'", function (v) { setOrDrop(nodeOf(n.id), "counterfactual", v); });
    }
    form.hidden = false;
  }

  function theoryForm() {
    // The theory-wide fields: the question the evidence answers and the counterfactual
    // of the whole program (each intervention's own is on its node).
    var form = $("ed-theory-form");
    form.replaceChildren();
    var q = field(form, "question: what should the evidence answer?", textArea(draft.question));
    q.id = "ed-question";
    onChange(q, "change the question", function (v) { setOrDrop(draft, "question", v); });
    var c = field(form, "counterfactual: what would be different for clients without this program?", textArea(draft.counterfactual));
    c.id = "ed-theory-counterfactual";
    onChange(c, "change the counterfactual", function (v) { setOrDrop(draft, "counterfactual", v); });
  }

  function edgeForm(e) {
    var form = $("ed-edge-form"), key = edgeKey(e);
    form.replaceChildren();
    form.appendChild(el("h3", {}, key));
    var ev = evidenceOf(key);
    if (ev) { form.appendChild(el("p", { className: "ed-evidence" + (ev.stale ? " stale" : "") }, evidenceText(ev))); }
    var box = el("input", { type: "checkbox", id: "ed-is-assumption" });
    box.checked = !!e.assumption;
    if (!canEdit) { box.disabled = true; }
    var boxLabel = el("label", { className: "check" });
    boxLabel.appendChild(box);
    boxLabel.appendChild(document.createTextNode(" a belief to test (an assumption card)"));
    form.appendChild(boxLabel);
    box.addEventListener("change", function () {
      edit((box.checked ? "add an assumption to " : "remove the assumption of ") + key, function () {
        var edge = edgeOf(key);
        if (box.checked) { edge.assumption = { claim: "", expected: "increase" }; } else { delete edge.assumption; }
      });
    });
    if (!e.assumption) { form.hidden = false; return; }
    var a = e.assumption;
    function on(input, what, apply) { onChange(input, "change the " + what + " of " + key, function (v) { apply(edgeOf(key).assumption, v); }); }
    var claim = field(form, "claim", textInput(a.claim, { placeholder: "e.g. Respectful treatment keeps people housed" }));
    claim.id = "ed-claim";
    on(claim, "claim", function (as, v) { as.claim = v; });
    on(field(form, "expected direction", select([["increase", "increase"], ["decrease", "decrease"], ["none", "no effect"]], a.expected)), "expected direction", function (as, v) { as.expected = v; });
    var prior = a.prior || {};
    function setPrior(part) {
      return function (as, v) {
        var p = as.prior || {};
        setOrDrop(p, part, numberOrNull(v));
        if (Object.keys(p).length) { as.prior = p; } else { delete as.prior; }
      };
    }
    on(field(form, "prior: mean effect", textInput(prior.mean, { inputmode: "decimal" })), "prior mean", setPrior("mean"));
    on(field(form, "prior: uncertainty (sd)", textInput(prior.sd, { inputmode: "decimal" })), "prior sd", setPrior("sd"));
    on(field(form, "source", textInput(a.source, { placeholder: "who said so, when" })), "source", function (as, v) { setOrDrop(as, "source", v); });
    on(field(form, "estimand", select([["ATE", "ATE: everyone"], ["ATT", "ATT: those who got it"], ["ATC", "ATC: those who did not"]], a.estimand || "ATE")), "estimand", function (as, v) { as.estimand = v; });
    on(field(form, "smallest effect that matters", textInput(a.min_effect, { inputmode: "decimal" })), "smallest effect that matters", function (as, v) { setOrDrop(as, "min_effect", numberOrNull(v)); });
    form.hidden = false;
  }

  function showSelected() {
    $("ed-node-form").hidden = true;
    $("ed-edge-form").hidden = true;
    $("ed-nothing").hidden = !!selected;
    if (!selected) { return; }
    if (selected.type === "node") {
      var n = nodeOf(selected.id);
      if (n) { nodeForm(n); } else { selected = null; $("ed-nothing").hidden = false; }
    } else {
      var e = edgeOf(selected.id);
      if (e) { edgeForm(e); } else { selected = null; $("ed-nothing").hidden = false; }
    }
    updateButtons();
  }

  function evidenceText(ev) {
    var fmt = function (v) { return v === null || v === undefined ? "?" : Number(v).toPrecision(2); };
    var text = ev.verdict;
    if (ev.estimate !== null && ev.estimate !== undefined) {
      text += ": " + fmt(ev.estimate) + " (95% interval " + fmt(ev.ci_low) + " to " + fmt(ev.ci_high) + ")" + (ev.unit ? " " + ev.unit : "");
    }
    if (ev.adjustment_set && ev.adjustment_set.length) { text += "; adjusted for " + ev.adjustment_set.join(", "); }
    if (ev.stale) { text += ". Stale: " + (ev.stale_reasons.join("; ") || "changed since the run") + "; run `decisionframe analyze` again"; }
    return text;
  }

  // ----- actions ---------------------------------------------------------------------
  function addNode(event) {
    event.preventDefault();
    var id = $("ed-add-id").value.trim(), kind = $("ed-add-kind").value;
    if (!ID_PATTERN.test(id)) { status("A node id is letters, digits and _ (not starting with a digit).", "bad"); return; }
    if (nodeOf(id)) { status("There is already a node '" + id + "'.", "bad"); return; }
    edit("add node '" + id + "'", function () { draft.nodes.push({ id: id, kind: kind }); });
    selected = { type: "node", id: id };
    $("ed-add-id").value = "";
    draw(); showSelected(); fit();
  }
  function renameNode(from, to, input) {
    // The server renames (theory.editing.rename_node: arrows, the decision's objective
    // and levers follow; a clash is refused); the rename is then one undoable edit.
    if (to === from) { return; }
    api("POST", "/editor/rename", { theory: draft, old: from, new: to }).then(function (r) {
      if (!r.ok) {
        var p = r.data && r.data.problems && r.data.problems[0];
        status("Not renamed: " + (p ? p.message + " (" + p.hint + ")" : (r.data && r.data.detail) || r.status), "bad");
        input.value = from;
        return;
      }
      selected = { type: "node", id: to };
      edit("rename node '" + from + "' to '" + to + "'", function () {
        draft = r.data.theory;
        if (positions[from]) { positions[to] = positions[from]; delete positions[from]; }
      });
      status("Renamed '" + from + "' to '" + to + "'; its arrows follow.");
    });
  }
  function deleteSelected() {
    if (!selected) { return; }
    var s = selected;
    selected = null;
    if (s.type === "node") {
      edit("delete node '" + s.id + "'", function () {
        draft.nodes = draft.nodes.filter(function (n) { return n.id !== s.id; });
        draft.edges = (draft.edges || []).filter(function (e) { return e.from !== s.id && e.to !== s.id; });
        delete positions[s.id];
      });
    } else {
      edit("delete arrow " + s.id, function () {
        draft.edges = draft.edges.filter(function (e) { return edgeKey(e) !== s.id; });
      });
    }
  }
  function addArrow(from, to) {
    if (from === to || edgeOf(from + " -> " + to)) { return; }
    edit("add arrow " + from + " -> " + to, function () {
      draft.edges = draft.edges || [];
      draft.edges.push({ from: from, to: to });
    });
  }

  function save(event) {
    event.preventDefault();
    status("Saving…");
    var sent = canonical(draft);
    api("POST", "/editor/save", { theory: draft, positions: positions, message: $("ed-message").value }).then(function (r) {
      if (r.ok) {
        baseline = sent;
        dirty = canonical(draft) !== baseline;
        persist();
        $("ed-message").value = "";
        status(r.data.saved ? "Saved theory.yaml (" + r.data.version.summary + ")" : "Saved the layout; theory.yaml was already the same.", "good");
        loadVersions();
        refreshEvidence();
      } else {
        var problems = (r.data && r.data.problems) || [];
        status("Not saved: " + ((r.data && r.data.detail) || r.status), "bad");
        if (problems.length) {
          showDiagnosis({ diagnostics: problems.map(function (p) { return { rule: p.rule, severity: "error", message: p.message, hint: p.hint, nodes: [], edges: [] }; }), identifications: [] });
        }
      }
    });
  }

  function refreshEvidence() {
    api("GET", "/editor/state.json").then(function (r) {
      if (r.ok) { state.evidence = r.data.evidence; draw(); }
    });
  }

  function loadVersions() {
    api("GET", "/editor/versions.json").then(function (r) {
      var list = $("ed-versions");
      list.replaceChildren();
      if (!r.ok) { return; }
      if (!r.data.versions.length) { list.appendChild(el("li", { className: "muted" }, "No version saved from the editor yet.")); }
      r.data.versions.slice(0, 30).forEach(function (v) {
        var li = el("li"), details = el("details"), summary = el("summary", {}, v.summary);
        details.appendChild(summary);
        details.appendChild(el("pre", { className: "diff" }, v.diff || "(no change)"));
        li.appendChild(details);
        list.appendChild(li);
      });
    });
  }

  function implications() {
    var list = $("ed-implications-list");
    list.replaceChildren(el("li", { className: "muted" }, "Testing…"));
    api("POST", "/editor/implications", { theory: draft }).then(function (r) {
      list.replaceChildren();
      if (!r.ok) { list.appendChild(el("li", { className: "sev-error" }, (r.data && r.data.detail) || "failed")); return; }
      list.appendChild(el("li", { className: "muted" }, r.data.summary));
      r.data.tests.forEach(function (t) {
        var li = el("li", { className: t.verdict === "fails" ? "sev-warning" : "" });
        li.appendChild(el("strong", {}, t.verdict + ": "));
        li.appendChild(document.createTextNode(t.sentence));
        list.appendChild(li);
      });
    });
  }

  function dagittyExport() {
    api("POST", "/editor/dagitty/export", { theory: draft }).then(function (r) {
      if (r.ok) { $("ed-dagitty-text").value = r.data.text; status("Exported the draft as DAGitty text."); } else { status("Not exported: " + r.data.detail, "bad"); }
    });
  }
  function dagittyImport() {
    api("POST", "/editor/dagitty/import", { theory: draft, text: $("ed-dagitty-text").value }).then(function (r) {
      if (!r.ok) { status("Not imported: " + ((r.data && r.data.detail) || r.status), "bad"); return; }
      edit("import DAGitty text", function () {
        draft = r.data.theory;
        var keep = {};
        draft.nodes.forEach(function (n) { if (positions[n.id]) { keep[n.id] = positions[n.id]; } });
        positions = keep;
      });
      status("Imported: " + draft.nodes.length + " nodes, " + (draft.edges || []).length + " arrows (not saved yet).");
    });
  }

  // ----- the graph ---------------------------------------------------------------------
  function style() {
    return [
      { selector: "node.thing", style: {
        "shape": "round-rectangle", "width": NODE_W, "height": 54, "label": "data(label)",
        "text-wrap": "wrap", "text-max-width": NODE_W - 12, "text-valign": "center", "text-halign": "center",
        "font-size": 13, "font-family": "system-ui, sans-serif", "color": "#1a1a1a",
        "background-color": "#ffffff", "border-width": 2, "border-color": "#444444", "z-index-compare": "manual", "z-index": 10 } },
      { selector: "node.k-intervention", style: { "border-color": "#0072B2", "background-color": "#e8f1f8" } },
      { selector: "node.k-service_quality", style: { "border-color": "#009E73", "background-color": "#e6f5f0" } },
      { selector: "node.k-mediator", style: { "border-color": "#CC79A7", "background-color": "#f9eef4" } },
      { selector: "node.k-outcome", style: { "border-color": "#D55E00", "background-color": "#fbece3", "border-width": 3 } },
      { selector: "node.k-context", style: { "border-color": "#555555", "background-color": "#f2f2f2" } },
      { selector: "node.unmeasured", style: { "border-style": "dashed" } },
      { selector: "node.d-warning", style: { "underlay-color": "#E69F00", "underlay-opacity": 0.45, "underlay-padding": 6 } },
      { selector: "node.d-error", style: { "underlay-color": "#a63c00", "underlay-opacity": 0.55, "underlay-padding": 7 } },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#1a1a1a" } },
      { selector: "node.lane", style: {
        "shape": "rectangle", "width": "data(w)", "height": "data(h)", "background-color": "#f7f7f7",
        "background-opacity": 1, "border-width": 0, "label": "data(label)", "text-valign": "top",
        "text-halign": "center", "font-size": 13, "font-weight": "bold", "color": "#555555",
        "text-margin-y": 22, "events": "no", "z-index-compare": "manual", "z-index": 0 } },
      { selector: "edge", style: {
        "curve-style": "bezier", "target-arrow-shape": "triangle", "width": 1.5, "line-color": "data(colour)",
        "target-arrow-color": "data(colour)", "arrow-scale": 1.1, "z-index-compare": "manual", "z-index": 5 } },
      // The verdict is written beside the arrow's cause, not at its middle: arrows into one
      // outcome meet there, and their labels hid one another behind the nodes in between.
      { selector: "edge.assumption", style: {
        "width": 4, "source-label": "data(label)", "source-text-offset": 60, "font-size": 12,
        "font-weight": "bold", "color": "data(colour)", "text-wrap": "wrap", "text-max-width": 90,
        "text-background-color": "#ffffff", "text-background-opacity": 0.92, "text-background-padding": 2,
        "text-background-shape": "round-rectangle" } },
      { selector: "edge.stale", style: { "line-style": "dashed", "line-dash-pattern": [8, 4] } },
      { selector: "edge.d-warning", style: { "underlay-color": "#E69F00", "underlay-opacity": 0.4, "underlay-padding": 4 } },
      { selector: "edge.d-error", style: { "underlay-color": "#a63c00", "underlay-opacity": 0.5, "underlay-padding": 5 } },
      { selector: "edge:selected", style: { "overlay-color": "#1a1a1a", "overlay-opacity": 0.15, "overlay-padding": 6 } },
      { selector: ".eh-handle", style: { "background-color": "#1a1a1a", "width": 12, "height": 12, "shape": "ellipse", "overlay-opacity": 0 } },
      { selector: ".eh-preview, .eh-ghost-edge", style: { "line-color": "#0072B2", "target-arrow-color": "#0072B2", "target-arrow-shape": "triangle", "width": 2 } },
      { selector: ".eh-ghost-edge.eh-preview-active", style: { "opacity": 0 } }
    ];
  }

  function tip(event) {
    var t = $("ed-tip"), key = event.target.data("key"), e = edgeOf(key);
    if (!e) { return; }
    var ev = evidenceOf(key);
    var lines = [key];
    if (e.assumption && e.assumption.claim) { lines.push(e.assumption.claim); }
    if (e.assumption) { lines.push(ev ? evidenceText(ev) : "not analysed yet: run `decisionframe analyze`"); }
    t.replaceChildren();
    lines.forEach(function (line, i) { t.appendChild(el(i ? "div" : "strong", {}, line)); });
    var p = event.renderedPosition || event.target.renderedMidpoint();
    t.style.left = Math.round(p.x + 12) + "px";
    t.style.top = Math.round(p.y + 12) + "px";
    t.hidden = false;
  }

  function start(data) {
    state = data;
    draft = clone(data.theory || {});
    draft.nodes = draft.nodes || [];
    positions = clone(data.positions || {});
    baseline = canonical(draft);
    var recalled = canEdit ? recall() : "";
    if (typeof window.cytoscapeDagre === "function") { try { cytoscape.use(window.cytoscapeDagre); } catch (e) { /* registered already */ } }
    cy = cytoscape({
      container: $("ed-canvas"), style: style(),
      boxSelectionEnabled: false, autoungrabify: !canEdit, minZoom: 0.2, maxZoom: 2.5
    });
    cy.add(elements());
    var need = draft.nodes.some(function (n) { return !positions[n.id]; });
    if (need) {
      var laid = layOut();
      draft.nodes.forEach(function (n) { if (!positions[n.id]) { positions[n.id] = laid[n.id]; } });
    }
    draw();
    fit();
    window.dfEditor = { cy: cy, draft: function () { return draft; }, history: function () { return past.map(function (o) { return o.label; }); } };

    cy.on("tap", function (event) {
      if (event.target === cy) { selected = null; showSelected(); updateButtons(); }
    });
    cy.on("tap", "node.thing", function (event) { selected = { type: "node", id: event.target.id() }; showSelected(); });
    cy.on("tap", "edge", function (event) { selected = { type: "edge", id: event.target.data("key") }; showSelected(); });
    cy.on("mouseover", "edge", tip);
    cy.on("mouseout", "edge", function () { $("ed-tip").hidden = true; });
    cy.on("dragfree", "node.thing", function (event) {
      var n = event.target, p = n.position();
      edit("move node '" + n.id() + "'", function () { positions[n.id()] = { x: Math.round(p.x), y: Math.round(p.y) }; });
    });
    $("ed-layout").addEventListener("click", function () {
      var laid = layOut();
      if (canEdit) { edit("lay out again", function () { positions = laid; }); } else { positions = laid; draw(); }
      fit();
    });
    if (canEdit) {
      eh = cy.edgehandles({
        canConnect: function (s, t) { return s.hasClass("thing") && t.hasClass("thing") && !s.same(t) && !edgeOf(s.id() + " -> " + t.id()); },
        edgeParams: function () { return { data: { colour: "#0072B2" } }; },
        hoverDelay: 100, snap: true, snapThreshold: 30, snapFrequency: 15, noEdgeEventsInDraw: true, disableBrowserGestures: true
      });
      cy.on("ehcomplete", function (event, source, target, added) {
        added.remove();
        addArrow(source.id(), target.id());
      });
      $("ed-draw").addEventListener("click", function () {
        var on = this.getAttribute("aria-pressed") !== "true";
        this.setAttribute("aria-pressed", on ? "true" : "false");
        // While drawing, arrows ignore the mouse: one passing over a node must not catch
        // the drag meant for the node.
        cy.edges().style("events", on ? "no" : "yes");
        drawing = on;
        if (on) { eh.enableDrawMode(); status("Drag from a cause to its effect to draw an arrow."); } else { eh.disableDrawMode(); status(""); }
      });
      $("ed-add").addEventListener("submit", addNode);
      $("ed-delete").addEventListener("click", deleteSelected);
      $("ed-undo").addEventListener("click", undo);
      $("ed-redo").addEventListener("click", redo);
      $("ed-save").addEventListener("submit", save);
      $("ed-implications").addEventListener("click", implications);
      $("ed-dagitty-export").addEventListener("click", dagittyExport);
      $("ed-dagitty-import").addEventListener("click", dagittyImport);
      document.addEventListener("keydown", function (event) {
        var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement && document.activeElement.tagName);
        if (typing) { return; }
        var mod = event.ctrlKey || event.metaKey;
        if (mod && event.key.toLowerCase() === "z" && !event.shiftKey) { event.preventDefault(); undo(); }
        else if (mod && (event.key.toLowerCase() === "y" || (event.key.toLowerCase() === "z" && event.shiftKey))) { event.preventDefault(); redo(); }
        else if ((event.key === "Delete" || event.key === "Backspace") && selected) { event.preventDefault(); deleteSelected(); }
      });
      window.addEventListener("beforeunload", function (event) { if (dirty) { event.preventDefault(); event.returnValue = ""; } });
    }
    showDiagnosis(data.diagnosis);
    theoryForm();
    showSelected();
    updateButtons();
    loadVersions();
    if (recalled) { status(recalled); }
    if (dirty) { scheduleCheck(); }
    root.setAttribute("data-ready", "yes");
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = $("editor");
    if (!root) { return; }
    canEdit = root.getAttribute("data-can-edit") === "yes";
    var meta = document.querySelector('meta[name="csrf-token"]');
    csrf = meta ? meta.getAttribute("content") : "";
    api("GET", "/editor/state.json").then(function (r) {
      if (!r.ok) { status("Could not load the theory: " + ((r.data && r.data.detail) || r.status), "bad"); return; }
      start(r.data);
    });
  });
})();
