"""Tables as text: a grid that fits the terminal width, and CSV with formula cells defused."""

from __future__ import annotations

import io
import textwrap

import polars as pl

from ecrf.writer import cell, terminal

GAP = "  "
MIN_COL = 6  # no column is squeezed below this many characters


def defuse(df: pl.DataFrame) -> pl.DataFrame:
    """Every text cell made safe for a spreadsheet (formula-leading text gets an apostrophe)."""
    return df.with_columns(pl.col(c).map_elements(cell, return_dtype=pl.Utf8)
                           for c, t in df.schema.items() if t == pl.Utf8)


def csv_text(df: pl.DataFrame) -> str:
    buf = io.StringIO()
    defuse(df).write_csv(buf)
    return buf.getvalue()


def _text(v) -> str:
    return terminal(v if isinstance(v, str) or v is None else str(v))


def _water(widths: list[int], room: int) -> list[int]:
    """Cap the widest columns at one common width so they fit `room` (never below MIN_COL)."""
    cap = max(widths, default=0)
    while cap > MIN_COL and sum(min(w, cap) for w in widths) > room:
        cap -= 1
    return [min(w, cap) for w in widths]


def fit(widths: list[int], width: int | None, gap: int = len(GAP), keep: set[int] = frozenset()) -> list[int]:
    """Column widths that fit `width` characters: the other columns shrink first (water-filling), the columns
    in `keep` (ids such as the check or the subject) only when the others are at their minimum. None or
    enough room keeps the natural widths."""
    if width is None or sum(widths) + gap * (len(widths) - 1) <= width:
        return widths
    room = width - gap * (len(widths) - 1)
    free = [i for i in range(len(widths)) if i not in keep]
    fixed = sum(widths[i] for i in keep)
    out = dict(zip(free, _water([widths[i] for i in free], room - fixed)))
    kept = sorted(keep)
    out |= dict(zip(kept, _water([widths[i] for i in kept], room - sum(out.values()))))
    return [out[i] for i in range(len(widths))]


INLINE_MIN = 30  # a wrapped column narrower than this goes on its own lines under the row instead


def grid(rows, width: int | None = None, wrap: str | None = None, header: bool = True,
         paint=None, caps: dict[str, int] | None = None, indent: str = "", keep: tuple[str, ...] = ()) -> list[str]:
    """Rows (a DataFrame or a list of tuples, the first the header) as aligned text lines, control characters
    escaped. With `width`, the table fits: the `wrap` column wraps in place, or, when the other columns leave
    it less than INLINE_MIN characters, goes on indented lines under its row; the other columns shrink (those
    in `keep` last) and are cut with an ellipsis (the full text is in the JSON and CSV reports). `caps` bounds
    a column's width whatever the room; `paint(column, padded_cell)` may colour body cells."""
    if isinstance(rows, pl.DataFrame):
        rows = [tuple(rows.columns), *rows.iter_rows()]
    rows = [tuple(_text(c) for c in r) for r in rows]
    if not rows:
        return []
    names = list(rows[0])
    caps = caps or {}
    natural = [min(max(len(r[i]) for r in rows), max(caps.get(n, 1 << 30), len(n))) for i, n in enumerate(names)]
    room = None if width is None else max(width - len(indent), 1)
    wi = names.index(wrap) if wrap in names else None
    tails = [None] * len(rows)
    if room is not None and wi is not None and sum(natural) + len(GAP) * (len(names) - 1) > room:
        others = sum(w for i, w in enumerate(natural) if i != wi) + len(GAP) * (len(names) - 1)
        if room - others < min(INLINE_MIN, natural[wi]):  # too narrow to wrap in place: under the row
            tails = [r[wi] for r in rows]
            names, natural = names[:wi] + names[wi + 1:], natural[:wi] + natural[wi + 1:]
            rows = [r[:wi] + r[wi + 1:] for r in rows]
            wi = None
    kept = {i for i, n in enumerate(names) if n in keep}
    widths = _fit_wrap(natural, room, wi, kept)
    out = []
    for k, r in enumerate(rows):
        cells = [c if len(c) <= w else c[: max(w - 1, 0)] + "…" for c, w in zip(r, widths)]
        extra = []
        if wi is not None and k > 0 and len(r[wi]) > widths[wi]:
            parts = textwrap.wrap(r[wi], widths[wi], break_long_words=True, break_on_hyphens=False) or [""]
            cells[wi], extra = parts[0], parts[1:]
        padded = [c.ljust(w) for c, w in zip(cells, widths)]
        if paint and k > 0:
            padded = [paint(n, c) for n, c in zip(names, padded)]
        out.append((indent + GAP.join(padded)).rstrip())
        for part in extra:
            out.append((indent + GAP.join((part if i == wi else "").ljust(w) for i, w in enumerate(widths))).rstrip())
        if k > 0 and tails[k]:
            out += [indent + "    " + x for x in textwrap.wrap(tails[k], max(room - 4, 10), break_long_words=True,
                                                                break_on_hyphens=False)]
        if k == 0 and header:
            out.append(indent + GAP.join("-" * w for w in widths))
    return out


def _fit_wrap(natural: list[int], room: int | None, wi: int | None, kept: set[int]) -> list[int]:
    """Widths for a table whose `wi` column wraps: the other columns keep their width when they can, and the
    wrapped column takes the rest."""
    if room is None or wi is None or sum(natural) + len(GAP) * (len(natural) - 1) <= room:
        return fit(natural, room, keep=kept)
    others = [w for i, w in enumerate(natural) if i != wi]
    kept_others = {i - (i > wi) for i in kept if i != wi} | {len(others)}
    rest = fit(others + [min(natural[wi], INLINE_MIN)], room, keep=kept_others)
    widths = rest[:-1]
    left = room - sum(widths) - len(GAP) * (len(natural) - 1)
    widths.insert(wi, max(min(natural[wi], left), MIN_COL))
    return widths
