"""Each benchmark owns one marked section of docs/performance.md and rewrites only that section."""

from __future__ import annotations

import re
from pathlib import Path


def write_section(path: Path, name: str, text: str) -> None:
    """Replace the block between `<!-- begin NAME -->` and `<!-- end NAME -->` (appended when absent)."""
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    block = f"{begin}\n{text.rstrip()}\n{end}\n"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.S)
    if pattern.search(old):
        new = pattern.sub(lambda _: block, old, count=1)
    else:
        new = (old.rstrip() + "\n\n" if old.strip() else "") + block
    path.write_text(new, encoding="utf-8")
