"""Cells that a reader met in a typed format and reports rather than guesses about (Excel error and formula
cells); the reader raises them as Problems, these checks turn them into findings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecrf import findings as F
from ecrf.registry import Findings, check

if TYPE_CHECKING:
    from ecrf.engine import Context


@check("XLSX-ERROR-CELL", "Excel error value in a cell", "structure", "error", (),
       "A workbook cell holds an Excel error (#N/A, #VALUE!, #REF!, ...) instead of a value; it is read as "
       "empty and named by sheet and cell.")
def excel_error_cell(ctx: Context) -> Findings:
    return F.from_problems(ctx.export.problems, "XLSX-ERROR-CELL")


@check("XLSX-FORMULA-CELL", "Excel formula instead of a typed value", "structure", "warning", (),
       "A workbook cell holds a formula; it is read as the value Excel saved with it, and named by sheet and "
       "cell, because a collected value should be typed, not computed.")
def excel_formula_cell(ctx: Context) -> Findings:
    return F.from_problems(ctx.export.problems, "XLSX-FORMULA-CELL")
