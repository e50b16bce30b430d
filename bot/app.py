"""Wiring: the python-telegram-bot Application with every handler, the outbox sender and the menus."""

from __future__ import annotations

import logging

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeDefault,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.delivery import OutboxSender
from bot.ops import webhook
from bot.ops.health import HealthServer, record_tick
from bot.ops.webhook import webhook_secret
from bot.rendering import label
from bot.settings import Settings
from bot.webapp.server import SheetServer
from bot.workflow.quarter import work_calendar
from bot.workflow.services import SERVICES_KEY, Services
from handlers import (
    admin,
    buttons,
    cycle,
    exports,
    inputs,
    leaders,
    rating,
    reminders,
    results,
    staff,
    start,
    uploads,
)
from scheduler.jobs import Scheduler
from storage.database import Database
from storage.migrate import upgrade_async
from storage.repository import Repository

log = logging.getLogger(__name__)

SENDER_KEY = "outbox_sender"
HEALTH_KEY = "health_server"
SHEET_KEY = "sheet_server"

PRIVATE_COMMANDS = {
    "start": start.start,
    "help": start.help_command,
    "me": staff.my_status,
    "summary": staff.summary,
    "goals": staff.goals,
    "registration": staff.registration,
    "objection": staff.objection,
    "feedback": staff.feedback,
    "review": leaders.review,
    "rate": rating.rate,
    "status": cycle.status,
    "invite": admin.invite,
    "open": cycle.open_phase,
    "extend": cycle.extend_phase,
    "close": cycle.close_phase,
    "remind": reminders.remind,
    "affirm": admin.affirm,
    "veto": admin.veto,
    "exempt": admin.exempt,
    "leave": admin.leave,
    "raters": admin.raters,
    "results": results.results,
    "confirm": results.confirm,
    "change": results.change,
    "publish": results.publish,
    "objections": results.objections,
    "resolve": results.resolve,
    "calendar": reminders.calendar,
    "admins": admin.admins,
    "firstmonth": admin.first_month,
    "export": exports.export,
    "bindgroup": cycle.bind_group,  # privately: told to send it in the group
}


def register(application: Application) -> None:
    """Every handler, private chats and the group kept apart; an edited message is answered that the edit
    changes nothing (it is never read as a command or an input); a file sent privately goes to the
    uploads (an admin's roster or ballots), anything else that is no text to `other_received`."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    for name, callback in PRIVATE_COMMANDS.items():
        application.add_handler(CommandHandler(name, callback, filters=private))
    group = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("bindgroup", cycle.bind_group, filters=group))
    application.add_handler(CommandHandler(list(start.GROUP_POINTERS), start.private_in_group, filters=group))
    application.add_handler(MessageHandler(private & filters.COMMAND, start.unknown_command))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, inputs.text_received))
    application.add_handler(MessageHandler(private & filters.Document.ALL, uploads.document_received))
    application.add_handler(MessageHandler(private & ~filters.TEXT & ~filters.COMMAND, inputs.other_received))
    edited = filters.ChatType.PRIVATE & filters.UpdateType.EDITED_MESSAGE
    application.add_handler(MessageHandler(edited, inputs.edit_received))
    application.add_handler(CallbackQueryHandler(buttons.pressed))


def build_application(settings: Settings, services: Services | None = None) -> Application:
    """The application, talking to the Bot API at the configured base URL."""
    if settings.telegram.token is None:
        raise ValueError("BOT_TOKEN is not set")
    application = (
        ApplicationBuilder()
        .token(settings.telegram.token.get_secret_value())
        .base_url(settings.telegram.api_url)
        .base_file_url(settings.telegram.base_file_url)
        .concurrent_updates(settings.telegram.concurrent_updates)
        .post_init(_on_start)
        .post_shutdown(_on_stop)
        .build()
    )
    application.bot_data[SERVICES_KEY] = services or Services(settings, Database(settings.database.url))
    register(application)
    return application


async def _on_start(application: Application) -> None:
    services: Services = application.bot_data[SERVICES_KEY]
    await upgrade_async(services.database.url)
    async with services.database.session() as session:
        services.calendar = await work_calendar(Repository(session), services.settings)
    await refresh_menus(application)
    sender = OutboxSender(application.bot, services)
    sender.start()
    application.bot_data[SENDER_KEY] = sender
    services.outbox_wakeup.set()
    interval = services.settings.schedule.tick_seconds
    if interval and application.job_queue is not None:
        scheduler = Scheduler(services)

        async def tick(_context) -> None:
            await scheduler.tick()
            try:
                await record_tick(services.database)  # the heartbeat the health check reads
            except Exception as exc:
                log.warning("tick not recorded: %s", exc)

        application.job_queue.run_repeating(tick, interval=interval, first=1, name="cycle")
    if services.settings.health.port:
        health = HealthServer(services.settings, services.database)
        await health.start()
        application.bot_data[HEALTH_KEY] = health
    if services.settings.webapp.public_url:
        sheet = SheetServer(services, services.settings.telegram.token.get_secret_value())
        await sheet.start()
        application.bot_data[SHEET_KEY] = sheet


async def _on_stop(application: Application) -> None:
    sheet: SheetServer | None = application.bot_data.pop(SHEET_KEY, None)
    if sheet is not None:
        await sheet.stop()
    health: HealthServer | None = application.bot_data.pop(HEALTH_KEY, None)
    if health is not None:
        await health.stop()
    sender: OutboxSender | None = application.bot_data.get(SENDER_KEY)
    if sender is not None:
        await sender.stop()
    await application.bot_data[SERVICES_KEY].database.dispose()


async def refresh_menus(application: Application) -> None:
    """The menus of the scopes: /help for anyone the bot does not know yet, /bindgroup in groups. Each
    person's own menu, what he may do now, is set by the outbox sender (OutboxSender.sync_menus)."""
    bot = application.bot
    menus = [
        ([BotCommand("help", label("command", "help"))], BotCommandScopeDefault()),
        ([BotCommand("bindgroup", label("command", "bindgroup"))], BotCommandScopeAllGroupChats()),
    ]
    for commands, scope in menus:
        try:
            await bot.set_my_commands(commands, scope=scope)
        except TelegramError as exc:
            log.info("menu for %s not set: %s", scope, exc)


def run(settings: Settings) -> None:
    """Run until interrupted: long polling, or a webhook when telegram.webhook_url is set."""
    application = build_application(settings)
    telegram = settings.telegram
    if telegram.webhook_url:
        configured = telegram.webhook_secret.get_secret_value() if telegram.webhook_secret else None
        log.info(
            "listening for webhook updates on %s:%s/%s (public URL %s, %s secret)",
            telegram.webhook_listen,
            telegram.webhook_port,
            telegram.webhook_path,
            telegram.webhook_url,
            "the configured" if configured else "a generated",
        )
        webhook.run(
            application,
            url=telegram.webhook_url,
            secret=webhook_secret(configured),
            listen=telegram.webhook_listen,
            port=telegram.webhook_port,
            path=telegram.webhook_path,
        )
    else:
        log.info("polling %s for updates", telegram.api_url)
        application.run_polling(allowed_updates=Update.ALL_TYPES)


__all__ = ["build_application", "refresh_menus", "register", "run"]
