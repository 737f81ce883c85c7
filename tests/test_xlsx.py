"""The Excel reader: typed cells as CSV text, error and formula cells as findings, bad workbooks as one line."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from helpers import findings_of, minimal_subject
from openpyxl import Workbook

from ecrf.errors import InputError
from ecrf.readers import read_export


def _book(path, forms: dict[str, list[dict]], typed: dict | None = None):
    """A workbook with one sheet per form; `typed` overrides cells: {(domain, row, column title): value}."""
    from ecrf.model import load_model

    wb = Workbook()
    wb.remove(wb.active)
    for domain, rows in forms.items():
        ws = wb.create_sheet(domain)
        titles = [i.title for i in load_model().forms[domain].items]
        ws.append(titles)
        for n, r in enumerate(rows):
            upper = {k.upper(): v for k, v in r.items()}
            ws.append([(typed or {}).get((domain, n, t), upper.get(t.upper())) for t in titles])
    wb.save(path)
    return path


def test_typed_cells_read_as_csv_text(tmp_path, model):
    forms = minimal_subject()
    typed = {("dm", 0, "HEIGHT"): 140.0, ("dm", 0, "WEIGHT"): 35.1, ("dm", 0, "AGE"): 10,
             ("ic", 0, "ICDAT"): dt.datetime(2025, 12, 10), ("sv", 0, "VISITNUM"): 1.0}
    book = _book(tmp_path / "export.xlsx", forms, typed)
    ex = read_export(book, model)
    assert ex.format == "xlsx"
    dm = ex.tables["dm"].df.row(0, named=True)
    assert (dm["height"], dm["weight"], dm["age"]) == ("140", "35.1", "10")
    assert ex.tables["ic"].df["icdat"][0] == "2025-12-10"
    assert ex.tables["sv"].df["visitnum"][0] == "1"
    assert ex.tables["dm"].df["_ref"][0] == "dm!2:2" and ex.tables["dm"].df["_row"][0] == 2
    assert not findings_of(book).filter(findings_of(book)["check_id"].str.starts_with("XLSX")).height


def test_error_cell_is_a_finding_naming_sheet_and_cell(tmp_path):
    forms = minimal_subject()
    book = _book(tmp_path / "export.xlsx", forms)
    from openpyxl import load_workbook

    wb = load_workbook(book)
    ws = wb["dm"]
    col = [c.value for c in ws[1]].index("WEIGHT") + 1
    ws.cell(2, col).value = "#N/A"
    ws.cell(2, col).data_type = "e"
    wb.save(book)
    f = findings_of(book)
    err = f.filter(f["check_id"] == "XLSX-ERROR-CELL")
    assert err.height == 1
    letter = chr(ord("A") + col - 1)
    assert err["source_ref"][0] == f"dm!{letter}2" and err["value"][0] == "#N/A"
    assert err["subject"][0] == "01-001"


def test_formula_cell_is_read_as_its_saved_value_and_reported(tmp_path, model):
    forms = minimal_subject()
    book = _book(tmp_path / "export.xlsx", forms)
    # openpyxl cannot compute formulas, so write the saved value into the sheet XML as Excel does.
    raw = zipfile.ZipFile(book)
    files = {n: raw.read(n) for n in raw.namelist()}
    from openpyxl import load_workbook

    titles = [c.value for c in load_workbook(book)["dm"][1]]
    letter = chr(ord("A") + titles.index("AGE"))
    sheet = next(n for n in files if n.startswith("xl/worksheets/sheet"))  # dm is the first sheet
    xml = files[sheet].decode()
    cell_start = xml.index(f'<c r="{letter}2"')
    cell_end = xml.index("</c>", cell_start) + 4
    files[sheet] = (xml[:cell_start] + f'<c r="{letter}2"><f>2025-2015</f><v>10</v></c>' + xml[cell_end:]).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, b in files.items():
            z.writestr(n, b)
    book.write_bytes(buf.getvalue())
    ex = read_export(book, model)
    assert ex.tables["dm"].df["age"][0] == "10"
    f = findings_of(book)
    fx = f.filter(f["check_id"] == "XLSX-FORMULA-CELL")
    assert fx.height == 1 and fx["source_ref"][0] == f"dm!{letter}2" and fx["value"][0] == "=2025-2015"


def test_findings_on_a_field_name_the_cell(tmp_path):
    forms = minimal_subject(SEX="X")
    book = _book(tmp_path / "export.xlsx", forms)
    f = findings_of(book)
    sex = f.filter(f["field"] == "SEX")
    assert sex.height >= 1 and sex["source_ref"].str.starts_with("dm!").all()
    assert sex["source_ref"][0][3:].rstrip("0123456789").isalpha()  # a cell such as dm!F2


@pytest.mark.parametrize("content, message", [
    (b"<!DOCTYPE html><html><body>Session expired</body></html>", "HTML page"),
    (b"PK\x03\x04" + b"\x00" * 40, "corrupt"),
])
def test_not_a_workbook_is_one_line(tmp_path, model, content, message):
    p = tmp_path / "export.xlsx"
    p.write_bytes(content)
    with pytest.raises(InputError) as e:
        read_export(p, model)
    assert message in str(e.value) and "export.xlsx" in str(e.value)


def test_truncated_workbook(tmp_path, model):
    book = _book(tmp_path / "full.xlsx", minimal_subject())
    cut = tmp_path / "export.xlsx"
    cut.write_bytes(book.read_bytes()[: book.stat().st_size // 2])
    with pytest.raises(InputError, match="truncated or corrupt|corrupt"):
        read_export(cut, model)


def test_empty_workbook(tmp_path, model):
    p = tmp_path / "export.xlsx"
    Workbook().save(p)
    with pytest.raises(InputError, match="empty"):
        read_export(p, model)


def test_merged_header_cells(tmp_path, model):
    book = _book(tmp_path / "export.xlsx", minimal_subject())
    from openpyxl import load_workbook

    wb = load_workbook(book)
    wb["dm"].merge_cells("B1:C1")
    wb.save(book)
    with pytest.raises(InputError) as e:
        read_export(book, model)
    assert "dm!C1" in str(e.value) and "merged" in str(e.value)


def test_password_protected_workbook(tmp_path, model):
    msoffcrypto = pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = _book(tmp_path / "plain.xlsx", minimal_subject())
    locked = tmp_path / "locked.xlsx"
    with open(plain, "rb") as src, open(locked, "wb") as dst:
        OOXMLFile(src).encrypt("secret", dst)
    assert msoffcrypto
    with pytest.raises(InputError, match="password-protected"):
        read_export(locked, model)


def test_sheet_matching_no_form_is_counted_not_checked(tmp_path):
    book = _book(tmp_path / "export.xlsx", minimal_subject())
    from openpyxl import load_workbook

    wb = load_workbook(book)
    ws = wb.create_sheet("notes")
    ws.append(["A", "B"])
    ws.append(["1", "2"])
    wb.save(book)
    f = findings_of(book)
    u = f.filter(f["check_id"] == "STRUCT-UNKNOWN-FORM")
    assert u.height == 1 and "notes" in u["message"][0]


def test_cli_bad_workbook_exits_2_with_one_line(cli, tmp_path):
    p = tmp_path / "export.xlsx"
    p.write_bytes(b"<html>not a workbook</html>")
    r = cli("validate", p)
    assert r.exit_code == 2
    assert len(r.output.strip().splitlines()) == 1 and "export.xlsx" in r.output
