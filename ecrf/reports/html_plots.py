"""The charts of the HTML review report, drawn with matplotlib as SVG and embedded as data URIs, so the
report needs no network and no script to show them, and no text from the export can act as markup."""

from __future__ import annotations

import base64
import io

from ecrf.writer import terminal

MAX_BARS = 30  # a chart shows the categories with most findings; the table below lists them all
LABEL = 40     # characters of a category label before it is cut
STATUS_COLOURS = {"new": "#d62728", "open": "#ff7f0e", "reopened": "#9467bd", "accepted": "#7f7f7f",
                  "resolved": "#2ca02c"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display: render to SVG only
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "text.parse_math": False, "font.size": 9,
                         "svg.hashsalt": "ecrf"})
    return plt


def _label(v) -> str:
    text = terminal(str(v)) if v is not None else "(none)"
    return text if len(text) <= LABEL else text[: LABEL - 1] + "…"


def _uri(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def bars(title: str, counts: list[tuple[str, int]]) -> str | None:
    """A horizontal bar chart of (category, findings), most first; None when there is nothing to draw."""
    if not counts:
        return None
    plt = _pyplot()
    shown = counts[:MAX_BARS]
    if len(counts) > MAX_BARS:
        title += f" (top {MAX_BARS} of {len(counts)})"
    fig, ax = plt.subplots(figsize=(6.5, 0.8 + 0.24 * len(shown)))
    try:
        labels = [_label(k) for k, _ in shown][::-1]
        values = [n for _, n in shown][::-1]
        ax.barh(range(len(shown)), values, color="#4c72b0")
        ax.set_yticks(range(len(shown)), labels)
        ax.set_title(title, loc="left")
        ax.set_xlabel("findings")
        ax.xaxis.get_major_locator().set_params(integer=True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        return _uri(fig)
    finally:
        plt.close(fig)


def history(runs: list[dict]) -> str | None:
    """Findings per status over the ledger's runs (oldest first); None without a ledger."""
    if not runs:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 3.0))
    try:
        x = list(range(1, len(runs) + 1))
        for status, colour in STATUS_COLOURS.items():
            ax.plot(x, [r.get(status, 0) for r in runs], marker="o", color=colour, label=status)
        ax.set_xticks(x, [_label(str(r.get("time", ""))[:16].replace("T", " ")) for r in runs],
                      rotation=30, ha="right")
        ax.set_title("Findings by status over the ledger's runs", loc="left", pad=22)
        ax.set_ylabel("findings")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.legend(frameon=False, ncol=5, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0))
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        return _uri(fig)
    finally:
        plt.close(fig)
