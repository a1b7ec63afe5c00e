"""The apps under benchmark, each run in a server process of its own.

- The browser scenarios (S1-S3): one Dash app per system (``dash_live_app``,
  ``event_callback_app``, ``socketio_app``, ``background_app``, ``websocket_app``, and
  ``plain_app`` for reference), each ``python -m benchmarks.apps.<name> --port <port>``. Every
  one shows the same page (``common.layout``) so that the scripts drive every system the same
  way; only how the server produces the updates differs.
- The load scenarios (S4-S6): ``module:app`` targets of gunicorn or uvicorn (``live_app``,
  ``live_fastapi_app``, ``dec_app``, ``fastapi_sse``, ``plain_socketio_app``), each answering
  ``GET /bench/info`` with at least the pid that serves requests.
"""
