"""What the running app holds: the project folder, sessions, the login limiter, the
background runs, and how the store is opened.

DuckDB lets one process open a database file with one configuration only, and pages read
while logins, labels, the audit log and a background analysis write. So the web process
opens every store connection read-write (``open_read_write_only``); reads run side by side
(DuckDB's MVCC), writes take one lock so two writes never race on the same row. A
connection is held for one request only, so `decisionframe` commands in another process
can still open the store between requests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from decisionframe.accounts import Role, list_users
from decisionframe.config import CONFIG_FILE
from decisionframe.project import Project
from decisionframe.store.base import Store
from decisionframe.web.auth import LoginLimiter, Sessions


@dataclass
class WebState:
    directory: Path
    sessions: Sessions = field(default_factory=Sessions)
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    https: bool = False
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    jobs: Any = None  # web.jobs.Jobs, set by the app factory
    _accounts: tuple[float, dict[str, Role]] = (0.0, {})
    cache: dict[str, Any] = field(default_factory=dict)

    _project: tuple[tuple[int, int, int], Project] | None = None

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

    @contextmanager
    def read(self) -> Iterator[Store]:
        with self.project().open_store(read_only=True) as store:
            yield store

    @contextmanager
    def write(self) -> Iterator[Store]:
        with self.write_lock, self.project().open_store() as store:
            yield store

    def accounts(self) -> dict[str, Role]:
        """Enabled accounts and their roles, read at most once a second (every request
        asks: a removed account or a changed role takes effect within a second, even for
        sessions signed in before)."""
        checked, answer = self._accounts
        now = time.monotonic()
        if now - checked > 1.0:
            with self.read() as store:
                answer = {a.username: a.role for a in list_users(store) if not a.disabled}
            self._accounts = (now, answer)
        return answer

    def has_accounts(self) -> bool:
        return bool(self.accounts())

    def forget_accounts(self) -> None:
        """Read the accounts afresh at the next request."""
        self._accounts = (0.0, {})
