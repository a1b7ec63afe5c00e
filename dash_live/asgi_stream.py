"""The HTTP transport of event callbacks on Dash's FastAPI backend (``Dash(backend="fastapi")``).

The same routes, events and page client as the Flask transport (:mod:`dash_live.stream_route`);
what differs is where the generator runs:

- an ``async def`` generator runs on the server's event loop, driven by the response itself:
  each yielded update is encoded and written before the generator is resumed (while the loop is
  busy, held for a moment to go out with the next ones: :mod:`dash_live.write_hold`). No thread
  and no queue sit between the two, so the write is the backpressure and an open stream costs
  one coroutine and its task;
- a plain generator runs in a thread of its own, as on Flask, and reaches the loop through a
  bounded asyncio queue; a backlog is folded before it is written (:mod:`dash_live.coalesce`).

While the generator runs, the response's own task watches the client: a disconnect, a cancel
request or the timeout cancels an async generator at the ``await`` it is waiting on, and closes
a sync one at its next ``yield``. After ``DASH_LIVE_KEEPALIVE`` seconds of silence a keep-alive
comment goes out. The routes are added by a ``dash.hooks.setup`` hook, ahead of Dash's own, so
the backend's request hooks (``before_request``) apply as they do to Dash's routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import threading
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import dash
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ._compat import set_current_app
from .asgi_body_limit import BodyLimit
from .coalesce import coalesce
from .protocol import Update, encode_batch
from .runner import _POLL, QUEUE_SIZE, Failed, Finished, Item, StreamRunner, updates_of
from .settings import StreamSettings, server_config
from .sse import KEEP_ALIVE, EndReason, end_event, sse_text
from .stream_request import StreamRequestError
from .stream_session import (
    MAX_UPDATES_PER_FRAME,
    HttpFacts,
    PreparedStream,
    cancel_request,
    debug_mode,
    error_frames,
    http_owner,
    live_streams,
    prepare_stream,
    timeout_frames,
)
from .wire import CANCEL_ROUTE, STREAM_ROUTE
from .write_hold import WriteHold, load_of

__all__ = ["LoopStream", "install"]

logger = logging.getLogger("dash_live")

Write = Callable[[str], Awaitable[None]]
#: The longest an async generator's stream runs on the loop without letting others run, seconds.
SLICE = 0.01

# Why a run stopped early: a cancel request, the timeout, or the client went away.
StopReason = EndReason | None

_installed: weakref.WeakSet[Any] = weakref.WeakSet()


class LoopStream:
    """One run on the event loop, as :data:`~dash_live.stream_session.live_streams` holds it.

    :meth:`cancel` may be called from any thread; the run stops with ``reason``.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.reason: StopReason = None
        self.gone = False
        self.pump: asyncio.Task[None] | None = None

    def cancel(self) -> None:
        # A closed loop (the server stopped) has nothing left to cancel.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self.stop, "cancelled")

    def stop(self, reason: EndReason, gone: bool = False) -> None:
        """Stop the run (on the loop's thread); the first reason given is the one reported."""
        if self.reason is None:
            self.reason = reason
        self.gone = self.gone or gone
        if self.pump is not None and not self.pump.done():
            self.pump.cancel()


class _LoopFedRunner(StreamRunner):
    """A sync generator in its own thread, handing its updates to a queue on the event loop.

    At most QUEUE_SIZE updates are in flight: the thread takes a slot before each hand-off and
    the response gives it back once it has taken the update (:meth:`taken`). A hand-off is one
    ``call_soon_threadsafe``, several times cheaper than a coroutine per update.
    """

    def __init__(
        self,
        prepared: PreparedStream,
        loop: asyncio.AbstractEventLoop,
        items: asyncio.Queue[Item],
    ) -> None:
        spec = prepared.request.callback
        super().__init__(spec.func, prepared.args, prepared.context, name=f"dash-live:{spec.name}")
        self._feed_loop = loop
        self._feed = items
        self._room = threading.Semaphore(QUEUE_SIZE)

    def taken(self) -> None:
        """The response took one update off the queue: its slot is free again."""
        self._room.release()

    def _put(self, item: Item) -> bool:
        while not self._room.acquire(timeout=_POLL):  # the page is behind: wait for room
            if self.cancelled.is_set():
                return False
        try:
            self._feed_loop.call_soon_threadsafe(self._feed.put_nowait, item)
        except RuntimeError:  # the loop is closed: the server is shutting down
            return False
        return True


class StreamResponse(Response):
    """The ``text/event-stream`` response that runs one event callback (see the module doc)."""

    media_type = "text/event-stream"

    def __init__(
        self,
        prepared: PreparedStream,
        stream: LoopStream,
        settings: StreamSettings,
        debug: bool,
        done: Callable[[], None],
    ) -> None:
        # Not Response.__init__: a body would give the response a Content-Length.
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self.prepared = prepared
        self.stream = stream
        self.settings = settings
        self.debug = debug
        self._done = done
        self._writes = 0  # bodies written so far: the watch loop's measure of silence

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        loop = asyncio.get_running_loop()

        async def write(text: str) -> None:
            await send({"type": "http.response.body", "body": text.encode(), "more_body": True})
            self._writes += 1

        load = load_of(loop)
        load.open()
        hold = WriteHold(load, write, self.settings.busy_hold, self.settings.busy_share)
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            # Out at once, so the page knows the stream started.
            await write(KEEP_ALIVE)
            await self._watch(loop, write, send, receive, hold)
            if not self.stream.gone:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            hold.drop()
            load.close()
            self._done()

    async def _watch(
        self,
        loop: asyncio.AbstractEventLoop,
        write: Write,
        send: Send,
        receive: Receive,
        hold: WriteHold,
    ) -> None:
        """Run the pump; meanwhile watch the client, the clock and the silence."""
        spec = self.prepared.request.callback
        timeout = spec.timeout or self.settings.timeout
        deadline = loop.time() + timeout
        # A task runs in a copy of the context it is created in: the pump runs in the request's,
        # so dash.ctx works in an async generator (create_task(context=) needs Python 3.11).
        pumping = self._pump(write, send, hold, timeout)
        pump = self.prepared.context.run(asyncio.create_task, pumping)
        self.stream.pump = pump
        if self.stream.reason is not None:  # cancelled before it started
            pump.cancel()
        listener = asyncio.create_task(_disconnected(receive))
        writes = self._writes  # as of the last wake-up: unchanged since means silence
        try:
            while not pump.done():
                remaining = deadline - loop.time()
                if remaining <= 0 and self.stream.reason is None:
                    self.stream.stop("timeout")
                wait = min(self.settings.keepalive, remaining) if remaining > 0 else None
                done, _ = await asyncio.wait(
                    {pump, listener}, timeout=wait, return_when=asyncio.FIRST_COMPLETED
                )
                if listener in done:
                    if not pump.done():
                        self.stream.stop("cancelled", gone=True)
                    await asyncio.wait({pump})
                elif not done and self._writes == writes:  # nothing written for a while
                    await write(KEEP_ALIVE)
                writes = self._writes
        finally:
            listener.cancel()
            if not pump.done():  # this task itself was cancelled (server shutdown)
                pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump

    async def _pump(self, write: Write, send: Send, hold: WriteHold, timeout: float) -> None:
        spec = self.prepared.request.callback
        try:
            if inspect.isasyncgenfunction(spec.func):
                await self._drive_async(send, hold)
            else:
                await self._drive_sync(write, hold)
        except asyncio.CancelledError:
            # Stopped on purpose: what follows still writes (uncancel exists from Python 3.11).
            uncancel = getattr(asyncio.current_task(), "uncancel", None)
            if uncancel is not None:
                uncancel()
            if self.stream.gone:
                return
            if self.stream.reason == "timeout":
                texts = [sse_text(frame) for frame in timeout_frames(spec, timeout)]
            else:
                texts = [end_event("cancelled")]
            await _finish(write, hold, texts)
            return
        except Exception as error:  # reported to the page, logged by error_frames
            await _finish(write, hold, [sse_text(f) for f in error_frames(spec, error, self.debug)])
            return
        await _finish(write, hold, [end_event("cancelled" if self.stream.reason else "done")])

    async def _drive_async(self, send: Send, hold: WriteHold) -> None:
        generator = self.prepared.request.callback.func(*self.prepared.args)
        loop = asyncio.get_running_loop()
        resumed = loop.time()
        try:
            async for value in generator:
                # A generator that never awaits (it yields from memory), writing to a client
                # whose send does not block yet, would never give the loop back: every other
                # request and stream of the process would wait. At most SLICE at a time.
                now = loop.time()
                if now - resumed >= SLICE:
                    await asyncio.sleep(0)
                    resumed = loop.time()
                # The hot path, once per yield: the update is encoded and, unless the loop is
                # busy and the stream holds it (dash_live.write_hold), sent at once.
                text = hold.offer(encode_batch(updates_of(value)))
                if text is not None:
                    if hold.flushing is not None:  # rare: no coroutine call on the hot path
                        await hold.wait_flush()
                    body = text.encode()
                    await send({"type": "http.response.body", "body": body, "more_body": True})
                    self._writes += 1
        finally:
            await generator.aclose()

    async def _drive_sync(self, write: Write, hold: WriteHold) -> None:
        items: asyncio.Queue[Item] = asyncio.Queue()  # bounded by the runner's slots
        runner = _LoopFedRunner(self.prepared, asyncio.get_running_loop(), items)
        runner.start()
        try:
            while True:
                batch: list[Update] = []
                item = await items.get()
                runner.taken()
                while isinstance(item, tuple):
                    batch.extend(item)
                    if len(batch) >= MAX_UPDATES_PER_FRAME or items.empty():
                        break
                    item = items.get_nowait()
                    runner.taken()
                text = hold.offer(encode_batch(coalesce(batch))) if batch else None
                if text is not None:
                    await hold.wait_flush()
                    await write(text)
                if isinstance(item, Failed):
                    raise item.error
                if isinstance(item, Finished):
                    return
        finally:
            # However the run ends: a sync generator is closed at its next yield.
            runner.cancel()


async def _finish(write: Write, hold: WriteHold, texts: list[str]) -> None:
    """Write a stream's closing events, after whatever updates are still held (in one write)."""
    held = await hold.settle()
    await write("".join([held, *texts] if held is not None else texts))


async def _disconnected(receive: Receive) -> None:
    """Return when the client has gone away."""
    while (await receive())["type"] != "http.disconnect":
        pass


def _http_facts(request: Request) -> HttpFacts:
    return HttpFacts(
        cookies=dict(request.cookies),
        headers=dict(request.headers),
        path=f"{request.url.path}?{request.url.query}",
        remote=request.client.host if request.client else None,
        origin=request.headers.get("origin"),
    )


async def _json_body(request: Request) -> Any:
    """The request's JSON body; a :class:`StreamRequestError` when there is none to read."""
    # Dash's middleware has already read the body of JSON requests to its routes (the _dash-
    # prefix is theirs too) and keeps it on the request state, None when it could not parse
    # it (JSON's null too); the stream cannot be read twice.
    if hasattr(request.state, "json_body"):
        body = request.state.json_body
    else:
        try:
            body = await request.json()
        except (ValueError, RecursionError):
            body = None
    if body is None:
        raise StreamRequestError(
            "the request body must be a JSON object; it was null, not JSON, or nested too "
            "deeply to read"
        )
    return body


def _owner(request: Request) -> str:
    """Who owns a stream this request starts or cancels (see ``http_owner``)."""
    return http_owner(
        request.client.host if request.client else None, request.headers.get("authorization")
    )


def _refuse(error: StreamRequestError) -> Response:
    return PlainTextResponse(str(error), status_code=error.status)


def _routes(app: dash.Dash) -> Iterable[tuple[str, Callable[[Request], Awaitable[Response]]]]:
    async def stream(request: Request) -> Response:
        set_current_app(app)  # dash.get_app() and debug_mode() answer for this very app
        settings = StreamSettings.from_config(server_config(app.server))
        client = request.client.host if request.client else "?"
        owner = _owner(request)
        try:
            # The body's size was checked before anyone read it (BodyLimit, see install).
            body = await _json_body(request)
            prepared = prepare_stream(body, _http_facts(request))
            stream_id = prepared.request.stream_id
            run = LoopStream(asyncio.get_running_loop())
            live_streams.open(stream_id, client, run, settings.max_streams_per_client, owner)
        except StreamRequestError as error:
            return _refuse(error)
        return StreamResponse(
            prepared, run, settings, debug_mode(), lambda: live_streams.close(stream_id)
        )

    async def cancel(request: Request) -> Response:
        try:
            cancel_request(await _json_body(request), _owner(request))
        except StreamRequestError as error:
            return _refuse(error)
        return Response(status_code=204)

    return ((STREAM_ROUTE, stream), (CANCEL_ROUTE, cancel))


def install(app: dash.Dash) -> None:
    """Add the stream and cancel routes to a Dash app on the FastAPI backend (idempotent)."""
    server = app.server
    if server in _installed:
        return
    prefix = app.config.routes_pathname_prefix
    paths = []
    for name, endpoint in _routes(app):
        server.add_api_route(prefix + name, endpoint, methods=["POST"], include_in_schema=False)
        paths.append(prefix + name)
    # Ahead of every middleware, Dash's included, which reads each body under _dash- first:
    # Starlette builds its stack on the first request, from this method (asgi_body_limit.py).
    build_stack = server.build_middleware_stack

    def settings() -> StreamSettings:
        return StreamSettings.from_config(server_config(server))

    def build_limited_stack() -> ASGIApp:
        return BodyLimit(build_stack(), paths, settings)

    server.build_middleware_stack = build_limited_stack
    _installed.add(server)
