"""The HTTP side of event callbacks: ``POST <prefix>_dash-live/stream`` and ``.../cancel``.

A stream request is checked (:mod:`dash_live.stream_request`), its generator started in a
:class:`~dash_live.runner.StreamRunner`, and its updates written as Server-Sent Events
(:mod:`dash_live.sse`) as soon as they are yielded, several per write when they come
quickly. The response loop also enforces the wall-clock timeout and writes keep-alives while
the generator is quiet: a write to a vanished client fails, and the generator is closed.

The routes are registered through ``dash.hooks.route`` when dash_live is imported, so the app
needs no set-up call, and the app's own request hooks (``before_request``, dash-auth) apply.
"""

from __future__ import annotations

import contextvars
import logging
import queue
import threading
import time
import traceback
from collections.abc import Iterator
from typing import Any

import dash
import flask
from dash import hooks
from dash._callback_context import context_value
from dash._get_app import with_app_context_factory
from dash._utils import AttributeDict, inputs_to_dict, inputs_to_vals

from .event_callbacks import EventCallback
from .protocol import Update, encode_batch
from .runner import Failed, Finished, StreamRunner, updates_of
from .settings import StreamSettings
from .sse import KEEP_ALIVE, EndReason, end_event, error_event, update_event
from .stream_request import StreamRequest, StreamRequestError, parse_stream_request

__all__ = ["CANCEL_ROUTE", "STREAM_ROUTE", "ensure_routes", "live_streams"]

STREAM_ROUTE = "_dash-live/stream"
CANCEL_ROUTE = "_dash-live/cancel"
# Updates written in one chunk at most, so one write never holds a huge backlog.
_MAX_UPDATES_PER_WRITE = 2000

logger = logging.getLogger("dash_live")


class _Streams:
    """The streams running in this process, and how many each client has open."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runners: dict[str, StreamRunner] = {}
        self.per_client: dict[str, int] = {}

    def open(self, stream_id: str, client: str, runner: StreamRunner, limit: int) -> None:
        with self.lock:
            if self.per_client.get(client, 0) >= limit:
                raise StreamRequestError(
                    f"this client already has {limit} streams open (DASH_LIVE_MAX_STREAMS_"
                    "PER_CLIENT)",
                    status=429,
                )
            if stream_id in self.runners:
                raise StreamRequestError(f"stream {stream_id!r} is already running", status=409)
            self.per_client[client] = self.per_client.get(client, 0) + 1
            self.runners[stream_id] = runner

    def close(self, stream_id: str, client: str) -> None:
        with self.lock:
            self.runners.pop(stream_id, None)
            left = self.per_client.get(client, 1) - 1
            if left > 0:
                self.per_client[client] = left
            else:
                self.per_client.pop(client, None)

    def cancel(self, stream_id: str) -> bool:
        with self.lock:
            runner = self.runners.get(stream_id)
        if runner is not None:
            runner.cancel()
        return runner is not None

    def count(self) -> int:
        with self.lock:
            return len(self.runners)


live_streams = _Streams()


def _debug(app: Any) -> bool:
    return bool(getattr(getattr(app, "_dev_tools", None), "ui", False))


def _callback_context(request: StreamRequest) -> AttributeDict:
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
    g.cookies = dict(flask.request.cookies)
    g.headers = dict(flask.request.headers)
    g.path = flask.request.full_path
    g.remote = flask.request.remote_addr
    g.origin = flask.request.origin
    g.custom_data = AttributeDict({})
    return g


def _error_frames(spec: EventCallback, error: BaseException, debug: bool) -> Iterator[str]:
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
                yield update_event(encode_batch(updates))
            yield end_event("error")
            return
    if updates:
        yield update_event(encode_batch(updates))
    if debug:
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        yield error_event(f"{spec.name}: {type(error).__name__}: {error}", text)
    else:
        # No server internals leak to the browser outside debug mode.
        yield error_event(f"The event callback {spec.name} failed; the server log has details.")
    yield end_event("error")


def _respond(
    request: StreamRequest, runner: StreamRunner, settings: StreamSettings, debug: bool, done: Any
) -> Iterator[str]:
    spec = request.callback
    timeout = spec.timeout or settings.timeout
    deadline = time.monotonic() + timeout
    try:
        # Headers go out at once, so the browser knows the stream started.
        yield KEEP_ALIVE
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                runner.cancel()
                logger.warning("event callback %s timed out after %s s", spec.key, timeout)
                if spec.reset_updates:
                    yield update_event(encode_batch(spec.reset_updates))
                yield error_event(f"{spec.name} timed out after {timeout:g} s")
                yield end_event("timeout")
                return
            try:
                item = runner.items.get(timeout=min(settings.keepalive, remaining))
            except queue.Empty:
                yield KEEP_ALIVE
                continue
            batch: list[Update] = []
            ending: Finished | Failed | None = None
            while True:
                if isinstance(item, tuple):
                    batch.extend(item)
                else:
                    ending = item
                    break
                if len(batch) >= _MAX_UPDATES_PER_WRITE:
                    break
                try:
                    item = runner.items.get_nowait()
                except queue.Empty:
                    break
            chunk = update_event(encode_batch(batch)) if batch else ""
            if isinstance(ending, Failed):
                yield chunk + "".join(_error_frames(spec, ending.error, debug))
                return
            if isinstance(ending, Finished):
                reason: EndReason = "cancelled" if runner.cancelled.is_set() else "done"
                yield chunk + end_event(reason)
                return
            yield chunk
    finally:
        # Done, failed, timed out, or the client vanished (the write raised): stop the work.
        runner.cancel()
        done()


def _stream_view() -> flask.Response:
    settings = StreamSettings.from_config(flask.current_app.config)
    length = flask.request.content_length
    if length is None or length > settings.max_body_bytes:
        return _refuse(
            StreamRequestError(
                f"the request body must be at most {settings.max_body_bytes} bytes "
                f"(DASH_LIVE_MAX_BODY_BYTES), got {length}",
                status=413,
            )
        )
    try:
        request = parse_stream_request(flask.request.get_json(silent=True))
    except StreamRequestError as error:
        return _refuse(error)
    spec = request.callback
    context = contextvars.copy_context()
    context.run(context_value.set, _callback_context(request))
    args = inputs_to_vals(request.inputs + request.state)
    runner = StreamRunner(spec.func, args, context, name=f"dash-live:{spec.name}")
    client = flask.request.remote_addr or "?"
    try:
        live_streams.open(request.stream_id, client, runner, settings.max_streams_per_client)
    except StreamRequestError as error:
        return _refuse(error)
    runner.start()
    app = dash.get_app()
    body = _respond(
        request,
        runner,
        settings,
        _debug(app),
        lambda: live_streams.close(request.stream_id, client),
    )
    return flask.Response(
        body,
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _cancel_view() -> flask.Response:
    body = flask.request.get_json(silent=True)
    stream_id = body.get("stream") if isinstance(body, dict) else None
    if not isinstance(stream_id, str):
        return _refuse(StreamRequestError(f"cancel needs {{'stream': id}}, got {body!r:.80}"))
    live_streams.cancel(stream_id)
    return flask.Response(status=204)


def _refuse(error: StreamRequestError) -> flask.Response:
    return flask.Response(str(error), status=error.status, mimetype="text/plain")


_registered_with_hooks = False
_lock = threading.Lock()


def ensure_routes() -> None:
    """Make sure every Dash app gets the stream routes.

    Apps created from now on get them through ``dash.hooks``. An app that already exists
    (dash_live imported after ``Dash()``, e.g. from a page module) gets them directly.
    """
    global _registered_with_hooks
    with _lock:
        if not _registered_with_hooks:
            hooks.route(STREAM_ROUTE, methods=("POST",))(_stream_view)
            hooks.route(CANCEL_ROUTE, methods=("POST",))(_cancel_view)
            _registered_with_hooks = True
    try:
        app = dash.get_app()
    except Exception:  # no app yet: the hooks will serve it
        return
    server = getattr(app, "server", None)
    prefix = app.config.routes_pathname_prefix
    if isinstance(server, flask.Flask) and prefix + STREAM_ROUTE not in app.routes:
        try:
            for name, view in ((STREAM_ROUTE, _stream_view), (CANCEL_ROUTE, _cancel_view)):
                app._add_url(name, with_app_context_factory(view, app), ("POST",))
        except AssertionError:
            # That app already serves requests and Flask takes no new routes; an app created
            # later gets them from the hooks.
            logger.debug("routes not added to %r: it is already serving", app)
