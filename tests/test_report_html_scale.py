"""The HTML review report used as a person uses it (clicking a column heading, choosing a filter, typing) in headless
Chromium, and its size bounded however many findings a run has."""

from __future__ import annotations

import html
import json
import re
import time

import polars as pl
import pytest
from report_helpers import example, json_report
from test_report_html import _chromium, _html, needs_chromium

from ecrf.audit import Run
from ecrf.engine import validate
from ecrf.example import write_example
from ecrf.model import load_model
from ecrf.readers import read_export
from ecrf.reports.html import MAX_TABLE_ROWS, to_html

# Runs after the report's own script: clicks and choices as DOM events, the rows seen after each step written
# into the page, which Chromium then dumps.
DRIVER = """<script>
(function () {
  function heads() { return Array.prototype.slice.call(document.querySelectorAll('#findings thead th')); }
  function col(name) { return heads().map(function (h) { return h.textContent; }).indexOf(name); }
  function seen(name) {
    var c = col(name);
    return Array.prototype.slice.call(document.querySelectorAll('#findings tbody tr'))
      .filter(function (r) { return !r.hidden; }).map(function (r) { return r.cells[c].textContent; });
  }
  var out = {before: seen('Subject')};
  var th = heads()[col('Subject')];
  th.click();
  out.clicked_once = seen('Subject');
  out.aria_once = th.getAttribute('aria-sort');
  th.click();
  out.clicked_twice = seen('Subject');
  out.aria_twice = th.getAttribute('aria-sort');
  var select = document.querySelector('select[data-col="' + col('Severity') + '"]');
  select.value = 'warning';
  select.dispatchEvent(new Event('change'));
  out.warnings = seen('Severity');
  out.shown_warnings = document.getElementById('shown').textContent;
  select.value = '';
  select.dispatchEvent(new Event('change'));
  out.all_again = seen('Severity').length;
  var box = document.getElementById('filter');
  box.value = '__SUBJECT__';
  box.dispatchEvent(new Event('input'));
  out.typed = seen('Subject');
  var pre = document.createElement('pre');
  pre.id = 'driver-result';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""


@needs_chromium
def test_click_select_and_type_change_the_rows(cli, tmp_path):
    export = example(cli, tmp_path / "e")
    doc = json_report(cli, export, tmp_path)
    page = _html(cli, export, tmp_path / "r.html")
    subject = next(f["subject"] for f in doc["findings"] if f["subject"])
    driven = tmp_path / "driven.html"
    driven.write_text(page.replace("</body>", DRIVER.replace("__SUBJECT__", subject) + "</body>"), encoding="utf-8")
    dom, console = _chromium(tmp_path, driven.as_uri(), "--dump-dom")
    assert console == []
    got = json.loads(html.unescape(re.search(r'<pre id="driver-result">(.*?)</pre>', dom, re.S).group(1)))
    n = len(doc["findings"])
    assert len(got["before"]) == n
    # one click sorts ascending, a second descending: the rows move
    assert got["aria_once"] == "ascending" and got["clicked_once"] == sorted(got["before"]) != got["before"]
    assert got["aria_twice"] == "descending" and got["clicked_twice"] == sorted(got["before"], reverse=True)
    # choosing a severity shows its rows only; choosing "all" brings every row back
    warnings = sum(1 for f in doc["findings"] if f["severity"] == "warning")
    assert 0 < warnings < n
    assert got["warnings"] == ["warning"] * warnings and got["shown_warnings"] == str(warnings)
    assert got["all_again"] == n
    # typing in the filter box keeps the rows that hold the text
    assert got["typed"] and all(s == subject for s in got["typed"] if s) and len(got["typed"]) < n


def _many_findings(tmp_path, n: int) -> Run:
    """A real run of the bundled example with its findings repeated to `n`, each copy for a subject of its own."""
    m = load_model()
    write_example(tmp_path / "e")
    result = validate(m, read_export(tmp_path / "e", m))
    f = result.findings
    reps = -(-n // f.height)
    big = pl.concat([f.with_columns(pl.format("{}-{}", pl.col("subject"), pl.lit(k)).alias("subject"),
                                    pl.format("{}{}", pl.col("fingerprint"), pl.lit(k)).alias("fingerprint"))
                     for k in range(reps)]).head(n)
    result.findings = big
    return Run(source=tmp_path / "e", result=result, options={"format": "html"})


def test_html_size_is_bounded_at_100000_findings(tmp_path):
    run = _many_findings(tmp_path, 100_000)
    t = time.perf_counter()
    page = to_html(run)
    seconds = time.perf_counter() - t
    size = len(page.encode("utf-8"))
    rows = re.findall(r"<tr><td", page.split('id="findings"')[1].split("</table>")[0])
    assert len(rows) == MAX_TABLE_ROWS
    assert f"first {MAX_TABLE_ROWS:,} of 100,000 findings" in page
    assert "Findings<b>100000</b>" in page  # the summary counts every finding
    assert size < 12 * 1024**2, size
    assert seconds < 120, seconds  # generous: a shared machine; docs/performance.md has the measured figure


@pytest.mark.parametrize("n", [10, MAX_TABLE_ROWS])
def test_html_lists_every_finding_up_to_the_bound(tmp_path, n):
    page = to_html(_many_findings(tmp_path, n))
    rows = re.findall(r"<tr><td", page.split('id="findings"')[1].split("</table>")[0])
    assert len(rows) == n and 'id="truncated"' not in page


@needs_chromium
def test_bounded_report_renders_in_chromium(tmp_path):
    out = tmp_path / "big.html"
    out.write_text(to_html(_many_findings(tmp_path, 20_000)), encoding="utf-8")
    dom, console = _chromium(tmp_path, out.as_uri(), "--dump-dom")
    assert console == [] and 'data-ready="1"' in dom
    assert f'<b id="shown">{MAX_TABLE_ROWS}</b>' in dom
