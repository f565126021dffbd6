"""The report's context for the pages, built once per state of the project.

``report_context`` (the report's own builder: words, charts, disclosure) reads and parses
the saved runs, which takes a while on a big project; the pages ask for it on every
request. So it is kept, keyed by what it depends on: the newest run id of each kind it
shows, the theory file's hash and the newest import batch. A new run, an edited theory or
a re-import changes the key, and the next request builds it afresh: the pages are live.
"""

from __future__ import annotations

import threading
from typing import Any

from decisionframe.report.build import report_context
from decisionframe.runs import current_imports, latest_run_id, theory_hash
from decisionframe.web.state import WebState

KINDS = ("analyze", "decide", "demand", "voice")
_lock = threading.Lock()


def context_key(state: WebState) -> tuple[Any, ...]:
    project = state.project()
    with state.read() as store:
        runs = tuple(latest_run_id(store, kind) for kind in KINDS)
        batch = next((f.batch_id for f in current_imports(store)), None)
    return (*runs, theory_hash(project.theory_path), batch)


def published_context(state: WebState) -> dict[str, Any]:
    """The report's context (stale runs included: each page says what is out of date)."""
    key = context_key(state)
    cached = state.cache.get("context")
    if cached is not None and cached[0] == key:
        return dict(cached[1])
    with _lock:  # one build at a time; the others wait and take it
        cached = state.cache.get("context")
        if cached is not None and cached[0] == key:
            return dict(cached[1])
        project = state.project()
        context = report_context(project, allow_stale=True) if project.has_store() else {}
        state.cache["context"] = (key, context)
        return dict(context)
