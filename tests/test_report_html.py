"""The HTML review report: self-contained, escaped, and rendered by headless Chromium without console errors."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from report_helpers import example, json_report

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed; .ci/run installs it")


class Tags(HTMLParser):
    """Every start tag with its attributes, to see what the browser would load or run."""

    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _html(cli, export, out, *extra):
    res = cli("validate", export, "--format", "html", "-o", out, *extra)
    assert res.exit_code == 1, res.output
    return out.read_text(encoding="utf-8")


def _chromium(tmp_path, url, *args):
    """Run headless Chromium on `url`; return its stdout and the console messages it logged."""
    proc = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                           "--v=0", f"--user-data-dir={tmp_path / 'chromium-profile'}", *args, url],
                          capture_output=True, text=True, timeout=180)
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return proc.stdout, console


def test_self_contained_with_every_part(cli, tmp_path):
    export = example(cli, tmp_path / "e")
    doc = json_report(cli, export, tmp_path)
    page = _html(cli, export, tmp_path / "r.html")
    tags = Tags()
    tags.feed(page)
    # nothing is fetched at view time: no external script, style, image or frame
    for tag, attrs in tags.tags:
        for key in ("src", "href"):
            v = attrs.get(key)
            assert v is None or v.startswith(("data:", "#")), (tag, attrs)
    assert not any(t == "link" for t, _ in tags.tags)
    imgs = [a["src"] for t, a in tags.tags if t == "img"]
    assert len(imgs) == 4 and all(s.startswith("data:image/svg+xml;base64,") for s in imgs)  # check/form/site/subject
    rows = re.findall(r"<tr><td", page.split('id="findings"')[1].split("</table>")[0])
    assert len(rows) == len(doc["findings"])
    for f in doc["findings"]:
        assert f"<td>{f['check_id']}</td>" in page
    subjects = {f["subject"] for f in doc["findings"] if f["subject"]}
    assert all(f'<details class="subject"><summary>{s} ' in page for s in subjects)
    assert doc["audit"]["schema"]["sha256"] in page
    assert len(page.encode()) < 5 * 1024 * 1024


def test_text_from_the_export_is_escaped(cli, tmp_path):
    export = example(cli, tmp_path / "e", cm_date=HOSTILE)
    page = _html(cli, export, tmp_path / "r.html")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<script>alert" not in page and "<img src=x" not in page
    tags = Tags()
    tags.feed(page)
    assert [t for t, _ in tags.tags].count("script") == 1  # the report's own script only
    assert not any(k.startswith("on") for _, a in tags.tags for k in a)


def test_ledger_adds_status_and_the_runs_chart(cli, tmp_path):
    export = example(cli, tmp_path / "e")
    ledger = tmp_path / "study.ledger"
    json_report(cli, export, tmp_path, "--ledger", ledger)
    fixed = example(cli, tmp_path / "e2", cm_date="2024-12")
    page = _html(cli, fixed, tmp_path / "r.html", "--ledger", ledger)
    assert page.count('<img alt="chart"') == 5
    assert ">resolved</td>" in page and ">open</td>" in page
    assert '<option value="resolved">' in page


@needs_chromium
def test_console_capture_sees_errors(tmp_path):
    """The console capture the render test relies on does report a failing script."""
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>undefinedFunction();</script></body></html>", encoding="utf-8")
    _, console = _chromium(tmp_path, page.as_uri(), "--dump-dom")
    assert any("undefinedFunction" in line for line in console)


@needs_chromium
def test_renders_in_chromium_and_filters(cli, tmp_path):
    export = example(cli, tmp_path / "e", cm_date=HOSTILE)
    doc = json_report(cli, export, tmp_path)
    out = tmp_path / "r.html"
    _html(cli, export, out)
    shot = tmp_path / "report.png"
    _, console = _chromium(tmp_path, out.as_uri(), f"--screenshot={shot}", "--window-size=1280,2400")
    assert console == []
    assert shot.stat().st_size > 10_000  # kept under tmp_path for a look
    dom, console = _chromium(tmp_path, out.as_uri(), "--dump-dom")
    assert console == []
    assert 'data-ready="1"' in dom  # the script ran to the end
    assert f'<b id="shown">{len(doc["findings"])}</b>' in dom
    # a filter in the address (#q=...) hides every other row
    subject = doc["findings"][0]["subject"]
    dom, console = _chromium(tmp_path, out.as_uri() + "#q=" + quote(subject), "--dump-dom")
    assert console == []
    n = sum(1 for f in doc["findings"] if subject in " ".join(str(v) for v in f.values() if v is not None))
    assert f'<b id="shown">{n}</b>' in dom
    assert 0 < n < len(doc["findings"])
    body = dom.split('id="findings"')[1].split("</table>")[0]
    visible = re.findall(r"<tr>(.*?)</tr>", body)[1:]  # after the header row
    assert all(subject in row for row in visible) and len(visible) == n


def test_clean_export(cli, tmp_path):
    clean = tmp_path / "clean"
    assert cli("example", clean, "--subjects", 3, "--clean").exit_code == 0
    res = cli("validate", clean, "--format", "html", "-o", tmp_path / "r.html")
    assert res.exit_code == 0, res.output
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "No findings: nothing to chart." in page and '<b id="shown">0</b>' in page


@needs_chromium
def test_sorts_in_chromium(cli, tmp_path):
    export = example(cli, tmp_path / "e")
    out = tmp_path / "r.html"
    _html(cli, export, out)
    page = out.read_text(encoding="utf-8")
    head = re.findall(r"<th[^>]*>(.*?)</th>", page.split('id="findings"')[1])
    col = head.index("Subject")

    def subjects(dom):
        body = dom.split('id="findings"')[1].split("</table>")[0]
        return [re.findall(r"<td[^>]*>(.*?)</td>", r)[col] for r in re.findall(r"<tr>(.*?)</tr>", body)[1:]]

    original = subjects(page)
    dom, console = _chromium(tmp_path, out.as_uri() + "#sort=Subject", "--dump-dom")
    assert console == [] and 'aria-sort="ascending"' in dom
    assert subjects(dom) == sorted(original) != original
    dom, console = _chromium(tmp_path, out.as_uri() + "#sort=-Subject", "--dump-dom")
    assert console == [] and subjects(dom) == sorted(original, reverse=True)
