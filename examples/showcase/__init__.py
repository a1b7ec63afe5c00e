"""The dash-live showcase: every feature of the package in one page.

Run it with ``make demo`` (or ``python -m examples.showcase.app``) and open
http://127.0.0.1:8050. Each section lives in its own module:

- :mod:`.status`: the ``DashSocketIO`` component and a badge that follows its connection state;
- :mod:`.notify`: Mantine notifications fed by Socket.IO events and by pushed props;
- :mod:`.lorem`: a fake LLM ("LoremLM") streamed twice, with ``push_props`` from a normal
  callback and with an ``@event_callback`` generator;
- :mod:`.chat`: a chat room across tabs, browser to server with ``emit``, server to the room
  with ``push_props(..., to=room)``;
- :mod:`.table`: the gapminder table streamed into an AG Grid with a progress bar;
- :mod:`.app`: the layout and ``create_app()``;
- :mod:`.backend`: all that differs between Flask and Dash's FastAPI backend
  (``make demo BACKEND=fastapi``).
"""
