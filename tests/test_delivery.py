"""The outbox sender against a stand-in that enforces Telegram's limits: no 429, RetryAfter waited out,
unreachable people marked once, network errors retried."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.delivery import Pacer
from bot.rules.domain import OutboxStatus
from standin import Limits, scaled, time_factor
from storage.models import OutboxMessage, Person
from storage.repository import Repository
from tests.chat import ADMIN, Bureau, at, import_roster, running_bot
from tests.conftest import EXAMPLES

REAL_LIMITS = {
    "delivery": {"per_second": 28, "per_chat_interval": 1.05, "group_per_minute": 19},
    "schedule": {"tick_seconds": 0},
}


def open_chats(bureau: Bureau, user_ids) -> None:
    """Users who pressed Start long ago (without sending the bot an update now)."""
    for user_id in user_ids:
        bureau.driver.add_user(user_id, f"U{user_id}")
        bureau.driver.state.users[user_id].opened = True


async def queue(bureau: Bureau, rows: list[tuple[str, int, int | None]]) -> None:
    async with bureau.services.database.session() as session:
        for key, chat_id, person_id in rows:
            session.add(
                OutboxMessage(key=key, kind="test", chat_id=chat_id, person_id=person_id, text=f"消息 {key}")
            )
    bureau.services.outbox_wakeup.set()


async def statuses(bureau: Bureau) -> Counter:
    async with bureau.services.database.session() as session:
        rows = await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        return Counter({status: n for status, n in rows})


async def wait_drained(bureau: Bureau, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + scaled(timeout)
    while (await statuses(bureau))[OutboxStatus.PENDING]:
        assert loop.time() < deadline, await statuses(bureau)
        await asyncio.sleep(0.1)


def test_the_pacer_keeps_every_window_under_its_limit():
    pacer = Pacer(per_second=28, per_chat_interval=1.05, group_per_minute=19)
    now, sent = 0.0, []
    chats = [i % 7 for i in range(300)] + [-100] * 40  # some chats many times, and a group
    for chat in chats:
        now = max(now, pacer.ready_at(chat))
        pacer.sent(chat, now)
        sent.append((now, chat))
    for i, (t, _chat) in enumerate(sent):
        assert sum(1 for u, _c in sent[i:] if u < t + 1.0) <= 30
    for chat in {c for c in chats if c > 0}:  # a private chat: one message a second at most
        times = [t for t, c in sent if c == chat]
        assert all(b - a >= 1.0 for a, b in itertools.pairwise(times)), chat
    group = [t for t, chat in sent if chat == -100]
    for i, t in enumerate(group):
        assert sum(1 for u in group[i:] if u < t + 60.0) <= 20


@pytest.mark.slow
async def test_a_thousand_message_broadcast_meets_no_429(tmp_path):
    """Telegram's real limits on both sides (SQLite only: the limit tested is Telegram's, not the DB's)."""
    from storage.migrate import upgrade_async

    url = f"sqlite:///{tmp_path}/broadcast.db"
    await upgrade_async(url)
    async with running_bot(url, at(2026, 9, 30), limits=Limits(), **REAL_LIMITS) as bureau:
        users = list(range(700_000_001, 700_001_001))
        open_chats(bureau, users)
        started = asyncio.get_running_loop().time()
        await queue(bureau, [(f"b:{u}", u, None) for u in users])
        await wait_drained(bureau, timeout=90)
        elapsed = asyncio.get_running_loop().time() - started
        sends = [r for r in bureau.driver.requests_for("sendMessage")]
        assert Counter(r.status for r in sends) == Counter({200: 1000})
        assert all(len(bureau.driver.bot_messages(u)) == 1 for u in users)
        # Near Telegram's 30/s on an idle machine; a busy one raises STANDIN_TIME_FACTOR and the floor with
        # it (the figure itself is the broadcast benchmark's: python -m bench).
        assert 1000 / elapsed >= 0.8 * 30 / time_factor(), f"{1000 / elapsed:.1f} messages/s"


async def test_a_429_is_waited_out_and_the_message_sent_once(database_url, database):
    async with running_bot(database_url, at(2026, 9, 30), limits=Limits()) as bureau:
        open_chats(bureau, [700_000_001, 700_000_002])
        bureau.driver.retry_after_next("sendMessage", 2)
        started = asyncio.get_running_loop().time()
        await queue(bureau, [("a", 700_000_001, None), ("b", 700_000_002, None)])
        await wait_drained(bureau, timeout=15)
        sends = bureau.driver.requests_for("sendMessage")
        assert [r.status for r in sends] == [429, 200, 200]
        assert sends[1].time - sends[0].time >= 2.0
        assert asyncio.get_running_loop().time() - started >= 2.0
        assert [len(bureau.driver.bot_messages(u)) for u in (700_000_001, 700_000_002)] == [1, 1]


async def test_network_errors_are_retried(database_url, database):
    async with running_bot(database_url, at(2026, 9, 30)) as bureau:
        open_chats(bureau, [700_000_001])
        bureau.driver.fail_next("sendMessage", 502)
        await queue(bureau, [("a", 700_000_001, None)])
        await wait_drained(bureau, timeout=15)
        assert [r.status for r in bureau.driver.requests_for("sendMessage")] == [502, 200]
        assert len(bureau.driver.bot_messages(700_000_001)) == 1


async def test_blocked_and_never_opened_are_marked_and_the_admins_told_once(database_url, database):
    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, at(2026, 9, 30)) as bureau:
        open_chats(bureau, [700_000_001])
        bureau.driver.state.users[ADMIN].opened = True
        async with bureau.services.database.session() as session:
            people = (await session.scalars(select(Person).order_by(Person.id).limit(2))).all()
            people[0].telegram_user_id, people[1].telegram_user_id = 700_000_001, 700_000_002
            ids = [p.id for p in people]
        bureau.driver.block(700_000_001)
        bureau.driver.add_user(700_000_002, "Never")  # never pressed Start
        await queue(
            bureau, [("a1", 700_000_001, ids[0]), ("a2", 700_000_001, ids[0]), ("b", 700_000_002, ids[1])]
        )
        await wait_drained(bureau, timeout=15)
        assert (await statuses(bureau))[OutboxStatus.UNREACHABLE] == 3
        told = [m.text for m in bureau.driver.bot_messages(ADMIN)]
        assert (
            len(told) == 2
            and any("屏蔽" in t for t in told)
            and any("尚未与机器人开始对话" in t for t in told)
        )
        async with bureau.services.database.session() as session:
            marked = (await session.scalars(select(Person).where(Person.id.in_(ids)))).all()
            assert all(p.unreachable_since is not None for p in marked)


async def test_a_row_that_cannot_be_built_fails_without_blocking_the_chat(database_url, database):
    async with running_bot(database_url, at(2026, 9, 30)) as bureau:
        open_chats(bureau, [700_000_001])
        async with bureau.services.database.session() as session:
            session.add(
                OutboxMessage(
                    key="bad", kind="test", chat_id=700_000_001, text="坏", reply_markup="{not json"
                )
            )
            session.add(OutboxMessage(key="good", kind="test", chat_id=700_000_001, text="好"))
        bureau.services.outbox_wakeup.set()
        await wait_drained(bureau, timeout=15)
        assert (await statuses(bureau)) == Counter({OutboxStatus.FAILED: 1, OutboxStatus.SENT: 1})
        assert [m.text for m in bureau.driver.bot_messages(700_000_001)] == ["好"]


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the backend plays no part here
async def test_a_timed_out_send_is_retried_and_delivered_once(database_url, database):
    """The Bot API does not answer within PTB's 5 s read timeout (and did nothing): tried again later."""
    async with running_bot(database_url, at(2026, 9, 30)) as bureau:
        open_chats(bureau, [700_000_001, 700_000_002])
        bureau.driver.fail_next("sendMessage", 500, delay=6.0)
        await queue(bureau, [("slow", 700_000_001, None), ("next", 700_000_002, None)])
        await bureau.driver.wait_for(lambda: bureau.driver.bot_messages(700_000_002), timeout=10)
        await wait_drained(bureau, timeout=20)
        assert [len(bureau.driver.bot_messages(u)) for u in (700_000_001, 700_000_002)] == [1, 1]
        async with bureau.services.database.session() as session:
            attempts = dict((await session.execute(select(OutboxMessage.key, OutboxMessage.attempts))).all())
        assert attempts == {"slow": 2, "next": 1}
        assert (await statuses(bureau)) == Counter({OutboxStatus.SENT: 2})


async def test_a_run_of_server_errors_is_caught_up_without_duplicates(database_url, database):
    users = list(range(700_000_001, 700_000_021))
    async with running_bot(database_url, at(2026, 9, 30)) as bureau:
        open_chats(bureau, users)
        bureau.driver.fail_next("sendMessage", 502, times=4)
        bureau.driver.fail_next("sendMessage", 500, times=2)
        await queue(bureau, [(f"r{u}", u, None) for u in users])
        await wait_drained(bureau, timeout=20)
        sends = Counter(r.status for r in bureau.driver.requests_for("sendMessage"))
        assert sends == Counter({200: 20, 502: 4, 500: 2})
        assert all(len(bureau.driver.bot_messages(u)) == 1 for u in users)
        assert (await statuses(bureau)) == Counter({OutboxStatus.SENT: 20})


def long_text(parts: int) -> str:
    """A text that goes as `parts` messages, one line each, every part named by its first characters."""
    return "\n".join(f"第{i}段" + "文" * 3500 for i in range(1, parts + 1))


async def test_a_failed_part_is_retried_without_resending_the_parts_before_it(database_url, database):
    """A 502 on part 3 of 7: the retry goes on with part 3, the reviewer gets 7 messages in order."""
    async with running_bot(database_url, at(2026, 9, 30)) as bureau:
        open_chats(bureau, [700_000_001])
        bureau.driver.fail_next("sendMessage", 502, after=2)
        async with bureau.services.database.session() as session:
            session.add(OutboxMessage(key="long", kind="test", chat_id=700_000_001, text=long_text(7)))
        bureau.services.outbox_wakeup.set()
        await wait_drained(bureau, timeout=30)
        sends = [r.status for r in bureau.driver.requests_for("sendMessage")]
        assert sends == [200, 200, 502, 200, 200, 200, 200, 200]
        texts = [m.text for m in bureau.driver.bot_messages(700_000_001)]
        assert [t[: t.index("段") + 1] for t in texts] == [f"第{i}段" for i in range(1, 8)]
        async with bureau.services.database.session() as session:
            row = (await session.scalars(select(OutboxMessage))).one()
        assert (row.status, row.parts_sent) == (OutboxStatus.SENT, 7)


@pytest.mark.parametrize("failing", [2, 5], ids=["recording-part-2", "marking-sent"])
async def test_a_database_blip_while_recording_neither_ends_nor_repeats_the_message(
    database_url, database, monkeypatch, failing
):
    """The commit that records part 2 of 5 (or the one marking the row sent) fails once as a lost
    connection: the row stays pending and goes on later, each part arriving once, in order."""
    real_get = Repository.get
    calls = 0

    async def get(self, model, key, **kwargs):
        nonlocal calls
        if model is OutboxMessage:
            calls += 1
            if calls == failing:
                raise OperationalError("UPDATE outbox", {}, ConnectionResetError("connection lost"))
        return await real_get(self, model, key, **kwargs)

    monkeypatch.setattr(Repository, "get", get)
    async with running_bot(database_url, at(2026, 9, 30)) as bureau:
        open_chats(bureau, [700_000_001])
        async with bureau.services.database.session() as session:
            session.add(OutboxMessage(key="long", kind="test", chat_id=700_000_001, text=long_text(5)))
        bureau.services.outbox_wakeup.set()
        await wait_drained(bureau, timeout=30)
        assert calls > failing  # the blip happened, and the sender went on after it
        texts = [m.text for m in bureau.driver.bot_messages(700_000_001)]
        assert [t[: t.index("段") + 1] for t in texts] == [f"第{i}段" for i in range(1, 6)]
        async with bureau.services.database.session() as session:
            row = (await session.scalars(select(OutboxMessage))).one()
        assert (row.status, row.parts_sent) == (OutboxStatus.SENT, 5)
        await queue(bureau, [("after", 700_000_001, None)])  # the sender lives on
        await wait_drained(bureau, timeout=15)
        assert bureau.driver.bot_messages(700_000_001)[-1].text == "消息 after"
