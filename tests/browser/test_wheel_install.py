"""The package installs like any Dash component (issue 11): built into an sdist and a wheel that
both carry the bundle, turned from sdist into wheel and installed into a clean venv with no
Node.js on PATH, then serving a page in Chromium from that venv, not from this checkout.

The installed app runs in a child process started from the clean venv, with the checkout off
``sys.path`` (no PYTHONPATH, working directory in tmp), and reports where it imported
``dash_live`` from. pip fetches the dependencies from the registry (its cache makes that quick).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response, expect

from devtools.processes import ROOT, free_port, stop_process, wait_for_port

BUNDLE = "dash_live/dash_live.js"
# Generated files that exist only because the build hook ran: git-ignored, shipped as artifacts.
GENERATED = [
    BUNDLE,
    "dash_live/DashSocketIO.py",
    "dash_live/_imports_.py",
    "dash_live/metadata.json",
]

APP = """
import json
import sys

import dash
from dash import Input, Output, html

import dash_live
from dash_live import DashSocketIO, append, attach_socketio, event_callback, stream_props

app = dash.Dash(__name__)
attach_socketio(app)
app.layout = html.Div(
    [
        DashSocketIO(id="socket"),
        html.Div(id="connected"),
        html.Button("Go", id="go"),
        html.Div(id="out"),
    ]
)
app.clientside_callback(
    "(connected) => connected ? 'connected' : 'disconnected'",
    Output("connected", "children"),
    Input("socket", "connected"),
)


@event_callback(Input("go", "n_clicks"), prevent_initial_call=True)
def words(n_clicks):
    for word in ("streamed", "from", "the", "wheel"):
        yield stream_props("out", {"children": append(word + " ")})


print(json.dumps({"dash_live": dash_live.__file__}), flush=True)
app.run(host="127.0.0.1", port=int(sys.argv[1]), debug=False)
"""


def _no_node_env(bin_dir: Path) -> dict[str, str]:
    """The environment with PATH reduced to ``bin_dir``, which must hold no node or npm, and
    nothing that points Python at this checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = str(bin_dir)
    for tool in ("node", "npm"):
        assert shutil.which(tool, path=env["PATH"]) is None, f"{tool} is on PATH {env['PATH']!r}"
    return env


def _is_bundle(url: str) -> bool:
    """Dash serves the bundle under a fingerprinted name,
    ``/_dash-component-suites/dash_live/dash_live.v0_1_0m<mtime>.js``."""
    name = url.split("?")[0].rsplit("/", 1)[-1]
    return (
        "/_dash-component-suites/dash_live/" in url
        and name.startswith("dash_live.")
        and name.endswith(".js")
    )


def _run(args: list[str | Path], cwd: Path, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(sdist, wheel): the sdist built from the checkout, the wheel built from the extracted
    sdist with no Node.js on PATH, as pip does when it installs an sdist. ``--no-isolation``
    reuses this venv's hatchling and dash[dev] instead of downloading them again."""
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", out], ROOT)
    (sdist,) = out.glob("dash_live-*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(out / "src", filter="data")
    (source,) = (out / "src").iterdir()
    env = _no_node_env(Path(sys.executable).parent)
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", out], source, env)
    (wheel,) = out.glob("dash_live-*.whl")
    return sdist, wheel


def test_sdist_and_wheel_hold_the_generated_files(dist: tuple[Path, Path]) -> None:
    sdist, wheel = dist
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
    for name in GENERATED:
        assert name in in_sdist, f"{name} is missing from {sdist.name}"
        assert name in in_wheel, f"{name} is missing from {wheel.name}"
    assert "LICENSE" in in_sdist
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in in_wheel)


def test_installed_wheel_serves_a_streaming_page(
    dist: tuple[Path, Path], tmp_path: Path, page: Page
) -> None:
    _, wheel = dist
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], tmp_path)
    env = _no_node_env(venv / "bin")
    python = venv / "bin" / "python"
    _run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel],
        tmp_path,
        env,
    )
    (tmp_path / "app.py").write_text(textwrap.dedent(APP))

    port = free_port()
    server = subprocess.Popen(
        [python, "app.py", str(port)], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        report = server.stdout.readline()
        assert report, f"the app exited with {server.wait(10)} before starting"
        imported = Path(json.loads(report)["dash_live"]).resolve()
        assert imported.is_relative_to(venv.resolve()), f"dash_live came from {imported}"
        wait_for_port(port)

        bundles: list[Response] = []
        page.on("response", lambda r: bundles.append(r) if _is_bundle(r.url) else None)
        page.goto(f"http://127.0.0.1:{port}/")
        expect(page.locator("#connected")).to_have_text("connected")
        page.click("#go")
        expect(page.locator("#out")).to_have_text("streamed from the wheel ")

        assert [r.status for r in bundles] == [200], [r.url for r in bundles]
        with zipfile.ZipFile(wheel) as archive:
            assert bundles[0].body() == archive.read(BUNDLE)
    finally:
        stop_process(server)
        if server.stdout is not None:
            server.stdout.close()
