"""An external publisher: ``python -m tests.scaleout.publish ROOM TEXT``.

Pushes one update to everyone in ROOM (every tab for ``*``) through Redis; exits with status 3
and the error message on stderr when the message queue cannot take it.
"""

from __future__ import annotations

import sys

from dash_live import MessageQueueError, push_props


def main(room: str, text: str) -> int:
    try:
        if room == "*":
            push_props("news", {"children": text}, broadcast=True)
        else:
            push_props("news", {"children": text}, to=room)
    except MessageQueueError as error:
        print(error, file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
