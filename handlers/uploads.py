"""Files admins send the bot: checked whole after the turn, imported by a confirmation (bot.workflow.uploads).

The turn only decides whether the file is taken (an admin's .xlsx or .csv within Telegram's 20 MB for
bots); the download and the check run after it, off the transaction, and the result comes as a message
with confirm and cancel buttons. What is pending lives in that button (the file's id, its kind, quarter
and checksum), not in memory. Confirming downloads the file again, compares the checksum, then in one
transaction marks the button used, checks the file again against the records as they are now and
applies it, all or none.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Awaitable
from functools import partial
from pathlib import PurePath
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, TelegramError

from bot.delivery import markup
from bot.records.spreadsheets import TableError
from bot.rendering import chunks, render
from bot.rules.domain import Quarter
from bot.rules.roles import Access
from bot.rules.text import clean_line
from bot.workflow.services import Services
from bot.workflow.unit import Button, Keyboard, Refusal, Work, button_data, unit_of_work
from bot.workflow.uploads import KINDS, MAX_BYTES, SUFFIXES, Checked, NoKind, Upload, checksum, recognise
from handlers.buttons import button, done_view
from handlers.turn import Turn, load_identity, on

log = logging.getLogger(__name__)

ERROR_LIMIT = 20  # kinds of row error shown in chat (the command line shows more)
PENDING_VALID = dt.timedelta(days=1)
DOWNLOAD_TIMEOUT = 120.0  # seconds for 20 MB on a slow line
MAX_NAME = 120
MOST = MAX_BYTES // (1024 * 1024)  # in MB, as the answer says it
TAKEN = (
    "taken"  # in a used button's payload: "cancelled" (cancel), or "applying" (confirm: the import queued)
)


@on(Access.ANYONE)
async def document_received(turn: Turn) -> None:
    """A file sent in private: an admin's roster or ballots are checked after the turn; anyone else's
    file is refused as before, and nothing is downloaded."""
    if turn.identity.is_stranger:
        raise Refusal("chat/errors/stranger.j2")
    if not turn.identity.is_admin:
        raise Refusal("chat/errors/file_not_accepted.j2", admin=False)
    document = turn.update.effective_message.document
    name = clean_line(document.file_name or "").strip()[:MAX_NAME]
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise Refusal("chat/admin/upload_refused.j2", code="wrong_type", file=name, suffix=suffix)
    if document.file_size is not None and document.file_size > MAX_BYTES:
        raise Refusal(
            "chat/admin/upload_refused.j2", code="too_large", file=name, size=document.file_size, most=MOST
        )
    turn.reply("chat/admin/upload_received.j2", file=name)
    turn.effects.after.append(
        partial(check_upload, turn.services, turn.user_id, document.file_id, document.file_unique_id, name)
    )


async def _download(bot: Bot, file_id: str, name: str) -> bytes:
    """The file through getFile and its download URL, as Telegram serves it to bots."""
    try:
        file = await bot.get_file(file_id)
        raw = bytes(await file.download_as_bytearray(read_timeout=DOWNLOAD_TIMEOUT))
    except TelegramError as exc:
        log.warning("upload %s not downloaded: %s", file_id[-12:], exc)
        raise _Told(render("chat/admin/upload_refused.j2", code="download", file=name)) from None
    if len(raw) > MAX_BYTES:  # a file the update said was smaller
        raise _Told(
            render("chat/admin/upload_refused.j2", code="too_large", file=name, size=len(raw), most=MOST)
        )
    return raw


class _Told(Exception):
    """The job ends with this text for the admin (and its transaction, if any, rolls back)."""

    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__(text)


async def _still_admin(work: Work) -> None:
    identity = await load_identity(work.repo, work.user_id, work.settings.admins.ids)
    if not identity.is_admin:
        raise _Told(render("chat/errors/not_allowed.j2"))


def _context(file: str, stage: str, checked: Checked) -> dict[str, Any]:
    """What a kind's template renders: the file, the stage (check, apply or done) and the outcome."""
    return {
        "file": file,
        "stage": stage,
        "errors": checked.errors,
        "summary": checked.summary,
        "quarter": checked.quarter,
        "limit": ERROR_LIMIT,
    }


async def _told(step: Awaitable[tuple[str, Keyboard | None]], name: str) -> tuple[str, Keyboard | None]:
    """A job's step, and what the admin is told when it stops early or fails (never raised)."""
    try:
        return await step
    except (_Told, Refusal) as stopped:
        return stopped.text, None
    except Exception:
        log.exception("upload of %s failed", name)
        return render("chat/admin/upload_refused.j2", code="error", file=name), None


async def check_upload(
    services: Services, chat_id: int, file_id: str, unique_id: str, name: str, bot: Bot
) -> None:
    """Download, recognise and check the file; answer with its errors, or its summary and the buttons."""
    text, keyboard = await _told(_check(services, chat_id, file_id, unique_id, name, bot), name)
    await _send(bot, chat_id, text, keyboard)


async def _check(
    services: Services, chat_id: int, file_id: str, unique_id: str, name: str, bot: Bot
) -> tuple[str, Keyboard | None]:
    raw = await _download(bot, file_id, name)
    upload = Upload(name, raw)
    try:
        kind, content = await asyncio.to_thread(recognise, upload)
    except TableError as exc:
        raise _Told(
            render("chat/admin/upload_unreadable.j2", file=name, code=exc.code, detail=exc.detail)
        ) from None
    except NoKind as exc:
        raise _Told(
            render("chat/admin/upload_unknown.j2", file=name, headers=exc.headers, kinds=KINDS.values())
        ) from None
    keyboard: Keyboard | None = None
    async with unit_of_work(services, user_id=chat_id) as work:
        await _still_admin(work)
        checked = await kind.check(work, content, None)
        if checked.applicable:
            pending = {
                "kind": kind.name,
                "file": name,
                "file_id": file_id,
                "file_unique_id": unique_id,
                "quarter": str(checked.quarter) if checked.quarter else None,
                "sha256": checksum(raw),
            }
            token = await work.button("upload", pending, expires_at=work.now + PENDING_VALID)
            keyboard = [
                [
                    Button(work.label("button", "confirm"), button_data(token, "yes")),
                    Button(work.label("button", "cancel"), button_data(token, "no")),
                ]
            ]
    return render(kind.template, **_context(name, "check", checked)), keyboard


async def _send(bot: Bot, chat_id: int, text: str, keyboard: Keyboard | None) -> None:
    parts = chunks(text)
    try:
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            await bot.send_message(chat_id, part, reply_markup=markup(keyboard) if last else None)
    except TelegramError as exc:
        log.info("upload answer to %s not delivered: %s", chat_id, exc)


async def _edit(bot: Bot, chat_id: int, message_id: int, text: str) -> None:
    parts = chunks(text)
    shown = parts[0] + ("\n…" if len(parts) > 1 else "")
    try:
        await bot.edit_message_text(shown, chat_id, message_id)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            log.info("upload outcome for %s not shown: %s", chat_id, exc)
    except TelegramError as exc:
        log.info("upload outcome for %s not shown: %s", chat_id, exc)


@button("upload", Access.ADMIN)
async def upload_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    """Confirmed: the file is imported after the turn (see apply_upload); cancelled: nothing is."""
    if payload.get("kind") not in KINDS or arg not in ("yes", "no"):
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    # Confirm or cancel takes the button in this turn: a press after it is refused (see upload_shown_again),
    # and of two at the same moment the other is told the first is being done
    if not await turn.repo.use_button(record.token, turn.now):
        raise Refusal("chat/admin/upload_taken.j2", alert=True, file=payload["file"], state="raced")
    state = {**payload, TAKEN: "cancelled" if arg == "no" else "applying"}
    await turn.repo.set_button_payload(record.token, json.dumps(state, ensure_ascii=False))
    if arg == "no":
        turn.edit("chat/admin/cancelled.j2")
        return
    turn.edit("chat/admin/upload_applying.j2", file=payload["file"])
    turn.answer()
    message = turn.update.callback_query.message
    turn.effects.after.append(
        partial(apply_upload, turn.services, turn.user_id, message.message_id, record.token, payload)
    )


async def apply_upload(
    services: Services, chat_id: int, message_id: int, token: str, payload: dict[str, Any], bot: Bot
) -> None:
    """The file downloaded again and compared, then in one transaction checked again and applied, or
    nothing at all (the button was used by the confirming turn; if nothing is applied it says so)."""
    text, _none = await _told(_apply(services, chat_id, token, payload, bot), payload["file"])
    await _edit(bot, chat_id, message_id, text)


async def _apply(
    services: Services, chat_id: int, token: str, payload: dict[str, Any], bot: Bot
) -> tuple[str, None]:
    kind, name = KINDS[payload["kind"]], payload["file"]
    raw = await _download(bot, payload["file_id"], name)
    if checksum(raw) != payload["sha256"]:
        raise _Told(render("chat/admin/upload_refused.j2", code="changed", file=name))
    try:
        content = await asyncio.to_thread(kind.read, Upload(name, raw))
    except TableError:
        content = None
    if content is None:
        raise _Told(render("chat/admin/upload_refused.j2", code="changed", file=name))
    quarter = Quarter.parse(payload["quarter"]) if payload.get("quarter") else None
    async with unit_of_work(services, user_id=chat_id) as work:
        await _still_admin(work)
        checked = await kind.apply(work, content, quarter)
        if checked.errors:  # the records changed since the check: nothing is applied
            raise _Told(render(kind.template, **_context(name, "apply", checked)))
        done = {**payload, "outcome": checked.summary}
        await work.repo.set_button_payload(token, json.dumps(done, ensure_ascii=False))
    return render(kind.template, **_context(name, "done", checked)), None


def _done(payload: dict[str, Any]) -> dict[str, Any]:
    """The context of an applied upload's outcome, from its button."""
    quarter = Quarter.parse(payload["quarter"]) if payload.get("quarter") else None
    return _context(payload["file"], "done", Checked(summary=payload["outcome"], quarter=quarter))


@done_view("upload")
async def upload_shown_again(turn: Turn, payload: dict, arg: str) -> bool:
    """A button pressed after confirm: the import's outcome again if it was done, else (being imported, or
    stopped with its reason on the message) that cancel is too late or confirm already taken."""
    if payload.get("kind") not in KINDS:
        return False
    if payload.get(TAKEN) == "cancelled":
        raise Refusal("chat/admin/cancelled.j2", alert=True)
    if "outcome" not in payload:
        raise Refusal(
            "chat/admin/upload_taken.j2",
            alert=True,
            file=payload["file"],
            state="cancel" if arg == "no" else "again",
        )
    if arg != "yes":
        raise Refusal("chat/admin/upload_taken.j2", alert=True, file=payload["file"], state="done")
    turn.edit(KINDS[payload["kind"]].template, **_done(payload))
    return True
