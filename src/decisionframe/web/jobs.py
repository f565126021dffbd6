"""Re-running analyses from the web: one job at a time, in a background thread, with
progress the runs page polls.

A job runs the chosen kinds in dependency order (``analyze`` before ``decide``) through
the same ``Project`` methods the CLI calls, so a web run is saved with the same
provenance. Its progress is what the library reports through its ``progress`` callback
(step, done, total). An error is kept as its message (our errors never carry data values);
anything else is reported as a failure without its text.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from decisionframe.errors import DecisionframeError
from decisionframe.web.context import forget

if TYPE_CHECKING:
    from decisionframe.web.state import WebState

ORDER = ("voice", "analyze", "decide", "demand", "initiatives", "profiles")


@dataclass
class Job:
    number: int
    kinds: tuple[str, ...]
    by: str
    started: float = field(default_factory=time.time)
    kind: str = ""  # running now
    step: str = ""
    done: int = 0
    total: int = 0
    finished: list[str] = field(default_factory=list)
    error: str | None = None
    ended: float | None = None

    @property
    def running(self) -> bool:
        return self.ended is None

    @property
    def fraction(self) -> float:
        """Rough share done: finished kinds plus the running one's own progress."""
        if not self.kinds:
            return 1.0
        inner = self.done / self.total if self.total else 0.0
        return min(1.0, (len(self.finished) + (0 if self.ended else inner)) / len(self.kinds))


class Jobs:
    """The app's background runs: at most one at a time."""

    def __init__(self, state: WebState) -> None:
        self.state = state
        self.current: Job | None = None
        self._lock = threading.Lock()
        self._count = 0

    def start(self, kinds: list[str], *, by: str) -> Job:
        unknown = sorted(set(kinds) - set(ORDER))
        if unknown or not kinds:
            raise DecisionframeError(f"choose what to run among {', '.join(ORDER)}.")
        with self._lock:
            if self.current is not None and self.current.running:
                raise DecisionframeError(
                    "a run is in progress already: wait for it to finish (see its progress)."
                )
            self._count += 1
            job = Job(self._count, tuple(k for k in ORDER if k in kinds), by)
            self.current = job
        threading.Thread(target=self._run, args=(job,), daemon=True, name="df-run").start()
        return job

    def _run(self, job: Job) -> None:
        def progress(step: str, done: int, total: int) -> None:
            job.step, job.done, job.total = step, done, total

        project = self.state.project()
        try:
            for kind in job.kinds:
                job.kind, job.step, job.done, job.total = kind, "", 0, 0
                if kind == "analyze":
                    project.analyze(seed=0, progress=progress)
                elif kind == "decide":
                    project.decide(seed=0)
                elif kind == "demand":
                    project.demand(progress=progress)
                elif kind == "initiatives":
                    project.initiatives(seed=0, progress=progress)
                elif kind == "voice":
                    project.voice(seed=0)
                elif kind == "profiles":
                    project.profiles(seed=0)
                job.finished.append(kind)
                forget(self.state)  # its pages show the new run at once
        except DecisionframeError as exc:
            job.error = str(exc)
        except Exception as exc:  # never a traceback or a data value on a page
            job.error = f"the run failed ({type(exc).__name__}); run it with the CLI for details"
        finally:
            job.kind = ""
            job.ended = time.time()
            with self.state.write() as store:
                from decisionframe.accounts import audit

                audit(
                    store,
                    job.by,
                    "run.finished" if job.error is None else "run.failed",
                    {"job": job.number, "kinds": list(job.kinds), "finished": job.finished},
                )
