"""The fenced code blocks of README.md, for the tests that run what it shows."""

from __future__ import annotations

from dataclasses import dataclass

from tests.conftest import repo_root


@dataclass(frozen=True)
class Block:
    language: str  # what follows the opening fence ("sh", "python", "" ...)
    text: str  # the lines between the fences, each ending in a newline
    line: int  # the README line of the opening fence (1-based)


def readme_blocks() -> list[Block]:
    blocks: list[Block] = []
    language: str | None = None
    lines: list[str] = []
    start = 0
    for number, line in enumerate((repo_root() / "README.md").read_text().splitlines(), 1):
        if language is None:
            if line.startswith("```"):
                language, lines, start = line[3:].strip(), [], number
        elif line.startswith("```"):
            blocks.append(Block(language, "".join(f"{text}\n" for text in lines), start))
            language = None
        else:
            lines.append(line)
    assert language is None, "README.md: a code block is not closed"
    return blocks
