"""LoremLM, a fake LLM, streamed to the page in the two ways dash-live offers.

- **Over Socket.IO**: an ordinary ``@app.callback`` knows the tab's socket id (``State`` of the
  ``DashSocketIO``'s ``socketId``) and, while it runs, pushes each word with
  ``push_props("answer", {"children": append(word)}, to=socket_id)`` and emits
  ``notification`` events. Its own return value arrives last, as usual. On FastAPI it runs in
  a thread (:func:`~.backend.off_the_loop`): Dash would run a plain ``def`` on the event loop.
- **Over an event callback**: an ``@event_callback`` generator yields
  ``stream_props("answer-ec", {"children": append(word)})``; ``running`` greys out the buttons
  while it streams, the Stop button cancels it (the generator is closed on the server), and
  ``reset_props`` says so on the page.

The answer is deterministic: the same question always gets the same words, so a test can
compare the page with :func:`answer_text`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State

from dash_live import append, event_callback, push_props, stream_props
from dash_live.core.stream_props import StreamProps

from .backend import Socket, off_the_loop
from .notify import EVENT, NOTIFY_ID, note
from .status import SOCKET_ID

__all__ = ["answer_text", "event_callback_card", "register", "socketio_card", "tokens"]

_LOREM = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut "
    "labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco "
    "laboris nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate "
    "velit esse cillum eu fugiat nulla pariatur excepteur sint occaecat cupidatat non proident "
    "sunt culpa qui officia deserunt mollit anim id est laborum"
)
_VOCABULARY = _LOREM.split()

DEFAULT_QUESTION = "Why is the sky blue?"
SIO_TITLE = "LoremLM over Socket.IO"
EC_TITLE = "LoremLM over an event callback"


def tokens(question: str) -> list[str]:
    """The answer to ``question`` as streamed: words, each after the first led by a space.

    Seeded by the question (``random.Random`` hashes a str seed with SHA-512, so the answer is
    the same in every process), 40 to 80 words in sentences.

    >>> "".join(tokens("Why?")) == answer_text("Why?")
    True
    """
    rng = random.Random(question.strip().lower())
    count = rng.randint(40, 80)
    words: list[str] = []
    new_sentence = True
    for i in range(count):
        word = rng.choice(_VOCABULARY)
        if new_sentence:
            word = word.capitalize()
        new_sentence = i == count - 1 or rng.random() < 0.12
        words.append(word + "." if new_sentence else word)
    return [word if i == 0 else " " + word for i, word in enumerate(words)]


def answer_text(question: str) -> str:
    """The whole answer to ``question``, as the page shows it once streamed."""
    return "".join(tokens(question))


def _question_box(prefix: str, title: str, subtitle: str, stop: bool) -> Any:
    buttons = [dmc.Button("Ask", id=f"{prefix}ask")]
    if stop:
        buttons.append(dmc.Button("Stop", id=f"{prefix}stop", color="red", disabled=True))
    return dmc.Card(
        [
            dmc.Title(title, order=4),
            dmc.Text(subtitle, size="sm", c="dimmed", mb="sm"),
            dmc.Group(
                [dmc.TextInput(id=f"{prefix}question", value=DEFAULT_QUESTION, flex=1), *buttons],
                align="end",
            ),
            dmc.Text(id=f"{prefix}status", size="sm", c="dimmed", mt="sm"),
            dmc.Paper(
                dmc.Text(id=f"{prefix}answer", children=""), withBorder=True, p="sm", mih=120
            ),
        ],
        withBorder=True,
        padding="lg",
    )


def socketio_card() -> Any:
    """The Socket.IO section: ids ``question``, ``ask``, ``status``, ``answer``."""
    return _question_box(
        "",
        SIO_TITLE,
        "A normal callback pushes each word to this tab with push_props(..., to=socket_id).",
        stop=False,
    )


def event_callback_card() -> Any:
    """The event-callback section: the same ids with the prefix ``ec-``, plus ``ec-stop``."""
    return _question_box(
        "ec-",
        EC_TITLE,
        "A generator yields stream_props(...) over Server-Sent Events; Stop cancels it.",
        stop=True,
    )


def register(app: dash.Dash, socketio: Socket, word_delay: float) -> None:
    """Register both LoremLM callbacks; ``word_delay`` seconds pass between two words."""

    @app.callback(
        Output("status", "children"),
        Input("ask", "n_clicks"),
        State("question", "value"),
        State(SOCKET_ID, "socketId"),
        running=[(Output("ask", "loading"), True, False)],
        prevent_initial_call=True,
    )
    @off_the_loop(app)
    def ask_over_socketio(_clicks: int, question: str | None, socket_id: str | None) -> str:
        if not socket_id:
            return "Not connected yet: try again in a moment."
        if not (question or "").strip():
            return "Ask a question first."
        words = tokens(question or "")
        # One notification, shown now and updated at the end (same id).
        thinking = note(SIO_TITLE, "Thinking…", loading=True, auto_close=False)
        socketio.emit(EVENT, thinking, to=socket_id)
        push_props("answer", {"children": ""}, to=socket_id)
        for word in words:
            if word_delay:
                time.sleep(word_delay)  # a real model would be computing here (in a thread)
            push_props("answer", {"children": append(word)}, to=socket_id)
        done = note(
            SIO_TITLE,
            f"Done: {len(words)} words.",
            color="green",
            note_id=thinking["id"],
            action="update",
        )
        socketio.emit(EVENT, done, to=socket_id)
        return f"Answered in {len(words)} words."

    @event_callback(
        Input("ec-ask", "n_clicks"),
        State("ec-question", "value"),
        prevent_initial_call=True,
        running=[
            (Output("ec-ask", "loading"), True, False),
            (Output("ec-stop", "disabled"), False, True),
        ],
        cancel=[Input("ec-stop", "n_clicks")],
        # Applied by the page when Stop cancels the stream. A plain set (not append): nothing
        # else is sent with it, and the generator can no longer speak once it is closed.
        reset_props={
            "ec-status": {"children": "Stopped."},
            NOTIFY_ID: {"sendNotifications": [note(EC_TITLE, "Stopped.", color="orange")]},
        },
        timeout=120,
    )
    def ask_over_event_callback(_clicks: int, question: str | None) -> Iterator[StreamProps]:
        if not (question or "").strip():
            yield stream_props("ec-status", {"children": "Ask a question first."})
            return
        words = tokens(question or "")
        thinking = note(EC_TITLE, "Thinking…", auto_close=2000)
        yield stream_props(
            [
                ("ec-answer", {"children": ""}),
                ("ec-status", {"children": "Thinking…"}),
                (NOTIFY_ID, {"sendNotifications": append([thinking])}),
            ]
        )
        for word in words:
            if word_delay:
                time.sleep(word_delay)  # the generator runs in a worker thread
            yield stream_props("ec-answer", {"children": append(word)})
        done = note(EC_TITLE, f"Done: {len(words)} words.", color="green")
        yield stream_props(
            [
                ("ec-status", {"children": f"Answered in {len(words)} words."}),
                (NOTIFY_ID, {"sendNotifications": append([done])}),
            ]
        )
