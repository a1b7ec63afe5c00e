"""A table streamed by an event callback: gapminder into an AG Grid, chunk by chunk.

The generator yields one batch per chunk, ``stream_props([("grid", {"rowTransaction":
{"add": rows}}), ("table-progress", {"value": percent}), ...])``: the page applies a batch in
one render, so the rows and the progress bar never disagree. ``rowTransaction`` is an
increment: dash-live never drops or folds one away, however fast they come. Notifications
mark the start and the end; ``running`` animates the bar and swaps the buttons while the
stream runs; Cancel closes the generator on the server, and ``reset_props`` tells the page.

The data is ``plotly.data.gapminder()``, a CSV shipped inside plotly: no network needed. The
grid formats its numbers in the browser (``valueFormatter`` with the d3-format functions that
dash-ag-grid offers to its function strings), so the rows travel as plain numbers and sort and
filter as numbers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
import plotly.data
from dash import Input, Output

from dash_live import append, event_callback, stream_props
from dash_live.core.stream_props import StreamProps

from .notify import NOTIFY_ID, note

__all__ = ["CHUNK_ROWS", "ROW_COUNT", "card", "column_defs", "gapminder_rows", "register"]

CHUNK_ROWS = 100
#: JavaScript for the page: how many rows the grid shows (-1 before it is ready), for the
#: browser tests and the screenshot script to wait on.
ROW_COUNT = """() => {
    try {
        return window.dash_ag_grid.getApi('grid').getDisplayedRowCount();
    } catch (notReady) {
        return -1;
    }
}"""
TITLE = "Streamed table"
_COLUMNS = ["country", "continent", "year", "lifeExp", "pop", "gdpPercap"]
# Header and d3-format specifier (https://d3js.org/d3-format) of each formatted column:
# 8425333 shows as 8,425,333, 28.801 as 28.8, 779.4453 as $779.
_NUMBER_FORMATS = {
    "lifeExp": ("Life expectancy", ".1f"),
    "pop": ("Population", ","),
    "gdpPercap": ("GDP per capita", "$,.0f"),
}


def gapminder_rows() -> list[dict[str, Any]]:
    """The gapminder rows (1,704 of them), as records with the columns the grid shows."""
    frame = plotly.data.gapminder()[_COLUMNS]
    rows: list[dict[str, Any]] = frame.to_dict("records")
    return rows


def column_defs() -> list[dict[str, Any]]:
    """The grid's columns: the numbers formatted in the browser, the values left as numbers.

    >>> column_defs()[4]["valueFormatter"]
    {'function': "params.value == null ? '' : d3.format(',')(params.value)"}
    """
    columns: list[dict[str, Any]] = []
    for field in _COLUMNS:
        if field not in _NUMBER_FORMATS:
            columns.append({"field": field})
            continue
        header, specifier = _NUMBER_FORMATS[field]
        formatter = f"params.value == null ? '' : d3.format('{specifier}')(params.value)"
        columns.append(
            {
                "field": field,
                "headerName": header,
                "valueFormatter": {"function": formatter},
                "type": "rightAligned",
            }
        )
    return columns


def card() -> Any:
    """The table section: ids ``start-table``, ``cancel-table``, ``table-progress``,
    ``table-status`` and ``grid``."""
    return dmc.Card(
        [
            dmc.Title(TITLE, order=4),
            dmc.Text(
                "An event callback yields rowTransaction {'add': rows} and the progress in one "
                f"batch per {CHUNK_ROWS} rows.",
                size="sm",
                c="dimmed",
                mb="sm",
            ),
            dmc.Group(
                [
                    dmc.Button("Stream the table", id="start-table"),
                    dmc.Button("Cancel", id="cancel-table", color="red", disabled=True),
                    dmc.Text(id="table-status", size="sm", c="dimmed"),
                ]
            ),
            dmc.Progress(id="table-progress", value=0, size="lg", my="sm"),
            dag.AgGrid(
                id="grid",
                columnDefs=column_defs(),
                rowData=[],
                defaultColDef={"sortable": True, "filter": True, "resizable": True, "flex": 1},
                style={"height": 400},
            ),
        ],
        withBorder=True,
        padding="lg",
    )


def register(chunk_delay: float) -> None:
    """Register the streaming callback; ``chunk_delay`` seconds pass between two chunks."""
    rows = gapminder_rows()
    total = len(rows)

    @event_callback(
        Input("start-table", "n_clicks"),
        prevent_initial_call=True,
        running=[
            (Output("start-table", "loading"), True, False),
            (Output("cancel-table", "disabled"), False, True),
            (Output("table-progress", "animated"), True, False),
        ],
        cancel=[Input("cancel-table", "n_clicks")],
        reset_props={
            "table-status": {"children": "Cancelled."},
            NOTIFY_ID: {"sendNotifications": [note(TITLE, "Cancelled.", color="orange")]},
        },
        timeout=300,
    )
    def stream_table(clicks: int) -> Iterator[StreamProps]:
        start = note(TITLE, f"Streaming {total} rows…", auto_close=2000)
        yield stream_props(
            [
                ("grid", {"rowData": []}),
                ("table-progress", {"value": 0}),
                ("table-status", {"children": f"Stream {clicks}: 0 / {total} rows"}),
                (NOTIFY_ID, {"sendNotifications": append([start])}),
            ]
        )
        for first in range(0, total, CHUNK_ROWS):
            if chunk_delay:
                time.sleep(chunk_delay)  # as if each chunk came from a slow query
            chunk = rows[first : first + CHUNK_ROWS]
            sent = first + len(chunk)
            yield stream_props(
                [
                    ("grid", {"rowTransaction": {"add": chunk}}),
                    ("table-progress", {"value": round(100 * sent / total, 1)}),
                    ("table-status", {"children": f"Stream {clicks}: {sent} / {total} rows"}),
                ]
            )
        done = note(TITLE, f"Done: {total} rows.", color="green")
        yield stream_props(NOTIFY_ID, {"sendNotifications": append([done])})
