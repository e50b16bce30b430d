"""The Bot API methods the bot calls, by kind; importing this package registers every one of them."""

from standin.methods import commands, files, keyboards, messages, updates
from standin.methods.calls import Answer, ApiError, ApiMethod, BotApi, Params, Upload, find_method
from standin.methods.files import MAX_UPLOAD, image_size

__all__ = [
    "MAX_UPLOAD",
    "Answer",
    "ApiError",
    "ApiMethod",
    "BotApi",
    "Params",
    "Upload",
    "commands",
    "files",
    "find_method",
    "image_size",
    "keyboards",
    "messages",
    "updates",
]
