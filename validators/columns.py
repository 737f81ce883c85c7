"""Column-level checks derived from the schema: the pandera module as published, and the engine's fused run.

The pandera module is rendered from the schema (ecrf.generators.pandera_module); `ecrf validate` runs the same
tests fused into a few polars queries for all the forms (validators/columns_fused.py), about 40x faster, and
tests/test_column_engines.py proves the two give the same failures. Both feed `_to_raw`, so a finding does not
depend on the engine.
"""

from __future__ import annotations

import types
from functools import lru_cache

import polars as pl

from ecrf.registry import Check, register, register_runner
from ecrf.table import TEXT
from ecrf.validators.columns_fused import fused_failures

_COLUMN_CHECKS = [
    ("COL-REQUIRED", "Required item missing", "structure", "An item the schema marks required is empty."),
    ("COL-TYPE", "Value of the wrong type", "structure", "A value that is not an integer or a number where the schema wants one."),
    ("COL-CODELIST", "Value not in the codelist", "structure", "A coded item whose value is not a permissible value of its enum."),
    ("COL-PATTERN", "Value does not match its pattern", "structure", "A text item whose value does not match the schema's pattern (e.g. SUBJID)."),
    ("COL-DATE", "Invalid or malformed date", "structure", "A date that is not ISO 8601 (YYYY-MM-DD, or YYYY / YYYY-MM where partial dates are allowed) or not a calendar date."),
    ("COL-RANGE", "Value outside its hard range", "range", "A number outside the schema's minimum_value..maximum_value (impossible values)."),
    ("FORM-DUPKEY", "Duplicate record key", "structure", "Two or more records of a form share the key the schema declares (unique_keys)."),
]
# pandera's names for its built-in checks, mapped onto ours
_BUILTIN = {"not_nullable": "COL-REQUIRED", "multiple_fields_uniqueness": "FORM-DUPKEY",
            "field_uniqueness": "FORM-DUPKEY"}


@lru_cache(maxsize=4)
def pandera_schemas(model) -> dict:
    """The generated pandera module's SCHEMAS, executed from the text `ecrf generate pandera` writes."""
    from ecrf.generators.pandera_module import render

    module = types.ModuleType("ecrf_pandera_checks")
    exec(compile(render(model), "<ecrf generated pandera module>", "exec"), module.__dict__)
    return module.SCHEMAS


def pandera_failures(model, table) -> pl.DataFrame:
    """The failure cases of one table through the generated pandera module (index, column, check, failure_case)."""
    from pandera.errors import SchemaErrors

    try:
        # the module checks the export as a vendor reads it, as text (not dictionary-encoded)
        pandera_schemas(model)[table.form.domain].validate(table.df.with_columns(pl.col(TEXT).cast(pl.Utf8)), lazy=True)
    except SchemaErrors as err:
        return err.failure_cases.select(pl.col("index").cast(pl.Int64), pl.col("column").cast(pl.Utf8),
                                        pl.col("check").cast(pl.Utf8), pl.col("failure_case").cast(pl.Utf8))
    return pl.DataFrame(schema={"index": pl.Int64, "column": pl.Utf8, "check": pl.Utf8, "failure_case": pl.Utf8})


def run_column_checks(ctx, engine: str = "fused"):
    """Raw findings of the column-level checks per form; engine "pandera" runs the generated module instead."""
    tables = [t for t in ctx.tables.values() if t.n_rows > 0]
    if engine == "pandera":
        failures = [pandera_failures(ctx.model, t) for t in tables]
    else:
        failures = fused_failures(tables)
    return {t.form.domain: _to_raw(fc, t) for t, fc in zip(tables, failures) if not fc.is_empty()}


def _to_raw(fc: pl.DataFrame, table) -> pl.DataFrame:
    fc = fc.with_columns(pl.col("check").replace(_BUILTIN).alias("check_id"))
    unexpected = set(fc["check_id"].unique()) - {c[0] for c in _COLUMN_CHECKS}
    if unexpected:
        raise RuntimeError(f"pandera reported checks ecrf does not know: {sorted(unexpected)}")
    form = table.form
    cell = fc.filter(pl.col("check_id") != "FORM-DUPKEY")
    expected = {i.name: i.expected() for i in form.items}
    titles = {i.name: i.title for i in form.items}
    parts = []
    if not cell.is_empty():
        parts.append(cell.select(
            pl.col("index").cast(pl.Int64).alias("_idx"),
            pl.col("column").replace_strict(titles, default=pl.col("column")).alias("field"),
            pl.when(pl.col("check_id") == "COL-REQUIRED").then(None).otherwise(pl.col("failure_case")).alias("value"),
            pl.when(pl.col("check_id") == "COL-REQUIRED").then(pl.lit("a value"))
              .otherwise(pl.col("column").replace_strict(expected, default=None)).alias("expected"),
            pl.concat_str([pl.col("column").replace_strict(titles, default=pl.col("column")), pl.lit(": "),
                           pl.col("check_id").replace_strict(_MESSAGES, default="")]).alias("message"),
            pl.col("check_id"),
        ))
    dup = fc.filter(pl.col("check_id") == "FORM-DUPKEY")
    # the records of repeated keys (all of each group), the only rows the duplicate findings read
    repeated = table.df[dup["index"].cast(pl.Int64)].with_columns(dup["index"].cast(pl.Int64).alias("_idx"))
    if not dup.is_empty():
        # pandera's polars backend flags every row of a duplicate group; the first one is the original.
        first = repeated.group_by(list(form.keys)).agg(pl.col("_idx").min())["_idx"]
        dup = dup.filter(~pl.col("index").cast(pl.Int64).is_in(first.implode()))
    if not dup.is_empty():
        keys = "|".join(k.upper() for k in form.keys)
        parts.append(dup.select(
            pl.col("index").cast(pl.Int64).alias("_idx"),
            pl.lit(keys).alias("field"),
            pl.lit(None, pl.Utf8).alias("value"),
            pl.lit("one record per " + ", ".join(k.upper() for k in form.keys)).alias("expected"),
            pl.lit(f"an earlier record of {form.name} has the same key").alias("message"),
            pl.col("check_id"),
        ))
    raw = pl.concat(parts)
    if "FORM-DUPKEY" in set(raw["check_id"]):
        # value of a duplicate: the key it repeats, read from the table
        keyvals = repeated.select(
            "_idx",
            pl.concat_str([pl.col(k).fill_null("") for k in form.keys], separator="|").alias("_key"))
        raw = raw.join(keyvals, on="_idx", how="left").with_columns(
            pl.when(pl.col("check_id") == "FORM-DUPKEY").then(pl.col("_key")).otherwise(pl.col("value")).alias("value")
        ).drop("_key")
    return raw.sort("_idx")


_MESSAGES = {
    "COL-REQUIRED": "required item is empty",
    "COL-TYPE": "value is not of the item's type",
    "COL-CODELIST": "value is not in the codelist",
    "COL-PATTERN": "value does not match the expected format",
    "COL-DATE": "not a valid ISO 8601 date",
    "COL-RANGE": "value outside the hard range",
}

for _id, _title, _cat, _desc in _COLUMN_CHECKS:
    register(Check(_id, _title, _cat, "error", (), _desc, runner="columns",
                   reference="the study schema (--schema; default schema/kn5601k.yaml): slot ranges, patterns, "
                             "enums, unique_keys"))
register_runner("columns", run_column_checks)
