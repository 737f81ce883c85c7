"""What the terminal can take: its width, whether to colour, and a progress bar that shows only when a run is
long and stderr is a terminal (never in a pipe, a CI log or a report)."""

from __future__ import annotations

import os
import shutil
import sys
import time

import click

from ecrf.findings import ERRORS, SEVERITIES

# Errors (and important deviations) in bold red, warnings (and non-important deviations) in yellow.
SEVERITY_STYLE = {s: {"fg": "red", "bold": True} if s in ERRORS else {"fg": "yellow"} for s in SEVERITIES}
STATUS_STYLE = {"new": {"fg": "cyan", "bold": True}, "reopened": {"fg": "magenta", "bold": True},
                "accepted": {"fg": "green"}, "resolved": {"fg": "green"}}


def width(explicit: int | None, to_file: bool, stream=None) -> int | None:
    """Columns to fit: --width (0: no limit); none for a report file; the terminal's width on a terminal;
    $COLUMNS when set; otherwise no limit (a pipe keeps the full text)."""
    if explicit is not None:
        return explicit or None
    if to_file:
        return None
    stream = stream or sys.stdout
    if stream.isatty():
        return shutil.get_terminal_size((100, 24)).columns
    cols = os.environ.get("COLUMNS", "")
    return int(cols) if cols.isdigit() and int(cols) > 0 else None


def use_color(flag: bool | None, to_file: bool, stream=None, env=None) -> bool:
    """--color / --no-color decide; without either, colour only on a terminal and only when NO_COLOR is unset
    or empty (https://no-color.org)."""
    if flag is not None:
        return flag
    env = os.environ if env is None else env
    if to_file or env.get("NO_COLOR"):
        return False
    return (stream or sys.stdout).isatty()


def paint(column: str, text: str) -> str:
    """Colour a padded severity or status cell (the padding stays outside the escape codes' width)."""
    value = text.strip()
    style = SEVERITY_STYLE.get(value) if column == "severity" else STATUS_STYLE.get(value) if column == "status" \
        else None
    return click.style(text, **style) if style else text


class Progress:
    """Checks done out of all, redrawn on one stderr line; silent for the first `delay` seconds so short runs
    print nothing, and silent altogether when stderr is not a terminal."""

    def __init__(self, delay: float = 1.0, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.start = time.monotonic()
        self.delay = delay
        self.shown = False

    def __call__(self, done: int, total: int, label: str = "") -> None:
        if not self.enabled or time.monotonic() - self.start < self.delay:
            return
        cols = shutil.get_terminal_size((80, 24)).columns
        bar_w = max(10, min(30, cols - 40))
        fill = int(bar_w * done / max(total, 1))
        line = f"checking [{'#' * fill}{'.' * (bar_w - fill)}] {done}/{total} {label}"
        self.stream.write("\r" + line[: cols - 1].ljust(cols - 1))
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            cols = shutil.get_terminal_size((80, 24)).columns
            self.stream.write("\r" + " " * (cols - 1) + "\r")
            self.stream.flush()
