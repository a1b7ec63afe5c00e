"""What the Flask-served transports (SSE views, Socket.IO handlers) read of the current request."""

from __future__ import annotations

import flask

from ..callbacks.streams import HttpFacts

__all__ = ["client_address", "flask_facts"]


def flask_facts() -> HttpFacts:
    """The facts of the current Flask request, for ``dash.ctx`` inside the generator."""
    request = flask.request
    return HttpFacts(
        cookies=dict(request.cookies),
        headers=dict(request.headers),
        path=request.full_path,
        remote=request.remote_addr,
        origin=request.origin,
    )


def client_address() -> str:
    """The address of the client, against which its streams count (the per-client limit)."""
    return flask.request.remote_addr or "?"
