"""The page's wire names (src/ts/client/wire.ts) are the server's (dash_live/core/wire.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_typescript_wire_names_are_generated_from_wire_py() -> None:
    spec = importlib.util.spec_from_file_location("wire_ts", ROOT / "scripts" / "wire_ts.py")
    assert spec is not None
    assert spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    written = generator.TARGET.read_text()
    assert written == generator.render(), (
        "src/ts/client/wire.ts differs from dash_live/core/wire.py: run "
        "`python scripts/wire_ts.py` and rebuild the bundle"
    )


def test_no_client_module_spells_a_wire_name_itself() -> None:
    from dash_live.core import wire

    names = [getattr(wire, name) for name in ("UPDATE_EVENT", "START_EVENT", "STREAM_ROUTE")]
    names += [wire.CANCEL_ROUTE, wire.FRAME_EVENT, wire.CANCEL_EVENT, wire.ROOMS_EVENT]
    for source in (ROOT / "src" / "ts").rglob("*.ts*"):
        if source.name == "wire.ts":
            continue
        text = source.read_text()
        spelled = [name for name in names if f"'{name}'" in text or f'"{name}"' in text]
        where = source.relative_to(ROOT)
        assert spelled == [], f"{where} spells {spelled}: import them from wire.ts"
