"""Clinical seeds for the status/result pair checks (see ecrf.example.seeding for how seeds are placed)."""

from __future__ import annotations

import polars as pl

from ecrf.example.seedkit import FULL_DATE as _FULL_DATE
from ecrf.example.seedkit import Clinical
from ecrf.example.seedkit import forms as _f
from ecrf.example.seedkit import seriousness


def _ae_ongoing_ended(ex, subject, rng):
    row = ex.pick("ae", subject, rng, (pl.col("AEONGO") == "N") & pl.col("AEENDAT").str.contains(_FULL_DATE))
    ex.set("ae", row["_i"], AEONGO="Y")
    return [("XF-AE-ONGOING", "ae", "AEONGO", "Y")]


def _sae_unreported(ex, subject, rng):
    # An event judged serious the day it started, whose report to the sponsor was never recorded.
    row = ex.pick("ae", subject, rng, (pl.col("AESER") == "N") & pl.col("AESTDAT").str.contains(_FULL_DATE))
    ex.set("ae", row["_i"], AESER="Y", AEAWDAT=row["AESTDAT"], AERPTDAT="", **seriousness(ex, "aesmie"))
    return [("XF-SAE-DATES", "ae", "AERPTDAT", "")]


CLINICAL = (
    Clinical("XF-SAE-DATES", _f("ae"), _f(),
             lambda ex: ex.subjects("ae", (pl.col("AESER") == "N") & pl.col("AESTDAT").str.contains(_FULL_DATE)),
             _sae_unreported, "serious adverse event without its sponsor report date"),
    Clinical("XF-AE-ONGOING", _f("ae"), _f(),
             lambda ex: ex.subjects("ae", (pl.col("AEONGO") == "N") & pl.col("AEENDAT").str.contains(_FULL_DATE)),
             _ae_ongoing_ended, "adverse event recorded as ongoing, with an end date"),
)
