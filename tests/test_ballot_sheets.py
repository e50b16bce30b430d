"""The paper ballot one sheet per rater: written, filled in, imported to the same results as the long file."""

from __future__ import annotations

import csv
import json
import shutil

from openpyxl import Workbook, load_workbook

from bot.records.ballot_sheets import looks_like_ballot_sheets
from bot.rules.domain import Quarter
from bot.settings import load_settings
from bot.workflow.paper_ballots import import_ballot_sheets
from storage.repository import Repository
from tests.conftest import EXAMPLES

ROSTER = EXAMPLES / "roster.csv"
BALLOTS = EXAMPLES / "ballots-2026Q3.csv"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def example_scores() -> dict[tuple[str, str, str], int]:
    with BALLOTS.open(encoding="utf-8-sig") as handle:
        return {(r["评分人"], r["被评人"], r["指标"]): int(r["得分"]) for r in csv.DictReader(handle)}


def rows_of(sheet):
    """Each ratee row of a sheet: (row number, ratee, {column: item name}), as a clerk reads the sheet."""
    items: dict[int, str] = {}
    for row in range(5, sheet.max_row + 1):
        if sheet.cell(row, 1).value == "序号":
            headers = {c: sheet.cell(row + 1, c).value for c in range(1, sheet.max_column + 1)}
            items = {c: h.split("\n")[0] for c, h in headers.items() if h and "\n" in h}
        elif items and isinstance(sheet.cell(row, 1).value, int):
            yield row, sheet.cell(row, 2).value, items


def fill(path, target, scores, *, typed_full_width: str | None = None):
    """Type the example's scores into the sheets; one rater's sheet with an input method's digits."""
    workbook = load_workbook(path)
    for sheet in workbook.worksheets:
        rater = sheet.cell(2, 4).value
        for row, ratee, items in rows_of(sheet):
            for column, item in items.items():
                if (rater, ratee, item) in scores:
                    value = scores[(rater, ratee, item)]
                    sheet.cell(row, column).value = (
                        str(value).translate(FULL_WIDTH) if rater == typed_full_width else value
                    )
    workbook.save(target)
    return workbook


def results(cli) -> dict:
    assert cli("close-rating", "2026Q3")[0] == 0
    code, out = cli("results", "2026Q3", "--format", "json")
    assert code == 0, out
    return json.loads(out)


def test_the_filled_per_rater_sheets_import_to_the_same_results_as_the_long_file(
    cli, tmp_path, database_url, sqlite_template, monkeypatch
):
    assert cli("import-roster", ROSTER)[0] == 0
    code, out = cli("ballots-template", "2026Q3", "--per-rater", "-o", tmp_path / "sheets.xlsx")
    assert code == 0, out
    assert "共36位评分人、398张票" in out
    assert (tmp_path / "sheets.docx").stat().st_size > 10_000  # the same sheets for pen and paper

    blank = load_workbook(tmp_path / "sheets.xlsx")
    principal = blank["赵建国"]
    assert principal["A1"].value == "市行政审批服务局2026年第三季度平时考核测评票"
    assert [principal.cell(2, c).value for c in (1, 2, 3, 4, 7, 8)] == [
        "季度",
        "2026Q3",
        "评分人",
        "赵建国",
        "评分组",
        "主要领导（权重40%）",
    ]
    assert blank["吴晓燕"]["H2"].value == "群众（权重30%）"
    assert blank["钱卫东"]["H2"].value == "主管领导（权重30%）"
    assert principal.page_setup.orientation == "landscape" and principal.page_setup.fitToWidth == 1
    assert principal.print_title_rows == "$1:$2"
    principal_rows = list(rows_of(principal))
    assert len(principal_rows) == 33  # every ratee, in three blocks: heads, staff, window staff
    row, ratee, items = principal_rows[0]
    assert (ratee, principal.cell(row, 3).value) == ("周明远", "综合科")
    assert list(items.values())[:5] == ["政治素质", "职业道德", "工作作风", "廉洁自律", "出勤情况"]
    assert str(principal.cell(row, max(items) + 1).value).startswith("=IF(COUNT(")  # the total
    validations = {(v.formula1, v.formula2) for v in principal.data_validations.dataValidation}
    assert validations == {("0", "20"), ("0", "17"), ("0", "16")}

    scores = example_scores()
    filled = tmp_path / "filled.xlsx"
    fill(tmp_path / "sheets.xlsx", filled, scores, typed_full_width="赵建国")
    assert looks_like_ballot_sheets(filled) and looks_like_ballot_sheets(filled.read_bytes())
    assert not looks_like_ballot_sheets(b"not a workbook")

    # A bad copy: each error on its sheet, row and column, in Chinese, and nothing is stored
    workbook = load_workbook(filled)
    peer = workbook["吴晓燕"]
    (r1, _, items), (r2, *_), (r3, *_), (r4, *_), (r5, *_), (r6, *_) = list(rows_of(peer))[:6]
    first, second, total = min(items), min(items) + 1, max(items) + 1
    peer.cell(r1, first).value = "九十"
    peer.cell(r2, second).value = 25
    peer.cell(r3, first).value = None  # a partly filled row
    peer.cell(r4, total).value = 1  # a total typed by hand that disagrees
    peer.cell(r5, 3).value = "政务服务科"
    peer.cell(r6, first).value = "=18"
    workbook["郑海涛"]["D2"].value = "王五"
    workbook.create_sheet("说明").append(["这里是说明"])
    bad = tmp_path / "bad.xlsx"
    workbook.save(bad)
    code, out = cli("import-ballots", "2026Q3", bad)
    assert code == 1, out
    assert "未导入任何测评票" in out
    for line in (
        f"工作表“吴晓燕”第{r1}行“政治素质”：得分“九十”不是整数",
        f"工作表“吴晓燕”第{r2}行“职业道德”：得分25超出范围（0—20分）",
        f"工作表“吴晓燕”第{r3}行“政治素质”：“政治素质”不能为空",
        f"工作表“吴晓燕”第{r4}行“合计”：合计1与各项得分之和",
        f"工作表“吴晓燕”第{r5}行“科室”：科室“政务服务科”与该被评人所在科室“综合科”不符",
        f"工作表“吴晓燕”第{r6}行“政治素质”：“政治素质”中是公式",
        "工作表“郑海涛”第2行“评分人”：“评分人”中的“王五”不在花名册中",
        "工作表“说明”第2行：不是测评票工作表",
    ):
        assert line in out, (line, out)

    # The good one: the example's 389 ballots, all new (the bad one stored nothing), the 9 pairs the
    # example leaves blank not voted
    code, out = cli("import-ballots", "2026Q3", filled)
    assert code == 0, out
    assert "新票389张" in out and "未填分（视为未投票）9组" in out
    code, out = cli("import-ballots", "2026Q3", BALLOTS)
    assert code == 0 and "新票0张，已有且相同389张" in out, out  # every stored ballot equals the file's
    from_sheets = results(cli)

    # The long file alone, in a database of its own: the same stored results, Decimal for Decimal
    other = tmp_path / "long.db"
    shutil.copy(sqlite_template, other)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{other}")
    assert cli("import-roster", ROSTER)[0] == 0
    assert cli("import-ballots", "2026Q3", BALLOTS)[0] == 0
    from_long = results(cli)
    assert from_sheets["ratees"] == from_long["ratees"]
    assert from_sheets["quota"] == from_long["quota"]
    assert {r["name"]: r["composite"] for r in from_sheets["ratees"]}["周明远"] is not None


async def test_a_workbook_without_its_quarter_or_a_table_is_refused(database, database_url, tmp_path):
    settings = load_settings(database={"url": database_url})
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "赵建国"
    sheet.append(["测评票"])
    sheet.append(["季度", "二〇二六年", "评分人", "赵建国"])
    workbook.save(tmp_path / "w.xlsx")
    async with database.session() as session:
        outcome = await import_ballot_sheets(Repository(session), settings, None, tmp_path / "w.xlsx", "t")
    assert [(e.code, e.sheet, e.value) for e in outcome.errors] == [("bad_quarter", "赵建国", "二〇二六年")]
    sheet["B2"] = "2026Q2"
    workbook.save(tmp_path / "w.xlsx")
    async with database.session() as session:
        outcome = await import_ballot_sheets(
            Repository(session), settings, Quarter(2026, 3), (tmp_path / "w.xlsx").read_bytes(), "t"
        )
    assert [e.code for e in outcome.errors] == ["no_table"] and not outcome.new


def test_a_principal_who_supervises_a_section_shows_both_groups_in_both_layouts(cli, tmp_path):
    """SPEC 5: his one ballot counts in the principal's and the supervisor's group; the files say so."""
    with ROSTER.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][10] = "政务服务科"  # 赵建国, the principal
    roster = tmp_path / "roster.csv"
    with roster.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    assert cli("import-roster", roster)[0] == 0
    code, out = cli("ballots-template", "2026Q3", "-o", tmp_path / "long.csv")
    assert code == 0, out
    with (tmp_path / "long.csv").open(encoding="utf-8-sig") as handle:
        groups = {(r["评分人"], r["被评人"]): r["评分组"] for r in csv.DictReader(handle)}
    both = "主要领导兼主管领导（一票计入两组，权重40%+30%）"
    assert groups[("赵建国", "严立军")] == both
    assert groups[("赵建国", "周明远")] == "主要领导（权重40%）"
    assert groups[("孙丽华", "严立军")] == "主管领导（权重30%）"
    assert groups[("吴晓燕", "周明远")] == "群众（权重30%）"
    assert cli("ballots-template", "2026Q3", "--per-rater", "-o", tmp_path / "s.xlsx")[0] == 0
    sheet = load_workbook(tmp_path / "s.xlsx")["赵建国"]
    assert sheet["H2"].value == f"主要领导（权重40%）；{both}"
    by_name = {ratee: row for row, ratee, _items in rows_of(sheet)}
    assert sheet.cell(4 + 1, 4).value == "评分组"  # a column of its own when his rows differ
    assert sheet.cell(by_name["严立军"], 4).value == both
    assert sheet.cell(by_name["周明远"], 4).value == "主要领导（权重40%）"
