"""Write ``src/ts/client/wire.ts`` from ``dash_live/core/wire.py``: the page's copy of the names.

Run ``python scripts/wire_ts.py`` after changing dash_live/core/wire.py (then rebuild the bundle);
``tests/unit/test_wire.py`` fails while the two differ.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import get_args

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "ts" / "client" / "wire.ts"
sys.path.insert(0, str(ROOT))

from dash_live.core import wire  # noqa: E402  (after the path is set, when run as a script)

STRINGS = [
    "RESERVED_PREFIX",
    "UPDATE_EVENT",
    "ROOMS_EVENT",
    "START_EVENT",
    "CANCEL_EVENT",
    "FRAME_EVENT",
    "ROOMS_AUTH_KEY",
    "TAB_AUTH_KEY",
    "STREAM_ROUTE",
    "CANCEL_ROUTE",
    "CONFIG_SCRIPT_ID",
]
UNIONS = {"FrameKind": wire.FrameKind, "EndReason": wire.EndReason, "OpName": wire.OpName}


def render() -> str:
    """The TypeScript module, as it must read."""
    lines = [
        "// Generated from dash_live/core/wire.py by scripts/wire_ts.py: do not edit by hand.",
        "// tests/unit/test_wire.py fails when this file and dash_live/core/wire.py differ.",
        "",
    ]
    lines += [f"export const {name} = {json.dumps(getattr(wire, name))};" for name in STRINGS]
    lines.append("")
    for name, union in UNIONS.items():
        lines.append(f"export type {name} = {' | '.join(json.dumps(v) for v in get_args(union))};")
    props = json.dumps(sorted(wire.INCREMENTAL_PROPS))
    lines += ["", f"export const INCREMENTAL_PROPS: ReadonlySet<string> = new Set({props});", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    TARGET.write_text(render())
    print(f"wrote {TARGET.relative_to(ROOT)}")
