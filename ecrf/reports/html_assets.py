"""The style and the script inlined in every HTML review report (no CDN: the file works offline).

The script only sorts and hides table rows and reads cell text through `textContent`; it never turns text
into markup. `#q=TEXT` in the address pre-fills the filter, so a link can point at one subject's findings, and
`#sort=Column` (`#sort=-Column`: descending) sorts the table as a click on the column heading does.
"""

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}
.meta{color:#555}.tiles{display:flex;flex-wrap:wrap;gap:.6em;margin:.8em 0}
.tile{border:1px solid #ccd;border-radius:6px;padding:.4em .8em;min-width:7em}
.tile b{display:block;font-size:1.4em}.plots{display:flex;flex-wrap:wrap;gap:1em}
.plots img{max-width:100%;border:1px solid #eee}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#eef1f6;position:sticky;top:0}th.sortable{cursor:pointer}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
td.msg{min-width:20em}.sev-error,.sev-important{color:#b00020;font-weight:600}
.sev-warning,.sev-non-important{color:#8a5a00}.controls{display:flex;flex-wrap:wrap;gap:.5em;margin:.6em 0}
details{margin:.2em 0}summary{cursor:pointer}.subject ul{margin:.2em 0 .6em}
.audit td:first-child{font-weight:600;white-space:nowrap}code{word-break:break-all}
"""

JS = """
(function () {
  var table = document.getElementById('findings');
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var text = document.getElementById('filter');
  var selects = Array.prototype.slice.call(document.querySelectorAll('select[data-col]'));
  var shown = document.getElementById('shown');
  function cellText(row, col) { return row.cells[col].textContent; }
  function apply() {
    var q = text.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (row) {
      var ok = !q || row.textContent.toLowerCase().indexOf(q) >= 0;
      selects.forEach(function (s) {
        if (ok && s.value !== '') { ok = cellText(row, +s.dataset.col) === s.value; }
      });
      row.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = String(n);
  }
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  function sortBy(col, asc) {
    heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
    heads[col].setAttribute('aria-sort', asc ? 'ascending' : 'descending');
    var numeric = heads[col].dataset.type === 'number';
    rows.sort(function (a, b) {
      var x = cellText(a, col), y = cellText(b, col);
      var r = numeric ? (parseFloat(x) || 0) - (parseFloat(y) || 0)
                      : x.localeCompare(y, undefined, {numeric: true});
      return asc ? r : -r;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  heads.forEach(function (th, col) {
    th.classList.add('sortable');
    th.addEventListener('click', function () { sortBy(col, th.getAttribute('aria-sort') !== 'ascending'); });
  });
  text.addEventListener('input', apply);
  selects.forEach(function (s) { s.addEventListener('change', apply); });
  function fromHash() {
    var m = /[#&]q=([^&]*)/.exec(location.hash);
    if (m) { text.value = decodeURIComponent(m[1].replace(/\\+/g, ' ')); }
    var o = /[#&]sort=(-?)([^&]*)/.exec(location.hash);
    if (o) {
      var name = decodeURIComponent(o[2]);
      heads.forEach(function (h, col) { if (h.textContent === name) { sortBy(col, o[1] !== '-'); } });
    }
    apply();
  }
  window.addEventListener('hashchange', fromHash);
  fromHash();
  document.body.dataset.ready = '1';
})();
"""
