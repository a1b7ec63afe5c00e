"""Plain FastAPI SSE: the reference of the Gradio load test (S4), run under uvicorn.

``POST /stream`` sends 500 tokens, sleeping 0.01 s after each, then an ``end`` event.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI  # type: ignore[import-not-found,unused-ignore]
from fastapi.responses import StreamingResponse  # type: ignore[import-not-found,unused-ignore]

TOKENS = 500
TOKEN_PAUSE = 0.01

app = FastAPI()


async def _tokens() -> AsyncIterator[str]:
    for i in range(TOKENS):
        yield f'data: "tok{i} "\n\n'
        await asyncio.sleep(TOKEN_PAUSE)
    yield 'event: end\ndata: {"reason":"done"}\n\n'


@app.post("/stream")
async def stream() -> StreamingResponse:
    return StreamingResponse(
        _tokens(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


@app.get("/bench/info")
async def info() -> dict[str, Any]:
    return {"pid": os.getpid()}
