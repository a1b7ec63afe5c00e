"""A job in its own process: ``python -m tests.scaleout.job SID STEPS``.

It attaches no app: ``push_props`` publishes through the Redis named by ``DASH_LIVE_REDIS_URL``,
and the process serving the socket ``SID`` delivers each step to that tab.
"""

from __future__ import annotations

import sys

from dash_live import push_props


def main(sid: str, steps: int) -> None:
    for step in range(1, steps + 1):
        push_props("progress", {"children": f"{step}/{steps}"}, to=sid)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
