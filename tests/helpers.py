"""Helpers for tests: write small exports and run the checks on them."""

from __future__ import annotations

import csv
from pathlib import Path

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


def run_checks(folder: Path):
    m = load_model()
    return validate(m, read_csv_folder(folder, m)).findings


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
