"""S5 fan-out: one message to 1,000 connected Socket.IO clients; time until all have it.

The load generator (benchmarks/load_generator.py, its own process) connects C python-socketio
AsyncClients over WebSocket, then for each run POSTs ``/bench/broadcast``: the server stamps
``time.time()`` and sends one message to everyone, and each client records when the message
reached its handler. Latency = receipt time - stamp (one machine, one wall clock).

- dash-live: ``push_props("fan-out", {"children": stamp}, broadcast=True)`` (event
  ``dash-live:update``, value encoded as Dash encodes it);
- reference: plain ``flask_socketio.SocketIO.emit("fan-out", stamp)`` (dash-socketio's server
  side), in a Flask app without dash-live.

Both under ``gunicorn -k gevent -w 1`` and ``gunicorn -k gthread -w 1``; and on Dash's FastAPI
backend (python-socketio's asyncio server, mounted by ``attach_socketio``) against plain
python-socketio ASGI, both under uvicorn. The 1,000 clients share
one asyncio process: the last one's handler runs after the other 999 have run, so the client's
own per-message cost is inside the figures (the same for both servers).

Run: ``.venv-bench/bin/python benchmarks/bench_fanout.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.load_generator import LoadClient
from benchmarks.machine import load_average, machine_facts, raise_fd_limit, rss_bytes
from benchmarks.measure import median, percentile
from benchmarks.serving import gunicorn_argv, serve, uvicorn_argv

PACKAGES = [
    "dash",
    "dash-live",
    "flask",
    "flask-socketio",
    "python-socketio",
    "python-engineio",
    "simple-websocket",
    "gunicorn",
    "gevent",
    "fastapi",
    "uvicorn",
    "aiohttp",
]
TARGET_MS = 100.0


@dataclass
class Target:
    name: str
    app: str
    worker: str
    event: str


TARGETS = [
    Target(
        "dash-live push_props, gevent",
        "benchmarks.apps.live_app:server",
        "gevent",
        "dash-live:update",
    ),
    Target(
        "plain Flask-SocketIO emit, gevent",
        "benchmarks.apps.plain_socketio_app:server",
        "gevent",
        "fan-out",
    ),
    Target(
        "dash-live push_props, gthread",
        "benchmarks.apps.live_app:server",
        "gthread",
        "dash-live:update",
    ),
    Target(
        "plain Flask-SocketIO emit, gthread",
        "benchmarks.apps.plain_socketio_app:server",
        "gthread",
        "fan-out",
    ),
    Target(
        "dash-live push_props, FastAPI uvicorn",
        "benchmarks.apps.live_fastapi_socketio_app:server",
        "uvicorn",
        "dash-live:update",
    ),
    Target(
        "plain python-socketio ASGI, uvicorn",
        "benchmarks.apps.plain_asgi_socketio_app:app",
        "uvicorn",
        "fan-out",
    ),
]


@dataclass
class Result:
    target: Target
    runs: list[dict[str, Any]] = field(default_factory=list)
    connect_seconds: float = 0.0
    rss_per_socket: float = 0.0
    error: str = ""

    def stat(self, q: float | None) -> float:
        """Median over runs of each run's p-``q`` (None: max) latency, in ms."""
        per_run = [
            (max(r["latencies"]) if q is None else percentile(r["latencies"], q)) * 1000
            for r in self.runs
            if r["latencies"]
        ]
        return median(per_run)


def measure(target: Target, clients: int, runs: int) -> Result:
    result = Result(target)
    argv = (
        uvicorn_argv(target.app)
        if target.worker == "uvicorn"
        else gunicorn_argv(target.app, target.worker, threads=clients + 64)
    )
    server, info = serve(f"s5 {target.name} {clients}", argv)
    pid = int(info["pid"])
    client = LoadClient(
        {"mode": "fanout", "port": server.port, "clients": clients, "event": target.event}
    )
    try:
        client.expect("READY", 60)
        base = rss_bytes(pid)
        started = time.monotonic()
        client.send("GO")
        client.expect("CONNECTED", 600)
        result.connect_seconds = time.monotonic() - started
        result.rss_per_socket = (rss_bytes(pid) - base) / clients
        time.sleep(1)  # let the connection burst settle before the first broadcast
        for run in range(runs):
            client.send("GO")
            outcome = json.loads(client.expect("RESULT", 120))
            result.runs.append(outcome)
            lat = [x * 1000 for x in outcome["latencies"]]
            print(
                f"  run {run + 1}: {len(lat)}/{clients} received, "
                f"p50 {percentile(lat, 50):.1f} ms, "
                f"p99 {percentile(lat, 99):.1f} ms, max {max(lat, default=float('nan')):.1f} ms; "
                f"the emit call took {outcome['call_seconds'] * 1000:.1f} ms",
                flush=True,
            )
            time.sleep(0.5)
    except (TimeoutError, RuntimeError) as error:
        result.error = str(error)
        print(f"  failed: {error}", flush=True)
    finally:
        client.close()
        server.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 clients, 3 runs")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    raise_fd_limit()
    clients = 100 if args.quick else args.clients
    runs = 3 if args.quick else args.runs
    print(machine_facts(PACKAGES))
    print(f"S5: one broadcast to {clients} Socket.IO clients (WebSocket); {runs} runs each")
    started = time.monotonic()
    results = []
    for target in TARGETS:
        print(f"{target.name}, {clients} clients", flush=True)
        results.append(measure(target, clients, runs))
    print(f"\nmedian over {runs} runs, ms from the server's stamp to each client's handler")
    print(
        f"{'server':36} {'p50':>7} {'p99':>7} {'max':>7} {'lost':>5} {'connect':>8} "
        f"{'per socket':>10}"
    )
    for r in results:
        lost = sum(x["missing"] for x in r.runs)
        print(
            f"{r.target.name:36} {r.stat(50):7.1f} {r.stat(99):7.1f} {r.stat(None):7.1f} {lost:5} "
            f"{r.connect_seconds:7.1f}s {r.rss_per_socket / 1024:8.1f}KiB"
        )
    for worker in ("gevent", "gthread", "uvicorn"):
        pair = [r for r in results if r.target.worker == worker and r.runs]
        if len(pair) == 2:
            live, plain = pair
            reference = "python-socketio" if worker == "uvicorn" else "Flask-SocketIO"
            print(
                f"{worker}: dash-live / plain {reference}, time until all have it: "
                f"{live.stat(None) / plain.stat(None):.2f}x; target max < {TARGET_MS:.0f} ms: "
                f"dash-live {'met' if live.stat(None) < TARGET_MS else 'MISSED'}, "
                f"plain {'met' if plain.stat(None) < TARGET_MS else 'MISSED'}"
            )
    for r in results:
        if r.error:
            print(f"{r.target.name}: {r.error}")
    print(f"load average after: {load_average()}; took {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
