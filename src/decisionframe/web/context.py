"""The report's context for the pages, built once per state of the project.

``report_context`` (the report's own builder: words, charts, disclosure) reads and parses
the saved runs, which takes a while on a big project; the pages ask for it on every
request. So it is kept, keyed by what it depends on: the newest run id of each kind it
shows, the theory file's hash and the newest import batch. A new run, an edited theory or
a re-import changes the key, and the next request builds it afresh: the pages are live.

The key itself is read from the store only when a file changed (``WebState.stamp``:
the store's files, the theory, the config); otherwise four ``stat`` calls stand for it,
so a page under load opens no DuckDB connection at all. A change by this process, another
worker or the command line shows at the next request. One request reads the new key while
the others wait for it (reading it in every thread at once was a quarter of the app's time
under load). While another process holds the store (a run from the command line or
another worker), the last key is kept and asked again at the next request. A PostgreSQL
store has no file to stat: its key is read at most once a second (``KEY_SECONDS``).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from decisionframe.report.build import report_context
from decisionframe.runs import current_imports, latest_run_id, theory_hash
from decisionframe.store.duckdb_store import StoreLockedError
from decisionframe.web.state import LOCK_WAIT, WebState

KINDS = ("analyze", "decide", "demand", "voice", "initiatives", "profiles")
KEY_SECONDS = 1.0
_lock = threading.Lock()
_key_lock = threading.Lock()


def context_key(state: WebState) -> tuple[Any, ...]:
    """What the pages depend on: the newest run of each kind, the theory, the import."""
    stamp = state.stamp()
    checked = state.cache.get("context_key")
    if checked is not None and _fresh(checked, stamp):
        return tuple(checked[2])
    with _key_lock:
        checked = state.cache.get("context_key")
        if checked is not None and _fresh(checked, stamp):
            return tuple(checked[2])
        project = state.project()
        if not project.has_store():
            key: tuple[Any, ...] = (None,) * len(KINDS) + (theory_hash(project.theory_path), None)
        else:
            try:
                with state.read(wait=0 if checked is not None else LOCK_WAIT) as store:
                    runs = tuple(latest_run_id(store, kind) for kind in KINDS)
                    batch = next((f.batch_id for f in current_imports(store)), None)
            except StoreLockedError:
                if checked is None:
                    raise
                return tuple(checked[2])  # busy elsewhere: the last key, asked again next time
            key = (*runs, theory_hash(project.theory_path), batch)
        state.cache["context_key"] = (time.monotonic(), stamp, key)
        return key


def _fresh(checked: Any, stamp: Any) -> bool:
    if stamp is None:  # no file tells: at most once a second
        return checked[1] is None and time.monotonic() - checked[0] < KEY_SECONDS
    return bool(checked[1] == stamp)


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
