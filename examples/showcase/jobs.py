"""A job in another process reports its progress to the tab that started it.

The button's callback starts ``python -m examples.showcase.job SID STEPS DELAY`` and returns at
once. The job process serves no page and attaches no app: it calls ``push_props(..., to=sid)``,
which publishes through the Redis named by ``DASH_LIVE_REDIS_URL``; the server process holding
that tab's connection delivers it. The same code works from a Celery or RQ worker, a cron job
or another machine.

``make demo`` starts a private ``redis-server`` when one is installed (see ``app.py``). Without
Redis the card says so and its button stays disabled.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State

from dash_live.push.message_queue import redis_url_from

from .status import SOCKET_ID

__all__ = ["card", "register"]

ROOT = Path(__file__).resolve().parents[2]
STEPS = 20


def card() -> Any:
    """The job section: ids ``start-job``, ``job-started``, ``job-progress``, ``job-status``."""
    enabled = redis_url_from() is not None
    return dmc.Card(
        [
            dmc.Title("A job in another process", order=4),
            dmc.Text(
                "A separate Python process pushes its progress through Redis to this tab."
                if enabled
                else "Needs Redis: set DASH_LIVE_REDIS_URL (make demo starts one when "
                "redis-server is installed).",
                size="sm",
                c="dimmed",
                mb="sm",
            ),
            dmc.Group(
                [
                    dmc.Button("Start the job", id="start-job", disabled=not enabled),
                    dmc.Text(id="job-started", size="sm", c="dimmed"),
                    dmc.Text(id="job-status", size="sm"),
                ]
            ),
            dmc.Progress(id="job-progress", value=0, size="lg", my="sm"),
        ],
        withBorder=True,
        padding="lg",
    )


def register(app: dash.Dash, step_delay: float) -> None:
    """Register the callback that starts a job; each step of it takes ``step_delay`` s."""

    @app.callback(
        Output("job-started", "children"),
        Input("start-job", "n_clicks"),
        State(SOCKET_ID, "socketId"),
        prevent_initial_call=True,
    )
    def start_job(_clicks: int, socket_id: str | None) -> str:
        if not socket_id:
            return "Not connected yet: try again in a moment."
        job = subprocess.Popen(
            [sys.executable, "-m", "examples.showcase.job", socket_id, str(STEPS), str(step_delay)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        # The job reports its own end; waiting on it keeps it from lingering as a zombie.
        threading.Thread(target=job.wait, name="showcase-job-reaper", daemon=True).start()
        return f"Job started (process {job.pid})."
