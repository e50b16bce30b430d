"""A worked quarter from files alone, through the command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import json
import shutil
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from bot.cli.commands import main
from bot.records.spreadsheets import read_table, write_table
from storage.database import Database
from tests.conftest import EXAMPLES
from tests.dbsnapshot import snapshot

ROSTER = EXAMPLES / "roster.csv"
BAD_ROSTER = EXAMPLES / "roster-one-bad-row.csv"
BALLOTS = EXAMPLES / "ballots-2026Q3.csv"


def expected_composites() -> dict[str, Fraction]:
    """An independent reading of the example files: exact fractions, SPEC's formula, no project code."""
    roster = {r["姓名"]: r for r in csv.DictReader(ROSTER.open(encoding="utf-8-sig"))}
    supervises = defaultdict(set)
    for row in roster.values():
        for section in row["分管科室"].split("、"):
            if section:
                supervises[row["姓名"]].add(section)
    sums: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for row in csv.DictReader(BALLOTS.open(encoding="utf-8-sig")):
        part = sums[(row["评分人"], row["被评人"])][row["指标类别"]]
        part[0] += int(row["得分"])
        part[1] += int(row["满分"])
    groups: dict[str, dict[str, list[Fraction]]] = defaultdict(lambda: defaultdict(list))
    for (rater, ratee), parts in sums.items():
        score = Fraction(1, 2) * Fraction(100 * parts["共性指标"][0], parts["共性指标"][1]) + Fraction(
            1, 2
        ) * Fraction(100 * parts["个性指标"][0], parts["个性指标"][1])
        role = roster[rater]["角色"]
        group = "p" if role == "主要领导" else ("s" if roster[ratee]["科室"] in supervises[rater] else "g")
        groups[ratee][group].append(score)
    weights = {"p": Fraction(4, 10), "s": Fraction(3, 10), "g": Fraction(3, 10)}
    result = {}
    for ratee, by_group in groups.items():
        if len(by_group.get("g", ())) < 3:  # SPEC 5: fewer than 3 peer ballots are left out
            by_group.pop("g", None)
        total = sum(weights[g] for g in by_group)
        result[ratee] = sum(weights[g] * sum(s) / len(s) for g, s in by_group.items()) / total
    return result


def half_up(value: Fraction) -> str:
    hundredths = value * 100
    whole = int(hundredths)
    if hundredths - whole >= Fraction(1, 2):
        whole += 1
    return f"{whole // 100}.{whole % 100:02d}"


@pytest.mark.slow
def test_worked_quarter_imports_computes_and_applies_the_quota_per_category(cli):
    code, out = cli("import-roster", ROSTER)
    assert code == 0, out
    assert "新增37人" in out
    code, out = cli("import-ballots", "2026Q3", BALLOTS)
    assert code == 0, out
    assert "新票389张" in out
    code, out = cli("results", "2026Q3")
    assert code == 1 and "正在测评" in out and "Traceback" not in out  # nothing shown while ballots come in
    code, out = cli("close-rating", "2026Q3")
    assert code == 0 and "另有2张群众票暂未计入" in out, out  # 张伟's two
    code, out = cli("results", "2026Q3", "--format", "json")
    assert code == 0, out
    data = json.loads(out)
    people = {r["name"]: r for r in data["ratees"]}
    assert len(people) == 33  # 34 staff on the roster, one has left
    assert "李振华" not in people

    # every composite equals an independent exact computation from the files, rounded half up
    for name, value in expected_composites().items():
        assert people[name]["composite"] == half_up(value), name

    cs, inst = data["quota"]["civil_servant"], data["quota"]["institution"]
    assert (cs["tiered"], cs["quota"], cs["good"]) == (19, 7, 7)  # 20 civil servants, one exempt
    assert (inst["tiered"], inst["quota"]) == (13, 5)
    assert inst["good"] == 4  # four clear, and a tie for the fifth place
    assert sum(1 for r in people.values() if r["proposed_tier"] == "good") == 11

    assert people["沈嘉怡"]["exempt_reasons"] == ["probation"] and people["沈嘉怡"]["proposed_tier"] is None
    # SPEC 5: his two peer ballots are held back (fewer than 3): not counted, not shown, flagged
    assert people["张伟"]["ballot_counts"]["peer"] == 0 and "few_peers" in people["张伟"]["flags"]
    assert (
        people["严立军"]["ballot_counts"]["supervisor"] == 0 and "missing_group" in people["严立军"]["flags"]
    )
    cut = [n for n, r in people.items() if "quota_cut" in r["flags"]]
    assert cut and all(
        people[n]["score_tier"] == "good" and people[n]["proposed_tier"] == "fair" for n in cut
    )
    tie = [c for c in data["conflicts"] if c["kind"] == "quota_tie"]
    assert len(tie) == 1 and tie[0]["category"] == "institution" and tie[0]["slots"] == 1
    assert sorted(people[n]["person_id"] for n in ("魏红梅", "陶思琪")) == tie[0]["person_ids"]
    assert data["can_confirm"] is False

    code, table = cli("results", "2026Q3")
    assert code == 0
    assert "【公务员】参加定等次19人，“好”等次名额7人" in table
    assert "名额线同分待定：魏红梅、陶思琪" in table


@pytest.mark.slow
def test_importing_the_same_files_again_changes_nothing(cli, database_url):
    assert cli("import-roster", ROSTER)[0] == 0
    assert cli("import-ballots", "2026Q3", BALLOTS)[0] == 0
    assert cli("close-rating", "2026Q3")[0] == 0
    assert cli("results", "2026Q3")[0] == 0
    before = snapshot(database_url)
    code, out = cli("import-roster", ROSTER)
    assert code == 0 and "新增0人，更新0人，无变化37人" in out
    code, out = cli("import-ballots", "2026Q3", BALLOTS)
    assert code == 0 and "新票0张，已有且相同389张" in out
    assert cli("results", "2026Q3")[0] == 0
    assert snapshot(database_url) == before


def test_a_roster_with_one_bad_row_changes_nothing_and_names_the_row(cli, database_url):
    before = snapshot(database_url)
    code, out = cli("import-roster", BAD_ROSTER)
    assert code == 1
    assert "第7行" in out and "1986-13" in out and "未导入任何人员" in out
    assert snapshot(database_url) == before
    assert cli("import-roster", ROSTER)[0] == 0
    loaded = snapshot(database_url)
    assert cli("import-roster", BAD_ROSTER)[0] == 1
    assert snapshot(database_url) == loaded


def test_a_roster_with_a_duplicated_person_is_refused(cli, database_url, tmp_path):
    rows = list(csv.reader(ROSTER.open(encoding="utf-8-sig")))
    duplicated = tmp_path / "dup.csv"
    with duplicated.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([*rows, rows[10]])
    before = snapshot(database_url)
    code, out = cli("import-roster", duplicated)
    assert code == 1
    assert f"第{len(rows) + 1}行" in out and "与第11行是同一人" in out
    assert snapshot(database_url) == before


def test_a_ballot_file_with_one_bad_row_changes_nothing_and_names_the_row(cli, database_url, tmp_path):
    assert cli("import-roster", ROSTER)[0] == 0
    rows = list(csv.reader(BALLOTS.open(encoding="utf-8-sig")))
    rows[1500][6] = "25"  # line 1501: over the item's maximum
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    before = snapshot(database_url)
    code, out = cli("import-ballots", "2026Q3", bad)
    assert code == 1
    assert "第1501行：得分25超出范围" in out and "未导入任何测评票" in out
    assert snapshot(database_url) == before


@pytest.mark.slow
def test_a_changed_ballot_after_submission_is_locked(cli, database_url, tmp_path):
    assert cli("import-roster", ROSTER)[0] == 0
    assert cli("import-ballots", "2026Q3", BALLOTS)[0] == 0
    rows = list(csv.reader(BALLOTS.open(encoding="utf-8-sig")))
    rows[1][6] = str(int(rows[1][6]) - 1)
    changed = tmp_path / "changed.csv"
    with changed.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    before = snapshot(database_url)
    code, out = cli("import-ballots", "2026Q3", changed)
    assert code == 1 and "第2行" in out and "已锁定" in out
    assert snapshot(database_url) == before


@pytest.mark.slow
def test_xlsx_roster_and_pre_filled_ballot_template_round_trip(cli, tmp_path):
    table = read_table(ROSTER)
    roster_xlsx = write_table(
        tmp_path / "roster.xlsx",
        table.headers,
        [[row.get(h) for h in table.headers] for _line, row in table.rows],
    )
    code, out = cli("import-roster", roster_xlsx)
    assert code == 0 and "新增37人" in out
    template = tmp_path / "ballots.xlsx"
    code, out = cli("ballots-template", "2026Q3", "-o", template)
    assert code == 0
    workbook = load_workbook(template)
    sheet = workbook.active
    headers = [c.value for c in sheet[1]]
    assert headers == ["季度", "评分人", "被评人", "指标类别", "指标", "满分", "得分", "评分组"]
    pairs = {(r[1], r[2]) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert len(pairs) == 33 + 33 + 9 * 10 + 10 * 11 + 11 * 12  # principal, supervisors, peers per section
    for row in sheet.iter_rows(min_row=2):
        row[6].value = row[5].value  # full marks
    workbook.save(template)
    code, out = cli("import-ballots", "2026Q3", template)
    assert code == 0, out
    assert cli("close-rating", "2026Q3")[0] == 0
    code, out = cli("results", "2026Q3", "--format", "json")
    data = json.loads(out)
    assert {r["composite"] for r in data["ratees"]} == {"100.00"}


def test_roster_template_and_formula_refusal(cli, tmp_path):
    code, _ = cli("roster-template", "-o", tmp_path / "r.xlsx")
    assert code == 0
    assert [c.value for c in load_workbook(tmp_path / "r.xlsx").active[1]][:3] == ["姓名", "性别", "出生年月"]
    workbook = Workbook()
    workbook.active.append(["姓名", "出生年月", "角色"])
    workbook.active.append(["甲", "1990-01", "=1+1"])
    workbook.save(tmp_path / "formula.xlsx")
    code, out = cli("import-roster", tmp_path / "formula.xlsx")
    assert code == 1 and "公式" in out


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("roster.txt", b"x", "不支持"),
        ("roster.xlsx", b"PK\x03\x04 not really a zip", "无法读取"),
        ("roster.csv", b"", "空"),
        ("roster.csv", "姓名,角色\n甲,工作人员\n".encode(), "缺少列“出生年月”"),
        ("roster.csv", "姓名,出生年月,角色\n".encode("gb18030"), "没有数据行"),
    ],
)
def test_malformed_roster_files_get_a_clear_answer(cli, tmp_path, database_url, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    before = snapshot(database_url)
    code, out = cli("import-roster", path)
    assert code == 1 and message in out
    assert snapshot(database_url) == before


@pytest.mark.slow
def test_export_writes_xlsx_csv_and_json(cli, tmp_path):
    assert cli("import-roster", ROSTER)[0] == 0
    assert cli("import-ballots", "2026Q3", BALLOTS)[0] == 0
    code, out = cli("export", "2026Q3", "-o", tmp_path / "out")
    assert code == 1 and "正在测评" in out and not (tmp_path / "out" / "results-2026Q3.csv").exists()
    assert cli("close-rating", "2026Q3")[0] == 0
    code, _out = cli("export", "2026Q3", "-o", tmp_path / "out")
    assert code == 0
    sheet = load_workbook(tmp_path / "out" / "results-2026Q3.xlsx").active
    assert sheet.freeze_panes == "A2" and sheet.title == "考核结果"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("季度", "姓名", "科室", "人员身份类别") and len(rows) == 34
    composite = rows[0].index("综合得分")
    cells = [line[composite] for line in sheet.iter_rows(min_row=2)]
    assert all(c.data_type == "n" and c.number_format == "0.00" for c in cells if c.value is not None)
    written = list(csv.reader((tmp_path / "out" / "results-2026Q3.csv").open(encoding="utf-8-sig")))
    assert [Decimal(r[composite]) for r in written[1:] if r[composite]] == [
        Decimal(str(c.value)) for c in cells if c.value is not None
    ] and all(len(r[composite].partition(".")[2]) == 2 for r in written[1:] if r[composite])
    data = json.loads((tmp_path / "out" / "results-2026Q3.json").read_text(encoding="utf-8"))
    assert len(data["ratees"]) == 33
    shutil.rmtree(tmp_path / "out")


def test_migrate_command(cli):
    code, out = cli("migrate")
    from storage.migrate import head_revision

    assert code == 0 and head_revision() in out


def test_example_files_are_what_the_generator_writes(tmp_path):
    """examples/ is generated; a hand edit would make the README's figures lie."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_examples", EXAMPLES / "make_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.HERE = tmp_path
    module.main()
    for name in ("roster.csv", "roster-one-bad-row.csv", "ballots-2026Q3.csv"):
        assert (tmp_path / name).read_bytes() == (EXAMPLES / name).read_bytes(), name


@pytest.mark.parametrize(
    "args",
    [
        ("roster-template", "-o", "roster.txt"),
        ("ballots-template", "2026Q3", "-o", "b.ods"),
        ("results", "2026Q3", "--format", "csv", "-o", "out.txt"),
    ],
)
def test_wrong_output_types_get_a_clear_answer(cli, args):
    code, out = cli(*args)
    assert code == 1 and "不支持" in out and "Traceback" not in out


def test_bad_database_urls_get_a_clear_answer(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "mysql://u@h/db")
    assert main(["migrate"]) == 2
    assert "database.url" in capsys.readouterr().err
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/no/such/dir/x.db")
    assert main(["import-roster", str(ROSTER)]) == 2
    assert "无法使用数据库" in capsys.readouterr().err


@pytest.mark.slow
def test_a_confirmed_quarter_is_read_back_not_recomputed(cli, database_url, tmp_path):
    """After confirmation the roster may change (people leave); the quarter's results must not."""
    from bot.rules.domain import AssessmentStatus, Tier
    from storage.models import Assessment, ResultRecord

    assert cli("import-roster", ROSTER)[0] == 0
    assert cli("import-ballots", "2026Q3", BALLOTS)[0] == 0
    assert cli("close-rating", "2026Q3")[0] == 0

    async def confirm() -> None:
        database = Database(database_url)
        try:
            async with database.session() as session:
                assessment = (await session.execute(select(Assessment))).scalar_one()
                assessment.status = AssessmentStatus.CONFIRMED
                for row in (await session.execute(select(ResultRecord))).scalars():
                    row.final_tier = row.proposed_tier or (None if row.exempt_reasons else Tier.FAIR)
        finally:
            await database.dispose()

    asyncio.run(confirm())
    rows = list(csv.reader(ROSTER.open(encoding="utf-8-sig")))
    for row in rows:
        if row[0] == "周明远":
            row[14] = "否"
    left = tmp_path / "left.csv"
    with left.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    assert cli("import-roster", left)[0] == 0
    before = snapshot(database_url)["result"]
    _code, out = cli("results", "2026Q3", "--format", "json")
    data = json.loads(out)
    names = {r["name"]: r for r in data["ratees"]}
    assert "周明远" in names and names["周明远"]["final_tier"] == "good"
    assert data["quota"]["civil_servant"]["tiered"] == 19
    assert snapshot(database_url)["result"] == before
    _code, table = cli("results", "2026Q3")
    assert "已审定" in table
