"""The figures as CSV and JSON for people and systems outside Antre.

Exports hide small counts: a count of 1 to 4 in a cell is written "<5", so that nobody can be
singled out by combining tables. Zero stays 0 (it singles out no one) and medians stay exact.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from figures.queries import Cell, Figures, Table
from texts import N_

# How a word is put in the reader's language: gettext for the console's download, as it is for
# the command line.
Translate = Callable[[str], str]

SMALL = 5
HIDDEN = "<5"


def hide_small(table: Table) -> list[tuple[Cell, ...]]:
    """The table's rows with every count between 1 and 4 written as "<5"."""
    counts = [column.count for column in table.columns]
    return [
        tuple(
            HIDDEN if is_count and isinstance(value, int) and 0 < value < SMALL else value
            for value, is_count in zip(row, counts, strict=True)
        )
        for row in table.rows
    ]


def _cell(value: Cell) -> str:
    return "" if value is None else str(value)


def table_csv(table: Table, translate: Translate = str) -> str:
    """One table: its header and rows, the words in the reader's language (`translate`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([translate(column.name or N_("measure")) for column in table.columns])
    for row in hide_small(table):
        label, *rest = row
        # The first cell names the row ("walk-in", "all") or is data (a day, a code, an SMS).
        shown = translate(label) if isinstance(label, str) and label else _cell(label)
        writer.writerow([shown, *(_cell(v) for v in rest)])
    return out.getvalue()


def figures_csv(figures: Figures, translate: Translate = str) -> str:
    """Every table, one after the other: its title on a line, its header, its rows, a blank."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    scope = figures.scope.as_dict()
    title = translate(N_("Antre figures"))
    writer.writerow([title, *(f"{k}={v or 'all'}" for k, v in scope.items())])
    writer.writerow([])
    for table in figures.tables:
        writer.writerow([translate(table.title)])
        out.write(table_csv(table, translate))
        writer.writerow([])
    return out.getvalue()


def figures_json(figures: Figures) -> dict[str, Any]:
    """The figures for district systems: each table's rows as objects keyed by column."""
    return {
        "scope": figures.scope.as_dict(),
        "timezone": figures.timezone,
        "facilities": figures.facilities,
        "small_counts": f"counts from 1 to {SMALL - 1} are given as {HIDDEN!r}",
        "tables": {
            table.name: {
                "title": table.title,
                "columns": [column.name or "measure" for column in table.columns],
                "rows": [
                    dict(
                        zip(
                            [column.name or "measure" for column in table.columns],
                            row,
                            strict=True,
                        )
                    )
                    for row in hide_small(table)
                ],
            }
            for table in figures.tables
        },
    }


def figures_text(figures: Figures) -> str:
    """Every table aligned in columns, for a terminal (exact counts: the operator's own view)."""
    lines: list[str] = []
    scope = figures.scope
    lines.append(
        f"Antre figures: {scope.district or 'all districts'}"
        f"{' / ' + scope.facility if scope.facility else ''}, {scope.start} to {scope.end}"
    )
    for table in figures.tables:
        lines += ["", table.title]
        header = [column.name for column in table.columns]
        body = [[_cell(v) for v in row] for row in table.rows]
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        for row in [header, *body]:
            lines.append(
                "  ".join(
                    cell.rjust(width) if column.count else cell.ljust(width)
                    for cell, width, column in zip(row, widths, table.columns, strict=True)
                ).rstrip()
            )
        if not body:
            lines.append("(none)")
    return "\n".join(lines) + "\n"
