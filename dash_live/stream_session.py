"""One run of an event callback, apart from the transport that carries it.

Both transports, Server-Sent Events over HTTP (:mod:`dash_live.stream_route`) and the page's
Socket.IO connection (:mod:`dash_live.socket_streams`), start a stream with
:func:`start_stream` and turn the :func:`frames` of its run into bytes on their wire:

==============  ================================================================
``update``      an encoded batch (:func:`dash_live.protocol.encode_batch`)
``error``       ``(message, traceback or None)``; tracebacks only in debug mode
``end``         ``"done" | "cancelled" | "timeout" | "error"``, always the last
``keepalive``   nothing: a transport that needs to probe a quiet client writes here
==============  ================================================================

:func:`frames` enforces the wall-clock timeout, and the runner is cancelled whenever the
iteration stops early (the client vanished, a write failed), so the generator never outlives
its audience.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import flask

from ._compat import AttributeDict, context_value, current_app, inputs_to_dict, inputs_to_vals
from .coalesce import coalesce
from .deadlines import deadlines
from .event_callbacks import EventCallback
from .protocol import Update, encode_batch
from .runner import Failed, Finished, Item, StreamRunner, updates_of
from .settings import StreamSettings
from .stream_request import StreamRequest, StreamRequestError, parse_stream_request
from .wire import EndReason, FrameKind

__all__ = [
    "Cancellable",
    "Frame",
    "HttpFacts",
    "PreparedStream",
    "Streams",
    "backstop_delay",
    "cancel_request",
    "cancelled_stream",
    "check_body_size",
    "error_frames",
    "frames",
    "live_streams",
    "prepare_stream",
    "start_stream",
    "timeout_frames",
]

# Updates sent in one frame at most, so one write never holds a huge backlog.
MAX_UPDATES_PER_FRAME = 2000

Frame = tuple[FrameKind, Any]

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

    @classmethod
    def of_flask(cls) -> HttpFacts:
        """The facts of the current Flask request."""
        request = flask.request
        return cls(
            cookies=dict(request.cookies),
            headers=dict(request.headers),
            path=request.full_path,
            remote=request.remote_addr,
            origin=request.origin,
        )


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
    body: object, client: str, settings: StreamSettings, owner: str | None = None
) -> tuple[StreamRequest, StreamRunner]:
    """Check a stream request and start its generator in a worker thread (or greenlet); call
    inside a Flask request context.

    Raises :class:`StreamRequestError` (with an HTTP status) when the request is refused. The
    caller must eventually call ``live_streams.close(request.stream_id)``. ``client`` counts
    against the per-client limit; ``owner`` (default ``client``) alone may cancel it.
    """
    prepared = prepare_stream(body, HttpFacts.of_flask())
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


def error_frames(spec: EventCallback, error: BaseException, debug: bool) -> Iterator[Frame]:
    """What a stream whose generator raised ``error`` sends last (logged here)."""
    logger.error(
        "event callback %s failed", spec.key, exc_info=(type(error), error, error.__traceback__)
    )
    updates: list[Update] = list(spec.reset_updates)
    if spec.on_error is not None:
        try:
            handled = spec.on_error(error)  # type: ignore[arg-type]
            if handled is not None:
                updates.extend(updates_of(handled))
        except Exception:
            logger.exception("the on_error handler of %s failed", spec.key)
        else:
            if updates:
                yield ("update", encode_batch(updates))
            yield ("end", "error")
            return
    if updates:
        yield ("update", encode_batch(updates))
    if debug:
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        yield ("error", (f"{spec.name}: {type(error).__name__}: {error}", text))
    else:
        # No server internals leak to the browser outside debug mode.
        yield (
            "error",
            (f"The event callback {spec.name} failed; the server log has details.", None),
        )
    yield ("end", "error")


def timeout_frames(spec: EventCallback, timeout: float) -> list[Frame]:
    """What a stream that ran out of time sends last: its reset props, the notice, the end."""
    logger.warning("event callback %s timed out after %s s", spec.key, timeout)
    frames_: list[Frame] = []
    if spec.reset_updates:
        frames_.append(("update", encode_batch(spec.reset_updates)))
    frames_.append(("error", (f"{spec.name} timed out after {timeout:g} s", None)))
    frames_.append(("end", "timeout"))
    return frames_


def frames(
    request: StreamRequest, runner: StreamRunner, settings: StreamSettings, debug: bool
) -> Iterator[list[Frame]]:
    """The frames of one run, grouped by what should go out in one write.

    Updates that queued up while the previous write was going out travel together. When the
    iteration stops, for whatever reason, the runner is cancelled.
    """
    spec = request.callback
    timeout = spec.timeout or settings.timeout
    deadline = time.monotonic() + timeout
    backlog: deque[Item] = deque()  # taken from the runner, not yet sent
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                runner.cancel()
                yield timeout_frames(spec, timeout)
                return
            if not backlog:
                backlog.extend(runner.items.take(timeout=min(settings.keepalive, remaining)))
                if not backlog:
                    yield [("keepalive", None)]
                    continue
            batch: list[Update] = []
            ending: Finished | Failed | None = None
            while len(batch) < MAX_UPDATES_PER_FRAME:
                if not backlog:
                    backlog.extend(runner.items.take(timeout=0))  # what came meanwhile
                    if not backlog:
                        break
                item = backlog.popleft()
                if not isinstance(item, tuple):
                    ending = item
                    break
                batch.extend(item)
            # Updates that queued up while the page was behind travel folded (coalesce.py).
            out: list[Frame] = [("update", encode_batch(coalesce(batch)))] if batch else []
            if isinstance(ending, Failed):
                yield out + list(error_frames(spec, ending.error, debug))
                return
            if isinstance(ending, Finished):
                reason: EndReason = "cancelled" if runner.cancelled.is_set() else "done"
                yield [*out, ("end", reason)]
                return
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
    return bool(getattr(getattr(app, "_dev_tools", None), "ui", False))


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
