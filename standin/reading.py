"""What the bot did, read and waited for; every wait scales with STANDIN_TIME_FACTOR."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from standin.state import JSON, LoggedRequest, Message, State, WebhookAttempt, scope_key
from standin.timing import TIME_FACTOR_VARIABLE, scaled, time_factor
from standin.views import CallbackAnswer, DriverError, MessageView

WAIT = 5.0  # seconds for the bot's answer on an idle machine


class Reader:
    """The driver's reading half: histories, answers, the request log, and waits for the bot."""

    def __init__(self, state: State) -> None:
        self.state = state

    # -- reading -------------------------------------------------------------------------------

    def history(self, chat_id: int) -> list[MessageView]:
        """Every message of the chat in order, from people and from the bot."""
        return [MessageView.of(m) for m in self.state.messages.get(chat_id, [])]

    def message(self, chat_id: int, message_id: int) -> MessageView:
        found = self.state.find_message(chat_id, message_id)
        if found is None:
            raise DriverError(f"no message {message_id} in chat {chat_id}")
        return MessageView.of(found)

    def bot_messages(self, chat_id: int) -> list[MessageView]:
        return [MessageView.of(m) for m in self.state.messages.get(chat_id, []) if m.sender is self.state.bot]

    def last_bot_message(self, chat_id: int) -> MessageView | None:
        """The bot's latest message in the chat."""
        messages = self.bot_messages(chat_id)
        return messages[-1] if messages else None

    @property
    def callback_answers(self) -> dict[str, CallbackAnswer]:
        """Answered button presses by query id."""
        return {q.id: CallbackAnswer.of(q) for q in self.state.callback_queries.values() if q.answered}

    def callback_query(self, query_id: str) -> CallbackAnswer:
        query = self.state.callback_queries.get(query_id)
        if query is None:
            raise DriverError(f"no callback query {query_id}")
        return CallbackAnswer.of(query)

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The command list the bot set for this scope and language (exact match, no fallback)."""
        return [dict(c) for c in self.state.commands.get((scope_key(scope), language_code), [])]

    def menu_button(self, chat_id: int) -> JSON:
        """The menu button the bot set for this private chat (its own, else the bot's default)."""
        button = self.state.menu_buttons.get(chat_id) or self.state.menu_buttons.get(0)
        return copy.deepcopy(button) if button else {"type": "commands"}

    @property
    def requests(self) -> list[LoggedRequest]:
        """The Bot API calls so far: time, method, chat_id, status."""
        return list(self.state.requests)

    def requests_for(self, method: str) -> list[LoggedRequest]:
        return [r for r in self.state.requests if r.method.lower() == method.lower()]

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by the bot (polling) or accepted by its webhook."""
        return [copy.deepcopy(u.payload) for u in self.state.pending]

    @property
    def polling(self) -> bool:
        """Whether the bot is waiting in a long getUpdates call right now."""
        return self.state.waiting_polls > 0

    @property
    def webhook(self) -> JSON | None:
        hook = self.state.webhook
        return asdict(hook) if hook else None

    @property
    def webhook_attempts(self) -> list[WebhookAttempt]:
        """Every POST of an update to a webhook, failed ones included, in order."""
        return list(self.state.webhook_attempts)

    # -- waiting -------------------------------------------------------------------------------

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = WAIT, what: str = "") -> Any:
        """The first truthy value of `predicate()`, checked now and on every change of the state.

        At most `timeout` seconds times STANDIN_TIME_FACTOR; it returns as soon as the value is there.
        """
        limit = scaled(timeout)
        try:
            return await self.state.wait_until(predicate, limit)
        except TimeoutError:
            factor = time_factor()
            scale = f" ({timeout:g} s × {TIME_FACTOR_VARIABLE}={factor:g})" if factor != 1 else ""
            failures = [r for r in self.state.requests if r.status != 200][-5:]
            detail = f"; recent refused calls: {failures}" if failures else ""
            raise TimeoutError(f"waited {limit:g} s{scale} for {what or predicate!r}{detail}") from None

    async def wait_for_bot_messages(
        self, chat_id: int, count: int = 1, *, after: int | None = None, timeout: float = WAIT
    ) -> list[MessageView]:
        """The bot's first `count` messages in the chat after message `after` (default: the driver's
        last action there)."""
        chat = self.state.chats.get(chat_id)
        base = after if after is not None else (chat.mark if chat else 0)

        def arrived() -> list[Message] | None:
            found = [
                m
                for m in self.state.messages.get(chat_id, [])
                if m.sender is self.state.bot and m.message_id > base
            ]
            return found if len(found) >= count else None

        found = await self.wait_for(
            arrived, timeout, f"{count} bot message(s) in chat {chat_id} after {base}"
        )
        return [MessageView.of(m) for m in found[:count]]

    async def wait_for_bot_message(
        self, chat_id: int, count: int = 1, *, after: int | None = None, timeout: float = WAIT
    ) -> MessageView:
        """The `count`-th bot message in the chat after the driver's last action there (or `after`)."""
        return (await self.wait_for_bot_messages(chat_id, count, after=after, timeout=timeout))[-1]

    async def wait_for_edit(
        self, chat_id: int, message_id: int, edits: int = 1, *, timeout: float = WAIT
    ) -> MessageView:
        """The message once it has been edited `edits` times in all."""
        message = self.state.find_message(chat_id, message_id)
        if message is None:
            raise DriverError(f"no message {message_id} in chat {chat_id}")
        await self.wait_for(lambda: message.edits >= edits, timeout, f"edit {edits} of message {message_id}")
        return MessageView.of(message)

    async def wait_for_callback_answer(self, query_id: str, *, timeout: float = WAIT) -> CallbackAnswer:
        query = self.state.callback_queries.get(query_id)
        if query is None:
            raise DriverError(f"no callback query {query_id}")
        await self.wait_for(lambda: query.answered, timeout, f"an answer to callback query {query_id}")
        return CallbackAnswer.of(query)

    async def wait_until_confirmed(self, *, timeout: float = WAIT) -> None:
        """Until the bot has confirmed (or its webhook accepted) every queued update."""
        await self.wait_for(lambda: not self.state.pending, timeout, "the bot to take every update")
