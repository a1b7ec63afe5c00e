"""The README's complete examples (```python blocks) run as written, without a browser; fragments
use ```py. tests/browser/test_readme_snippets.py drives each of them in Chromium."""

from __future__ import annotations

import pytest

from tests.conftest import needs_fastapi, needs_quart
from tests.readme_blocks import python_blocks

HAS_FASTAPI = not needs_fastapi.args[0]
HAS_QUART = not needs_quart.args[0]


def test_readme_python_examples_run() -> None:
    blocks = [b for b in python_blocks() if b.language == "python"]
    assert len(blocks) >= 3
    namespace: dict[str, object] = {"__name__": "readme_example"}
    for block in blocks:
        if 'backend="fastapi"' in block.code and not HAS_FASTAPI:
            continue  # the FastAPI example needs Dash >= 4.2 with dash[fastapi] (make compat)
        if 'backend="quart"' in block.code and not HAS_QUART:
            continue  # the Quart example needs Dash >= 4.2 with dash[quart]
        exec(compile(block.code, f"README.md line {block.line}", "exec"), namespace)
    # The last block tests the event callback of the one before, without a browser.
    assert "updates" in namespace


SAMPLE = """# Title
```python
a = 1
```
## Part
```sh
make demo
```
```py
b = a
```
```python
c = 2
```
"""


def test_blocks_are_named_by_their_section_and_place() -> None:
    blocks = python_blocks(SAMPLE)
    assert [(b.key, b.language, b.line) for b in blocks] == [
        (("Title", 0), "python", 2),
        (("Part", 0), "py", 9),
        (("Part", 1), "python", 12),
    ]
    assert blocks[1].code == "b = a\n"


def test_an_unclosed_block_is_an_error_that_says_where() -> None:
    with pytest.raises(ValueError, match="README line 2: code block never closed"):
        python_blocks("# Title\n```python\na = 1\n")
