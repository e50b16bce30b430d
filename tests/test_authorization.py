"""The authorization matrix: every command, button kind and input mode × every kind of user.

The commands come from the registered Application, the button kinds from the button registry and the
input modes from theirs, so a command added later is in the matrix at once, and a test fails until it
has its row in the expectations below. Allowed ones reach their handler; refused ones get the
template's answer and leave every table as it was. A peer's ballot is read by nobody.
"""

from __future__ import annotations

import json
import secrets

import pytest
from sqlalchemy import select, update
from telegram.ext import CommandHandler

from bot.rendering import render
from bot.rules.roles import Access
from handlers.buttons import REGISTRY
from handlers.inputs import MODES
from handlers.start import GROUP_POINTERS
from storage.models import ButtonRecord, ChatState, OutboxMessage, Person
from tests.authz import (
    changed_tables,
    forge_press,
    one_turn,
    release_rows_connection,
    small_roster,
    table_rows,
    turn_log,
    until,
)
from tests.chat import ADMIN, GROUP, at, bind_everyone, import_roster, running_bot

pytestmark = pytest.mark.slow

A = Access
# Every command: the access its handler declares. A new command fails test_every_command_has_a_row.
COMMANDS: dict[str, Access] = {
    "start": A.ANYONE,
    "help": A.ANYONE,
    "me": A.BOUND,
    "summary": A.RATEE,
    "goals": A.RATEE,
    "registration": A.RATEE,
    "objection": A.BOUND,
    "feedback": A.RATEE,
    "review": A.REVIEWER,
    "rate": A.RATER,
    "status": A.ADMIN,
    "invite": A.ADMIN,
    "open": A.ADMIN,
    "extend": A.ADMIN,
    "close": A.ADMIN,
    "remind": A.ADMIN,
    "affirm": A.ADMIN,
    "veto": A.ADMIN,
    "exempt": A.ADMIN,
    "leave": A.ADMIN,
    "raters": A.ADMIN,
    "results": A.LEADERSHIP,
    "confirm": A.ADMIN,
    "change": A.ADMIN,
    "publish": A.ADMIN,
    "objections": A.ADMIN,
    "resolve": A.ADMIN,
    "calendar": A.ADMIN,
    "admins": A.ADMIN,
    "firstmonth": A.ADMIN,
    "export": A.ADMIN,
    "bindgroup": A.ADMIN,  # binds in the group; privately it says so
}
# Every button kind: its access, a payload of the kind's shape naming nothing that exists (so an
# allowed press reaches the action and is turned down there, changing nothing), and an argument.
BUTTONS: dict[str, tuple[Access, dict, str]] = {
    "close_rating": (A.ADMIN, {"quarter": "2019Q1"}, "ok"),
    "confirm_results": (A.ADMIN, {"quarter": "2019Q1"}, "ok"),
    "publish": (A.ADMIN, {"quarter": "2019Q1"}, "ok"),
    "close_publicity": (A.ADMIN, {"quarter": "2019Q1"}, "ok"),
    "review_summary": (A.REVIEWER, {"id": 999_999, "stamp": 1}, "ok"),
    "review_registration": (A.REVIEWER, {"id": 999_999, "stamp": 1}, "ok"),
    "review_goals": (A.REVIEWER, {"id": 999_999, "stamp": 1}, "ok"),
    "page": (A.ANYONE, {"pages": ["一", "二"], "admin": False}, "1"),
    "rate_list": (A.RATER, {"assessment_id": 999_999}, "p0"),
    "ballot": (A.RATER, {"ballot_id": 999_999}, "s0.1"),
    "summary_edit": (A.RATEE, {"id": 999_999}, "submit"),
    "registration_edit": (A.RATEE, {"id": 999_999}, "submit"),
    "summary_month": (A.RATEE, {"months": [[2019, 1]]}, "0"),
    "goals": (A.RATEE, {"assessment_id": 999_999}, "template"),
    "feedback": (A.RATEE, {"quarter": "2019Q1"}, "ok"),
    "export_kind": (A.ADMIN, {}, "no_such_record"),
    "export_period": (A.ADMIN, {"kind": "form2", "periods": []}, "0"),
    "status_chart": (A.ADMIN, {}, "ok"),
    "chase": (A.ADMIN, {"kind": "goals", "period": "2019Q1"}, "ok"),
    "reinvite": (A.ADMIN, {}, "ok"),
    "asking": (A.BOUND, {"mode": "objection"}, "cancel"),
    "upload": (A.ADMIN, {"kind": "no_such_kind", "file": "x.csv"}, "yes"),
}
# Every input mode (what free text means): its access and a payload naming nothing that exists.
MODES_EXPECTED: dict[str, tuple[Access, dict]] = {
    "summary": (A.RATEE, {"id": 999_999}),
    "registration": (A.RATEE, {"id": 999_999}),
    "goals": (A.RATEE, {"goal_id": 999_999, "items": []}),
    "objection": (A.BOUND, {"assessment_id": 999_999}),
    "feedback": (A.RATEE, {"assessment_id": 999_999}),
    "return_opinion": (A.REVIEWER, {"kind": "summary", "id": 999_999, "stamp": 1}),
    "approve_comment": (A.REVIEWER, {"kind": "summary", "id": 999_999, "stamp": 1}),
}

# The kinds of user. Who each access admits is written out here, not taken from bot.rules.roles.
STRANGER, REVOKED = 777_000_001, 777_000_002
PEOPLE = {
    "staff": "吴晓燕",
    "head": "周明远",
    "supervisor": "钱卫东",
    "principal": "赵建国",
    "removed": "陈立新",
}
PRIVATE_KINDS = ("stranger", "staff", "head", "supervisor", "principal", "admin", "removed", "revoked_admin")
STRANGERS = {"stranger", "removed", "revoked_admin"}  # a deactivated person is a stranger to the bot
ADMITS: dict[Access, set[str]] = {
    A.ANYONE: set(PRIVATE_KINDS),
    A.BOUND: {"staff", "head", "supervisor", "principal"},
    A.RATER: {"staff", "head", "supervisor", "principal"},
    A.RATEE: {"staff", "head"},
    A.REVIEWER: {"head", "supervisor", "principal"},
    A.LEADERSHIP: {"supervisor", "principal", "admin"},
    A.ADMIN: {"admin"},
}
# The peer's ballot whose points nobody else may read: 吴晓燕 rates her colleague 冯雪梅.
PEER, PEER_RATEE = "吴晓燕", "冯雪梅"
PEER_POINTS = [7, 9, 5, 8, 8, 13, 6, 11, 9, 7]  # common 37, individual 46: ballot 41.5
PEER_SCORE = "41.5"


def registered(application) -> dict[str, tuple[object, set[str]]]:
    """Each command's private handler (else its group one) and where it is registered."""
    found: dict[str, tuple[object, set[str]]] = {}
    for group in application.handlers.values():
        for handler in group:
            if isinstance(handler, CommandHandler):
                where = "private" if "PRIVATE" in repr(handler.filters) else "group"
                for name in handler.commands:
                    callback, places = found.get(name, (handler.callback, set()))
                    found[name] = (handler.callback if where == "private" else callback, places | {where})
    return found


def test_every_command_button_and_mode_has_a_row():
    from bot.app import build_application
    from bot.settings import load_settings

    application = build_application(load_settings(telegram={"token": "1:x"}))
    commands = registered(application)
    assert set(commands) == set(COMMANDS), "a command without a row in COMMANDS (or a row too many)"
    for name, (callback, _places) in commands.items():
        assert callback.access is COMMANDS[name], name
    assert set(REGISTRY) == set(BUTTONS), "a button kind without a row in BUTTONS (or a row too many)"
    for kind, (access, _fn) in REGISTRY.items():
        assert access is BUTTONS[kind][0], kind
    assert set(MODES) == set(MODES_EXPECTED), "an input mode without a row (or a row too many)"
    for mode, (access, _fn) in MODES.items():
        assert access is MODES_EXPECTED[mode][0], mode
    # nothing else reaches a handler without run_turn's access check
    for group in application.handlers.values():
        for handler in group:
            assert hasattr(handler.callback, "access"), handler


def served(command: str, kind: str, where: str) -> bool:
    if where == "group":  # a group-only command sent in private is an unknown command to everyone
        return False
    if COMMANDS[command] is A.ANYONE:  # /start and /help answer strangers with how to get an invite
        return kind not in STRANGERS
    return kind in ADMITS[COMMANDS[command]]


def refusal_text(command: str, kind: str, where: str) -> str:
    if kind in STRANGERS:
        return render("chat/errors/stranger.j2")
    if where == "group":
        return render("chat/errors/unknown_command.j2", command=f"/{command}")
    return render("chat/errors/not_allowed.j2")


class Matrix:
    """The running bureau, its users by kind, and the checks every row makes."""

    def __init__(self, bureau, log) -> None:
        self.bureau, self.log = bureau, log
        self.users = {kind: bureau.user(name) for kind, name in PEOPLE.items()}
        self.users.update(stranger=STRANGER, admin=ADMIN, revoked_admin=REVOKED)
        self.rows = 0
        self.refusals = 0
        self.last: dict | None = None

    def moved(self) -> None:
        """Something that may change rows ran: the next refusal reads them afresh."""
        self.last = None

    async def quiet(self) -> None:
        await self.bureau.settle()

    async def refused_changes_nothing(self, what, act, expected: str, *, alert: bool | None = None):
        if self.last is None:
            await self.quiet()  # every update taken, the outbox empty: nothing else moves the rows
            self.last = await table_rows(self.bureau)
        before = self.last  # the rows after the last refusal, when nothing else ran since
        turn, text, shown_alert = await act()  # the turn has ended: its answers are sent
        after = self.last = await table_rows(self.bureau)
        assert text == expected, (what, text)
        if alert is not None:
            assert shown_alert is alert, what
        assert turn.outcome in ("refused", "rejected"), (what, turn)
        assert not changed_tables(before, after), (what, changed_tables(before, after))
        self.refusals += 1

    def command(self, kind: str, name: str, args: str = "", chat_id: int | None = None):
        user = self.users[kind]

        async def act():
            chat = user if chat_id is None else chat_id
            count = len(self.bureau.driver.bot_messages(chat))
            turn = await one_turn(
                self.log, lambda: self.bureau.driver.send_command(user, name, args, chat_id=chat_id)
            )
            new = self.bureau.driver.bot_messages(chat)[count:]
            return turn, new[0].text if new else None, None

        return act

    def press(self, kind: str, data: str, **where):
        user = self.users[kind]

        async def act():
            query = None

            def go():
                nonlocal query
                query = forge_press(self.bureau, user, data, **where)

            turn = await one_turn(self.log, go)
            await until(lambda: query.answered, 5, "the callback answer")
            return turn, query.text, query.show_alert

        return act

    def document(self, kind: str, name: str, data: bytes):
        user = self.users[kind]

        async def act():
            count = len(self.bureau.driver.bot_messages(user))
            turn = await one_turn(self.log, lambda: self.bureau.driver.send_document(user, name, data))
            new = self.bureau.driver.bot_messages(user)[count:]
            return turn, new[0].text if new else None, None

        return act

    def text(self, kind: str, text: str):
        user = self.users[kind]

        async def act():
            count = len(self.bureau.driver.bot_messages(user))
            turn = await one_turn(self.log, lambda: self.bureau.driver.send_text(user, text))
            new = self.bureau.driver.bot_messages(user)[count:]
            return turn, new[0].text if new else None, None

        return act


async def rate_by_buttons(bureau, name: str, ratee: str, points: list[int]) -> None:
    user = bureau.user(name)
    listing = await bureau.command(user, "rate")
    while True:
        found = [b for row in listing.buttons for b in row if b["text"].lstrip("✎ ") == ratee]
        if found:
            break
        _a, listing = await bureau.press(user, listing, "下一页")
    _a, screen = await bureau.press(user, listing, data=found[0]["callback_data"])
    for value in points:
        _a, screen = await bureau.press(user, screen, str(value))
    assert "提交" in [b["text"] for row in screen.buttons for b in row], screen.text
    answer, _screen = await bureau.press(user, screen, "提交")
    assert ratee in (answer.text or ""), answer


async def deactivate(bureau, name: str) -> None:
    async with bureau.services.database.session() as session:
        await session.execute(update(Person).where(Person.name == name).values(active=False))


# A small bureau: the leaders, these people, and someone in each supervised section.
BUREAU = ["周明远", "吴晓燕", "郑海涛", "冯雪梅", "陈立新", "杨建华", "严立军"]


async def test_authorization_matrix(database_url, database, tmp_path):
    small_roster(tmp_path / "roster.csv", BUREAU)
    await import_roster(database, tmp_path / "roster.csv")
    async with running_bot(database_url, at(2026, 10, 14, 9, 30)) as bureau:
        await bind_everyone(bureau)
        driver = bureau.driver
        for user_id, name in ((STRANGER, "Stranger"), (REVOKED, "Former admin")):
            driver.add_user(user_id, name)
        await bureau.command(ADMIN, "admins", f"grant {REVOKED}")
        await bureau.command(ADMIN, "admins", f"revoke {REVOKED}")
        await deactivate(bureau, PEOPLE["removed"])
        driver.add_group(GROUP, "工作群", [ADMIN, bureau.user(PEOPLE["staff"])])
        assert "测评" in (await bureau.command(ADMIN, "open", "rating")).text  # the third quarter's
        assert "个性指标" in (await bureau.command(ADMIN, "open", "goals")).text  # the fourth's
        await bureau.settle()
        await rate_by_buttons(bureau, PEER, PEER_RATEE, PEER_POINTS)
        await rate_by_buttons(bureau, "赵建国", PEER_RATEE, [20] * 10)
        await bureau.command(bureau.user("郑海涛"), "summary")
        preview = await bureau.text(bureau.user("郑海涛"), "整理档案")
        await bureau.press(bureau.user("郑海涛"), preview, "提交")  # the head gets 通过 / 退回
        await bureau.command(bureau.user(PEOPLE["staff"]), "summary")
        await bureau.text(bureau.user(PEOPLE["staff"]), "完成一项审批")  # a draft with its buttons
        for user_id in (STRANGER, REVOKED, bureau.user(PEOPLE["removed"])):
            await bureau.command(user_id, "start")  # so each has a chat with a message of the bot

        with turn_log(bureau) as log:
            matrix = Matrix(bureau, log)
            commands = registered(bureau.application)

            # 1. every command × every kind of user, in private
            for name, (_callback, places) in commands.items():
                where = "private" if "private" in places else "group"
                for kind in PRIVATE_KINDS:
                    matrix.rows += 1
                    if served(name, kind, where):
                        matrix.moved()
                        await matrix.quiet()  # no message of an earlier row can pass for this answer
                        turn, text, _alert = await matrix.command(kind, name)()
                        assert turn.outcome in ("ok", "rejected"), (name, kind, turn)
                        assert text not in (
                            render("chat/errors/not_allowed.j2"),
                            render("chat/errors/stranger.j2"),
                        ), (name, kind, text)
                    else:
                        await matrix.refused_changes_nothing(
                            (name, kind), matrix.command(kind, name), refusal_text(name, kind, where)
                        )

            # 2. every command in the group, by a staff member and by the admin: nothing changes, and
            # nothing is said there but the same pointer to the private chat for /help and /objection,
            # and for the admin's /bindgroup, which binds the group
            matrix.moved()
            in_group = {"staff": bureau.user(PEOPLE["staff"]), "admin": ADMIN}
            said: list[str] = []  # the pointers, so far
            for name, (_callback, places) in commands.items():
                where = "group" if "group" in places else "private"
                for kind, user in in_group.items():
                    if name == "bindgroup" and kind == "admin":
                        continue
                    if name in GROUP_POINTERS:
                        matrix.rows += 1
                        await bureau.settle()
                        before = await table_rows(bureau)
                        pointer = await bureau.command(user, name, chat_id=GROUP)
                        assert pointer.text == render(
                            "chat/group/private_only.j2", bot=bureau.application.bot.username, command=name
                        )
                        await bureau.settle()
                        assert not changed_tables(before, await table_rows(bureau)), (name, kind)
                        said.append(pointer.text)
                        matrix.last = None
                        continue
                    matrix.rows += 1
                    if matrix.last is None:
                        await bureau.settle()
                    before = matrix.last or await table_rows(bureau)
                    if where == "group":
                        turn = await one_turn(
                            log,
                            lambda: driver.send_command(user, name, chat_id=GROUP),  # noqa: B023
                        )
                        assert turn.outcome == "refused", (name, kind)
                    else:
                        driver.send_command(user, name, chat_id=GROUP)
                        await driver.wait_until_confirmed()
                    await bureau.settle()
                    assert [m.text for m in driver.bot_messages(GROUP)] == said, (name, kind)
                    matrix.last = await table_rows(bureau)
                    assert not changed_tables(before, matrix.last), (name, kind)
            matrix.moved()
            bound = await bureau.command(ADMIN, "bindgroup", chat_id=GROUP)
            assert bound.text == render("chat/group/bound.j2", title="工作群")

            # 3. every button kind × every kind of user: a button of that kind held by the user himself
            not_allowed = render("chat/errors/not_allowed.j2")
            for kind_name, (access, payload, arg) in BUTTONS.items():
                for kind in PRIVATE_KINDS:
                    matrix.rows += 1
                    matrix.moved()
                    token = await _add_button(bureau, kind_name, matrix.users[kind], payload)
                    data = f"{token}:{arg}"
                    if kind in ADMITS[access]:
                        turn, text, _alert = await matrix.press(kind, data)()
                        assert turn.outcome in ("ok", "rejected"), (kind_name, kind, turn)
                        assert text != not_allowed, (kind_name, kind)
                    else:
                        await matrix.refused_changes_nothing(
                            (kind_name, kind), matrix.press(kind, data), not_allowed, alert=True
                        )

            # 3b. pages drawn for a command are turned only by who that command admits now (a leader
            # whose leadership ended keeps his /results pages but can turn them no more)
            for needed in (A.LEADERSHIP, A.ADMIN):
                for kind in PRIVATE_KINDS:
                    matrix.rows += 1
                    matrix.moved()
                    payload = {"pages": ["一", "二"], "admin": False, "access": needed.value}
                    data = f"{await _add_button(bureau, 'page', matrix.users[kind], payload)}:1"
                    if kind in ADMITS[needed]:
                        turn, text, _alert = await matrix.press(kind, data)()
                        assert turn.outcome == "ok" and text != not_allowed, (needed, kind, turn)
                    else:
                        await matrix.refused_changes_nothing(
                            (needed, kind), matrix.press(kind, data), not_allowed, alert=True
                        )

            # 4. the real buttons the bot has shown, pressed by anyone but their owner: refused
            matrix.moved()
            foreign = render("chat/errors/button_foreign.j2")
            real = await _real_buttons(bureau)
            assert {"rate_list", "ballot", "goals", "summary_edit", "review_summary", "page"} <= {
                k for k, *_ in real
            }
            for kind_name, owner, chat_id, message_id, data in real:
                for kind in PRIVATE_KINDS:
                    if matrix.users[kind] == owner:
                        continue
                    matrix.rows += 1
                    await matrix.refused_changes_nothing(
                        (kind_name, kind),
                        matrix.press(kind, data, chat_id=chat_id, message_id=message_id),
                        foreign,
                        alert=True,
                    )

            # 5. every input mode × every kind of user: free text in that mode
            for mode, (access, payload) in MODES_EXPECTED.items():
                for kind in PRIVATE_KINDS:
                    matrix.rows += 1
                    matrix.moved()
                    await _set_mode(bureau, matrix.users[kind], mode, payload)
                    if kind in ADMITS[access] and kind not in STRANGERS:
                        turn, text, _alert = await matrix.text(kind, "一条说明")()
                        assert turn.outcome in ("ok", "rejected"), (mode, kind, turn)
                        assert text not in (not_allowed, render("chat/errors/stranger.j2")), (mode, kind)
                    else:
                        expected = render(
                            "chat/errors/stranger.j2" if kind in STRANGERS else "chat/errors/not_allowed.j2"
                        )
                        await matrix.refused_changes_nothing(
                            (mode, kind), matrix.text(kind, "一条说明"), expected
                        )
                    await _clear_mode(bureau, matrix.users[kind])

            # 6. a file (a roster) from every kind of user: only an admin's is taken, and downloaded
            roster = (tmp_path / "roster.csv").read_bytes()
            downloads = len(driver.requests_for("getFile"))
            for kind in PRIVATE_KINDS:
                matrix.rows += 1
                matrix.moved()
                if kind == "admin":
                    turn, text, _alert = await matrix.document(kind, "名册.csv", roster)()
                    assert turn.outcome == "ok" and text == render(
                        "chat/admin/upload_received.j2", file="名册.csv"
                    )
                    await bureau.expect(ADMIN, "花名册《名册.csv》", timeout=20)
                    continue
                expected = render(
                    "chat/errors/stranger.j2" if kind in STRANGERS else "chat/errors/file_not_accepted.j2",
                    admin=False,
                )
                await matrix.refused_changes_nothing(
                    ("document", kind), matrix.document(kind, "名册.csv", roster), expected
                )
            assert len(driver.requests_for("getFile")) == downloads + 1  # the admin's file only

            print(f"matrix: {matrix.rows} rows, {matrix.refusals} refusals checked")
            assert matrix.refusals >= 4 * len(commands)  # the refusals really ran (338 today)

            # 7. the peer's ballot: after rating closes and results are computed, everyone's every
            # command and every message the bot wrote name the ratee without the ballot's score
            close = await bureau.command(ADMIN, "close", "rating")
            await bureau.press(ADMIN, close, data=close.buttons[0][0]["callback_data"])
            await bureau.settle()
            for name, (_callback, places) in commands.items():
                where = "private" if "private" in places else "group"
                for kind in PRIVATE_KINDS:
                    if served(name, kind, where) and name not in ("invite", "remind"):
                        await matrix.command(kind, name)()
            results = await bureau.command(ADMIN, "results")
            # SPEC 5: one peer ballot is held back, not counted: the composite is the principal's alone
            assert f"{PEER_RATEE}（综合科）100.00" in results.text and "群众票不足" in results.text
            await bureau.settle()
            await _nobody_reads_the_peer_ballot(bureau)
            assert not [t for t in log.turns if t.outcome == "error"], "a handler failed"
            assert not log.errors, [r.getMessage() for r in log.errors]
            await release_rows_connection(bureau)


async def _add_button(bureau, kind: str, owner: int, payload: dict) -> str:
    token = secrets.token_urlsafe(9)
    async with bureau.services.database.session() as session:
        session.add(ButtonRecord(token=token, kind=kind, owner_id=owner, payload=json.dumps(payload)))
    return token


async def _set_mode(bureau, user_id: int, mode: str, payload: dict) -> None:
    async with bureau.services.database.session() as session:
        await session.merge(ChatState(telegram_user_id=user_id, mode=mode, payload=json.dumps(payload)))


async def _clear_mode(bureau, user_id: int) -> None:
    async with bureau.services.database.session() as session:
        state = await session.get(ChatState, user_id)
        if state is not None:
            await session.delete(state)


async def _real_buttons(bureau) -> list[tuple[str, int, int, int, str]]:
    """One button of each message with buttons in a private chat: (kind, owner, chat, message, data)."""
    state = bureau.driver.state
    shown = []
    for chat_id, messages in state.messages.items():
        if chat_id < 0:
            continue
        for message in messages:
            view = bureau.driver.message(chat_id, message.message_id)
            if message.sender is state.bot and view.buttons:
                shown.append((chat_id, message.message_id, view.buttons[0][0]["callback_data"]))
    async with bureau.services.database.session() as session:
        records = {
            r.token: r
            for r in (
                await session.scalars(
                    select(ButtonRecord).where(ButtonRecord.token.in_([d.split(":")[0] for *_x, d in shown]))
                )
            ).all()
        }
    found, kinds = [], set()
    for chat_id, message_id, data in shown:
        record = records.get(data.split(":")[0])
        if record is None or record.owner_id is None or record.used_at is not None:
            continue
        if record.kind in kinds:
            continue
        kinds.add(record.kind)
        found.append((record.kind, record.owner_id, chat_id, message_id, data))
    return found


async def _nobody_reads_the_peer_ballot(bureau) -> None:
    state = bureau.driver.state
    rater = bureau.user(PEER)
    texts = []
    for chat_id, messages in state.messages.items():
        if chat_id == rater:
            continue
        texts += [(chat_id, m.text or m.caption or "") for m in messages if m.sender is state.bot]
    texts += [(q.user.id, q.text or "") for q in state.callback_queries.values() if q.user.id != rater]
    async with bureau.services.database.session() as session:
        texts += [
            (m.chat_id, m.text)
            for m in (await session.scalars(select(OutboxMessage))).all()
            if m.chat_id != rater
        ]
    assert any(PEER_RATEE in text for _chat, text in texts)
    leaks = [(chat, text[:200]) for chat, text in texts if PEER_SCORE in text]
    assert not leaks, leaks
