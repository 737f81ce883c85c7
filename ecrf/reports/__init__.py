"""Reporters render one run's findings table; they never change it.

Each report format maps to `module:function`, a function of the `ecrf.audit.Run` returning text (str) or
bytes; `ecrf validate --format` offers exactly these formats. Machine-readable formats open with
`ecrf.audit.audit_header(run)`.
"""

from __future__ import annotations

import importlib

FORMATS = {
    "table": "ecrf.reports.terminal:render",
    "json": "ecrf.reports.machine:to_json",
    "csv": "ecrf.reports.machine:to_csv",
    "junit": "ecrf.reports.junit:to_junit",
    "xlsx": "ecrf.reports.xlsx:to_xlsx",
    "html": "ecrf.reports.html:to_html",
}
# Formats written as bytes that need --output (never dumped on a terminal).
BINARY = {"xlsx"}


def render(fmt: str, run, **options):
    """The report of `run` in format `fmt` (str or bytes)."""
    module, func = FORMATS[fmt].split(":")
    return getattr(importlib.import_module(module), func)(run, **options)
