"""Generators: artifacts derived from the schema for EDC vendors and data managers."""

from __future__ import annotations


# REDCap project files: the data dictionary and the longitudinal set-up, each its own CSV.
REDCAP = {"redcap": "render", "redcap-arms": "render_arms", "redcap-events": "render_events",
          "redcap-mapping": "render_mapping", "redcap-repeating": "render_repeating"}


def build(artifact: str, model=None, sites=()) -> str:
    """The artifact rendered from `model` (default: the default study); `sites` [(SITEID, name)] go into the
    ODM study build as AdminData Locations."""
    from ecrf.model import load_model

    model = model or load_model()
    if artifact == "jsonschema":
        from ecrf.generators.jsonschema import render
    elif artifact == "pandera":
        from ecrf.generators.pandera_module import render
    elif artifact == "docs":
        from ecrf.generators.dictionary import render
    elif artifact == "odm":
        from ecrf.generators.odm import render as odm

        return odm(model, sites)
    elif artifact == "assumptions":
        from ecrf.generators.assumptions import render
    elif artifact in REDCAP:
        from ecrf.generators import redcap

        return getattr(redcap, REDCAP[artifact])(model)
    else:
        raise ValueError(artifact)
    if sites:
        raise ValueError("sites go into the ODM study build only (ecrf generate odm --site 01)")
    return render(model)
