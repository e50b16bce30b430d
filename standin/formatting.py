"""Message text as Telegram reads it: parse modes (HTML, MarkdownV2, Markdown), UTF-16 offsets, trimming."""

from __future__ import annotations

from typing import Any

Entity = dict[str, Any]

_NUL = "\0"
_SPACES = frozenset(" \t\r\n\v\f\0")  # tdlib's is_space, the string's end included
_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_HTML_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
}
_V2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!\n")
_V2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "blockquote": "BlockQuote",
}


class ParseError(ValueError):
    """Text that Telegram refuses with `Bad Request: can't parse entities: <message>`."""


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _at(text: str, index: int) -> str:
    return text[index] if index < len(text) else _NUL


def _checked_link(url: str) -> str:
    """The URL as Telegram keeps it (a missing scheme becomes http://), or '' when unusable."""
    url = url.strip()
    if not url or any(c in _SPACES for c in url):
        return ""
    if "://" not in url and not url.startswith(("tg:", "mailto:")):
        url = "http://" + url
    return url


def _sorted(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def parse_html(source: str) -> tuple[str, list[Entity]]:
    """Telegram's HTML parse mode: the plain text and its entities, or ParseError with tdlib's wording."""
    out: list[str] = []
    offset = 0  # UTF-16 offset of the output so far
    entities: list[Entity] = []
    open_tags: list[tuple[str, str, int, int]] = []  # tag, argument, UTF-16 offset, output index
    i = 0
    size = len(source)
    while i < size:
        c = source[i]
        if c == "&":
            decoded, end = _decode_html_entity(source, i)
            if decoded is not None:
                out.append(decoded)
                offset += utf16_length(decoded)
                i = end
                continue
        if c != "<":
            out.append(c)
            offset += utf16_length(c)
            i += 1
            continue
        begin = i
        i += 1
        if _at(source, i) != "/":
            while _at(source, i) not in _SPACES and _at(source, i) != ">":
                i += 1
            if i >= size:
                raise ParseError(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
            tag = source[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise ParseError(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(source, begin)}'
                )
            argument = ""
            while _at(source, i) != ">":
                while i < size and source[i] in _SPACES:
                    i += 1
                if _at(source, i) == ">":
                    break
                name_begin = i
                while _at(source, i) not in _SPACES and _at(source, i) != "=":
                    i += 1
                name = source[name_begin:i]
                if not name:
                    where = _byte_offset(source, begin)
                    raise ParseError(f'Empty attribute name in the tag "{tag}" at byte offset {where}')
                while i < size and source[i] in _SPACES:
                    i += 1
                if _at(source, i) != "=":
                    raise ParseError(
                        f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                        f"at byte offset {_byte_offset(source, begin)}"
                    )
                i += 1
                while i < size and source[i] in _SPACES:
                    i += 1
                if i >= size:
                    raise ParseError(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(source, begin)}'
                    )
                if source[i] not in "'\"":
                    token_begin = i
                    while _at(source, i).isascii() and (_at(source, i).isalnum() or _at(source, i) in ".-"):
                        i += 1
                    value = source[token_begin:i].lower()
                    if _at(source, i) not in _SPACES and _at(source, i) != ">":
                        raise ParseError(
                            f"Unexpected end of name token at byte offset {_byte_offset(source, token_begin)}"
                        )
                else:
                    quote = source[i]
                    i += 1
                    chars: list[str] = []
                    while i < size and source[i] != quote:
                        if source[i] == "&":
                            decoded, end = _decode_html_entity(source, i)
                            if decoded is not None:
                                chars.append(decoded)
                                i = end
                                continue
                        chars.append(source[i])
                        i += 1
                    if i < size:
                        i += 1
                    value = "".join(chars)
                if i >= size:
                    raise ParseError(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
                if (
                    (tag == "a" and name == "href")
                    or (tag == "tg-emoji" and name == "emoji-id")
                    or (tag == "code" and name == "class" and value.startswith("language-"))
                    or (tag == "span" and name == "class" and value.startswith("tg-"))
                ):
                    argument = value.removeprefix("language-") if tag == "code" else value
                    argument = argument.removeprefix("tg-") if tag == "span" else argument
            if tag == "span" and argument != "spoiler":
                raise ParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(source, begin)}'
                )
            open_tags.append((tag, argument, offset, len(out)))
            i += 1  # past '>'
            continue
        # an end tag
        if not open_tags:
            raise ParseError(f"Unexpected end tag at byte offset {_byte_offset(source, begin)}")
        while _at(source, i) not in _SPACES and _at(source, i) != ">":
            i += 1
        end_name = source[begin + 2 : i].lower()
        while i < size and source[i] in _SPACES:
            i += 1
        if _at(source, i) != ">":
            raise ParseError(f"Unclosed end tag at byte offset {_byte_offset(source, begin)}")
        tag, argument, start, out_index = open_tags.pop()
        if end_name and end_name != tag:
            raise ParseError(
                f"Unmatched end tag at byte offset {_byte_offset(source, begin)}, "
                f'expected "</{tag}>", found "</{end_name}>"'
            )
        i += 1  # past '>'
        length = offset - start
        if length <= 0:
            continue
        entity: Entity = {"offset": start, "length": length}
        last = entities[-1] if entities else None
        same_span = last is not None and last["offset"] == start and last["length"] == length
        if tag in _HTML_ENTITY_TYPES:
            entity["type"] = _HTML_ENTITY_TYPES[tag]
        elif tag == "tg-emoji":
            if not argument.isdigit() or int(argument) == 0:
                raise ParseError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=argument)
        elif tag == "a":
            url = _checked_link(argument or "".join(out[out_index:]))
            if not url:
                continue
            entity.update(type="text_link", url=url)
        elif tag == "pre":
            if same_span and last is not None and last["type"] == "code" and last.get("language"):
                last["type"] = "pre"
                continue
            entity["type"] = "pre"
        else:  # code
            if same_span and last is not None and last["type"] == "pre" and argument:
                last["language"] = argument
                continue
            entity["type"] = "code"
            if argument:
                entity["language"] = argument  # kept only if a <pre> around it turns it into pre
        entities.append(entity)
    if open_tags:
        raise ParseError(f"Can't find end tag corresponding to start tag {open_tags[-1][0]}")
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return "".join(out), _sorted(entities)


def _decode_html_entity(text: str, pos: int) -> tuple[str | None, int]:
    """A character reference at `pos` ('&...'): the character and the index after it, or (None, pos)."""
    end = pos + 1
    if _at(text, end) == "#":
        end += 1
        digits_begin = end
        if _at(text, end) == "x":
            end += 1
            digits_begin = end
            while _at(text, end) in "0123456789abcdefABCDEF" and end < len(text):
                end += 1
            value = int(text[digits_begin:end], 16) if end > digits_begin else 0
        else:
            while _at(text, end).isascii() and _at(text, end).isdigit():
                end += 1
            value = int(text[digits_begin:end]) if end > digits_begin else 0
        if value == 0 or value >= 0x10FFFF or end - pos >= 10:
            return None, pos
        char = chr(value)
    else:
        while _at(text, end).isascii() and _at(text, end).isalpha():
            end += 1
        char = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}.get(text[pos + 1 : end], "")
        if not char:
            return None, pos
    if _at(text, end) == ";":
        end += 1
    return char, end


def parse_markdown_v2(source: str) -> tuple[str, list[Entity]]:
    """Telegram's MarkdownV2 parse mode, with tdlib's errors for reserved characters and open entities."""
    text = source
    size = len(text)
    out: list[str] = []
    offset = 0
    entities: list[Entity] = []
    # type, argument, UTF-16 offset, index in source, index in out
    open_entities: list[tuple[str, str, int, int, int]] = []
    have_blockquote = False
    i = 0
    while i < size:
        c = text[i]
        nxt = _at(text, i + 1)
        if c == "\\" and 0 < ord(nxt) <= 126:
            out.append(nxt)
            offset += 1
            i += 2
            continue
        top = open_entities[-1][0] if open_entities else None
        reserved = frozenset("`") if top in ("code", "pre") else _V2_RESERVED
        if c not in reserved:
            out.append(c)
            offset += utf16_length(c)
            i += 1
            continue
        is_end = False
        if top is not None:
            if have_blockquote and c == "\n" and (i + 1 == size or nxt != ">"):
                is_end = True
            else:
                is_end = {
                    "bold": c == "*",
                    "italic": c == "_" and nxt != "_",
                    "code": c == "`",
                    "pre": c == "`" and nxt == "`" and _at(text, i + 2) == "`",
                    "text_link": c == "]",
                    "underline": c == "_" and nxt == "_",
                    "strikethrough": c == "~",
                    "spoiler": c == "|" and nxt == "|",
                    "custom_emoji": c == "]",
                    "blockquote": False,
                }[top]
        if not is_end:
            begin = i
            argument = ""
            kind: str | None
            if c == "_":
                kind = "underline" if nxt == "_" else "italic"
                i += 1 if nxt == "_" else 0
            elif c == "*":
                kind = "bold"
            elif c == "~":
                kind = "strikethrough"
            elif c == "|" and nxt == "|":
                kind = "spoiler"
                i += 1
            elif c == "[":
                kind = "text_link"
            elif c == "`":
                if nxt == "`" and _at(text, i + 2) == "`":
                    i += 3
                    kind = "pre"
                    language_end = i
                    while _at(text, language_end) not in _SPACES and _at(text, language_end) != "`":
                        language_end += 1
                    if i != language_end and language_end < size and text[language_end] != "`":
                        argument = text[i:language_end]
                        i = language_end
                    if _at(text, i) in "\r\n" and i < size:
                        i += 2 if _at(text, i + 1) in "\r\n" and text[i] != _at(text, i + 1) else 1
                    i -= 1
                else:
                    kind = "code"
            elif c == "!" and nxt == "[":
                kind = "custom_emoji"
                i += 1
            elif c == "\n":
                out.append("\n")
                offset += 1
                kind = None
                if nxt == ">":
                    i += 1
                    if not have_blockquote:
                        kind = "blockquote"
                        have_blockquote = True
            elif c == ">" and i == 0:
                kind = "blockquote"
                have_blockquote = True
            else:
                raise ParseError(f"Character '{c}' is reserved and must be escaped with the preceding '\\'")
            i += 1
            if kind is not None:
                open_entities.append((kind, argument, offset, begin, len(out)))
            continue
        kind, argument, start, begin, out_index = open_entities[-1]
        if c == "\n" and kind != "blockquote":
            raise ParseError(
                f"Can't find end of {_V2_NAMES[kind]} entity at byte offset {_byte_offset(text, begin)}"
            )
        skip = offset == start
        extra: dict[str, str] = {}
        if kind in ("underline", "spoiler"):
            i += 1
        elif kind == "pre":
            i += 2
            if argument:
                extra["language"] = argument
        elif kind == "text_link":
            if _at(text, i + 1) != "(":
                url = "".join(out[out_index:])
            else:
                i += 2
                url_begin = i
                chars: list[str] = []
                while i < size and text[i] != ")":
                    if text[i] == "\\" and 0 < ord(_at(text, i + 1)) <= 126:
                        chars.append(text[i + 1])
                        i += 2
                        continue
                    chars.append(text[i])
                    i += 1
                if i >= size:
                    raise ParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(text, url_begin)}"
                    )
                url = "".join(chars)
            url = _checked_link(url)
            if url:
                extra["url"] = url
            else:
                skip = True
        elif kind == "custom_emoji":
            if _at(text, i + 1) != "(":
                raise ParseError("Custom emoji entity must contain a tg://emoji URL")
            i += 2
            url_begin = i
            while i < size and text[i] != ")":
                i += 1
            if i >= size:
                raise ParseError(
                    f"Can't find end of a custom emoji URL at byte offset {_byte_offset(text, url_begin)}"
                )
            emoji_id = text[url_begin:i].removeprefix("tg://emoji?id=")
            if not emoji_id.isdigit():
                raise ParseError("Custom emoji URL must have an emoji identifier")
            extra["custom_emoji_id"] = emoji_id
        elif kind == "blockquote":
            have_blockquote = False
            out.append(c)
            offset += 1
        if not skip:
            entities.append({"type": kind, "offset": start, "length": offset - start, **extra})
        open_entities.pop()
        i += 1
    if have_blockquote and open_entities and open_entities[-1][0] == "blockquote":
        _, _, start, _, _ = open_entities.pop()
        if offset > start:
            entities.append({"type": "blockquote", "offset": start, "length": offset - start})
    if open_entities:
        kind, _, _, begin, _ = open_entities[-1]
        raise ParseError(
            f"Can't find end of {_V2_NAMES[kind]} entity at byte offset {_byte_offset(text, begin)}"
        )
    return "".join(out), _sorted(entities)


def parse_markdown(source: str) -> tuple[str, list[Entity]]:
    """Telegram's legacy Markdown parse mode: *bold*, _italic_, `code`, ```pre```, [text](url)."""
    text = source
    size = len(text)
    out: list[str] = []
    offset = 0
    entities: list[Entity] = []
    i = 0
    while i < size:
        c = text[i]
        if c == "\\" and _at(text, i + 1) in "_*`[":
            out.append(text[i + 1])
            offset += 1
            i += 2
            continue
        if c not in "_*`[":
            out.append(c)
            offset += utf16_length(c)
            i += 1
            continue
        begin = i
        is_pre = c == "`" and _at(text, i + 1) == "`" and _at(text, i + 2) == "`"
        end_char = "]" if c == "[" else c
        language = ""
        if is_pre:
            i += 3
            language_end = i
            while _at(text, language_end) not in _SPACES and _at(text, language_end) != "`":
                language_end += 1
            if i != language_end and language_end < size and text[language_end] != "`":
                language = text[i:language_end]
                i = language_end
            if _at(text, i) in "\r\n" and i < size:
                i += 2 if _at(text, i + 1) in "\r\n" and text[i] != _at(text, i + 1) else 1
        else:
            i += 1
        start = offset
        out_start = len(out)
        while i < size and not (
            text[i] == end_char and (not is_pre or (_at(text, i + 1) == "`" and _at(text, i + 2) == "`"))
        ):
            out.append(text[i])
            offset += utf16_length(text[i])
            i += 1
        if i >= size:
            raise ParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        length = offset - start
        entity: Entity = {"offset": start, "length": length}
        if c == "[":
            if length:
                url = "".join(out[out_start:])
                if _at(text, i + 1) == "(":
                    i += 2
                    url_begin = i
                    while i < size and text[i] != ")":
                        i += 1
                    url = text[url_begin:i]
                url = _checked_link(url)
                if url:
                    entities.append({**entity, "type": "text_link", "url": url})
        elif length:
            kind = {"_": "italic", "*": "bold", "`": "pre" if is_pre else "code"}[c]
            entities.append({**entity, "type": kind, **({"language": language} if language else {})})
        i += 3 if is_pre else 1
    return "".join(out), _sorted(entities)


def parse(source: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    """The text and entities of `source` under `parse_mode` (case-insensitive; none: the text as is)."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(source)
    if mode == "markdownv2":
        return parse_markdown_v2(source)
    if mode == "markdown":
        return parse_markdown(source)
    if mode:
        raise ValueError(f"Unsupported parse_mode: {parse_mode}")
    return source, []


def _trimmable(c: str) -> bool:
    return c.isspace() or ord(c) < 32


def trim(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Leading and trailing blanks removed as Telegram does, entities moved and clipped to match."""
    start = 0
    while start < len(text) and _trimmable(text[start]):
        start += 1
    end = len(text)
    while end > start and _trimmable(text[end - 1]):
        end -= 1
    if start == 0 and end == len(text):
        return text, entities
    shift = utf16_length(text[:start])
    limit = utf16_length(text[start:end])
    kept: list[Entity] = []
    for entity in entities:
        begin = max(entity["offset"] - shift, 0)
        finish = min(entity["offset"] + entity["length"] - shift, limit)
        if finish > begin:
            kept.append({**entity, "offset": begin, "length": finish - begin})
    return text[start:end], kept
