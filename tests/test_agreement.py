"""The generated JSON Schema and pandera module catch the example's seeded column-level errors, as validate does.

Each seeded error of the bundled example export is run three ways: `ecrf validate`, the generated JSON Schema
(with the jsonschema library, over the export as JSON records) and the generated pandera module (over the
tables). All three must reject what was seeded and accept the clean export.
"""

from __future__ import annotations

import json
import re
import types

import jsonschema
import polars as pl
import pytest
from helpers import run_checks

from ecrf.generators import build
from ecrf.model import load_model
from ecrf.readers.csv_folder import read_csv_folder
from ecrf.numbers import INTEGER_RE, NUMBER_RE
from ecrf.table import TEXT

JSON_SCHEMA_CHECKS = {"COL-REQUIRED", "COL-TYPE", "COL-CODELIST", "COL-PATTERN", "COL-DATE", "COL-RANGE"}
PANDERA_CHECKS = JSON_SCHEMA_CHECKS | {"FORM-DUPKEY"}


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    from click.testing import CliRunner

    from ecrf.cli.main import main

    base = tmp_path_factory.mktemp("agree")
    runner = CliRunner()
    assert runner.invoke(main, ["example", str(base / "seeded")]).exit_code == 0
    assert runner.invoke(main, ["example", str(base / "clean"), "--subjects", "12", "--clean"]).exit_code == 0
    manifest = json.loads((base / "seeded" / "seeded_errors.json").read_text())
    return base / "seeded", base / "clean", manifest


def _records(table) -> list[dict]:
    """The table as JSON records: numbers where the item is numeric and the text parses, else the text."""
    out = []
    kinds = {i.name: "multi" if i.multivalued else i.kind for i in table.form.items}
    titles = {i.name: i.title for i in table.form.items}
    for row in table.df.drop("_row", "_file").iter_rows(named=True):
        rec = {}
        for k, v in row.items():
            if v is None or k not in kinds:
                continue
            if kinds[k] == "integer" and re.match(INTEGER_RE, v):
                v = int(v)
            elif kinds[k] == "decimal" and re.match(NUMBER_RE, v):
                v = float(v)
            elif kinds[k] == "multi":  # a multi-select: an array of its codes (docs/vendor-artifacts.md)
                v = [code.strip() for code in v.split(",")]
            rec[titles[k]] = v  # the JSON record carries the export's column names
        out.append(rec)
    return out


def _json_schema_rejections(folder) -> set[tuple[str, int, str]]:
    """(form, source row, FIELD) of every record the JSON Schema rejects."""
    schema = json.loads(build("jsonschema"))
    model = load_model()
    got = set()
    for domain, table in read_csv_folder(folder, model).tables.items():
        sub = dict(schema, **{"$ref": f"#/$defs/{table.form.name}"})
        sub.pop("properties", None), sub.pop("required", None), sub.pop("additionalProperties", None)
        v = jsonschema.Draft201909Validator(sub, format_checker=jsonschema.FormatChecker())
        rows = table.df["_row"].to_list()
        for i, rec in enumerate(_records(table)):
            for err in v.iter_errors(rec):
                field = err.path[0] if err.path else re.match(r"'(\w+)' is a required", err.message).group(1)
                got.add((domain, rows[i], field))
    return got


def _pandera_rejections(folder) -> set[tuple[str, int, str]]:
    module = types.ModuleType("kn5601k_pandera")
    exec(compile(build("pandera"), "kn5601k_pandera.py", "exec"), module.__dict__)
    model = load_model()
    got = set()
    for domain, table in read_csv_folder(folder, model).tables.items():
        try:
            module.SCHEMAS[domain].validate(table.df.with_columns(pl.col(TEXT).cast(pl.Utf8)), lazy=True)
        except Exception as err:  # pandera.errors.SchemaErrors
            fc = err.failure_cases.filter(pl.col("index").is_not_null())
            rows = table.df["_row"]
            for col, idx in fc.select("column", "index").iter_rows():
                known = col in table.form.by_name  # dataframe-level failures (duplicate keys) name the schema
                field = table.form.item(col).title if known else "|".join(k.upper() for k in table.form.keys)
                got.add((domain, rows[idx], field))
    return got


def _validate_rows(folder, checks) -> set[tuple[str, int, str]]:
    f = run_checks(folder).filter(pl.col("check_id").is_in(list(checks)))
    return set(f.select("form", "source_row", "field").iter_rows())


def test_clean_example_is_accepted_by_all_three(exports):
    _, clean, _ = exports
    assert _json_schema_rejections(clean) == set()
    assert _pandera_rejections(clean) == set()
    assert run_checks(clean).is_empty()


def test_json_schema_rejects_every_seeded_column_error(exports):
    seeded, _, manifest = exports
    wanted = [m for m in manifest if m["check_id"] in JSON_SCHEMA_CHECKS]
    assert wanted, "the example seeds column-level errors"
    from_validate = _validate_rows(seeded, JSON_SCHEMA_CHECKS)
    assert len(from_validate) == len(wanted)
    assert from_validate <= _json_schema_rejections(seeded)


def test_pandera_module_flags_what_validate_reports(exports):
    seeded, _, manifest = exports
    from_validate = _validate_rows(seeded, PANDERA_CHECKS)
    assert len(from_validate) == len([m for m in manifest if m["check_id"] in PANDERA_CHECKS])
    # pandera also flags the original of a duplicate pair; every finding of validate is among its failures
    assert from_validate <= _pandera_rejections(seeded)
