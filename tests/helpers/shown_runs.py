"""The commands a page shows with the output printed under them: each ``bash`` block of a section followed by
a plain block, read as (command, the output shown)."""

from __future__ import annotations

from pathlib import Path


def shown_runs(page: Path, heading: str) -> list[tuple[str, str]]:
    """(command, the output block right after it) of each ``bash`` block of the section ``## heading`` of ``page``
    that an output block follows."""
    section = page.read_text(encoding="utf-8").split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    runs = []
    for block in section.split("```bash\n")[1:]:
        command, rest = block.split("```\n", 1)
        if rest.startswith("```\n"):
            runs.append((command.strip(), rest[len("```\n"):].split("```", 1)[0]))
    return runs
