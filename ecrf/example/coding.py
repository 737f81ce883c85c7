"""Dictionary coding of the synthetic export: MedDRA for adverse events, WHODrug with ATC classes for medications.

The example carries no licensed dictionary. The few terms it codes come with codes published openly:
- MedDRA: terms of NCI CTCAE v4.03, which is distributed with the MedDRA code of each term and with the code of
  each system organ class (on its "Other, specify" term). Each is a preferred term, coded to the lowest level
  term of the same name (MedDRA gives every PT an identical LLT). ICANS has no CTCAE term, so the example
  leaves those events uncoded (coding pending), as a coder would before the term is available to them.
- ATC: the WHO Collaborating Centre ATC/DDD Index (https://atcddd.fhi.no/atc_ddd_index/), level 4 as the
  schema's Medication atc_level asks. The WHODrug preferred name is the ingredient as reported (salt or ester included, as WHODrug keeps it).
A coding field the table does not fill stays empty: coding is optional at entry.
"""

from __future__ import annotations

import polars as pl

MEDDRA_VERSION = "27.0"
WHODRUG_VERSION = "2024 Mar 1"

# Reported term -> (LLT, LLT code, PT, PT code, primary SOC, SOC code)
MEDDRA = {
    "Nausea": ("Nausea", "10028813", "Nausea", "10028813", "Gastrointestinal disorders", "10017947"),
    "Cytokine release syndrome": ("Cytokine release syndrome", "10052015", "Cytokine release syndrome", "10052015",
                                  "Immune system disorders", "10021428"),
    "Upper respiratory tract infection": ("Upper respiratory tract infection", "10046306",
                                          "Upper respiratory tract infection", "10046306", "Infections and infestations",
                                          "10021881"),
    "Sepsis": ("Sepsis", "10040047", "Sepsis", "10040047", "Infections and infestations", "10021881"),
}

# Reported name -> (WHODrug preferred name, ATC level-4 class, its code)
WHODRUG = {
    "PREDNISONE": ("PREDNISONE", "Glucocorticoids", "H02AB"),
    "CYCLOPHOSPHAMIDE": ("CYCLOPHOSPHAMIDE", "Nitrogen mustard analogues", "L01AA"),
    "ENALAPRIL": ("ENALAPRIL", "ACE inhibitors, plain", "C09AA"),
    "HYDROXYCHLOROQUINE": ("HYDROXYCHLOROQUINE", "Aminoquinolines", "P01BA"),
    "METHOTREXATE": ("METHOTREXATE", "Other immunosuppressants", "L04AX"),
    "MYCOPHENOLATE MOFETIL": ("MYCOPHENOLATE MOFETIL", "Selective immunosuppressants", "L04AA"),
    "TACROLIMUS": ("TACROLIMUS", "Calcineurin inhibitors", "L04AD"),
    "RITUXIMAB": ("RITUXIMAB", "CD20 (Clusters of Differentiation 20) inhibitors", "L01FA"),
    "PARACETAMOL": ("PARACETAMOL", "Anilides", "N02BE"),
    "INFLUENZA VACCINE (INACTIVATED)": ("INFLUENZA VACCINE", "Influenza vaccines", "J07BB"),
    "MEASLES, MUMPS AND RUBELLA VACCINE (LIVE)": ("MEASLES, MUMPS AND RUBELLA VACCINE", "Measles vaccines", "J07BD"),
    "VARICELLA VACCINE (LIVE)": ("VARICELLA VACCINE", "Varicella zoster vaccines", "J07BK"),
}

AE_CODING = ("AELLT", "AELLTCD", "AEDECOD", "AEPTCD", "AESOC", "AESOCCD")
CM_CODING = ("CMDECOD", "CMCLAS", "CMCLASCD")


def ae_coding(term: str) -> dict[str, str]:
    """The MedDRA columns of a reported term ('' everywhere when the example does not code it)."""
    coded = MEDDRA.get(term)
    if coded is None:
        return dict.fromkeys((*AE_CODING, "AEDICTV"), "")
    return dict(zip(AE_CODING, coded)) | {"AEDICTV": MEDDRA_VERSION}


def cm_coding(name: str) -> dict[str, str]:
    """The WHODrug columns of a reported medication name ('' everywhere when the example does not code it)."""
    coded = WHODRUG.get(name)
    if coded is None:
        return dict.fromkeys((*CM_CODING, "CMDICTV"), "")
    return dict(zip(CM_CODING, coded)) | {"CMDICTV": WHODRUG_VERSION}


def code_tables(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The export with its coding columns filled from the reported terms (AETERM, CMTRT)."""
    out = dict(tables)
    for form, verbatim, coder in (("ae", "AETERM", ae_coding), ("cm", "CMTRT", cm_coding)):
        df = out.get(form)
        if df is None or verbatim not in df.columns:
            continue
        rows = [coder(t) for t in df[verbatim].to_list()]
        cols = [c for c in rows[0] if c in df.columns] if rows else []
        out[form] = df.with_columns(pl.Series(c, [r[c] for r in rows], dtype=pl.Utf8) for c in cols)
    return out
