"""Seeds for the coding, seriousness and duplicate-record checks (see ecrf.example.seeding for how seeds are placed).

Applied after every other clinical seed, so adding them moved none of the earlier choices."""

from __future__ import annotations

import polars as pl

from ecrf.example.seedkit import Clinical
from ecrf.example.seedkit import forms as _f


def _not_serious_but_life_threatening(ex, subject, rng):
    row = ex.pick("ae", subject, rng, pl.col("AESER") == "N")
    ex.set("ae", row["_i"], AESLIFE="Y")
    return [("XF-AE-SERIOUSNESS", "ae", "AESER", "N")]


CLINICAL = (
    Clinical("XF-AE-SERIOUSNESS", _f("ae:criteria"), _f(), lambda ex: ex.subjects("ae", pl.col("AESER") == "N"),
             _not_serious_but_life_threatening, "adverse event recorded not serious, but life-threatening"),
)
