"""The showcase's background job: ``python -m examples.showcase.job SID STEPS DELAY``.

It runs in its own process, with no Dash app: ``push_props`` publishes through the Redis in
``DASH_LIVE_REDIS_URL`` to the tab whose socket id is ``SID``.
"""

from __future__ import annotations

import os
import sys
import time

from dash_live import push_props


def run(sid: str, steps: int, delay: float) -> None:
    """Report ``steps`` steps of fake work to the tab ``sid``."""
    for step in range(1, steps + 1):
        time.sleep(delay)  # the work of one step
        push_props(
            [
                ("job-progress", {"value": round(100 * step / steps)}),
                ("job-status", {"children": f"Step {step} of {steps} (process {os.getpid()})"}),
            ],
            to=sid,
        )
    push_props("job-status", {"children": f"Job done: {steps} steps."}, to=sid)


if __name__ == "__main__":
    run(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))
