"""Clinical seeds for the checks comparing results of one lab panel (see ecrf.example.seeding)."""

from __future__ import annotations

import polars as pl

from ecrf.example.seedkit import Clinical
from ecrf.example.seedkit import forms as _f

_NEUT_ABOVE = 0.5  # 10^9/L above the panel's leukocytes, still inside the neutrophils' normal range


def _neut_rows(ex, subject=None):
    """Neutrophil rows after screening, normal, whose panel's leukocytes leave room for a normal count above them."""
    lb = ex.rows("lb", pl.col("VISIT") != "SCR")
    if subject is not None:
        lb = lb.filter(pl.col("SUBJID") == subject)
    wbc = lb.filter(pl.col("LBTESTCD") == "WBC").select("SUBJID", "VISIT", pl.col("LBORRES").cast(pl.Float64,
                                                                                                    strict=False)
                                                        .alias("_wbc"))
    neut = lb.filter((pl.col("LBTESTCD") == "NEUT") & (pl.col("LBNRIND") == "NORMAL")).join(wbc, on=["SUBJID", "VISIT"])
    hi = neut["LBORNRHI"].cast(pl.Float64)
    lo = neut["LBORNRLO"].cast(pl.Float64)
    above = neut["_wbc"] + _NEUT_ABOVE
    return neut.filter((above >= lo) & (above <= hi))


def _neut_above_wbc(ex, subject, rng):
    rows = _neut_rows(ex, subject)
    row = rows.row(rng.randrange(rows.height), named=True)
    value = f"{row['_wbc'] + _NEUT_ABOVE:.1f}"
    ex.set("lb", row["_i"], LBORRES=value)
    return [("LAB-PART-TOTAL", "lb", "LBORRES", value)]


CLINICAL = (
    Clinical("LAB-PART-TOTAL", _f("lb:NEUT"), _f("lb:WBC"), lambda ex: sorted(set(_neut_rows(ex)["SUBJID"])),
             _neut_above_wbc, "neutrophils above the leukocytes of the same panel"),
)
