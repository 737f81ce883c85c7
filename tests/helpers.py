"""Helpers for tests: write small exports and run the checks on them."""

from __future__ import annotations

import atexit
import csv
import io
import shutil
import tempfile
from pathlib import Path

import polars as pl

from ecrf.engine import validate
from ecrf.model import load_model
from ecrf.readers.csv_folder import read_csv_folder


def write_form(folder: Path, domain: str, rows: list[dict], columns: list[str] | None = None) -> Path:
    """Write one form as CSV with every item of the form as a column (titles as headers)."""
    form = load_model().forms[domain]
    cols = columns or [i.title for i in form.items]
    path = Path(folder) / f"{domain}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for r in rows:
            upper = {k.upper(): v for k, v in r.items()}
            w.writerow([upper.get(c.upper(), "") for c in cols])
    return path


def minimal_subject(subjid="01-001", **dm) -> dict[str, list[dict]]:
    """The smallest clean export for one subject: the forms every subject must have."""
    key = {"STUDYID": "KN5601-K", "SITEID": subjid[:2], "SUBJID": subjid}
    return {
        "dm": [key | {"COHORT": "SLE", "SEX": "F", "BRTHDAT": "2015-03", "AGE": "10", "AGEU": "YEARS",
                      "HEIGHT": "140", "WEIGHT": "35", "CHBRPOT": "N"} | dm],
        "ic": [key | {"ICSEQ": "1", "ICDAT": "2025-12-10", "ICGIVER": "GUARDIAN", "ASNT": "Y",
                      "ASNTDAT": "2025-12-10"}],
        "ie": [key | {"IETESTCD": "IN01", "IECAT": "INCLUSION", "IEORRES": "Y"}],
        "sv": [key | {"VISIT": "SCR", "VISITNUM": "1", "SVSTDAT": "2025-12-11", "SVOCCUR": "Y"}],
    }


def write_export(folder: Path, forms: dict[str, list[dict]]) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for domain, rows in forms.items():
        write_form(folder, domain, rows)
    return folder


# Whether each form of the schema has a file: small test exports hold only the forms a test is about, so
# run_checks leaves these out unless asked (tests/test_form_presence.py tests them).
PRESENCE = ("STRUCT-MISSING-FORM", "STRUCT-ABSENT-FORM")


def without_presence(findings):
    return findings.filter(~findings["check_id"].is_in(PRESENCE))


def run_checks(folder: Path, presence: bool = False):
    m = load_model()
    f = validate(m, read_csv_folder(folder, m)).findings
    return f if presence else without_presence(f)


def check_findings(folder: Path, check_id: str):
    """Findings of one check only, running just that check."""
    from ecrf.registry import REGISTRY, all_checks

    all_checks()  # importing the validators registers every check
    m = load_model()
    f = validate(m, read_csv_folder(folder, m), [REGISTRY[check_id]]).findings
    return f.filter(f["check_id"] == check_id)


# What must agree between two exports of the same data in different formats (not the provenance columns,
# which are in each format's own terms).
AGREEING = ["fingerprint", "check_id", "severity", "subject", "visit", "form", "record_key", "field", "value",
            "expected"]


def findings_of(path: Path, input_format: str | None = None):
    """Findings of every check on the export at `path`, read by the reader that recognises it."""
    from ecrf.readers import read_export

    m = load_model()
    return validate(m, read_export(path, m, input_format)).findings


def assert_same_findings(reference: Path, other: Path, input_format: str | None = None) -> int:
    """The export at `other` (any format) gives exactly the findings of `reference` (CSV); returns the count."""
    a = findings_of(reference).select(AGREEING).sort(AGREEING, nulls_last=True)
    b = findings_of(other, input_format).select(AGREEING).sort(AGREEING, nulls_last=True)
    missing = a.join(b, on=AGREEING, how="anti", nulls_equal=True)
    extra = b.join(a, on=AGREEING, how="anti", nulls_equal=True)
    assert missing.is_empty() and extra.is_empty(), (
        f"only in {reference.name}:\n{missing}\nonly in {other.name}:\n{extra}")
    assert a.height == b.height
    return a.height


def assert_valid_report(doc: dict) -> None:
    """A JSON report of `ecrf validate` valid against docs/report.schema.json (formats checked too)."""
    import jsonschema

    from ecrf.reports.report_schema import report_schema

    v = jsonschema.Draft202012Validator(report_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, f"{'/'.join(map(str, errors[0].path))}: {errors[0].message}"


_CLEAN: dict[tuple[int, int], Path] = {}


def clean_export(folder: Path, subjects: int = 1, seed: int = 7) -> Path:
    """A copy of a clean generated export: every form of the schema, no finding (generated once per run)."""
    from ecrf.example import write_example

    key = (subjects, seed)
    if key not in _CLEAN:
        tmp = tempfile.mkdtemp(prefix="ecrf-clean-")
        atexit.register(shutil.rmtree, tmp, True)
        write_example(Path(tmp) / "export", subjects=subjects, seed=seed, clean=True)
        _CLEAN[key] = Path(tmp) / "export"
    shutil.copytree(_CLEAN[key], folder)
    return Path(folder)


def set_cells(folder: Path, domain: str, row: int, **values: str) -> None:
    """Set cells (by column title) of one record (row 2 = the first record) of a form's CSV file."""
    path = Path(folder) / f"{domain}.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    for col, v in values.items():
        rows[row - 1][rows[0].index(col)] = v
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def write_tables_export(tmp_path: Path, tables: dict) -> Path:
    """Generated form tables written as a CSV export in tmp_path/export (no manifest)."""
    from ecrf.example import write_tables

    write_tables(tmp_path / "export", tables, [])
    return tmp_path / "export"


def set_first(df: pl.DataFrame, where: pl.Expr, **values: str) -> pl.DataFrame:
    """The first row matching `where` with `values` set."""
    i = df.with_row_index("_i").filter(where)["_i"][0]
    return df.with_columns(pl.when(pl.int_range(pl.len()) == i).then(pl.lit(v)).otherwise(pl.col(k)).alias(k)
                           for k, v in values.items())
