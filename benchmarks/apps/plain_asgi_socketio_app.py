"""Plain python-socketio on ASGI (no Dash, no dash-live), under uvicorn: the S5 reference for the
FastAPI backend. ``POST /bench/broadcast`` emits ``time.time()`` to everyone."""

from __future__ import annotations

import os
import time
from typing import Any

import socketio
from fastapi import FastAPI

sio = socketio.AsyncServer(async_mode="asgi")
api = FastAPI()


@api.post("/bench/broadcast")
async def broadcast() -> dict[str, Any]:
    sent = time.time()
    await sio.emit("fan-out", sent)
    return {"sent": sent, "call_seconds": time.time() - sent}


@api.get("/bench/info")
async def info() -> dict[str, Any]:
    return {"pid": os.getpid(), "async_mode": "asyncio"}


app = socketio.ASGIApp(sio, other_asgi_app=api)
