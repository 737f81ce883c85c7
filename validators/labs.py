"""Lab results against the lab catalogue (schema/labs.yaml) and CTCAE v5.0 (schema/ctcae.yaml).

Results are read by ecrf.clinical.labresult: a censored result ("<0.5") stands for an open interval, and a
check fires only when every value the result can stand for breaks the rule. Not-done tests, qualitative
results and units outside the LabUnit codelist (a COL-CODELIST finding) are skipped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.clinical.ctcae import grade_range, terms_by_test
from ecrf.clinical.labcatalogue import catalogue, limits_frame, units_frame
from ecrf.clinical.labresult import CENSORED, NOT_DONE, NUMBER, with_parsed
from ecrf.params import class_parameter
from ecrf.registry import Findings, check
from ecrf.table import TEXT, keyed_like

if TYPE_CHECKING:
    from ecrf.engine import Context

REF = "Domain reference section 3 (lab catalogue, hard limits [CONV])"
CTCAE_REF = "NCI CTCAE v5.0; pharmaverse admiral ncictcaev5 grading metadata"


def lab_parameter(ctx, key: str):
    return class_parameter(ctx.model, "LabChecks", key)


def lab_results(ctx) -> pl.LazyFrame | None:
    """Lab rows that carry a result, parsed, with the unit's factor to SI (null if not allowed) and limits, as a
    query over `lab_rows` that each lab check extends: its own query then copies only the columns and rows it
    reads. (A filtered copy shared by the checks, held to the end of the run, was 150 MiB at 10,000 subjects once
    any test was not done.) Only the columns the lab checks read: subjid, visit, visitnum, lbdat, lbtestcd, the
    result, unit, reference range, indicator, status and grade, and `_idx`."""
    return lab_rows(ctx, pl.col(HAS_RESULT))


def with_result(ctx, where: pl.Expr) -> pl.LazyFrame | None:
    """`lab_results` with a further condition `where` on the table's own columns in the same filter: parts of
    one query that each filtered lab_results further would share its filter as a common subplan, which polars
    computes once with every column any part reads."""
    return lab_rows(ctx, pl.col(HAS_RESULT) & where)


HAS_RESULT = "_has_result"  # (lab_rows) the row carries a result: a test named, not NOT DONE, a result read


def lab_rows(ctx, where: pl.Expr | None = None) -> pl.LazyFrame | None:
    """Every lab row as `lab_results` reads it, whether it carries a result or not (HAS_RESULT), at its place in
    the table (row i has `_idx` i). The rows and the reading of each (test, unit, result) combination are computed
    once per export and shared by the lab checks; a check's query looks up its combination's reading (`_combo`) for
    the rows (`where`, on the table's columns, `_idx` and HAS_RESULT) and columns it reads. (Held on every row, the
    readings took 70 MiB at 10,000 subjects for the whole run.)"""
    shared = _shared(ctx)
    if shared is None:
        return None
    rows, combos = shared
    picked = rows.lazy() if where is None else rows.lazy().filter(where)
    # a look-up by position, not a join: a join would copy every row column the query reads (the combination's
    # own text is the row's already)
    return picked.with_columns(pl.lit(combos[c]).gather(pl.col("_combo")).alias(c) for c in combos.columns
                               if c not in COMBINATION) \
        .drop("_combo")  # (combination i is row i of combos)


def results_of_combinations(ctx, rule: pl.Expr) -> pl.LazyFrame | None:
    """The rows with a result (as `with_result` gives them) whose (test, unit, result) combination meets `rule`, an
    expression of the combination (lbtestcd, lborresu, lborres) and its reading (parsed result, factor, catalogue
    limits) alone; None when no combination does (or there are no lab rows). A check whose rule reads nothing else
    judges the few thousand combinations instead of the million rows, then reads the rows of those found."""
    shared = _shared(ctx)
    if shared is None:
        return None
    found = shared[1].lazy().with_row_index("_combo").filter(rule).select("_combo").collect(engine=F.ENGINE)
    return None if found.is_empty() else with_result(ctx, pl.col("_combo").is_in(found["_combo"].implode()))


COMBINATION = ("lbtestcd", "lborresu", "lborres")  # what a result's reading depends on


def _shared(ctx) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """(the lab rows, each with its combination's number; the combinations with their readings), built once per
    export; None without lab rows."""
    lb = ctx.table("lb")
    if lb is None or lb.n_rows == 0:
        return None
    return lb.memo(("lab_rows", id(ctx.model)), lambda: _read_rows(ctx, lb))


def _read_rows(ctx, lb) -> tuple[pl.DataFrame, pl.DataFrame]:
    # A column missing from the export is null of no type: give every column its type so joins still work.
    # One lazy query: the lab table's columns are shared, not copied (a cast to the type a column has is none;
    # text stays dictionary-encoded, as the tables hold it: as plain text the million rows' seven columns took 110 MiB).
    typed = lb.typed.lazy().select(
        [pl.col(c).cast(TEXT) for c in ("subjid", "visit", "lbtestcd", "lborres", "lborresu", "lbnrind", "lbstat")]
        + [pl.col(c).cast(pl.Float64) for c in ("lbornrlo", "lbornrhi")] + [pl.col("lbtoxgr").cast(pl.Int64)]
        + [pl.col("visitnum"), pl.col("lbdat")]).with_row_index("_idx")
    # The result's reading, the unit's factor and the test's limits depend on (test, unit, result) alone, which
    # repeat over the rows (a million results, a few thousand combinations): they are worked out once per
    # combination, and each row keeps the number of its combination.
    keys = list(COMBINATION)
    by_combination = (with_parsed(typed.select(keys).unique(), "lborres", "_r", ctx.model)
                      .drop("_r_cmp")  # (the comparator: _r_lo and _r_hi say what it means; no check reads it)
                      .join(keyed_like(units_frame(ctx.model).lazy(), typed, "lbtestcd", "lborresu"),
                            on=["lbtestcd", "lborresu"], how="left")
                      .join(keyed_like(limits_frame(ctx.model).lazy(), typed, "lbtestcd"), on="lbtestcd", how="left")
                      .collect(engine=F.ENGINE).with_row_index("_combo"))
    # Each row's combination number (and whether it carries a result), joined on the key columns alone and put
    # beside the rows: a combination has one row (a test's units and the catalogue's tests are unique), so the
    # join keeps the rows' number and order, and the rows' other columns are not copied through it.
    rows = typed.collect(engine=F.ENGINE)
    not_done = pl.col("lbstat").fill_null("") == "NOT DONE"
    has_result = ~not_done & (pl.col("_r_status") != NOT_DONE) & pl.col("lbtestcd").is_not_null()
    found = (rows.lazy().select(*keys, "lbstat")
             .join(by_combination.lazy().select(*keys, "_combo", "_r_status"), on=keys, how="left",
                   maintain_order="left", nulls_equal=True)
             .select("_combo", has_result.fill_null(False).alias(HAS_RESULT))
             .collect(engine=F.ENGINE))
    # one chunk per column, as the checks' tables (see engine.validate: polars 2.1 and empty chunks)
    return pl.concat([rows, found.rechunk()], how="horizontal"), by_combination.drop("_combo")


def _out(bad: pl.DataFrame | pl.LazyFrame, field: str, value: pl.Expr, expected: pl.Expr, message: pl.Expr) -> dict:
    f = F.from_frame(bad, field, value, expected, message)
    return {} if f is None else {"lb": f}


def _fmt(e: pl.Expr) -> pl.Expr:
    return e.round(4).cast(pl.Utf8).str.replace(r"\.0$", "")


@check("LAB-UNIT", "Lab unit not allowed for the test", "consistency", "error", ("lb",),
       "The unit (LBORRESU) of a result is not one the lab catalogue allows for its test (LabTestCode units), "
       "or a numeric result of a quantitative test has no unit. A value in an unknown unit cannot be converted "
       "to SI, so the limit and grade checks skip it.",
       reference=REF, fields=("LBORRESU",))
def lab_unit(ctx: Context) -> Findings:
    lb = ctx.table("lb")
    if lb is None or "lborresu" not in lb.df.columns:  # a missing column is a structure finding
        return {}
    m = ctx.model
    codes = set(m.forms["lb"].item("lborresu").codes)
    allowed = {c: ", ".join(t.units) or "no unit (qualitative)" for c, t in catalogue(m).items()}
    has_unit = pl.col("lborresu").is_not_null()
    numeric = pl.col("_r_status").is_in([NUMBER, CENSORED])
    # the rule reads the combination and its reading alone: judged per combination, then the rows found read
    bad = results_of_combinations(ctx, pl.col("lbtestcd").is_in(list(allowed)) & (
        (has_unit & pl.col("lborresu").is_in(list(codes)) & pl.col("_factor").is_null())
        | (~has_unit & numeric & ~pl.col("_qualitative").fill_null(False))))
    if bad is None:
        return {}
    expected = pl.col("lbtestcd").replace_strict(allowed, default="")
    message = pl.when(has_unit).then(pl.format("unit {} is not allowed for {} (allowed: {})", pl.col("lborresu"),
                                               pl.col("lbtestcd"), expected)) \
        .otherwise(pl.format("{} result {} has no unit (allowed: {})", pl.col("lbtestcd"), pl.col("lborres"), expected))
    return _out(bad, "LBORRESU", pl.col("lborresu").fill_null(""), expected, message)


def _outside(lo: str, hi: str, tol: float) -> tuple[pl.Expr, pl.Expr]:
    """(below, above): every value the result stands for (in SI) lies below `lo` / above `hi`."""
    vmin, vmax = pl.col("_r_lo") * pl.col("_factor"), pl.col("_r_hi") * pl.col("_factor")
    below = (vmax < pl.col(lo) - pl.col(lo).abs() * tol).fill_null(False)
    above = (vmin > pl.col(hi) + pl.col(hi).abs() * tol).fill_null(False)
    return below, above


def _limit_findings(ctx, lo: str, hi: str, kind: str, skip_hard: bool) -> dict:
    tol = lab_parameter(ctx, "relative_tolerance")
    below, above = _outside(lo, hi, tol)
    keep = pl.col("_factor").is_not_null() & pl.col("_r_num").is_not_null() & (below | above)
    if skip_hard:  # beyond a hard limit is LAB-HARD-LIMIT's finding
        hb, ha = _outside("_hard_lo", "_hard_hi", tol)
        keep = keep & ~hb & ~ha
    # the rule reads the combination's reading alone: judged per combination, then the rows of those found read
    bad = results_of_combinations(ctx, keep)
    if bad is None:
        return {}
    rng = pl.format("{} to {} {}", _fmt(pl.col(lo)).fill_null(""), _fmt(pl.col(hi)).fill_null(""), pl.col("_si_unit"))
    si = pl.when(pl.col("_factor") != 1).then(
        pl.format(" (= {} {})", _fmt(pl.col("_r_num") * pl.col("_factor")), pl.col("_si_unit"))).otherwise(pl.lit(""))
    message = pl.format("{} {} {}{} is outside the {} {}", pl.col("lbtestcd"), pl.col("lborres"),
                        pl.col("lborresu"), si, pl.lit(kind), rng)
    return _out(bad, "LBORRES", pl.col("lborres"), rng, message)


@check("LAB-HARD-LIMIT", "Lab result outside the hard limits", "range", "error", ("lb",),
       "A result, converted to the test's SI unit with the catalogue's factor, lies outside the test's hard "
       "limits (hard_low, hard_high): impossible in children. A censored result fires only when all the values it "
       "stands for are outside (\"<0.5\" is not below a lower limit of 0).",
       reference=REF, fields=("LBORRES",))
def lab_hard_limit(ctx: Context) -> Findings:
    return _limit_findings(ctx, "_hard_lo", "_hard_hi", "hard limits", skip_hard=False)


@check("LAB-SOFT", "Lab result outside the query band", "range", "warning", ("lb",),
       "A result within the hard limits, converted to SI, lies outside the test's soft (query) band "
       "(soft_low, soft_high; [CONV] assumptions): possible but rare, worth confirming with the site.",
       reference=REF, fields=("LBORRES",))
def lab_soft(ctx: Context) -> Findings:
    return _limit_findings(ctx, "_soft_lo", "_soft_hi", "query band", skip_hard=True)


@check("LAB-NRIND", "Normal range indicator contradicts the result", "consistency", "warning", ("lb",),
       "The recorded LBNRIND (NORMAL, LOW, HIGH, ABNORMAL) is impossible for the result against its own reference "
       "range LBORNRLO..LBORNRHI (same unit). A value within the tolerance of a limit may be either; a censored "
       "result allows every indicator one of its values would give.",
       reference="CDISC SDTM LB (LBNRIND); result's own reference range", fields=("LBNRIND",))
def lab_nrind(ctx: Context) -> Findings:
    tol = lab_parameter(ctx, "relative_tolerance")
    lo, hi = pl.col("lbornrlo"), pl.col("lbornrhi")
    vmin, vmax = pl.col("_r_lo"), pl.col("_r_hi")
    can_low = (vmin < lo + lo.abs() * tol).fill_null(False)
    can_high = (vmax > hi - hi.abs() * tol).fill_null(False)
    can_normal = (vmax >= lo - lo.abs() * tol).fill_null(True) & (vmin <= hi + hi.abs() * tol).fill_null(True)
    ind = pl.col("lbnrind")
    ok = (pl.when(ind == "NORMAL").then(can_normal).when(ind == "LOW").then(can_low)
          .when(ind == "HIGH").then(can_high).when(ind == "ABNORMAL").then(can_low | can_high)
          .otherwise(pl.lit(True)))
    # the rows with an indicator and a limit picked before their readings are looked up (with_result)
    lf = with_result(ctx, ind.is_not_null() & (lo.is_not_null() | hi.is_not_null()))
    if lf is None:
        return {}
    lf = lf.filter(pl.col("_r_num").is_not_null())
    bad = lf.filter(~ok)  # collected by from_frame, with only the columns the finding reads
    expected = pl.concat_str([pl.when(can_low).then(pl.lit("LOW")), pl.when(can_normal).then(pl.lit("NORMAL")),
                              pl.when(can_high).then(pl.lit("HIGH"))], separator=" or ", ignore_nulls=True)
    message = pl.format("{} {} {} recorded as {} against its reference range {} to {}", pl.col("lbtestcd"),
                        pl.col("lborres"), pl.col("lborresu").fill_null(""), ind,
                        _fmt(lo).fill_null(""), _fmt(hi).fill_null(""))
    return _out(bad, "LBNRIND", ind, expected, message)


@check("LAB-CTCAE", "Recorded CTCAE grade inconsistent with the result", "consistency", "warning", ("lb",),
       "The recorded CTCAE v5.0 grade (LBTOXGR) is outside the grades the result allows, computed in SI from the "
       "value, the result's own reference limits (LLN, ULN) and, after the baseline visit, the baseline result "
       "(schema/ctcae.yaml). Within the tolerance of a threshold either grade is accepted; grades that need "
       "clinical facts beyond the last lab threshold are accepted once that threshold is crossed. Tests without "
       "a mapped CTCAE term, results in a unit without a factor, and results lacking a limit the grade needs are "
       "skipped.",
       reference=CTCAE_REF, fields=("LBTOXGR",))
def lab_ctcae(ctx: Context) -> Findings:
    d = lab_results(ctx)
    if d is None:
        return {}
    m = ctx.model
    f = pl.col("_factor")
    base_visit = lab_parameter(ctx, "baseline_visit")
    high = str(lab_parameter(ctx, "high_indicators")).split()
    # the baseline visit's rows picked before their readings are looked up (with_result), then filtered on those
    at_base = with_result(ctx, pl.col("visit") == base_visit)
    assert at_base is not None  # (as d is not None)
    base = (at_base.filter((pl.col("_r_status") == NUMBER) & f.is_not_null())
            .select("subjid", "lbtestcd", (pl.col("_r_num") * f).alias("_base"),
                    pl.col("lbnrind").is_in(high).fill_null(False).alias("_base_high"))
            .unique(["subjid", "lbtestcd"], keep="first").collect(engine=F.ENGINE))
    by_test = terms_by_test(m)
    uses_base = {code for code, ts in by_test.items() if any(t.needs("BASE") or t.abnormal for t in ts)}
    # Each test's rules on its rows only, numbers only, every test's part in one query: a test's rows are picked
    # from the lab rows by its own part (with_result), so no copy of all the graded rows is held beside a partition
    # of it (at 10,000 subjects the two held some 150 MiB at once). The text a finding quotes is read for its few rows at the end,
    # by `_idx` (row i of lab_rows).
    graded_row = pl.col("lbtoxgr").is_not_null()
    # the graded tests the table holds (a test without graded rows adds an empty part; the findings' order is the
    # rows', whatever the parts' order)
    present = set(d.select(pl.col("lbtestcd").unique().cast(pl.Utf8)).collect(engine=F.ENGINE).to_series().to_list())
    codes = [code for code in by_test if code in present]
    numbers = ["_idx", "lbtestcd", "lbtoxgr", "lbornrlo", "lbornrhi", "_r_lo", "_r_hi", "_factor"]
    tol = lab_parameter(ctx, "ctcae_relative_tolerance")
    g = pl.col("lbtoxgr")
    found = []
    for code in codes:
        # the whole condition in one filter: parts sharing lab_results' own would have every graded row copied
        rows_of_test = with_result(ctx, graded_row & (pl.col("lbtestcd") == code))
        assert rows_of_test is not None  # (as d is not None)
        rows_of_test = rows_of_test.filter(pl.col("_r_num").is_not_null() & f.is_not_null())
        if code in uses_base:  # the baseline joined for the tests graded against it only, by subject
            part = (rows_of_test.select(*numbers, "subjid", "visit")
                    .join(base.lazy().filter(pl.col("lbtestcd") == code).drop("lbtestcd"), on="subjid", how="left",
                          maintain_order="left")
                    .with_columns(pl.when(pl.col("visit") != base_visit).then(pl.col("_base")).alias("_base")))
        else:
            part = rows_of_test.select(numbers).with_columns(pl.lit(None, pl.Float64).alias("_base"),
                                                             pl.lit(None, pl.Boolean).alias("_base_high"))
        r = grade_range(code, pl.col("_r_lo") * f, pl.col("_r_hi") * f, pl.col("lbornrlo") * f,
                        pl.col("lbornrhi") * f, pl.col("_base"), pl.col("_base_high"), m, tol)
        if r is not None:
            found.append(part.with_columns(r[0].alias("_gmin"), r[1].alias("_gmax"))
                         .filter(r[2] & ((g < pl.col("_gmin")) | (g > pl.col("_gmax")))).select("_idx", "_gmin", "_gmax"))
    bad = pl.concat(found).collect(engine=F.ENGINE) if found else None
    if bad is None or bad.is_empty():
        return {}
    # the rows found, with the text the finding quotes and the baseline the message names (any test's)
    rows = lab_rows(ctx, pl.col("_idx").is_in(bad["_idx"].implode()))
    assert rows is not None  # (as d is not None)
    found_rows = (bad.lazy().join(rows, on="_idx", how="left", maintain_order="left")
                  .join(base.lazy(), on=["subjid", "lbtestcd"], how="left", maintain_order="left")
                  .with_columns(pl.when(pl.col("visit") != base_visit).then(pl.col("_base")).alias("_base")))
    expected = pl.when(pl.col("_gmin") == pl.col("_gmax")).then(pl.col("_gmin").cast(pl.Utf8)) \
        .otherwise(pl.format("{} to {}", pl.col("_gmin"), pl.col("_gmax")))
    ref = pl.format("LLN {}, ULN {}", _fmt(pl.col("lbornrlo")).fill_null("-"), _fmt(pl.col("lbornrhi")).fill_null("-"))
    base_txt = pl.when(pl.col("_base").is_not_null()).then(
        pl.format(", baseline {} {}", _fmt(pl.col("_base")), pl.col("_si_unit"))).otherwise(pl.lit(""))
    message = pl.format("CTCAE grade {} recorded for {} {} {} ({}{}); the result gives grade {}", g,
                        pl.col("lbtestcd"), pl.col("lborres"), pl.col("lborresu"), ref, base_txt, expected)
    return _out(found_rows, "LBTOXGR", g, expected, message)
