"""A live chart that every open tab shares: one producer thread pushes each point to all.

One :class:`Producer` per app (a daemon thread, started by the first Socket.IO connection and
ended by :meth:`Producer.stop`) takes a random-walk step every ``interval`` seconds, keeps the
last :data:`MAX_POINTS` points, and pushes each new point to every connected tab as a
``dash.Patch`` of the figure that appends it (and drops the oldest point once there are
:data:`MAX_POINTS`)::

    push_props(CHART_ID, {"figure": patch}, to=sids)

Every tab must show the same points, a tab opened late included, with no point missing or
shown twice. How a tab gets the points made before it connected decides that:

- Building the figure in a layout function would take the history when the page loads, but
  its socket connects later: a point made in between would be missing.
- ``broadcast=True`` reaches a connection as soon as Socket.IO has registered it, which is
  before its connect handler runs: a point made in that gap would arrive live *and* in the
  history, twice. A room joined in the connect handler closes that gap in one process, but not
  through a Redis message queue (``make demo`` uses one): there a push is delivered to the
  room's members as they are when it comes back from Redis, so a point published just before
  the join still reaches the new tab.

So the connect handler calls :meth:`Producer.welcome`, which, holding the lock that each step
holds while it records and pushes its point, pushes the whole history to that connection as
the ``figure`` and adds the connection to the producer's own list of socket ids; each step
pushes ``to=`` the ids listed when it publishes. Each point is either in that figure or pushed
after it, never both, never neither. The figure *replaces* what the tab shows, so a reconnecting
tab is welcomed the same way: it gets the points it missed while away, and none twice.

Why a Patch of ``figure`` and not ``extendData``: dcc.Graph (Dash 4.4.1) loses count of
``extendData`` increments that come quickly. It queues each one until plotly has drawn it, and
an increment that arrives before the queue is cleared makes it draw the queued ones again (seen
here on a loaded machine at a point per 50 ms: 10 points twice); an update that brings a new
``figure`` and an increment together even corrupts an empty array that every Graph of the page
shares, after which each increment replays old ones (6,385 points drawn for 211 pushed). A
Patch changes the ``figure`` prop itself: the page's applier (src/ts/client/applier.ts) folds
successive patches into one without losing any, and the Graph just draws the figure it is given.

The list of socket ids is per process, and so is the producer: each server process would show
its own walk. The showcase is meant to be served by one process.
"""

from __future__ import annotations

import datetime
import logging
import random
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import dcc

from dash_live import push_props

from .backend import Socket

__all__ = [
    "CHART_ID",
    "DEFAULT_INTERVAL",
    "MAX_POINTS",
    "Point",
    "Producer",
    "append_point",
    "card",
    "figure",
    "producer_of",
    "register",
]

CHART_ID = "live-chart"
MAX_POINTS = 300
DEFAULT_INTERVAL = 0.5

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Point:
    """One point of the chart: ``x`` a local time in ISO format (ms), ``y`` the walk's value."""

    x: str
    y: float


def figure(points: list[Point]) -> dict[str, Any]:
    """The chart's figure showing ``points`` (the layout's figure has none).

    >>> figure([Point("2026-12-06T20:00:00.000", 1.5)])["data"][0]["y"]
    [1.5]
    """
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": "random walk",
                "x": [point.x for point in points],
                "y": [point.y for point in points],
                "line": {"color": "#228be6", "width": 2},
            }
        ],
        "layout": {
            # A constant uirevision keeps the reader's zoom when a reconnection replaces the
            # figure (https://plotly.com/javascript/uirevision/).
            "uirevision": CHART_ID,
            "height": 260,
            "margin": {"l": 40, "r": 10, "t": 10, "b": 30},
            "xaxis": {"type": "date"},
            "yaxis": {"zeroline": True},
            "showlegend": False,
        },
    }


def append_point(point: Point, drop_first: bool) -> dash.Patch:
    """A Patch of the chart's figure that appends ``point``, after dropping the oldest point
    if ``drop_first``.

    >>> [op["operation"] for op in append_point(Point("t", 1.0), True).to_plotly_json()[
    ...     "operations"]]
    ['Delete', 'Delete', 'Append', 'Append']
    """
    patch = dash.Patch()
    trace = patch["data"][0]
    if drop_first:
        del trace["x"][0]
        del trace["y"][0]
    trace["x"].append(point.x)
    trace["y"].append(point.y)
    return patch


class Producer:
    """A random walk that pushes each new point to every tab it has welcomed.

    Parameters:
        socketio: the server to push through.
        interval: seconds between two points (> 0).
        max_points: how many points the chart and the history keep.
        seed: seeds the walk (None: a different walk each run).

    Nothing runs until the first :meth:`welcome`; :meth:`stop` ends the thread for good.

    Example::

        >>> import dash
        >>> from dash_live import attach_socketio
        >>> producer = Producer(attach_socketio(dash.Dash(__name__)), interval=0.5, seed=1)
        >>> producer.history(), producer.running
        ([], False)
        >>> producer.stop()
        True
    """

    def __init__(
        self,
        socketio: Socket,
        interval: float = DEFAULT_INTERVAL,
        max_points: int = MAX_POINTS,
        seed: int | None = None,
    ) -> None:
        if not isinstance(interval, (int, float)) or not interval > 0:
            raise ValueError(f"interval must be a number of seconds > 0, got {interval!r}")
        if not isinstance(max_points, int) or max_points < 1:
            raise ValueError(f"max_points must be an int >= 1, got {max_points!r}")
        self.socketio = socketio
        self.interval = float(interval)
        self.max_points = max_points
        self._random = random.Random(seed)
        self._value = 0.0
        # Held while a point is recorded and pushed, and while a tab is welcomed: see the
        # module docstring for why that makes every tab show each point exactly once.
        self._lock = threading.Lock()
        self._points: deque[Point] = deque(maxlen=max_points)
        self._sids: set[str] = set()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """True while the producer thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def history(self) -> list[Point]:
        """The points the chart shows now, oldest first."""
        with self._lock:
            return list(self._points)

    def welcome(self, sid: str) -> None:
        """Show the history to the connection ``sid`` and push it every later point; start
        the producer if it has not started yet. Called by the Socket.IO connect handler."""
        with self._lock:
            push_props(
                CHART_ID, {"figure": figure(list(self._points))}, to=sid, socketio=self.socketio
            )
            self._sids.add(sid)
            if self._thread is None and not self._stopped.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="showcase-live-chart", daemon=True
                )
                self._thread.start()

    def forget(self, sid: str) -> None:
        """Stop pushing to the connection ``sid``; called by the disconnect handler."""
        with self._lock:
            self._sids.discard(sid)

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop producing, for good; return True once the thread has ended (or never ran)."""
        self._stopped.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _run(self) -> None:
        # Bounded by stop(): the demo's chart runs as long as the server, and tests stop it.
        due = time.monotonic()
        while True:
            # A steady pace; after a stall (a busy machine) skip the missed beats rather than
            # make several points at once.
            due = max(due + self.interval, time.monotonic())
            if self._stopped.wait(due - time.monotonic()):
                return
            try:
                self._step()
            except Exception:  # e.g. Redis unreachable: the chart goes on with the next point
                log.exception("live chart: could not push a point")

    def _step(self) -> None:
        self._value = round(self._value + self._random.gauss(0.0, 1.0), 3)
        now = datetime.datetime.now().isoformat(timespec="milliseconds")
        point = Point(now, self._value)
        with self._lock:
            patch = append_point(point, drop_first=len(self._points) == self.max_points)
            self._points.append(point)  # the deque drops its oldest point as the patch does
            if self._sids:
                push_props(
                    CHART_ID, {"figure": patch}, to=sorted(self._sids), socketio=self.socketio
                )


def card() -> Any:
    """The chart section: a ``dcc.Graph`` with id :data:`CHART_ID`, empty until connected."""
    return dmc.Card(
        [
            dmc.Title("Live chart shared by every tab", order=4),
            dmc.Text(
                "One background thread pushes each point of a random walk to every open tab "
                "as a Patch of the figure; a tab that connects later gets the history first.",
                size="sm",
                c="dimmed",
                mb="sm",
            ),
            dcc.Graph(
                id=CHART_ID,
                figure=figure([]),
                config={"displayModeBar": False},
                style={"height": 260},
            ),
        ],
        withBorder=True,
        padding="lg",
    )


# Each app's Producer, for producer_of: kept beside the app rather than in its server (a
# FastAPI app has no Flask ``extensions``), and gone with the app.
_PRODUCERS: weakref.WeakKeyDictionary[dash.Dash, Producer] = weakref.WeakKeyDictionary()


def register(app: dash.Dash, socketio: Socket, interval: float) -> Producer:
    """Make the app's :class:`Producer` (``interval`` seconds between two points) and keep it
    with the app, where :func:`producer_of` finds it. The app's connect and disconnect
    handlers must call its :meth:`~Producer.welcome` and :meth:`~Producer.forget`."""
    producer = Producer(socketio, interval)
    _PRODUCERS[app] = producer
    return producer


def producer_of(app: dash.Dash) -> Producer:
    """The :class:`Producer` that :func:`register` made for ``app``.

    >>> import dash
    >>> from dash_live import attach_socketio
    >>> app = dash.Dash(__name__)
    >>> producer = register(app, attach_socketio(app), interval=0.5)
    >>> producer_of(app) is producer
    True
    """
    return _PRODUCERS[app]
