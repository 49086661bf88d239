"""The city's daily report as a table: CSV or xlsx (openpyxl), with Chinese column headings by
default and English ones on request. One row per office, then the totals; the same figures as
the JSON (booking/bureau/report.py)."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from ..models import REFUSAL_REASONS

# (key, Chinese heading, English heading); figures come in bookings, then in people.
_OFFICE = [("office", "机构代码", "Office code"), ("name", "机构名称", "Office"),
           ("submitted_at", "报送时间", "Submitted at"), ("incident", "有无异常", "Incident"),
           ("note", "备注", "Note")]
_FIGURES = [("bookings", "预约", "bookings"), ("confirmed", "已确认", "confirmed"),
            ("cancelled", "已取消", "cancelled"), ("checked_in", "已入场", "checked in"),
            ("completed", "已办结", "completed"), ("no_show", "未到", "no-shows"),
            ("walk_ins", "现场取号", "walk-ins"), ("refused", "入口拒绝", "refused at the door"),
            ("declarations_failed", "健康申报未通过", "failed declarations"),
            ("peak_occupancy", "最高在场", "peak occupancy")]
_UNITS = [(None, "（单）", " (bookings)"), ("people", "（人）", " (people)")]
_STAYS = [("average", "平均停留（分钟）", "Average stay (minutes)"),
          ("longest", "最长停留（分钟）", "Longest stay (minutes)")]
_YES_NO = {True: ("有", "yes"), False: ("无", "no"), None: ("未报送", "not submitted")}
_TOTAL = ("合计", "Total")


def headings(lang: str) -> list[str]:
    en = lang == "en"
    row = [en_ if en else zh for _, zh, en_ in _OFFICE]
    for _, zh_unit, en_unit in _UNITS:
        row += [(en_ + en_unit) if en else (zh + zh_unit) for _, zh, en_ in _FIGURES]
    row += [en_ if en else zh for _, zh, en_ in _STAYS]
    row += [f"refused: {r}" if en else f"拒绝：{r}" for r in REFUSAL_REASONS]
    return row


def _figures(row: dict) -> list:
    values = []
    for unit, _, _ in _UNITS:
        figures = row[unit] if unit else row
        values += [sum(figures["refused"].values()) if key == "refused" else figures[key] for key, _, _ in _FIGURES]
    values += [row["stay_minutes"][key] for key, _, _ in _STAYS]
    return values + [row["refused"].get(reason, 0) for reason in REFUSAL_REASONS]


def _text(value) -> str:
    """Typed text as a cell: one that a spreadsheet would read as a formula (=, +, -, @) is
    prefixed with an apostrophe, so a note can never run as one (OWASP, CSV injection)."""
    text = str(value or "")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def rows(report: dict, lang: str = "zh") -> list[list]:
    """The headings, one row per office, then the totals."""
    en = lang == "en"
    table = [headings(lang)]
    for office in report["offices"]:
        said = _YES_NO[office["incident"]][1 if en else 0]
        table.append([office["office"], _text(office["name_en"] if en else office["name_zh"]),
                      office["submitted_at"] or "", said, _text(office["note"]), *_figures(office)])
    table.append(["", _TOTAL[1 if en else 0], "", "", "", *_figures(report["totals"])])
    return table


def to_csv(report: dict, lang: str = "zh") -> str:
    """CSV with a byte-order mark, so that spreadsheet programs read the Chinese as UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out).writerows(rows(report, lang))
    return out.getvalue()


def to_xlsx(report: dict, lang: str = "zh") -> bytes:
    """An xlsx workbook of one sheet named for the region and date, headings in bold."""
    book = Workbook()
    sheet = book.active
    sheet.title = f"{report['region']} {report['date']}"[:31]
    for row in rows(report, lang):
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "C2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
