"""`python -m bot demo` as the README runs it: exits 0, shows the group's notice, files the records."""

import re
import shutil
import subprocess
import sys

import pytest
from docx import Document

import bot.cli
from bot.cli.ops_commands import unusable_folder
from tests.conftest import ROOT


def test_the_demo_refuses_a_folder_holding_anything_and_deletes_nothing(cli, tmp_path, monkeypatch):
    """Refused before the demo is even loaded: the folder's files stay, exit code 2, a Chinese reason."""
    monkeypatch.delattr(bot.cli, "demo", raising=False)
    monkeypatch.setitem(sys.modules, "bot.cli.demo", None)  # loading the demo would raise ImportError
    folder = tmp_path / "mine"
    folder.mkdir()
    kept = folder / "notes.txt"
    kept.write_text("mine", encoding="utf-8")
    (folder / "sub").mkdir()
    code, out = cli("demo", "-o", folder)
    assert code == 2 and f"演示未开始：文件夹 {folder} 不是空的。演示不会删除或覆盖其中已有的任何文件。" in (
        out
    )
    monkeypatch.chdir(folder)  # `demo -o .` in a working folder with files
    code, out = cli("demo", "-o", ".")
    assert code == 2 and "演示未开始：文件夹 . 不是空的" in out
    code, out = cli("demo", "-o", kept)
    assert code == 2 and f"演示未开始：{kept} 是一个文件，不是文件夹。" in out
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt", "sub"] and kept.read_text() == "mine"
    # an empty or absent folder is taken (the demo makes the absent one); the check itself makes nothing
    assert unusable_folder(folder / "sub") is None and unusable_folder(tmp_path / "new") is None
    assert not (tmp_path / "new").exists()


@pytest.mark.slow
def test_the_demo_plays_a_quarter_and_prints_the_publicity_notice(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "-o", str(tmp_path / "demo")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert (
        "本局工作群看到的公示" in out
        and "【公示】" in out
        and "公示期：2026年10月21日至2026年10月23日 18:00" in out
    )
    assert "主要领导在评分表上评分" in out and "纸质测评票导入356张" not in out
    assert (tmp_path / "demo" / "results-2026Q3.xlsx").exists()
    assert (tmp_path / "demo" / "demo.db").exists()
    records = tmp_path / "demo" / "records"
    for month in (7, 8, 9):  # Form 1: everyone's summary of each month, as handed in through chat
        forms = sorted((records / f"2026年{month}月干部职工月工作小结").glob("*.docx"))
        assert len(forms) == 33
    table = Document(forms[0]).tables[0]
    assert table.rows[3].cells[1].text.split("\n")[:2] == ["1. 完成9月审批事项", "2. 参加业务培训"]
    assert "审核人：" in table.rows[4].cells[1].text
    good = {
        line.split("（")[0]
        for line in out.split("【公示】", 1)[1].split("本季度")[0].splitlines()[2:]
        if line
    }
    registrations = sorted((records / "2026年第三季度干部职工平时考核登记表").glob("*.docx"))
    sentences = {}
    for path in registrations:
        cells = Document(path).tables[0].rows
        sentences[cells[0].cells[1].text] = cells[5].cells[1].text.split("\n")
    assert {n for n, lines in sentences.items() if lines[0] == "经研究，评定为“好”等次。"} == good
    assert all(lines[-1] == "2026年10月20日" for lines in sentences.values())  # the day of confirmation
    assert "督查指导科在对话中用 /export 收到登记表" in out
    if shutil.which("libreoffice"):  # as the annexes: one A4 page per person (PDF pages counted)
        pdf = tmp_path / "pdf"
        subprocess.run(
            [
                "libreoffice",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(pdf),
                str(forms[0]),
                str(registrations[0]),
            ],
            capture_output=True,
            timeout=180,
            check=True,
        )
        pages = {p.name: len(re.findall(rb"/Type\s*/Page(?!s)", p.read_bytes())) for p in pdf.glob("*.pdf")}
        assert len(pages) == 2 and set(pages.values()) == {1}, pages
