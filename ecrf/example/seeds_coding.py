"""Seeds for the coding, seriousness and duplicate-record checks (see ecrf.example.seeding for how seeds are placed).

Applied after every other seed, so adding them moved none of the earlier choices."""

from __future__ import annotations

import polars as pl

from ecrf.example.coding import WHODRUG_VERSION
from ecrf.example.seedkit import Clinical
from ecrf.example.seedkit import forms as _f

_CODED_NAUSEA = (pl.col("AEPTCD") == "10028813") & (pl.col("AELLTCD") == "10028813")


def _not_serious_but_life_threatening(ex, subject, rng):
    row = ex.pick("ae", subject, rng, pl.col("AESER") == "N")
    ex.set("ae", row["_i"], AESLIFE="Y")
    return [("XF-AE-SERIOUSNESS", "ae", "AESER", "N")]


def _pt_code_without_pt(ex, subject, rng):
    row = ex.pick("ae", subject, rng, pl.col("AEPTCD").fill_null("") != "")
    ex.set("ae", row["_i"], AEDECOD="")
    return [("CODE-INCOMPLETE", "ae", "AEDECOD", "")]


def _nausea_elsewhere(ex) -> list[str]:
    # Coded the usual way at least twice elsewhere, so the odd record is the one reported.
    return ex.subjects("ae", _CODED_NAUSEA) if ex.rows("ae", _CODED_NAUSEA).height >= 3 else []


def _llt_to_another_pt(ex, subject, rng):
    # The coder took Vomiting (PT 10047700, a CTCAE v4.03 term) for the LLT Nausea: one LLT, two PTs.
    row = ex.pick("ae", subject, rng, _CODED_NAUSEA)
    ex.set("ae", row["_i"], AEDECOD="Vomiting", AEPTCD="10047700")
    return [("CODE-CONFLICT", "ae", "AEPTCD", "10047700")]


def _older_whodrug(ex, subject, rng):
    row = ex.pick("cm", subject, rng, pl.col("CMDICTV") == WHODRUG_VERSION)
    ex.set("cm", row["_i"], CMDICTV="2023 Sep 1")
    return [("CODE-DICT-VERSION", "cm", "CMDICTV", "2023 Sep 1")]


def _atc_substance(ex, subject, rng):
    # Coded to the substance (ATC level 5, WHO ATC index N02BE01) where the study codes to the level-4 class.
    row = ex.pick("cm", subject, rng, pl.col("CMCLASCD") == "N02BE")
    ex.set("cm", row["_i"], CMCLASCD="N02BE01", CMCLAS="paracetamol")
    return [("CODE-ATC-LEVEL", "cm", "CMCLASCD", "N02BE01")]


def _entered_twice(form: str, seq: str, where: pl.Expr):
    """A seed copying one of the subject's records under the next sequence number, after its last record."""
    def apply(ex, subject, rng):
        row = ex.pick(form, subject, rng, where)
        mine = ex.rows(form, pl.col("SUBJID") == subject)
        new = str(max(int(x) for x in mine[seq]) + 1)
        ex.insert_after(form, mine["_i"].max(), {k: v for k, v in row.items() if k != "_i"} | {seq: new})
        return [("DUP-RECORD", form, seq, new)]
    return apply


_AE_OTHER = pl.col("AECAT") == "OTHER"
_PREMED = pl.col("CMINDC") == "PREMEDICATION"

CLINICAL = (
    Clinical("XF-AE-SERIOUSNESS", _f("ae:criteria"), _f(), lambda ex: ex.subjects("ae", pl.col("AESER") == "N"),
             _not_serious_but_life_threatening, "adverse event recorded not serious, but life-threatening"),
    Clinical("CODE-CONFLICT", _f("ae:coding"), _f(), _nausea_elsewhere, _llt_to_another_pt,
             "the LLT Nausea coded to the PT Vomiting, elsewhere to the PT Nausea"),
    Clinical("CODE-INCOMPLETE", _f("ae:coding"), _f(),
             lambda ex: ex.subjects("ae", pl.col("AEPTCD").fill_null("") != ""), _pt_code_without_pt,
             "MedDRA PT code without the PT"),
    Clinical("CODE-DICT-VERSION", _f("cm:coding"), _f(),
             lambda ex: ex.subjects("cm", pl.col("CMDICTV") == WHODRUG_VERSION), _older_whodrug,
             "one medication coded with an older WHODrug release than the rest"),
    Clinical("CODE-ATC-LEVEL", _f("cm:coding"), _f(), lambda ex: ex.subjects("cm", pl.col("CMCLASCD") == "N02BE"),
             _atc_substance, "paracetamol classed at ATC level 5 where the study codes to level 4"),
    # Read the whole form: a copy of a record another seed changed would carry that error twice.
    Clinical("DUP-RECORD", _f("ae:dup"), _f("ae"), lambda ex: ex.subjects("ae", _AE_OTHER),
             _entered_twice("ae", "AESEQ", _AE_OTHER), "an adverse event entered again under a new AESEQ"),
    Clinical("DUP-RECORD", _f("cm:dup"), _f("cm"), lambda ex: ex.subjects("cm", _PREMED),
             _entered_twice("cm", "CMSEQ", _PREMED), "the premedication entered again under a new CMSEQ"),
)
