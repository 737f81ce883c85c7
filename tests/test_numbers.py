"""The one number parser (ecrf.numbers): what is a number, the column and scalar forms agreeing, and no module
writing its own number pattern again."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from ecrf.clinical.labresult import comparator, result_number, with_parsed
from ecrf.numbers import format_number, integer, is_number, number, to_number

ROOT = Path(__file__).resolve().parents[1]

NUMBERS = {"12": 12.0, "-0.5": -0.5, "+3": 3.0, ".5": 0.5, "5.": 5.0, "1e9": 1e9, "2.5E-3": 0.0025, "007": 7.0}
NOT_NUMBERS = ["", "9,4", "1,234", "\u22125", "\uff11\uff12", "inf", "NaN", "POSITIVE", " 12", "12 ", "12\n", "1e",
               "e5", ".", "+", "1.2.3", "<0.5", "0x10", "1_000"]


def test_numbers_are_read_and_nothing_else_is():
    texts = list(NUMBERS) + NOT_NUMBERS
    got = pl.DataFrame({"t": texts}).select(number("t")).to_series().to_list()
    assert got == [*NUMBERS.values()] + [None] * len(NOT_NUMBERS)
    assert [to_number(t) for t in texts] == got
    assert [is_number(t) for t in texts] == [v is not None for v in got]


def test_integers_have_no_decimal_point():
    got = pl.DataFrame({"t": ["12", "-3", "+0", "1.0", "1e3", "x"]}).select(integer("t")).to_series().to_list()
    assert got == [12, -3, 0, None, None, None]


def test_scalars_pass_numbers_and_strict_refuses_text():
    assert to_number(3) == 3.0 and to_number(2.5) == 2.5
    assert to_number(None) is None and to_number("") is None
    assert to_number(True) is None and not is_number(True)
    assert to_number("high") is None
    with pytest.raises(ValueError, match="'high' is not a number"):
        to_number("high", strict=True)


def test_format_number_writes_whole_numbers_without_a_point():
    assert [format_number(x) for x in (3.0, 3, 0.1, -2.5, 1e-05)] == ["3", "3", "0.1", "-2.5", "1e-05"]


def test_censored_results_read_as_the_lab_result_parser_reads_them():
    texts = ["<20", "<= 15", "\u226415", ">1000", "12.5", "<.5", "POSITIVE", None]
    d = with_parsed(pl.DataFrame({"r": texts}, schema={"r": pl.Utf8}), "r", "_x")
    got = d.select(comparator("r").alias("c"), result_number("r").alias("n"))
    assert got["c"].to_list() == d["_x_cmp"].to_list() == ["<", "<=", "<=", ">", None, "<", None, None]
    assert got["n"].to_list() == d["_x_num"].to_list() == [20.0, 15.0, 15.0, 1000.0, 12.5, 0.5, None, None]


# A number pattern written again (the digits-point-digits core of NUMBER_RE, in [0-9] or \d spelling), or text
# cast to a float without the parser.
_PATTERN = re.compile(r"\[0-9\]\+\\\\?\.\?\[0-9\]\*|\\\\?d\+\\\\?\.\?\\\\?d\*")
_CAST = re.compile(r"contains\(NUMBER_RE\)\)\s*\.then\(")  # number()'s own when-number-then-cast, written again


def test_no_module_writes_its_own_number_pattern():
    """ecrf.numbers is the one place; ecrf.clinical.labresult builds its censored form on it. The pandera module
    generator writes the pattern into a standalone generated file, so it embeds it by design."""
    allowed = {"ecrf/numbers.py", "ecrf/generators/pandera_module.py"}
    found = []
    for folder in ("ecrf", "validators", "cli"):
        for f in sorted((ROOT / folder).rglob("*.py")):
            rel = f.relative_to(ROOT).as_posix()
            text = f.read_text(encoding="utf-8")
            if rel not in allowed and (_PATTERN.search(text) or _CAST.search(text)):
                found.append(rel)
    assert found == [], f"parse numbers with ecrf.numbers (number, to_number, is_number), not in {found}"
