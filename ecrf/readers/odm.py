"""Read (and write) CDISC ODM 1.3.2 ClinicalData: ItemGroupData records mapped onto the forms through the
OIDs of the study build `ecrf generate odm` writes (ecrf.odm, docs/odm.md).

An ItemGroupData is one record of a form; ItemData an item (IsNull="Yes": empty). Keys not given as ItemData
come from where the record sits: SUBJID from SubjectKey, SITEID from SiteRef, STUDYID from the StudyOID and
VISIT from the StudyEventOID. Item OIDs the study build does not define are findings (ODM-UNKNOWN-OID);
records of unknown item groups are counted, reported and not checked.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ecrf.errors import InputError
from ecrf.model import Form, StudyModel
from ecrf.odm import (LOCATION_PREFIX, NS, SUBJECT_EVENT, UNSCHEDULED, event_oid, form_oid, group_oid, is_repeating,
                      is_visit_form, item_oid, mdv_oid, study_oid, visit_codes)
from ecrf.readers import Export, Problem, Reader
from ecrf.readers.canonical import canonical_table
from ecrf.table import REF
from ecrf.writer import write_bytes

if TYPE_CHECKING:
    from ecrf.odm.clinical import Record

UNKNOWN_OID = "ODM-UNKNOWN-OID"
KEY_MISMATCH = "ODM-KEY-MISMATCH"
EXPORT_NAME = "export.xml"
# Key items whose value, when no ItemData gives it, is where the record sits in the ODM tree.
_CONTEXT_KEYS = ("studyid", "siteid", "subjid", "visit")


def read_odm(path: Path, model: StudyModel) -> Export:
    # (here, in _is_odm_file and in write_odm: lxml, which the ODM modules use, is imported by a run that reads or
    # writes XML only, not by every run that discovers this reader)
    from ecrf.odm.clinical import scan

    path = Path(path)
    files = _odm_files(path) if path.is_dir() else [path]
    recs: list[tuple[Path, Record]] = []
    clinical = False
    declared: set[str] | None = None
    for f in files:
        got, has_data, sites = scan(f)
        clinical = clinical or has_data
        recs += [(f, r) for r in got]
        if sites is not None:
            declared = (declared or set()) | sites
    if not clinical:
        raise InputError(files[0], "no ClinicalData in the file: it holds study metadata only (a study build), "
                         "not an export of collected data")
    export = Export(path, format="odm")
    by_group = {group_oid(f): f for f in model.forms.values()}
    rows: dict[str, list[tuple[Path, Record]]] = {d: [] for d in model.forms}
    unknown: dict[tuple[str, str], int] = {}
    for f, r in recs:
        form = by_group.get(r.group)  # the item group names the form, whatever FormData it sits in
        if form is None:
            unknown[(f.name, r.group)] = unknown.get((f.name, r.group), 0) + 1
            continue
        rows[form.domain].append((f, r))
    for (fname, oid), n in unknown.items():
        name = f"{oid} in {fname}"
        export.unknown_files[name] = n
        export.problems.append(Problem(UNKNOWN_OID, f"{n} records not checked: ItemGroupOID {oid} is not in the "
                                       "study build (ecrf generate odm)", fname, value=oid,
                                       expected="an ItemGroupOID IG.<DOMAIN> of the study build", ref=name))
    if declared is not None:
        _undeclared_sites(recs, declared, export)
    visits = set(visit_codes(model))
    for domain, recs_of_form in rows.items():
        export.add(_table(path if not path.is_dir() else files[0], model.forms[domain], recs_of_form, visits,
                          export))
    return export


def _table(path: Path, form: Form, recs: list[tuple[Path, Record]], visits: set[str], export: Export):
    oids = {item_oid(form, i): i for i in form.items}
    titles = [i.title for i in form.items]
    cols: dict[str, list] = {t: [] for t in titles}
    unknown: dict[str, tuple[int, int, Record, Path]] = {}
    for idx, (f, r) in enumerate(recs):
        given = {}
        for oid, value in r.items.items():
            item = oids.get(oid)
            if item is None:
                n, first, fr, ff = unknown.get(oid, (0, idx, r, f))
                unknown[oid] = (n + 1, first, fr, ff)
                continue
            given[item.name] = value
        context = {"studyid": _study(r.study), "siteid": site_code(r.site), "subjid": r.subject,
                   "visit": _visit(r.event, visits)}
        _disagreements(form, idx, f, r, given, context, visits, export)
        for i in form.items:
            if i.name in given:
                cols[i.title].append(given[i.name])
            else:
                cols[i.title].append(context.get(i.name) if i.name in _CONTEXT_KEYS else None)
    for oid, (n, first, r, f) in unknown.items():
        export.problems.append(Problem(UNKNOWN_OID, f"ItemOID {oid} is not an item of {group_oid(form)} in the "
                                       f"study build; {n} values not checked", f.name, form=form.domain,
                                       idx=first, value=oid, expected=f"an ItemOID IT.{form.domain.upper()}.<item>",
                                       ref=f"{r.path}/{oid}"))
    df = pl.DataFrame(cols, schema={t: pl.Utf8 for t in titles})
    t = canonical_table(path, df, form, [r.line for _, r in recs], refs=[r.path for _, r in recs],
                        complete_columns=True)
    if len({f for f, _ in recs}) > 1:  # a folder of several ODM files: each record names its own
        t.df = t.df.with_columns(pl.Series("_file", [f.name for f, _ in recs], dtype=pl.Utf8))
    by_name = {i.name: item_oid(form, i) for i in form.items}
    t.cell_ref = lambda field: pl.col(REF) + pl.lit("/" + by_name.get(field, field.upper()))
    return t


def _undeclared_sites(recs: list[tuple[Path, Record]], declared: set[str], export: Export) -> None:
    """A SiteRef naming no Location of the file's AdminData: an unknown OID (the site is still read from it)."""
    seen: dict[str, list] = {}
    for f, r in recs:
        if r.site is not None and r.site not in declared:
            seen.setdefault(r.site, [f, r, 0])[2] += 1
    for oid, (f, r, n) in seen.items():
        export.problems.append(Problem(UNKNOWN_OID, f"SiteRef LocationOID {oid} names no Location of the AdminData "
                                       f"({n} records)", f.name, value=oid,
                                       expected="a Location OID of the AdminData: " + ", ".join(sorted(declared)),
                                       ref=f"{r.subject}/SiteRef"))


def _disagreements(form: Form, idx: int, f: Path, r: Record, given: dict, context: dict, visits: set[str],
                   export: Export) -> None:
    """An ItemData key that contradicts where its record sits (SUBJID against SubjectKey, SITEID against
    SiteRef, VISIT against the StudyEventOID) is a finding; the ItemData is what the checks read."""
    where = {"subjid": ("SubjectKey", r.subject), "siteid": ("SiteRef LocationOID", r.site)}
    for name, (attr, raw) in where.items():
        item, tree = given.get(name), context.get(name)
        if item is not None and tree is not None and item != tree:
            _mismatch(form, idx, f, r, name, item, tree, f"{attr} {raw}", export)
    item = given.get("visit")
    if item is None or not r.event or not r.event.startswith("SE.") or r.event[3:] not in visits:
        return  # subject-level forms, or an event of another study build: nothing to compare with
    planned = r.event[3:]
    if planned != UNSCHEDULED and item != planned:
        _mismatch(form, idx, f, r, "visit", item, planned, f"StudyEventOID {r.event}", export)
    elif planned == UNSCHEDULED and item in visits and item != UNSCHEDULED:
        _mismatch(form, idx, f, r, "visit", item, UNSCHEDULED,
                  f"StudyEventOID {r.event}[{r.event_rk or ''}] (an unscheduled visit)", export)


def _mismatch(form: Form, idx: int, f: Path, r: Record, name: str, item: str, tree: str, attr: str,
              export: Export) -> None:
    it = form.item(name)
    export.problems.append(Problem(
        KEY_MISMATCH, f"ItemData {it.title} {item} disagrees with the record's {attr}; the ItemData is checked, "
        "one of the two is wrong", f.name, form=form.domain, idx=idx, field=it.title, value=item, expected=tree,
        ref=f"{r.path}/{item_oid(form, it)}"))


def site_code(location: str | None) -> str | None:
    """SITEID of a SiteRef LocationOID: `LOC.<SITEID>` as the study build names its Locations
    (`ecrf generate odm --site`), any other LocationOID as it is (Medidata Rave: the site number)."""
    if location and location.startswith(LOCATION_PREFIX):
        return location[len(LOCATION_PREFIX):]
    return location


def _study(oid: str | None) -> str | None:
    """STUDYID from the StudyOID; Medidata Rave appends the environment in brackets (KN5601-K(Prod))."""
    m = re.fullmatch(r"(.+?)\s*\([A-Za-z0-9 _-]+\)", oid or "")
    return m.group(1) if m else oid


def _visit(event: str | None, visits: set[str]) -> str | None:
    if event and event.startswith("SE.") and event[3:] in visits:
        return event[3:]
    return None


def _odm_files(folder: Path) -> list[Path]:
    found = sorted(p for p in folder.iterdir() if p.is_file() and _is_odm_file(p))
    if not found:
        raise InputError(folder, "no ODM XML file in the folder")
    return found


def _is_odm_file(path: Path) -> bool:
    """The root element is <ODM> (any namespace: the reader then says which ODM it is)."""
    if path.suffix.lower() != ".xml":
        return False
    from lxml import etree

    try:
        with path.open("rb") as fh:
            for _, el in etree.iterparse(fh, events=("start",), resolve_entities=False, no_network=True,
                                         load_dtd=False, huge_tree=False):
                return etree.QName(el).localname == "ODM"
    except (etree.XMLSyntaxError, OSError, ValueError):
        # not well-formed: still ODM if the text says so, so that the reader can say where it breaks
        with path.open("rb") as fh:
            return b"<ODM" in fh.read(65536)
    return False


def sniff(path: Path) -> bool:
    path = Path(path)
    if path.is_dir():
        names = [p for p in path.iterdir() if p.is_file()]
        return not any(p.suffix.lower() == ".csv" for p in names) and any(_is_odm_file(p) for p in names)
    return path.is_file() and _is_odm_file(path)


def write_odm(directory: Path, tables: dict, model: StudyModel) -> None:
    """The export as one ODM 1.3.2 file: the study build, then ClinicalData laid out as an EDC exports it.

    Every cell is written as it is, so what the CSV export says wrong stays wrong: a missing key item is an
    ItemData with IsNull="Yes" (not filled from the tree), records are in the CSV order within each form."""
    from ecrf.generators.odm import root, study

    visits = set(visit_codes(model))
    tree: dict = {}  # subject -> (event, repeat key) -> form domain -> [row]
    for domain, df in tables.items():
        form = model.forms[domain]
        cols = {c: form.by_name.get(c.lower()) for c in df.columns}
        for row in df.iter_rows(named=True):
            values = {c: (None if v is None or str(v) == "" else str(v)) for c, v in row.items()}
            subj = _get(values, cols, "subjid") or "NO-SUBJID"
            if is_visit_form(form) and visits:
                v = _get(values, cols, "visit")
                if v in visits and v != UNSCHEDULED:
                    ev = (event_oid(v), None)
                else:  # unscheduled (or a visit code that is no visit): its own repeat of SE.UNS
                    ev = (event_oid(UNSCHEDULED), _get(values, cols, "visitnum") or "0")
            else:
                ev = (SUBJECT_EVENT, None)
            tree.setdefault(subj, {}).setdefault(ev, {}).setdefault(domain, []).append((values, cols))
    head = root(model, granularity="All")
    from lxml import etree

    buf = io.BytesIO()
    # Streamed subject by subject: the document is never a tree in memory as a whole.
    with etree.xmlfile(buf, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(head.tag, dict(head.attrib), nsmap=head.nsmap):
            xf.write("\n")
            xf.write(study(model), pretty_print=True)
            with xf.element(f"{{{NS}}}ClinicalData", {"StudyOID": study_oid(model), "MetaDataVersionOID": mdv_oid(model)}):
                xf.write("\n")
                for subj, events in tree.items():
                    xf.write(_subject(model, subj, events), pretty_print=True)
            xf.write("\n")
    write_bytes(Path(directory) / EXPORT_NAME, buf.getvalue())


def _subject(model: StudyModel, subj: str, events: dict):
    from ecrf.generators.odm import E

    sd = E("SubjectData", {"SubjectKey": subj})
    for (ev, rk), forms in events.items():
        se = E("StudyEventData", {"StudyEventOID": ev, "StudyEventRepeatKey": rk})
        for domain, rows in forms.items():
            form = model.forms[domain]
            fd = E("FormData", {"FormOID": form_oid(form)})
            numbered = is_repeating(form) or len(rows) > 1
            for n, (values, cols) in enumerate(rows, 1):
                ig = E("ItemGroupData", {"ItemGroupOID": group_oid(form),
                                         "ItemGroupRepeatKey": str(n) if numbered else None})
                for c, v in values.items():
                    item = cols[c]
                    oid = item_oid(form, item) if item else f"IT.{domain.upper()}.{c.upper()}"
                    if v is not None:
                        ig.append(E("ItemData", {"ItemOID": oid, "Value": v}))
                    elif item is not None and item.name in _CONTEXT_KEYS:
                        ig.append(E("ItemData", {"ItemOID": oid, "IsNull": "Yes"}))
                fd.append(ig)
            se.append(fd)
        sd.append(se)
    return sd


def _get(values: dict, cols: dict, name: str) -> str | None:
    for c, item in cols.items():
        if item is not None and item.name == name:
            return values[c]
    return None


READER = Reader("odm", "a CDISC ODM 1.3.2 XML file with ClinicalData (export.xml), OIDs as `ecrf generate odm` "
                "defines them", sniff, read_odm, order=20, suffixes=(".xml",), write=write_odm)
