"""The Dash and Python matrix of ``make compat`` (part of ``make test``).

``.venv`` runs the whole suite on the pinned Dash 4.4.1 and Python 3.11. This script runs the
compatibility subset (every public feature, in the browser too) on the oldest and newest Dash
that pyproject allows and on the oldest and newest Python it supports, each in a venv of its
own under ``.venv-compat/``::

    .venv/bin/python scripts/compat.py            # every entry of MATRIX
    .venv/bin/python scripts/compat.py dash3.2.0  # the entries whose name contains that

A venv is made once and reused while its requirements stay the same. The code under test is
the checkout itself (pytest puts it first on ``sys.path``), with the bundle ``make`` built.
Exits non-zero when any entry fails, after running them all.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENVS = ROOT / ".venv-compat"

# What the subset needs besides Dash: the runtime dependencies (pyproject) and the test tools.
COMMON = [
    "flask>=2.2,<4",
    "flask-socketio>=5.3,<6",
    "python-socketio[client]>=5.11,<6",
    "simple-websocket>=1.0,<2",
    "redis>=5,<9",
    "plotly>=5",
    "pytest>=8,<10",
    "pytest-timeout>=2.3",
    "playwright>=1.50",
    "websocket-client>=1.6",
    "requests>=2.28",
    "gunicorn>=22",
    "gevent>=24",
    "numpy>=1.24",
    "pandas>=2",
    "dash-ag-grid>=31",
    "dash-mantine-components>=2.0,<3",
    "dash-auth>=2.3,<3",
]

# The subset: every tier, without the modules that only concern packaging and the showcase
# (they do not depend on the Dash version) and the scale-out suite (Redis, not Dash).
SUBSET = ["tests/unit", "tests/integration", "tests/browser"]
# The wheel, the showcase and the abuse cases of test_hardening exercise dash-live's own code
# paths, which do not change with the Dash release: once, in the main suite, is enough.
LEFT_OUT = [
    "tests/browser/test_wheel_install.py",
    "tests/browser/test_showcase.py",
    "tests/integration/test_hardening.py",
    # The package's import graph (grimp, from the dev tools): the same on every Dash release.
    "tests/unit/test_layout.py",
]


@dataclass(frozen=True)
class Entry:
    """One cell of the matrix: a Python found on this machine and a Dash release."""

    python: str
    dash: str

    @property
    def name(self) -> str:
        return f"py{self.python}-dash{self.dash}"

    @property
    def requirements(self) -> list[str]:
        # Dash's FastAPI and Quart backends exist from 4.2 on: there the subset covers them too.
        extra = "[fastapi,quart]" if tuple(map(int, self.dash.split(".")[:2])) >= (4, 2) else ""
        return [f"dash{extra}=={self.dash}", *COMMON]


MATRIX = [
    Entry("3.11", "3.0.0"),  # the oldest Dash that pyproject allows
    Entry("3.11", "3.2.0"),  # the Dash that dash-event-callback 1.2.0 pins
    Entry("3.10", "4.4.1"),  # the oldest Python
    Entry("3.13", "4.4.1"),  # the newest Python
]


def find_python(version: str) -> str:
    """The interpreter for ``version``: pyenv's, else ``python3.X`` on PATH (a pyenv shim on
    PATH may not run when that version is not selected, hence the check)."""
    candidates = [
        str(p) for p in sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python"))
    ]
    on_path = shutil.which(f"python{version}")
    for candidate in [*reversed(candidates), *([on_path] if on_path else [])]:
        probe = subprocess.run([candidate, "-c", "import venv"], capture_output=True)
        if probe.returncode == 0:
            return candidate
    raise SystemExit(f"make compat needs Python {version} (pyenv or python{version}); none runs")


def run(command: list[str], log: Path) -> int:
    with log.open("ab") as output:
        return subprocess.run(command, stdout=output, stderr=subprocess.STDOUT).returncode


def prepare(entry: Entry) -> Path:
    """Make (or reuse) the entry's venv; return its python."""
    venv = VENVS / entry.name
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    wanted = hashlib.sha256("\n".join(entry.requirements).encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted and python.exists():
        return python
    shutil.rmtree(venv, ignore_errors=True)
    VENVS.mkdir(exist_ok=True)
    log = VENVS / f"{entry.name}.install.log"
    log.unlink(missing_ok=True)
    steps = [
        [find_python(entry.python), "-m", "venv", str(venv)],
        [str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
        [str(python), "-m", "pip", "install", "--quiet", *entry.requirements],
    ]
    for step in steps:
        if run(step, log) != 0:
            raise RuntimeError(f"{entry.name}: {' '.join(step)} failed; see {log}")
    stamp.write_text(wanted)
    return python


def test(entry: Entry, python: Path) -> tuple[int, float]:
    command = [str(python), "-m", "pytest", "-q", *SUBSET, *(f"--ignore={p}" for p in LEFT_OUT)]
    print(f"== {entry.name}: {' '.join(command[1:])}", flush=True)
    started = time.monotonic()
    # PYTHONPATH: the integration tests' child processes import tests.* and dash_live from here.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = subprocess.run(command, cwd=ROOT, env=env).returncode
    return code, time.monotonic() - started


def main(names: list[str]) -> int:
    entries = [e for e in MATRIX if not names or any(n in e.name for n in names)]
    if not entries:
        raise SystemExit(f"no matrix entry matches {names!r}; they are {[e.name for e in MATRIX]}")
    # Installing is network-bound: all venvs at once. Testing drives Chromium: one at a time.
    with ThreadPoolExecutor(len(entries)) as pool:
        pythons = list(pool.map(prepare, entries))
    pairs = zip(entries, pythons, strict=True)
    results = [(entry, *test(entry, python)) for entry, python in pairs]
    print("\n== make compat")
    for entry, code, seconds in results:
        print(f"{entry.name:22} {'passed' if code == 0 else 'FAILED'}  {seconds:5.0f} s")
    return 1 if any(code != 0 for _, code, _ in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
