"""Seed a fixed set of errors into a clean export, and list them in a manifest.

Column-level errors (SEEDS) sit in a non-key column (or duplicate a whole record), on a record no clinical
rule reads the value from. Clinical errors (CLINICAL) each make one consistency, eligibility, schedule or
consent check fire: a seed changes the records of one subject, and subjects are chosen so that no two seeds
on the same subject touch forms the other one changes or reads, so every finding stays attributable. An
eligibility error in the data is also contradicted by the eligibility form (all criteria are recorded as met),
so it lists the ELIG-IE-CONTRADICTS finding it causes too.

The manifest is what `ecrf validate` should find, exactly once each: fields named as it reports them (the item
title, or the key titles joined with | for a duplicate record) and values as it reports them (numbers as
read, e.g. 50.0 for a decimal item).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

import polars as pl

from ecrf.clinical.scores import vas_items
from ecrf.example.coding import cm_coding
from ecrf.example.score_items import (capd_scores, ice_tasks, mrss_sites, sledai_exact, sledai_lab_item_names,
                                      titled, vas_systems)
from ecrf.example.seedkit import FULL_DATE as _FULL_DATE
from ecrf.example.seedkit import IE_ANSWERS
from ecrf.example.seedkit import Clinical
from ecrf.example.seedkit import at_screening as _at_scr
from ecrf.example.seedkit import cohort_subjects as _cohort
from ecrf.example.seedkit import forms as _f
from ecrf.example.seedkit import seriousness
from ecrf.model import load_model
from ecrf.params import enum_annotations
from ecrf.protocol import protocol


@dataclass(frozen=True)
class Seed:
    check_id: str
    form: str
    item: str | None        # None: the whole record is duplicated
    where: pl.Expr          # which records may carry the error (on title-named columns)
    change: Callable[[str], str]
    description: str


def _full(v: str) -> str:
    return f"{v[:4]}-02-30"


SEEDS = (
    Seed("COL-REQUIRED", "cm", "cmtrt", pl.col("CMCAT") == "CONCOMITANT", lambda v: "",
         "medication name left empty"),
    Seed("COL-TYPE", "vs", "weight", ~pl.col("VISIT").is_in(["SCR", "LD"]), lambda v: "abc",
         "text typed into the weight field"),
    Seed("COL-CODELIST", "dm", "sex", pl.col("SEX") == "M", lambda v: "X",
         "sex coded X, not in the Sex codelist"),
    Seed("COL-PATTERN", "lb", "siteid", pl.col("SITEID").str.starts_with("0"), lambda v: v[-1:],
         "site number without its leading zero"),
    Seed("COL-DATE", "vs", "vsdat", ~pl.col("VISIT").is_in(["SCR", "LD"]), _full,
         "30 February: not a calendar date"),
    # On the maintenance prednisone: the induction course and immunomodulators are read by ELIG-PRIOR-THERAPY.
    Seed("COL-DATE", "cm", "cmstdat", (pl.col("CMSTDAT").str.len_chars() == 7) & (pl.col("CMCAT") == "CONCOMITANT")
         & (pl.col("CMDECOD") == "PREDNISONE"), lambda v: f"{v[:4]}-13", "partial date with month 13"),
    Seed("COL-RANGE", "vs", "temp", ~pl.col("VISIT").is_in(["SCR", "LD"]), lambda v: "48",
         "temperature 48 C, beyond the hard limit"),
    Seed("FORM-DUPKEY", "lb", None, pl.col("VISIT") != "SCR", lambda v: v,
         "a lab result exported twice"),
)

# Seeds of value checks added later; applied after the clinical seeds so the earlier choices stay as they were.
LATE_SEEDS = (
    Seed("LAB-RESULT-NOT-NUMBER", "lb", "lborres", (pl.col("VISIT") != "SCR") & (pl.col("LBTESTCD") == "WBC")
         & pl.col("LBORRES").str.contains(r"^[0-9]+\.[0-9]+$"), lambda v: v.replace(".", ","),
         "white cell count written with a decimal comma"),
    Seed("DATE-IMPLAUSIBLE", "cm", "cmendat", (pl.col("CMCAT") == "CONCOMITANT") & pl.col("CMENDAT").is_not_null()
         & (pl.col("CMONGO").fill_null("") != "Y") & (pl.col("CMENDAT") != ""),
         lambda v: "9999-12-31", "medication end date 9999-12-31, an EDC placeholder for unknown"),
)


def seed_errors(tables: dict[str, pl.DataFrame], seed: int) -> tuple[dict[str, pl.DataFrame], list[dict]]:
    """A copy of `tables` with the SEEDS applied on randomly chosen records, and the manifest.

    An export of a handful of subjects may lack a suitable record for some seed (no boy to recode, say);
    that seed is skipped, so the manifest always lists exactly what was seeded. A clinical seed that found no
    subject (and whose check no other seed carries) is moved to the front and the seeding redone, a few rounds
    at most, so the few subjects able to carry it are not taken first by seeds that many subjects could carry.
    """
    every = all_clinical()
    promoted: list[Clinical] = []  # every seed that found no subject in some round, first skipped first
    best = None
    for _ in range(_ROUNDS):
        skipped: list[Clinical] = []
        clinical = tuple(promoted) + tuple(c for c in every if c not in promoted)
        out, manifest = _seed_all(tables, seed, clinical, skipped)
        seeded = {m["check_id"] for m in manifest}
        missing = [c for c in skipped if c.check_id not in seeded]  # a check another seed carries is fine
        if best is None or len(missing) < best[0]:
            best = (len(missing), out, manifest)
        if not missing:
            break
        promoted += [c for c in missing if c not in promoted]
    return best[1], best[2]


_ROUNDS = 8


def _seed_all(tables: dict[str, pl.DataFrame], seed: int, clinical: tuple, skipped: list):
    model = load_model()
    rng = random.Random(seed)
    out = dict(tables)
    used: set[str] = set()  # one seeded error per subject where possible, so findings stay apart
    hosted: dict[str, list[tuple[frozenset, frozenset]]] = {}  # subject -> (forms changed, forms read) per seed
    manifest = []
    for s in SEEDS:
        out = _apply(s, out, model, used, hosted, manifest, rng)
    out = _seed_clinical(clinical, out, model, hosted, manifest, rng, skipped)
    used |= set(hosted)
    for s in LATE_SEEDS:  # after the clinical seeds, on subjects none of them hosts, so nothing else moves
        out = _apply(s, out, model, used, hosted, manifest, rng)
    # Seeds of checks added after these: last, so the errors seeded before stay where they were.
    from ecrf.example import seeds_coding

    return _seed_clinical(seeds_coding.CLINICAL, out, model, hosted, manifest, rng), manifest


def _seed_clinical(seeds, out: dict, model, hosted: dict, manifest: list, rng, skipped: list | None = None) -> dict:
    """Apply clinical seeds, each on a subject whose other seeds it cannot disturb; returns the tables."""
    ex = _Export(out, model)
    visits = frozenset(enum_annotations(model, "VisitCode"))
    for c in seeds:
        subject = _choose(c, [x for x in c.candidates(ex) if x is not None], hosted, rng, visits)
        if subject is None:  # no subject can carry this error without disturbing another: leave it out
            if skipped is not None:
                skipped.append(c)
            continue
        entries = c.apply(ex, subject, rng)
        for who in {subject} | {e[4] for e in entries if len(e) > 4}:  # no later seed on a stray subject either
            hosted.setdefault(who, []).append((c.changes, c.reads))
        # An entry may name the subject the finding is reported for, when it is not the host (a record moved to
        # an unknown subject number).
        manifest += [{"check_id": e[0], "subject": e[4] if len(e) > 4 else subject, "form": e[1], "field": e[2],
                      "value": e[3], "description": _CONTRADICTS if e[0] == "ELIG-IE-CONTRADICTS" else c.description}
                     for e in entries]
    return ex.tables


def _apply(s: Seed, out: dict, model, used: set, hosted: dict, manifest: list, rng) -> dict:
    """Apply one column-level seed on a randomly chosen record; returns the tables (unchanged if no record fits)."""
    out = dict(out)
    form = model.forms[s.form]
    df = out[s.form].with_row_index("_i")
    pool = df.filter(s.where & ~pl.col("SUBJID").is_in(list(used)))
    if pool.is_empty():  # a very small export: share a subject, never a record, and not one whose death or end
        # of study a seeded date could pass (XF-AFTER-DEATH, XF-AFTER-END would report it too), nor a stray
        # subject number seeded for REF-SUBJECT
        ended = {x for d in ("dd", "ds") if d in out for x in out[d]["SUBJID"].to_list()}
        pool = df.filter(s.where & ~pl.col("SUBJID").is_in(sorted(ended)) & pl.col("SUBJID").is_in(out["dm"]["SUBJID"].to_list()))
    if pool.is_empty():
        pool = df.filter(s.where)
    if pool.is_empty():  # too small to carry this error cleanly: leave it out, and out of the manifest
        return out
    row = pool.row(rng.randrange(pool.height), named=True)
    used.add(row["SUBJID"])
    i = row["_i"]
    if s.item is None:
        keys = [form.item(k).title for k in form.keys]
        field, value = "|".join(keys), "|".join(row[k] for k in keys)
        base = out[s.form]
        out[s.form] = pl.concat([base[: i + 1], base[i: i + 1], base[i + 1:]])
    else:
        field = title = form.item(s.item).title
        value = s.change(row[title])
        out[s.form] = out[s.form].with_columns(
            pl.when(pl.int_range(pl.len()) == i).then(pl.lit(value)).otherwise(pl.col(title)).alias(title))
    manifest.append({"check_id": s.check_id, "subject": row["SUBJID"], "form": s.form, "field": field,
                     "value": value, "description": s.description})
    part = f"{s.form}:{row['VISIT']}" if row.get("VISIT") else s.form
    hosted.setdefault(row["SUBJID"], []).append((frozenset({part}), frozenset()))
    return out


# --- clinical seeds ---------------------------------------------------------------------------------------

_CONTRADICTS = "eligibility form records the criterion as met although the data fail it"


def _overlap(a: frozenset, b: frozenset, visits: frozenset = frozenset()) -> bool:
    """Whether two sets of form tokens meet. A token is a form ("lb") or a part of one: a visit ("lb:M9") or a
    test, item or record kind ("lb:ALT", "icans:ICE"). A form meets every part of itself; two visits, or two
    other parts, of one form meet only when equal; a visit and another part of one form may share records, so
    they meet."""
    def meet(x: str, y: str) -> bool:
        fx, _, px = x.partition(":")
        fy, _, py = y.partition(":")
        if fx != fy:
            return False
        if not px or not py or px == py:
            return True
        return (px in visits) != (py in visits)
    return any(meet(x, y) for x in a for y in b)


def _choose(c: Clinical, candidates: list[str], hosted: dict, rng: random.Random,
            visits: frozenset) -> str | None:
    """A candidate whose seeds so far neither change what `c` reads or changes, nor read what `c` changes;
    among those, one with the fewest seeds."""
    def clash(subject):
        return any(_overlap(c.changes, ch | rd, visits) or _overlap(ch, c.reads, visits)
                   for ch, rd in hosted.get(subject, ()))
    ok = sorted({x for x in candidates if not clash(x)})
    if not ok:
        return None
    fewest = min(len(hosted.get(x, ())) for x in ok)
    ok = [x for x in ok if len(hosted.get(x, ())) == fewest]
    return ok[rng.randrange(len(ok))]


class _Export:
    """The tables being seeded, with record-level edits by row position."""

    def __init__(self, tables: dict[str, pl.DataFrame], model):
        self.tables = dict(tables)
        self.model = model
        self.protocol = protocol(model)
        # (subject, IETESTCD) already contradicted by a seed: ELIG-IE-CONTRADICTS reports an IE record once, however
        # many seeded violations contradict it (ALT and bilirubin both contradict the liver criterion)
        self.contradictions: set[tuple[str, str]] = set()

    def rows(self, form: str, where: pl.Expr | None = None) -> pl.DataFrame:
        df = self.tables[form].with_row_index("_i")
        return df if where is None else df.filter(where)

    def subjects(self, form: str, where: pl.Expr | None = None) -> list[str]:
        return self.rows(form, where)["SUBJID"].unique().to_list()

    def pick(self, form: str, subject: str, rng: random.Random, where: pl.Expr | None = None) -> dict:
        cond = pl.col("SUBJID") == subject
        rows = self.rows(form, cond if where is None else cond & where)
        return rows.row(rng.randrange(rows.height), named=True)

    def set(self, form: str, i: int, **values: str) -> None:
        at = pl.int_range(pl.len()) == i
        self.tables[form] = self.tables[form].with_columns(
            [pl.when(at).then(pl.lit(v)).otherwise(pl.col(k)).alias(k) for k, v in values.items()])

    def drop(self, form: str, i: int) -> None:
        df = self.tables[form]
        self.tables[form] = pl.concat([df[:i], df[i + 1:]])

    def insert_after(self, form: str, i: int, values: dict) -> None:
        df = self.tables[form]
        row = pl.DataFrame({c: [values.get(c, "")] for c in df.columns}, schema=df.schema)
        self.tables[form] = pl.concat([df[: i + 1], row, df[i + 1:]])

    def reported(self, form: str, title: str, text: str) -> str:
        """The value as a finding reports it: numbers as read from the text, everything else as is."""
        item = next(i for i in self.model.forms[form].items if i.title == title)
        if item.kind == "decimal":
            return pl.Series([text]).cast(pl.Float64).cast(pl.Utf8)[0]
        if item.kind == "integer":
            return str(int(text))
        return text

    def day0(self, subject: str) -> date:
        ex = self.rows("ex", (pl.col("SUBJID") == subject) & (pl.col("EXNUM") == "1"))
        return date.fromisoformat(ex["EXSTDAT"][0])

    def screening(self, subject: str) -> date:
        sv = self.rows("sv", (pl.col("SUBJID") == subject) & (pl.col("VISIT") == self.protocol.screening_visit))
        return date.fromisoformat(sv["SVSTDAT"][0])

    def contradicted(self, subject: str, check_id: str) -> list[tuple]:
        """The ELIG-IE-CONTRADICTS findings a violation of `check_id` by `subject` causes."""
        cohort = self.rows("dm", pl.col("SUBJID") == subject)["COHORT"][0]
        crit = self.protocol.criteria().filter(
            (pl.col("check_id") == check_id) & (pl.col("cohort").is_null() | (pl.col("cohort") == cohort)))
        met = self.rows("ie", (pl.col("SUBJID") == subject) & (pl.col("IEORRES") == "Y")
                        & pl.col("IETESTCD").is_in(crit["ietestcd"].to_list()))
        new = {(subject, c) for c in met["IETESTCD"].to_list()} - self.contradictions
        self.contradictions |= new
        return [("ELIG-IE-CONTRADICTS", "ie", "IEORRES", "Y")] * len(new)


def _screening_value(form: str, title: str, value: Callable, check_id: str, where: Callable = None):
    """A seed setting `title` of the subject's screening record of `form` to value(ex, row)."""
    def apply(ex, subject, rng):
        w = _at_scr(ex) if where is None else _at_scr(ex) & where(ex)
        row = ex.pick(form, subject, rng, w)
        v = value(ex, row)
        ex.set(form, row["_i"], **{title: v})
        return [(check_id, form, title, ex.reported(form, title, v))] + ex.contradicted(subject, check_id)
    return apply


# Procedures whose dates are compared with the consent date, and the date item each records.
_PROCEDURE_DATES = {"sv": "SVSTDAT", "vs": "VSDAT", "lb": "LBDAT", "echo": "ECHODAT", "ld": "LDDAT", "ex": "EXSTDAT"}


def _consent_late(ex, subject, rng):
    scr = ex.screening(subject)
    icdat = (scr + timedelta(days=1)).isoformat()
    for row in ex.rows("ic", pl.col("SUBJID") == subject).iter_rows(named=True):
        ex.set("ic", row["_i"], ICDAT=icdat, **({"ASNTDAT": icdat} if row["ASNTDAT"] else {}))
    out = []
    for form, title in _PROCEDURE_DATES.items():
        early = ex.rows(form, (pl.col("SUBJID") == subject) & pl.col(title).str.contains(_FULL_DATE)
                        & (pl.col(title) < icdat))
        if early.height:
            out.append(("IC-PROCEDURE-BEFORE-CONSENT", form, title, early[title].min()))
    # Eligibility assessed at screening now precedes consent too: XF-DATE-ORDER reports it once per subject.
    ie = ex.rows("ie", (pl.col("SUBJID") == subject) & pl.col("IEDAT").str.contains(_FULL_DATE) & (pl.col("IEDAT") < icdat))
    if ie.height:
        out.append(("XF-DATE-ORDER", "ie", "IEDAT", ie["IEDAT"].min()))
    return out


def _visit_late(ex, subject, rng, visit="D7", days_late=2):
    when = (ex.day0(subject) + timedelta(days=ex.protocol.visit_windows()[visit].target_day + days_late)).isoformat()
    for form, title in (("sv", "SVSTDAT"), ("vs", "VSDAT"), ("lb", "LBDAT")):
        for row in ex.rows(form, (pl.col("SUBJID") == subject) & (pl.col("VISIT") == visit)).iter_rows(named=True):
            ex.set(form, row["_i"], **{title: when})
    return [("SCHED-VISIT-WINDOW", "sv", "SVSTDAT", when)]


def _egfr_off(ex, subject, rng):
    row = ex.pick("lb", subject, rng, pl.col("LBTESTCD") == "EGFR")
    v = f"{float(row['LBORRES']) + 15:.1f}"
    ex.set("lb", row["_i"], LBORRES=v)
    return [("KIDNEY-EGFR", "lb", "LBORRES", v)]


def _mg_per_m2(ex, drug: str) -> float:
    return ex.protocol.lymphodepletion()[drug].mg_per_m2_per_day


def _bsa_off(ex, subject, rng):
    row = ex.pick("ld", subject, rng)
    bsa = f"{float(row['LDBSA']) + 0.3:.2f}"
    # The dose follows the (wrong) BSA, as a site computing it from the recorded BSA would: only the BSA is off.
    dose = f"{_mg_per_m2(ex, row['LDTRT']) * float(bsa):.1f}"
    ex.set("ld", row["_i"], LDBSA=bsa, LDDOSE=dose)
    return [("KIDNEY-BSA", "ld", "LDBSA", ex.reported("ld", "LDBSA", bsa))]


def _ld_double(ex, subject, rng):
    row = ex.pick("ld", subject, rng, pl.col("LDTRT") == "FLUDARABINE")
    dose = f"{2 * float(row['LDDOSE']):.1f}"
    ex.set("ld", row["_i"], LDDOSE=dose)
    return [("SCHED-LD-DOSE", "ld", "LDDOSE", ex.reported("ld", "LDDOSE", dose))]


def _ld_day(ex, subject, rng):
    planned = {d for x in ex.protocol.lymphodepletion().values() for d in x.days}
    day = max(planned) + 2  # after the last planned day, still before day 0
    row = ex.pick("ld", subject, rng)
    when = (ex.day0(subject) + timedelta(days=day)).isoformat()
    ex.set("ld", row["_i"], LDDAT=when, LDDAY=str(day))
    return [("SCHED-LD-DAY", "ld", "LDDAT", when)]


def _ld_missing(ex, subject, rng):
    row = ex.pick("ld", subject, rng, pl.col("LDTRT") == "CYCLOPHOSPHAMIDE")
    ex.drop("ld", row["_i"])
    exstdat = ex.rows("ex", (pl.col("SUBJID") == subject) & (pl.col("EXNUM") == "1"))["EXSTDAT"][0]
    return [("SCHED-EX-NO-LD", "ex", "EXSTDAT", exstdat)]


def _ex_tenfold(ex, subject, rng):
    row = ex.pick("ex", subject, rng, pl.col("EXNUM") == "1")
    dose = f"{10 * float(row['EXDOSE']):.1e}".replace("e+0", "e")
    ex.set("ex", row["_i"], EXDOSE=dose)
    return [("SCHED-EX-DOSE", "ex", "EXDOSE", ex.reported("ex", "EXDOSE", dose))]


def _crs_oxygen(ex, subject, rng):
    row = ex.pick("crs", subject, rng, (pl.col("CRSGR") == "1") & (pl.col("CRSOXY") == "NONE"))
    ex.set("crs", row["_i"], CRSOXY="LOW_FLOW_CANNULA", CRSFLOW="2.0")
    return [("SAFE-CRS-GRADE", "crs", "CRSGR", "1")]


def _icans_score(ex, subject, rng):
    # The items change with the total, so only the grade disagrees.
    row = ex.pick("icans", subject, rng, pl.col("ICANSGR") == "1")
    if row["ICANSTOOL"] == "ICE":
        ex.set("icans", row["_i"], ICESCORE="2", **titled(ice_tasks(ex.model, 2, rng)))
    else:
        ex.set("icans", row["_i"], CAPDSCORE="12", **titled(capd_scores(ex.model, 12, rng)))
    return [("SAFE-ICANS-GRADE", "icans", "ICANSGR", "1")]


def _ae_backwards(ex, subject, rng):
    row = ex.pick("ae", subject, rng, pl.col("AESTDAT").str.contains(_FULL_DATE))
    end = (date.fromisoformat(row["AESTDAT"]) - timedelta(days=1)).isoformat()
    ex.set("ae", row["_i"], AEENDAT=end)
    return [("SAFE-AE-DATES", "ae", "AEENDAT", end)]


def _ae_fatal(ex, subject, rng):
    # recorded as a fatal serious event in every other respect (death criterion Y, reported the day it began),
    # so that only the missing death record is wrong
    row = ex.pick("ae", subject, rng, _fatal_candidate())
    ex.set("ae", row["_i"], AEOUT="FATAL", AESER="Y", AEAWDAT=row["AESTDAT"], AERPTDAT=row["AESTDAT"],
           **seriousness(ex, "aesdth"))
    return [("SAFE-AE-DEATH", "ae", "AEOUT", "FATAL")]


def _fatal_candidate() -> pl.Expr:
    return (pl.col("AEOUT") != "FATAL") & pl.col("AESTDAT").str.contains(_FULL_DATE)


def _ae_below_daily(ex, subject, rng):
    row = ex.pick("ae", subject, rng, pl.col("AECAT") == "CRS")
    if row["AETOXGR"] == "1":  # a day of the event reached grade 2 (low-flow oxygen), the AE still says 1
        day = ex.pick("crs", subject, rng, (pl.col("AESEQ") == row["AESEQ"]) & (pl.col("CRSGR") == "1"))
        ex.set("crs", day["_i"], CRSGR="2", CRSOXY="LOW_FLOW_CANNULA", CRSFLOW="2.0")
    else:
        ex.set("ae", row["_i"], AETOXGR="1")
    return [("SAFE-AE-MAXGRADE", "ae", "AETOXGR", "1")]


def _too_young(ex, subject, rng):
    row = ex.pick("dm", subject, rng)
    age = str(int(ex.protocol.min_age()[row["COHORT"]]) - 1)
    ex.set("dm", row["_i"], AGE=age)
    # The birth date is left as it was, so the age no longer follows from it either.
    return [("ELIG-AGE", "dm", "AGE", age), ("DERIVED-AGE", "dm", "AGE", age)] + ex.contradicted(subject, "ELIG-AGE")


def _live_vaccine(ex, subject, rng):
    when = (ex.screening(subject) - timedelta(days=10)).isoformat()
    cm = ex.rows("cm", pl.col("SUBJID") == subject)
    last = cm.row(cm.height - 1, named=True)
    ex.insert_after("cm", last["_i"], {
        "STUDYID": last["STUDYID"], "SITEID": last["SITEID"], "SUBJID": subject,
        "CMSEQ": str(max(int(x) for x in cm["CMSEQ"]) + 1), "CMCAT": "VACCINE",
        "CMTRT": "MEASLES, MUMPS AND RUBELLA VACCINE (LIVE)", **cm_coding("MEASLES, MUMPS AND RUBELLA VACCINE (LIVE)"),
        "CMINDC": "PROPHYLAXIS", "CMDOSE": "1", "CMDOSU": "dose", "CMDOSFRQ": "ONCE", "CMROUTE": "SUBCUTANEOUS",
        "CMSTDAT": when, "CMENDAT": when, "CMONGO": "N", "CMLIVE": "Y"})
    return [("ELIG-LIVE-VACCINE", "cm", "CMSTDAT", when)] + ex.contradicted(subject, "ELIG-LIVE-VACCINE")


def _lab_at_scr(test: str):
    return lambda ex: ex.subjects("lb", _at_scr(ex) & (pl.col("LBTESTCD") == test))


def _alt_high(ex, subject, rng):
    row = ex.pick("lb", subject, rng, _at_scr(ex) & (pl.col("LBTESTCD") == "ALT"))
    k = ex.protocol.param("alt_ast_uln_max")
    v = f"{k * float(row['LBORNRHI']) + 1:.0f}"
    ex.set("lb", row["_i"], LBORRES=v, LBNRIND="HIGH")
    from ecrf.example.seeds_labs import regrade  # the high baseline changes the CTCAE grades of later ALT results
    regrade(ex, subject, "ALT")
    return [("ELIG-ALT-AST", "lb", "LBORRES", v)] + ex.contradicted(subject, "ELIG-ALT-AST")


def _pregnant(ex, subject, rng):
    row = ex.pick("lb", subject, rng, _at_scr(ex) & (pl.col("LBTESTCD") == "HCG"))
    ex.set("lb", row["_i"], LBORRES="POSITIVE", LBNRIND="ABNORMAL")
    return [("ELIG-PREGNANCY", "lb", "LBORRES", "POSITIVE")] + ex.contradicted(subject, "ELIG-PREGNANCY")


def _criteria(ex: _Export, waiver: bool) -> list[str]:
    """Criteria to record as not met: with a waiver, any whose waiver is allowed (a waived criterion is not
    contradicted by its data); without one, general criteria (no cohort) not tested against the data."""
    c = ex.protocol.criteria()
    if waiver:
        return c.filter(pl.col("waiver_allowed"))["ietestcd"].unique().sort().to_list()
    return c.filter(pl.col("cohort").is_null() & pl.col("check_id").is_null()
                    & ~pl.col("waiver_allowed"))["ietestcd"].unique().sort().to_list()


def _not_met(waiver: bool):
    def apply(ex, subject, rng):
        row = ex.pick("ie", subject, rng, pl.col("IETESTCD").is_in(_criteria(ex, waiver)) & (pl.col("IEORRES") == "Y"))
        if waiver:
            ex.set("ie", row["_i"], IEORRES="N", IEWAIV="Y",
                   IEWAIVR="prior therapy shorter than required; investigator judged it adequate")
            return [("ELIG-NOT-MET-WAIVED", "ie", "IEWAIV", "Y")]
        ex.set("ie", row["_i"], IEORRES="N", IEWAIV="N")
        return [("ELIG-NOT-MET", "ie", "IEORRES", "N")]
    return apply


def _ie_candidates(waiver: bool):
    return lambda ex: ex.subjects("ie", pl.col("IETESTCD").is_in(_criteria(ex, waiver)) & (pl.col("IEORRES") == "Y"))


def _threshold(name: str, below: float):
    return lambda ex, row: f"{ex.protocol.param(name) - below:g}"


def _score_below(form: str, total: str, name: str, below: int, items, check_id: str):
    """A seed lowering the screening total of `form` below the entry minimum, with its items rewritten to add up
    to it (items(ex, row, total, rng) -> {item: value}), so only the eligibility checks fire."""
    def apply(ex, subject, rng):
        row = ex.pick(form, subject, rng, _at_scr(ex))
        value = int(ex.protocol.param(name) - below)
        ex.set(form, row["_i"], **{total: str(value)}, **titled(items(ex, row, value, rng)))
        return [(check_id, form, total, str(value))] + ex.contradicted(subject, check_id)
    return apply


def _sledai_items(ex, row, value, rng):
    labs = {i: row[i.upper()] for i in sledai_lab_item_names(ex.model)}  # lab descriptors keep agreeing with labs
    return sledai_exact(ex.model, value, labs, rng)


def _vas_items(ex, row, value, rng):
    persistent = vas_items(ex.model)[1]
    return {k: v for k, v in vas_systems(ex.model, value, 0, rng).items() if k not in persistent}


_PROCEDURE_FORMS = _f(*_PROCEDURE_DATES)
CLINICAL = (
    # Most constrained first: these read many forms of their subject.
    Clinical("IC-PROCEDURE-BEFORE-CONSENT", _f("ic"), _PROCEDURE_FORMS,
             lambda ex: ex.subjects("ic"), _consent_late,
             "informed consent dated the day after the screening visit"),
    Clinical("KIDNEY-EGFR", _f("lb:EGFR"), _f("vs:HEIGHT", "dm"),
             lambda ex: ex.subjects("lb", pl.col("LBTESTCD") == "EGFR"), _egfr_off,
             "eGFR 15 mL/min/1.73m2 above the one computed from creatinine, height, sex and age"),
    Clinical("SCHED-VISIT-WINDOW", _f("sv:D7", "vs:D7", "lb:D7"), _f("ex", "ic"),
             lambda ex: ex.subjects("sv", pl.col("VISIT") == "D7"), _visit_late,
             "day 7 visit (vital signs and labs with it) two days late, outside its window"),
    Clinical("KIDNEY-BSA", _f("ld"), _f("vs"), lambda ex: ex.subjects("ld", pl.col("LDBSA") != ""), _bsa_off,
             "lymphodepletion BSA 0.3 m2 above Mosteller (dose computed from it)"),
    Clinical("SCHED-LD-DOSE", _f("ld"), _f(), lambda ex: ex.subjects("ld", pl.col("LDTRT") == "FLUDARABINE"),
             _ld_double, "fludarabine dose doubled"),
    Clinical("SCHED-LD-DAY", _f("ld"), _f("ex"), lambda ex: ex.subjects("ld"), _ld_day,
             "a lymphodepletion dose given on day -1"),
    Clinical("SCHED-EX-NO-LD", _f("ld"), _f("ex"), lambda ex: ex.subjects("ld", pl.col("LDTRT") == "CYCLOPHOSPHAMIDE"),
             _ld_missing, "infusion after only two of the three cyclophosphamide doses"),
    Clinical("SCHED-EX-DOSE", _f("ex"), _f("dm"), lambda ex: ex.subjects("ex", pl.col("EXNUM") == "1"), _ex_tenfold,
             "KN5601-K dose ten times its dose level"),
    Clinical("SAFE-CRS-GRADE", _f("crs"), _f("ae"),
             lambda ex: ex.subjects("crs", (pl.col("CRSGR") == "1") & (pl.col("CRSOXY") == "NONE")), _crs_oxygen,
             "CRS day on low-flow oxygen (grade 2) recorded as grade 1"),
    Clinical("SAFE-ICANS-GRADE", _f("icans"), _f("ae"), lambda ex: ex.subjects("icans", pl.col("ICANSGR") == "1"),
             _icans_score, "ICANS day with an ICE or CAPD score of grade 3 recorded as grade 1"),
    Clinical("SAFE-AE-MAXGRADE", _f("ae", "crs"), _f(), lambda ex: ex.subjects("ae", pl.col("AECAT") == "CRS"),
             _ae_below_daily, "CRS adverse event graded below its worst day"),
    Clinical("SAFE-AE-DATES", _f("ae"), _f("crs", "icans"),
             lambda ex: ex.subjects("ae", pl.col("AESTDAT").str.contains(_FULL_DATE)), _ae_backwards,
             "adverse event ending the day before it started"),
    Clinical("SAFE-AE-DEATH", _f("ae"), _f("dd", "crs", "icans"),
             lambda ex: [x for x in ex.subjects("ae", _fatal_candidate())
                         if x not in set(ex.subjects("dd"))], _ae_fatal,
             "adverse event with outcome fatal, but no death record"),
    Clinical("ELIG-AGE", _f("dm"), _f(IE_ANSWERS, "lb", "vas"),
             lambda ex: ex.subjects("dm", pl.col("BRTHDAT").str.contains(_FULL_DATE) & (pl.col("COHORT") != "AAV")),
             _too_young, "age one year below the cohort's minimum"),
    Clinical("ELIG-LVEF", _f("echo"), _f(IE_ANSWERS), lambda ex: ex.subjects("echo", _at_scr(ex)),
             _screening_value("echo", "LVEF", _threshold("lvef_min", 5), "ELIG-LVEF"),
             "screening LVEF 5 points below the inclusion minimum"),
    Clinical("ELIG-SPO2", _f("vs:OXYSAT"), _f(IE_ANSWERS), lambda ex: ex.subjects("vs", _at_scr(ex)),
             _screening_value("vs", "OXYSAT", _threshold("spo2_min", 2), "ELIG-SPO2"),
             "screening SpO2 2 points below the inclusion minimum"),
    Clinical("ELIG-SLE-SLEDAI", _f("sledai:SCR"), _f(IE_ANSWERS), lambda ex: _cohort(ex, "SLE"),
             _score_below("sledai", "SLEDAITOT", "sledai_min", 2, _sledai_items, "ELIG-SLE-SLEDAI"),
             "screening SLEDAI-2K (descriptors and total) 2 points below the SLE inclusion minimum"),
    Clinical("ELIG-SSC-MRSS", _f("mrss:SCR"), _f(IE_ANSWERS), lambda ex: _cohort(ex, "SSC"),
             _score_below("mrss", "MRSSTOT", "mrss_min", 3,
                          lambda ex, row, value, rng: mrss_sites(ex.model, value, rng), "ELIG-SSC-MRSS"),
             "screening mRSS (sites and total) 3 points below the systemic sclerosis inclusion minimum"),
    # Before ELIG-AAV-VAS: only a child scored with PVAS can carry it, while an adult on BVAS can carry that one.
    Clinical("ELIG-AAV-INSTRUMENT", _f("vas:SCR"), _f(IE_ANSWERS, "dm"),
             lambda ex: ex.subjects("vas", _at_scr(ex) & (pl.col("VASINST") == "PVAS")),
             _screening_value("vas", "VASINST", lambda ex, row: "BVAS", "ELIG-AAV-INSTRUMENT",
                              lambda ex: pl.col("VASINST") == "PVAS"),
             "adult BVAS used to score a child at screening"),
    Clinical("ELIG-AAV-VAS", _f("vas:SCR"), _f(IE_ANSWERS), lambda ex: _cohort(ex, "AAV"),
             _score_below("vas", "VASTOT", "vas_min", 2, _vas_items, "ELIG-AAV-VAS"),
             "screening PVAS (system scores and total) 2 points below the vasculitis inclusion minimum"),
    Clinical("ELIG-ALT-AST", _f("lb:ALT"), _f(IE_ANSWERS), _lab_at_scr("ALT"), _alt_high,
             "screening ALT just above 3 x ULN"),
    Clinical("ELIG-PREGNANCY", _f("lb:HCG"), _f(IE_ANSWERS), _lab_at_scr("HCG"), _pregnant,
             "positive pregnancy test at screening"),
    Clinical("ELIG-LIVE-VACCINE", _f("cm"), _f(IE_ANSWERS, "sv"), lambda ex: ex.subjects("cm"), _live_vaccine,
             "live vaccine 10 days before the screening visit"),
    Clinical("ELIG-NOT-MET", _f("ie"), _f(), _ie_candidates(False), _not_met(False),
             "criterion recorded as not met, no waiver"),
    Clinical("ELIG-NOT-MET-WAIVED", _f("ie"), _f(), _ie_candidates(True), _not_met(True),
             "criterion recorded as not met, enrolled on an allowed investigator waiver"),
)


def all_clinical() -> tuple[Clinical, ...]:
    """The clinical seeds of every area, most constrained first (each area's module lists its own)."""
    from ecrf.example import (seeds_clinical, seeds_consistency, seeds_integrity, seeds_labs, seeds_pairs, seeds_panel,
                              seeds_protocol, seeds_safety, seeds_scores, seeds_timing)

    return (CLINICAL + seeds_safety.CLINICAL + seeds_pairs.CLINICAL + seeds_protocol.CLINICAL + seeds_consistency.CLINICAL
            + seeds_scores.CLINICAL + seeds_labs.CLINICAL + seeds_panel.CLINICAL + seeds_safety.LATE
            + seeds_integrity.CLINICAL + seeds_clinical.CLINICAL + seeds_integrity.CLINICAL_RECORD
            + seeds_timing.CLINICAL)
