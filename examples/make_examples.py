"""Writes the worked quarter's files (roster, 2026Q3 paper ballots): deterministic, for the README and tests.

Run from the project root: python examples/make_examples.py
The bureau below is fictional: 3 leaders, 34 staff in 3 sections (one has left), both categories.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUARTER = "2026Q3"
COMMON = [("政治素质", 20), ("职业道德", 20), ("工作作风", 20), ("廉洁自律", 20), ("出勤情况", 20)]
TEMPLATES = {
    "科室负责人": [
        ("履职能力", 20),
        ("决策能力", 20),
        ("工作作风与思路", 20),
        ("学习与管理运用", 20),
        ("组织协调", 20),
    ],
    "窗口工作人员": [
        ("业务能力", 17),
        ("答疑解惑", 17),
        ("应变处理", 17),
        ("服务态度", 17),
        ("服务承诺落实", 16),
        ("工作纪律", 16),
    ],
    "工作人员": [
        ("岗位职责与任务完成", 20),
        ("工作质量", 20),
        ("工作效率", 20),
        ("学习与创新", 20),
        ("协作配合", 20),
    ],
}
ROSTER_HEADER = [
    "姓名",
    "性别",
    "出生年月",
    "政治面貌",
    "任现职时间",
    "参加工作时间",
    "职务",
    "人员身份类别",
    "科室",
    "角色",
    "分管科室",
    "试用期满日期",
    "处分开始日期",
    "处分结束日期",
    "在职",
]
BALLOT_HEADER = ["季度", "评分人", "被评人", "指标类别", "指标", "满分", "得分"]

# (name, gender, birth, party, category, role, quality); quality in 0..1 drives the scores.
SECTIONS = {
    "综合科": [
        ("周明远", "男", "1982-04", "中共党员", "公务员", "科室负责人", 0.93),
        ("吴晓燕", "女", "1986-09", "中共党员", "公务员", "工作人员", 0.92),
        ("郑海涛", "男", "1990-01", "中共党员", "公务员", "工作人员", 0.91),
        ("冯雪梅", "女", "1988-06", "群众", "公务员", "工作人员", 0.84),
        ("陈立新", "男", "1979-11", "中共党员", "公务员", "工作人员", 0.78),
        ("褚文静", "女", "1993-03", "共青团员", "事业单位人员", "工作人员", 0.96),
        ("卫国强", "男", "1985-12", "中共党员", "事业单位人员", "工作人员", 0.72),
        ("蒋春华", "女", "1991-07", "中共党员", "公务员", "工作人员", 0.80),
        ("沈嘉怡", "女", "1998-05", "共青团员", "公务员", "工作人员", 0.88),  # probation: exempt
        ("韩志刚", "男", "1976-02", "中共党员", "公务员", "工作人员", 0.58),
    ],
    "行政审批科": [
        ("杨建华", "男", "1980-08", "中共党员", "公务员", "科室负责人", 0.94),
        ("朱丽娟", "女", "1987-10", "中共党员", "公务员", "工作人员", 0.90),
        ("秦思远", "男", "1992-12", "中共党员", "公务员", "工作人员", 0.89),
        ("尤佳琪", "女", "1994-04", "共青团员", "公务员", "工作人员", 0.87),
        ("许振东", "男", "1983-09", "中共党员", "公务员", "工作人员", 0.70),
        ("何美玲", "女", "1989-02", "群众", "事业单位人员", "工作人员", 0.95),
        ("吕文博", "男", "1990-06", "中共党员", "事业单位人员", "工作人员", 0.76),
        ("施玉兰", "女", "1984-08", "中共党员", "公务员", "工作人员", 0.82),
        ("张伟", "男", "1988-03", "中共党员", "公务员", "工作人员", 0.86),  # only two peer ballots
        ("孔德明", "男", "1981-05", "中共党员", "公务员", "工作人员", 0.74),
        ("曹晓红", "女", "1995-11", "共青团员", "事业单位人员", "工作人员", 0.81),
    ],
    "政务服务科": [
        ("严立军", "男", "1978-07", "中共党员", "公务员", "科室负责人", 0.88),  # no supervisor ballot
        ("华静怡", "女", "1992-02", "中共党员", "事业单位人员", "窗口工作人员", 0.94),
        ("金晓峰", "男", "1991-09", "群众", "事业单位人员", "窗口工作人员", 0.93),
        ("魏红梅", "女", "1993-10", "中共党员", "事业单位人员", "窗口工作人员", 0.90),  # tie
        ("陶思琪", "女", "1996-01", "共青团员", "事业单位人员", "窗口工作人员", 0.90),  # tie
        ("姜海燕", "女", "1989-12", "中共党员", "事业单位人员", "窗口工作人员", 0.79),
        ("戚志强", "男", "1987-04", "群众", "事业单位人员", "窗口工作人员", 0.69),
        ("谢丽萍", "女", "1990-08", "中共党员", "公务员", "窗口工作人员", 0.83),
        ("邹国栋", "男", "1985-03", "中共党员", "公务员", "窗口工作人员", 0.77),
        ("喻小雨", "女", "1997-06", "共青团员", "事业单位人员", "窗口工作人员", 0.66),
        ("柏文涛", "男", "1986-11", "中共党员", "公务员", "窗口工作人员", 0.55),
        ("水晓琳", "女", "1994-09", "共青团员", "事业单位人员", "窗口工作人员", 0.75),
    ],
}
LEADERS = [
    ("赵建国", "男", "1970-05", "中共党员", "主要领导", "局长", ""),
    ("钱卫东", "男", "1973-08", "中共党员", "分管领导", "副局长", "综合科、行政审批科"),
    ("孙丽华", "女", "1975-03", "中共党员", "分管领导", "副局长", "政务服务科"),
]
LEFT = ("李振华", "男", "1984-01", "中共党员", "公务员", "行政审批科", "工作人员")
PROBATION = "沈嘉怡"
FEW_PEERS = "张伟"
NO_SUPERVISOR_BALLOT = "严立军"
TIE = ("魏红梅", "陶思琪")


def roster_rows() -> list[list[str]]:
    rows = []
    for name, gender, birth, party, role_name, title, supervises in LEADERS:
        rows.append(
            [
                name,
                gender,
                birth,
                party,
                "2018-03",
                "1992-07",
                title,
                "公务员",
                "",
                role_name,
                supervises,
                "",
                "",
                "",
                "是",
            ]
        )
    for section, people in SECTIONS.items():
        for name, gender, birth, party, category, role, _q in people:
            title = "科长" if role == "科室负责人" else ("窗口科员" if role == "窗口工作人员" else "科员")
            joined = f"{int(birth[:4]) + 23}-07"
            probation = "2026-12-31" if name == PROBATION else ""
            rows.append(
                [
                    name,
                    gender,
                    birth,
                    party,
                    joined if name == PROBATION else "2021-01",
                    joined,
                    title,
                    category,
                    section,
                    role,
                    "",
                    probation,
                    "",
                    "",
                    "是",
                ]
            )
    name, gender, birth, party, category, section, role = LEFT
    rows.append(
        [
            name,
            gender,
            birth,
            party,
            "2019-05",
            "2008-07",
            "科员",
            category,
            section,
            role,
            "",
            "",
            "",
            "",
            "否",
        ]
    )
    return rows


def ballot_rows() -> list[list[str | int]]:
    rows: list[list[str | int]] = []
    principal, *supervisors = LEADERS
    supervising = {s[0]: s[6].split("、") for s in supervisors}
    for section, people in SECTIONS.items():
        names = [p[0] for p in people]
        for ratee in people:
            name, *_rest, role, quality = ratee
            raters = [principal[0]]
            raters += [
                leader
                for leader, sections in supervising.items()
                if section in sections and name != NO_SUPERVISOR_BALLOT
            ]
            peers = [n for n in names if n != name]
            if name == FEW_PEERS:
                peers = peers[:2]
            raters += peers
            for rater in raters:
                # The tied pair get the very same scores from everyone (and from each other).
                seed_name = TIE[0] if name in TIE else name
                seed_rater = TIE[0] if rater in TIE else rater
                rng = random.Random(f"{QUARTER}|{seed_rater}|{seed_name}")
                for part, items in (("共性指标", COMMON), ("个性指标", TEMPLATES[role])):
                    for item, most in items:
                        share = min(1.0, max(0.0, rng.gauss(quality, 0.04)))
                        rows.append([QUARTER, rater, name, part, item, most, round(most * share)])
    return rows


def write(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def main() -> None:
    roster = roster_rows()
    write(HERE / "roster.csv", ROSTER_HEADER, roster)
    bad = [list(r) for r in roster]
    bad[5][2] = "1986-13"  # line 7: no such month
    write(HERE / "roster-one-bad-row.csv", ROSTER_HEADER, bad)
    ballots = ballot_rows()
    write(HERE / f"ballots-{QUARTER}.csv", BALLOT_HEADER, ballots)
    print(f"roster: {len(roster)} people; ballots: {len(ballots)} rows")


if __name__ == "__main__":
    main()
