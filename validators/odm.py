"""Checks on what the ODM reader met: OIDs that are not in the study build, key items that contradict the tree."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecrf import findings as F
from ecrf.registry import Findings, check

if TYPE_CHECKING:
    from ecrf.engine import Context


@check("ODM-UNKNOWN-OID", "OID not in the study build", "structure", "warning", (),
       "An ODM export names an ItemGroupOID or ItemOID that the study build (`ecrf generate odm`) does not "
       "define (its values are counted and not checked), or a SiteRef LocationOID that no Location of the "
       "file's AdminData declares.", reference="docs/odm.md (OID convention)")
def unknown_oid(ctx: Context) -> Findings:
    return F.from_problems(ctx.export.problems, "ODM-UNKNOWN-OID")


@check("ODM-KEY-MISMATCH", "ODM key item contradicts its place in the tree", "structure", "error", (),
       "An ItemData of a key item disagrees with where its record sits in the ODM tree: SUBJID with the "
       "SubjectKey, SITEID with the SiteRef LocationOID (LOC.<SITEID>), VISIT with the StudyEventOID (a planned "
       "visit SE.<VISIT>, or a planned visit code inside the unscheduled SE.UNS). The ItemData is checked; the "
       "finding names both so that the EDC record can be corrected.", reference="docs/odm.md (reading the export)")
def key_mismatch(ctx: Context) -> Findings:
    return F.from_problems(ctx.export.problems, "ODM-KEY-MISMATCH")
