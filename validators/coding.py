"""Dictionary coding: MedDRA on adverse events, WHODrug with ATC classes on medications.

Coding is done after entry, so every coding item is optional; what is coded must be complete, agree with itself
across the export and name its dictionary version. The items are found by role (schema annotation `role`), so the
checks run on any form and any study that annotates them. Code formats (8-digit MedDRA codes, ATC code shapes,
version spellings) are patterns of the schema's types, checked by COL-PATTERN; these checks skip values that
fail their pattern, so one error is reported once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.model import Form
from ecrf.params import class_parameter
from ecrf.registry import Findings, check
from ecrf.validators.consistency_dates import run_parts

if TYPE_CHECKING:
    from ecrf.engine import Context

# Term and code pairs, lowest level first; the dictionary's version role; the roles a coded record has.
DICTIONARIES = {
    "MedDRA": {"pairs": (("meddra_llt", "meddra_llt_code"), ("meddra_pt", "meddra_pt_code"),
                         ("meddra_soc", "meddra_soc_code")),
               "top": (), "version": "meddra_version"},
    "WHODrug": {"pairs": (("atc_class", "atc_code"),), "top": ("whodrug_name",), "version": "whodrug_version"},
}
# (key role, value role): one key has one value across the export (a code one term; an LLT one PT; a PT one
# primary SOC; an ATC code one class text).
UNIQUE = (("meddra_llt_code", "meddra_llt"), ("meddra_pt_code", "meddra_pt"), ("meddra_soc_code", "meddra_soc"),
          ("meddra_llt_code", "meddra_pt_code"), ("meddra_pt_code", "meddra_soc_code"), ("atc_code", "atc_class"))
# ATC code length -> level (WHO ATC structure: L, L04, L04A, L04AA, L04AA06).
ATC_LEVELS = {1: 1, 3: 2, 4: 3, 5: 4, 7: 5}


def _roles(form: Form, roles) -> dict[str, str]:
    """{role: item name} for the roles the form has."""
    return {r: n for r in roles if (n := form.find_role(r)) is not None}


def _rows(ctx, domain: str) -> pl.LazyFrame | None:
    """The form's rows with `_idx`, lazily: a check builds one query over all its forms and runs it once (each
    eager step is a query of its own, whose fixed cost outweighs the work on a small export)."""
    t = ctx.table(domain)
    if t is None or t.n_rows == 0:
        return None
    return t.df.lazy().with_row_index("_idx").with_columns(pl.col("_idx").cast(pl.Int64))


def _valid(form: Form, name: str) -> pl.Expr:
    """The item's value, null when empty or when it fails its pattern (COL-PATTERN reports that)."""
    pattern = form.item(name).pattern
    c = pl.col(name).cast(pl.Utf8)
    return c if pattern is None else pl.when(c.str.contains(pattern)).then(c)


@check("CODE-INCOMPLETE", "Dictionary coding incomplete", "consistency", "error", (),
       "A coded record has each term with its code and each level up to the top of its dictionary: a MedDRA lowest "
       "level term (AELLT, AELLTCD) with its preferred term (AEDECOD, AEPTCD) and that with its primary system organ "
       "class (AESOC, AESOCCD); an ATC class (CMCLAS, CMCLASCD) with the WHODrug name it classifies (CMDECOD). A "
       "term without its code or a code without its term (e.g. AEPTCD without AEDECOD) is reported on the empty "
       "item; a level coded without the level above on the term of the level above. Records not coded yet give "
       "nothing.",
       reference="MedDRA hierarchy (LLT, PT, HLT, HLGT, SOC; one primary SOC per PT); WHODrug Global with ATC; "
                 "CDISC SDTMIG AE and CM", roles=("*:meddra_pt_code",))
def incomplete(ctx: Context) -> Findings:
    parts = []
    for domain, form in ctx.model.forms.items():
        d = _rows(ctx, domain)
        if d is None:
            continue
        for spec in DICTIONARIES.values():
            roles = _roles(form, [r for p in spec["pairs"] for r in p] + list(spec["top"]))
            pairs = [(roles[t], roles[c]) for t, c in spec["pairs"] if t in roles and c in roles]
            for term, code in pairs:  # each term with its code
                for have, miss in ((term, code), (code, term)):
                    bad = d.filter(pl.col(have).is_not_null() & pl.col(miss).is_null())
                    parts.append((domain, _missing(form, bad, miss, have, "")))
            # Levels lowest first, each a tuple of items; a coded level needs the level above it.
            levels = [*pairs, *((roles[r],) for r in spec["top"] if r in roles)]
            for lower, upper in zip(levels, levels[1:]):
                bad = d.filter(pl.any_horizontal(pl.col(x).is_not_null() for x in lower)
                               & pl.all_horizontal(pl.col(x).is_null() for x in upper))
                parts.append((domain, _missing(form, bad, upper[0], lower[0], " and the level above it")))
    return run_parts(parts)


def _missing(form: Form, bad: pl.LazyFrame, missing: str, present: str, what: str) -> pl.LazyFrame:
    m, p = form.item(missing).title, form.item(present).title
    return F.raw_query(bad, m, pl.col(missing).fill_null(""), pl.lit(f"{m} (coded with {p}{what})"),
                       pl.format(f"{p} is coded ({{}}) but {m} is empty", pl.col(present).fill_null("")))


@check("CODE-CONFLICT", "One code coded two ways in the export", "consistency", "error", (),
       "Across the export one code stands for one thing: a MedDRA code for one term (AELLTCD -> AELLT, AEPTCD -> "
       "AEDECOD, AESOCCD -> AESOC), a lowest level term for one preferred term (AELLTCD -> AEPTCD), a preferred term "
       "for one primary system organ class (AEPTCD -> AESOCCD), an ATC code for one class text (CMCLASCD -> CMCLAS). "
       "Records that disagree with the way the code is coded most often are reported.",
       reference="MedDRA: each LLT links to exactly one PT, each PT to one primary SOC; WHO ATC index",
       roles=("*:meddra_pt_code",))
def conflict(ctx: Context) -> Findings:
    parts = []
    for key_role, val_role in UNIQUE:
        frames, domains = [], []
        for domain, form in ctx.model.forms.items():
            roles = _roles(form, (key_role, val_role))
            d = _rows(ctx, domain) if len(roles) == 2 else None
            if d is None:
                continue
            k, v = roles[key_role], roles[val_role]
            frames.append(d.select("_idx", pl.lit(domain).alias("_form"), _valid(form, k).alias("_k"),
                                   _valid(form, v).alias("_v"), pl.lit(form.item(k).title).alias("_kt"),
                                   pl.lit(form.item(v).title).alias("_vt"))
                          .filter(pl.col("_k").is_not_null() & pl.col("_v").is_not_null()))
            domains.append(domain)
        if not frames:
            continue
        bad = _conflicting(pl.concat(frames))
        expected = pl.when(pl.col("_top") > 1).then(pl.format("one {} for {} {}", pl.col("_vt"), pl.col("_kt"),
                                                               pl.col("_k"))).otherwise(pl.col("_usual"))
        message = pl.format("{} {} is coded to {} {} here, but to {} in other records", pl.col("_kt"), pl.col("_k"),
                            pl.col("_vt"), pl.col("_v"), pl.col("_else"))
        parts += [(domain, F.raw_query(bad.filter(pl.col("_form") == domain), pl.col("_vt"), pl.col("_v"), expected,
                                       message))
                  for domain in domains]
    return run_parts(parts)


def _conflicting(allr: pl.LazyFrame) -> pl.LazyFrame:
    """The records (_k, _v) whose key is coded other than most often (or where two ways tie), with _usual, _top
    (how many ways share the highest count) and _else (the other ways the key is coded)."""
    counts = allr.group_by("_k", "_v").agg(pl.len().alias("_n"))
    # The way a code is coded most often is taken as meant; when two ways tie, every record is reported.
    usual = counts.sort(["_k", "_n", "_v"], descending=[False, True, False]).group_by("_k", maintain_order=True) \
        .agg(pl.col("_v").first().alias("_usual"), pl.col("_n").first().alias("_un"),
             (pl.col("_n") == pl.col("_n").max()).sum().alias("_top"), pl.len().alias("_ways"))
    bad = allr.join(usual.filter(pl.col("_ways") > 1), on="_k") \
        .filter((pl.col("_v") != pl.col("_usual")) | (pl.col("_top") > 1))
    others = allr.group_by("_k").agg(pl.col("_v").unique().sort().alias("_all"))
    return bad.join(others, on="_k").with_columns(
        pl.col("_all").list.set_difference(pl.concat_list(pl.col("_v"))).list.join(", ").alias("_else"))


@check("CODE-DICT-VERSION", "Dictionary version missing or mixed", "consistency", "error", (),
       "A record coded with a dictionary (any MedDRA or WHODrug coding item filled) names the version it was coded "
       "with (AEDICTV, CMDICTV), and one export is coded with one version of each dictionary: records coded with "
       "another version than most are reported (recode them, or the two versions' terms are compared as if they "
       "were one).",
       reference="MedDRA Term Selection: Points to Consider (use one version, recode on upgrade); WHODrug Global "
                 "releases; CDISC define-xml ExternalCodeList (one dictionary version per dataset)",
       roles=("*:meddra_version",))
def dict_version(ctx: Context) -> Findings:
    parts = []
    for name, spec in DICTIONARIES.items():
        frames, domains = [], []
        for domain, form in ctx.model.forms.items():
            roles = _roles(form, [r for p in spec["pairs"] for r in p] + list(spec["top"]) + [spec["version"]])
            d = _rows(ctx, domain)
            if d is None or spec["version"] not in roles or len(roles) < 2:
                continue
            ver = roles.pop(spec["version"])
            coded = pl.any_horizontal(pl.col(n).is_not_null() for n in roles.values())
            title = form.item(ver).title
            missing = d.filter(coded & pl.col(ver).is_null())
            # value as a column, not a literal: one value per row
            parts.append((domain, F.raw_query(missing, title, pl.col(ver).fill_null(""), pl.lit(f"the {name} version"),
                                              pl.lit(f"coded with {name} but no {name} version recorded ({title})"))))
            frames.append(d.select("_idx", pl.lit(domain).alias("_form"), _valid(form, ver).alias("_v"),
                                   pl.lit(title).alias("_t")).filter(pl.col("_v").is_not_null()))
            domains.append(domain)
        if not frames:
            continue
        # The version most records are coded with (of two as common, the later in text order) is the export's;
        # with one version only, no record differs from it.
        per_version = pl.len().over("_v")
        bad = pl.concat(frames).with_columns(
            pl.col("_v").sort_by(per_version, pl.col("_v"), descending=[True, True]).first().alias("_usual")) \
            .filter(pl.col("_v") != pl.col("_usual"))
        message = pl.format(f"coded with {name} {{}}, most of the export with {name} {{}}", pl.col("_v"),
                            pl.col("_usual"))
        parts += [(domain, F.raw_query(bad.filter(pl.col("_form") == domain), pl.col("_t"), pl.col("_v"),
                                       pl.col("_usual"), message))
                  for domain in domains]
    return run_parts(parts)


@check("CODE-ATC-LEVEL", "ATC class at the wrong level", "consistency", "error", ("cm",),
       "The medication class code (CMCLASCD) is an ATC code of the level the study codes to (Medication atc_level "
       "{Medication.atc_level}); its level is read from its shape (1 letter: level 1; L04: 2; L04A: 3; L04AA: 4; "
       "L04AA06: 5).",
       reference="WHO Collaborating Centre for Drug Statistics Methodology, ATC structure and principles",
       fields=("CMCLASCD",))
def atc_level(ctx: Context) -> Findings:
    parts = []
    for domain, form in ctx.model.forms.items():
        code = form.find_role("atc_code")
        d = _rows(ctx, domain) if code is not None else None
        if d is None or code is None:
            continue
        want = int(class_parameter(ctx.model, form.name, "atc_level"))
        shape = form.item(code).pattern or r"^[A-Z0-9]+$"
        level = pl.col(code).cast(pl.Utf8).str.len_chars().replace_strict(ATC_LEVELS, default=None, return_dtype=pl.Int64)
        d = d.filter(pl.col(code).cast(pl.Utf8).str.contains(shape)).with_columns(level.alias("_lvl"))
        bad = d.filter(pl.col("_lvl") != want)
        title = form.item(code).title
        parts.append((domain, F.raw_query(bad, title, pl.col(code), pl.lit(f"an ATC level {want} code"),
                                          pl.format(f"{title} {{}} is an ATC level {{}} code; the study codes to "
                                                    f"level {want}", pl.col(code), pl.col("_lvl")))))
    return run_parts(parts)

