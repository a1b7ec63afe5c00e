"""``python -m tests.scaleout.push_kinds USER``: one batch of every kind of update, through Redis,
to every tab of USER (whichever process holds them), then a broadcast fence."""

from __future__ import annotations

import sys

from dash import Patch

from dash_live import append, merge, push_props


def main(user: str) -> None:
    patch = Patch()
    patch.append("patched")
    push_props(
        [
            ("title", {"children": "set"}),
            ("log", {"children": append(" appended")}),
            ("box", {"style": merge({"color": "red"})}),
            ("items", {"data": patch}),
        ],
        user=user,
    )
    push_props("news", {"children": "fence"}, broadcast=True)


if __name__ == "__main__":
    main(sys.argv[1])
