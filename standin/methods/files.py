"""Files: sendDocument and sendPhoto from the bot, and getFile for files anyone sent (then downloaded)."""

from __future__ import annotations

import mimetypes
import struct

from standin.methods.calls import ApiError, BotApi, Params, api_method, bad_request
from standin.methods.keyboards import check_keyboard_for, inline_keyboard
from standin.methods.messages import plain_text, reply_target
from standin.state import JSON, StoredFile

MAX_CAPTION = 1024
MAX_UPLOAD = 50 * 1024 * 1024
MAX_DOWNLOAD = 20 * 1024 * 1024


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG or JPEG image, None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            i += 2 + length
    return None


def _upload_or_reference(api: BotApi, params: Params, kind: str) -> StoredFile:
    """The file of a send: uploaded in the request, or an earlier file's file_id."""
    upload = params.upload(kind)
    reference = params.text(kind)
    if upload is not None:
        if not upload.data:
            raise bad_request("Bad Request: file must be non-empty")
        if len(upload.data) > MAX_UPLOAD:
            raise ApiError(413, "Request Entity Too Large")
        mime_type = upload.content_type
        if not mime_type or mime_type == "application/octet-stream":
            mime_type = mimetypes.guess_type(upload.filename or "")[0] or mime_type
        if kind == "photo":
            size = image_size(upload.data)
            if size is None:
                raise bad_request("Bad Request: IMAGE_PROCESS_FAILED")
            return api.state.store_file(
                "photo",
                upload.data,
                file_name=upload.filename,
                mime_type=mime_type,
                width=size[0],
                height=size[1],
            )
        return api.state.store_file(kind, upload.data, file_name=upload.filename, mime_type=mime_type)
    if not reference:
        raise bad_request(f"Bad Request: there is no {kind} in the request")
    stored = api.state.files.get(reference)
    if stored is not None:
        if stored.kind != kind:
            raise bad_request(f"Bad Request: can't use file of type {stored.kind.title()} as {kind.title()}")
        return stored
    if reference.startswith(("http://", "https://")):
        raise bad_request("Bad Request: failed to get HTTP URL content")
    raise bad_request("Bad Request: wrong file identifier/HTTP URL specified")


async def _send_file(api: BotApi, params: Params, kind: str) -> JSON:
    markup = inline_keyboard(params)
    caption = plain_text(params, "caption", limit=MAX_CAPTION, required=False)
    chat = api.chat_for_writing(params)
    check_keyboard_for(chat, markup)
    reply_to = reply_target(api, params, chat)
    stored = _upload_or_reference(api, params, kind)
    message = api.state.add_message(
        chat, api.state.bot, caption=caption, reply_markup=markup, reply_to=reply_to, **{kind: stored}
    )
    return message.to_api()


@api_method("sendDocument", message=True)
async def send_document(api: BotApi, params: Params) -> JSON:
    return await _send_file(api, params, "document")


@api_method("sendPhoto", message=True)
async def send_photo(api: BotApi, params: Params) -> JSON:
    return await _send_file(api, params, "photo")


@api_method("getFile")
async def get_file(api: BotApi, params: Params) -> JSON:
    """A file's path for the download URL (base_file_url + token + '/' + file_path)."""
    stored = api.state.files.get(params.text("file_id") or "")
    if stored is None:
        raise bad_request("Bad Request: invalid file_id")
    if stored.size > MAX_DOWNLOAD:
        raise bad_request("Bad Request: file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "file_path": stored.file_path,
    }
