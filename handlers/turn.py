"""One update's unit of work: who is asking, one transaction, and the answers sent once it commits."""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from telegram import Bot, BotCommandScopeChat, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.delivery import markup
from bot.rendering import MESSAGE_LIMIT, chunks, render
from bot.rules.roles import Access, Identity
from bot.workflow.identity import load_identity
from bot.workflow.services import SERVICES_KEY, Services
from bot.workflow.unit import SCHEDULER, Button, Keyboard, Refusal, Work
from storage.database import connection_lost
from storage.repository import Repository

__all__ = ["Button", "Keyboard", "Refusal", "Turn", "load_identity", "on"]

log = logging.getLogger(__name__)


@dataclass
class Effects:
    """What to send once the transaction has committed."""

    replies: list[tuple[str, Keyboard | None]] = field(default_factory=list)
    edit: tuple[str, Keyboard | None] | None = None
    answer: tuple[str | None, bool] | None = None
    outbox: bool = False
    menu: tuple[int, list] | None = None  # (chat id, commands): this user's command menu is due
    after: list[Callable[[Bot], Awaitable[None]]] = field(default_factory=list)  # long work, run as tasks


# Input modes that ask for one answer (an objection, a feedback opinion, a return reason): any command
# ends them, so a user who changed his mind is not filed with his next stray text.
SINGLE_ANSWER_MODES: set[str] = set()


def is_private_command(update: Update) -> bool:
    """A command sent in the private chat (one in the group leaves the private chat's input as it is)."""
    message = update.message
    return bool(message and message.text and message.text.startswith("/") and message.chat.type == "private")


class Turn(Work):
    """One update's unit of work: the workflow's, plus who is asking and what to answer in chat."""

    def __init__(
        self, update: Update | None, services: Services, repo: Repository, identity: Identity
    ) -> None:
        user = update.effective_user if update is not None else None
        super().__init__(services, repo, user.id if user is not None else SCHEDULER)
        self.update = update
        self.identity = identity
        self.effects = Effects()
        self.access = Access.ANYONE  # what the handler (or the pressed button's kind) requires

    @property
    def person(self):
        return self.identity.person

    # --- answers ---------------------------------------------------------------------------------

    def _render(self, template: str, context: dict[str, Any]) -> str:
        return render(template, **{"score_places": self.settings.rules.score_places, **context})

    def reply(self, template: str, keyboard: Keyboard | None = None, /, **context: Any) -> None:
        self.effects.replies.append((self._render(template, context), keyboard))

    def edit(self, template: str, keyboard: Keyboard | None = None, /, **context: Any) -> None:
        """Replace the text of the message whose button was pressed (or reply, for a text update)."""
        if self.update is None or self.update.callback_query is None:
            self.reply(template, keyboard, **context)
        else:
            self.effects.edit = (self._render(template, context), keyboard)

    def answer(self, template: str | None = None, /, alert: bool = False, **context: Any) -> None:
        self.effects.answer = (self._render(template, context) if template else None, alert)

    # --- input modes -----------------------------------------------------------------------------

    async def set_mode(self, mode: str, payload: dict[str, Any] | None = None) -> None:
        text = json.dumps(payload or {}, ensure_ascii=False, default=str)
        await self.repo.set_chat_state(self.user_id, mode, text)

    async def mode(self, *, lock: bool = False) -> tuple[str | None, dict[str, Any]]:
        """The user's input mode; `lock` holds it until the turn ends, so his texts take turns."""
        state = await self.repo.chat_state(self.user_id, lock=lock)
        if state is None:
            return None, {}
        return state.mode, json.loads(state.payload)

    async def clear_mode(self) -> None:
        await self.repo.clear_chat_state(self.user_id)

    async def end_single_answer(self) -> None:
        """A command ends a mode that waits for one answer (the command may set it again)."""
        state = await self.repo.chat_state(self.user_id, lock=True)
        if state is not None and state.mode in SINGLE_ANSWER_MODES:
            await self.repo.clear_chat_state(self.user_id)


HandlerFn = Callable[[Turn], Awaitable[None]]


def services_of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data[SERVICES_KEY]


async def run_turn(update: Update, context: ContextTypes.DEFAULT_TYPE, fn: HandlerFn, access: Access) -> None:
    """Identify the user, check access, run the handler in one transaction, then send its answers.

    The update id is stored in the same transaction as the handler's writes, so a re-sent update
    changes nothing and a crash before the commit loses nothing (Telegram sends the update again).
    A refusal or an error rolls everything back.
    """
    services = services_of(context)
    user_id = update.effective_user.id if update.effective_user else 0
    started = time.perf_counter()
    effects = Effects()
    outcome = "ok"
    resent = False
    try:
        async with services.database.session() as session:
            repo = Repository(session)
            # A re-sent update runs again but its id collides at once and everything rolls back.
            try:
                await repo.mark_handled(update.update_id)
            except IntegrityError:
                resent = True
                raise
            identity = await load_identity(repo, user_id, services.settings.admins.ids)
            if not identity.allows(access):
                outcome = "refused"
                raise Refusal(_refusal_template(identity), alert=True)
            turn = Turn(update, services, repo, identity)
            turn.access = access
            if is_private_command(update):
                await turn.end_single_answer()
            await fn(turn)
            await session.flush()
            effects = turn.effects
            effects.outbox = turn.queued
        for change in turn.on_commit:  # committed: the in-memory state follows
            change()
    except Refusal as refusal:
        outcome = "refused" if outcome == "refused" else "rejected"
        effects = _spoken(update, refusal.text, refusal.alert)
    except IntegrityError:
        # A copy of this update got there first (it was answered then: a command is not answered again),
        # or another user's turn wrote the same unique row at the same moment: this one is told so.
        outcome = "duplicate"
        effects = (
            _spoken(update, render("chat/errors/already_done.j2"), False)
            if update.callback_query or not resent
            else Effects()
        )
    except (OperationalError, InterfaceError, OSError) as exc:
        outcome = "unavailable"
        log.warning("database unavailable for update %s: %s", update.update_id, exc)
        effects = _spoken(update, render("chat/errors/retry_later.j2"), True)
    except DBAPIError as exc:  # e.g. PostgreSQL restarting ("the database system is starting up")
        lost = connection_lost(exc)
        outcome = "unavailable" if lost else "error"
        log.log(
            logging.WARNING if lost else logging.ERROR,
            "database error on update %s: %s",
            update.update_id,
            exc,
            exc_info=not lost,
        )
        effects = _spoken(update, render(f"chat/errors/{'retry_later' if lost else 'internal'}.j2"), True)
    except Exception:
        outcome = "error"
        log.exception("handler %s failed on update %s", fn.__name__, update.update_id)
        effects = _spoken(update, render("chat/errors/internal.j2"), True)
    finally:
        await send_effects(context, update, effects, services)
        log.info(
            "update=%s handler=%s user=%s outcome=%s ms=%.1f",
            update.update_id,
            fn.__name__,
            user_id,
            outcome,
            (time.perf_counter() - started) * 1000,
        )
        if services.on_turn_end is not None:
            services.on_turn_end(update.update_id, outcome)


def _spoken(update: Update, text: str, alert: bool) -> Effects:
    """An answer as a callback answer for a button, else as a reply; never a refusal in the group."""
    effects = Effects()
    if update.callback_query is not None:
        effects.answer = (text, alert)
    elif update.effective_chat is None or update.effective_chat.type == "private":
        effects.replies.append((text, None))
    return effects


def _refusal_template(identity: Identity) -> str:
    if identity.is_stranger:
        return "chat/errors/stranger.j2"
    return "chat/errors/not_allowed.j2"


async def _answer(update: Update, text: str | None, alert: bool) -> None:
    try:
        await update.callback_query.answer(text=text, show_alert=alert)
    except BadRequest as exc:  # too old, or already answered (a re-sent update)
        log.info("callback %s not answered: %s", update.callback_query.id, exc)
    except TelegramError as exc:
        log.warning("callback %s not answered: %s", update.callback_query.id, exc)


async def send_effects(
    context: ContextTypes.DEFAULT_TYPE, update: Update, effects: Effects, services: Services
) -> None:
    """Send what the turn decided, after its transaction committed; a lost answer never undoes the work.

    The callback query is answered last, so its answer means every edit and reply has gone out.
    """
    query = update.callback_query
    if query is not None and effects.edit is not None and query.message is not None:
        text, keyboard = effects.edit
        if len(text) > MESSAGE_LIMIT:
            text = chunks(text)[0] + "\n…"
        try:
            await query.edit_message_text(text, reply_markup=markup(keyboard))
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                log.warning("edit failed: %s", exc)
        except TelegramError as exc:
            log.warning("edit failed: %s", exc)
    chat = update.effective_chat
    messages = [
        (part, keyboard if index == len(parts) - 1 else None)
        for text, keyboard in effects.replies
        for parts in [chunks(text)]
        for index, part in enumerate(parts)
    ]
    for text, keyboard in messages:
        if chat is None:
            break
        try:
            await context.bot.send_message(chat.id, text, reply_markup=markup(keyboard))
        except (Forbidden, BadRequest) as exc:
            log.info("reply to %s not delivered: %s", chat.id, exc)
            break
        except TelegramError as exc:
            log.warning("reply to %s failed: %s", chat.id, exc)
            break
    if effects.outbox:
        services.outbox_wakeup.set()
    for job in effects.after:  # after the commit and the replies, without holding up the update
        context.application.create_task(job(context.bot), update=update, name=f"after-{update.update_id}")
    if effects.menu is not None:
        chat_id, commands = effects.menu
        try:
            await context.bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
        except TelegramError as exc:
            log.info("menu for %s not set: %s", chat_id, exc)
    if query is not None:
        text, alert = effects.answer or (None, False)
        await _answer(update, text, alert)


def on(access: Access = Access.BOUND) -> Callable[[HandlerFn], Callable[..., Awaitable[None]]]:
    """Declare a handler and the access it needs; the check runs on the server for every update."""

    def decorate(fn: HandlerFn) -> Callable[..., Awaitable[None]]:
        @functools.wraps(fn)
        async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            await run_turn(update, context, fn, access)

        callback.access = access  # type: ignore[attr-defined]
        return callback

    return decorate
