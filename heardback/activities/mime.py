"""One message, two faces: a plain-text part and an HTML part that says exactly the same.

:func:`compose` builds ``multipart/alternative`` from the text a template produced:

- ``text/plain; charset="utf-8"``: 7bit when the text is pure ASCII and no line is longer than
  76 characters, quoted-printable otherwise;
- ``text/html; charset="utf-8"``, quoted-printable, made by :func:`text_to_html` from the same
  text: escaped, paragraphs and lists, links, readable on a phone, no images, scripts, tracking
  or anything loaded from elsewhere.

Everything is 7bit on the wire: quoted-printable keeps every body line under 77 octets whatever
the text holds (a 5,000-character feedback line, an unbroken URL, any script), and non-ASCII
header text travels as RFC 2047 encoded words. So no mail server can refuse a line as too long
(RFC 5321 allows 1,000 octets with CRLF and aiosmtpd, like many servers, answers 500 beyond
that), and the transport never needs 8BITMIME. The one exception is an address whose local part
is not ASCII: it can only travel over SMTPUTF8 (RFC 6531/6532), which the transport uses when the
server offers it and otherwise reports as an undeliverable address.

Encoding is the standard library's (``email.policy`` and ``email.contentmanager``'s
quoted-printable), not ours. Header values are checked first (:func:`check_header_text`): a
value with CR, LF or any other control character raises ValueError, so no text that reaches a
header can add one (header injection).

:func:`opaque_message_id` turns an internal id (``candidacy-r1-c1.003.rejection``) into a
Message-ID that says nothing of the outcome, the kind or the candidacy.
"""

from __future__ import annotations

import email.errors
import email.policy
import functools
import hashlib
import html
import re
import unicodedata
from collections.abc import Sequence
from email.header import Header
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage, Message
from typing import Any

import babel

# RFC 2045 limits a quoted-printable line to 76 characters; headers fold at the same width.
# (`compose` decides the transfer encoding itself; the policy's limit is what QP wraps at.)
QP_LINE = 76
# Headers that take addresses, parsed and rebuilt (display names as encoded words, domains IDNA).
ADDRESS_HEADERS = frozenset({"from", "to", "cc", "reply-to", "sender"})
# Headers that take message ids: checked, and folded only between ids, never encoded.
MSG_ID_HEADERS = frozenset({"message-id", "in-reply-to", "references"})
# Set by compose itself, or never in a message we send.
OWN_HEADERS = frozenset(
    {
        "subject",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "content-language",
        "content-disposition",
        "bcc",
    }
)
_FIELD_NAME = re.compile(r"^[!-9;-~]{1,76}$")  # RFC 5322 ftext: printable ASCII but ':'
_MSG_ID = re.compile(r"^<[!-;=?-~]+@[!-;=?-~]+>$")  # <left@right>, no spaces, no <>
_MAX_MSG_ID = 900  # one id, with "In-Reply-To: ", stays well inside a 998-octet line
_LANG = re.compile(r"^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$")
_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")


class _MsgIdListHeader(UnstructuredHeader, BaseHeader):
    """Message-ID, In-Reply-To, References: ids as they are, folded only between ids.

    The default policy treats In-Reply-To and References as unstructured text and would turn
    an id longer than a line into encoded words, which no mail client reads as an id."""

    max_count = 1  # RFC 5322: at most one of each

    def fold(self, *, policy: Any) -> str:
        ids = str(self).split()
        lines = [f"{self.name}: {ids[0]}" if ids else f"{self.name}:"]
        for one in ids[1:]:
            if len(lines[-1]) + 1 + len(one) > policy.max_line_length:
                lines.append(f" {one}")
            else:
                lines[-1] += f" {one}"
        linesep: str = policy.linesep
        return linesep.join(lines) + linesep


class _TextHeader(UnstructuredHeader, BaseHeader):
    """Subject and other free text: folded at spaces when it is ASCII in words that fit a
    line, else written whole as RFC 2047 encoded words by `email.header.Header`.

    The default policy's folder drops the space between two encoded words when it folds
    there (RFC 2047 readers ignore whitespace between encoded words): a Japanese or German
    subject arrived with a word boundary missing. `Header` keeps each space inside a word."""

    def fold(self, *, policy: Any) -> str:
        value = str(self)
        room = policy.max_line_length - len(self.name) - 2
        if policy.utf8 or (value.isascii() and all(len(w) <= room for w in value.split())):
            return str(super().fold(policy=policy))
        linesep: str = policy.linesep
        encoded = Header(value, "utf-8", header_name=self.name).encode(
            linesep=linesep, maxlinelen=policy.max_line_length
        )
        return f"{self.name}: {encoded}{linesep}"


class _UniqueTextHeader(_TextHeader):
    max_count = 1


class _Registry(HeaderRegistry):
    """The standard registry, remembering the header class it makes for each name: the
    standard one builds a new class on every lookup (about 11 us, and a class for the
    collector to keep), once per header of every message."""

    @functools.lru_cache(maxsize=256)  # noqa: B019 (one registry, for the process's life)
    def __getitem__(self, name: str) -> type[BaseHeader]:
        return super().__getitem__(name)


_REGISTRY = _Registry(default_class=_TextHeader)
_REGISTRY.map_to_type("subject", _UniqueTextHeader)
for _name in MSG_ID_HEADERS:
    _REGISTRY.map_to_type(_name, _MsgIdListHeader)

MAIL_POLICY = email.policy.default.clone(max_line_length=QP_LINE, header_factory=_REGISTRY)


def check_header_text(value: str) -> str:
    """`value` if it may go into a header; ValueError if it holds CR, LF or another control
    character (including the Unicode line and paragraph separators), which could end the
    header and start another."""
    for ch in value:
        if ch != " " and unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
            raise ValueError(
                f"header text may not contain control characters (found U+{ord(ch):04X})"
            )
    return value


def message_id_digest(internal_id: str) -> str:
    """The opaque part of a message's Message-ID (the left of the @), as a mail server sees it."""
    check_header_text(internal_id)
    if not internal_id:
        raise ValueError("an internal message id is needed")
    return hashlib.sha256(internal_id.encode("utf-8")).hexdigest()[:32]


def opaque_message_id(internal_id: str, domain: str) -> str:
    """`<hex@domain>`: the first 32 hex digits of the internal id's SHA-256, so the same
    message always gets the same id (retries, threading) and the id says nothing of the
    outcome or kind. (Not a secret: someone who can guess an internal id can check the guess.)
    """
    digest = message_id_digest(internal_id)
    if not _DOMAIN.match(domain) or ".." in domain:
        raise ValueError("the message id domain must be a host name (letters, digits, '.', '-')")
    return f"<{digest}@{domain}>"


# --- HTML --------------------------------------------------------------------------------------

_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?"
_LIST_ITEM = re.compile(r"^(?:  )?- (.*)$")
_STYLE = (
    "max-width:36em;margin:0 auto;padding:16px;"
    "font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
    "font-size:16px;line-height:1.5;overflow-wrap:break-word;word-wrap:break-word"
)


def _linked(line: str) -> str:
    """`line` HTML-escaped, its http(s) URLs as links (trailing punctuation left outside)."""
    out: list[str] = []
    pos = 0
    for match in _URL.finditer(line):
        url = match.group(0)
        while url and (
            url[-1] in _TRAILING or (url[-1] == ")" and url.count(")") > url.count("("))
        ):
            url = url[:-1]
        if len(url) <= len("https://"):
            continue
        out.append(html.escape(line[pos : match.start()]))
        shown = html.escape(url)
        out.append(f'<a href="{shown}">{shown}</a>')
        pos = match.start() + len(url)
    out.append(html.escape(line[pos:]))
    return "".join(out)


def _blocks(text: str) -> list[list[str]]:
    """Blank-line-separated blocks of lines."""
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip():
            blocks[-1].append(line.rstrip())
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _block_html(lines: list[str]) -> list[str]:
    """A block as <p> runs (lines kept apart with <br>) and <ul> runs ("- " or "  - " lines;
    an indented line right after an item continues it)."""
    out: list[str] = []
    para: list[str] = []
    items: list[list[str]] = []

    def flush_para() -> None:
        if para:
            out.append("<p>" + "<br>\n".join(para) + "</p>")
            para.clear()

    def flush_items() -> None:
        if items:
            out.append('<ul style="padding-left:1.25em">')
            out.extend("<li>" + "<br>\n".join(item) + "</li>" for item in items)
            out.append("</ul>")
            items.clear()

    for line in lines:
        item = _LIST_ITEM.match(line)
        if item:
            flush_para()
            items.append([_linked(item.group(1))])
        elif items and line[:1].isspace():
            items[-1].append(_linked(line.strip()))
        else:
            flush_items()
            para.append(_linked(line.strip()))
    flush_para()
    flush_items()
    return out


def _lang_tag(lang: str) -> str:
    tag = lang.replace("_", "-")
    if not _LANG.match(tag):
        raise ValueError("lang must be a language tag such as 'en' or 'de-CH'")
    return tag


@functools.lru_cache(maxsize=64)
def _direction(tag: str) -> str:
    try:
        return str(babel.Locale.parse(tag, sep="-").text_direction)
    except (ValueError, TypeError, babel.UnknownLocaleError):
        return "ltr"


def text_to_html(text: str, lang: str) -> str:
    """The HTML face of `text`: same words, escaped; paragraphs from blank-line-separated
    blocks, `- ` and `  - ` lines as a list, http(s) URLs as links. Plain semantic elements, a
    small inline style for a readable width on any screen, nothing loaded from elsewhere."""
    tag = _lang_tag(lang)
    body: list[str] = []
    for block in _blocks(text):
        body.extend(_block_html(block))
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{html.escape(tag)}" dir="{_direction(tag)}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            "</head>",
            '<body style="margin:0;padding:0">',
            f'<div style="{_STYLE}">',
            *body,
            "</div>",
            "</body>",
            "</html>",
            "",
        ]
    )


# --- the message -------------------------------------------------------------------------------


def _is_7bit_text(text: str) -> bool:
    return (
        text.isascii()
        and all(len(line) <= QP_LINE for line in text.splitlines())
        and all(ch in "\t\r\n" or " " <= ch < "\x7f" for ch in text)
    )


def _idna(domain: str) -> str:
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError as err:
        raise ValueError("the address has a domain that cannot be written in ASCII") from err


@functools.lru_cache(maxsize=1024)  # From and Reply-To repeat on every message: parse once
def _addresses(name: str, value: str) -> tuple[Address, ...]:
    """`value` ("Name <addr>", bare addresses, comma-separated, encoded words or not) as
    Address objects: domains in ASCII (IDNA); a non-ASCII local part is kept (SMTPUTF8)."""
    scratch = EmailMessage(policy=MAIL_POLICY)
    scratch[name] = value
    header: Any = scratch[name]
    # A non-ASCII local part is a defect to the parser but a valid address (RFC 6532).
    bad = [d for d in header.defects if not isinstance(d, email.errors.NonASCIILocalPartDefect)]
    if bad:
        raise ValueError(f"{name} is not a valid address list: {bad[0]}")
    found: list[Address] = []
    for group in header.groups:
        if group.display_name is not None:
            raise ValueError(f"{name} may not hold an address group")
        for addr in group.addresses:
            if not addr.username or not addr.domain:
                raise ValueError(f"{name} holds something that is not an address")
            check_header_text(addr.display_name)
            found.append(
                Address(
                    display_name=addr.display_name,
                    username=addr.username,
                    domain=_idna(addr.domain),
                )
            )
    if not found:
        raise ValueError(f"{name} holds no address")
    return tuple(found)


def _msg_ids(name: str, value: str) -> str:
    ids = value.split()
    if not ids or (name.lower() == "message-id" and len(ids) != 1):
        raise ValueError(f"{name} must hold {'one id' if name.lower() == 'message-id' else 'ids'}")
    for one in ids:
        if len(one) > _MAX_MSG_ID or not _MSG_ID.match(one):
            raise ValueError(f"{name} must hold ids of the form <left@right>")
    return " ".join(ids)


def compose(*, subject: str, text: str, lang: str, headers: Sequence[tuple[str, str]]) -> Message:
    """A multipart/alternative message (plain text and the same as HTML), 7bit on the wire.

    `headers`: (name, value) pairs in order, values as text (not yet encoded). From, To, Cc,
    Reply-To and Sender take "Name <addr>" or bare addresses; Message-ID, In-Reply-To and
    References take `<id@domain>` ids. ValueError for a control character in any value, a
    malformed address or id, or a header compose sets itself (Subject, MIME-Version,
    Content-*) or that a sent message must never carry (Bcc)."""
    tag = _lang_tag(lang)
    msg = EmailMessage(policy=MAIL_POLICY)
    for name, value in headers:
        if not _FIELD_NAME.match(name):
            raise ValueError(f"not a header name: {name!r}")
        key = name.lower()
        if key in OWN_HEADERS:
            raise ValueError(f"compose sets {name} itself, or it has no place in a sent message")
        check_header_text(value)
        if key in ADDRESS_HEADERS:
            msg[name] = _addresses(name, value)
        elif key in MSG_ID_HEADERS:
            msg[name] = _msg_ids(name, value)
        else:
            msg[name] = value
    msg["Subject"] = check_header_text(subject)
    msg["MIME-Version"] = "1.0"
    plain_cte = "7bit" if _is_7bit_text(text) else "quoted-printable"
    msg.set_content(text, subtype="plain", charset="utf-8", cte=plain_cte)
    rich = text_to_html(text, tag)
    msg.add_alternative(rich, subtype="html", charset="utf-8", cte="quoted-printable")
    # After add_alternative, which moves every Content-* header into the first part.
    msg["Content-Language"] = tag
    return msg
