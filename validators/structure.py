"""Structure checks: forms and columns present in the export versus the schema."""

from __future__ import annotations

from ecrf import findings as F
from ecrf.registry import check


@check("STRUCT-UNKNOWN-FORM", "File is not a form of the eCRF", "structure", "warning", (),
       "A CSV file whose name matches no form of the schema; its rows are counted but not checked.")
def unknown_form(ctx):
    # a reader that reported an unknown part itself (its Problem names it) is not reported twice
    told = {p.ref for p in ctx.export.problems}
    files = {n: c for n, c in ctx.export.unknown_files.items() if n not in told}
    if not files:
        return {}
    names = ", ".join(f"{d}.csv" for d in ctx.model.forms)
    return {None: F.raw(_idx=[None] * len(files), field=None, value=list(files), expected=f"one of {names}",
                        message=[f"{n} rows not checked: no form is named {name.rsplit('.', 1)[0]}"
                                 for name, n in files.items()],
                        source_file=list(files))}


@check("STRUCT-MISSING-FORM", "Form missing from the export", "structure", "error", (),
       "A form whose file every delivery carries has none: a form every subject has (schema annotation "
       "required_form or export_required), or a log form once the forms named by its export_required_after "
       "annotation have records (the adverse events once a subject is dosed).")
def missing_form(ctx):
    missing = []
    for f in ctx.model.forms.values():
        if f.domain in ctx.tables:
            continue
        if f.export_required:
            missing.append((f, "every subject has records in it"))
            continue
        why = [d for d in f.export_required_after if (t := ctx.tables.get(d)) is not None and t.n_rows]
        if why:
            names = ", ".join(f"{d}.csv" for d in why)
            missing.append((f, f"required once {names} {'has' if len(why) == 1 else 'have'} records"))
    if not missing:
        return {}
    return {None: F.raw(_idx=[None] * len(missing), field=None, value=None,
                        expected=[f"{f.domain}.csv" for f, _ in missing],
                        message=[f"no file for the {f.name} form ({f.domain}.csv): {why}; the delivery has lost "
                                 "the form" for f, why in missing],
                        source_file=[f"{f.domain}.csv" for f, _ in missing])}


@check("STRUCT-ABSENT-FORM", "Form not in the export", "structure", "warning", (),
       "A form of the schema has no file in the export and no annotation makes it required: a log form with no "
       "records may legitimately be left out, but its absence is never silent (export it with its header only "
       "to show it is empty).")
def absent_form(ctx):
    required = {d for d, f in ctx.model.forms.items() if f.export_required or any(
        (t := ctx.tables.get(a)) is not None and t.n_rows for a in f.export_required_after)}
    absent = [f for d, f in ctx.model.forms.items() if d not in ctx.tables and d not in required]
    if not absent:
        return {}
    return {None: F.raw(_idx=[None] * len(absent), field=None, value=None,
                        expected=[f"{f.domain}.csv (its header only if it has no records)" for f in absent],
                        message=[f"no file for the {f.name} form ({f.domain}.csv): none of its records was "
                                 "checked" for f in absent],
                        source_file=[f"{f.domain}.csv" for f in absent])}


@check("STRUCT-EMPTY-FORM", "Required form has no records", "structure", "error", (),
       "A form every subject has (schema annotation required_form) is exported with a header and no rows.")
def empty_form(ctx):
    out = {}
    for d, t in ctx.tables.items():
        if t.form.required_form and t.n_rows == 0:
            out[d] = F.raw(_idx=[None], field=None, value="0 rows", expected="at least one record per subject",
                           message=f"{t.path.name} has a header and no records", source_file=t.path.name)
    return out


@check("STRUCT-UNKNOWN-COLUMN", "Column not in the form", "structure", "warning", (),
       "A column the schema does not define for the form; its values are not checked.")
def unknown_column(ctx):
    return _column_findings(ctx, "unknown_columns", "not an item of the {form} form; its values are not checked",
                            lambda f: "an item of " + f.name)


@check("STRUCT-MISSING-COLUMN", "Optional column missing", "structure", "warning", (),
       "An optional item of the form has no column in the file (a missing required column is an input error).")
def missing_column(ctx):
    return _column_findings(ctx, "missing_columns", "optional item of the {form} form has no column",
                            lambda f: "a column in the file")


def _column_findings(ctx, attr, template, expected):
    out = {}
    for d, t in ctx.tables.items():
        cols = list(getattr(t, attr))
        if cols:
            titles = {i.name: i.title for i in t.form.items}
            out[d] = F.raw(_idx=[None] * len(cols), field=[titles.get(c, c) for c in cols], value=None, expected=expected(t.form),
                           message=template.format(form=t.form.name), source_file=t.path.name)
    return out

