"""The Bot API stand-in against PTB's real Bot and Application over HTTP: Telegram's answers and errors."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import re
import socket
import struct
import subprocess
import sys
import urllib.parse
import urllib.request
import zlib
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonDefault,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from standin import DriverError, Limits, StandIn, scaled

TOKEN = "123:ABC"
ANN, BEN, CAI = 1001, 1002, 1003
GROUP = -1009


class FakeClock:
    """The stand-in's clock for flood limits and callback expiry, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def _timedelta_durations(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 reports durations (RetryAfter.retry_after) as timedelta without a deprecation warning."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def api() -> AsyncIterator[StandIn]:
    async with StandIn(TOKEN) as stand_in:
        yield stand_in


def make_bot(stand_in: StandIn, token: str = TOKEN, **request: float) -> Bot:
    return Bot(
        token,
        base_url=stand_in.base_url,
        base_file_url=stand_in.base_file_url,
        request=HTTPXRequest(**request) if request else None,
    )


@pytest.fixture
async def bot(api: StandIn) -> AsyncIterator[Bot]:
    async with make_bot(api) as the_bot:
        yield the_bot


@contextlib.asynccontextmanager
async def running(stand_in: StandIn, *handlers: BaseHandler) -> AsyncIterator[Application]:
    """A real PTB Application polling the stand-in; any handler error fails the test."""
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(stand_in.base_url)
        .base_file_url(stand_in.base_file_url)
        .build()
    )
    for handler in handlers:
        application.add_handler(handler)
    errors: list[BaseException] = []

    async def record(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(context.error or RuntimeError("unknown handler error"))

    application.add_error_handler(record)
    async with application:
        await application.start()
        await application.updater.start_polling(poll_interval=0)
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()
    if errors:
        raise errors[0]


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# -- the bot, tokens, methods ---------------------------------------------------------------------


async def test_get_me_is_the_bot_of_the_token(api: StandIn, bot: Bot):
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123, True, "assessment_test_bot")
    assert api.bot_user["username"] == "assessment_test_bot"
    assert me.can_read_all_group_messages is False  # privacy mode, as bots have by default


async def test_wrong_token_raises_invalid_token(api: StandIn):
    for token in ("123:WRONG", "999:ABC"):
        with pytest.raises(InvalidToken):
            async with make_bot(api, token):  # initialize() calls getMe
                pass
    assert [r.status for r in api.driver.requests] == [401, 401]


async def test_raw_answers_and_parameter_encodings(api: StandIn):
    api.driver.add_user(ANN, "Ann")
    api.driver.send_text(ANN, "hi")
    base = f"{api.base_url}{TOKEN}"
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/noSuchMethod") as response:
            assert response.status == 404
            assert await response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with session.get(f"{api.base_url}123:WRONG/getMe") as response:
            assert await response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        async with session.get(f"{base}/GETME") as response:  # method names are case-insensitive
            assert (await response.json())["result"]["id"] == 123
        keyboard = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}
        async with session.post(
            f"{base}/sendMessage", json={"chat_id": ANN, "text": "json body", "reply_markup": keyboard}
        ) as response:
            answer = await response.json()
            assert answer["ok"] is True and answer["result"]["reply_markup"] == keyboard
        async with session.get(
            f"{base}/sendMessage", params={"chat_id": str(ANN), "text": "query"}
        ) as response:
            assert (await response.json())["result"]["text"] == "query"
        async with session.post(
            f"{base}/sendMessage",
            data={"chat_id": str(ANN), "text": "form", "reply_markup": json.dumps(keyboard)},
        ) as response:
            assert (await response.json())["result"]["reply_markup"] == keyboard
        async with session.post(f"{base}/sendMessage", data={"chat_id": "abc", "text": "x"}) as response:
            assert response.status == 400
            assert (await response.json())["description"] == "Bad Request: chat not found"
    assert [m.content for m in api.driver.bot_messages(ANN)] == ["json body", "query", "form"]


# -- a conversation through a real Application ----------------------------------------------------


async def test_start_reaches_the_handler_and_the_reply_is_in_history():
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(f"Welcome, {update.effective_user.first_name}: {context.args}")

    async with StandIn(TOKEN, limits=Limits()) as api:  # Telegram's real limits: a conversation stays under
        d = api.driver
        d.add_user(ANN, "Ann", username="ann", language_code="zh-hans")
        async with running(api, CommandHandler("start", start)):
            sent = d.send_command(ANN, "/start", "invite-42")
            reply = await d.wait_for_bot_message(ANN)
        assert reply.text == "Welcome, Ann: ['invite-42']"
        history = d.history(ANN)
        assert [(m.from_bot, m.content) for m in history] == [
            (False, "/start invite-42"),
            (True, "Welcome, Ann: ['invite-42']"),
        ]
        assert history[0].entities == [{"type": "bot_command", "offset": 0, "length": 6}]
        assert history[0].message_id == sent.message_id < reply.message_id
        assert d.last_bot_message(ANN) == reply
        assert not [r for r in d.requests if r.status == 429]


async def test_a_button_press_is_answered_once(api: StandIn, bot: Bot):
    async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Agree", callback_data="vote:yes")]])
        await update.message.reply_text("Do you agree?", reply_markup=keyboard)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer(f"Recorded {query.data}", show_alert=True)
        await query.edit_message_text("Thank you")

    d = api.driver
    d.add_user(ANN, "Ann")
    async with running(api, CommandHandler("ask", ask), CallbackQueryHandler(pressed)):
        d.send_command(ANN, "ask")
        question = await d.wait_for_bot_message(ANN)
        assert question.callback_data("Agree") == "vote:yes"
        query_id = d.press(ANN, question, label="Agree")
        answer = await d.wait_for_callback_answer(query_id)
        edited = await d.wait_for_edit(ANN, question.message_id)
    assert (answer.text, answer.show_alert, answer.data, answer.user_id) == (
        "Recorded vote:yes",
        True,
        "vote:yes",
        ANN,
    )
    assert d.callback_answers[query_id] == answer
    assert (edited.text, edited.edits, edited.reply_markup) == (
        "Thank you",
        1,
        None,
    )  # the keyboard went with it
    with pytest.raises(
        BadRequest, match="Query is too old and response timeout expired or query id is invalid"
    ):
        await bot.answer_callback_query(query_id, text="again")
    with pytest.raises(DriverError):
        d.press(ANN, question, "vote:yes")  # the keyboard is gone: nothing to press


async def test_a_late_answer_to_a_button_press_is_refused():
    clock = FakeClock()
    async with StandIn(TOKEN, clock=clock, callback_expiry=15) as api, make_bot(api) as bot:
        d = api.driver
        d.add_user(ANN, "Ann")
        d.send_text(ANN, "hi")
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
        message = await bot.send_message(ANN, "Press", reply_markup=markup)
        first = d.press(ANN, message.message_id, "go")
        second = d.press(ANN, message.message_id, "go")
        updates = await bot.get_updates()
        assert [u.callback_query.id for u in updates if u.callback_query] == [first, second]
        assert updates[-1].callback_query.message.message_id == message.message_id
        clock.advance(14.5)
        assert await bot.answer_callback_query(first) is True
        clock.advance(1)
        with pytest.raises(BadRequest, match="Query is too old"):
            await bot.answer_callback_query(second)
        assert d.callback_query(second).answered is False


async def test_a_web_app_button_is_kept_for_the_test_to_read(api: StandIn, bot: Bot):
    d = api.driver
    d.add_user(ANN, "Ann")
    d.send_text(ANN, "hi")
    form = "https://forms.example.org/ballot?quarter=2026Q3"
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("打开评分表", web_app=WebAppInfo(form))],
            [InlineKeyboardButton("Later", callback_data="later")],
        ]
    )
    sent = await bot.send_message(ANN, "Rate in the form", reply_markup=keyboard)
    assert sent.reply_markup.inline_keyboard[0][0].web_app.url == form
    view = d.last_bot_message(ANN)
    assert view.web_app_url("打开评分表") == form
    assert view.buttons[0] == [{"text": "打开评分表", "web_app": {"url": form}}]
    assert view.callback_data("Later") == "later"
    with pytest.raises(DriverError):
        d.press(ANN, view, label="打开评分表")  # it opens the Web App: no callback query
    with pytest.raises(DriverError):
        view.web_app_url("Later")
    edited = await bot.edit_message_text(
        "Rate in the form, please", chat_id=ANN, message_id=sent.message_id, reply_markup=keyboard
    )
    assert edited.reply_markup.inline_keyboard[0][0].web_app.url == form
    plain_http = InlineKeyboardMarkup([[InlineKeyboardButton("Open", web_app=WebAppInfo("http://x.org"))]])
    with pytest.raises(
        BadRequest, match=r"(?i)web app url 'http://x\.org' is invalid: only https links are allowed"
    ):
        await bot.send_message(ANN, "x", reply_markup=plain_http)
    d.add_group(GROUP, "Group", [ANN])
    with pytest.raises(BadRequest, match="Button_type_invalid"):  # Web Apps open from private chats only
        await bot.send_message(GROUP, "x", reply_markup=keyboard)
    assert len(d.bot_messages(GROUP)) == 0


async def test_the_menu_button_and_a_mini_app_opened_with_signed_init_data(api: StandIn, bot: Bot):
    d = api.driver
    d.add_user(ANN, "Ann", username="ann")
    d.send_text(ANN, "hi")
    sheet = "https://bot.example.gov.cn/sheet"
    assert d.menu_button(ANN) == {"type": "commands"}
    assert await bot.set_chat_menu_button(ANN, MenuButtonWebApp("评分表", WebAppInfo(sheet)))
    assert d.menu_button(ANN) == {"type": "web_app", "text": "评分表", "web_app": {"url": sheet}}
    assert (await bot.get_chat_menu_button(ANN)).web_app.url == sheet
    with pytest.raises(BadRequest, match=r"(?i)button_url_invalid"):
        await bot.set_chat_menu_button(ANN, MenuButtonWebApp("评分表", WebAppInfo("http://x.org")))
    assert await bot.set_chat_menu_button(ANN, MenuButtonDefault())
    assert d.menu_button(ANN) == {"type": "commands"}

    opened = d.open_web_app(ANN, sheet, auth_date=1_790_000_000)
    url, _, fragment = opened.partition("#")
    assert url == sheet
    launch = dict(urllib.parse.parse_qsl(fragment))
    assert launch["tgWebAppVersion"] and json.loads(launch["tgWebAppThemeParams"])["bg_color"]
    fields = dict(urllib.parse.parse_qsl(launch["tgWebAppData"]))
    assert json.loads(fields["user"])["id"] == ANN and fields["auth_date"] == "1790000000"

    def signed_with(token: str) -> bool:  # Telegram's documented check, written out here
        check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")
        key = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
        return hmac.compare_digest(hmac.new(key, check.encode(), hashlib.sha256).hexdigest(), fields["hash"])

    assert signed_with(TOKEN) and not signed_with("123:XYZ")
    fields = dict(urllib.parse.parse_qsl(d.init_data(ANN, token="123:XYZ")))
    assert signed_with("123:XYZ") and not signed_with(TOKEN)  # a forger's token
    with pytest.raises(DriverError):
        d.open_web_app(BEN, sheet)  # no such user


# -- edits and text rules ------------------------------------------------------------------------


async def test_edit_in_place_and_not_modified(api: StandIn, bot: Bot):
    d = api.driver
    d.add_user(ANN, "Ann")
    d.send_text(ANN, "hello")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    sent = await bot.send_message(ANN, "Draft", reply_markup=markup)
    edited = await bot.edit_message_text(
        "Final", chat_id=ANN, message_id=sent.message_id, reply_markup=markup
    )
    assert edited.message_id == sent.message_id and edited.edit_date is not None
    history = d.history(ANN)
    assert len(history) == 2 and (history[1].text, history[1].edits) == ("Final", 1)
    with pytest.raises(BadRequest, match="Message is not modified: specified new message content"):
        await bot.edit_message_text("Final", chat_id=ANN, message_id=sent.message_id, reply_markup=markup)
    await bot.edit_message_text("Final", chat_id=ANN, message_id=sent.message_id)  # the keyboard goes
    assert d.message(ANN, sent.message_id).reply_markup is None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Final", chat_id=ANN, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=ANN, message_id=999)
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("x", chat_id=ANN, message_id=history[0].message_id)


async def test_texts_are_checked_like_telegram(api: StandIn, bot: Bot):
    d = api.driver
    d.add_user(ANN, "Ann")
    d.send_text(ANN, "hi")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(ANN, "")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(ANN, " \n\t ")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(ANN, "x" * 4097)
    assert (await bot.send_message(ANN, "字" * 4096)).text == "字" * 4096
    assert (await bot.send_message(ANN, "😀" * 2048)).text == "😀" * 2048  # 4096 UTF-16 code units
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(ANN, "😀" * 2048 + "x")
    with pytest.raises(
        BadRequest, match="The stand-in does not support parse_mode"
    ):  # plain text only, never silently
        await bot.send_message(ANN, "<b>x</b>", parse_mode="HTML")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(ANN, "x", reply_markup=too_long)
    sent = await bot.send_message(ANN, "  张三 <3 😀x\n")
    assert sent.text == "张三 <3 😀x" and sent.entities == ()
    assert d.last_bot_message(ANN).text == "张三 <3 😀x"
    reply = await bot.send_message(ANN, "re", reply_to_message_id=sent.message_id)
    assert reply.reply_to_message.message_id == sent.message_id
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(ANN, "re", reply_to_message_id=999)


# -- who the bot may write to ---------------------------------------------------------------------


async def test_blocked_user_is_forbidden_and_a_stranger_is_not_found(api: StandIn, bot: Bot):
    d = api.driver
    d.add_user(ANN, "Ann")
    d.add_user(BEN, "Ben")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(BEN, "hello")  # Ben never wrote to the bot
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hello")
    d.send_text(ANN, "hi")
    await bot.send_message(ANN, "hello")
    d.block(ANN)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ANN, "still there?")
    with pytest.raises(DriverError):
        d.send_text(ANN, "typing to a blocked bot")
    d.unblock(ANN)
    await bot.send_message(ANN, "welcome back")
    updates = await bot.get_updates()
    changes = [u.my_chat_member for u in updates if u.my_chat_member]
    assert [(c.old_chat_member.status, c.new_chat_member.status) for c in changes] == [
        ("member", "kicked"),
        ("kicked", "member"),
    ]
    assert [m.content for m in d.bot_messages(ANN)] == ["hello", "welcome back"]
    assert [(r.method, r.chat_id, r.status) for r in d.requests if r.status != 200] == [
        ("sendMessage", BEN, 400),
        ("sendMessage", 424242, 400),
        ("sendMessage", ANN, 403),
    ]


async def test_group_privacy_mode_and_addressed_commands(api: StandIn, bot: Bot):
    async def report(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"report for {update.effective_chat.title}")

    d = api.driver
    d.add_user(ANN, "Ann")
    d.add_user(BEN, "Ben")
    assert d.add_group(GROUP, "Section 1", [ANN, BEN])["title"] == "Section 1"
    async with running(api, CommandHandler("report", report)):
        chatter = d.send_text(ANN, "lunch?", GROUP)
        d.send_command(BEN, "report", chat_id=GROUP, mention=True)
        reply = await d.wait_for_bot_message(GROUP)
        await d.wait_until_confirmed()
    assert chatter.delivered is False  # privacy mode: plain group talk does not reach the bot
    assert d.history(GROUP)[1].text == "/report@assessment_test_bot"
    assert reply.text == "report for Section 1" and reply.reply_to_message_id == 2  # PTB quotes in groups
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(BEN, "hi")  # seen in the group, never opened a private chat
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(ANN, "hi")  # her group talk never reached the bot
    with pytest.raises(DriverError):
        d.send_text(CAI, "not a user yet", GROUP)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(-5, "no such group")
    d.remove_bot(GROUP, ANN)
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await bot.send_message(GROUP, "still here?")
    d.add_group(-2, "Bot is admin", [ANN], bot_admin=True)
    assert d.send_text(ANN, "plain talk", -2).delivered  # an administrator bot reads everything


# -- files ----------------------------------------------------------------------------------------


async def test_documents_and_photos_sent_by_the_bot(api: StandIn, bot: Bot):
    d = api.driver
    d.add_user(ANN, "Ann")
    d.send_text(ANN, "hi")
    content = b"PK\x03\x04 not really a workbook"
    sent = await bot.send_document(ANN, content, filename="results-2026Q3.xlsx", caption=" Q3\n")
    assert sent.document.file_name == "results-2026Q3.xlsx" and sent.document.file_size == len(content)
    assert sent.caption == "Q3"
    view = d.last_bot_message(ANN)
    assert view.document.data == content
    assert view.document.mime_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    again = await bot.send_document(ANN, sent.document.file_id)
    assert again.document.file_unique_id == sent.document.file_unique_id
    photo = await bot.send_photo(ANN, tiny_png(3, 2))
    assert (photo.photo[-1].width, photo.photo[-1].height) == (3, 2)
    stored = d.last_bot_message(ANN).photo
    assert (stored.data, stored.size, stored.file_path.endswith(".jpg")) == (
        tiny_png(3, 2),
        len(tiny_png(3, 2)),
        True,
    )
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await bot.send_photo(ANN, b"not an image")
    with pytest.raises(BadRequest, match="Wrong file identifier/http url specified"):
        await bot.send_document(ANN, "no-such-file-id")
    downloaded = await (await bot.get_file(sent.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == content


async def test_a_users_document_is_downloaded_by_the_bot(api: StandIn):
    async def receive(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        document = update.message.document
        data = await (await document.get_file()).download_as_bytearray()
        digest = hashlib.sha256(data).hexdigest()[:12]
        await update.message.reply_text(f"{document.file_name} {document.mime_type} {len(data)} {digest}")

    d = api.driver
    d.add_user(ANN, "Ann")
    content = "姓名,得分\n张三,90\n".encode()
    async with running(api, MessageHandler(filters.Document.ALL, receive)):
        d.send_document(ANN, "ballots.csv", content, caption="my ballots")
        reply = await d.wait_for_bot_message(ANN)
    assert reply.text == f"ballots.csv text/csv {len(content)} {hashlib.sha256(content).hexdigest()[:12]}"
    assert d.history(ANN)[0].caption == "my ballots"


async def test_get_file_gives_a_users_document_back_byte_for_byte(api: StandIn, bot: Bot):
    d = api.driver
    d.add_user(ANN, "Ann")
    content = b"PK\x03\x04" + bytes(range(256)) * 4
    sent = d.send_document(ANN, "评分表-2026Q3.xlsx", content)
    assert (sent.document.file_name, sent.document.data) == ("评分表-2026Q3.xlsx", content)
    d.send_document(ANN, "notes.bin", b"\x00\x01", caption="raw", mime_type="application/x-raw")
    updates = await bot.get_updates()
    first, second = [u.message for u in updates]
    document = first.document
    assert (document.file_name, document.file_size) == ("评分表-2026Q3.xlsx", len(content))
    assert document.mime_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert (second.document.mime_type, second.caption) == ("application/x-raw", "raw")
    file = await bot.get_file(document.file_id)
    assert file.file_path.endswith(".xlsx") and file.file_size == len(content)
    assert file.file_unique_id == document.file_unique_id
    assert bytes(await file.download_as_bytearray()) == content
    assert bytes(await (await bot.get_file(second.document.file_id)).download_as_bytearray()) == b"\x00\x01"
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("no-such-file")
    d.send_document(ANN, "huge.zip", b"\0" * (20 * 1024 * 1024 + 1))  # the Bot API downloads 20 MB at most
    (huge,) = [u.message.document for u in await bot.get_updates(offset=updates[-1].update_id + 1)]
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(huge.file_id)
    wrong_token = f"{api.base_file_url}123:WRONG/{file.file_path}"
    async with aiohttp.ClientSession() as session, session.get(wrong_token) as response:
        assert response.status == 404
    with pytest.raises(DriverError):
        d.send_document(ANN, "empty.csv", b"")


# -- commands -------------------------------------------------------------------------------------


async def test_commands_are_kept_per_scope_and_language(api: StandIn, bot: Bot):
    d = api.driver
    d.add_user(ANN, "Ann")
    d.send_text(ANN, "hi")
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await bot.set_my_commands(
        [BotCommand("score", "Score")], scope=BotCommandScopeChat(ANN), language_code="zh"
    )
    await bot.set_my_commands([BotCommand("me", "Me")], scope=BotCommandScopeAllPrivateChats())
    assert [c["command"] for c in d.commands()] == ["start", "help"]
    assert d.commands({"type": "chat", "chat_id": ANN}, "zh") == [
        {"command": "score", "description": "Score"}
    ]
    assert d.commands({"type": "chat", "chat_id": ANN}) == []
    assert [c["command"] for c in d.commands({"type": "all_private_chats"})] == ["me"]
    await bot.set_my_commands([])  # an empty list clears the scope's menu
    assert d.commands() == []
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])


# -- getUpdates -----------------------------------------------------------------------------------


async def test_get_updates_offset_limit_long_poll_and_filters(api: StandIn, bot: Bot):
    d = api.driver
    d.add_user(ANN, "Ann")
    for text in ("one", "two", "three"):
        d.send_text(ANN, text)
    first_two = await bot.get_updates(limit=2)
    assert [u.message.text for u in first_two] == ["one", "two"]
    assert len(await bot.get_updates()) == 3  # nothing confirmed yet
    rest = await bot.get_updates(offset=first_two[-1].update_id + 1)
    assert [u.message.text for u in rest] == ["three"] and len(d.pending_updates) == 1
    await bot.get_updates(offset=rest[-1].update_id + 1)
    assert d.pending_updates == []

    loop = asyncio.get_running_loop()
    polling = asyncio.create_task(bot.get_updates(timeout=10))
    await d.wait_for(lambda: d.polling)
    started = loop.time()
    d.send_text(ANN, "wake up")
    woken = await polling
    assert [u.message.text for u in woken] == ["wake up"] and loop.time() - started < 1

    await bot.get_updates(offset=woken[-1].update_id + 1, allowed_updates=["callback_query"])
    assert (
        d.push_update({"message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}}) is None
    )
    await bot.get_updates(allowed_updates=[])  # back to the default set
    odd = {"message_id": 5, "date": 0, "chat": {"id": 9, "type": "private"}, "text": "forged"}
    assert d.push_update({"update_id": 777777, "message": odd}) == 777777
    d.send_text(ANN, "after the forged one")  # ids keep growing past a forged one
    updates = await bot.get_updates()
    assert [u.update_id for u in updates][-2:] == [777777, 777778]


async def test_a_second_poller_ends_the_first_with_conflict(api: StandIn):
    url = f"{api.base_url}{TOKEN}/getUpdates"
    async with aiohttp.ClientSession() as session:
        first = asyncio.create_task(session.post(url, data={"timeout": "10"}))
        await api.driver.wait_for(lambda: api.driver.polling)
        async with session.post(url, data={"timeout": "0"}) as second:
            assert (await second.json())["result"] == []
        response = await first
        assert response.status == 409
        assert (await response.json())["description"].startswith(
            "Conflict: terminated by other getUpdates request"
        )
        response.release()


async def test_a_redelivered_update_reaches_the_handler_again(api: StandIn):
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"got {update.update_id}: {update.message.text}")

    d = api.driver
    d.add_user(ANN, "Ann")
    async with running(api, MessageHandler(filters.TEXT, echo)):
        d.send_text(ANN, "first")
        first = await d.wait_for_bot_message(ANN)
        update_id = int(first.text.split()[1].rstrip(":"))
        d.redeliver(update_id)
        duplicate = await d.wait_for_bot_message(ANN, after=first.message_id)
        d.send_text(ANN, "second")
        second = await d.wait_for_bot_message(ANN)
        await d.wait_until_confirmed()
    assert duplicate.text == first.text == f"got {update_id}: first"
    assert second.text == f"got {update_id + 1}: second"
    assert len(d.bot_messages(ANN)) == 3  # no spurious third delivery


async def test_a_users_edit_arrives_as_edited_message(api: StandIn, bot: Bot):
    d = api.driver
    d.add_user(ANN, "Ann")
    sent = d.send_text(ANN, "score 80")
    d.edit_text(ANN, sent.message_id, "score 85")
    updates = await bot.get_updates()
    assert updates[-1].edited_message.text == "score 85"
    assert updates[-1].edited_message.message_id == sent.message_id
    assert d.message(ANN, sent.message_id).edits == 1


# -- webhook --------------------------------------------------------------------------------------


async def test_webhook_posts_in_order_with_the_secret_and_retries_after_a_500():
    received: list[tuple[str | None, dict]] = []
    answers = [500]

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(status=answers.pop(0) if answers else 200)

    receiver = web.Application()
    receiver.router.add_post("/hook", hook)
    runner = web.AppRunner(receiver)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        async with StandIn(TOKEN, webhook_retry_delay=0.05) as api, make_bot(api) as bot:
            d = api.driver
            d.add_user(ANN, "Ann")
            d.send_text(ANN, "before the webhook")
            assert (
                await bot.set_webhook(url, secret_token="s3cret_token-1", drop_pending_updates=True) is True
            )
            with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
                await bot.get_updates()
            d.send_text(ANN, "one")
            d.send_text(ANN, "two")
            await d.wait_until_confirmed()
            d.redeliver(received[-1][1]["update_id"])
            await d.wait_until_confirmed()
            info = await bot.get_webhook_info()
            assert (info.url, info.pending_update_count) == (url, 0)
            assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
            assert [a.status for a in d.webhook_attempts] == [500, 200, 200, 200]
            await bot.delete_webhook()
            assert await bot.get_updates() == ()
    finally:
        await runner.cleanup()
    assert {secret for secret, _ in received} == {"s3cret_token-1"}
    assert [body["message"]["text"] for _, body in received] == ["one", "one", "two", "two"]
    assert received[1][1] == received[0][1]  # the same update, same id, after the 500


async def test_an_unreachable_webhook_keeps_the_updates_in_order():
    async with (
        StandIn(TOKEN, webhook_retry_delay=0.01, webhook_max_retry_delay=0.02) as api,
        make_bot(api) as bot,
    ):
        d = api.driver
        d.add_user(ANN, "Ann")
        with socket.socket() as probe:  # a port nobody listens on any more
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        await bot.set_webhook(f"http://127.0.0.1:{port}/nobody-listens")
        d.send_text(ANN, "one")
        d.send_text(ANN, "two")
        await d.wait_for(lambda: len(d.webhook_attempts) >= 3)
        assert {(a.status, a.error) for a in d.webhook_attempts} == {(None, "Connection refused")}
        assert (await bot.get_webhook_info()).last_error_message == "Connection refused"
        await bot.delete_webhook()
        assert [u.message.text for u in await bot.get_updates()] == ["one", "two"]


# -- flood limits and faults ----------------------------------------------------------------------


async def test_flood_limits_answer_429_with_an_honest_retry_after():
    clock = FakeClock()
    limits = Limits(global_per_second=3, per_chat_per_second=1, per_group_per_minute=2)
    async with StandIn(TOKEN, limits=limits, clock=clock) as api, make_bot(api) as bot:
        d = api.driver
        for user_id in (ANN, BEN, CAI):
            d.add_user(user_id, f"U{user_id}")
            d.send_text(user_id, "hi")
        d.add_group(GROUP, "Group", [ANN])

        first = await bot.send_message(ANN, "one")  # per private chat: 1 a second
        with pytest.raises(RetryAfter) as refused:
            await bot.send_message(ANN, "two")
        assert refused.value.retry_after == dt.timedelta(seconds=1)
        with pytest.raises(RetryAfter):
            await bot.edit_message_text("one!", chat_id=ANN, message_id=first.message_id)  # edits count too
        assert (await bot.get_me()).id == 123  # not a message: never limited
        clock.advance(1)
        await bot.send_message(ANN, "two")

        clock.advance(1)  # overall: 3 a second in this test
        for user_id in (ANN, BEN, CAI):
            await bot.send_message(user_id, "broadcast")
        with pytest.raises(RetryAfter) as refused:
            await bot.send_message(GROUP, "one too many this second")
        assert refused.value.retry_after == dt.timedelta(seconds=1)

        clock.advance(1)  # per group: 2 a minute
        await bot.send_message(GROUP, "g1")
        clock.advance(10)
        await bot.send_message(GROUP, "g2")
        clock.advance(5)
        with pytest.raises(RetryAfter) as refused:
            await bot.send_message(GROUP, "g3")
        assert refused.value.retry_after == dt.timedelta(seconds=45)  # until g1 leaves the minute
        clock.advance(45)
        await bot.send_message(GROUP, "g3")

        assert [m.content for m in d.bot_messages(ANN)] == ["one", "two", "broadcast"]  # nothing sent on 429
        assert [m.content for m in d.bot_messages(GROUP)] == ["g1", "g2", "g3"]
        assert len([r for r in d.requests if r.status == 429]) == 4


async def test_flood_limits_ignore_callback_answers():
    clock = FakeClock()
    async with StandIn(TOKEN, limits=Limits(), clock=clock) as api, make_bot(api) as bot:
        d = api.driver
        d.add_user(ANN, "Ann")
        d.send_text(ANN, "hi")
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
        sent = await bot.send_message(ANN, "Press", reply_markup=markup)
        queries = [d.press(ANN, sent, "go") for _ in range(3)]
        for query_id in queries:
            assert await bot.answer_callback_query(query_id) is True
        await bot.get_updates()
        assert not [r for r in d.requests if r.status == 429]


async def test_injected_429_5xx_and_slow_answers(api: StandIn, bot: Bot):
    d = api.driver
    d.add_user(ANN, "Ann")
    d.send_text(ANN, "hi")
    d.retry_after_next("sendMessage", 7)
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(ANN, "a")
    assert refused.value.retry_after == dt.timedelta(seconds=7)
    d.fail_next("SENDMESSAGE", 502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(ANN, "b")
    d.fail_next("sendMessage", 500, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(ANN, "c")
    assert d.bot_messages(ANN) == []  # a failed call sends nothing
    await bot.send_message(ANN, "d")
    d.delay_next("sendMessage", 1.0)
    async with make_bot(api, read_timeout=0.1) as impatient:
        with pytest.raises(TimedOut):
            await impatient.send_message(ANN, "e")
    await d.wait_for(lambda: len(d.bot_messages(ANN)) == 2)  # it went through all the same
    assert [m.content for m in d.bot_messages(ANN)] == ["d", "e"]
    assert [r.status for r in d.requests_for("sendMessage")] == [429, 502, 500, 500, 200, 200]


# -- the driver over HTTP and the standalone server -----------------------------------------------


async def test_driver_http_endpoints(api: StandIn, bot: Bot):
    async with aiohttp.ClientSession(base_url=api.driver_url + "/") as http:

        async def call(action: str, **body: object) -> object:
            async with http.post(action, json=body) as response:
                answer = await response.json()
                assert answer["ok"], answer
                return answer["result"]

        assert (await call("users", id=ANN, first_name="Ann", username="ann"))["username"] == "ann"
        await call("send_text", user_id=ANN, text="hello")
        await call("send_document", user_id=ANN, filename="a.txt", data=base64.b64encode(b"abc").decode())
        updates = await bot.get_updates()
        assert updates[0].message.text == "hello"
        assert bytes(await (await updates[1].message.document.get_file()).download_as_bytearray()) == b"abc"
        await bot.send_message(ANN, "hi Ann")
        async with http.get("history", params={"chat_id": str(ANN)}) as response:
            history = (await response.json())["result"]
        assert [(m["from_bot"], m["text"]) for m in history] == [
            (False, "hello"),
            (False, None),
            (True, "hi Ann"),
        ]
        assert base64.b64decode(history[1]["document"]["data"]) == b"abc"
        waited = await call("wait_for_bot_messages", chat_id=ANN, after=2, timeout=1)
        assert [m["text"] for m in waited] == ["hi Ann"]
        assert (await call("wait_for_bot_message", chat_id=ANN, timeout=1))["text"] == "hi Ann"
        assert (await call("last_bot_message", chat_id=ANN))["message_id"] == 3
        assert [r["method"] for r in await call("requests")][-1] == "sendMessage"
        async with http.post("send_text", json={"user_id": 5, "text": "who?"}) as response:
            assert response.status == 400 and "no user 5" in (await response.json())["description"]
        async with http.post("no_such_action", json={}) as response:
            assert response.status == 404
        async with http.post(
            "wait_for_bot_messages", json={"chat_id": ANN, "after": 3, "timeout": 0.05}
        ) as response:
            assert response.status == 408


async def test_waits_scale_with_standin_time_factor(api: StandIn, monkeypatch: pytest.MonkeyPatch):
    d = api.driver
    loop = asyncio.get_running_loop()
    monkeypatch.setenv("STANDIN_TIME_FACTOR", "4")
    assert scaled(5) == 20
    started = loop.time()
    with pytest.raises(TimeoutError, match=re.escape("waited 0.2 s (0.05 s × STANDIN_TIME_FACTOR=4)")):
        await d.wait_for(lambda: False, timeout=0.05, what="nothing")
    assert loop.time() - started >= 0.2
    d.add_user(ANN, "Ann")
    d.send_text(ANN, "hi")
    waiting = asyncio.create_task(d.wait_for_bot_message(ANN, timeout=60))
    await asyncio.sleep(0)
    started = loop.time()
    async with make_bot(api) as bot:
        await bot.send_message(ANN, "at once")
        assert (await waiting).text == "at once" and loop.time() - started < 5  # not after 240 s
    monkeypatch.setenv("STANDIN_TIME_FACTOR", "")
    assert scaled(5) == 5
    for wrong in ("fast", "0", "-1"):
        monkeypatch.setenv("STANDIN_TIME_FACTOR", wrong)
        with pytest.raises(ValueError, match="STANDIN_TIME_FACTOR"):
            await d.wait_for(lambda: True)


def test_python_m_bot_standin_prints_its_url_and_serves():
    process = subprocess.Popen(
        [sys.executable, "-m", "standin", "--port", "0", "--token", "42:XYZ"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        base_url = re.search(r"base_url=(\S+)", line)
        assert base_url is not None, line
        assert re.match(r"http://127\.0\.0\.1:\d+/bot$", base_url.group(1))
        with urllib.request.urlopen(f"{base_url.group(1)}42:XYZ/getMe", timeout=5) as response:
            assert json.load(response)["result"]["id"] == 42
    finally:
        process.terminate()
        process.wait(timeout=5)
        if process.stdout is not None:
            process.stdout.close()
    assert process.returncode == 0
