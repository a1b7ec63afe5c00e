"""dash-live: real-time server push for Plotly Dash.

- :class:`DashSocketIO`, a component that connects the page to Flask-SocketIO: received events
  land in ``data-<event>`` props, losslessly and in order;
- :func:`attach_socketio` to serve Socket.IO beside a Dash app, and :func:`push_props` to set
  props on one tab, a room, a user's tabs or every tab, with :func:`append` and :func:`merge`
  to stream into a prop without re-sending it;
- :func:`event_callback`, a generator callback whose ``yield stream_props(...)`` updates the
  page as it runs, over Server-Sent Events.
"""

from __future__ import annotations

import json as _json
from pathlib import Path as _Path

from ._imports_ import *  # noqa: F403  (the generated component classes)
from ._imports_ import __all__ as _components
from .callbacks.decorator import event_callback
from .callbacks.legacy import setup_event_callback
from .core.exceptions import (
    DashLiveError,
    InvalidEventNameError,
    InvalidUpdateError,
    MessageQueueError,
    NotAttachedError,
    PayloadError,
    PayloadTooLargeError,
    TargetError,
    UnsupportedDashError,
)
from .core.stream_props import stream_props
from .core.updates import append, merge
from .push.asgi_server import LiveAsyncSocketIO
from .push.props import join_room, leave_room, push_props
from .push.server import (
    LiveSocketIO,
    attach_socketio,
    connect_message_queue,
    session_user,
    user_room,
)
from .transports import install as _install  # noqa: F401  (gives every Dash app the routes)

_package = _json.loads((_Path(__file__).parent / "package-info.json").read_text())
__version__: str = _package["version"]

__all__ = [
    *_components,
    "DashLiveError",
    "InvalidEventNameError",
    "InvalidUpdateError",
    "LiveAsyncSocketIO",
    "LiveSocketIO",
    "MessageQueueError",
    "NotAttachedError",
    "PayloadError",
    "PayloadTooLargeError",
    "TargetError",
    "UnsupportedDashError",
    "__version__",
    "append",
    "attach_socketio",
    "connect_message_queue",
    "event_callback",
    "join_room",
    "leave_room",
    "merge",
    "push_props",
    "session_user",
    "setup_event_callback",
    "stream_props",
    "user_room",
]

# Dash serves these files: the bundle (a script tag), its source map (on request, so devtools
# find it), and the prop-type checks that Dash loads in debug mode only.
_js_dist = [
    {"relative_package_path": "dash_live.js", "namespace": "dash_live"},
    {"relative_package_path": "dash_live.js.map", "namespace": "dash_live", "dynamic": True},
    {"dev_package_path": "proptypes.js", "dev_only": True, "namespace": "dash_live"},
]

for _component in _components:
    locals()[_component]._js_dist = _js_dist
