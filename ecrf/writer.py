"""The one way `ecrf` writes a file: atomically, never over or into the input, with hostile text defused.

Every report, generated artifact and example export goes through `write_text` / `write_bytes`: the content
goes to a temporary file in the target folder and is renamed over the target only when complete, so a full
disk or a killed run leaves the previous file intact. `cell` neutralises spreadsheet formulas in CSV and
Excel outputs; `terminal` escapes control characters and escape sequences before they reach a terminal.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from ecrf.errors import InputError, escape_controls
from ecrf.numbers import is_number


class OutputError(InputError):
    """A report or artifact that cannot be written: one line, exit code 2 (the user's or the file system's
    problem, not a defect)."""


_protected: list[Path] = []


def protect(*paths: Path | str) -> None:
    """Declare input paths (files or folders) that no output may overwrite or be written into."""
    for p in paths:
        _protected.append(Path(p).resolve())


def unprotect() -> None:
    _protected.clear()


def _refuse_input(target: Path, allow_inside: bool) -> None:
    t = target.resolve()
    for p in _protected:
        if t == p:
            raise OutputError(target, "refusing to write over an input of this run; choose another file")
        if not allow_inside and p.is_dir() and p in t.parents:
            raise OutputError(target, f"refusing to write inside the export folder {p}; choose another folder "
                                      "(or pass --output-inside-export)")


def check_target(target: Path | str, allow_inside_input: bool = False) -> None:
    """Refuse (OutputError) a target that is an input of this run, inside the export folder, or in a folder
    that does not exist: checked before a run starts, and for outputs written in place (the ledger)."""
    target = Path(target)
    _refuse_input(target, allow_inside_input)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(target, f"folder {folder} does not exist")


def write_bytes(target: Path | str, data: bytes, allow_inside_input: bool = False) -> Path:
    """Write `data` to `target` atomically; raise OutputError (exit 2) with one line on any failure."""
    target = Path(target)
    _refuse_input(target, allow_inside_input)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(target, f"folder {folder} does not exist")
    if target.is_dir():
        raise OutputError(target, "is a folder; name a file to write")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        os.fchmod(fd, _mode(target))  # mkstemp makes 0600; the file gets the mode open() would give it
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists() and not target.is_file():
            raise OutputError(target, "is not a regular file; name a file to write")
        os.replace(tmp, target)
        tmp = None
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(target, f"cannot write: {exc.strerror or exc}") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _mode(target: Path) -> int:
    """The permissions a plain open() would leave: an existing file keeps its own, a new one gets 0666 less
    the umask."""
    try:
        st = target.stat()
        if stat.S_ISREG(st.st_mode):
            return stat.S_IMODE(st.st_mode)
    except OSError:
        pass
    mask = os.umask(0)  # the only way to read the umask: set it and put it back at once
    os.umask(mask)
    return 0o666 & ~mask


def make_folder(directory: Path | str) -> Path:
    """Create an output folder (and its parents); OutputError (exit 2) when the file system says no."""
    directory = Path(directory)
    _refuse_input(directory / ".", allow_inside=False)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(directory, f"cannot create the folder: {exc.strerror or exc}") from None
    return directory


def write_text(target: Path | str, text: str, allow_inside_input: bool = False) -> Path:
    return write_bytes(target, text.encode("utf-8"), allow_inside_input)


_FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """A value safe for a CSV or spreadsheet cell: text that a spreadsheet would run as a formula (leading
    = + - @ tab or CR) gets a leading apostrophe; plain numbers such as -1.5 stay as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_LEAD) and not is_number(value):
        return "'" + value
    return value


def terminal(text: str | None) -> str:
    """Text from an export made safe to print: control characters, escape sequences and line breaks are
    shown as escapes (\\n, \\x1b) so no value can move the cursor, recolour the screen or fake a line."""
    if text is None:
        return ""
    return escape_controls(text)
