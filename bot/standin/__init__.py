"""A stand-in for the Telegram Bot API: a local HTTP server and a driver that plays the bot's users."""

from bot.standin.driver import CallbackAnswer, Driver, DriverError, FileView, MessageView
from bot.standin.limits import Fault, Limits
from bot.standin.server import StandIn
from bot.standin.state import LoggedRequest, WebhookAttempt

__all__ = [
    "CallbackAnswer",
    "Driver",
    "DriverError",
    "Fault",
    "FileView",
    "Limits",
    "LoggedRequest",
    "MessageView",
    "StandIn",
    "WebhookAttempt",
]
