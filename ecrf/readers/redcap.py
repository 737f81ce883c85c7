"""Read a REDCap flat export: a folder holding `data.csv` (CSV raw data, variable names as headers) and the
data dictionary it was exported with (any CSV file with REDCap's 18-column dictionary header).

Mapping (docs/redcap.md): record_id -> SUBJID, redcap_event_name -> VISIT (`d7_arm_1` -> D7),
redcap_data_access_group -> SITEID, redcap_repeat_instrument/instance -> one record per instance,
`var___code` checkbox columns -> one value (checked codes, comma-separated), positional codes back to the
schema's code, dates and numbers per the dictionary's validation type -> ISO date / dot decimal. Each row of
data.csv gives one record per instrument with data in it; nothing is dropped.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ecrf.errors import InputError
from ecrf.generators.redcap import checkbox_column
from ecrf.model import StudyModel
from ecrf.readers import Export, Reader
from ecrf.readers.canonical import canonical_table
from ecrf.readers.csv_folder import read_csv_file
from ecrf.table import STATUS

DATA = "data.csv"
DICTIONARY = "dictionary.csv"
SPECIAL = ("redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance",
           "redcap_data_access_group", "redcap_survey_identifier")
NO_COLUMN = {"descriptive"}  # dictionary fields REDCap never exports
# REDCap's form status, `<instrument>_complete` (raw export codes)
FORM_STATUS = {"0": "Incomplete", "1": "Unverified", "2": "Complete"}
SAVED = ("1", "2")
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")


@dataclass
class DictField:
    name: str
    form: str
    ftype: str
    validation: str
    choices: list[tuple[str, str]] = field(default_factory=list)
    row: int = 0


@dataclass
class Dictionary:
    path: Path
    fields: dict[str, DictField]  # in dictionary order; the first is the record id

    @property
    def record_id(self) -> str:
        return next(iter(self.fields))

    def forms(self) -> list[str]:
        return list(dict.fromkeys(f.form for f in self.fields.values()))


@dataclass
class Record:
    """One instrument's data in one row of data.csv."""

    row: int
    record: str
    event: str
    instrument: str
    instance: str
    dag: str
    values: dict[str, str]
    status: str = ""


def _is_dictionary(path: Path) -> bool:
    from ecrf.generators.redcap import HEADER

    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return tuple(h.strip() for h in next(csv.reader(fh), [])) == HEADER
    except (OSError, UnicodeDecodeError, csv.Error):
        return False


def find_files(folder: Path) -> tuple[Path, Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "expected a folder holding data.csv and the REDCap data dictionary (.csv)")
    data = folder / DATA
    if not data.is_file():
        raise InputError(folder, f"no {DATA}: export 'CSV (raw data)' from REDCap into this folder")
    dicts = [p for p in sorted(folder.glob("*.csv")) if p != data and _is_dictionary(p)]
    if not dicts:
        raise InputError(folder, "no REDCap data dictionary (a CSV with REDCap's 18-column header) next to "
                         f"{DATA}; download it from Project Setup > Data Dictionary")
    if len(dicts) > 1:
        raise InputError(folder, f"several data dictionaries ({', '.join(p.name for p in dicts)}); keep the one "
                         f"{DATA} was exported with")
    return data, dicts[0]


def read_dictionary(path: Path) -> Dictionary:
    header, rows = read_csv_file(path)
    out: dict[str, DictField] = {}
    for n, r in enumerate(rows, 2):
        if not any(c.strip() for c in r):
            continue
        name, form, ftype = r[0].strip(), r[1].strip(), r[3].strip()
        if not name:
            raise InputError(path, "field without a name", row=n, column=header[0])
        if name in out:
            raise InputError(path, f"field {name} defined twice", row=n, column=header[0])
        choices = []
        if ftype in ("radio", "dropdown", "checkbox") and r[5].strip():
            for part in r[5].split("|"):
                code, _, label = part.partition(",")
                choices.append((code.strip(), label.strip()))
        out[name] = DictField(name, form, ftype, r[7].strip(), choices, n)
    if not out:
        raise InputError(path, "the data dictionary defines no field", row=2)
    return Dictionary(path, out)


def _columns(d: Dictionary) -> dict[str, tuple[str, str | None]]:
    """Export column -> (dictionary field, checkbox code or None)."""
    cols: dict[str, tuple[str, str | None]] = {}
    for f in d.fields.values():
        if f.ftype in NO_COLUMN:
            continue
        if f.ftype == "checkbox":
            for code, _ in f.choices:
                cols[checkbox_column(f.name, code)] = (f.name, code)
        else:
            cols[f.name] = (f.name, None)
    for form in d.forms():
        cols[f"{form}_complete"] = (f"{form}_complete", None)
    return cols


def parse(folder: Path) -> tuple[Dictionary, list[Record], int, set[int]]:
    """The low level: every instrument record of data.csv, the number of data rows read, and the rows that hold
    no instrument's record (keys only)."""
    data, dpath = find_files(folder)
    d = read_dictionary(dpath)
    header, rows = read_csv_file(data)
    if len(header) == 1 and any(c in header[0] for c in ";\t|"):
        sep = next(c for c in ";\t|" if c in header[0])
        raise InputError(data, f"wrong delimiter: the header is split by {sep!r}; REDCap raw exports here are "
                         "comma-separated", row=1, column=header[0][:40])
    cols = _columns(d)
    labels = {_label_key(r) for r in _labels(dpath)}
    if header[0] not in cols and (header[0] in labels or {"Event Name", "Repeat Instrument"} & set(header)):
        raise InputError(data, "a labels export (column headers are field labels); export 'CSV (raw data)' "
                         "with variable names as headers", row=1, column=header[0])
    if header[0] != d.record_id:
        raise InputError(data, f"first column is {header[0]}, the dictionary's record id is {d.record_id}",
                         row=1, column=header[0])
    extra = [h for h in header if h not in cols and h not in SPECIAL]
    if extra:
        raise InputError(data, f"column {extra[0]} is not a field of the data dictionary {dpath.name} "
                         f"({len(extra)} such columns): the export and the dictionary do not match",
                         row=1, column=extra[0])
    present = set(header)
    missing = [c for c in cols if c not in present and not c.endswith("_complete")]
    if missing:
        raise InputError(data, f"field {cols[missing[0]][0]} of the data dictionary {dpath.name} (row "
                         f"{d.fields[cols[missing[0]][0]].row}) has no column in {DATA} ({len(missing)} missing): "
                         "the export and the dictionary do not match", row=1, column=missing[0])
    idx = {h: i for i, h in enumerate(header)}
    by_form: dict[str, list[str]] = {}
    for h in header:
        if h in cols and not h.endswith("_complete") and h != d.record_id:
            by_form.setdefault(d.fields[cols[h][0]].form, []).append(h)
    out: list[Record] = []
    read = 0
    read_rows: set[int] = set()
    kept: set[int] = set()

    def cell(r, name):
        i = idx.get(name)
        return r[i].strip() if i is not None and i < len(r) else ""

    for n, r in enumerate(rows, 2):
        if not any(c.strip() for c in r):
            continue
        read += 1
        read_rows.add(n)
        rec, ev, rep = cell(r, header[0]), cell(r, "redcap_event_name"), cell(r, "redcap_repeat_instrument")
        inst, dag = cell(r, "redcap_repeat_instance"), cell(r, "redcap_data_access_group")
        forms = [rep] if rep else [f for f in by_form if f not in _repeating_only(rep)]
        for form in forms:
            values: dict[str, str] = {}
            for h in by_form.get(form, ()):
                fname, code = cols[h]
                v = cell(r, h)
                if code is not None:
                    if v == "1":
                        values[fname] = f"{values[fname]},{code}" if values.get(fname) else code
                    continue
                if v:
                    values[fname] = v
            status = cell(r, f"{form}_complete")
            # A form saved as Unverified or Complete is a record even with every field empty (REDCap writes
            # 0 for a form never opened); a repeating row is always its instrument's record.
            if values or (rep and form == rep) or status in SAVED:
                out.append(Record(n, rec, ev, form, inst, dag, values, status))
                kept.add(n)
    return d, out, read, read_rows - kept


def _repeating_only(_rep: str) -> set[str]:
    return set()


def _labels(path: Path) -> list[list[str]]:
    _, rows = read_csv_file(path)
    return rows


def _label_key(r: list[str]) -> str:
    return r[4].strip() if len(r) > 4 else ""


def _value(f: DictField, v: str, positional: dict[str, str] | None) -> str:
    """A raw REDCap value as canonical text: ISO dates, dot decimals, schema codes."""
    val = f.validation
    if val.startswith("date_") and val != "date_ymd":
        m = _DMY.match(v)
        if m:
            a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
            day, month = (a, b) if val == "date_dmy" else (b, a)
            return f"{y:04d}-{month:02d}-{day:02d}"
    elif "comma_decimal" in val:
        return v.replace(",", ".")
    if positional is not None and f.ftype == "checkbox":  # the checked raw codes, each to its schema code
        return ",".join(positional.get(p, p) for p in v.split(","))
    if positional is not None:
        return positional.get(v, v)
    return v


def read_redcap(folder: Path, model: StudyModel) -> Export:
    from ecrf.generators.redcap import choices, fields, instrument

    folder = Path(folder)
    d, records, _, keys_only = parse(folder)
    data = folder / DATA
    export = Export(folder, format="redcap")
    if keys_only:  # rows with a record id (and event) but no instrument's data: counted, never lost
        export.unknown_files[f"{DATA} (rows with no instrument data)"] = len(keys_only)
    ours = {f.name: f for f in fields(model)}
    # An instrument is one of ours when its name and every one of its fields are (a project built from
    # this schema); another project's "demographics" is counted as unchecked, not read as our form.
    theirs: dict[str, set[str]] = {}
    for name, df in d.fields.items():
        if name != d.record_id and df.ftype not in NO_COLUMN:
            theirs.setdefault(df.form, set()).add(name)
    forms = {}
    for f in model.forms.values():
        mine = {x.name for x in ours.values() if x.form.domain == f.domain and x.name != d.record_id}
        if instrument(f) in theirs and theirs[instrument(f)] <= mine:
            forms[instrument(f)] = f
    grouped: dict[str, list[Record]] = {}
    for r in records:
        grouped.setdefault(r.instrument, []).append(r)
    unknown = [r for r in records if r.instrument not in forms]
    if unknown:
        export.unknown_files[f"{DATA} (instruments {', '.join(sorted({r.instrument for r in unknown}))})"] = \
            len({r.row for r in unknown})
    studyid = next((i.equals for f in model.forms.values() for i in f.items if i.name == "studyid"), None)
    for iname, form in forms.items():
        recs = grouped.get(iname)
        if not recs:
            continue
        item_of: dict[str, tuple] = {}
        for fname, df in d.fields.items():
            o = ours.get(fname)
            if o is not None and o.form.domain == form.domain and df.form == iname:
                pos = None
                if o.item.codelist:
                    pairs, positional = choices(model, o.item.codelist)
                    pos = dict(pairs) if positional else None
                item_of[fname] = (o.item.name, df, pos)
        cols: dict[str, list] = {i.name: [] for i in form.items}
        refs = []
        for r in recs:
            row = {"studyid": studyid, "siteid": r.dag or None, "subjid": r.record or None,
                   "visit": _visit(r.event) if "visit" in cols else None}
            for fname, v in r.values.items():
                if fname in item_of:
                    name, df, pos = item_of[fname]
                    row[name] = _value(df, v, pos)
            for k in cols:
                cols[k].append(row.get(k))
            refs.append(f"{DATA}!R{r.row} record {r.record} / event {r.event or '-'} / {iname}"
                        + (f" #{r.instance}" if r.instance else "") + _status_note(r.status))
        frame = pl.DataFrame(cols, schema={k: pl.Utf8 for k in cols})
        export.add(canonical_table(data, frame, form, [r.row for r in recs], refs=refs, complete_columns=True,
                                   status=[r.status for r in recs]))
    return export


def _status_note(status: str) -> str:
    """The form status as the provenance shows it: ` [2 Complete]` (an unknown code as it is)."""
    if not status:
        return ""
    return f" [{status} {FORM_STATUS[status]}]" if status in FORM_STATUS else f" [form status {status}]"


def _visit(event: str) -> str | None:
    """`d7_arm_1` -> D7: the event names of the generated project are the visit codes."""
    if not event:
        return None
    return re.sub(r"_arm_\d+$", "", event).upper()


def _sniff(path: Path) -> bool:
    return path.is_dir() and (path / DATA).is_file() and any(
        _is_dictionary(p) for p in path.glob("*.csv") if p.name != DATA)


def write_redcap(folder: Path, tables: dict, model: StudyModel) -> None:
    """The export as REDCap writes it: dictionary.csv and data.csv (raw), one row per record, event and
    repeat instance; non-repeating instruments of the same record and event share a row."""
    from ecrf.generators.redcap import (END_EVENT, END_FORMS, SUBJECT_EVENT, UNSCHEDULED, choices, event, fields,
                                        instrument, render, repeating, visit_form)
    from ecrf.writer import write_text

    flds = fields(model)
    by_item = {(f.form.domain, f.item.name): f.name for f in flds}
    header = ["record_id", "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance",
              "redcap_data_access_group"]
    checkboxes: dict[str, list[tuple[str, str]]] = {}  # field -> [(raw code, schema code)]
    for fl in flds:
        if fl.item.multivalued:
            pairs, positional = choices(model, fl.item.codelist)
            checkboxes[fl.name] = [(raw, lab if positional else raw) for raw, lab in pairs]
    for form in model.forms.values():
        for f in flds:
            if f.form.domain == form.domain and f.name != "record_id":
                header += [checkbox_column(f.name, raw) for raw, _ in checkboxes[f.name]] \
                    if f.name in checkboxes else [f.name]
        header.append(f"{instrument(form)}_complete")
    rows: list[dict] = []
    slots: dict[tuple, dict] = {}
    instances: dict[tuple, int] = {}
    for form in model.forms.values():
        df = tables.get(form.domain)
        if df is None:
            continue
        title_of = {c.lower(): c for c in df.columns}
        iname = instrument(form)
        positional = {}
        for i in form.items:
            if i.codelist:
                pairs, pos = choices(model, i.codelist)
                if pos:
                    positional[i.name] = {code: raw for raw, code in pairs}
        for rec in df.iter_rows(named=True):
            get = {i.name: ("" if rec.get(title_of.get(i.name, "")) is None else str(rec[title_of[i.name]]))
                   for i in form.items if i.name in title_of}
            subj, site = get.get("subjid", ""), get.get("siteid", "")
            if visit_form(form):
                ev = event(get["visit"]) if get.get("visit") else ""
            else:
                ev = event(END_EVENT if form.domain in END_FORMS else SUBJECT_EVENT)
            vals = {}
            for name, v in get.items():
                fname = by_item.get((form.domain, name))
                if fname in checkboxes:
                    vals.update(_checked(fname, v, checkboxes[fname]))
                elif fname is not None and fname != "record_id":
                    vals[fname] = positional.get(name, {}).get(v, v)
            # the form status read with the record (`_status`), else Incomplete as REDCap starts a form
            vals[f"{iname}_complete"] = str(rec.get(STATUS) or "0")
            rep = repeating(form) or ev == event(UNSCHEDULED)
            if rep:
                key = (subj, ev, iname)
                instances[key] = instances.get(key, 0) + 1
                rows.append({"record_id": subj, "redcap_event_name": ev, "redcap_repeat_instrument": iname,
                             "redcap_repeat_instance": str(instances[key]), "redcap_data_access_group": site,
                             **vals})
                continue
            key = (subj, ev, site)
            row = slots.get(key)
            if row is None or f"{iname}_complete" in row:  # a second record of the form: its own row
                row = {"record_id": subj, "redcap_event_name": ev, "redcap_data_access_group": site}
                rows.append(row)
                slots[key] = row
            row.update(vals)
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n", restval="")
    w.writeheader()
    w.writerows(rows)
    folder = Path(folder)
    write_text(folder / DICTIONARY, render(model))
    write_text(folder / DATA, buf.getvalue())


def _checked(field: str, value: str, pairs: list[tuple[str, str]]) -> dict[str, str]:
    """A multi-select cell as REDCap's checkbox columns (1 checked, 0 not); a code the field does not offer
    has no column, so it is refused rather than dropped."""
    from ecrf.model import MULTI_SEPARATOR
    from ecrf.writer import OutputError

    given = [c.strip() for c in value.split(MULTI_SEPARATOR)] if value else []
    offered = {code for _, code in pairs}
    bad = [c for c in given if c not in offered]
    if bad:
        raise OutputError(Path(DATA), f"{field}: {bad[0]!r} is not a choice of the checkbox field, so REDCap "
                          "has no column for it")
    return {checkbox_column(field, raw): "1" if code in given else "0" for raw, code in pairs}


READER = Reader("redcap", "a REDCap flat raw export: a folder with data.csv and its data dictionary (.csv)",
                _sniff, read_redcap, order=30, suffixes=(), write=write_redcap)
