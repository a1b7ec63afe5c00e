"""The asyncio load generator of benchmarks S4-S6, which runs in a process of its own, and
:class:`LoadClient`, the benchmark's handle on that process.

The load generator is this module run as a script (``python benchmarks/load_generator.py
CONFIG_JSON``). It talks to the benchmark over a line protocol, so the benchmark can sample the
server between phases::

    client -> bench   READY                       warm-up done (one short stream), nothing open
    bench  -> client  GO                          connect every client (Socket.IO modes)
    client -> bench   CONNECTED
    bench  -> client  GO | QUIT                   one round: every client streams once
    client -> bench   RESULT {json}               ... then GO or QUIT again

Modes: ``sse`` (one raw HTTP/1.1 POST per client, read as it arrives: no HTTP library, so the
client costs as little CPU as possible), ``socketio`` (one python-socketio ``AsyncClient`` per
client, streams started with ``dash-live:stream``, frames acknowledged as the page does) and
``fanout`` (AsyncClients waiting for one broadcast, which the client itself triggers).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import selectors
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.machine import raise_fd_limit
from benchmarks.serving import LOGS
from devtools.processes import ROOT

#: What every token of S4 carries on every transport (``tok12 ``), counted in the raw bytes:
#: dash-live folds appends that queue up into one (``"tok3 tok4 "``), so updates are not tokens.
TOKEN_MARKER = b"tok"
TOKENS = 500
STREAM_KEY = "benchmarks.apps.live_app.tokens"


# The load generator, seen from the benchmark.


class LoadClient:
    """The load generator in its own process (this module as a script)."""

    def __init__(self, config: dict[str, Any]) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        self._stderr = (LOGS / f"client-{config['mode']}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), json.dumps(config)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self._selector = selectors.DefaultSelector()
        assert self.process.stdout is not None
        self._selector.register(self.process.stdout, selectors.EVENT_READ)
        self._buffer = b""

    @property
    def pid(self) -> int:
        return self.process.pid

    def expect(self, word: str, timeout: float) -> str:
        """Wait for the next line, which must start with ``word``; return the rest of it."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self._selector.select(left):
                raise TimeoutError(f"the load client sent no {word} in {timeout} s")
            chunk = os.read(self.process.stdout.fileno(), 1 << 20)
            if not chunk:
                raise RuntimeError(f"the load client exited before {word}; see {LOGS}")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        text = line.decode()
        if not text.startswith(word):
            raise RuntimeError(f"the load client said {text[:200]!r}, expected {word}")
        return text[len(word) :].strip()

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command.encode() + b"\n")
        self.process.stdin.flush()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.send("QUIT")
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self._selector.close()
        self._stderr.close()


# The load generator itself (runs in the client process).


def live_stream_body(
    value: int = 1, key: str = STREAM_KEY, button: str = "cap-go"
) -> dict[str, Any]:
    """A stream request for ``key`` (``live_app.tokens``), triggered by ``button``'s
    ``n_clicks``; ``value`` 0 asks for the short warm-up."""
    return {
        "callback": key,
        "stream": uuid.uuid4().hex,
        "inputs": [{"id": button, "property": "n_clicks", "value": value}],
        "state": [],
        "changedPropIds": [f"{button}.n_clicks"],
    }


@dataclass
class Outcome:
    """One client's stream: times from the request, tokens counted, clean end seen."""

    start: float
    first: float = float("nan")
    end: float = float("nan")
    tokens: int = 0
    complete: bool = False
    error: str = ""


async def _sse_stream(port: int, path: str, body: bytes, headers: str, end: bytes) -> Outcome:
    outcome = Outcome(time.perf_counter())
    writer: asyncio.StreamWriter | None = None
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 22)
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nAccept: text/event-stream\r\n{headers}"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1]
        if status != b"200":
            outcome.error = f"HTTP {status.decode()}: {(await reader.read(300))!r}"
            return outcome
        overlap = max(len(TOKEN_MARKER), len(end)) - 1
        tail = b""
        while True:
            chunk = await reader.read(1 << 20)
            if not chunk:
                break
            if outcome.tokens == 0:
                outcome.first = time.perf_counter()
            data = tail + chunk
            outcome.tokens += data.count(TOKEN_MARKER)
            if end and end in data:
                outcome.complete = True
                break
            tail = data[-overlap:]
        if not end:  # a protocol with no end marker: the end of the body is the end
            outcome.complete = True
        outcome.end = time.perf_counter()
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
        outcome.error = repr(error)
    finally:
        if writer is not None:
            writer.close()
    return outcome


def _summary(outcomes: list[Outcome], cpu: float, expected_tokens: int) -> dict[str, Any]:
    good = [o for o in outcomes if o.complete and o.tokens == expected_tokens and not o.error]
    spans = sorted(
        [(o.start, 1) for o in outcomes if o.end == o.end]
        + [(o.end, -1) for o in outcomes if o.end == o.end]
    )
    open_now = most_open = 0
    for _, step in spans:
        open_now += step
        most_open = max(most_open, open_now)
    errors = sorted({o.error for o in outcomes if o.error})
    return {
        "times": [o.end - o.start for o in good],
        "first": [o.first - o.start for o in good],
        "ok": len(good),
        "total": len(outcomes),
        "short": sum(1 for o in outcomes if o.tokens != expected_tokens),
        "errors": errors[:5],
        "max_open": most_open,
        "client_cpu": cpu,
    }


async def _sse_round(config: dict[str, Any]) -> dict[str, Any]:
    clients = int(config["clients"])
    kind = config["target"]
    port = int(config["port"])
    cpu = time.process_time()
    if kind == "live":
        key, button = config.get("stream_key", STREAM_KEY), config.get("button", "cap-go")
        bodies = [json.dumps(live_stream_body(1, key, button)).encode() for _ in range(clients)]
        path, end, headers = "/_dash-live/stream", b"event: end", ""
    elif kind == "fastapi":
        bodies = [b"{}"] * clients
        path, end, headers = "/stream", b"event: end", ""
    else:  # dash-event-callback: {"content": {<parameter names>: values, callback id}}
        sse_id = json.dumps({"type": "dash-event-stream", "index": config["dec_id"]})
        body = {"content": {"sse_callback_id": sse_id, "n_clicks": 1, "callback_context": {}}}
        bodies = [json.dumps(body).encode()] * clients
        path, end, headers = "/dash_update_component_sse", b"", ""
    outcomes = await asyncio.wait_for(
        asyncio.gather(*(_sse_stream(port, path, b, headers, end) for b in bodies)),
        timeout=float(config.get("round_timeout", 300)),
    )
    return _summary(list(outcomes), time.process_time() - cpu, TOKENS)


class _SioStreamer:
    """One AsyncClient that streams ``live_app.tokens`` over the page's Socket.IO protocol."""

    def __init__(self, url: str, key: str = STREAM_KEY, button: str = "cap-go") -> None:
        import socketio

        self.url = url
        self.key, self.button = key, button
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("dash-live:frame", self._on_frame)
        self.stream_id = ""
        self.outcome = Outcome(0.0)
        self.done = asyncio.Event()

    async def _on_frame(self, stream_id: str, kind: str, data: Any) -> None:
        # Returning acknowledges the frame, as the page does once it has applied it.
        if stream_id != self.stream_id:
            return
        if kind == "update":
            if self.outcome.tokens == 0:
                self.outcome.first = time.perf_counter()
            self.outcome.tokens += sum(str(update[3]).count("tok") for update in data)
        elif kind == "end":
            self.outcome.end = time.perf_counter()
            self.outcome.complete = isinstance(data, dict) and data.get("reason") == "done"
            self.done.set()

    async def connect(self) -> None:
        await self.sio.connect(self.url, transports=["websocket"], wait_timeout=60)

    async def stream(self, value: int, timeout: float) -> Outcome:
        body = live_stream_body(value, self.key, self.button)
        self.stream_id = body["stream"]
        self.outcome = Outcome(time.perf_counter())
        self.done.clear()
        try:
            answer = await self.sio.call("dash-live:stream", body, timeout=timeout)
            if not (isinstance(answer, dict) and answer.get("ok")):
                self.outcome.error = f"refused: {answer!r:.200}"
                return self.outcome
            await asyncio.wait_for(self.done.wait(), timeout)
        except Exception as error:
            self.outcome.error = repr(error)
        return self.outcome


class _FanoutListener:
    """One AsyncClient that records when a broadcast reached it (wall clock)."""

    def __init__(self, url: str, event: str) -> None:
        import socketio

        self.url = url
        self.sio = socketio.AsyncClient(reconnection=False)
        self.received: list[tuple[float, Any]] = []
        self.sio.on(event, self._on_event)

    async def _on_event(self, data: Any) -> None:
        self.received.append((time.time(), data))


async def _connect_all(clients: Sequence[Any], url: str) -> None:
    gate = asyncio.Semaphore(50)

    async def one(client: Any) -> None:
        async with gate:
            await client.sio.connect(url, transports=["websocket"], wait_timeout=60)

    await asyncio.wait_for(asyncio.gather(*(one(c) for c in clients)), timeout=600)


def _post(url: str) -> dict[str, Any]:
    request = urllib.request.Request(url, data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=60) as answer:
        result: dict[str, Any] = json.loads(answer.read())
        return result


async def _client_main(config: dict[str, Any]) -> None:
    raise_fd_limit()
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[str] = asyncio.Queue()
    loop.add_reader(sys.stdin.fileno(), lambda: commands.put_nowait(sys.stdin.readline().strip()))

    def say(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    async def command() -> str:
        return await asyncio.wait_for(commands.get(), timeout=900)

    mode = config["mode"]
    url = f"http://127.0.0.1:{config['port']}"
    clients = int(config["clients"])
    if mode == "sse":
        if config["target"] == "live":  # warm-up: one short stream, so lazy imports are done
            key, button = config.get("stream_key", STREAM_KEY), config.get("button", "cap-go")
            warm = json.dumps(live_stream_body(0, key, button)).encode()
            await _sse_stream(int(config["port"]), "/_dash-live/stream", warm, "", b"event: end")
        say("READY")
        await command()
        say("CONNECTED")
        while await command() == "GO":
            say("RESULT " + json.dumps(await _sse_round(config)))
        return
    if mode == "socketio":
        key, button = config.get("stream_key", STREAM_KEY), config.get("button", "cap-go")
        streamers = [_SioStreamer(url, key, button) for _ in range(clients)]
        warm_client = _SioStreamer(url, key, button)
        await warm_client.connect()
        await warm_client.stream(0, 60)
        await warm_client.sio.disconnect()
        say("READY")
        await command()
        await _connect_all(streamers, url)
        say("CONNECTED")
        while await command() == "GO":
            cpu = time.process_time()
            timeout = float(config.get("round_timeout", 300))
            outcomes = await asyncio.gather(*(s.stream(1, timeout) for s in streamers))
            say("RESULT " + json.dumps(_summary(list(outcomes), time.process_time() - cpu, TOKENS)))
        await asyncio.gather(*(s.sio.disconnect() for s in streamers))
        return
    # fanout
    listeners = [_FanoutListener(url, config["event"]) for _ in range(clients)]
    say("READY")
    await command()
    await _connect_all(listeners, url)
    say("CONNECTED")
    while await command() == "GO":
        for listener in listeners:
            listener.received.clear()
        cpu = time.process_time()
        answer = await asyncio.to_thread(_post, url + "/bench/broadcast")
        deadline = time.monotonic() + 30
        while any(not x.received for x in listeners) and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        latencies = [x.received[0][0] - answer["sent"] for x in listeners if x.received]
        say(
            "RESULT "
            + json.dumps(
                {
                    "latencies": latencies,
                    "missing": sum(1 for x in listeners if not x.received),
                    "call_seconds": answer["call_seconds"],
                    "client_cpu": time.process_time() - cpu,
                }
            )
        )
    await asyncio.gather(*(x.sio.disconnect() for x in listeners))


if __name__ == "__main__":
    asyncio.run(_client_main(json.loads(sys.argv[1])))
