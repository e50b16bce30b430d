"""Form 1 and Form 2 as Word documents, laid out like the annexes of the bureau's work plan."""

from __future__ import annotations

import io
from functools import partial

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import _Cell

from bot.records.contents import Header, MonthlyForm, QuarterForm
from bot.rendering import macro
from bot.rules.text import clean_text as _xml_safe  # stored texts from before cleaning on entry

BODY_FONT = "SimSun"  # Song, the forms' usual face; Word and LibreOffice map the name on any system
TITLE_FONT = "SimHei"  # Hei, for the title
BODY_SIZE = Pt(12)  # "small four", the usual size of a form's table
TITLE_SIZE = Pt(18)  # "small two"
# 16 cm: A4 less the margins; a label column holds its longest line (4 characters) unbroken
WIDTHS = (Cm(2.5), Cm(2.8), Cm(2.3), Cm(2.6), Cm(2.5), Cm(3.3))
NO_WRAP_SUCCESSORS = ("w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")
LANGUAGE = "zh-CN"  # python-docx's template declares ja-JP, which makes LibreOffice pick Japanese glyphs
MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

text = partial(macro, "records/forms.j2")


def _font(run_or_style, name: str, size: Pt, bold: bool = False) -> None:
    run_or_style.font.name = name
    run_or_style.font.size = size
    run_or_style.font.bold = bold
    properties = run_or_style.element.get_or_add_rPr()
    properties.get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _child(parent, tag: str):
    """The first child named `tag`, appended when there is none."""
    found = parent.find(qn(tag))
    if found is None:
        found = OxmlElement(tag)
        parent.append(found)
    return found


def _simplified_chinese(document: Document) -> None:
    """Declare zh-CN as the East Asian language and name the fonts outright, never through the theme."""
    _child(document.settings.element, "w:themeFontLang").set(qn("w:eastAsia"), LANGUAGE)
    defaults = document.styles.element.find(qn("w:docDefaults"))
    properties = _child(_child(defaults, "w:rPrDefault"), "w:rPr")
    fonts = _child(properties, "w:rFonts")
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    for script in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(script), BODY_FONT)
    for language in document.styles.element.iter(qn("w:lang")):
        language.set(qn("w:eastAsia"), LANGUAGE)


def _document() -> Document:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.2)
    section.left_margin = section.right_margin = Cm(2.5)
    _simplified_chinese(document)
    normal = document.styles["Normal"]
    _font(normal, BODY_FONT, BODY_SIZE)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)
    return document


def _title(document: Document, title: str, subtitle: str | None = None) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_after = Pt(4 if subtitle else 12)
    _font(paragraph.add_run(_xml_safe(title)), TITLE_FONT, TITLE_SIZE, bold=True)
    if subtitle:
        line = document.add_paragraph()
        line.alignment = WD_ALIGN_PARAGRAPH.CENTER
        line.paragraph_format.space_after = Pt(10)
        _font(line.add_run(_xml_safe(subtitle)), BODY_FONT, Pt(14))


def _write(cell: _Cell, lines: list[str] | str, *, center: bool = False, vertical: bool = False) -> None:
    """Fill a cell: one paragraph a line; a vertical label gets one character a line, as on the annex."""
    if isinstance(lines, str):
        lines = list(lines.replace(" ", "")) if vertical else lines.split("\n")
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER if center else WD_CELL_VERTICAL_ALIGNMENT.TOP
    first = cell.paragraphs[0]
    for index, line in enumerate(lines or [""]):
        paragraph = first if index == 0 else cell.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.LEFT
        paragraph.paragraph_format.line_spacing = 1.25
        _font(paragraph.add_run(_xml_safe(line)), BODY_FONT, BODY_SIZE)


def _label(cell: _Cell, name: str, *, vertical: bool = False) -> None:
    """A field's label as the annex prints it (its own line breaks), centred and never wrapped."""
    _write(cell, text("field", name), center=True, vertical=vertical)
    properties = cell._tc.get_or_add_tcPr()
    if properties.find(qn("w:noWrap")) is None:  # in the schema's order, before the vertical alignment
        properties.insert_element_before(OxmlElement("w:noWrap"), *NO_WRAP_SUCCESSORS)


def _right(cell: _Cell, line: str) -> None:
    paragraph = cell.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    paragraph.paragraph_format.line_spacing = 1.25
    _font(paragraph.add_run(_xml_safe(line)), BODY_FONT, BODY_SIZE)


def _table(document: Document, header: Header, rows: int):
    """The header table of both forms; returns `rows` more rows, each with its label cell and a wide cell."""
    table = document.add_table(rows=3 + rows, cols=6)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for row in table.rows:
        for cell, width in zip(row.cells, WIDTHS, strict=True):
            cell.width = width
        row.height = Cm(1.1)
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    values = [
        ("name", header.name, "gender", header.gender, "birth", text("year_month", header.birth_month)),
        (
            "political",
            header.political_status,
            "post_since",
            text("year_month", header.post_since),
            "work_since",
            text("year_month", header.work_since),
        ),
    ]
    for index, line in enumerate(values):
        cells = table.rows[index].cells
        for column in range(0, 6, 2):
            _label(cells[column], line[column])
            _write(cells[column + 1], line[column + 1], center=True)
    cells = table.rows[2].cells
    _label(cells[0], "post_title")
    wide = cells[1].merge(cells[5])
    _write(wide, header.post_title, center=True)
    return [(row, row.cells[0], row.cells[1].merge(row.cells[5])) for row in table.rows[3:]]


def _numbered(items: tuple[str, ...]) -> list[str]:
    return [text("item", index, item) for index, item in enumerate(items, start=1)]


def _save(document: Document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def form1(form: MonthlyForm, bureau: str) -> bytes:
    """Form 1, the monthly work summary (annex 1), of one person and month."""
    document = _document()
    _title(document, text("title", "form1", bureau), text("month_line", form.year, form.month))
    summary_part, review_part, remark_part = _table(document, form.header, 3)
    summary_row, summary_label, summary = summary_part
    review_row, review_label, review = review_part
    _row, remark_label, remark = remark_part
    summary_row.height = Cm(13)
    _label(summary_label, "summary", vertical=True)
    _write(summary, _numbered(form.items))
    review_row.height = Cm(3.2)
    _label(review_label, "review")
    _write(review, text("review", form.review) if form.review.decided else "")
    if form.review.decided:
        _right(review, text("signature", form.review.reviewer, form.review.reviewed_on))
    _label(remark_label, "remark")
    _write(remark, ([text("late")] if form.late else []) + ([form.remark] if form.remark else []))
    note = document.add_paragraph()
    note.paragraph_format.space_before = Pt(6)
    _font(note.add_run(_xml_safe(text("footnote", "form1"))), BODY_FONT, Pt(10.5))
    return _save(document)


def form2(form: QuarterForm, bureau: str) -> bytes:
    """Form 2, the quarterly registration (annex 2), of one person; the exempt get the comment, no tier."""
    document = _document()
    _title(document, text("title", "form2", bureau))
    period_part, work_part, tier_part, remark_part = _table(document, form.header, 4)
    _row, period_label, period = period_part
    work_row, work_label, work = work_part
    tier_row, tier_label, tier = tier_part
    _row, remark_label, remark = remark_part
    _label(period_label, "period")
    _write(period, text("period", form.quarter), center=True)
    work_row.height = Cm(11)
    _label(work_label, "achievements", vertical=True)
    _write(work, _numbered(form.items) if form.registered else text("unregistered"))
    tier_row.height = Cm(4)
    _label(tier_label, "tier", vertical=True)
    if form.exempt:
        _write(tier, [text("exempt_sentence", form.exempt_reasons), text("comment", form.comment)])
    else:
        _write(tier, text("tier_sentence", form.tier))
    _right(tier, text("seal"))
    _right(tier, text("signed_date", form.decided_on))
    _label(remark_label, "remark")
    remarks = [form.remark] if form.remark else []
    if form.review is not None and form.review.decided:
        remarks.append(text("supervisor_review", form.review))
    _write(remark, remarks)
    note = document.add_paragraph()
    note.paragraph_format.space_before = Pt(6)
    _font(note.add_run(_xml_safe(text("footnote", "form2"))), BODY_FONT, Pt(10.5))
    return _save(document)
