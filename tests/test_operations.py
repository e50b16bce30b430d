"""Operating the bot: backup while it writes and restore to equal tables, the health check's verdicts."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.cli.commands import main
from bot.ops.health import record_tick
from bot.rules.domain import Quarter
from bot.settings import load_settings
from bot.workflow.quarter import compute_and_store
from storage.database import Database
from storage.migrate import upgrade
from storage.models import OutboxMessage, utcnow
from storage.repository import Repository
from tests.chat import import_roster
from tests.conftest import EXAMPLES, _pg_admin
from tests.dbsnapshot import snapshot


async def fill(url: str) -> None:
    """The example roster, a computed quarter (results, audit log) and a few outbox rows."""
    database = Database(url)
    try:
        await import_roster(database, EXAMPLES / "roster.csv")
        async with database.session() as session:
            await compute_and_store(
                Repository(session), load_settings(database={"url": url}), Quarter(2026, 3), "test"
            )
            for i in range(5):
                session.add(OutboxMessage(key=f"k{i}", kind="test", chat_id=1000 + i, text=f"消息{i}"))
    finally:
        await database.dispose()


def run_cli(monkeypatch, capsys, url: str, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("DATABASE_URL", url)
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture
def restore_target(database_url: str, tmp_path: Path):
    """An empty database of the same kind to restore into."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore not installed")
    name = f"{make_url(database_url).database}_restored"
    asyncio.run(_pg_admin(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_pg_admin(database_url, f'CREATE DATABASE "{name}"'))
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    yield url
    asyncio.run(_pg_admin(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.mark.slow
def test_backup_and_restore_give_back_every_row(database_url, restore_target, tmp_path, monkeypatch, capsys):
    asyncio.run(fill(database_url))
    code, out = run_cli(monkeypatch, capsys, database_url, "backup", "--to", str(tmp_path / "backups"))
    assert code == 0, out
    [backup] = (tmp_path / "backups").iterdir()
    assert str(backup) in out and not backup.name.endswith(".part")
    code, out = run_cli(monkeypatch, capsys, restore_target, "restore", str(backup))
    assert code == 0, out
    original, restored = snapshot(database_url), snapshot(restore_target)
    assert restored == original
    assert len(original["person"]) == 37 and len(original["outbox"]) == 5 and original["result"]
    # once it holds data, a second restore needs --force
    code, out = run_cli(monkeypatch, capsys, restore_target, "restore", str(backup))
    assert code == 1 and "--force" in out
    code, out = run_cli(monkeypatch, capsys, restore_target, "restore", "--force", str(backup))
    assert code == 0, out
    assert snapshot(restore_target) == original
    code, out = run_cli(monkeypatch, capsys, restore_target, "health")
    assert "结构版本" in out and "最新" in out  # migrated; exit 1 only because no scheduler ticked here


def test_sqlite_backup_while_the_bot_writes_takes_the_wal_and_leaves_out_the_uncommitted(
    sqlite_template, tmp_path, monkeypatch, capsys
):
    live = tmp_path / "live.db"
    shutil.copy(sqlite_template, live)
    url = f"sqlite:///{live}"
    asyncio.run(fill(url))
    writer = sqlite3.connect(live, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint=0")  # committed rows stay in the -wal file, as under load
    writer.execute(
        "INSERT INTO outbox (key, kind, chat_id, text, status, attempts, not_before, created_at) "
        "SELECT 'in-wal', kind, chat_id, text, status, 0, not_before, created_at FROM outbox LIMIT 1"
    )
    writer.execute("BEGIN IMMEDIATE")  # a write transaction open during the backup
    writer.execute("UPDATE outbox SET text = 'uncommitted' WHERE key = 'k0'")
    assert Path(f"{live}-wal").stat().st_size > 0
    code, out = run_cli(monkeypatch, capsys, url, "backup", "--to", str(tmp_path / "copy.db"))
    assert code == 0, out
    writer.execute("ROLLBACK")
    writer.close()
    copy = sqlite3.connect(tmp_path / "copy.db")
    keys = dict(copy.execute("SELECT key, text FROM outbox").fetchall())
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    copy.close()
    assert "in-wal" in keys and keys["k0"] == "消息0"
    assert not Path(f"{tmp_path / 'copy.db'}-wal").exists()
    assert snapshot(f"sqlite:///{tmp_path / 'copy.db'}") == snapshot(url)
    # the file is not overwritten, and a file that is no backup is refused before anything is touched
    code, out = run_cli(monkeypatch, capsys, url, "backup", "--to", str(tmp_path / "copy.db"))
    assert code == 1 and "已存在" in out
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 100)
    target = tmp_path / "target.db"
    code, out = run_cli(monkeypatch, capsys, f"sqlite:///{target}", "restore", str(junk))
    assert code == 1 and not target.exists(), out


def test_health_names_each_problem_and_exits_1(sqlite_template, tmp_path, monkeypatch, capsys):
    path = tmp_path / "h.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    code, out = run_cli(monkeypatch, capsys, url, "health", "--json")
    assert (code, json.loads(out)["problems"]) == (1, ["tick"])  # the bot never ran its scheduler
    asyncio.run(_tick(url))
    code, out = run_cli(monkeypatch, capsys, url, "health")
    assert code == 0 and out.startswith("正常"), out
    asyncio.run(_old_outbox_row(url))
    code, out = run_cli(monkeypatch, capsys, url, "health", "--json")
    report = json.loads(out)
    assert (code, report["problems"], report["pending"]) == (1, ["backlog"], 1)
    monkeypatch.setenv("ASSESSMENT_HEALTH__MAX_BACKLOG_SECONDS", "7200")
    code, out = run_cli(monkeypatch, capsys, url, "health")
    assert code == 0, out
    old = tmp_path / "old.db"
    upgrade(f"sqlite:///{old}", "0002")
    code, out = run_cli(monkeypatch, capsys, f"sqlite:///{old}", "health")
    assert code == 1 and "python -m bot migrate" in out
    code, out = run_cli(monkeypatch, capsys, f"sqlite:///{tmp_path}/no/such/dir/x.db", "health", "--json")
    assert (code, json.loads(out)["problems"]) == (1, ["database"])


async def _tick(url: str) -> None:
    database = Database(url)
    await record_tick(database)
    await database.dispose()


async def _old_outbox_row(url: str) -> None:
    database = Database(url)
    async with database.session() as session:
        hour_ago = utcnow() - dt.timedelta(hours=1)
        session.add(OutboxMessage(key="stuck", kind="test", chat_id=1, text="卡住", not_before=hour_ago))
    await database.dispose()


@pytest.mark.slow
async def test_the_health_port_follows_the_scheduler_heartbeat(tmp_path, sqlite_template):
    """The running bot's GET /health: 200 once the scheduler has ticked, 503 when the tick is too old."""
    import aiohttp

    from tests.botprocess import free_port
    from tests.chat import at, running_bot

    path = tmp_path / "live.db"
    shutil.copy(sqlite_template, path)
    port = free_port()
    health = {"port": port, "max_tick_age_seconds": 2}
    async with (
        running_bot(f"sqlite:///{path}", at(2026, 9, 30), schedule={"tick_seconds": 60}, health=health),
        aiohttp.ClientSession() as http,
    ):

        async def get() -> tuple[int, dict]:
            async with http.get(f"http://127.0.0.1:{port}/health") as response:
                return response.status, await response.json()

        async def until(status: int, bound: float = 60.0) -> dict:
            """/health's body once it answers `status`, within a generous bound (a busy machine)."""
            loop = asyncio.get_running_loop()
            deadline = loop.time() + bound
            while True:
                answer, body = await get()
                if answer == status:
                    return body
                if loop.time() > deadline:
                    raise AssertionError(f"no {status} from /health within {bound} s: {answer} {body}")
                await asyncio.sleep(0.1)

        ticked = await until(200)  # the first tick comes a second after the start, the next in a minute
        assert ticked["ok"] and ticked["last_tick"] and ticked["problems"] == []
        stale = await until(503)  # two seconds later the heartbeat is too old
        assert stale["problems"] == ["tick"] and stale["tick_age_seconds"] > 2
        assert stale["last_tick"] == ticked["last_tick"]
