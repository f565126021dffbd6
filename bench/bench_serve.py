"""`decisionframe serve` under load: 20 users for 60 s on loopback against 100k clients.

1. The project: `simulate` 100,000 clients, `import`, `analyze`, `decide`, `demand`
   (cached under build/bench_serve/; built once, about 10 minutes on one core).
2. uvicorn serves it on 127.0.0.1 (no accounts: the loopback, no-login mode; a login
   costs an argon2 hash and is not what the pages' speed is about) in a child process.
3. 20 concurrent users (httpx, async) each walk the pages in turn for 60 s: overview,
   one evidence page per assumption, demand, voice, initiatives, runs, the simulator, the
   labelling queue and one what-if post (a slider move), HTML answers as a browser gets
   them.
4. Printed per page: requests, errors (any status but 200), p50 and p95 in ms. Target:
   p95 under 300 ms for every page, no errors.

    flock /tmp/bench.lock python -m bench.bench_serve [--users 20] [--seconds 60] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "build" / "bench_serve"
TARGET_MS = 300.0
CLI = "from decisionframe.cli import app; app()"


def prepare(clients: int, seed: int = 1) -> Path:
    """The simulated, analyzed and decided project (cached: a marker file says done)."""
    from decisionframe.project import Project
    from decisionframe.simulate import simulate_project

    folder = CACHE / f"org-{clients}-{seed}"
    done = folder / ".bench-ready"
    if done.exists():
        return folder
    print(f"building the {clients:,}-client project in {folder} (cached for next time)...")
    start = time.perf_counter()
    simulate_project(folder, n_clients=clients, seed=seed, overwrite=True)
    project = Project(folder)
    project.import_data()
    project.analyze(seed=0)
    project.decide(seed=0)
    project.demand()
    done.write_text("ready\n")
    print(f"  built in {time.perf_counter() - start:.0f} s")
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(folder: Path, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    more = ["--workers", str(workers)] if workers > 1 else []
    return subprocess.Popen(
        [sys.executable, "-c", CLI, "serve", str(folder), "--port", str(port), *more],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: the workers end with it
    )


def wait_up(base: str, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/overview.json", timeout=30).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the app did not come up")


async def user(
    base: str, pages: list[str], until: float, times: dict[str, list[float]], errors: dict[str, int]
) -> None:
    """One user walking the pages in turn until ``until``, timing each answer."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        first = await client.get("/simulator")
        token = re.search(r'name="csrf-token" content="([^"]+)"', first.text)
        csrf = token.group(1) if token else ""
        # The session cookie is Secure (browsers send it to http://127.0.0.1, httpx's jar
        # does not): hand it back by hand, as a browser would.
        cookie = first.headers.get("set-cookie", "").split(";")[0]
        client.headers["cookie"] = cookie
        budget = (await client.get("/simulator.json")).json()["budget"]
        step = 0
        while time.monotonic() < until:
            for path in pages:
                if time.monotonic() >= until:
                    break
                start = time.perf_counter()
                try:
                    if path == "POST /simulator/what-if":
                        answer = await client.post(
                            "/simulator/what-if",
                            data={"budget": str(budget["min"] + (step % 10) * budget["step"])},
                            headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
                        )
                    else:
                        answer = await client.get(path)
                    ok = answer.status_code == 200
                except httpx.HTTPError:
                    ok = False
                times.setdefault(path, []).append((time.perf_counter() - start) * 1000)
                if not ok:
                    errors[path] = errors.get(path, 0) + 1
                step += 1


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--prepare-only", action="store_true")
    args = parser.parse_args()
    folder = prepare(args.clients)
    if args.prepare_only:
        return
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(folder, port, args.workers)
    try:
        wait_up(base)
        pages = ["/overview", "/demand", "/voice", "/initiatives", "/runs", "/simulator", "/labels"]
        n_evidence = len(httpx.get(f"{base}/evidence.json", timeout=30).json()["assumptions"])
        pages[1:1] = [f"/evidence/{i}" for i in range(n_evidence)]
        pages.append("POST /simulator/what-if")
        for path in pages:  # warm: the first request builds the cached report context
            if not path.startswith("POST"):
                httpx.get(f"{base}{path}", timeout=60)
        times: dict[str, list[float]] = {}
        errors: dict[str, int] = {}
        load = os.getloadavg()
        until = time.monotonic() + args.seconds

        async def run_all() -> None:
            await asyncio.gather(
                *(user(base, pages, until, times, errors) for _ in range(args.users))
            )

        asyncio.run(run_all())
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # requests still queued in a worker: no matter now
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
    print(
        f"{args.users} users, {args.seconds:.0f} s, {args.clients:,} clients, "
        f"uvicorn on 127.0.0.1 ({args.workers} worker{'s' if args.workers > 1 else ''}), "
        f"load average before {load[0]:.1f}, after {os.getloadavg()[0]:.1f}"
    )
    print(f"{'page':32} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8}")
    worst = 0.0
    for path in pages:
        values = times.get(path, [])
        p50, p95 = percentile(values, 50), percentile(values, 95)
        worst = max(worst, p95)
        print(f"{path:32} {len(values):9d} {errors.get(path, 0):7d} {p50:8.0f} {p95:8.0f}")
    total = sum(len(v) for v in times.values())
    print(f"all: {total} requests, {sum(errors.values())} errors, {total / args.seconds:.0f}/s")
    verdict = "met" if worst < TARGET_MS and not errors else "NOT met"
    print(f"target p95 < {TARGET_MS:.0f} ms on every page, no errors: {verdict}")


if __name__ == "__main__":
    main()
