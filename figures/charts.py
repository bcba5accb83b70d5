"""Charts drawn on the server as SVG: no script, no CDN, readable without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from figures.queries import CHANNELS, Table
from texts import N_

# Colours told apart by people with the common colour-vision deficiencies (Okabe-Ito).
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")
WIDTH = 760
FONT = 'font-family="sans-serif" font-size="11"'


# How a label is put in the reader's language (gettext on the page; as it is elsewhere).
Translate = Callable[[str], str]


def _nice_ceiling(value: int) -> int:
    """A round number at or above `value` for the top of an axis: 1, 2, 5, 10, 20, 50 …"""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def bookings_per_day(table: Table, translate: Translate = str) -> str:
    """Stacked bars: one per day, one colour per channel, from the bookings_by_day table."""
    height, left, right, top, bottom = 260, 44, 10, 30, 40
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    days = table.rows
    labels = [translate(label) for _channel, label in CHANNELS]
    totals = [int(row[-1] or 0) for row in days]
    ceiling = _nice_ceiling(max([*totals, 1]))
    slot = plot_w / max(len(days), 1)
    bar = max(slot * 0.8, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="bpd-title" class="chart">',
        f'<title id="bpd-title">{escape(translate(N_("Bookings per day by channel")))}</title>',
    ]
    for i, label in enumerate(labels):  # legend
        legend_x = left + i * 110
        parts.append(f'<rect x="{legend_x}" y="6" width="12" height="12" fill="{COLOURS[i]}"/>')
        parts.append(f'<text x="{legend_x + 16}" y="16" {FONT}>{escape(label)}</text>')
    for tick in (0, ceiling // 2, ceiling) if ceiling > 1 else (0, ceiling):
        y = top + plot_h - plot_h * tick / ceiling
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" {FONT}>{tick}</text>')
    label_every = max(1, len(days) // 10)
    for d, row in enumerate(days):
        x = left + d * slot + (slot - bar) / 2
        y = float(top + plot_h)
        for i, label in enumerate(labels):
            count = int(row[1 + i] or 0)
            if count == 0:
                continue
            h = plot_h * count / ceiling
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[i]}"><title>{escape(str(row[0]))} {escape(label)}: {count}'
                "</title></rect>"
            )
        if d % label_every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
                f"{FONT}>{escape(str(row[0])[5:])}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def funnel(table: Table, translate: Translate = str) -> str:
    """Horizontal bars: how many USSD sessions reached each step, from the ussd_funnel table."""
    row_h, label_w, right = 26, 150, 70
    height = row_h * len(table.rows) + 10
    plot_w = WIDTH - label_w - right
    first = int(table.rows[0][1] or 0) if table.rows else 0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="funnel-title" class="chart">',
        f'<title id="funnel-title">{escape(translate(N_("USSD funnel")))}</title>',
    ]
    for i, (step, value) in enumerate(table.rows):
        count = int(value or 0)
        y = 5 + i * row_h
        w = plot_w * count / first if first else 0
        share = f" ({count / first:.0%})" if first else ""
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" {FONT}>'
            f"{escape(translate(str(step)))}</text>"
        )
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{row_h - 6}" '
            f'fill="{COLOURS[0]}"/>'
        )
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 16}" {FONT}>{count}{share}</text>')
    parts.append("</svg>")
    return "".join(parts)
