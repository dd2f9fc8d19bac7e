"""Throughput of the reference server's ``GET /conversations`` (not a test).

    python benchmarks/bench_server.py [--conversations 1000] [--seconds 5] [--threads 4]

Starts the server (in-memory SQLite) through ReferenceServer, creates the conversations of one user
through the API (``POST /chat-messages``, several client threads: the server runs in another
process, so its database is out of reach), then measures list requests per second at limit 20 and
100, on the first page and on deep cursor pages, with a few concurrent client threads.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from conformance.server.process import ReferenceServer  # noqa: E402
from tests.server_client import ServerClient  # noqa: E402

USER = "bench-user"


@dataclass(frozen=True)
class Result:
    label: str
    limit: int
    requests: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def row(self) -> str:
        ms = sorted(self.latencies)
        p50, p95 = ms[len(ms) // 2] * 1000, ms[int(len(ms) * 0.95)] * 1000
        return f"| {self.label:24} | {self.limit:5} | {self.per_second:8.0f} | {p50:7.1f} | {p95:7.1f} |"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def populate(base_url: str, api_key: str, count: int, threads: int) -> float:
    local = threading.local()
    clients: list[ServerClient] = []

    def create(n: int) -> None:
        if not hasattr(local, "api"):
            local.api = ServerClient(base_url, api_key)
            clients.append(local.api)
        local.api.create(USER, f"benchmark conversation {n}")

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(create, range(count)))
    for client in clients:
        client.close()
    return time.perf_counter() - started


def measure(base_url: str, api_key: str, label: str, params: dict[str, str], seconds: float,
            threads: int) -> Result:
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        mine: list[float] = []
        with ServerClient(base_url, api_key) as api:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = api.list_raw(params)
                mine.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text[:200]}")
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(worker) for _ in range(threads)]:
            future.result()
    return Result(label, int(params["limit"]), len(latencies), time.perf_counter() - started, latencies)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--threads", type=int, default=4, help="concurrent client threads")
    args = parser.parse_args()

    with ReferenceServer() as server:
        base_url, key = server.base_url, server.api_key
        fill = populate(base_url, key, args.conversations, args.threads)
        with ServerClient(base_url, key) as api:
            order = [i["id"] for p in api.walk(USER, limit=100) for i in p["data"]]
        assert len(order) == args.conversations, len(order)
        deep = order[int(len(order) * 0.9)]  # 90% down the list
        results = []
        for limit in (20, 100):
            for label, extra in (("first page", {}), ("deep cursor (90%)", {"last_id": deep}),
                                 ("first page, created_at", {"sort_by": "created_at"})):
                params = {"user": USER, "limit": str(limit), **extra}
                results.append(measure(base_url, key, label, params, args.seconds, args.threads))

    print(f"machine: {os.cpu_count()} CPUs ({len(os.sched_getaffinity(0))} usable), {cpu_model()}; "
          f"Python {platform.python_version()} on {platform.system()} {platform.release()}")
    print(f"server: in-memory SQLite; startup {server.startup_seconds:.2f} s; {args.conversations} conversations "
          f"created through POST /chat-messages in {fill:.1f} s ({args.conversations / fill:.0f}/s, "
          f"{args.threads} client threads)")
    print(f"list: {args.threads} client threads (keep-alive sessions), {args.seconds:g} s each\n")
    print("| request                  | limit |    req/s | p50 ms  | p95 ms  |")
    print("|--------------------------|-------|----------|---------|---------|")
    for result in results:
        print(result.row())
    print(f"\nmedian over all rows: {statistics.median(r.per_second for r in results):.0f} req/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
