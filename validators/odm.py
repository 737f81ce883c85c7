"""Checks on what the ODM reader met: OIDs that are not in the study build."""

from __future__ import annotations

from ecrf import findings as F
from ecrf.registry import check


@check("ODM-UNKNOWN-OID", "OID not in the study build", "structure", "warning", (),
       "An ODM export names an ItemGroupOID or ItemOID that the study build (`ecrf generate odm`) does not "
       "define; its values are counted and not checked.", reference="docs/odm.md (OID convention)")
def unknown_oid(ctx):
    return F.from_problems(ctx.export.problems, "ODM-UNKNOWN-OID")
