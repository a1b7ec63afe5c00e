"""Hatch build hook: compile the TypeScript bundle and generate the Dash component classes.

Runs for sdist, wheel and editable builds. It does nothing when every generated file is newer
than every source, so a wheel built from the sdist (which ships the generated files) needs no
Node.js.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

ROOT = Path(__file__).parent
OUTPUTS = [
    ROOT / "dash_live" / "dash_live.js",
    ROOT / "dash_live" / "_imports_.py",
    ROOT / "dash_live" / "package-info.json",
]
INPUTS = [
    ROOT / "package.json",
    ROOT / "package-lock.json",
    ROOT / "webpack.config.js",
    ROOT / "tsconfig.json",
    ROOT / "scripts" / "quote-proptypes.js",
]


def _newest_input() -> float:
    files = [p for p in INPUTS if p.exists()]
    files += [p for p in (ROOT / "src").rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in files)


def _outputs_fresh() -> bool:
    if not all(p.exists() for p in OUTPUTS):
        return False
    return min(p.stat().st_mtime for p in OUTPUTS) >= _newest_input()


class CustomBuildHook(BuildHookInterface[Any]):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if os.environ.get("SKIP_JS_BUILD") or not (ROOT / "src").exists() or _outputs_fresh():
            missing = [str(p.relative_to(ROOT)) for p in OUTPUTS if not p.exists()]
            if missing:
                raise RuntimeError(f"generated files are missing and cannot be built: {missing}")
            return
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed to build the dash_live bundle; install Node.js 20+")
        lock_stamp = ROOT / "node_modules" / ".package-lock.json"
        lock = ROOT / "package-lock.json"
        if not lock_stamp.exists() or lock_stamp.stat().st_mtime < lock.stat().st_mtime:
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True)
        subprocess.run([npm, "run", "build:js"], cwd=ROOT, check=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "dash.development.component_generator",
                "./src/ts/components",
                "dash_live",
                "-p",
                "package-info.json",
                "--ignore",
                "(^|/)_",
            ],
            cwd=ROOT,
            check=True,
        )
        # The same post-step as `npm run build:py`: quote the wildcard keys the generator leaves
        # bare in proptypes.js (see scripts/quote-proptypes.js).
        node = shutil.which("node") or "node"
        subprocess.run(
            [node, "scripts/quote-proptypes.js", "dash_live/proptypes.js"], cwd=ROOT, check=True
        )
