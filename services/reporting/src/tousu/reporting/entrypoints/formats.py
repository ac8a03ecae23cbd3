"""A report document in json, csv, xlsx or html: the same figures and sections in each (CONTRACT §8)."""

import csv
import html
import io
import re
from collections.abc import Iterator
from typing import Any

from fastapi.responses import JSONResponse, Response

FORMATS = ("json", "csv", "xlsx", "html")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cell(value: Any) -> str | int | float:
    """A table cell as text formats show it: empty for nothing, true/false for booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def flat(figures: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in figures.items():
        if isinstance(value, dict):
            yield from flat(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def header(doc: dict[str, Any]) -> list[tuple[str, Any]]:
    keys = ("name", "kind", "regime", "org", "period", "from", "to", "due_at", "recipients", "rule")
    return [(k, doc.get(k)) for k in keys]


def to_csv(doc: dict[str, Any]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    for key, value in header(doc):
        w.writerow([key, cell(value)])
    w.writerow([])
    w.writerow(["figures"])
    for key, value in flat(doc["figures"]):
        w.writerow([key, cell(value)])
    for sec in doc["sections"]:
        w.writerow([])
        w.writerow([f"section: {sec['id']}", sec["title"]])
        w.writerow(sec["columns"])
        for row in sec["rows"]:
            w.writerow([cell(v) for v in row])
    return out.getvalue()


def _sheet_title(title: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title)[:28] or "section"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base[:25]} {n}"
    taken.add(name)
    return name


def to_xlsx(doc: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    first.title = "report"
    for key, value in header(doc):
        first.append([key, cell(value)])
    first.append([])
    first.append(["figures"])
    for key, value in flat(doc["figures"]):
        first.append([key, cell(value)])
    taken = {"report"}
    for sec in doc["sections"]:
        sheet = book.create_sheet(_sheet_title(sec["id"], taken))
        sheet.append([sec["title"]])
        sheet.append(sec["columns"])
        for row in sec["rows"]:
            sheet.append([cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _table(columns: list[str], rows: list[list[Any]], id_: str) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(cell(v)))}</td>" for v in r) + "</tr>" for r in rows)
    return f'<table id="{html.escape(id_)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def to_html(doc: dict[str, Any]) -> str:
    meta = _table(["", ""], [[k, v] for k, v in header(doc)], "meta")
    figures = _table(["figure", "value"], [[k, v] for k, v in flat(doc["figures"])], "figures")
    sections = "".join(
        f"<section><h2>{html.escape(s['title'])}</h2>{_table(s['columns'], s['rows'], s['id'])}</section>"
        for s in doc["sections"]
    )
    title = html.escape(f"{doc['name']} — {doc['period']}")
    style = (
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}"
        "td,th{border:1px solid #bbb;padding:.2em .5em;text-align:left}th{background:#eee}"
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{style}</style></head><body><h1>{title}</h1>{meta}<h2>Figures</h2>{figures}{sections}</body></html>"
    )


def render(doc: dict[str, Any], fmt: str) -> Response:
    stem = f"{doc['kind']}-{doc['org'] or 'all'}-{doc['period']}"
    if fmt == "csv":
        return Response(
            to_csv(doc),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'},
        )
    if fmt == "xlsx":
        return Response(
            to_xlsx(doc), media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'}
        )
    if fmt == "html":
        return Response(to_html(doc), media_type="text/html; charset=utf-8")
    return JSONResponse(doc)
