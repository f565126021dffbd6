"""The report's context for the pages, built once per state of the project.

``report_context`` (the report's own builder: words, charts, disclosure) reads and parses
the saved runs, which takes a while on a big project; the pages ask for it on every
request. So it is kept, keyed by what it depends on: the newest run id of each kind it
shows, the theory file's hash and the newest import batch. A new run, an edited theory or
a re-import changes the key, and the next request builds it afresh: the pages are live.

The key itself is read at most once a second (``KEY_SECONDS``): opening the DuckDB file
costs tens of milliseconds, too much for every page under load. A run the app starts
itself forgets the key when it ends (``forget``), so its pages change at once; a run from
the command line shows within a second.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from decisionframe.report.build import report_context
from decisionframe.runs import current_imports, latest_run_id, theory_hash
from decisionframe.web.state import WebState

KINDS = ("analyze", "decide", "demand", "voice", "initiatives", "profiles")
KEY_SECONDS = 1.0
_lock = threading.Lock()


def context_key(state: WebState) -> tuple[Any, ...]:
    """What the pages depend on: the newest run of each kind, the theory, the import."""
    now = time.monotonic()
    checked = state.cache.get("context_key")
    if checked is not None and now - checked[0] < KEY_SECONDS:
        return tuple(checked[1])
    project = state.project()
    if not project.has_store():
        key: tuple[Any, ...] = (None,) * len(KINDS) + (theory_hash(project.theory_path), None)
    else:
        with state.read() as store:
            runs = tuple(latest_run_id(store, kind) for kind in KINDS)
            batch = next((f.batch_id for f in current_imports(store)), None)
        key = (*runs, theory_hash(project.theory_path), batch)
    state.cache["context_key"] = (now, key)
    return key


def forget(state: WebState) -> None:
    """Read the key afresh at the next request (after a write the app made itself)."""
    state.cache.pop("context_key", None)


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
