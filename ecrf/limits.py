"""Limits that keep memory bounded on huge or hostile input: a file larger than `max_file_size` or a cell
longer than `max_cell_length` is refused before it is read into memory (exit 2, naming file, row, column).

The defaults suit trial exports (the largest form of a 10,000-subject export is about 80 MB; free-text
cells are a few hundred characters). A user raises them with `ecrf validate --max-file-size/--max-cell-length`
or the environment variables ECRF_MAX_FILE_SIZE / ECRF_MAX_CELL_LENGTH (bytes; suffixes K, M, G allowed).
"""

from __future__ import annotations

import os
import re

FILE_SIZE_ENV = "ECRF_MAX_FILE_SIZE"
CELL_LENGTH_ENV = "ECRF_MAX_CELL_LENGTH"
# per file: a run takes about 16-20 MiB of memory per MiB of its largest file (bench/bench_limits.py), so this
# bounds a run at about 4-5 GiB; the largest form of a 10,000-subject export is about 80 MB
DEFAULT_MAX_FILE_SIZE = 256 * 1024**2
DEFAULT_MAX_CELL_LENGTH = 131072        # the csv module's own default field limit

_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}
_SIZE = re.compile(r"^\s*([0-9]+)\s*([KMG]?)i?B?\s*$", re.IGNORECASE)
_override: dict[str, int] = {}


def parse_size(text: str) -> int:
    """'1048576', '512M', '2G' -> bytes; ValueError for anything else."""
    m = _SIZE.match(str(text))
    if not m or int(m.group(1)) <= 0:
        raise ValueError(f"not a positive size: {text!r} (bytes, or a number with K, M or G)")
    return int(m.group(1)) * _UNITS[m.group(2).upper()]


def set_limits(max_file_size: int | None = None, max_cell_length: int | None = None) -> None:
    """Raise or lower the limits for this process (command-line options win over the environment)."""
    if max_file_size is not None:
        _override[FILE_SIZE_ENV] = max_file_size
    if max_cell_length is not None:
        _override[CELL_LENGTH_ENV] = max_cell_length


def reset() -> None:
    _override.clear()


def _get(env: str, default: int) -> int:
    if env in _override:
        return _override[env]
    raw = os.environ.get(env)
    if raw is None or not raw.strip():
        return default
    try:
        return parse_size(raw)
    except ValueError as exc:
        from ecrf.errors import InputError
        raise InputError(env, f"environment variable: {exc}") from None


def max_file_size() -> int:
    return _get(FILE_SIZE_ENV, DEFAULT_MAX_FILE_SIZE)


def max_cell_length() -> int:
    return _get(CELL_LENGTH_ENV, DEFAULT_MAX_CELL_LENGTH)


def check_file_size(path, size: int | None = None) -> None:
    """InputError when the file at `path` is over the size limit: refused before a byte of it is read."""
    from ecrf.errors import InputError

    size = os.stat(path).st_size if size is None else size
    if size > max_file_size():
        raise InputError(path, f"file is {human(size)}, over the limit of {human(max_file_size())}; raise it with "
                               f"--max-file-size or {FILE_SIZE_ENV} if this is expected")


def human(n: int) -> str:
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"
