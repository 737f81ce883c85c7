"""Findings: one table with fixed columns, whatever check produced them.

A check returns a small frame (row index into its form's table, field, value, expected, message); the
engine enriches it with subject, visit, record key and provenance, and gives it a stable fingerprint.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Final

import polars as pl

from ecrf.table import FILE, REF, ROW, Table

# The fixed columns of a finding, in report order (shared/design.md, "A finding").
COLUMNS = ["fingerprint", "check_id", "severity", "category", "dvcat", "site", "subject", "visit", "form", "record_key",
           "field", "value", "expected", "message", "source_file", "source_row", "source_ref"]
# source_ref: where the finding sits in the export format's own terms (an Excel cell, an ODM path, a REDCap
# record/event/instrument/field); null for a CSV export, where source_file and source_row say it all.
# site: the record's SITEID, else the subject's site from the other forms (null for export-level findings).
# dvcat: the protocol-deviation category of a deviation finding (informed consent, eligibility, ...), else null.
SCHEMA = {c: pl.Utf8 for c in COLUMNS} | {"source_row": pl.Int64}

# What a check function returns: `_idx` is the 0-based row of the form's table (null for form-level).
# Optional: `check_id` (a runner emitting several checks) and `source_file` (file-level findings).
RAW_SCHEMA = {"_idx": pl.Int64, "field": pl.Utf8, "value": pl.Utf8, "expected": pl.Utf8, "message": pl.Utf8}

# The engine for the checks' lazy queries: polars' default ("auto") picks the streaming engine, whose start-up
# costs twice the in-memory engine's on the small frames most checks query; eager operations run in memory
# anyway. (The engine hands the checks contiguous tables: see engine.validate.)
ENGINE: Final = "in-memory"

# The one severity mapping: a check's severity, or a deviation's importance, which ranks with the severities
# (important as an error, non-important as a warning). The registry, reports, colours and the --fail-on gate
# derive from it.
SEVERITIES = ("error", "warning", "important", "non-important")
SEVERITY_ORDER = {"error": 0, "important": 0, "warning": 1, "non-important": 1}
ERRORS = frozenset(s for s, rank in SEVERITY_ORDER.items() if rank == 0)
WARNINGS = frozenset(s for s, rank in SEVERITY_ORDER.items() if rank == 1)


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def raw(**cols) -> pl.DataFrame:
    """Build a raw findings frame; scalar values broadcast over the row indices given in _idx."""
    idx = cols.pop("_idx")
    n = len(idx)
    data = {"_idx": idx}
    schema = dict(RAW_SCHEMA)
    for k in ("field", "value", "expected", "message", "check_id", "source_file", "source_ref"):
        if k not in cols and k not in RAW_SCHEMA:
            continue
        v = cols.get(k)
        data[k] = v if isinstance(v, (list, pl.Series)) else [v] * n
        schema[k] = pl.Utf8
    return pl.DataFrame(data, schema=schema)


def from_frame(bad: pl.DataFrame | pl.LazyFrame | None, field: str | pl.Expr, value: pl.Expr, expected: pl.Expr,
               message: pl.Expr) -> pl.DataFrame | None:
    """A raw findings frame from the offending rows `bad` (with `_idx`): field, value, expected and message
    evaluated on each row; None when there are none. A LazyFrame is collected here, so only the columns these
    expressions read are materialised (a filter over a wide table then copies no other column)."""
    if bad is None or (isinstance(bad, pl.DataFrame) and bad.is_empty()):
        return None
    f = field if isinstance(field, pl.Expr) else pl.lit(field)
    # Always through the lazy engine: it reads only these columns. Rechunked: polars 2.1 panics ("binview: i <
    # self.len()") formatting a string column that holds an empty chunk, as a filter can leave.
    if isinstance(bad, pl.DataFrame) and max(bad.n_chunks("all"), default=1) > 1:  # (a query: only when needed)
        read = {"_idx"} | {n for e in (f, value, expected, message) for n in e.meta.root_names()}
        bad = bad.select(c for c in bad.columns if c in read).rechunk()
    cols = raw_query(bad.lazy(), f, value, expected, message).collect(engine=ENGINE)
    return None if cols.is_empty() else cols


def raw_query(bad: pl.LazyFrame, field: str | pl.Expr, value: pl.Expr, expected: pl.Expr,
              message: pl.Expr, keep: tuple[str, ...] = ()) -> pl.LazyFrame:
    """`from_frame` as a query not yet run, so that a check runs several together (`pl.collect_all`): each query
    run alone costs a fixed ~0.2 ms however small its frame. `keep`: columns of `bad` kept in front (e.g. the form
    of each finding, for a check that finds on several forms in one query)."""
    f = field if isinstance(field, pl.Expr) else pl.lit(field)
    return bad.select(*keep, pl.col("_idx").cast(pl.Int64), f.cast(pl.Utf8).alias("field"), value.cast(pl.Utf8).alias("value"),
                      expected.cast(pl.Utf8).alias("expected"), message.cast(pl.Utf8).alias("message"))


ORD = ("_ord_frame", "_ord_check", "_ord_row")  # a gathered finding's place in the run (see `gathered`)
# Every column a raw frame may carry, as the engine gathers them per form before enriching them in one pass.
RAW_ALL = RAW_SCHEMA | {"check_id": pl.Utf8, "source_file": pl.Utf8, "source_ref": pl.Utf8}


def gathered(rawf: pl.DataFrame, check_id: str | None, ordinal: int) -> pl.LazyFrame:
    """A check's raw frame with every RAW_ALL column (check_id from the frame, else `check_id`) and its place in
    the run (ORD: the frame's ordinal, then its checks in order of first appearance, then its rows), so that
    frames gathered per form come out of `enrich` in the order the checks produced them."""
    cols = []
    for c, t in RAW_ALL.items():
        if c in rawf.columns:
            cols.append(pl.col(c).cast(t))
        else:
            cols.append(pl.lit(check_id if c == "check_id" else None, t).alias(c))
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    first = row.min().over("check_id") if "check_id" in rawf.columns else pl.lit(0, pl.Int64)
    return rawf.lazy().select(*cols, pl.lit(ordinal, pl.Int64).alias(ORD[0]), first.alias(ORD[1]), row.alias(ORD[2]))


def enrich(rawf: pl.DataFrame | pl.LazyFrame, checks: Mapping[str, Any], table: Table | None,
           form_domain: str | None = None) -> pl.DataFrame:
    """Attach check metadata (from `checks`, by the frame's check_id), subject, visit, record key and provenance
    to raw findings on one form (or, with no table, on the export)."""
    f = rawf.collect(engine=ENGINE) if isinstance(rawf, pl.LazyFrame) else rawf
    if f.is_empty():
        return empty()
    return enriched_query(f, checks, table, form_domain).collect(engine=ENGINE)


def enriched_query(f: pl.DataFrame, checks: Mapping[str, Any], table: Table | None,
                   form_domain: str | None = None) -> pl.LazyFrame:
    """`enrich` as a query, so that the engine collects every form's together (one query instead of a handful
    per form: on a small export each costs more than its work)."""
    lf = f.lazy().with_columns(pl.lit(None, t).alias(c) for c, t in RAW_ALL.items() if c not in f.columns)
    if table is not None and not table.df.is_empty():
        # only the rows the findings point at: the record key and provenance of a 1.8-million-row table are
        # not built for a handful of findings
        wanted = f.lazy().select(pl.col("_idx").drop_nulls().unique().cast(pl.Int64))
        cols = table.df.columns
        keys = [k for k in table.form.keys if k in cols]
        key_expr = pl.concat_str([pl.lit(f"{k.upper()}=") + pl.col(k).fill_null("") for k in keys], separator="|") \
            if keys else pl.lit(None, pl.Utf8)
        # The subject and visit items are those the schema annotates with that role (KN5601-K: SUBJID, VISIT).
        subject = table.form.find_role("subject") or "subjid"
        visit = table.form.find_role("visit") or "visit"
        site = table.form.find_role("site") or "siteid"
        # the format's cell address for findings on a field of the table (an Excel cell, an ODM item path)
        fields = [x for x in f["field"].unique().to_list() if x and x.lower() in cols] \
            if table.cell_ref is not None else []
        ctx = table.df.lazy().with_row_index("_idx").with_columns(pl.col("_idx").cast(pl.Int64)) \
            .join(wanted, on="_idx", how="semi").select(
                "_idx",
                (pl.col(site) if site in cols else pl.lit(None, pl.Utf8)).alias("site"),
                (pl.col(subject) if subject in cols else pl.lit(None, pl.Utf8)).alias("subject"),
                (pl.col(visit) if visit in cols else pl.lit(None, pl.Utf8)).alias("visit"),
                key_expr.alias("record_key"),
                pl.col(FILE).alias("source_file_t"),
                pl.col(ROW).alias("source_row"),
                (pl.col(REF) if REF in cols else pl.lit(None, pl.Utf8)).alias("source_ref_t"),
                *(table.cell_ref(x.lower()).cast(pl.Utf8).alias(f"_cell_{x}") for x in fields),
            )
        lf = lf.join(ctx, on="_idx", how="left")
        # what the check gave wins; the table fills the rest
        ref = pl.coalesce("source_ref", "source_ref_t")
        for x in fields:
            ref = pl.when(pl.col("field") == x).then(pl.col(f"_cell_{x}")).otherwise(ref)
        lf = lf.with_columns(pl.coalesce("source_file", "source_file_t").alias("source_file"), ref.alias("source_ref"))
        file = table.path.name
    else:
        lf = lf.with_columns(pl.lit(None, pl.Utf8).alias(c) for c in ("site", "subject", "visit", "record_key"))
        lf = lf.with_columns(pl.lit(None, pl.Int64).alias("source_row"))
        file = table.path.name if table is not None else None
    domain = form_domain or (table.form.domain if table is not None else None)
    ids = pl.col("check_id")
    lf = lf.with_columns(
        ids.replace_strict({k: c.severity for k, c in checks.items()}, default=None, return_dtype=pl.Utf8)
        .alias("severity"),
        ids.replace_strict({k: c.category for k, c in checks.items()}, default=None, return_dtype=pl.Utf8)
        .alias("category"),
        ids.replace_strict({k: c.dvcat for k, c in checks.items()}, default=None, return_dtype=pl.Utf8)
        .alias("dvcat"),
        pl.lit(domain, pl.Utf8).alias("form"),
        pl.col("source_file").fill_null(pl.lit(file, pl.Utf8)),
        pl.lit("").alias("fingerprint"),
    )
    keep = [c for c in ORD if c in f.columns]
    return lf.select([pl.col(c).cast(t) for c, t in SCHEMA.items()] + keep)


def from_problems(problems, kind: str) -> dict:
    """Raw findings, by form domain, for the reader problems of one kind (the id of the check reporting them)."""
    by_form: dict = {}
    for p in problems:
        if p.kind == kind:
            by_form.setdefault(p.form if p.idx is not None else None, []).append(p)
    return {d: raw(_idx=[p.idx for p in ps], field=[p.field for p in ps], value=[p.value for p in ps],
                   expected=[p.expected for p in ps], message=[p.message for p in ps],
                   source_file=[p.file for p in ps], source_ref=[p.ref for p in ps])
            for d, ps in by_form.items()}


def finalize(findings: list[pl.DataFrame]) -> pl.DataFrame:
    """One sorted table with fingerprints that stay the same across runs for the same problem.

    The fingerprint hashes check, form, record key and field (not the row number, which moves when rows
    are added); identical problems on one record are told apart by an ordinal in the order of their value,
    expected value and message.
    """
    f = pl.concat([x for x in findings if not x.is_empty()] or [empty()], how="vertical")
    if f.is_empty():
        return f
    f = f.with_columns(pl.col("severity").replace_strict(SEVERITY_ORDER, default=2).alias("_sev"))
    f = f.sort(["_sev", "form", "source_row", "check_id", "field"], nulls_last=True).drop("_sev")
    ident = ["check_id", "form", "record_key", "field", "subject"]
    # The ordinal follows the problems' content, not their rows, so it survives reordered rows.
    content = ["value", "expected", "message", "source_file", "source_row"]
    f = f.with_columns(pl.int_range(pl.len()).over(ident, order_by=content, descending=False, nulls_last=True)
                       .alias("_occ"))
    base = f.select(pl.concat_str([pl.col(c).fill_null("") for c in ident] + [pl.col("_occ").cast(pl.Utf8)],
                                  separator="\x1f")).to_series().to_list()
    fps = [hashlib.sha1(s.encode()).hexdigest()[:16] for s in base]
    return f.drop("_occ").with_columns(pl.Series("fingerprint", fps, dtype=pl.Utf8))


def fill_sites(f: pl.DataFrame, tables) -> pl.DataFrame:
    """Give findings on forms without SITEID the subject's site as the other forms record it (Demographics
    first); a subject recorded at two sites keeps the site of the record itself, or the first one seen."""
    if f.is_empty() or f["site"].is_not_null().all():
        return f
    # each table's first site of each subject, then the first of those (the tables' million rows are not
    # copied as text to find ten thousand subjects)
    pairs = [t.df.lazy().select(pl.col("subjid").alias("subject"), pl.col("siteid").alias("_site")).drop_nulls()
             .unique("subject", keep="first", maintain_order=True).select(pl.all().cast(pl.Utf8))
             for d, t in sorted(tables.items(), key=lambda kv: kv[0] != "dm")
             if {"subjid", "siteid"} <= set(t.df.columns)]
    if not pairs:
        return f
    sites = pl.concat(pairs).unique("subject", keep="first", maintain_order=True).collect(engine=ENGINE)
    return f.join(sites, on="subject", how="left", maintain_order="left") \
        .with_columns(pl.coalesce("site", "_site").alias("site")).drop("_site").select(f.columns)
