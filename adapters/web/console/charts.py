"""Two small SVG charts (no script): stacked weekly bars by verdict, horizontal bars. Colours come from CSS
variables, so dark mode works; every chart has a text alternative and its table beside it."""

from __future__ import annotations

from html import escape

from bot.figures import VERDICTS, Table
from bot.policy.engine import VERDICT_LABELS


def stacked_weeks(weeks: Table) -> str:
    rows = weeks.rows[-26:]
    if not rows:
        return '<p class="muted">No answers yet.</p>'
    width, height, pad = 640, 200, 24
    top = max(r[-1] for r in rows) or 1
    step = (width - pad) / len(rows)
    bar = min(28.0, max(2.0, step * 0.7))
    parts = []
    for i, row in enumerate(rows):
        x = pad + i * step
        y = height - pad
        for j, verdict in enumerate(VERDICTS):
            n = row[1 + j]
            if not n:
                continue
            h = (height - 2 * pad) * n / top
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="var(--{verdict})">'
                         f"<title>{escape(row[0])}: {n} {escape(VERDICT_LABELS[verdict].lower())}</title></rect>")
    labels = "".join(f'<text x="{pad + i * step:.1f}" y="{height - 6}" font-size="10" fill="currentColor">{escape(row[0][5:])}</text>'
                     for i, row in enumerate(rows) if i % max(1, len(rows) // 6) == 0)
    axis = f'<text x="0" y="{pad - 8}" font-size="10" fill="currentColor">{top}</text>'
    legend = "".join(f'<li><i style="background: var(--{v})"></i>{escape(VERDICT_LABELS[v])}</li>' for v in VERDICTS)
    return (f'<figure class="chart"><svg viewBox="0 0 {width} {height}" role="img" aria-label="Questions per week by verdict, '
            f'{len(rows)} weeks, at most {top} a week">{axis}{"".join(parts)}{labels}</svg><ul class="legend">{legend}</ul></figure>')


def bars(items: list[tuple[str, int]], unit: str = "answers") -> str:
    items = [(label, int(n)) for label, n in items if isinstance(n, int | float)]
    if not items:
        return ""
    width, row_h = 640, 22
    top = max(n for _, n in items) or 1
    label_w = 250
    parts = []
    for i, (label, n) in enumerate(items):
        y = i * row_h
        w = (width - label_w - 40) * n / top
        short = label if len(label) <= 36 else label[:35] + "\u2026"
        parts.append(f'<text x="0" y="{y + 15}" font-size="12" fill="currentColor">{escape(short)}</text>'
                     f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="14" rx="2" fill="var(--accent)"><title>{escape(label)}: {n} {unit}</title></rect>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + 15}" font-size="12" fill="currentColor">{n}</text>')
    return (f'<figure class="chart"><svg viewBox="0 0 {width} {len(items) * row_h}" role="img" aria-label="{escape(unit)} by item">'
            f'{"".join(parts)}</svg></figure>')
