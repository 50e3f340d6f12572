"""Tables for download as CSV or Excel (SPEC §8 Exports): the same rows in both, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from flask import Response

# Excel reads a CSV as the legacy code page unless it starts with a byte order mark; Chinese would be garbled.
BOM = "\ufeff"
# A cell starting with one of these is taken for a formula by spreadsheets (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MIME = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def neutralise(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; numbers and dates stay as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """CSV text (CRLF lines, no byte order mark); None is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else neutralise(_plain(v)) for v in row])
    return out.getvalue()


def _plain(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.2f}"
    return value


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence], title: str) -> bytes:
    """An Excel workbook of one sheet: bold, frozen header row, columns sized to their content."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    sheet.freeze_panes = "A2"
    widths = [_width(h) for h in header]
    body = []
    for row in rows:
        values = [_cell_value(v) for v in row]
        for i, value in enumerate(values[: len(widths)]):
            widths[i] = max(widths[i], _width(value))
        body.append(values)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(60, width + 2)
    bold = Font(bold=True)
    cells = []
    for h in header:
        cell = WriteOnlyCell(sheet, value=neutralise(h))
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    for values in body:
        sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell_value(value):
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones: the caller gives local (Beijing) times
    if isinstance(value, float):
        return round(value, 2)
    return neutralise(value)


def _width(value) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)  # CJK characters are twice as wide


def _sheet_title(title: str) -> str:
    cleaned = "".join(ch for ch in title if ch not in "[]:*?/\\")
    return cleaned[:31] or "Sheet1"


def download(stem: str, fmt: str, header: Sequence[str], rows: Iterable[Sequence], *, title: str = "") -> Response:
    """The table as an attachment named `stem`.csv or `stem`.xlsx."""
    body = xlsx_bytes(header, rows, title or stem) if fmt == "xlsx" else (BOM + csv_text(header, rows)).encode("utf-8")
    return Response(
        body,
        headers={
            "Content-Type": _MIME[fmt],
            "Content-Disposition": f'attachment; filename="{stem}.{fmt}"',
            "Cache-Control": "private, no-store",
        },
    )
