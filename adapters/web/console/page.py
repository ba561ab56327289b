"""The console's page frame and tables (escaped HTML; wide tables scroll inside their box, never the page)."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from bot.figures import Table

PAGES = [("overview", "/console", "Overview"), ("questions", "/console/questions", "Questions"), ("gaps", "/console/gaps", "Gaps"),
         ("quizzes", "/console/quizzes", "Quizzes"), ("reports", "/console/reports", "Reports")]

STYLE = """
:root { color-scheme: light dark; --bg: #f6f7f9; --fg: #1d1d1f; --muted: #5b6270; --card: #fff; --line: #d5dae2; --accent: #2d5bd7;
  --allowed: #1e7b34; --not_allowed: #b3261e; --conditional: #b07800; --info: #2d5bd7; --unknown: #7a808c; }
@media (prefers-color-scheme: dark) { :root { --bg: #15171b; --fg: #e8eaee; --muted: #a3aab6; --card: #1f2228; --line: #3a3f49;
  --accent: #6f95ff; --allowed: #7fd68f; --not_allowed: #ff9b92; --conditional: #ffd36b; --info: #9db7ff; --unknown: #c5cad3; } }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 0 12px 40px; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: baseline; justify-content: space-between; padding: 14px 0 6px; }
header h1 { font-size: 1.25rem; margin: 0; }
header .who { color: var(--muted); font-size: 0.85rem; overflow-wrap: anywhere; }
nav { display: flex; flex-wrap: wrap; gap: 6px; margin: 4px 0 14px; }
nav a { padding: 6px 10px; border-radius: 999px; border: 1px solid var(--line); color: var(--fg); text-decoration: none; background: var(--card); }
nav a[aria-current=page] { background: var(--accent); border-color: var(--accent); color: #fff; }
h2 { font-size: 1.05rem; margin: 22px 0 8px; }
h3 { font-size: 1rem; margin: 0 0 6px; overflow-wrap: anywhere; }
h3 small { color: var(--muted); font-weight: normal; }
.muted { color: var(--muted); }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 10px; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 10px 12px; }
.tile span { display: block; color: var(--muted); font-size: 0.85rem; }
.tile strong { font-size: 1.5rem; }
.scroll { overflow-x: auto; max-width: 100%; background: var(--card); border: 1px solid var(--line); border-radius: 10px; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
caption { text-align: left; padding: 8px 10px; font-weight: 600; }
.download { display: inline-block; margin: 6px 0 0; font-size: 0.85rem; color: var(--accent); }
figure.chart { margin: 0 0 10px; background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 8px; }
figure.chart svg { width: 100%; height: auto; display: block; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 0.8rem; color: var(--muted); margin: 6px 4px 0; padding: 0; list-style: none; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }
article { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px; margin: 0 0 12px; }
.words { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--bg); padding: 8px; border-radius: 6px; }
form label { display: block; margin: 6px 0; font-size: 0.9rem; }
form textarea, form input:not([type]), form select { display: block; width: 100%; max-width: 100%; font: inherit; padding: 6px;
  border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
.row { display: flex; flex-wrap: wrap; gap: 0 12px; } .row label { flex: 1 1 200px; min-width: 0; }
label.check { display: flex; gap: 6px; align-items: center; }
button { font: inherit; padding: 6px 14px; border-radius: 8px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.quiet { background: transparent; color: var(--fg); border-color: var(--line); }
form.inline { display: inline; }
details { margin: 6px 0; } summary { cursor: pointer; color: var(--accent); }
ul { padding-left: 20px; } li { overflow-wrap: anywhere; }
.late { color: var(--not_allowed); font-weight: 600; }
.flash { background: var(--card); border: 1px solid var(--accent); border-radius: 10px; padding: 8px 12px; }
.flash.bad { border-color: var(--not_allowed); }
.actions { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 12px; }
.actions article { margin: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
"""


def layout(title: str, body: str, user: str, active: str, since: str = "", heading: str = "Policy owners' console",
           pages: list[tuple[str, str, str]] | None = None) -> str:
    links = "".join(f'<a href="{path}"{" aria-current=page" if name == active else ""}>{label}</a>' for name, path, label in
                    (PAGES if pages is None else pages))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · smpolicy console</title><style>{STYLE}</style></head>
<body><header><h1>{escape(heading)}: {escape(title)}</h1><span class="who">Signed in as {escape(user)}</span></header>
<nav aria-label="Console pages">{links}</nav>
<main>
{body}
</main></body></html>"""


def _cell(value: object) -> str:
    cls = ' class="n"' if isinstance(value, int | float) else ""
    return f"<td{cls}>{escape(str(value))}</td>"


def table_html(table: Table, since: str, csv: bool = True) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    rows = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in table.rows) or \
        f'<tr><td colspan="{len(table.columns)}" class="muted">Nothing yet.</td></tr>'
    query = f"?since={quote(since)}" if since else ""
    link = f'<a class="download" href="/console/csv/{escape(table.name)}.csv{query}" download>Download {escape(table.title.lower())} (CSV)</a>' if csv else ""
    return f'<div class="scroll"><table><caption>{escape(table.title)}</caption><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>{link}'
