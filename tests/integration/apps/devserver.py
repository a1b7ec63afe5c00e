"""``python -m tests.integration.apps.devserver PORT MODE``: serve the deployed app with a
development server on 127.0.0.1.

MODE ``app.run`` is ``app.run(debug=True)`` as the README shows, without the reloader (its
extra process would outlive the PID the tests stop); MODE ``socketio.run`` is
``socketio.run(app.server, allow_unsafe_werkzeug=True)``.
"""

from __future__ import annotations

import sys

from tests.integration.apps.deployed import app, socketio


def main(port: int, mode: str) -> None:
    if mode == "app.run":
        app.run(host="127.0.0.1", port=port, debug=True, use_reloader=False)
    elif mode == "socketio.run":
        socketio.run(app.server, host="127.0.0.1", port=port, allow_unsafe_werkzeug=True)
    else:
        raise SystemExit(f"unknown mode {mode!r}: use app.run or socketio.run")


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
