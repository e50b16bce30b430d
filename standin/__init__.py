"""A stand-in for the Telegram Bot API: a local HTTP server and a driver that plays the bot's users."""

from standin.driver import Driver
from standin.limits import Fault, Limits
from standin.server import StandIn
from standin.state import LoggedRequest, WebhookAttempt
from standin.timing import TIME_FACTOR_VARIABLE, scaled, time_factor
from standin.views import CallbackAnswer, DriverError, FileView, MessageView

__all__ = [
    "TIME_FACTOR_VARIABLE",
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
    "scaled",
    "time_factor",
]
