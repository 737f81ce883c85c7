"""Input errors: problems reading an export, as opposed to findings about the data in it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_INPUT_ERROR = 2
EXIT_INTERNAL_ERROR = 3


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
        return f"{where}: {self.message}"
