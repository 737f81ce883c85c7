"""The check catalogue is generated from the registry: docs/checks.md must match a fresh rendering."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from ecrf import catalogue as C
from ecrf.cli.main import main
from ecrf.registry import all_checks

DOC = Path(__file__).resolve().parents[1] / "docs" / "checks.md"


def test_docs_checks_md_is_current():
    assert DOC.read_text(encoding="utf-8") == C.to_markdown(C.catalogue()), \
        "docs/checks.md is stale: run `ecrf checks --format md -o docs/checks.md`"


def test_every_registered_check_is_listed():
    text = DOC.read_text(encoding="utf-8")
    ids = [c.id for c in all_checks()]
    assert C.catalogue()["id"].to_list() == ids
    missing = [i for i in ids if f"| {i} |" not in text]
    assert not missing


def test_deviation_checks_carry_importance_and_category():
    df = C.catalogue().filter(C.catalogue()["category"] == "deviation")
    assert df.height > 0
    assert set(df["severity"]) <= {"important", "non-important"} and (df["dvcat"] != "").all()


def test_xlsx_has_one_row_per_check(tmp_path):
    out = tmp_path / "checks.xlsx"
    r = CliRunner().invoke(main, ["checks", "--format", "xlsx", "-o", str(out)])
    assert r.exit_code == 0, r.output
    ws = load_workbook(out).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "Check" and len(rows) - 1 == len(all_checks())
    assert [row[0] for row in rows[1:]] == [c.id for c in all_checks()]


def test_cli_formats(tmp_path):
    r = CliRunner().invoke(main, ["checks", "--format", "csv"])
    assert r.exit_code == 0 and r.output.count("\n") >= len(all_checks()) + 1
    assert CliRunner().invoke(main, ["checks", "--format", "xlsx"]).exit_code == 2


def test_deviation_classification_comes_from_the_schema():
    """Every deviation check has a DeviationCheck entry (importance and dvcat) and every entry names a check."""
    from ecrf.model import load_model
    from ecrf.params import enum_annotations
    from ecrf.registry import deviation_classes

    model = load_model()
    classes = deviation_classes()
    deviations = {c.id: c for c in all_checks() if c.category == "deviation"}
    assert sorted(set(deviations) - set(classes)) == [], "deviation checks without a DeviationCheck entry"
    assert sorted(set(classes) - set(deviations)) == [], "DeviationCheck entries naming no registered check"
    dvcats = set(enum_annotations(model, "DeviationCategory"))
    importances = set(enum_annotations(model, "DeviationImportance"))
    for cid, chk in deviations.items():
        assert (chk.severity, chk.dvcat) == classes[cid]
        assert chk.severity in importances and chk.dvcat in dvcats


def test_decorator_must_agree_with_the_schema():
    """A deviation check's importance and category come from the study schema when the check is bound to it."""
    import pytest

    from ecrf.model import load_model
    from ecrf.registry import Check, NotApplicable, bind

    m = load_model()
    with pytest.raises(ValueError, match="importance"):
        bind(Check("ELIG-AGE", "t", "deviation", "non-important", ("dm",), "d"), m)
    unclassified = bind(Check("XX-UNCLASSIFIED", "t", "deviation", None, ("dm",), "d"), m)
    assert isinstance(unclassified, NotApplicable) and "DeviationCheck" in unclassified.reason
    # A check written with its own classification still applies until the schema has its entry.
    own = bind(Check("XX-OWN-CLASS", "t", "deviation", "important", ("ae",), "d", dvcat="safety reporting"), m)
    assert isinstance(own, Check) and (own.severity, own.dvcat) == ("important", "safety reporting")
    from ecrf.registry import deviation_classes

    filled = bind(Check("ELIG-AGE", "t", "deviation", None, ("dm",), "d"), m)
    assert (filled.severity, filled.dvcat) == deviation_classes(m)["ELIG-AGE"]


def test_every_criterion_is_verified_or_says_why_not():
    from ecrf.model import load_model
    from ecrf.params import enum_annotations

    for code, a in enum_annotations(load_model(), "EligibilityCriterion").items():
        assert a.get("checked_by") or a.get("not_checked"), code


def test_descriptions_quote_the_schema_values_in_force():
    from ecrf.model import load_model
    from ecrf.protocol import protocol

    cat = {r["id"]: r["description"] for r in C.catalogue().iter_rows(named=True)}
    assert not any(C.PLACEHOLDER.search(d) for d in cat.values())  # every placeholder resolved
    p = protocol(load_model())
    assert f"lvef_min ({p.param('lvef_min')}%)" in cat["ELIG-LVEF"]
    assert f"SLE {p.min_age()['SLE']}, MDR-SRNS {p.min_age()['MDR_SRNS']}" in cat["ELIG-AGE"]


def test_placeholder_naming_no_schema_value_is_an_error():
    import pytest

    from ecrf.model import load_model
    from ecrf.params import ParameterError

    with pytest.raises(ParameterError):
        C.resolve("below {ProtocolParameters.no_such_threshold}", load_model())


def test_forms_read_are_forms_of_the_model():
    from ecrf.model import load_model

    forms = set(load_model().forms)
    for c in all_checks():
        assert set(c.forms) <= forms, (c.id, set(c.forms) - forms)


def test_terminal_table_shows_every_column():
    r = CliRunner().invoke(main, ["checks"])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    for row in C.catalogue().iter_rows(named=True):
        assert f"{row['id']} {row['severity']} {row['category']}" in text
        for key in ("title", "reference", "description", "forms", "fields", "dvcat"):
            assert " ".join(row[key].split()) in text, (row["id"], key)


def test_catalogue_output_errors_are_one_line(cli, tmp_path):
    for fmt in ("md", "xlsx"):
        res = cli("checks", "--format", fmt, "-o", tmp_path / "missing" / f"checks.{fmt}")
        assert res.exit_code == 2 and "does not exist" in res.output and "Traceback" not in res.output
