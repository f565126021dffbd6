"""What the running app holds: the project folder, sessions, the login limiter, the
background runs, what it keeps between requests, and how the store is opened.

DuckDB lets one process open a database file with one configuration only, and pages read
while logins, labels, the audit log and a background analysis write. So the web process
opens every store connection read-write (``open_read_write_only``); reads run side by side
(DuckDB's MVCC), writes take one lock so two writes never race on the same row. A
connection is held for one request only, so `decisionframe` commands in another process
(and the other workers of ``serve --workers N``) can open the store between requests; one
that finds it open waits a little and tries again (``LOCK_WAIT``).

What pages are built from changes only when a file changes: decisionframe.yaml, the
theory, the store (DuckDB writes every commit to its ``.wal`` file and folds it into the
database file on close; a read changes neither). ``stamp()`` is their stat signatures,
four ``stat`` calls: pages are kept per stamp and rebuilt at the first request after any
change, by this process, another worker or the CLI, without opening the store to ask.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from decisionframe.accounts import Role, list_users
from decisionframe.config import CONFIG_FILE
from decisionframe.project import Project
from decisionframe.store.base import Store
from decisionframe.store.duckdb_store import StoreLockedError, lock_wait_override
from decisionframe.web.auth import LoginLimiter, Sessions

T = TypeVar("T")
LOCK_WAIT = 10.0  # seconds a request waits for another process to close the store
PAGES_KEPT = 512  # built pages kept (per path, query, user and stamp), least recent dropped
Stamp = tuple[Any, ...]


@dataclass
class WebState:
    directory: Path
    sessions: Sessions = field(default_factory=Sessions)
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    https: bool = False
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    jobs: Any = None  # web.jobs.Jobs, set by the app factory
    _accounts: tuple[float, Stamp | None, dict[str, Role]] = (0.0, None, {})
    cache: dict[str, Any] = field(default_factory=dict)
    pages: OrderedDict[tuple[Any, ...], Any] = field(default_factory=OrderedDict)
    generation: int = 0  # bumped by every write this process makes (belt and braces)
    _pages_lock: threading.Lock = field(default_factory=threading.Lock)
    _building: dict[tuple[Any, ...], threading.Lock] = field(default_factory=dict)

    _project: tuple[tuple[int, int, int], Project] | None = None
    _paths: tuple[Project, tuple[Path, ...]] | None = None

    def project(self) -> Project:
        """The project as it is now on disk: read again whenever decisionframe.yaml changes
        (its modification time, size or inode differ), not on every request (parsing the
        YAML with line tracking was a tenth of a page's time)."""
        try:
            info = (self.directory / CONFIG_FILE).stat()
        except OSError:
            return Project(self.directory)  # gone: Project says so, located
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        kept = self._project
        if kept is not None and kept[0] == stamp:
            return kept[1]
        project = Project(self.directory)
        self._project = (stamp, project)
        return project

    def stamp(self) -> Stamp | None:
        """The stat signatures of everything the pages read (see the module docstring);
        None for a PostgreSQL store, whose changes no file shows."""
        project = self.project()
        if project.config.uses_database:
            return None
        parts: list[Any] = [self.generation]
        for path in self._watched(project):
            try:
                info = os.stat(path)
            except OSError:
                parts.append(None)
            else:
                parts.append((info.st_mtime_ns, info.st_size, info.st_ino))
        return tuple(parts)

    def _watched(self, project: Project) -> tuple[Path, ...]:
        """The files ``stamp`` looks at, worked out once per parsed config (resolving the
        store's path follows symlinks: too slow for every request)."""
        kept = self._paths
        if kept is not None and kept[0] is project:
            return kept[1]
        store = project.store_path
        paths = (
            self.directory / CONFIG_FILE,
            project.theory_path,
            store,
            store.with_name(store.name + ".wal"),
        )
        self._paths = (project, paths)
        return paths

    def kept_page(self, key: tuple[Any, ...], build: Callable[[], T]) -> T:
        """``build()``, kept under ``key`` + the stamp until a file changes (PostgreSQL
        stores: built every time). Requests for the same missing page wait for the one
        building it (twenty users arriving together build the labelling queue once, not
        twenty times side by side on one core)."""
        stamp = self.stamp()
        if stamp is None:
            return build()
        full = (*key, stamp)
        with self._pages_lock:
            if full in self.pages:
                self.pages.move_to_end(full)
                return self.pages[full]  # type: ignore[no-any-return]
            building = self._building.setdefault(full, threading.Lock())
        with building:
            with self._pages_lock:
                if full in self.pages:
                    return self.pages[full]  # type: ignore[no-any-return]
            try:
                value = build()
            except BaseException:
                with self._pages_lock:
                    self._building.pop(full, None)
                raise
            with self._pages_lock:
                self.pages[full] = value
                self._building.pop(full, None)
                while len(self.pages) > PAGES_KEPT:
                    self.pages.popitem(last=False)
            return value

    @contextmanager
    def read(self, *, wait: float = LOCK_WAIT) -> Iterator[Store]:
        with self._open(read_only=True, wait=wait) as store:
            yield store

    @contextmanager
    def write(self) -> Iterator[Store]:
        with self.write_lock:
            try:
                with self._open(read_only=False, wait=LOCK_WAIT) as store:
                    yield store
            finally:
                self.generation += 1

    def _open(self, *, read_only: bool, wait: float) -> Any:
        """The store, opened; while another process has it open, tried again every few
        milliseconds for up to ``wait`` seconds (then its located 'in use' error; every
        other open of the web process waits ``LOCK_WAIT``, see ``create_app``)."""
        token = lock_wait_override.set(wait)
        try:
            return self.project().open_store(read_only=read_only)
        finally:
            lock_wait_override.reset(token)

    def accounts(self) -> dict[str, Role]:
        """Enabled accounts and their roles (every request asks), read again whenever the
        store changed (a removed account or a changed role takes effect at the next
        request, even for sessions signed in before; while another process holds the store,
        as they were); a PostgreSQL store: once a second."""
        checked, stamp, answer = self._accounts
        now = time.monotonic()
        current = self.stamp()
        if current is None and now - checked <= 1.0:
            return answer
        if current is not None and current == stamp:
            return answer
        try:
            with self.read(wait=0 if checked else LOCK_WAIT) as store:
                answer = {a.username: a.role for a in list_users(store) if not a.disabled}
        except StoreLockedError:
            if not checked:
                raise
            return answer  # another process holds the store (a long run): asked again next time
        self._accounts = (now, current, answer)
        return answer

    def has_accounts(self) -> bool:
        return bool(self.accounts())

    def forget_accounts(self) -> None:
        """Read the accounts afresh at the next request."""
        self._accounts = (0.0, None, {})
