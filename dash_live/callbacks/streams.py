"""The streams running in this process, and how one starts, apart from any transport.

A transport checks a stream request and starts its generator with :func:`start_stream` (a
thread, fed to the run's :class:`~dash_live.core.session.StreamSession` by :func:`run_frames`)
or :func:`prepare_stream` (it runs the generator itself, on an event loop). Every running stream
is in :data:`live_streams`: counted against its client, cancellable by its owner alone, and
cancelled by a backstop timer if its transport cannot end it (:mod:`dash_live.callbacks.deadlines`).
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from .._compat import (
    AttributeDict,
    context_value,
    current_app,
    debug_ui,
    inputs_to_dict,
    inputs_to_vals,
)
from ..core.frames import Frame, Updates
from ..core.session import StreamSession
from .deadlines import deadlines
from .decorator import EventCallback
from .request import StreamRequest, StreamRequestError, parse_stream_request
from .runner import StreamRunner
from .settings import StreamSettings

__all__ = [
    "Cancellable",
    "HttpFacts",
    "PreparedStream",
    "Streams",
    "backstop_delay",
    "cancel_request",
    "cancelled_stream",
    "check_body_size",
    "debug_mode",
    "http_owner",
    "live_streams",
    "new_session",
    "prepare_stream",
    "run_frames",
    "start_stream",
]


logger = logging.getLogger("dash_live")


class Cancellable(Protocol):
    """A running stream, as :class:`Streams` sees it: something that can be told to stop."""

    def cancel(self) -> None: ...


def http_owner(remote: str | None, authorization: str | None) -> str:
    """Who owns a stream started over HTTP: the client's address, and its credentials when it
    sent an ``Authorization`` header (kept as a digest). Only a cancel request from the same
    owner stops the stream. Cookies are left out on purpose: a signed session cookie is
    re-issued on many responses (dash-auth rewrites it on each), so the tab's cancel would
    come with another one.

    >>> http_owner("10.0.0.7", None)
    'http:10.0.0.7'
    >>> http_owner("10.0.0.7", "Basic Ym9iOnB3") == http_owner("10.0.0.7", "Basic ZXZlOnB3")
    False
    """
    owner = f"http:{remote or '?'}"
    if authorization:
        owner += ":" + hashlib.sha256(authorization.encode()).hexdigest()[:32]
    return owner


@dataclass
class _Open:
    client: str
    owner: str
    runner: Cancellable
    deadline: int | None  # the handle of its backstop in ``deadlines``


class Streams:
    """The streams running in this process: each counted against its client (an address, for
    the per-client limit) and cancellable only by its owner (the HTTP client that started it,
    see :func:`http_owner`, or the socket)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.streams: dict[str, _Open] = {}
        self.per_client: dict[str, int] = {}
        self.of_owner: dict[str, set[str]] = {}

    def open(
        self,
        stream_id: str,
        client: str,
        runner: Cancellable,
        limit: int,
        owner: str | None = None,
        cancel_after: float | None = None,
    ) -> None:
        """Register a stream of ``client`` owned by ``owner`` (default: ``client``); raise a
        429 :class:`StreamRequestError` past ``limit`` streams of that client.

        With ``cancel_after``, the runner is cancelled that many seconds from now if the
        stream is still registered then, whatever its transport is doing (see deadlines.py).
        """
        owner = client if owner is None else owner
        with self.lock:
            if self.per_client.get(client, 0) >= limit:
                raise StreamRequestError(
                    f"this client already has {limit} streams open (DASH_LIVE_MAX_STREAMS_"
                    "PER_CLIENT)",
                    status=429,
                )
            if stream_id in self.streams:
                raise StreamRequestError(f"stream {stream_id!r} is already running", status=409)
            self.per_client[client] = self.per_client.get(client, 0) + 1
            self.of_owner.setdefault(owner, set()).add(stream_id)
            backstop = None
            if cancel_after is not None:
                backstop = deadlines.arm(cancel_after, lambda: self._expire(stream_id, runner))
            self.streams[stream_id] = _Open(client, owner, runner, backstop)

    def _expire(self, stream_id: str, runner: Cancellable) -> None:
        with self.lock:
            entry = self.streams.get(stream_id)
            current = entry is not None and entry.runner is runner
        if current:
            logger.warning("stream %s outlived its timeout: its client stopped reading", stream_id)
            runner.cancel()

    def close(self, stream_id: str) -> None:
        """Forget a stream that ended (idempotent)."""
        with self.lock:
            entry = self.streams.pop(stream_id, None)
            if entry is None:
                return
            if entry.deadline is not None:
                deadlines.disarm(entry.deadline)
            left = self.per_client.get(entry.client, 1) - 1
            if left > 0:
                self.per_client[entry.client] = left
            else:
                self.per_client.pop(entry.client, None)
            ids = self.of_owner.get(entry.owner)
            if ids is not None:
                ids.discard(stream_id)
                if not ids:
                    del self.of_owner[entry.owner]

    def cancel(self, stream_id: str, owner: str) -> bool:
        """Cancel the stream if ``owner`` owns it; return whether it did."""
        with self.lock:
            entry = self.streams.get(stream_id)
            runner = entry.runner if entry is not None and entry.owner == owner else None
        if runner is not None:
            runner.cancel()
        return runner is not None

    def cancel_owner(self, owner: str) -> int:
        """Cancel every stream of ``owner``; return how many there were."""
        with self.lock:
            ids = self.of_owner.get(owner, ())
            runners = [self.streams[i].runner for i in ids if i in self.streams]
        for runner in runners:
            runner.cancel()
        return len(runners)

    def count(self) -> int:
        with self.lock:
            return len(self.streams)


live_streams = Streams()


@dataclass(frozen=True)
class HttpFacts:
    """What ``dash.ctx`` tells a generator about the request that started it, on any backend."""

    cookies: dict[str, str]
    headers: dict[str, str]
    path: str
    remote: str | None
    origin: str | None


def _callback_context(request: StreamRequest, http: HttpFacts) -> AttributeDict:
    # The fields dash.ctx reads, built as Dash builds them for a normal callback request.
    g = AttributeDict({})
    g.inputs_list = request.inputs
    g.states_list = request.state
    g.outputs_list = []
    g.input_values = inputs_to_dict(request.inputs)
    g.state_values = inputs_to_dict(request.state)
    g.triggered_inputs = [
        {"prop_id": prop_id, "value": g.input_values.get(prop_id)}
        for prop_id in request.changed_prop_ids
    ]
    g.args_grouping = []
    g.using_args_grouping = False
    g.outputs_grouping = []
    g.using_outputs_grouping = False
    g.updated_props = {}
    g.cookies = http.cookies
    g.headers = http.headers
    g.path = http.path
    g.remote = http.remote
    g.origin = http.origin
    g.custom_data = AttributeDict({})
    return g


@dataclass(frozen=True)
class PreparedStream:
    """A checked stream request, with the call that runs it: ``context.run(func, *args)``."""

    request: StreamRequest
    args: list[Any]
    context: contextvars.Context


def prepare_stream(body: object, http: HttpFacts) -> PreparedStream:
    """Check a stream request and build the context its generator runs in (``dash.ctx``).

    Raises :class:`StreamRequestError` (with an HTTP status) when the request is refused.
    """
    request = parse_stream_request(body)
    context = contextvars.copy_context()
    context.run(context_value.set, _callback_context(request, http))
    return PreparedStream(request, inputs_to_vals(request.inputs + request.state), context)


def start_stream(
    body: object,
    http: HttpFacts,
    client: str,
    settings: StreamSettings,
    owner: str | None = None,
) -> tuple[StreamRequest, StreamRunner]:
    """Check a stream request and start its generator in a worker thread (or greenlet).

    Raises :class:`StreamRequestError` (with an HTTP status) when the request is refused. The
    caller must eventually call ``live_streams.close(request.stream_id)``. ``client`` counts
    against the per-client limit; ``owner`` (default ``client``) alone may cancel it.
    """
    prepared = prepare_stream(body, http)
    request = prepared.request
    spec = request.callback
    runner = StreamRunner(spec.func, prepared.args, prepared.context, name=f"dash-live:{spec.name}")
    live_streams.open(
        request.stream_id,
        client,
        runner,
        settings.max_streams_per_client,
        owner,
        cancel_after=backstop_delay(spec, settings),
    )
    runner.start()
    return request, runner


def backstop_delay(spec: EventCallback, settings: StreamSettings) -> float:
    """When to cancel a stream whose transport could not enforce its timeout (a write blocked
    on a client that stopped reading): one keep-alive interval after the timeout, so a
    transport that is writing ends the stream itself first, with its timeout notice."""
    return (spec.timeout or settings.timeout) + settings.keepalive


def new_session(
    request: StreamRequest, settings: StreamSettings, debug: bool, now: float
) -> StreamSession:
    """The session of a checked stream request, its clock started at ``now``."""
    return StreamSession(
        request.callback,
        timeout=request.callback.timeout or settings.timeout,
        keepalive=settings.keepalive,
        debug=debug,
        now=now,
    )


def run_frames(session: StreamSession, runner: StreamRunner) -> Iterator[list[Frame]]:
    """The thread-side driver (Flask SSE, Socket.IO): the frames of ``runner``'s run, one list
    per write. It sleeps on the hand-off until the session has something to say; whenever the
    iteration stops (the end, the timeout, a failed write), the runner is cancelled."""
    try:
        while not session.over:
            wait = 0.0 if session.pending else session.wait(time.monotonic())
            items = runner.items.take(timeout=wait)
            now = time.monotonic()
            if len(items) == 1 and type(items[0]) is tuple:
                # The hot path: one yield came while the page kept up; it goes out as it is.
                batch = session.batch_now(items[0], now)
                if batch is not None:
                    yield [Updates(batch)]
                    continue
            session.feed(items)
            out = session.frames(now)
            if out:
                yield out
    finally:
        # Done, failed, timed out, or the client vanished: stop the work.
        runner.cancel()


def debug_mode() -> bool:
    """Whether the current Dash app shows its dev-tools UI (``app.run(debug=True)``); False
    when there is no app to ask, so nothing leaks by default."""
    try:
        app = current_app()
    except Exception:
        return False
    return debug_ui(app)


def check_body_size(length: int | str | None, settings: StreamSettings) -> None:
    """Refuse (413) a stream request whose body size is unknown (``length`` is the parsed
    Content-Length, or the header as sent when it is not a number) or over the limit."""
    if not isinstance(length, int) or length > settings.max_body_bytes:
        raise StreamRequestError(
            f"the request body must be at most {settings.max_body_bytes} bytes "
            f"(DASH_LIVE_MAX_BODY_BYTES), got {length}",
            status=413,
        )


def cancel_request(body: object, owner: str) -> None:
    """Cancel the stream a cancel request names (HTTP transports), if ``owner`` started it;
    raise :class:`StreamRequestError` when the body names none. Someone else's stream, or one
    that has ended, is answered as a cancelled one: the answer tells nobody which ids run."""
    stream_id = cancelled_stream(body)
    if stream_id is None:
        raise StreamRequestError(f"cancel needs {{'stream': id}}, got {body!r:.80}")
    live_streams.cancel(stream_id, owner)


def cancelled_stream(body: object) -> str | None:
    """The stream id of a cancel request ``{"stream": id}``, or None when it names none."""
    stream_id = body.get("stream") if isinstance(body, dict) else None
    return stream_id if isinstance(stream_id, str) else None
