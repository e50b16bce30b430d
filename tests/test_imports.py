"""The roster and ballot checks on their own: every bad row named, nothing half-read."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import Workbook

from bot.records.ballot_file import BallotContext, parse_ballots
from bot.records.cells import NameIndex, PersonRef, parse_date, whole_number
from bot.records.roster_file import ExistingPerson, parse_roster
from bot.records.spreadsheets import TableError, read_csv_bytes, read_xlsx_bytes
from bot.rules.domain import Quarter, RaterGroup, Role
from bot.settings import IndicatorItem

HEAD = "姓名,出生年月,角色,人员身份类别,科室,分管科室\n"


def roster(text: str, **kwargs):
    return parse_roster(read_csv_bytes((HEAD + text).encode()), **kwargs)


def codes(errors):
    return [(e.line, e.code) for e in errors]


def test_dates_as_bureaus_write_them():
    for text in ("1988-03", "1988.03", "1988/3", "1988年3月", "198803", "1988-03-15", "1988年3月15日"):
        assert parse_date(text, month_only=True) == dt.date(1988, 3, 1), text
    assert parse_date(dt.datetime(1988, 3, 15)) == dt.date(1988, 3, 15)
    assert parse_date("１９８８年３月") == dt.date(1988, 3, 1)  # typed with an input method
    for text in ("1988-13", "88-03", "三月", "1800-01", "٢٠٢٦-١٠-٣٠", "١٩٨٨-٠٣"):
        with pytest.raises(ValueError):
            parse_date(text)


def test_a_number_date_cell_is_refused_not_guessed():
    # Excel keeps 1988.10 typed in a number cell as 1988.1: October or January cannot be told apart
    workbook = Workbook()
    workbook.active.append(["姓名", "出生年月", "角色", "人员身份类别", "科室"])
    workbook.active.append(["甲", 1988.1, "工作人员", "公务员", "综合科"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    _records, errors = parse_roster(read_xlsx_bytes(buffer.getvalue()))
    assert codes(errors) == [(2, "date_as_number")]


def test_supervised_sections_must_exist():
    _records, errors = roster("甲,1970-01,分管领导,,,综合室\n乙,1990-01,工作人员,公务员,综合科,\n")
    assert codes(errors) == [(2, "unknown_section")]
    _records, errors = roster("甲,1970-01,分管领导,,,窗口科\n", known_sections=["窗口科"])
    assert errors == []


def test_one_head_and_one_principal_across_the_file_and_the_database():
    on_file = [
        ExistingPerson("老科长", dt.date(1970, 1, 1), Role.SECTION_HEAD, "综合科", True),
        ExistingPerson("老局长", dt.date(1965, 1, 1), Role.PRINCIPAL, None, True),
    ]
    _r, errors = roster(
        "新科长,1980-01,科室负责人,公务员,综合科,\n新局长,1970-02,主要领导,,,\n", existing=on_file
    )
    assert codes(errors) == [(2, "head_exists"), (3, "principal_exists")]
    # the same file that also demotes the old holders is fine
    _r, errors = roster(
        "新科长,1980-01,科室负责人,公务员,综合科,\n老科长,1970-01,工作人员,公务员,综合科,\n", existing=on_file
    )
    assert errors == []


def test_duplicate_headers_and_cells_without_header_are_refused():
    with pytest.raises(TableError) as info:
        read_csv_bytes("姓名,出生年月,出生年月\n甲,1990-01,1991-05\n".encode())
    assert info.value.code == "duplicate_header"
    with pytest.raises(TableError) as info:
        read_csv_bytes("姓名,出生年月,\n甲,1990-01,2026-12-31\n".encode())
    assert (info.value.code, info.value.detail) == ("cell_without_header", "2")


def test_oversized_csv_field_and_broken_xlsx_are_clear_errors():
    with pytest.raises(TableError) as info:
        read_csv_bytes(b'a\n"' + b"x" * 200_000 + b'"\n')
    assert info.value.code == "unreadable"
    workbook = Workbook()
    workbook.active.append(["a"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                content = content[: len(content) // 2]  # truncated sheet XML
            target.writestr(item, content)
    with pytest.raises(TableError) as info:
        read_xlsx_bytes(broken.getvalue())
    assert info.value.code == "unreadable"


def test_name_references():
    people = [PersonRef(1, "张伟", dt.date(1988, 3, 1)), PersonRef(2, "张伟", dt.date(1990, 5, 1))]
    index = NameIndex(people)
    assert index.resolve("张伟") == "ambiguous_name"
    assert index.resolve("张伟(1988-03)").id == 1
    assert index.resolve("张伟（1990.05）").id == 2
    assert index.resolve("张伟(1982-13)") == "unknown_person"
    assert index.resolve("李四") == "unknown_person"


def test_whole_numbers_only_in_ascii_digits():
    assert [whole_number(v) for v in ("17", "17.0", 17, 17.0, " 9 ")] == [17, 17, 17, 17, 9]
    assert [whole_number(v) for v in ("1e1", "١٨", "17.5", 17.5, True, "-1", "")] == [None] * 7


CTX = BallotContext(
    quarter=Quarter(2026, 3),
    people=[
        PersonRef(1, "甲", dt.date(1970, 1, 1)),
        PersonRef(2, "乙", dt.date(1990, 1, 1)),
        PersonRef(3, "丙", dt.date(1991, 1, 1)),
    ],
    pairs={(1, 2): RaterGroup.PRINCIPAL, (1, 3): RaterGroup.PRINCIPAL, (3, 2): RaterGroup.PEER},
    common_items=[IndicatorItem(name="甲项", max_points=50), IndicatorItem(name="乙项", max_points=50)],
    individual_items={
        2: [IndicatorItem(name="个性", max_points=100)],
        3: [IndicatorItem(name="个性", max_points=100)],
    },
)
BALLOT_HEAD = "季度,评分人,被评人,指标类别,指标,满分,得分\n"


def ballots(text: str):
    return parse_ballots(read_csv_bytes((BALLOT_HEAD + text).encode()), CTX)


def test_a_complete_ballot_is_read():
    outcome = ballots(
        "2026Q3,甲,乙,共性指标,甲项,50,40\n2026Q3,甲,乙,共性指标,乙项,50.0,45\n2026Q3,甲,乙,个性指标,个性,100,90\n"
    )
    assert outcome.errors == []
    [b] = outcome.new
    assert (b.rater_id, b.ratee_id, b.group) == (1, 2, RaterGroup.PRINCIPAL)
    assert [i.points for i in b.common + b.individual] == [40, 45, 90]


def test_a_wholly_blank_pair_is_not_voted_but_a_partly_blank_one_is_an_error():
    full = (
        "2026Q3,甲,乙,共性指标,甲项,50,40\n"
        "2026Q3,甲,乙,共性指标,乙项,50,45\n"
        "2026Q3,甲,乙,个性指标,个性,100,90\n"
    )
    blank = (
        "2026Q3,甲,丙,共性指标,甲项,50,\n2026Q3,甲,丙,共性指标,乙项,50,\n2026Q3,甲,丙,个性指标,个性,100,\n"
    )
    outcome = ballots(full + blank)
    assert outcome.errors == [] and len(outcome.new) == 1 and outcome.skipped == 1
    partly = blank.replace("乙项,50,\n", "乙项,50,30\n")
    assert codes(ballots(full + partly).errors) == [(5, "missing"), (6, "incomplete_ballot"), (7, "missing")]


@pytest.mark.parametrize(
    ("row", "code"),
    [
        ("2026Q3,甲,乙,共性指标,甲项,50,51", "score_range"),
        ("2026Q3,甲,乙,共性指标,甲项,50,1e1", "score_not_int"),
        ("2026Q3,甲,乙,共性指标,甲项,40,10", "max_mismatch"),
        ("2026Q2,甲,乙,共性指标,甲项,50,10", "wrong_quarter"),
        ("2026Q3,乙,甲,共性指标,甲项,50,10", "not_rater"),
        ("2026Q3,乙,乙,共性指标,甲项,50,10", "self_rating"),
        ("2026Q3,丁,乙,共性指标,甲项,50,10", "unknown_person"),
        ("2026Q3,甲,乙,共性指标,丙项,50,10", "unknown_item"),
        ("2026Q3,甲,乙,其他,甲项,50,10", "bad_choice"),
    ],
)
def test_each_bad_ballot_row_is_named(row, code):
    rest = "2026Q3,甲,乙,共性指标,乙项,50,45\n2026Q3,甲,乙,个性指标,个性,100,90\n"
    outcome = ballots(row + "\n" + rest)
    assert (2, code) in codes(outcome.errors)
    assert outcome.new == []
