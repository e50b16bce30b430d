"""One rounding for every score shown: half up to rules.score_places, in every view (SPEC 5)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from bot.rendering import render, score
from bot.rules.scoring import shown_score
from tests.conftest import EXAMPLES

RATEE = "周明远"
# four peers whose ballots score 69, 69, 69 and 69.5: the peer score is 69.125 exactly
PEERS = {"吴晓燕": 69, "郑海涛": 69, "冯雪梅": 69, "陈立新": 70}
COMMON = {69: [14, 14, 14, 14, 13], 70: [14, 14, 14, 14, 14]}
INDIVIDUAL = [14, 14, 14, 14, 13]  # 69 of 100


def ballots(path) -> None:
    """The example's principal and supervisor ballots for RATEE, and the four peers' above."""
    with (EXAMPLES / "ballots-2026Q3.csv").open(encoding="utf-8-sig") as handle:
        rows = [r for r in csv.DictReader(handle) if r["被评人"] == RATEE]
    header = list(rows[0])
    out = [r for r in rows if r["评分人"] in ("赵建国", "钱卫东")]
    template = [r for r in rows if r["评分人"] == "吴晓燕"]
    for rater, common in PEERS.items():
        points = COMMON[common] + INDIVIDUAL
        out += [{**r, "评分人": rater, "得分": str(p)} for r, p in zip(template, points, strict=True)]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(out)


def test_the_one_rounding_is_half_up():
    assert shown_score(Decimal("69.125"), 2) == Decimal("69.13")
    assert shown_score(Decimal("69.124999"), 2) == Decimal("69.12")
    assert shown_score(Decimal("69.125"), 0) == Decimal("69") and shown_score(None, 2) is None


def test_chat_texts_show_a_score_half_up():
    """Chat shows ballot scores and composites through the templates' one `score` filter."""
    assert score(Decimal("69.125")) == "69.13" and score(Decimal("84.625")) == "84.63"
    ratee = type("Ratee", (), {"name": RATEE})()
    text = render(
        "chat/leaders/ballot_review.j2",
        ratee=ratee,
        section="综合科",
        items=[],
        score=Decimal("69.125"),
        note="",
    )
    assert "测评得分：69.13" in text


def test_a_group_score_of_69_125_shows_as_69_13_in_every_view(cli, tmp_path):
    paper = tmp_path / "ballots.csv"
    ballots(paper)
    assert cli("import-roster", EXAMPLES / "roster.csv")[0] == 0
    code, printed = cli("import-ballots", "2026Q3", paper)
    assert code == 0, printed
    code, printed = cli("close-rating", "2026Q3")  # nothing scored is shown while ballots are accepted
    assert code == 0, printed

    code, table = cli("results", "2026Q3")  # the command line's table
    assert code == 0, table
    (line,) = [x for x in table.splitlines() if RATEE in x]
    assert "69.13(4)" in line and "69.12" not in line

    code, text = cli("results", "2026Q3", "--format", "csv")  # the results CSV
    assert code == 0, text
    (row,) = [r for r in csv.DictReader(io.StringIO(text)) if r["姓名"] == RATEE]
    assert row["群众评分"] == "69.13"

    out = tmp_path / "out"
    code, printed = cli("export", "2026Q3", "-o", out, "--only", "filing")  # the filing workbook
    assert code == 0, printed
    cells = []
    for path in out.rglob("*.xlsx"):
        sheet = load_workbook(path).active
        cells += [row for row in sheet.iter_rows(values_only=True) if RATEE in row]
    (cells,) = cells
    assert 69.13 in cells and 69.12 not in cells, cells
