"""The README's Python code blocks, each named by the section it is in and its place there.

```python blocks are complete programs; ```py blocks are fragments that need names defined
around them. Tests name the block they run with :func:`block`, so a block that moves to
another section, or a new block, is noticed by the check that every block is run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"

_HEADING = re.compile(r"^#{1,6} (.+)$")
_FENCE = re.compile(r"^```(\w*)$")


@dataclass(frozen=True)
class Block:
    """One fenced code block of the README."""

    section: str  # the text of the nearest heading above it
    index: int  # its place among the Python blocks of that section, from 0
    language: str  # "python" (a complete program) or "py" (a fragment)
    line: int  # the line of its opening fence, from 1
    code: str

    @property
    def key(self) -> tuple[str, int]:
        return (self.section, self.index)


def python_blocks(text: str | None = None) -> list[Block]:
    """Every ```python and ```py block of the README (or of `text`), in order."""
    lines = (README.read_text() if text is None else text).splitlines()
    blocks: list[Block] = []
    section = ""
    counts: dict[str, int] = {}
    row = 0
    while row < len(lines):
        heading = _HEADING.match(lines[row])
        fence = _FENCE.match(lines[row])
        if heading:
            section = heading.group(1).strip()
        elif fence:
            end = row + 1
            while end < len(lines) and lines[end] != "```":
                end += 1
            if end == len(lines):
                raise ValueError(f"README line {row + 1}: code block never closed")
            language = fence.group(1)
            if language in ("python", "py"):
                index = counts.get(section, 0)
                counts[section] = index + 1
                code = "\n".join(lines[row + 1 : end]) + "\n"
                blocks.append(Block(section, index, language, row + 1, code))
            row = end
        row += 1
    return blocks


def block(section: str, index: int = 0) -> Block:
    """The `index`-th Python block under heading `section`; KeyError names what exists."""
    found = {b.key: b for b in python_blocks()}
    try:
        return found[(section, index)]
    except KeyError:
        raise KeyError(
            f"no Python block {index} under README heading {section!r}; there are {sorted(found)}"
        ) from None
