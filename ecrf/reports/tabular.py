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


def fit(widths: list[int], width: int | None, gap: int = len(GAP)) -> list[int]:
    """Column widths that fit `width` characters: the widest columns are capped at one common width, the
    narrow ones keep theirs (water-filling); None or enough room keeps the natural widths."""
    total = sum(widths) + gap * (len(widths) - 1)
    if width is None or total <= width:
        return widths
    room = width - gap * (len(widths) - 1)
    cap = max(widths)
    while cap > MIN_COL and sum(min(w, cap) for w in widths) > room:
        cap -= 1
    return [min(w, cap) for w in widths]


def grid(rows, width: int | None = None, wrap: str | None = None, header: bool = True) -> list[str]:
    """Rows (a DataFrame or a list of tuples, the first the header) as aligned text lines, control characters
    escaped. With `width`, the widest columns shrink to fit: the `wrap` column continues on the next lines,
    the others are cut with an ellipsis (the full text is in the JSON and CSV reports)."""
    if isinstance(rows, pl.DataFrame):
        rows = [tuple(rows.columns), *rows.iter_rows()]
    rows = [tuple(_text(c) for c in r) for r in rows]
    if not rows:
        return []
    names = rows[0]
    widths = fit([max(len(r[i]) for r in rows) for i in range(len(names))], width)
    wi = names.index(wrap) if wrap in names else None
    out = []
    for k, r in enumerate(rows):
        cells = [c if len(c) <= w else c[: max(w - 1, 0)] + "…" for c, w in zip(r, widths)]
        extra = []
        if wi is not None and k > 0 and len(r[wi]) > widths[wi]:
            parts = textwrap.wrap(r[wi], widths[wi], break_long_words=True, break_on_hyphens=False) or [""]
            cells[wi], extra = parts[0], parts[1:]
        out.append(GAP.join(c.ljust(w) for c, w in zip(cells, widths)).rstrip())
        for part in extra:
            out.append(GAP.join((part if i == wi else "").ljust(w) for i, w in enumerate(widths)).rstrip())
        if k == 0 and header:
            out.append(GAP.join("-" * w for w in widths))
    return out
