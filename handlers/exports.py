"""/export: admins choose a record by buttons; it is built after the turn and sent as documents or photos."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from functools import partial

from telegram import Bot, InputFile
from telegram.error import BadRequest, RetryAfter, TelegramError

from bot.records.charts import NoChineseFont, progress_chart
from bot.records.contents import assessed_quarters, months_with_summaries, submissions
from bot.records.exports import ExportFile, ExportKind, Period, build, fits, plan
from bot.rendering import chunks, macro, render
from bot.rules.roles import Access
from bot.rules.text import ascii_number
from bot.rules.vocabulary import EXPORT_WORDS, keyword, typed_period
from bot.workflow.quarter import ACCEPTING_BALLOTS, ResultsHidden
from bot.workflow.services import Services
from bot.workflow.unit import unit_of_work
from handlers.buttons import button, consume, data
from handlers.lookup import args_of, check_year, usage
from handlers.turn import Button, Refusal, Turn, on

log = logging.getLogger(__name__)

PROGRESS_EVERY = 1.5  # seconds between edits of the progress message (Telegram: about 1 a second a chat)
MENU_VALID = dt.timedelta(days=1)
KIND_ROWS = (
    (ExportKind.FORM1, ExportKind.FORM2),
    (ExportKind.FILING, ExportKind.ANNUAL),
    (ExportKind.CHARTS,),
)

period_name = partial(macro, "records/files.j2", "period_name")


@on(Access.ADMIN)
async def export(turn: Turn) -> None:
    """/export [KIND PERIOD]: the menu of records, or straight to one (e.g. /export form2 2026Q3, kinds in
    Chinese as bot.rules.vocabulary.EXPORT_WORDS)."""
    args = args_of(turn)
    if not args:
        token = await turn.button("export_kind", expires_at=turn.now + MENU_VALID)
        turn.reply(
            "chat/admin/export_menu.j2",
            [
                [Button(turn.label("button", kind.value), data(token, kind.value)) for kind in row]
                for row in KIND_ROWS
            ],
        )
        return
    try:
        kind, period = (
            ExportKind(keyword(EXPORT_WORDS, args[0])),
            Period.parse(typed_period(args[1], turn.today.year)),
        )
    except (ValueError, IndexError):
        raise usage("export", "bad_export") from None
    check_year(turn, period.year, args[1])
    if len(args) != 2 or not fits(kind, period):
        raise usage("export", "bad_export")
    await refuse_hidden(turn, kind, period)
    turn.effects.after.append(
        partial(run_export, turn.services, kind, period, turn.update.effective_chat.id, None)
    )


@button("export_kind", Access.ADMIN)
async def kind_chosen(turn: Turn, payload: dict, arg: str, record) -> None:
    """A kind was chosen: offer the periods that have something to export."""
    try:
        kind = ExportKind(arg)
    except ValueError:
        raise Refusal("chat/errors/button_unknown.j2", alert=True) from None
    periods = await _periods(turn, kind)
    if not periods:
        raise Refusal("chat/admin/export_nothing.j2", alert=True, kind=kind, period=None)
    token = await turn.button(
        "export_period",
        {"kind": kind.value, "periods": [str(p) for p in periods]},
        expires_at=turn.now + MENU_VALID,
    )
    buttons = [Button(period_name(kind, p), data(token, i)) for i, p in enumerate(periods)]
    turn.edit(
        "chat/admin/export_period.j2", [buttons[i : i + 3] for i in range(0, len(buttons), 3)], kind=kind
    )


async def _periods(turn: Turn, kind: ExportKind) -> list[Period]:
    if kind is ExportKind.FORM1:
        return [Period(y, month=m) for y, m in await months_with_summaries(turn.repo)]
    quarters = await assessed_quarters(turn.repo)
    if kind is ExportKind.ANNUAL:
        return [Period(y) for y in sorted({q.year for q in quarters}, reverse=True)]
    return [Period(q.year, quarter=q) for q in quarters]


@button("export_period", Access.ADMIN)
async def period_chosen(turn: Turn, payload: dict, arg: str, record) -> None:
    """A period was chosen: the export starts once this turn commits; the message shows its progress."""
    periods = payload.get("periods") or []
    index = ascii_number(arg)
    if index is None or index >= len(periods):
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    try:
        kind, period = ExportKind(payload.get("kind")), Period.parse(str(periods[index]))
    except ValueError:
        raise Refusal("chat/errors/button_unknown.j2", alert=True) from None
    await refuse_hidden(turn, kind, period)
    await consume(turn, record)  # one export per menu: a second tap is "already done"
    turn.edit("chat/admin/export_progress.j2", kind=kind, period=period, done=0, total=0)
    message = turn.update.callback_query.message
    turn.effects.after.append(
        partial(run_export, turn.services, kind, period, message.chat.id, message.message_id)
    )


SCORED = (ExportKind.FILING, ExportKind.CHARTS)  # computed from ballots (Form 2's tier only once confirmed)


async def refuse_hidden(turn: Turn, kind: ExportKind, period: Period) -> None:
    """Records computed from ballots are refused while the quarter accepts ballots (SPEC 4)."""
    if kind in SCORED:
        assessment = await turn.repo.assessment(period.quarter)
        if assessment is not None and assessment.status in ACCEPTING_BALLOTS:
            raise Refusal("chat/admin/results_hidden.j2", quarter=period.quarter)


async def run_export(
    services: Services, kind: ExportKind, period: Period, chat_id: int, message_id: int | None, bot: Bot
) -> None:
    """Read, build off the loop with the progress edited in place, send; failures are told, never raised."""
    progress = Progress(bot, chat_id, message_id, kind, period, services.settings.delivery.per_chat_interval)
    try:
        if message_id is None:
            await progress.show(0, 0)
        async with unit_of_work(services, user_id=chat_id) as work:  # an admin's private chat: his id
            made = await plan(work.repo, services.settings, kind, period, work.today)
        if made.empty:
            await progress.say("chat/admin/export_nothing.j2", kind=kind, period=period)
            return
        files = await build(made, progress.show)
        for index, file in enumerate(files, start=1):
            caption = render(
                "chat/admin/export_caption.j2", kind=kind, period=period, part=index, parts=len(files)
            )
            await progress.send(file, caption)
        await progress.say(
            "chat/admin/export_done.j2",
            kind=kind,
            period=period,
            files=[f.name for f in files],
            items=len(made.parts),
            unregistered=made.unregistered,
        )
    except ResultsHidden as exc:  # rating reopened after the turn that asked
        await progress.say("chat/admin/results_hidden.j2", quarter=exc.quarter)
    except NoChineseFont:
        log.error("charts need a Chinese font: install fonts-wqy-microhei (see README)")
        await progress.say("chat/admin/export_failed.j2", kind=kind, period=period, reason="font")
    except TelegramError as exc:
        log.warning("export %s %s to %s not delivered: %s", kind, period, chat_id, exc)
        await progress.say("chat/admin/export_failed.j2", kind=kind, period=period, reason="send")
    except Exception:
        log.exception("export %s %s failed", kind, period)
        await progress.say("chat/admin/export_failed.j2", kind=kind, period=period, reason="error")


class Progress:
    """The admin's progress message, edited in place at most every PROGRESS_EVERY seconds, and the sends."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        message_id: int | None,
        kind: ExportKind,
        period: Period,
        interval: float,
    ) -> None:
        self.bot, self.chat_id, self.message_id = bot, chat_id, message_id
        self.kind, self.period, self.interval = kind, period, interval
        self.edited = 0.0
        self.sent = 0.0

    async def show(self, done: int, total: int) -> None:
        if (
            self.message_id is not None
            and 0 < done < total
            and time.monotonic() - self.edited < PROGRESS_EVERY
        ):
            return
        await self.say(
            "chat/admin/export_progress.j2", kind=self.kind, period=self.period, done=done, total=total
        )

    async def say(self, template: str, **context) -> None:
        text = chunks(render(template, **context))[0]
        try:
            if self.message_id is None:
                self.message_id = (await self._paced(self.bot.send_message, self.chat_id, text)).message_id
            else:
                await self._paced(self.bot.edit_message_text, text, self.chat_id, self.message_id)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                log.info("export progress for %s not shown: %s", self.chat_id, exc)
        except TelegramError as exc:
            log.info("export progress for %s not shown: %s", self.chat_id, exc)
        self.edited = time.monotonic()

    async def send(self, file: ExportFile, caption: str) -> None:
        upload = InputFile(file.data, filename=file.name)
        if file.is_photo:
            await self._paced(self.bot.send_photo, self.chat_id, upload, caption=caption)
        else:
            await self._paced(self.bot.send_document, self.chat_id, upload, caption=caption)

    async def _paced(self, method, *args, **kwargs):
        """One request, no sooner than the per-chat interval after the last; a 429 is waited out once."""
        wait = self.sent + self.interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            return await method(*args, **kwargs)
        except RetryAfter as exc:
            await asyncio.sleep(_seconds(exc.retry_after))
            return await method(*args, **kwargs)
        finally:
            self.sent = time.monotonic()


def _seconds(value) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


@button("status_chart", Access.ADMIN)
async def status_chart(turn: Turn, payload: dict, arg: str, record) -> None:
    """The progress chart of the month /status reported on, sent as a photo after the turn."""
    try:
        period = Period.parse(f"{int(payload['year'])}-{int(payload['month'])}")
    except (KeyError, TypeError, ValueError):
        raise Refusal("chat/errors/button_unknown.j2", alert=True) from None
    turn.answer()
    chat_id = turn.update.callback_query.message.chat.id
    turn.effects.after.append(partial(send_progress_chart, turn.services, period, chat_id))


async def send_progress_chart(services: Services, period: Period, chat_id: int, bot: Bot) -> None:
    """Draw the month's summary progress and send it; a failure is told, never raised."""
    tz = services.work_calendar().tz
    progress = Progress(
        bot, chat_id, None, ExportKind.CHARTS, period, services.settings.delivery.per_chat_interval
    )
    try:
        async with unit_of_work(services, user_id=chat_id) as work:
            found = await submissions(work.repo, services.settings, period.year, period.month)
        today = services.work_calendar().localize(services.clock.now()).date()
        png = await asyncio.to_thread(progress_chart, found, tz, today)
        name = macro("records/files.j2", "chart", "progress", period)
        caption = render(
            "chat/admin/export_caption.j2", kind=ExportKind.CHARTS, period=period, part=1, parts=1
        )
        await progress.send(ExportFile(name, png, "image/png"), caption)
    except NoChineseFont:
        await progress.say(
            "chat/admin/export_failed.j2", kind=ExportKind.CHARTS, period=period, reason="font"
        )
    except TelegramError as exc:
        log.warning("progress chart to %s not delivered: %s", chat_id, exc)
    except Exception:
        log.exception("progress chart %s failed", period)
        await progress.say(
            "chat/admin/export_failed.j2", kind=ExportKind.CHARTS, period=period, reason="error"
        )
