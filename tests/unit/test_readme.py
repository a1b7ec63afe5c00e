"""The README's complete examples (```python blocks) run as written; fragments use ```py."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import needs_fastapi

HAS_FASTAPI = not needs_fastapi.args[0]
README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_python_examples_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    assert len(blocks) >= 3
    namespace: dict[str, object] = {"__name__": "readme_example"}
    for block in blocks:
        if 'backend="fastapi"' in block and not HAS_FASTAPI:
            continue  # the FastAPI example needs Dash >= 4.2 with dash[fastapi] (make compat)
        exec(compile(block, str(README), "exec"), namespace)
    # The last block tests the event callback of the one before, without a browser.
    assert "updates" in namespace
