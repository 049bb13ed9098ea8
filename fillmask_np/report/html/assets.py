"""The page's inline style sheet, its one small script and its Content-Security-Policy: nothing is fetched.

The script only records errors: ``console.error`` calls, uncaught errors and Content-Security-Policy
violations (a blocked fetch) are appended to ``#console-errors`` (hidden), so a test that loads the page in
a browser can assert that node empty; then it marks ``<html data-ready="1">``. Tooltips are pure CSS
(``:hover`` and ``:focus`` on a token, which is focusable with ``tabindex``).
"""

from __future__ import annotations

__all__ = ["CSP", "SCRIPT", "STYLE"]

# no network at all: inline style and script only, images only as data: URIs
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

STYLE = """
:root { --ink: #1d2330; --muted: #5b6474; --line: #d9dde5; --bg: #ffffff; --panel: #f6f7f9; --accent: #2f5bd3; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       background: var(--bg); }
header.top { padding: 18px 28px 10px; border-bottom: 1px solid var(--line); }
header.top h1 { margin: 0 0 4px; font-size: 21px; }
header.top p { margin: 0; color: var(--muted); }
main { padding: 8px 28px 40px; max-width: 1240px; }
section { margin-top: 22px; }
h2 { font-size: 17px; margin: 0 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 14px 0 6px; }
p.note { color: var(--muted); margin: 6px 0; }
table.kv, table.grid { border-collapse: collapse; font-size: 13px; margin-bottom: 10px; }
table.kv th, table.kv td, table.grid th, table.grid td { border-bottom: 1px solid var(--line); padding: 3px 10px 3px 0;
       text-align: left; vertical-align: top; }
table.kv th { color: var(--muted); font-weight: 500; white-space: nowrap; }
table.grid th { color: var(--muted); font-weight: 600; }
td.num, .num { font-variant-numeric: tabular-nums; text-align: right; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px;
       word-break: break-all; }
.metrics { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 8px; }
.metric { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 7px 10px; }
.metric .name { color: var(--muted); font-size: 12px; }
.metric .value { font-size: 19px; font-variant-numeric: tabular-nums; }
.metric .count { color: var(--muted); font-size: 11px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 14px; }
figure.chart-box { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; background: #fff; }
figure.chart-box figcaption { font-weight: 600; font-size: 13px; }
figure.chart-box figcaption span { display: block; font-weight: 400; color: var(--muted); font-size: 12px; }
svg.chart { width: 100%; height: auto; display: block; }
svg text { font: 10px system-ui, sans-serif; fill: #3a4252; }
svg .bar { fill: #4a78d0; } svg .bar:hover { fill: #23489c; } svg .bar2 { fill: #9ab2e6; }
svg .axis { stroke: #8a93a3; stroke-width: 1; } svg .grid { stroke: #eceef2; stroke-width: 1; }
svg .series { fill: none; stroke: #c2410c; stroke-width: 2; } svg .dot { fill: #c2410c; }
svg .ideal { stroke: #6b7280; stroke-dasharray: 4 3; }
.verdict { display: inline-block; font-weight: 700; padding: 3px 12px; border-radius: 4px; color: #fff; }
.verdict-PASS { background: #15803d; } .verdict-AT_RISK { background: #b45309; }
.verdict-REGRESSION { background: #b91c1c; }
.status-PASS { color: #15803d; } .status-AT_RISK { color: #b45309; } .status-REGRESSION { color: #b91c1c; }
.sample { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; margin: 8px 0; }
.sample .meta { color: var(--muted); font-size: 12px; }
.sample-text { white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.9; margin: 4px 0; }
.tok { position: relative; border-radius: 3px; padding: 1px 1px; cursor: help; outline-offset: 1px; }
.tok:focus { outline: 2px solid var(--accent); }
.tok .tip { display: none; position: absolute; left: 0; top: 1.7em; z-index: 20; min-width: 230px;
       background: #fff; color: var(--ink); border: 1px solid #aab1bf; border-radius: 5px; padding: 6px 8px;
       box-shadow: 0 3px 10px rgba(0,0,0,.18); font-size: 12px; line-height: 1.35; white-space: normal; }
.tok:hover > .tip, .tok:focus > .tip, .tok.open > .tip { display: block; }
.tip .t5 { display: block; margin-top: 3px; } .tip .r { display: flex; justify-content: space-between; gap: 12px; }
.tip .r.hit { font-weight: 700; }
.cut { color: var(--muted); font-style: italic; }
.legend { max-width: 420px; }
details { margin-top: 8px; } pre.json { background: var(--panel); padding: 8px; overflow-x: auto; font-size: 12px; }
#console-errors { display: none; }
"""

SCRIPT = """
(function () {
  var box = document.getElementById("console-errors");
  function note(text) { box.appendChild(document.createTextNode(String(text) + "\\n")); }
  var original = console.error;
  console.error = function () {
    note(Array.prototype.map.call(arguments, String).join(" "));
    return original.apply(console, arguments);
  };
  window.addEventListener("error", function (e) { note("error: " + e.message); });
  document.addEventListener("securitypolicyviolation", function (e) { note("blocked: " + e.blockedURI); });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && document.activeElement && document.activeElement.blur) { document.activeElement.blur(); }
  });
  window.addEventListener("load", function () { document.documentElement.setAttribute("data-ready", "1"); });
})();
"""
