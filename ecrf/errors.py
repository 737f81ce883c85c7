"""Input errors: problems reading an export, as opposed to findings about the data in it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_INPUT_ERROR = 2
EXIT_INTERNAL_ERROR = 3


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    """Control characters, escape sequences and line breaks shown as escapes (\\n, \\x1b): text from an
    export or a file name can then neither move the cursor nor start a line of its own."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


@dataclass
class InputError(Exception):
    """One-line, user-facing description of an unreadable input, naming file, row and column."""

    file: Path | str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = str(self.file)
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        # a file name, column name or message quoting the export may hold control characters: one safe line
        return escape_controls(f"{where}: {self.message}")
